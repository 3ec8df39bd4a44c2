"""The convolutional variational autoencoder as a scikit-learn transformer."""

from numbers import Real

import torch
from sklearn.utils._param_validation import Interval

from ._base import BaseLatentModel

_PARAMS_DOC = """
    latent_dim : int, default=2
        Number of latent variables (the seed study used 2).
    channels : tuple of int, default=(4, 8, 16, 32, 64)
        Output channels of the stride-2 convolutions of the encoder, outermost first;
        the decoder mirrors them with transposed convolutions and crops (or resizes) its
        output to the exact input size, so any image size works (50x50, 150x150, 64x48). Few
        channels in the first, full-resolution layers keep 150x150 images fast on a
        CPU. Images with fewer than ``2 ** len(channels)`` pixels a side (32 by
        default) use a dense network instead: pass fewer channels, e.g. ``(8, 16)``,
        for small images. The depth sets where the decoder starts: on 64x64 images
        the default five layers start from a 2x2 grid, and ``(8, 16)`` (a 16x16 grid)
        reconstructs and predicts better (colour, properties, morphology; measured in
        the user guide, "The measured cause: the decoder's depth").
    kernel_size : int, default=3
        Side of the convolution kernels.
    hidden_dim : int, default=256
        Width of the dense layer between the convolutions and the latent layer.
    loss : {"analytic", "gaussian", "gaussian_pixel", "mse", "bce"}, default="analytic"
        Likelihood of the pixels ``p(x | z)`` (see :ref:`likelihoods`):

        - ``"analytic"``: Gaussian whose variance is, at each step, the batch's mean
          squared error -- its maximum-likelihood value (the calibrated decoder of
          Rybkin, Daniilidis & Levine 2021, "sigma-VAE") -- and after training the
          training set's. The default: the reconstruction term then weighs as much as
          the data's noise warrants, so the KL term does not swamp it and the latents
          stay active.
        - ``"gaussian"``: one noise level ``sigma`` for every pixel, learned with the
          weights. It can stall at its starting value with every latent unused (measured:
          one seed in three at stretch 0.5), which ``"analytic"`` cannot.
        - ``"gaussian_pixel"``: one learned ``sigma`` per pixel, shared by all
          galaxies.
        - ``"mse"``: a fixed ``sigma^2 = 1/2`` (summed squared error), the classic
          uncalibrated VAE loss. On images in [0, 1] whose residuals are a few
          percent it makes the KL term ~100 times too strong: latents collapse.
          Keep it to reproduce older results, or for data with unit noise.
        - ``"bce"``: Bernoulli on the decoder logits (summed binary cross-entropy);
          pixel values must lie in [0, 1], as after
          :class:`~skgalvae.preprocessing.LogScaler`. For nearly binary images.

        The fitted model keeps the likelihood it was trained with
        (:attr:`likelihood_`): changing ``loss`` later has no effect until the next
        :meth:`fit`.
    max_epochs : int, default=30
    batch_size : int, default=64
    lr : float, default=1e-3
        Learning rate. Lower it if training diverges.
    optimizer : torch optimizer class, default=torch.optim.Adam
    validation_fraction : float, "auto" or None, default="auto"
        Fraction of the images held out (``ceil(validation_fraction * n_samples)``, a
        random, shuffled subset drawn with ``random_state``) to monitor the validation
        loss; training stops early when it has not improved for ``patience`` epochs and
        the weights of the best epoch are restored. Both the training and the validation
        images must number at least 2, else :meth:`fit` raises a ``ValueError``.
        ``"auto"``: 0.1 when that leaves at least 2 of each (11 images or more), else no
        validation. ``0`` or ``None``: no validation, no early stopping.
    patience : int, default=5
        Epochs without improvement of the validation loss before stopping.
    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA when available, else the CPU. To move a fitted model, use
        :meth:`to_device`.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batch order, the sampling noise and the validation
        split. Training runs inside ``torch.random.fork_rng``, so the global torch
        random state is untouched. Same seed on the CPU: identical latents.
    verbose : int, default=0
        ``> 0`` prints skorch's table of epoch losses.
    callbacks : list or None, default=None
        Extra skorch callbacks (instances or ``(name, callback)`` pairs), copied at
        each fit.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` of flat one-band rows, or ``(bands, height, width)`` of
        flat multi-band rows (band-major: ``row.reshape(bands, height, width)[k]`` is
        band ``k``); inferred from 3-D input ``(n, h, w)`` (one band), 4-D input
        ``(n, bands, h, w)`` or for square one-band images. Each band is an input
        channel of the first convolution and an output channel of the decoder; one band
        is exactly the network of before multi-band support.
    num_workers : int, default=0
        Worker processes of the torch ``DataLoader`` that reads on-disk input
        (memory-mapped ``.npy``, zarr, HDF5) during training; 0 reads in the main
        process. Each worker reopens the data (a memmap from its file, offset and
        layout, an HDF5 dataset from its file and dataset names, so the file must be
        readable by its path) instead of receiving a copy; on the CPU the result is the
        same as with 0. In-memory arrays ignore it.
    shuffle_blocks : int or "auto", default="auto"
        Rows per block of the training shuffle: each epoch the batches are drawn from a
        fresh random permutation of blocks of consecutive rows (rows ``r`` with the same
        ``r // shuffle_blocks``, the validation rows left out), so that reads from a
        chunked store stay sequential and each chunk is decompressed once an epoch.
        ``"auto"``: the store's chunk length along the first axis for zarr and HDF5
        input, 1 (a plain shuffle of rows, the very batches of in-memory input with the
        same seed) otherwise. In-memory input with a value above 1 is shuffled in blocks
        as well.
    precision : {"32", "bf16", "16"}, default="32"
        Arithmetic of training on a GPU: float32, or mixed precision with bfloat16 or
        float16 autocasting (float16 with a gradient scaler). The CPU trains in float32
        whatever this says.
    channels_last : bool, default=False
        Train the convolutions in the channels-last memory format (faster on recent GPUs).
    compile : bool, default=False
        Compile the network with :func:`torch.compile` before training.
    checkpoint_dir : str, path-like or None, default=None
        Folder where the network, the optimizer, the history and the random state are
        written (atomically) at the end of every epoch; ``fit(X, resume=True)`` continues
        an interrupted training from it. With ``distributed=True`` rank 0 alone writes
        them; resuming needs the folder readable by every rank.
    distributed : bool, default=False
        Data-parallel training through Hugging Face Accelerate (the ``distributed``
        extra): run the script under ``accelerate launch --num_processes N`` or
        ``torchrun --nproc_per_node N`` and call :meth:`fit` with the same ``X`` on
        every rank. Each rank trains on its own share of every epoch's batches
        (``batch_size`` per rank: ``N * batch_size`` images a step), the gradients are
        averaged, the validation loss and early stopping agree across ranks, and the
        fitted model is an ordinary, picklable one on every rank. In a single process
        (no launcher) training is the same as with ``False``. :meth:`partial_fit`
        trains in the calling process alone. See :ref:`distributed-training`.
"""

