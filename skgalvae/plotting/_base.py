"""Helpers shared by the plotting functions: figures, axes, labels, colours, inputs, and
the one conversion of an image (one band or several) into what ``imshow`` draws
(:func:`to_display`)."""

import math
from numbers import Real

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure, SubFigure
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..utils._images import as_images, flat_image_stack

#: Colour of each morphological class, from the Okabe & Ito (2008) colour-blind-safe
#: palette (grey for "uncertain"). Classes not listed get the remaining palette colours.
CLASS_COLORS = {
    "spiral": "#0072B2",  # blue
    "elliptical": "#D55E00",  # vermillion
    "uncertain": "#999999",  # grey
    "merger": "#CC79A7",  # reddish purple
    "irregular": "#009E73",  # bluish green
    "edge_on": "#E69F00",  # orange
}

#: Okabe & Ito palette, in the order used for series without a fixed colour.
OKABE_ITO = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
]

_CLASS_ORDER = list(CLASS_COLORS)


class HasAnyAttribute(HasMethods):
    """Parameter constraint: objects with at least one of the given attributes.

    A :class:`~sklearn.utils._param_validation.HasMethods` whose names may be any
    attribute (a table, a list, ...), not only methods, e.g. a model's ``history_``.

    Parameters
    ----------
    methods : str or list of str
        The attribute names; one of them is enough.
    """

    def is_satisfied_by(self, val):
        return any(hasattr(val, name) for name in self.methods)

    def __str__(self):
        names = " or ".join(repr(name) for name in self.methods)
        return f"an object with a {names} attribute"


# Parameter constraints shared by the plotting functions (see validate_params).
#: ``ax`` of the single-panel functions.
AX_CONSTRAINT = [Axes, None]
#: ``fig`` of the multi-panel functions: an (empty) Figure or SubFigure.
FIG_CONSTRAINT = [Figure, SubFigure, None]
#: A matplotlib colour map, by name or as an object.
CMAP_CONSTRAINT = [str, Colormap]
#: ``origin`` of :meth:`matplotlib.axes.Axes.imshow`.
ORIGIN_CONSTRAINT = [StrOptions({"lower", "upper"})]
#: ``image_shape``: ``(height, width)`` or ``(bands, height, width)`` of flat image rows.
IMAGE_SHAPE_CONSTRAINT = ["array-like", None]
#: ``rgb_stretch`` of colour composites: Lupton's linear stretch, or None (automatic).
RGB_STRETCH_CONSTRAINT = [Interval(Real, 0, None, closed="neither"), None]
#: ``rgb_Q`` of colour composites: the asinh softening (0: linear).
RGB_Q_CONSTRAINT = [Interval(Real, 0, None, closed="left")]

#: Default asinh softening ``Q`` of colour composites (Lupton et al. 2004). With white
#: pinned at the top of the display limits, ``Q = 2`` puts 10% brightness at 1/18 of
#: them: a mild asinh for images already scaled (LogScaler), where astropy's ``Q = 8``
#: (10% brightness at 1/950 of the limits) turns the sky noise into coloured speckle.
LUPTON_Q = 2.0


def feature_label(index):
    """Return the seed's name of latent feature ``index`` (0-based): ``"Feat. 1"``..."""
    return f"Feat. {int(index) + 1}"


