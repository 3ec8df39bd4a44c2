"""Latent traversals: decoded images along one latent axis at a time."""

import numpy as np
from sklearn.utils.validation import check_is_fitted


def _latent_dim(model):
    for name in ("n_components_", "latent_dim"):
        if hasattr(model, name):
            return int(getattr(model, name))
    msg = (
        f"{type(model).__name__} is not a latent model: it needs a latent size "
        f"(latent_dim or n_components_) and inverse_transform."
    )
    raise TypeError(msg)


def latent_traversal(model, dims=None, values=None, base=None):
    """Decode a grid of latent vectors that vary one latent variable at a time.

    Row ``i`` of the grid moves latent ``dims[i]`` through ``values`` while the other
    latents stay at ``base``: the figure of the seed study ("galactic images created by
    latent space features"). Plotting is left to :mod:`skgalvae.plotting`.

    Parameters
    ----------
    model : fitted GalaxyVAE, GalaxyAutoencoder or EigengalaxyPCA
        Any fitted model with ``inverse_transform`` and ``image_shape_``.
    dims : sequence of int or None, default=None
        Latent indices to vary; None: all of them.
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
    images : ndarray of shape (n_dims, n_values, height, width)

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.models import EigengalaxyPCA, latent_traversal
    >>> X = np.random.default_rng(0).random((30, 8, 8))
    >>> pca = EigengalaxyPCA(n_components=3).fit(X)
    >>> latent_traversal(pca, dims=[0, 1], values=[-1, 0, 1]).shape
    (2, 3, 8, 8)
    """
    check_is_fitted(model)
    latent_dim = _latent_dim(model)
    dims = np.arange(latent_dim) if dims is None else np.atleast_1d(np.asarray(dims))
    if dims.size == 0 or not np.issubdtype(dims.dtype, np.integer) or (
            dims.min() < -latent_dim or dims.max() >= latent_dim):
        msg = f"dims must be latent indices in [0, {latent_dim}); got {dims.tolist()}."
        raise ValueError(msg)
    scale = np.ones(latent_dim)
    if values is None:
        values = np.linspace(-2.0, 2.0, 7)
        if hasattr(model, "explained_variance_"):
            scale = np.sqrt(np.asarray(model.explained_variance_, dtype=np.float64))
    values = np.asarray(values, dtype=np.float64).ravel()
    base = np.zeros(latent_dim) if base is None else np.asarray(base, dtype=np.float64)
    if base.shape != (latent_dim,):
        msg = f"base must have shape ({latent_dim},); got {base.shape}."
        raise ValueError(msg)
    Z = np.repeat(base[None, None, :], len(dims) * len(values), axis=0).reshape(
        len(dims), len(values), latent_dim)
    for i, d in enumerate(dims):
        Z[i, :, d] += values * scale[d]
    images = model.inverse_transform(Z.reshape(-1, latent_dim).astype(np.float32))
    return np.asarray(images).reshape(len(dims), len(values), *model.image_shape_)
