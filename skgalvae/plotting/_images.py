"""Image grids: examples, raw vs scaled, reconstructions, eigengalaxies, traversals.

Every function takes images as ``(n, n_pixels)`` rows (with ``image_shape`` -- ``(h, w)``
or ``(bands, h, w)`` -- or square one-band images), ``(n, h, w)`` or ``(n, bands, h, w)``,
draws them with ``origin="lower"`` (FITS convention: first row at the bottom) and
returns the figure it drew in.

One band is drawn in greyscale (``cmap``), as before multi-band support. Three bands in
wavelength order (g, r, i) are drawn as colour composites by
:func:`astropy.visualization.make_lupton_rgb` (Lupton et al. 2004): g -> blue,
r -> green, i -> red, one black level and one asinh stretch of the mean intensity for
all bands (``rgb_stretch``, ``rgb_Q``); two bands as a composite with their mean as
green; more than three bands as the last (reddest) band in greyscale. The conversion is
:func:`skgalvae.plotting._base.to_display`.
"""

from numbers import Integral, Real

import numpy as np
from astropy.visualization import simple_norm
from matplotlib.colors import Normalize
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._base import (
    CMAP_CONSTRAINT,
    FIG_CONSTRAINT,
    IMAGE_SHAPE_CONSTRAINT,
    LUPTON_Q,
    ORIGIN_CONSTRAINT,
    RGB_Q_CONSTRAINT,
    RGB_STRETCH_CONSTRAINT,
    check_images,
    check_same_length,
    clear_image_axes,
    display_plane,
    feature_label,
    get_axes_grid,
    grid_shape,
    to_display,
)

_STRETCHES = ("linear", "sqrt", "log", "asinh")
_POSITIVE_INT = Interval(Integral, 1, None, closed="left")


def _image_norm(image, stretch, percent):
    """Display normalisation of one image (astropy's ``simple_norm``)."""
    finite = image[np.isfinite(image)]
    if finite.size == 0 or np.ptp(finite) == 0:
        value = float(finite[0]) if finite.size else 0.0
        return Normalize(vmin=value - 0.5, vmax=value + 0.5)
    return simple_norm(finite, stretch=stretch, percent=percent)


def _draw(ax, image, norm, origin, **kwargs):
    """``imshow`` one image through :func:`~skgalvae.plotting._base.to_display`."""
    pixels, shown = to_display(image, norm, **kwargs)
    ax.imshow(pixels, origin=origin, interpolation="nearest", **shown)


def _n_first(n, available):
    """The first ``n`` of ``available`` images (all when ``n`` is None)."""
    return available if n is None else min(int(n), available)


