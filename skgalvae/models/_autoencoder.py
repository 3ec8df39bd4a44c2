"""The convolutional (deterministic) autoencoder as a scikit-learn transformer."""

import torch

from ._base import BaseLatentModel
from ._vae import _ATTRS_DOC, _NOTES_DOC, _PARAMS_DOC


class GalaxyAutoencoder(BaseLatentModel):
    __doc__ = f"""Convolutional autoencoder for galaxy images.

    The same network and interface as :class:`GalaxyVAE` without the variational part:
    the encoder gives one point ``z`` per image and the loss is the reconstruction
    error alone. :meth:`encode` returns a zero standard deviation and
    :meth:`score_samples` the negative reconstruction loss (an out-of-distribution
    score). :meth:`sample` decodes ``z ~ N(0, I)``, which need not look like a galaxy:
    nothing ties an autoencoder's latent space to the prior.

    Parameters
    ----------{_PARAMS_DOC}
    Attributes
    ----------{_ATTRS_DOC}
    See Also
    --------
    GalaxyVAE : the variational autoencoder.
    EigengalaxyPCA : the linear baseline.

    Notes
    -----{_NOTES_DOC}
    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.models import GalaxyAutoencoder
    >>> X = np.random.default_rng(0).random((40, 16, 16), dtype=np.float32)
    >>> ae = GalaxyAutoencoder(latent_dim=3, channels=(8, 16), max_epochs=2,
    ...                        random_state=0).fit(X)
    >>> ae.transform(X).shape
    (40, 3)
    >>> ae.reconstruct(X).shape
    (40, 256)
    """

    _variational = False

    def __init__(self, latent_dim=2, *, channels=(4, 8, 16, 32, 64), kernel_size=3,
                 hidden_dim=256, loss="analytic", max_epochs=30, batch_size=64, lr=1e-3,
                 optimizer=torch.optim.Adam, validation_fraction="auto", patience=5,
                 device="auto", random_state=None, verbose=0, callbacks=None,
                 image_shape=None, num_workers=0, shuffle_blocks="auto", precision="32",
                 channels_last=False, compile=False, checkpoint_dir=None, distributed=False):
        self.latent_dim = latent_dim
        self.channels = channels
        self.kernel_size = kernel_size
        self.hidden_dim = hidden_dim
        self.loss = loss
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.image_shape = image_shape
        self.num_workers = num_workers
        self.shuffle_blocks = shuffle_blocks
        self.precision = precision
        self.channels_last = channels_last
        self.compile = compile
        self.checkpoint_dir = checkpoint_dir
        self.distributed = distributed
