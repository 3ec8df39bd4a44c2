"""Latent models of galaxy images (layer 2): the VAE, the autoencoder and PCA.

All three are scikit-learn transformers with one interface: images in (``(n, h*w)``,
``(n, h, w)`` or ``(n, 1, h, w)``), latents ``(n, latent_dim)`` out, and
``inverse_transform``, ``reconstruct``, ``encode``, ``sample``, ``score_samples`` and
``score`` (higher is better, so ``GridSearchCV`` can choose the latent size without
labels). This is the only package (with the study) that imports torch.
"""

from ._autoencoder import GalaxyAutoencoder
from ._pca import EigengalaxyPCA
from ._traversal import latent_traversal
from ._vae import GalaxyVAE

__all__ = ["EigengalaxyPCA", "GalaxyAutoencoder", "GalaxyVAE", "latent_traversal"]