_ATTRS_DOC = """
    net_ : skorch.NeuralNet
        The trained network (its ``module_`` is a :class:`torch.nn.Module`; its
        ``module_.likelihood`` the decoder likelihood).
    latent_dim_ : int
        Number of latents of the fitted network (what :meth:`inverse_transform`,
        :meth:`get_feature_names_out` and traversals use).
    likelihood_ : str
        The ``loss`` the network was trained with.
    noise_std_ : float, ndarray of shape (bands,), ndarray of shape (n_pixels,) or None
        Fitted decoder noise standard deviation of a Gaussian likelihood: one value
        for one band; one per band for ``"analytic"`` and ``"gaussian"`` on
        ``bands > 1`` images (estimated per band, see :ref:`likelihoods`); one per pixel
        for ``"gaussian_pixel"``; ``sqrt(1/2)`` for ``"mse"``; None for ``"bce"``.
    reconstruction_mse_ : float
        Mean squared error per pixel (all bands) of the reconstructions of the training
        images.
    reconstruction_mse_per_band_ : ndarray of shape (bands,)
        The same per band (only for ``bands > 1`` images); an ``"analytic"``
        likelihood is calibrated to it.
    latent_std_ : ndarray of shape (latent_dim_,)
        Standard deviation of each latent's posterior mean across the training images.
    kl_per_latent_ : ndarray of shape (latent_dim_,)
        Mean KL divergence of each latent's posterior from the prior over the training
        images, in nats (NaN for the autoencoder).
    active_latents_ : ndarray of bool, shape (latent_dim_,)
        Latents whose posterior mean varies across the images (variance > 0.01, the
        "active units" of Burda et al. 2016); a VAE warns about the others.
    n_active_latents_ : int
    history_ : pandas.DataFrame
        One row per epoch: ``train_loss``, ``train_recon``, ``train_kl``, ``valid_loss``,
        ``valid_recon``, ``valid_kl`` (per-image means in nats; NaN without validation),
        ``decoder_std`` (the decoder noise level; NaN for ``"bce"``), ``train_kl_0``,
        ``train_kl_1``, ... (the KL of each latent) and ``dur`` (seconds).
    n_epochs_ : int
        Epochs trained (fewer than ``max_epochs`` after early stopping).
    image_shape_ : tuple of int
    device_ : str
        Device the fitted network lives on.
    conv_ : bool
        Whether the convolutional network was used (False for tiny images).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string feature names.
"""

