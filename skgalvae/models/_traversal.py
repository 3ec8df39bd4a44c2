"""Latent traversals: decoded images along one latent axis at a time."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils.validation import check_is_fitted


def _latent_dim(model):
    for name in ("n_components_", "latent_dim_"):
        if hasattr(model, name):
            return int(getattr(model, name))
    msg = (
        f"{type(model).__name__} is not a latent model: it needs a latent size "
        f"(latent_dim or n_components_) and inverse_transform."
    )
    raise TypeError(msg)


@validate_params(
    {
        "model": [HasMethods(["inverse_transform"])],
        "dims": ["array-like", Interval(Integral, None, None, closed="neither"), None],
        "values": ["array-like", None],
        "base": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def latent_traversal(model, dims=None, values=None, base=None):
    """Decode a grid of latent vectors that vary one latent variable at a time.

    Row ``i`` of the grid moves latent ``dims[i]`` through ``values`` while the other
    latents stay at ``base``: the figure of the seed study ("galactic images created by
    latent space features"). Plotting is left to :mod:`skgalvae.plotting`.

    Parameters
    ----------
    model : fitted GalaxyVAE, GalaxyAutoencoder or EigengalaxyPCA
        Any fitted model with ``inverse_transform`` and ``image_shape_``.
    dims : int, sequence of int or None, default=None
        Latent indices to vary (negative ones count from the end); None: all of them.
    values : array-like of shape (n_values,) or None, default=None
        Values the varied latent takes, added to ``base``. None: 7 values from -2 to 2
        (two prior standard deviations of a VAE); for PCA these are scaled by each
        component's standard deviation ``sqrt(explained_variance_)``.
    base : array-like of shape (latent_dim,) or None, default=None
        Point around which to vary; None: the zero vector (the prior mean of a VAE,
        the mean image of PCA). Pass ``model.transform(X).mean(0)`` to centre on the
        data's mean latent.

    Returns
    -------
    images : ndarray of shape (n_dims, n_values, h, w) or (n_dims, n_values, bands, h, w)
        The decoded images, of the model's ``image_shape_`` (one band or ``bands``);
        ``images.reshape(-1, model.n_features_in_)`` gives the flat rows of
        ``model.inverse_transform``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.models import EigengalaxyPCA, latent_traversal
    >>> X = np.random.default_rng(0).random((30, 8, 8))
    >>> pca = EigengalaxyPCA(n_components=3).fit(X)
    >>> latent_traversal(pca, dims=[0, 1], values=[-1, 0, 1]).shape
    (2, 3, 8, 8)
    >>> gri = EigengalaxyPCA(n_components=3).fit(np.random.default_rng(0).random((30, 3, 8, 8)))
    >>> latent_traversal(gri, dims=[0], values=[-1, 0, 1]).shape
    (1, 3, 3, 8, 8)
    """
    check_is_fitted(model)
    latent_dim = _latent_dim(model)
    dims = np.arange(latent_dim) if dims is None else np.atleast_1d(np.asarray(dims))
    if dims.size == 0 or not np.issubdtype(dims.dtype, np.integer) or (
            dims.min() < -latent_dim or dims.max() >= latent_dim):
        msg = (
            f"dims must be latent indices in [-{latent_dim}, {latent_dim}) (the model "
            f"has {latent_dim} latents); got {dims.tolist()}."
        )
        raise ValueError(msg)
    scale = np.ones(latent_dim)
    if values is None:
        values = np.linspace(-2.0, 2.0, 7)
        if hasattr(model, "explained_variance_"):
            scale = np.sqrt(np.asarray(model.explained_variance_, dtype=np.float64))
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0 or not np.isfinite(values).all():
        msg = f"values must be one or more finite numbers; got {values.tolist()}."
        raise ValueError(msg)
    base = np.zeros(latent_dim) if base is None else np.asarray(base, dtype=np.float64)
    if base.shape != (latent_dim,) or not np.isfinite(base).all():
        msg = (
            f"base must be {latent_dim} finite numbers (shape ({latent_dim},)); got "
            f"shape {base.shape}."
        )
        raise ValueError(msg)
    Z = np.repeat(base[None, None, :], len(dims) * len(values), axis=0).reshape(
        len(dims), len(values), latent_dim)
    for i, d in enumerate(dims):
        Z[i, :, d] += values * scale[d]
    images = model.inverse_transform(Z.reshape(-1, latent_dim).astype(np.float32))
    return np.asarray(images).reshape(len(dims), len(values), *model.image_shape_)


@validate_params(
    {
        "model": [HasMethods(["inverse_transform", "get_feature_names_out"])],
        "values": ["array-like", None],
        "base": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def traversal_effect(model, values=None, base=None):
    """How much the decoded image changes along each latent: a collapse check.

    For each latent, the mean absolute pixel change between consecutive steps of its
    :func:`latent_traversal`, summed over the steps (the total variation along the
    traversal, averaged over pixels). A latent whose traversal changes nothing (a
    collapsed VAE latent, a dead autoencoder unit) scores about 0.

    Parameters
    ----------
    model : fitted GalaxyVAE, GalaxyAutoencoder or EigengalaxyPCA
    values, base :
        As in :func:`latent_traversal` (default: -2 to 2 in 7 steps about 0).

    Returns
    -------
    effect : pandas.DataFrame
        One row per latent (named by ``model.get_feature_names_out()``), columns
        ``effect`` (mean absolute pixel change, in the images' units) and
        ``relative`` (``effect`` over the largest latent's). For multi-band models the
        mean is over the pixels of every band.

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.models import EigengalaxyPCA, traversal_effect
    >>> X = np.random.default_rng(0).random((30, 8, 8))
    >>> table = traversal_effect(EigengalaxyPCA(n_components=2).fit(X))
    >>> list(table.columns), float(table["relative"].max())
    (['effect', 'relative'], 1.0)
    """
    import pandas as pd

    grid = latent_traversal(model, values=values, base=base)
    steps = np.abs(np.diff(grid.astype(np.float64), axis=1))
    effect = steps.sum(axis=1).reshape(len(grid), -1).mean(axis=1)
    top = effect.max()
    relative = effect / top if top > 0 else np.zeros_like(effect)
    names = list(model.get_feature_names_out())
    return pd.DataFrame({"effect": effect, "relative": relative}, index=names)
