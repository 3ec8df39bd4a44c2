"""skgalvae: latent representations of galaxy images, the scikit-learn way.

Images travel through a Pipeline as ``(n_samples, height * width)`` float arrays; catalogs
are pandas DataFrames with one row per galaxy. The subpackages:

- :mod:`skgalvae.io` -- reading FITS cutouts;
- :mod:`skgalvae.preprocessing` -- background, centring, rotation, resizing, log scaling;
- :mod:`skgalvae.datasets` -- the bundled SDSS sample, the simulator and the fetchers;
- :mod:`skgalvae.models` -- the VAE, the autoencoder and eigengalaxy PCA;
- :mod:`skgalvae.selection`, :mod:`skgalvae.analysis`, :mod:`skgalvae.plotting`.

The model classes are re-exported here lazily so that ``import skgalvae`` does not import
torch.
"""

import importlib

from ._version import __version__
from .utils import show_versions

_LAZY = {
    "GalaxyVAE": "skgalvae.models",
    "GalaxyAutoencoder": "skgalvae.models",
    "EigengalaxyPCA": "skgalvae.models",
    "latent_traversal": "skgalvae.models",
}

__all__ = ["__version__", "show_versions", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module 'skgalvae' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
