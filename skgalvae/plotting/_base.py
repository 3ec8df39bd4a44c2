"""Helpers shared by the plotting functions: figures, axes, labels, colours, inputs."""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure, SubFigure
from sklearn.utils._param_validation import HasMethods, StrOptions

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
#: ``image_shape``: ``(height, width)`` of flat image rows.
IMAGE_SHAPE_CONSTRAINT = ["array-like", None]


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
    """Return ``images`` as a float array ``(n, h, w)``.

    Accepts ``(n, h*w)`` (with ``image_shape`` or square images), ``(n, h, w)`` and
    ``(n, 1, h, w)``; a single 2-D image needs ``image_shape`` to be read as flat rows,
    otherwise it is read as rows.
    """
    flat, shape = flat_image_stack(images, image_shape, name=name)
    return as_images(flat, shape)


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