def get_ax(ax, figsize=(5.0, 4.0)):
    """Return ``(fig, ax)``: a new figure with one axes when ``ax`` is None."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def get_axes_grid(fig, nrows, ncols, *, panel_size=1.6, **kwargs):
    """Return ``(fig, axes)`` with ``axes`` a 2-D array of ``nrows x ncols`` axes.

    A new figure is made when ``fig`` is None; otherwise the axes are added to ``fig``
    (a :class:`~matplotlib.figure.Figure` or :class:`~matplotlib.figure.SubFigure`).
    """
    if fig is None:
        fig = plt.figure(
            figsize=(panel_size * ncols + 0.4, panel_size * nrows + 0.4),
            layout="constrained",
        )
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def class_colors(classes, palette=None):
    """Map each class name to a colour: ``palette`` first, then :data:`CLASS_COLORS`."""
    palette = {} if palette is None else dict(palette)
    spare = [c for c in OKABE_ITO if c not in CLASS_COLORS.values()] + OKABE_ITO
    colors, k = {}, 0
    for name in classes:
        if name in palette:
            colors[name] = palette[name]
        elif name in CLASS_COLORS:
            colors[name] = CLASS_COLORS[name]
        else:
            colors[name] = spare[k % len(spare)]
            k += 1
    return colors


def ordered_classes(labels):
    """Unique class names: the known morphology classes first, then the rest sorted."""
    unique = list(dict.fromkeys(np.asarray(labels).tolist()))
    known = [c for c in _CLASS_ORDER if c in unique]
    rest = sorted((c for c in unique if c not in _CLASS_ORDER), key=str)
    return known + rest


def check_images(images, image_shape=None, *, name="images"):
    """Return ``images`` as a float array ``(n, h, w)`` (one band) or ``(n, c, h, w)``.

    Accepts ``(n, n_pixels)`` (with ``image_shape`` -- ``(h, w)`` or ``(c, h, w)`` -- or
    square one-band images), ``(n, h, w)`` and ``(n, c, h, w)``; a single 2-D image
    needs ``image_shape`` to be read as flat rows, otherwise it is read as rows.
    """
    flat, shape = flat_image_stack(images, image_shape, name=name)
    return as_images(flat, shape)


# ------------------------------------------------------------------ image -> display
def display_plane(image):
    """The 2-D plane whose values set an image's display limits.

    The image itself for one band ``(h, w)``; for two or three bands ``(c, h, w)`` the
    band mean, which is the intensity ``I`` that the Lupton et al. (2004) colour
    composite stretches; for more than three bands the reference band that
    :func:`to_display` shows (the last, reddest one).

    Examples
    --------
    >>> import numpy as np
    >>> display_plane(np.stack([np.zeros((2, 2)), np.ones((2, 2)), 2 * np.ones((2, 2))]))
    array([[1., 1.],
           [1., 1.]])
    """
    image = np.asarray(image, dtype=float)
    if image.ndim == 2:
        return image
    if image.shape[0] > 3:
        return image[-1]
    return image.mean(axis=0)


def _lupton_stretch(span, Q):
    """Lupton's ``stretch`` that maps an intensity ``span`` above the minimum to white.

    astropy's :class:`~astropy.visualization.LuptonAsinhStretch` maps ``x`` to
    ``asinh(Q x / stretch) * 0.1 / asinh(0.1 Q)``; this solves for ``y(span) = 1``
    (with astropy's own treatment of ``Q = 0``, a linear stretch).
    """
    from astropy.visualization import LuptonAsinhStretch

    q = LuptonAsinhStretch(stretch=1.0, Q=Q).Q  # Q = 0 becomes astropy's 0.1
    return span * q / math.sinh(math.asinh(0.1 * q) / 0.1)


def to_display(image, norm, *, cmap="gray", rgb_stretch=None, rgb_Q=LUPTON_Q):
    """What ``imshow`` draws for one image: ``(pixels, imshow keyword arguments)``.

    The one place where images become pictures, shared by every image plot:

    - **one band** ``(h, w)``: the image itself in greyscale, ``cmap`` and ``norm``
      unchanged (exactly as before multi-band support);
    - **three bands** ``(3, h, w)`` in wavelength order (``bands="gri"``: g, r, i): a
      colour composite by :func:`astropy.visualization.make_lupton_rgb` (Lupton et al.
      2004, PASP 116, 133), band 0 (g) -> blue, band 1 (r) -> green, band 2 (i) -> red.
      The bands share one black level, ``norm.vmin``, and one asinh stretch of their
      mean intensity, so colours are kept whatever the brightness;
    - **two bands**: the same composite with the bluer band blue, the redder band red
      and their mean green;
    - **more than three bands**: the last (reddest) band in greyscale, as one band;
      :func:`display_plane` gives the plane the limits come from in each case.

    Parameters
    ----------
    image : ndarray of shape (h, w) or (c, h, w)
    norm : matplotlib.colors.Normalize
        Display limits computed on :func:`display_plane` of the image (the caller's
        choice: percentiles, minimum and maximum, symmetric about 0, shared by a grid).
        A composite maps ``norm.vmin`` to black.
    cmap : str or Colormap, default="gray"
        Colour map of greyscale images (ignored by colour composites).
    rgb_stretch : float or None, default=None
        Lupton's linear ``stretch`` of a composite, in the images' units. None: the one
        that maps the intensity ``norm.vmax`` to white (so the limits mean the same in
        colour as in greyscale).
    rgb_Q : float, default=2
        Lupton's asinh softening ``Q``: 2 is a mild asinh (10% brightness at 1/18 of the
        limits), right for scaled images; 8 (astropy's default, 10% brightness at
        1/950) suits raw fluxes of a high dynamic range; 0 is a linear stretch.

    Returns
    -------
    pixels : ndarray of shape (h, w), or (h, w, 3) uint8 RGB for a composite
    kwargs : dict
        ``{"cmap": cmap, "norm": norm}`` for greyscale, ``{}`` for a composite.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.colors import Normalize
    >>> gri = np.random.default_rng(0).random((3, 8, 8))
    >>> rgb, kwargs = to_display(gri, Normalize(0.0, 1.0))
    >>> rgb.shape, rgb.dtype, kwargs
    ((8, 8, 3), dtype('uint8'), {})
    >>> grey, kwargs = to_display(gri[2], Normalize(0.0, 1.0))
    >>> grey.shape, sorted(kwargs)
    ((8, 8), ['cmap', 'norm'])
    """
    image = np.asarray(image)
    if image.ndim == 2:
        return image, {"cmap": cmap, "norm": norm}
    if image.ndim != 3:
        msg = f"An image must have shape (h, w) or (bands, h, w); got {image.shape}."
        raise ValueError(msg)
    n_bands = image.shape[0]
    if n_bands == 1 or n_bands > 3:
        return image[-1], {"cmap": cmap, "norm": norm}
    from astropy.visualization import ManualInterval, make_lupton_rgb

    vmin = float(norm.vmin) if np.isfinite(norm.vmin) else 0.0
    vmax = float(norm.vmax) if np.isfinite(norm.vmax) else vmin + 1.0
    cube = np.nan_to_num(image.astype(np.float64), nan=vmin, posinf=vmax, neginf=vmin)
    blue, red = cube[0], cube[-1]
    green = cube[1] if n_bands == 3 else 0.5 * (blue + red)
    stretch = (_lupton_stretch(max(vmax - vmin, 1e-12), rgb_Q) if rgb_stretch is None
               else float(rgb_stretch))
    with np.errstate(invalid="ignore", divide="ignore"):  # black pixels: I = 0
        rgb = make_lupton_rgb(red, green, blue,
                              interval=ManualInterval(vmin=vmin, vmax=None),
                              stretch=stretch, Q=rgb_Q)
    return rgb, {}


def check_latents(Z, dims=(0, 1), *, name="Z"):
    """Return the two columns ``dims`` of latents ``Z`` as a float array ``(n, 2)``."""
    arr = np.asarray(Z, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0:
        msg = (
            f"{name} must be a non-empty 2-D array (n_samples, latent_dim); got "
            f"shape {arr.shape}."
        )
        raise ValueError(msg)
    dims = tuple(int(d) for d in dims)
    if len(dims) != 2:
        msg = f"dims must name two latent features, e.g. (0, 1); got {dims}."
        raise ValueError(msg)
    bad = [d for d in dims if not -arr.shape[1] <= d < arr.shape[1]]
    if bad:
        msg = (
            f"dims={dims} is out of range for {name} with {arr.shape[1]} latent "
            f"feature(s); use indices 0..{arr.shape[1] - 1}."
        )
        raise ValueError(msg)
    dims = tuple(d % arr.shape[1] for d in dims)
    return arr[:, list(dims)], dims


def check_same_length(a, b, name_a, name_b):
    """Raise a ``ValueError`` naming both parameters when their lengths differ."""
    if len(a) != len(b):
        msg = (
            f"{name_b} has {len(b)} entries but {name_a} has {len(a)}: they must "
            f"describe the same galaxies in the same order."
        )
        raise ValueError(msg)


def grid_shape(n, ncols):
    """Return ``(nrows, ncols)`` for ``n`` panels at most ``ncols`` wide."""
    ncols = max(1, min(int(ncols), n))
    return math.ceil(n / ncols), ncols


def clear_image_axes(ax):
    """Hide ticks and spines of an image panel, keeping its labels visible."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
