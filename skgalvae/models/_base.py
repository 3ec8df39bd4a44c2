"""The one base estimator shared by :class:`GalaxyVAE` and :class:`GalaxyAutoencoder`.

A plain scikit-learn transformer that owns the parameters and the validation, and builds
a :class:`skorch.NeuralNet` (``net_``) in :meth:`fit` (composition, not inheritance).
The loss lives in a small ``NeuralNet`` subclass overriding ``get_loss``; the torch
modules live in ``_nets.py``.
"""

import copy
import math
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, PassthroughScoring
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from skorch.utils import to_tensor

from ..utils._images import validate_images
from ._nets import (
    LatentNet,
    decoder_mean,
    kl_divergence,
    reconstruction_nll,
    uses_conv,
)
from ._score import MeanLikelihoodScoreMixin

_HISTORY_KEYS = ["epoch", "train_loss", "train_recon", "train_kl", "valid_loss",
                 "valid_recon", "valid_kl", "dur"]


def resolve_device(device):
    """``"auto"`` -> ``"cuda"`` when a GPU is visible, else ``"cpu"``; others unchanged."""
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        return str(torch.device(device))
    except (RuntimeError, TypeError) as exc:
        msg = f"device={device!r} is not a torch device: use 'auto', 'cpu' or 'cuda'."
        raise ValueError(msg) from exc


