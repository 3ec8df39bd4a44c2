"""Latent models of galaxy images (layer 2): the VAE, the autoencoder and PCA.

All three are scikit-learn transformers with one interface: images in (``(n, n_pixels)``,
``(n, h, w)`` or ``(n, c, h, w)`` for ``c`` bands), latents ``(n, latent_dim)`` out, and
``inverse_transform``, ``reconstruct``, ``encode``, ``sample``, ``score_samples`` and
``score`` (higher is better, so ``GridSearchCV`` can choose the latent size without
labels). This is the only package (with the study) that imports torch.

:func:`dask_transform` applies a fitted model's ``transform`` or ``score_samples`` to
images on Dask (a cluster, or the threaded scheduler), lazily or into a zarr store.
"""

from . import _likelihoods
from ._autoencoder import GalaxyAutoencoder
from ._dask import dask_transform
from ._pca import EigengalaxyPCA
from ._traversal import latent_traversal, traversal_effect
from ._vae import GalaxyVAE
from ._warnings import InactiveLatentWarning, UndertrainedWarning

#: The ``loss`` options of :class:`GalaxyVAE` and :class:`GalaxyAutoencoder`, the default
#: first: ``"analytic"`` (sigma^2 = the batch's mean squared error), ``"gaussian"``
#: (learned noise level), ``"gaussian_pixel"`` (one per pixel), ``"mse"`` (fixed 1/2),
#: ``"bce"`` (Bernoulli). See the user guide, "The decoder likelihood".
LIKELIHOODS = _likelihoods.LIKELIHOODS

__all__ = [
    "LIKELIHOODS",
    "EigengalaxyPCA",
    "GalaxyAutoencoder",
    "GalaxyVAE",
    "InactiveLatentWarning",
    "UndertrainedWarning",
    "dask_transform",
    "latent_traversal",
    "traversal_effect",
]