@validate_params(
    {
        "images": ["array-like"],
        "titles": ["array-like", None],
        "ncols": [_POSITIVE_INT],
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
        "stretch": [StrOptions(set(_STRETCHES)), None],
        "percent": [Interval(Real, 0, 100, closed="right"), None],
        "cmap": CMAP_CONSTRAINT,
        "origin": ORIGIN_CONSTRAINT,
        "rgb_stretch": RGB_STRETCH_CONSTRAINT,
        "rgb_Q": RGB_Q_CONSTRAINT,
        "fig": FIG_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def plot_images(images, titles=None, *, ncols=8, image_shape=None, stretch="linear",
                percent=99.5, cmap="gray", origin="lower", rgb_stretch=None,
                rgb_Q=LUPTON_Q, fig=None):
    """Show galaxy images in a grid, one panel per image.

    One band in greyscale; g, r, i cubes as Lupton et al. (2004) colour composites
    (g -> blue, r -> green, i -> red; see :mod:`skgalvae.plotting`).

    Parameters
    ----------
    images : array-like of shape (n, n_pixels), (n, h, w) or (n, bands, h, w)
        The images; flat rows need ``image_shape`` unless they are square one-band
        images.
    titles : array-like of shape (n,), optional
        One title per image (for example a class or an object id).
    ncols : int, default=8
        Panels per row at most (at least 1).
    image_shape : tuple of int, optional
        ``(height, width)`` or ``(bands, height, width)`` of flat rows.
    stretch : {"linear", "sqrt", "log", "asinh"} or None, default="linear"
        Display stretch of each greyscale image
        (:func:`astropy.visualization.simple_norm`); None is "linear". The data are
        not changed. Colour composites use Lupton's asinh stretch (``rgb_Q``) within
        the same limits instead.
    percent : float in (0, 100] or None, default=99.5
        Percentage of each image's pixels between the colour limits (of the band mean
        for a composite); None uses the minimum and maximum.
    cmap : str or Colormap, default="gray"
    origin : {"lower", "upper"}, default="lower"
        Where the first image row goes; "lower" is the FITS convention.
    rgb_stretch : float or None, default=None
        Linear stretch of the colour composites of 2- and 3-band images (Lupton et al.
        2004), in the images' units; None maps the top of each panel's display limits
        to white. One-band images ignore it.
    rgb_Q : float, default=2
        Asinh softening of the colour composites: 2 is a mild asinh for scaled
        images, 8 (astropy's default) suits raw fluxes, 0 is linear. One-band images
        ignore it.
    fig : Figure or SubFigure, optional
        An empty (sub)figure to draw in; a new figure is made when None.

    Returns
    -------
    fig : Figure or SubFigure
        The (sub)figure drawn in, with one axes per image.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skgalvae.plotting import plot_images
    >>> images = np.random.default_rng(0).random((6, 16 * 16))
    >>> fig = plot_images(images, titles=[f"galaxy {i}" for i in range(6)], ncols=3)
    >>> len(fig.axes)
    6
    >>> gri = np.random.default_rng(0).random((4, 3, 16, 16))  # g, r, i cubes
    >>> plot_images(gri).axes[0].get_images()[0].get_array().shape  # RGB
    (16, 16, 3)
    """
    images = check_images(images, image_shape)
    if titles is not None:
        titles = list(titles)
        check_same_length(images, titles, "images", "titles")
    nrows, ncols = grid_shape(len(images), ncols)
    fig, axes = get_axes_grid(fig, nrows, ncols)
    stretch = "linear" if stretch is None else stretch
    for i, ax in enumerate(axes.flat):
        if i >= len(images):
            ax.remove()
            continue
        _draw(ax, images[i], _image_norm(display_plane(images[i]), stretch, percent),
              origin, cmap=cmap, rgb_stretch=rgb_stretch, rgb_Q=rgb_Q)
        clear_image_axes(ax)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize="small")
    return fig


@validate_params(
    {
        "raw": ["array-like"],
        "scaled": ["array-like"],
        "n": [_POSITIVE_INT, None],
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
        "scaled_image_shape": IMAGE_SHAPE_CONSTRAINT,
        "row_labels": ["array-like"],
        "cmap": CMAP_CONSTRAINT,
        "origin": ORIGIN_CONSTRAINT,
        "rgb_stretch": RGB_STRETCH_CONSTRAINT,
        "rgb_Q": RGB_Q_CONSTRAINT,
        "fig": FIG_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def plot_raw_vs_scaled(raw, scaled, *, n=6, image_shape=None, scaled_image_shape=None,
                       row_labels=("raw", "log-scaled"), cmap="gray", origin="lower",
                       rgb_stretch=None, rgb_Q=LUPTON_Q, fig=None):
    """Show raw images above their preprocessed (log-scaled) versions, as the seed does.

    Each panel uses its image's own minimum and maximum, with a linear display: the raw
    row shows how little of a raw cutout is visible without a stretch, the scaled row
    what the model sees. Multi-band images are colour composites (between the
    minimum and maximum of the band mean; see :mod:`skgalvae.plotting`).

    Parameters
    ----------
    raw : array-like of shape (n, n_pixels), (n, h, w) or (n, bands, h, w)
        Raw cutouts (for example nanomaggies).
    scaled : array-like of shape (n, n_pixels2), (n, h2, w2) or (n, bands, h2, w2)
        The same galaxies after preprocessing, in the same order; the image size may
        differ from ``raw`` (after resizing).
    n : int or None, default=6
        Number of galaxies shown (the first ``n``, at least 1); None shows them all.
    image_shape : tuple of int, optional
        ``(height, width)`` or ``(bands, height, width)`` of flat ``raw`` rows.
    scaled_image_shape : tuple of int, optional
        The same for flat ``scaled`` rows; defaults to ``image_shape`` when the sizes
        agree, else inferred.
    row_labels : tuple of str, default=("raw", "log-scaled")
        The labels of the raw and the scaled rows.
    cmap : str or Colormap, default="gray"
    origin : {"lower", "upper"}, default="lower"
    rgb_stretch : float or None, default=None
        Linear stretch of the colour composites of 2- and 3-band images (Lupton et al.
        2004), in the images' units; None maps the top of each panel's display limits
        to white. One-band images ignore it.
    rgb_Q : float, default=2
        Asinh softening of the colour composites: 2 is a mild asinh for scaled
        images, 8 (astropy's default) suits raw fluxes, 0 is linear. One-band images
        ignore it.
    fig : Figure or SubFigure, optional
        An empty (sub)figure to draw in; a new figure is made when None.

    Returns
    -------
    fig : Figure or SubFigure
        The (sub)figure drawn in: two rows of ``n`` axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skgalvae.plotting import plot_raw_vs_scaled
    >>> raw = np.random.default_rng(0).exponential(size=(4, 32, 32))
    >>> fig = plot_raw_vs_scaled(raw, np.log1p(raw), n=4)
    >>> len(fig.axes), fig.axes[0].get_ylabel()
    (8, 'raw')
    """
    raw = check_images(raw, image_shape, name="raw")
    if scaled_image_shape is None and image_shape is not None:
        n_pix = np.asarray(scaled).shape[-1]
        if np.asarray(scaled).ndim == 2 and n_pix == int(np.prod(image_shape)):
            scaled_image_shape = image_shape
    scaled = check_images(scaled, scaled_image_shape, name="scaled")
    check_same_length(raw, scaled, "raw", "scaled")
    if len(row_labels) != 2:
        msg = f"row_labels must hold two labels (raw, scaled); got {row_labels!r}."
        raise ValueError(msg)
    n = _n_first(n, len(raw))
    fig, axes = get_axes_grid(fig, 2, n)
    for row, (images, label) in enumerate(zip((raw, scaled), row_labels)):
        for j in range(n):
            ax = axes[row, j]
            _draw(ax, images[j], _image_norm(display_plane(images[j]), "linear", None),
                  origin, cmap=cmap, rgb_stretch=rgb_stretch, rgb_Q=rgb_Q)
            clear_image_axes(ax)
        axes[row, 0].set_ylabel(label)
    return fig


@validate_params(
    {
        "originals": ["array-like"],
        "reconstructions": ["array-like"],
        "n": [_POSITIVE_INT, None],
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
        "show_residuals": ["boolean"],
        "cmap": CMAP_CONSTRAINT,
        "origin": ORIGIN_CONSTRAINT,
        "rgb_stretch": RGB_STRETCH_CONSTRAINT,
        "rgb_Q": RGB_Q_CONSTRAINT,
        "fig": FIG_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def plot_reconstructions(originals, reconstructions, *, n=8, image_shape=None,
                         show_residuals=False, cmap="gray", origin="lower",
                         rgb_stretch=None, rgb_Q=LUPTON_Q, fig=None):
    """Show input images (top row) above the model's reconstructions (bottom row).

    An input and its reconstruction share colour limits (the input's), so a fainter or
    blurrier reconstruction looks so. Multi-band images are colour composites with the
    same shared limits (see :mod:`skgalvae.plotting`), so a wrong colour shows too.

    Parameters
    ----------
    originals : array-like of shape (n, n_pixels), (n, h, w) or (n, bands, h, w)
        Model inputs (flat multi-band rows need ``image_shape=model.image_shape_``).
    reconstructions : array-like of the same shape
        ``model.inverse_transform(model.transform(originals))``, same order.
    n : int or None, default=8
        Number of galaxies shown (the first ``n``, at least 1); None shows them all.
    image_shape : tuple of int, optional
        ``(height, width)`` or ``(bands, height, width)`` of flat rows.
    show_residuals : bool, default=False
        Add a third row with ``reconstruction - input`` (diverging colours, centred
        on 0; for multi-band images a linear composite about mid-grey: 0 is grey,
        brighter where the reconstruction is too bright, tinted by the band at fault).
    cmap : str or Colormap, default="gray"
    origin : {"lower", "upper"}, default="lower"
    rgb_stretch : float or None, default=None
        Linear stretch of the colour composites of 2- and 3-band images (Lupton et al.
        2004), in the images' units; None maps the top of each panel's display limits
        to white. One-band images ignore it.
    rgb_Q : float, default=2
        Asinh softening of the colour composites: 2 is a mild asinh for scaled
        images, 8 (astropy's default) suits raw fluxes, 0 is linear. One-band images
        ignore it.
    fig : Figure or SubFigure, optional
        An empty (sub)figure to draw in; a new figure is made when None.

    Returns
    -------
    fig : Figure or SubFigure
        The (sub)figure drawn in: two (or three) rows of ``n`` axes, rows labelled
        "input", "reconstruction" (and "residual").

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skgalvae.plotting import plot_reconstructions
    >>> X = np.random.default_rng(0).random((5, 16 * 16))
    >>> fig = plot_reconstructions(X, 0.9 * X, n=5)
    >>> [ax.get_ylabel() for ax in fig.axes[::5]]
    ['input', 'reconstruction']
    """
    originals = check_images(originals, image_shape, name="originals")
    reconstructions = check_images(reconstructions, image_shape, name="reconstructions")
    check_same_length(originals, reconstructions, "originals", "reconstructions")
    if originals.shape != reconstructions.shape:
        msg = (
            f"reconstructions have images of shape {reconstructions.shape[1:]} but "
            f"originals {originals.shape[1:]}: decode to the input's image size."
        )
        raise ValueError(msg)
    n = _n_first(n, len(originals))
    rows = [("input", originals), ("reconstruction", reconstructions)]
    if show_residuals:
        rows.append(("residual", reconstructions - originals))
    fig, axes = get_axes_grid(fig, len(rows), n)
    for j in range(n):
        norm = _image_norm(display_plane(originals[j]), "linear", None)
        for i, (_, images) in enumerate(rows):
            ax = axes[i, j]
            if i == 2:
                vmax = float(np.nanmax(np.abs(images[j]))) or 1.0
                _draw(ax, images[j], Normalize(vmin=-vmax, vmax=vmax), origin,
                      cmap="RdBu_r", rgb_Q=0.0)
            else:
                _draw(ax, images[j], Normalize(vmin=norm.vmin, vmax=norm.vmax), origin,
                      cmap=cmap, rgb_stretch=rgb_stretch, rgb_Q=rgb_Q)
            clear_image_axes(ax)
    for i, (label, _) in enumerate(rows):
        axes[i, 0].set_ylabel(label)
    return fig


@validate_params(
    {
        "components_images": ["array-like"],
        "explained_variance_ratio": ["array-like", None],
        "n": [_POSITIVE_INT, None],
        "ncols": [_POSITIVE_INT],
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
        "cmap": CMAP_CONSTRAINT,
        "origin": ORIGIN_CONSTRAINT,
        "rgb_stretch": RGB_STRETCH_CONSTRAINT,
        "rgb_Q": RGB_Q_CONSTRAINT,
        "fig": FIG_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def plot_eigengalaxies(components_images, explained_variance_ratio=None, *, n=None,
                       ncols=6, image_shape=None, cmap="RdBu_r", origin="lower",
                       rgb_stretch=None, rgb_Q=0.0, fig=None):
    """Show the principal components of galaxy images (eigengalaxies) in a grid.

    Each panel is centred on 0 with a diverging colour map, since a component's sign is
    arbitrary and its negative pixels matter as much as its positive ones. A
    multi-band component is a colour composite (see :mod:`skgalvae.plotting`) centred
    the same way: 0 is mid-grey, ``+max|component|`` white and ``-max|component|``
    black, linear by default (``rgb_Q=0``), and its hue shows the bands it weighs (a
    blue ring: a disc brighter in g than the mean galaxy).

    Parameters
    ----------
    components_images : array-like of shape (k, n_pixels), (k, h, w) or (k, bands, h, w)
        The components as images, e.g. ``EigengalaxyPCA.components_as_images()``.
    explained_variance_ratio : array-like of shape (k,), optional
        Fraction of the variance each component explains; shown in the titles.
    n : int, optional
        Show the first ``n`` components only (at least 1); None shows them all.
    ncols : int, default=6
        Panels per row at most (at least 1).
    image_shape : tuple of int, optional
        ``(height, width)`` or ``(bands, height, width)`` of flat rows.
    cmap : str or Colormap, default="RdBu_r"
    origin : {"lower", "upper"}, default="lower"
    rgb_stretch : float or None, default=None
        Linear stretch of the colour composites of 2- and 3-band components (Lupton et
        al. 2004); None maps ``+max|component|`` to white. One-band images ignore it.
    rgb_Q : float, default=0
        Asinh softening of the colour composites: 0, linear, keeps 0 at mid-grey and
        the two signs symmetric. One-band images ignore it.
    fig : Figure or SubFigure, optional
        An empty (sub)figure to draw in; a new figure is made when None.

    Returns
    -------
    fig : Figure or SubFigure
        The (sub)figure drawn in, one axes per component titled "PC 1", "PC 2", ...
        (with the explained variance in percent when given).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skgalvae.plotting import plot_eigengalaxies
    >>> comps = np.random.default_rng(0).normal(size=(4, 16, 16))
    >>> fig = plot_eigengalaxies(comps, [0.5, 0.2, 0.1, 0.05])
    >>> fig.axes[0].get_title()
    'PC 1 (50.0%)'
    """
    comps = check_images(components_images, image_shape, name="components_images")
    if explained_variance_ratio is not None:
        ratio = np.asarray(explained_variance_ratio, dtype=float).ravel()
        check_same_length(comps, ratio, "components_images", "explained_variance_ratio")
    k = _n_first(n, len(comps))
    nrows, ncols = grid_shape(k, ncols)
    fig, axes = get_axes_grid(fig, nrows, ncols)
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.remove()
            continue
        vmax = float(np.nanmax(np.abs(comps[i]))) or 1.0
        _draw(ax, comps[i], Normalize(vmin=-vmax, vmax=vmax), origin, cmap=cmap,
              rgb_stretch=rgb_stretch, rgb_Q=rgb_Q)
        clear_image_axes(ax)
        title = f"PC {i + 1}"
        if explained_variance_ratio is not None:
            title += f" ({100 * ratio[i]:.1f}%)"
        ax.set_title(title, fontsize="small")
    return fig


@validate_params(
    {
        "grid": ["array-like"],
        "values": ["array-like", None],
        "dims": ["array-like", None],
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
        "cmap": CMAP_CONSTRAINT,
        "origin": ORIGIN_CONSTRAINT,
        "rgb_stretch": RGB_STRETCH_CONSTRAINT,
        "rgb_Q": RGB_Q_CONSTRAINT,
        "fig": FIG_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def plot_latent_traversal(grid, values=None, *, dims=None, image_shape=None,
                          cmap="gray", origin="lower", rgb_stretch=None, rgb_Q=LUPTON_Q,
                          fig=None):
    """Show images decoded along each latent feature: one row per feature.

    The seed's "galactic images created by latent space features" figure: row ``i``
    holds the decoder's output when latent ``dims[i]`` runs through ``values`` and the
    others stay fixed. All panels share one colour scale, so brightness changes along a
    row are visible; multi-band images are colour composites with that shared scale,
    so colour changes are visible too (see :mod:`skgalvae.plotting`).

    Parameters
    ----------
    grid : array-like of shape (n_dims, n_values, h, w), (n_dims, n_values, bands, h, w) \
or (n_dims, n_values, n_pixels)
        Decoded images, e.g. from ``skgalvae.models.latent_traversal``; a singleton
        band axis ``(n_dims, n_values, 1, h, w)`` is one band.
    values : array-like of shape (n_values,), optional
        The latent values of the columns, shown as column titles.
    dims : array-like of int of shape (n_dims,), optional
        The 0-based latent index of each row; rows are labelled "Feat. {dims[i] + 1}".
        Default ``range(n_dims)``.
    image_shape : tuple of int, optional
        ``(height, width)`` or ``(bands, height, width)`` when ``grid`` holds flat
        images.
    cmap : str or Colormap, default="gray"
    origin : {"lower", "upper"}, default="lower"
    rgb_stretch : float or None, default=None
        Linear stretch of the colour composites of 2- and 3-band images (Lupton et al.
        2004), in the images' units; None maps the top of each panel's display limits
        to white. One-band images ignore it.
    rgb_Q : float, default=2
        Asinh softening of the colour composites: 2 is a mild asinh for scaled
        images, 8 (astropy's default) suits raw fluxes, 0 is linear. One-band images
        ignore it.
    fig : Figure or SubFigure, optional
        An empty (sub)figure to draw in; a new figure is made when None.

    Returns
    -------
    fig : Figure or SubFigure
        The (sub)figure drawn in: ``n_dims`` rows of ``n_values`` axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skgalvae.plotting import plot_latent_traversal
    >>> grid = np.random.default_rng(0).random((2, 5, 16, 16))
    >>> fig = plot_latent_traversal(grid, values=np.linspace(-2, 2, 5))
    >>> fig.axes[0].get_ylabel(), fig.axes[5].get_ylabel(), fig.axes[0].get_title()
    ('Feat. 1', 'Feat. 2', '-2')
    """
    arr = np.asarray(grid, dtype=float)
    if arr.ndim == 5 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (3, 4, 5) or 0 in arr.shape[:2]:
        msg = (
            f"grid must have shape (n_dims, n_values, h, w), (n_dims, n_values, bands, "
            f"h, w) or (n_dims, n_values, n_pixels); got an array of shape {arr.shape}."
        )
        raise ValueError(msg)
    n_dims, n_values = arr.shape[:2]
    images = check_images(arr.reshape(n_dims * n_values, *arr.shape[2:]), image_shape,
                          name="grid")
    images = images.reshape(n_dims, n_values, *images.shape[1:])
    if values is not None:
        values = np.asarray(values, dtype=float).ravel()
        if len(values) != n_values:
            msg = (
                f"values has {len(values)} entries but grid has {n_values} columns "
                f"(axis 1 of shape {arr.shape}): give one latent value per column."
            )
            raise ValueError(msg)
    dims = list(range(n_dims)) if dims is None else [int(d) for d in dims]
    if len(dims) != n_dims:
        msg = (
            f"dims has {len(dims)} entries but grid has {n_dims} rows (axis 0 of shape "
            f"{arr.shape}): give the latent index of each row."
        )
        raise ValueError(msg)
    planes = np.stack([display_plane(image) for image in images.reshape(
        n_dims * n_values, *images.shape[2:])])
    finite = planes[np.isfinite(planes)]
    vmin, vmax = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    fig, axes = get_axes_grid(fig, n_dims, n_values, panel_size=1.3)
    for i in range(n_dims):
        for j in range(n_values):
            ax = axes[i, j]
            _draw(ax, images[i, j], Normalize(vmin=vmin, vmax=vmax), origin, cmap=cmap,
                  rgb_stretch=rgb_stretch, rgb_Q=rgb_Q)
            clear_image_axes(ax)
            if i == 0 and values is not None:
                ax.set_title(f"{values[j]:.3g}", fontsize="small")
        axes[i, 0].set_ylabel(feature_label(dims[i]))
    return fig