class _ELBONet(NeuralNet):
    """``NeuralNet`` whose loss is the negative ELBO (or the reconstruction loss).

    ``get_loss`` returns ``mean(recon_nll) + beta * mean(KL)`` per batch, records both
    parts in the batch history (``train_recon``, ``train_kl``, ``valid_*``) and raises
    :class:`FloatingPointError` on a non-finite loss.
    """

    def __init__(self, *args, beta=1.0, likelihood="mse", variational=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.beta = beta
        self.likelihood = likelihood
        self.variational = variational

    def get_loss(self, y_pred, y_true, X=None, training=False):
        recon, mu, logvar = y_pred
        X = to_tensor(X, device=self.device)
        rec = reconstruction_nll(recon, X, self.likelihood).mean()
        kl = kl_divergence(mu, logvar).mean() if self.variational else rec.new_zeros(())
        loss = rec + self.beta * kl
        if not torch.isfinite(loss):
            epoch = len(self.history)
            msg = (
                f"The training loss became {loss.item()} in epoch {epoch}: training "
                f"diverged (lr={self.lr}). Lower lr (e.g. by 10x), check that the "
                f"images are scaled to [0, 1] (LogScaler) and hold no NaN or inf, or use "
                f"loss='bce'. The model was not fitted."
            )
            raise FloatingPointError(msg)
        prefix = "train" if training else "valid"
        self.history.record_batch(f"{prefix}_recon", rec.item())
        self.history.record_batch(f"{prefix}_kl", kl.item())
        return loss


class BaseLatentModel(MeanLikelihoodScoreMixin, ClassNamePrefixFeaturesOutMixin,
                      TransformerMixin, BaseEstimator):
    """Shared machinery of the skorch-backed latent models (not public).

    Subclasses set ``_variational`` and define ``__init__`` with their parameters
    (:class:`GalaxyVAE` adds ``beta``).
    """

    _variational = True

    _parameter_constraints: dict = {
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "channels": ["array-like"],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "hidden_dim": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions({"mse", "bce"})],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [callable],
        "validation_fraction": [Interval(Real, 0, 1, closed="left"), None],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "image_shape": ["array-like", None],
    }

    # ------------------------------------------------------------------ fitting
    def _validate_X(self, X, *, reset):
        X = validate_images(self, X, reset=reset, dtype=np.float32)
        if not X.flags.writeable or not X.flags.c_contiguous:
            X = np.array(X, dtype=np.float32, order="C")
        return X

    def _split(self, n_samples, rng):
        """Shuffled train / validation indices (validation empty when disabled)."""
        frac = self.validation_fraction or 0.0
        n_valid = math.ceil(frac * n_samples) if frac > 0 else 0
        if n_valid == 0 or n_samples - n_valid < 1:
            return np.arange(n_samples), np.array([], dtype=int)
        perm = rng.permutation(n_samples)
        return np.sort(perm[n_valid:]), np.sort(perm[:n_valid])

    def _make_net(self, X_valid):
        channels = tuple(int(c) for c in self.channels)
        callbacks = [
            ("train_recon", PassthroughScoring("train_recon", lower_is_better=None,
                                               on_train=True)),
            ("train_kl", PassthroughScoring("train_kl", lower_is_better=None,
                                            on_train=True)),
        ]
        train_split = None
        if len(X_valid):
            train_split = predefined_split(Dataset(torch.from_numpy(X_valid)))
            callbacks += [
                ("valid_recon", PassthroughScoring("valid_recon", lower_is_better=None)),
                ("valid_kl", PassthroughScoring("valid_kl", lower_is_better=None)),
                ("early_stopping", EarlyStopping(monitor="valid_loss",
                                                 patience=self.patience,
                                                 load_best=True,
                                                 sink=print if self.verbose else _silent)),
            ]
        callbacks += copy.deepcopy(list(self.callbacks or []))
        return _ELBONet(
            LatentNet,
            module__image_shape=self.image_shape_,
            module__latent_dim=self.latent_dim,
            module__channels=channels,
            module__kernel_size=self.kernel_size,
            module__hidden_dim=self.hidden_dim,
            module__variational=self._variational,
            criterion=torch.nn.MSELoss,  # unused: get_loss computes the loss
            beta=getattr(self, "beta", 0.0),
            likelihood=self.loss,
            variational=self._variational,
            optimizer=self.optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            train_split=train_split,
            callbacks=callbacks,
            device=self.device_,
            verbose=int(self.verbose),
            torch_load_kwargs={"weights_only": False},
        )

    def fit(self, X, y=None):
        """Train the network on images ``X``.

        Interrupting with Ctrl-C (``KeyboardInterrupt``) stops training at the end of
        the current batch and keeps the model trained so far (skorch's behaviour): the
        estimator is fitted and usable.

        Parameters
        ----------
        X : array-like of shape (n_samples, h*w), (n, h, w) or (n, 1, h, w)
            Images, ideally scaled to [0, 1] (e.g. by
            :class:`~skgalvae.preprocessing.LogScaler`); required for ``loss="bce"``.
        y : None
            Ignored.

        Returns
        -------
        self : object

        Raises
        ------
        FloatingPointError
            If the loss becomes NaN or infinite (training diverged); the estimator is
            then left unfitted.
        """
        self._validate_params()
        X = self._validate_X(X, reset=True)
        if self.loss == "bce" and (X.min() < 0 or X.max() > 1):
            msg = (
                f"loss='bce' needs pixel values in [0, 1]; X spans [{X.min():.3g}, "
                f"{X.max():.3g}]. Scale the images (e.g. LogScaler) or use loss='mse'."
            )
            raise ValueError(msg)
        self.device_ = resolve_device(self.device)
        self.conv_ = uses_conv(self.image_shape_, tuple(self.channels))
        if not self.conv_ and min(self.image_shape_) >= 8:
            msg = (
                f"Images of shape {self.image_shape_} are smaller than "
                f"2 ** len(channels) = {2 ** len(self.channels)} pixels a side: using a "
                f"dense network. Pass fewer channels (e.g. channels=(8, 16)) for a "
                f"convolutional one."
            )
            warnings.warn(msg, UserWarning, stacklevel=2)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        train_idx, valid_idx = self._split(len(X), rng)
        device = torch.device(self.device_)
        forked = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=forked):
            torch.manual_seed(seed)
            net = self._make_net(X[valid_idx])
            X_train = X[train_idx] if len(valid_idx) else X  # no copy without validation
            net.fit(torch.from_numpy(X_train), None)
        self.net_ = net
        self.n_epochs_ = len(net.history)
        self.history_ = self._history_frame(net.history)
        return self

    @staticmethod
    def _history_frame(history):
        rows = [{k: epoch.get(k, np.nan) for k in _HISTORY_KEYS} for epoch in history]
        return pd.DataFrame(rows, columns=_HISTORY_KEYS)

    # ------------------------------------------------------------------ inference
    def _batches(self, X):
        module = self.net_.module_
        module.eval()
        step = max(int(self.batch_size), 256)
        with torch.no_grad():
            for start in range(0, len(X), step):
                yield module, torch.as_tensor(X[start:start + step]).to(self.device_)

    def _encode(self, X):
        mus, stds = [], []
        for module, xb in self._batches(X):
            mu, logvar = module.encode(xb)
            mus.append(mu.cpu().numpy())
            stds.append(torch.exp(0.5 * logvar).cpu().numpy())
        return np.concatenate(mus), np.concatenate(stds)

    def _decode(self, Z):
        out = []
        for module, zb in self._batches(Z):
            out.append(decoder_mean(module.decode(zb), self.loss).cpu().numpy())
        return np.concatenate(out).astype(np.float32, copy=False)

    def transform(self, X):
        """Posterior mean of the latent variables (deterministic).

        Parameters
        ----------
        X : array-like of shape (n_samples, h*w), (n, h, w) or (n, 1, h, w)

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim), float32
        """
        check_is_fitted(self)
        return self._encode(self._validate_X(X, reset=False))[0]

    def encode(self, X):
        """Posterior mean and standard deviation of the latent variables.

        Parameters
        ----------
        X : array-like of shape (n_samples, h*w), (n, h, w) or (n, 1, h, w)

        Returns
        -------
        mean : ndarray of shape (n_samples, latent_dim)
        std : ndarray of shape (n_samples, latent_dim)
            Zeros for the (deterministic) autoencoder.
        """
        check_is_fitted(self)
        mean, std = self._encode(self._validate_X(X, reset=False))
        if not self._variational:
            std = np.zeros_like(mean)
        return mean, std

    def _check_Z(self, Z):
        Z = np.asarray(Z, dtype=np.float32)
        if Z.ndim != 2 or Z.shape[1] != self.latent_dim:
            msg = (
                f"Latent vectors must have shape (n_samples, {self.latent_dim}) "
                f"(latent_dim={self.latent_dim}); got shape {Z.shape}."
            )
            raise ValueError(msg)
        if not np.all(np.isfinite(Z)):
            msg = "Latent vectors contain NaN or inf."
            raise ValueError(msg)
        return np.ascontiguousarray(Z)

    def inverse_transform(self, Z):
        """Decode latent vectors into flat images.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)

        Returns
        -------
        X : ndarray of shape (n_samples, h*w), float32
            Decoder mean (pixel probabilities for ``loss="bce"``). Reshape with
            ``X.reshape(-1, *model.image_shape_)``.
        """
        check_is_fitted(self)
        return self._decode(self._check_Z(Z))

    def reconstruct(self, X):
        """Decode the posterior mean of ``X``: ``inverse_transform(transform(X))``.

        Parameters
        ----------
        X : array-like of shape (n_samples, h*w), (n, h, w) or (n, 1, h, w)

        Returns
        -------
        X_rec : ndarray of shape (n_samples, h*w), float32
        """
        return self.inverse_transform(self.transform(X))

    def sample(self, n_samples=1, random_state=None):
        """Draw images from the prior: decode ``z ~ N(0, I)``.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        X : ndarray of shape (n_samples, h*w), float32
        """
        check_is_fitted(self)
        rng = check_random_state(random_state)
        Z = rng.standard_normal((int(n_samples), self.latent_dim)).astype(np.float32)
        return self._decode(Z)

    def score_samples(self, X):
        """Per-galaxy evidence lower bound (ELBO) in nats; higher is more typical.

        ``log p(x) >= E_q[log p(x | z)] - KL(q(z | x) || p(z))``, with the first term
        evaluated at the posterior mean (deterministic). The Gaussian likelihood
        (``loss="mse"``) has variance 1/2 per pixel and includes its normalising
        constant. For the autoencoder this is the negative reconstruction loss (no KL).
        The ELBO bounds the same ``log p(x)`` whatever ``latent_dim``, so scores compare
        across model sizes; low scores flag unusual galaxies (mergers, irregulars,
        artefacts).

        Parameters
        ----------
        X : array-like of shape (n_samples, h*w), (n, h, w) or (n, 1, h, w)

        Returns
        -------
        scores : ndarray of shape (n_samples,), float64
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        out = []
        for module, xb in self._batches(X):
            mu, logvar = module.encode(xb)
            nll = reconstruction_nll(module.decode(mu), xb, self.loss, constant=True)
            if self._variational:
                nll = nll + kl_divergence(mu, logvar)
            out.append(-nll.double().cpu().numpy())
        return np.concatenate(out)

    def to_device(self, device):
        """Move the fitted network to ``device`` ("cpu", "cuda", "auto") in place.

        ``set_params(device=...)`` only affects the next :meth:`fit`; use this method
        to move a fitted model (e.g. trained on a GPU, used on a laptop). Unpickling a
        GPU-trained model on a machine without CUDA maps it to the CPU automatically.

        Parameters
        ----------
        device : str or torch.device

        Returns
        -------
        self : object
        """
        check_is_fitted(self)
        device = resolve_device(device)
        self.net_.module_.to(device)
        self.net_.device = device
        self.device_ = device
        return self

    @property
    def _n_features_out(self):
        return self.latent_dim

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _silent(*args, **kwargs):
    """Sink for EarlyStopping's message (printed only when ``verbose``)."""