_NOTES_DOC = """
    A failed :meth:`fit` (an error, a diverging loss, Ctrl-C) leaves the estimator as it
    was before the call. A loss that becomes NaN or infinite raises :class:`FloatingPointError`
    with advice; NaN latents are never returned. Pickling keeps the network, optimizer
    state and history; ``transform`` gives identical results after unpickling.
    Results differ slightly between thread counts and devices (float32 arithmetic).
"""


class GalaxyVAE(BaseLatentModel):
    __doc__ = f"""Convolutional variational autoencoder (beta-VAE) for galaxy images.

    A scikit-learn transformer that trains a :class:`skorch.NeuralNet` in :meth:`fit`:
    an encoder to a diagonal Gaussian posterior ``q(z | x)``, a decoder ``p(x | z)``,
    and the loss ``-E_q[log p(x | z)] + beta * KL(q(z | x) || N(0, I))``.
    :meth:`transform` returns the posterior mean, the embedding to use downstream.

    Parameters
    ----------{_PARAMS_DOC.replace('''    channels :''', '''    beta : float, default=1.0
        Weight of the KL term (beta-VAE); ``beta > 1`` favours disentangled latents,
        ``beta < 1`` sharper reconstructions.
    channels :''', 1)}
    Attributes
    ----------{_ATTRS_DOC}
    See Also
    --------
    GalaxyAutoencoder : the deterministic autoencoder.
    EigengalaxyPCA : the linear baseline.
    latent_traversal : decoded images along each latent axis.

    Notes
    -----{_NOTES_DOC}
    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.models import GalaxyVAE
    >>> X = np.random.default_rng(0).random((40, 16, 16), dtype=np.float32)
    >>> vae = GalaxyVAE(latent_dim=2, channels=(8, 16), max_epochs=2, random_state=0)
    >>> vae = vae.fit(X)
    >>> vae.transform(X).shape
    (40, 2)
    >>> vae.inverse_transform(np.zeros((1, 2))).shape
    (1, 256)
    >>> vae.get_feature_names_out()
    array(['galaxyvae0', 'galaxyvae1'], dtype=object)
    """

    _parameter_constraints: dict = {
        **BaseLatentModel._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, latent_dim=2, *, beta=1.0, channels=(4, 8, 16, 32, 64),
                 kernel_size=3, hidden_dim=256, loss="analytic", max_epochs=30,
                 batch_size=64, lr=1e-3, optimizer=torch.optim.Adam,
                 validation_fraction="auto", patience=5, device="auto", random_state=None,
                 verbose=0, callbacks=None, image_shape=None, num_workers=0,
                 shuffle_blocks="auto", precision="32", channels_last=False, compile=False,
                 checkpoint_dir=None, distributed=False):
        self.latent_dim = latent_dim
        self.beta = beta
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
