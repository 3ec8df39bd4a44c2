"""Latent-plane figures: classes with density contours, outliers, property maps.

Latents are ``(n_samples, latent_dim)`` arrays; two of their columns (``dims``) span the
plane, labelled "Feat. 1", "Feat. 2", ... as in the seed study.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy.stats import binned_statistic_2d, gaussian_kde
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._base import (
    AX_CONSTRAINT,
    CMAP_CONSTRAINT,
    check_latents,
    check_same_length,
    class_colors,
    feature_label,
    get_ax,
    ordered_classes,
)

_KDE_MAX_POINTS = 2000
_KDE_GRID = 80
_OUTLIER_MARKERS = ["*", "D", "^", "s", "v", "P", "X", "o"]
#: ``levels``: fractions of a class enclosed by its contours, one or a sequence.
_LEVELS = ["array-like", Interval(Real, 0, 1, closed="neither")]


def _check_levels(levels):
    levels = np.atleast_1d(np.asarray(levels, dtype=float))
    if levels.size == 0 or np.any((levels <= 0) | (levels >= 1)):
        msg = (
            f"levels must be fractions in (0, 1) of each class enclosed by a contour, "
            f"e.g. (0.5, 0.9); got {levels.tolist()}."
        )
        raise ValueError(msg)
    return np.sort(levels)


def _limits(points, pad=0.05):
    lo, hi = np.nanmin(points, axis=0), np.nanmax(points, axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return lo - pad * span, hi + pad * span


def _density_contour(ax, points, limits, levels, color, name):
    """Draw highest-density contours enclosing ``levels`` of ``points``; return the set.

    The density is a Gaussian KDE (:class:`scipy.stats.gaussian_kde`, Scott's bandwidth)
    fitted on at most 2000 points of the class; the contour for fraction ``p`` is the
    density above which a fraction ``p`` of the class's points lie.
    """
    points = points[np.all(np.isfinite(points), axis=1)]
    if len(points) < 5:
        msg = f"class {name!r} has {len(points)} point(s): no density contour drawn."
        warnings.warn(msg, UserWarning, stacklevel=3)
        return None
    if len(points) > _KDE_MAX_POINTS:
        rng = np.random.default_rng(0)
        points = points[rng.choice(len(points), _KDE_MAX_POINTS, replace=False)]
    try:
        kde = gaussian_kde(points.T)
    except np.linalg.LinAlgError:
        msg = f"class {name!r} lies on a line in this plane: no density contour drawn."
        warnings.warn(msg, UserWarning, stacklevel=3)
        return None
    lo, hi = limits
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], _KDE_GRID),
                         np.linspace(lo[1], hi[1], _KDE_GRID))
    density = kde(np.vstack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    heights = np.unique(np.quantile(kde(points.T), 1 - levels))
    return ax.contour(xx, yy, density, levels=heights, colors=[color],
                      linewidths=1.5, zorder=3)


def _check_labels(labels, n, name):
    labels = np.asarray(labels, dtype=object).ravel()
    if len(labels) != n:
        msg = (
            f"{name} has {len(labels)} entries but the latents have {n} rows: give one "
            f"class label per galaxy, in the same order."
        )
        raise ValueError(msg)
    return np.array([str(v) for v in labels], dtype=object)


@validate_params(
    {
        "Z": ["array-like"],
        "labels": ["array-like", None],
        "dims": ["array-like"],
        "density": ["boolean"],
        "levels": _LEVELS,
        "palette": [dict, None],
        "s": [Interval(Real, 0, None, closed="neither"), None],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "ax": AX_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def plot_latent_scatter(Z, labels=None, *, dims=(0, 1), density=True, levels=(0.5, 0.9),
                        palette=None, s=None, alpha=0.5, ax=None):
    """Scatter galaxies in a latent plane, coloured by class, with density contours.

    The seed's "2D latent space vs morphological type": each class (spiral, elliptical,
    uncertain, ...) gets a fixed colour-blind-safe colour (:data:`CLASS_COLORS`) and,
    with ``density=True``, Gaussian-KDE contours enclosing the ``levels`` fractions of
    its galaxies.

    Parameters
    ----------
    Z : array-like of shape (n_samples, latent_dim)
        Latent features.
    labels : array-like of shape (n_samples,), optional
        Class of each galaxy; None plots one population.
    dims : tuple of int, default=(0, 1)
        The two latent features (0-based) on the x and y axes.
    density : bool, default=True
        Draw per-class density contours (classes with fewer than 5 galaxies get none,
        with a warning).
    levels : float or sequence of float, default=(0.5, 0.9)
        Fractions in (0, 1) of each class enclosed by its contours.
    palette : dict, optional
        Colours overriding :data:`CLASS_COLORS` for some classes.
    s : float, optional
        Marker size (positive); default shrinks with the number of points.
    alpha : float in [0, 1], default=0.5
        Marker opacity.
    ax : matplotlib Axes, optional
        Axes to draw in; a new figure is made when None.

    Returns
    -------
    fig : Figure
        The figure holding the axes: one scatter collection per class, one contour set
        per class with ``density=True``, and a legend listing the classes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skgalvae.plotting import plot_latent_scatter
    >>> rng = np.random.default_rng(0)
    >>> Z = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(3, 1, (50, 2))])
    >>> labels = ["spiral"] * 50 + ["elliptical"] * 50
    >>> fig = plot_latent_scatter(Z, labels)
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('Feat. 1', ['spiral', 'elliptical'])
    """
    points, dims = check_latents(Z, dims)
    if labels is None:
        labels = np.full(len(points), "all", dtype=object)
        show_legend = False
    else:
        labels = _check_labels(labels, len(points), "labels")
        show_legend = True
    levels = _check_levels(levels) if density else None
    classes = ordered_classes(labels)
    colors = class_colors(classes, palette)
    fig, ax = get_ax(ax)
    if s is None:
        s = float(np.clip(3000 / len(points), 2, 30))
    limits = _limits(points)
    for name in classes:
        mask = labels == name
        ax.scatter(points[mask, 0], points[mask, 1], s=s, alpha=alpha,
                   color=colors[name], label=name, linewidths=0,
                   rasterized=len(points) > 5000, zorder=2)
    if density:
        for name in classes:
            _density_contour(ax, points[labels == name], limits, levels, colors[name],
                             name)
    ax.set_xlabel(feature_label(dims[0]))
    ax.set_ylabel(feature_label(dims[1]))
    if show_legend:
        ax.legend(markerscale=max(1.0, 30 / s) ** 0.5, framealpha=0.85)
    return fig


@validate_params(
    {
        "Z_train": ["array-like"],
        "Z_outliers": ["array-like"],
        "outlier_labels": ["array-like", None],
        "dims": ["array-like"],
        "train_labels": ["array-like", None],
        "background": [StrOptions({"hexbin", "scatter"})],
        "gridsize": [Interval(Integral, 1, None, closed="left")],
        "levels": _LEVELS,
        "palette": [dict, None],
        "colorbar": ["boolean"],
        "ax": AX_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def plot_outliers_on_latent_map(Z_train, Z_outliers, outlier_labels=None, *,
                                dims=(0, 1), train_labels=None, background="hexbin",
                                gridsize=40, levels=(0.5, 0.9), palette=None,
                                colorbar=False, ax=None):
    """Project galaxies the model never trained on onto the training population's map.

    The seed's "merging galaxies in 2D latent space": the training population is a grey
    background (hexagonal-bin counts, or points), optionally with per-class density
    contours, and the out-of-distribution galaxies (mergers, irregulars) are markers on
    top, one marker and colour per class.

    Parameters
    ----------
    Z_train : array-like of shape (n_train, latent_dim)
        Latents of the training population.
    Z_outliers : array-like of shape (n_outliers, latent_dim)
        Latents of the galaxies projected onto the map.
    outlier_labels : array-like of shape (n_outliers,), optional
        Class of each outlier (e.g. "merger", "irregular"); None labels all "outlier".
    dims : tuple of int, default=(0, 1)
        The two latent features (0-based) on the x and y axes.
    train_labels : array-like of shape (n_train,), optional
        Classes of the training galaxies; when given, their density contours are drawn.
    background : {"hexbin", "scatter"}, default="hexbin"
        How the training population is drawn.
    gridsize : int, default=40
        Number of hexagons across (``background="hexbin"``), at least 1.
    levels : float or sequence of float, default=(0.5, 0.9)
        Fractions in (0, 1) enclosed by the training classes' contours.
    palette : dict, optional
        Colours overriding :data:`CLASS_COLORS`.
    colorbar : bool, default=False
        Add a colourbar of the training counts per hexagon.
    ax : matplotlib Axes, optional
        Axes to draw in; a new figure is made when None.

    Returns
    -------
    fig : Figure
        The figure holding the axes; its legend lists "training population", the
        training classes (when given) and the outlier classes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skgalvae.plotting import plot_outliers_on_latent_map
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_outliers_on_latent_map(rng.normal(size=(300, 2)),
    ...                                   rng.normal(2, 1, (10, 2)), ["merger"] * 10)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['training population', 'merger']
    """
    train, dims = check_latents(Z_train, dims, name="Z_train")
    outliers, _ = check_latents(Z_outliers, dims, name="Z_outliers")
    if np.asarray(Z_train).shape[-1] != np.asarray(Z_outliers).shape[-1]:
        msg = (
            f"Z_outliers has {np.asarray(Z_outliers).shape[-1]} latent features but "
            f"Z_train has {np.asarray(Z_train).shape[-1]}: encode both with one model."
        )
        raise ValueError(msg)
    if outlier_labels is None:
        outlier_labels = np.full(len(outliers), "outlier", dtype=object)
    else:
        outlier_labels = _check_labels(outlier_labels, len(outliers), "outlier_labels")
    if train_labels is not None:
        train_labels = _check_labels(train_labels, len(train), "train_labels")
    fig, ax = get_ax(ax)
    limits = _limits(np.vstack([train, outliers]))
    handles = [Patch(facecolor="0.6", label="training population")]
    if background == "hexbin":
        finite = np.all(np.isfinite(train), axis=1)
        hb = ax.hexbin(train[finite, 0], train[finite, 1], gridsize=gridsize,
                       cmap="Greys", bins="log", mincnt=1, linewidths=0, zorder=1,
                       alpha=0.6,
                       extent=(limits[0][0], limits[1][0], limits[0][1], limits[1][1]))
        if colorbar:
            fig.colorbar(hb, ax=ax, label="training galaxies per cell")
    else:
        ax.scatter(train[:, 0], train[:, 1], s=3, color="0.6", alpha=0.4, linewidths=0,
                   zorder=1, rasterized=len(train) > 5000)
    if train_labels is not None:
        levels = _check_levels(levels)
        train_classes = ordered_classes(train_labels)
        train_colors = class_colors(train_classes, palette)
        for name in train_classes:
            cs = _density_contour(ax, train[train_labels == name], limits, levels,
                                  train_colors[name], name)
            if cs is not None:
                handles.append(Line2D([], [], color=train_colors[name], label=name))
    classes = ordered_classes(outlier_labels)
    colors = class_colors(classes, palette)
    for k, name in enumerate(classes):
        mask = outlier_labels == name
        marker = _OUTLIER_MARKERS[k % len(_OUTLIER_MARKERS)]
        ax.scatter(outliers[mask, 0], outliers[mask, 1], s=60 if marker == "*" else 30,
                   marker=marker, color=colors[name], edgecolors="black",
                   linewidths=0.5, label=name, zorder=4)
        handles.append(Line2D([], [], linestyle="", marker=marker, markersize=8,
                              markerfacecolor=colors[name], markeredgecolor="black",
                              label=name))
    ax.set_xlim(limits[0][0], limits[1][0])
    ax.set_ylim(limits[0][1], limits[1][1])
    ax.set_xlabel(feature_label(dims[0]))
    ax.set_ylabel(feature_label(dims[1]))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncols=min(3, len(handles)), frameon=False, fontsize="small")
    return fig


@validate_params(
    {
        "Z": ["array-like"],
        "values": ["array-like"],
        "dims": ["array-like"],
        "bins": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "statistic": [
            StrOptions({"mean", "std", "median", "count", "sum", "min", "max"}),
            callable,
        ],
        "min_count": [Interval(Integral, 1, None, closed="left")],
        "label": [str],
        "cmap": CMAP_CONSTRAINT,
        "vmin": [Real, None],
        "vmax": [Real, None],
        "ax": AX_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def plot_property_map(Z, values, *, dims=(0, 1), bins=30, statistic="median",
                      min_count=3, label="log sSFR", cmap="viridis", vmin=None,
                      vmax=None, ax=None):
    """Colour the latent plane by a physical property's binned statistic.

    The seed's "2D latent space vs log(sSFR)": the plane is cut into ``bins`` cells
    (:func:`scipy.stats.binned_statistic_2d`), each coloured by the median (or
    ``statistic``) of the property over its galaxies; cells with fewer than
    ``min_count`` galaxies stay blank. Galaxies whose latents or value are NaN are left
    out.

    Parameters
    ----------
    Z : array-like of shape (n_samples, latent_dim)
        Latent features.
    values : array-like of shape (n_samples,)
        The property of each galaxy (e.g. a catalog column), same order as ``Z``.
    dims : tuple of int, default=(0, 1)
        The two latent features (0-based) on the x and y axes.
    bins : int or (int, int) or sequence of edges, default=30
        Passed to :func:`scipy.stats.binned_statistic_2d`; an int is at least 1.
    statistic : str or callable, default="median"
        Passed to :func:`scipy.stats.binned_statistic_2d`: one of "mean", "std",
        "median", "count", "sum", "min", "max", or a function of a cell's values.
    min_count : int, default=3
        Smallest number of galaxies for a cell to be coloured (at least 1).
    label : str, default="log sSFR"
        Name of the property; the colourbar reads ``"{statistic} {label}"``.
    cmap : str or Colormap, default="viridis"
    vmin, vmax : float, optional
        Colour limits; default the range of the coloured cells.
    ax : matplotlib Axes, optional
        Axes to draw in; a new figure is made when None.

    Returns
    -------
    fig : Figure
        The figure holding the axes (one mesh) and its colourbar.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skgalvae.plotting import plot_property_map
    >>> Z = np.random.default_rng(0).normal(size=(500, 2))
    >>> fig = plot_property_map(Z, Z[:, 1] - 10, bins=10)
    >>> fig.axes[1].get_ylabel()
    'median log sSFR'
    """
    points, dims = check_latents(Z, dims)
    values = np.asarray(values, dtype=float).ravel()
    check_same_length(points, values, "Z", "values")
    keep = np.all(np.isfinite(points), axis=1) & np.isfinite(values)
    if not keep.any():
        msg = "values (or Z) has no finite entry: nothing to map."
        raise ValueError(msg)
    stat, xedges, yedges, _ = binned_statistic_2d(
        points[keep, 0], points[keep, 1], values[keep], statistic=statistic, bins=bins)
    count, _, _, _ = binned_statistic_2d(
        points[keep, 0], points[keep, 1], values[keep], statistic="count",
        bins=[xedges, yedges])
    stat = np.where(count >= min_count, stat, np.nan)
    fig, ax = get_ax(ax, figsize=(5.6, 4.2))
    mesh = ax.pcolormesh(xedges, yedges, np.ma.masked_invalid(stat.T), cmap=cmap,
                         vmin=vmin, vmax=vmax, shading="flat")
    if isinstance(statistic, str):
        name = statistic
    else:
        name = getattr(statistic, "__name__", "")
    fig.colorbar(mesh, ax=ax, label=f"{name} {label}".strip())
    ax.set_xlabel(feature_label(dims[0]))
    ax.set_ylabel(feature_label(dims[1]))
    return fig
