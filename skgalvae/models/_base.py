"""The one base estimator shared by :class:`GalaxyVAE` and :class:`GalaxyAutoencoder`.

A plain scikit-learn transformer that owns the parameters and the validation, and builds
a :class:`skorch.NeuralNet` (``net_``) in :meth:`fit` (composition, not inheritance).
The loss lives in a small ``NeuralNet`` subclass overriding ``get_loss``; the torch
modules live in ``_nets.py``.
"""

import contextlib
import copy
import math
import os
import warnings
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, PassthroughScoring
from skorch.dataset import Dataset, unpack_data
from skorch.helper import predefined_split
from skorch.utils import is_dataset

from ..utils._images import n_channels, spatial_shape, validate_images
from ._checkpoint import (
    EpochCheckpoint,
    RestoreState,
    clear_checkpoints,
    fingerprint,
    load_checkpoint,
    load_into,
    remaining_epochs,
)
from ._data import is_lazy, training_data, validate_lazy_images, value_range
from ._likelihoods import LIKELIHOODS
from ._nets import LatentNet, elbo_terms, uses_conv
from ._score import MeanLikelihoodScoreMixin
from ._warnings import InactiveLatentWarning, UndertrainedWarning

_HISTORY_KEYS = ["epoch", "train_loss", "train_recon", "train_kl", "valid_loss",
                 "valid_recon", "valid_kl", "decoder_std", "dur"]
#: Variance of a latent's posterior mean across the data below which it is inactive
#: (Burda, Grosse & Salakhutdinov 2016).
ACTIVE_VARIANCE = 0.01
#: Largest absolute pixel value of images on the scale the networks are built for: scaled
#: images lie in [0, 1] (LogScaler) or within a few hundred of 0 (a StandardScaler). A fit
#: that diverges on data beyond this blames the data's scale before the learning rate.
SCALED_MAX_ABS = 1e3
#: ``validation_fraction="auto"``: hold out this fraction when it leaves at least
#: ``MIN_SPLIT`` training and validation images, else validate on nothing.
AUTO_VALIDATION_FRACTION = 0.1
MIN_SPLIT = 2


def resolve_device(device):
    """Resolve ``device`` to a torch device string that this machine can run.

    ``"auto"`` becomes ``"cuda"`` when a GPU is visible, else ``"cpu"``. Any other value must
    name a torch device that is available here: ``device="cuda"`` on a machine without CUDA
    raises a ``ValueError`` (before any work starts) instead of torch's ``AssertionError``
    deep inside training.
    """
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        msg = f"device={device!r} is not a torch device: use 'auto', 'cpu' or 'cuda'."
        raise ValueError(msg) from exc
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            msg = (
                f"device={device!r} asks for a GPU, but CUDA is not available on this machine "
                f"(torch {torch.__version__}, built with CUDA {torch.version.cuda}). "
                "Use device='auto' (a GPU when present, else the CPU) or device='cpu'."
            )
            raise ValueError(msg)
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            msg = (
                f"device={device!r} names GPU {resolved.index}, but this machine has "
                f"{torch.cuda.device_count()} GPU(s): use an index below that, or 'auto'."
            )
            raise ValueError(msg)
    elif resolved.type == "mps" and not torch.backends.mps.is_available():
        msg = (
            f"device={device!r} asks for Apple's MPS, which is not available on this machine: "
            "use device='auto' or device='cpu'."
        )
        raise ValueError(msg)
    return str(resolved)


def _bare(module):
    """The network inside a ``DistributedDataParallel`` wrapper (itself if unwrapped)."""
    return getattr(module, "module", module)


class _Interrupted(Exception):
    """Carries a KeyboardInterrupt through skorch, which would swallow it."""


class _ELBONet(NeuralNet):
    """``NeuralNet`` whose loss is the negative ELBO (or the reconstruction loss).

    The module's forward returns the terms of :func:`~skgalvae.models._nets.elbo_terms`;
    ``get_loss`` returns ``mean(nll) + beta * sum_j mean(KL_j)`` per batch, records the
    parts in the batch history (``train_recon``, ``train_kl``, ``train_kl_latents``,
    ``valid_*``) and raises :class:`FloatingPointError` on a non-finite loss.
    """

    def __init__(self, *args, beta=1.0, precision="32", channels_last=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.beta = beta
        self.precision = precision
        self.channels_last = channels_last

    # ---------------------------------------------------- mixed precision (GPU only)
    def amp_dtype(self):
        """The autocast dtype (bfloat16 / float16) on a GPU, None for float32 or the CPU."""
        if self.precision == "32" or torch.device(self.device).type != "cuda":
            return None
        return torch.bfloat16 if self.precision == "bf16" else torch.float16

    def initialize(self):
        super().initialize()
        if self.precision != "32" and torch.device(self.device).type != "cuda":
            msg = (
                f"precision={self.precision!r} applies to training on a GPU; on "
                f"device={str(self.device)!r} the network trains in float32."
            )
            warnings.warn(msg, UserWarning, stacklevel=2)
        if self.channels_last:
            self.module_.to(memory_format=torch.channels_last)
        # float16 needs its gradients scaled (bfloat16 has float32's range)
        self.grad_scaler_ = (torch.amp.GradScaler("cuda")
                             if self.amp_dtype() is torch.float16 else None)
        return self

    def infer(self, x, **fit_params):
        dtype = self.amp_dtype()
        if dtype is None:
            return super().infer(x, **fit_params)
        with torch.autocast("cuda", dtype=dtype):
            return super().infer(x, **fit_params)

    def train_step_single(self, batch, **fit_params):
        if getattr(self, "grad_scaler_", None) is None:
            return super().train_step_single(batch, **fit_params)
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        self.grad_scaler_.scale(loss).backward()
        return {"loss": loss, "y_pred": y_pred}

    def _step_optimizer(self, step_fn):
        if getattr(self, "grad_scaler_", None) is None:
            return super()._step_optimizer(step_fn)
        step_fn()  # zero the gradients, then the scaled backward pass
        for name in self._optimizers:
            self.grad_scaler_.step(getattr(self, name + "_"))
        self.grad_scaler_.update()
        return None

    def get_loss(self, y_pred, y_true, X=None, training=False):
        nll, kl, *_ = y_pred
        rec = nll.mean()
        kl_latents = kl.mean(0)
        kl_total = kl_latents.sum()
        loss = rec + self.beta * kl_total
        if not torch.isfinite(loss):
            epoch = len(self.history)
            msg = (
                f"The training loss became {loss.item()} in epoch {epoch}: training "
                f"diverged (lr={self.lr}). Lower lr (e.g. by 10x), check that the "
                f"images are scaled to [0, 1] (LogScaler) and hold no NaN or inf, or use "
                f"loss='bce'. The model was not fitted."
            )
            exc = FloatingPointError(msg)
            exc.loss_value, exc.epoch = loss.item(), epoch
            raise exc
        prefix = "train" if training else "valid"
        self.history.record_batch(f"{prefix}_recon", rec.item())
        self.history.record_batch(f"{prefix}_kl", kl_total.item())
        if training:
            self.history.record_batch("train_kl_latents", kl_latents.tolist())
        return loss

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt as exc:
            # skorch's EarlyStopping stops training by raising KeyboardInterrupt, which
            # skorch then swallows: let that one through; any other is the user's Ctrl-C.
            stopped = any(isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
                          for _, cb in self.callbacks_)
            if stopped:
                raise
            raise _Interrupted from exc


class _EpochDiagnostics(Callback):
    """Record the per-latent KL (mean over the epoch's batches) and the decoder noise.

    Also flags the likelihood as fitting for the whole of training (validation
    included), so that an ``"analytic"`` one uses each batch's optimal variance.
    """

    def on_train_begin(self, net, **kwargs):
        _bare(net.module_).likelihood.fitting = True

    def on_train_end(self, net, **kwargs):
        _bare(net.module_).likelihood.fitting = False

    def on_epoch_end(self, net, **kwargs):
        batches = [b for b in net.history[-1, "batches"] if "train_kl_latents" in b]
        if batches:
            sizes = np.array([b.get("train_batch_size", 1) for b in batches], float)
            kl = np.array([b["train_kl_latents"] for b in batches], float)
            net.history.record("train_kl_latents",
                               (sizes @ kl / sizes.sum()).round(6).tolist())
        std = _bare(net.module_).likelihood.epoch_noise_std()
        if std is not None:
            net.history.record("decoder_std", float(np.mean(std)))


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
        "loss": [StrOptions(set(LIKELIHOODS))],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [callable],
        "validation_fraction": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"}),
                                None],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "image_shape": ["array-like", None],
        "num_workers": [Interval(Integral, 0, None, closed="left")],
        "shuffle_blocks": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "precision": [StrOptions({"32", "bf16", "16"})],
        "channels_last": ["boolean"],
        "compile": ["boolean"],
        "checkpoint_dir": [str, os.PathLike, None],
        "distributed": ["boolean"],
    }

    # ------------------------------------------------------------------ fitting
    def _validate_X(self, X, *, reset):
        if is_lazy(X):  # memmap, zarr, HDF5: checked without reading it all
            return validate_lazy_images(self, X, reset=reset)
        X = validate_images(self, X, reset=reset, dtype=np.float32)
        if not X.flags.writeable or not X.flags.c_contiguous:
            X = np.array(X, dtype=np.float32, order="C")
        return X

    def _split(self, n_samples, rng):
        """Shuffled train / validation indices (validation empty when disabled).

        ``ceil(validation_fraction * n_samples)`` images are held out (as
        :func:`~sklearn.model_selection.train_test_split` counts them). Each side needs
        at least ``MIN_SPLIT`` images: ``"auto"`` validates on nothing when that fails; an
        explicit fraction raises a ``ValueError`` with the counts.
        """
        no_split = np.arange(n_samples), np.array([], dtype=int)
        frac = self.validation_fraction
        auto = isinstance(frac, str)
        if auto:
            frac = AUTO_VALIDATION_FRACTION
        if not frac:
            return no_split
        n_valid = math.ceil(frac * n_samples)
        n_train = n_samples - n_valid
        if n_valid < MIN_SPLIT or n_train < MIN_SPLIT:
            if auto:
                return no_split
            if n_samples < 2 * MIN_SPLIT:
                advice = (f"{n_samples} images are too few to hold any out: pass "
                          f"validation_fraction=None to train on all of them")
            else:
                advice = (
                    f"for {n_samples} images pass a validation_fraction in "
                    f"({(MIN_SPLIT - 1) / n_samples:.3g}, "
                    f"{(n_samples - MIN_SPLIT) / n_samples:.3g}], or None to train on all "
                    f"of them without validation"
                )
            msg = (
                f"validation_fraction={self.validation_fraction} of {n_samples} images "
                f"leaves {n_train} training and {n_valid} validation images; each needs "
                f"at least {MIN_SPLIT}: {advice} (no early stopping)."
            )
            raise ValueError(msg)
        perm = rng.permutation(n_samples)
        return np.sort(perm[n_valid:]), np.sort(perm[:n_valid])

    def _make_net(self, X_valid, init_sigma, iterators=None):
        channels = tuple(int(c) for c in self.channels)
        callbacks = [
            ("train_recon", PassthroughScoring("train_recon", lower_is_better=None,
                                               on_train=True)),
            ("train_kl", PassthroughScoring("train_kl", lower_is_better=None,
                                            on_train=True)),
            ("diagnostics", _EpochDiagnostics()),
        ]
        train_split = None
        if X_valid is not None and len(X_valid):
            train_split = predefined_split(X_valid if is_dataset(X_valid)
                                           else Dataset(torch.from_numpy(X_valid)))
            callbacks += [
                ("valid_recon", PassthroughScoring("valid_recon", lower_is_better=None)),
                ("valid_kl", PassthroughScoring("valid_kl", lower_is_better=None)),
                ("early_stopping", EarlyStopping(monitor="valid_loss",
                                                 patience=self.patience,
                                                 load_best=True,
                                                 sink=print if self.verbose else _silent)),
            ]
        callbacks += copy.deepcopy(list(self.callbacks or []))
        callbacks += list(getattr(self, "_training_callbacks", ()))  # checkpoints, resume
        net_class, accelerate = _ELBONet, {}
        accelerator = getattr(self, "_accelerator", None)  # fit(distributed=True) only
        if accelerator is not None:
            from ._distributed import DistributedELBONet, distributed_iterators

            net_class = DistributedELBONet
            accelerate = {"accelerator": accelerator, "unwrap_after_train": False,
                          # skorch's verbose applies to print only: one table, rank 0's
                          "callbacks__print_log__sink": (print if accelerator.is_main_process
                                                         else _silent)}
            iterators = distributed_iterators(iterators)
        return net_class(
            LatentNet,
            module__image_shape=self.image_shape_,
            module__latent_dim=self.latent_dim,
            module__channels=channels,
            module__kernel_size=self.kernel_size,
            module__hidden_dim=self.hidden_dim,
            module__variational=self._variational,
            module__likelihood=self.loss,
            module__init_sigma=init_sigma,
            criterion=torch.nn.MSELoss,  # unused: get_loss computes the loss
            beta=getattr(self, "beta", 0.0) if self._variational else 0.0,
            optimizer=self.optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            **(iterators or {}),  # lazy or block-shuffled data: _data.training_data
            train_split=train_split,
            callbacks=callbacks,
            device=self.device_,
            verbose=int(self.verbose),
            callbacks__print_log__keys_ignored=["train_kl_latents"],  # in history_
            torch_load_kwargs={"weights_only": False},
            precision=self.precision,
            channels_last=self.channels_last,
            compile=self.compile,
            **accelerate,
        )

    def fit(self, X, y=None, resume=False):
        """Train the network on images ``X``.

        At the end of training, one pass over the training images measures each
        latent's KL divergence and the spread of its posterior mean
        (:attr:`kl_per_latent_`, :attr:`latent_std_`, :attr:`active_latents_`) and
        calibrates an ``"analytic"`` likelihood's noise level; a VAE warns
        (:class:`~skgalvae.models.InactiveLatentWarning`) naming any latent whose
        posterior collapsed.

        A fit that fails (bad input, a diverging loss, Ctrl-C) leaves the estimator
        exactly as it was before the call, fitted or not, and re-raises.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)
            Images, ideally scaled to [0, 1] (e.g. by
            :class:`~skgalvae.preprocessing.LogScaler`); required for ``loss="bce"``.
            In-memory input (arrays, lists, DataFrames) is validated in full and copied
            to float32. On-disk input -- a memory-mapped ``.npy`` (``np.memmap``,
            ``np.load(path, mmap_mode="r")``), a zarr array or an h5py dataset, of any
            float or integer dtype -- stays on disk: batches are read lazily (through a
            ``DataLoader`` with ``num_workers`` workers, shuffled in blocks of
            ``shuffle_blocks`` rows) and converted to float32 one at a time, and only a
            sample of rows is checked for NaN / inf (all rows up to 1000, else 1000
            evenly spaced ones) and for the [0, 1] range of ``loss="bce"``.
        y : None
            Ignored.
        resume : bool, default=False
            Continue the training checkpointed in ``checkpoint_dir`` (after an
            interruption): the network, the optimizer, the history, early stopping's
            state, the split and the random state are restored, and training runs the
            epochs left to ``max_epochs``. On the CPU with the same data the result equals
            the uninterrupted fit's. Without a checkpoint there, training starts afresh.
            A checkpoint of other parameters or data raises a ``ValueError``.

        Returns
        -------
        self : object

        Raises
        ------
        FloatingPointError
            If the loss becomes NaN or infinite (training diverged).
        KeyboardInterrupt
            On Ctrl-C: nothing of the interrupted training is kept.
        ValueError
            If a parameter or ``X`` is invalid (checked before any training), e.g. a
            ``device`` this machine does not have, or a ``validation_fraction`` that
            leaves fewer than 2 training or validation images.

        Warns
        -----
        InactiveLatentWarning
            If a latent of the VAE carries (almost) no information.
        UndertrainedWarning
            If training took a single gradient step in all, or a callback stopped it
            inside an epoch.
        """
        before = dict(self.__dict__)
        try:
            self._fit(X, resume=resume)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        finally:
            self.__dict__.pop("_training_callbacks", None)
            self.__dict__.pop("_accelerator", None)
        # a new fit: a later partial_fit continues it from a fresh random state
        self.__dict__.pop("_partial_rng_", None)
        self.__dict__.pop("_partial_loader_", None)
        return self

    def partial_fit(self, X, y=None):
        """Train the network for one pass (one epoch) over the images ``X``.

        The first call (on an unfitted estimator) builds the network as :meth:`fit`
        does; every call then runs one epoch over ``X`` in shuffled batches, keeping the
        optimizer's state and the random state between calls, so that a loop over
        blocks of a survey -- yours, or Dask-ML's ``Incremental`` -- trains the model
        step by step. There is no validation split and no early stopping: all of ``X``
        is trained on. Two calls on the same ``X`` give the same network as
        ``fit(X)`` with ``max_epochs=2`` and ``validation_fraction=None`` (CPU, same
        ``random_state``). After each call the diagnostics (:attr:`latent_std_`,
        :attr:`kl_per_latent_`, :attr:`active_latents_`, ...) describe ``X``; no warning
        is raised for collapsed latents: check :attr:`active_latents_`. Calling it on
        a model trained by :meth:`fit` continues that training.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)
            A block of images, of the shape of the first call's.
        y : None
            Ignored.

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from skgalvae.models import GalaxyVAE
        >>> X = np.random.default_rng(0).random((32, 16 * 16), dtype=np.float32)
        >>> vae = GalaxyVAE(channels=(4, 8), hidden_dim=16, batch_size=8, random_state=0)
        >>> for block in np.array_split(X, 2):
        ...     vae = vae.partial_fit(block)
        >>> vae.n_epochs_, vae.transform(X).shape
        (2, (32, 2))
        """
        before = dict(self.__dict__)
        try:
            self._partial_fit(X)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        return self

    def _partial_fit(self, X):
        first = not hasattr(self, "net_")
        if first:
            self._validate_params()
            self.device_ = resolve_device(self.device)
        X = self._validate_X(X, reset=first)
        data = training_data(X, np.arange(len(X)), np.array([], dtype=int),
                             device=self.device_, shuffle_blocks=self.shuffle_blocks,
                             num_workers=self.num_workers)
        loader = {k: v for k, v in data.net_kwargs.items() if k.startswith("iterator")}
        if not first and loader != getattr(self, "_partial_loader_", loader):
            msg = (
                "partial_fit got a block of another kind than before (in memory vs on "
                "disk, or other shuffle_blocks): pass every block the same way, e.g. as "
                "in-memory arrays."
            )
            raise ValueError(msg)
        device = torch.device(self.device_)
        forked = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=forked):
            if first:
                rng = check_random_state(self.random_state)
                torch.manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
                self.conv_ = uses_conv(self.image_shape_, tuple(self.channels))
                self.__dict__.pop("_training_callbacks", None)
                net = self._make_net(None, _initial_sigma(data.X_train, self.image_shape_),
                                     data.net_kwargs)
                net.initialize()
            else:
                net = self.net_
                if getattr(self, "_partial_rng_", None) is not None:
                    torch.set_rng_state(self._partial_rng_)
            with _training_errors(data.scale_sample, self.lr):
                net.partial_fit(data.fit_X, None, epochs=1)
            self._partial_rng_ = torch.get_rng_state()
        self._partial_loader_ = loader
        self._adopt(net, data.X_train)

    def _checkpointing(self, resume, shape, seed, train_idx, valid_idx):
        """Set up the checkpoint callbacks; return the state to resume from, or None."""
        self._training_callbacks = []
        if self.checkpoint_dir is None:
            if resume:
                msg = ("fit(resume=True) needs checkpoint_dir: the folder where the "
                       "interrupted fit wrote its checkpoints.")
                raise ValueError(msg)
            return None
        root = Path(self.checkpoint_dir)
        if root.exists() and not root.is_dir():
            msg = f"checkpoint_dir {str(root)!r} is a file: pass a folder."
            raise ValueError(msg)
        accelerator = getattr(self, "_accelerator", None)
        print_ = fingerprint(self, *shape)
        found = load_checkpoint(root) if resume else None
        if found is not None:
            folder, state = found
            if state.get("fingerprint") != print_:
                msg = (
                    f"checkpoint_dir {str(root)!r} holds the checkpoint of a fit with other "
                    "parameters or data (only max_epochs, verbose, callbacks, device and "
                    "num_workers may change): pass the same ones, another folder, or "
                    "resume=False to start afresh (which replaces it)."
                )
                raise ValueError(msg)
            state["folder"] = folder
            seed, train_idx, valid_idx = state["seed"], state["train_idx"], state["valid_idx"]
        else:
            state = None
            if accelerator is None or accelerator.is_main_process:  # rank 0 writes
                clear_checkpoints(root)
        extra = {"seed": seed, "train_idx": np.asarray(train_idx),
                 "valid_idx": np.asarray(valid_idx), "fingerprint": print_}
        checkpoint = EpochCheckpoint
        if accelerator is not None:
            from ._distributed import RankZeroCheckpoint as checkpoint
        self._training_callbacks = [("checkpoint", checkpoint(root, extra)),
                                    ("restore_state", RestoreState(state))]
        return state

    def _fit(self, X, resume=False):
        # everything that can be checked is checked before any work: the parameters,
        # the device, the data and the split
        self._validate_params()
        self.device_ = resolve_device(self.device)
        accelerator = None
        if self.distributed:  # one process of a launcher's (or the only one)
            from ._distributed import agree, make_accelerator, release

            accelerator = self._accelerator = make_accelerator(self.device_, self.precision)
            device = accelerator.device  # cuda:<local rank>; "cpu:<rank>" on the CPU
            self.device_ = "cpu" if device.type == "cpu" else str(device)
        X = self._validate_X(X, reset=True)
        lo, hi = value_range(X) if self.loss == "bce" else (0, 1)  # lazy: its sample
        if lo < 0 or hi > 1:
            msg = (
                f"loss='bce' needs pixel values in [0, 1]; X spans [{lo:.3g}, "
                f"{hi:.3g}]. Scale the images (e.g. LogScaler) or use loss='analytic'."
            )
            raise ValueError(msg)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        train_idx, valid_idx = self._split(len(X), rng)
        if accelerator is not None:  # random_state=None: rank 0's split and seed
            seed, train_idx, valid_idx = agree(accelerator, (seed, train_idx, valid_idx))
        state = self._checkpointing(resume, X.shape, seed, train_idx, valid_idx)
        if state is not None:  # resume the checkpointed training: its split and seed
            seed, train_idx, valid_idx = state["seed"], state["train_idx"], state["valid_idx"]
        self.conv_ = uses_conv(self.image_shape_, tuple(self.channels))
        if not self.conv_ and min(spatial_shape(self.image_shape_)) >= 8:
            msg = (
                f"Images of shape {self.image_shape_} are smaller than "
                f"2 ** len(channels) = {2 ** len(self.channels)} pixels a side: using a "
                f"dense network. Pass fewer channels (e.g. channels=(8, 16)) for a "
                f"convolutional one."
            )
            warnings.warn(msg, UserWarning, stacklevel=3)
        data = training_data(X, train_idx, valid_idx, device=self.device_,
                             shuffle_blocks=self.shuffle_blocks,
                             num_workers=self.num_workers)
        X_train = data.X_train  # in memory, or rows read lazily from disk
        device = torch.device(self.device_)
        forked = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=forked):
            torch.manual_seed(seed)
            net = self._make_net(data.valid, _initial_sigma(X_train, self.image_shape_),
                                 data.net_kwargs)
            with _training_errors(data.scale_sample, self.lr):
                _train(net, data.fit_X, state, self.max_epochs)
            if accelerator is not None:  # unwrapped: a plain, picklable _ELBONet
                net = release(net)
        self._adopt(net, X_train)
        if accelerator is None or accelerator.is_main_process:  # once, not per rank
            self._warn_undertrained(len(X_train), len(valid_idx) > 0)
            self._warn_inactive()

    def _adopt(self, net, X_train):
        """Keep the trained ``net`` and set the fitted attributes that describe it
        (diagnostics measured in one pass over ``X_train``); shared by fit and partial_fit."""
        self.net_ = net
        self.latent_dim_ = int(self.latent_dim)
        self.likelihood_ = net.module_.likelihood.name
        self.n_epochs_ = len(net.history)
        self._diagnose(X_train)
        self.history_ = self._history_frame(net.history, self.latent_dim_)

    def _n_train_batches(self):
        return sum("train_loss" in batch for epoch in self.net_.history
                   for batch in epoch["batches"])

    def _warn_undertrained(self, n_train, validated):
        """Warn when the fit that just returned saw too little training to be trusted.

        A fit returns after ``max_epochs`` epochs, after early stopping (at the end of
        an epoch: every loss recorded), or when a callback stopped it inside an epoch
        the way skorch lets early stopping do (its losses missing: NaN in ``history_``).
        """
        last = self.history_.iloc[-1]
        losses = ["train_loss", "valid_loss"] if validated else ["train_loss"]
        name = type(self).__name__
        if not np.isfinite(last[losses].to_numpy(float)).all():
            msg = (
                f"Training of {name} stopped inside epoch {len(self.history_)} of "
                f"max_epochs={self.max_epochs}, before that epoch's loss was recorded "
                f"({' and '.join(losses)} NaN in its row of history_): a callback ended "
                f"it (skorch stops cleanly on the KeyboardInterrupt an early-stopping "
                f"callback raises). The model is fitted with the weights of that moment. "
                f"If that was not meant, stop at the end of an epoch (on_epoch_end) or "
                f"refit."
            )
            warnings.warn(msg, UndertrainedWarning, stacklevel=4)
        elif self._n_train_batches() == 1:
            msg = (
                f"{name} was trained with a single gradient step: 1 batch of {n_train} "
                f"training images in {self.n_epochs_} epoch(s) (max_epochs="
                f"{self.max_epochs}, batch_size={self.batch_size}), so the network is "
                f"barely trained. Raise max_epochs, or lower batch_size below the number "
                f"of training images."
            )
            warnings.warn(msg, UndertrainedWarning, stacklevel=4)

    def _diagnose(self, X):
        """One pass over the training images: latent spread and KL, reconstruction MSE
        (overall, and per band for calibrating a likelihood with ``c > 1`` bands)."""
        n, d = len(X), self.latent_dim_
        bands = n_channels(self.image_shape_)
        s1, s2, kl, sq = np.zeros(d), np.zeros(d), np.zeros(d), 0.0
        sq_bands = np.zeros(bands)
        for module, xb in self._batches(X):
            _, klb, recon, mu, _ = elbo_terms(module, xb)
            mu = mu.double()
            s1 += mu.sum(0).cpu().numpy()
            s2 += mu.pow(2).sum(0).cpu().numpy()
            kl += klb.double().sum(0).cpu().numpy()
            err = (module.likelihood.mean(recon) - xb).double().pow(2)
            sq += float(err.sum())
            if bands > 1:
                sq_bands += err.reshape(len(err), bands, -1).sum((0, 2)).cpu().numpy()
        mean = s1 / n
        self.latent_std_ = np.sqrt(np.clip(s2 / n - mean**2, 0, None))
        self.kl_per_latent_ = kl / n if self._variational else np.full(d, np.nan)
        self.active_latents_ = self.latent_std_**2 > ACTIVE_VARIANCE
        self.n_active_latents_ = int(self.active_latents_.sum())
        self.reconstruction_mse_ = sq / (n * X.shape[1])
        likelihood = _bare(self.net_.module_).likelihood
        if bands > 1:
            self.reconstruction_mse_per_band_ = sq_bands / (n * X.shape[1] / bands)
            likelihood.calibrate(self.reconstruction_mse_per_band_)
        else:
            self.__dict__.pop("reconstruction_mse_per_band_", None)
            likelihood.calibrate(self.reconstruction_mse_)
        self.noise_std_ = likelihood.noise_std()

    def _warn_inactive(self):
        if not self._variational or self.n_features_in_ is None:
            return
        inactive = np.flatnonzero(~self.active_latents_)
        if len(inactive) == 0 or self._n_train_batches() < 1:
            return
        dims = ", ".join(str(int(i)) for i in inactive)
        stds = ", ".join(f"{self.latent_std_[i]:.3f}" for i in inactive)
        kls = ", ".join(f"{self.kl_per_latent_[i]:.3f}" for i in inactive)
        msg = (
            f"{len(inactive)} of {self.latent_dim_} latents of {type(self).__name__} are "
            f"inactive (posterior collapse): latent(s) {dims} have posterior-mean std "
            f"{stds} (active needs > {ACTIVE_VARIANCE ** 0.5:.1f}) and KL {kls} nats on "
            f"the training images (beta={getattr(self, 'beta', None)}, "
            f"loss={self.loss!r}). Try "
            + ("a calibrated likelihood (loss='analytic'), " if self.loss == "mse" else "")
            + "a smaller beta, more epochs, or fewer latents."
        )
        warnings.warn(msg, InactiveLatentWarning, stacklevel=4)

    @staticmethod
    def _history_frame(history, latent_dim):
        keys = [*_HISTORY_KEYS[:-1], *(f"train_kl_{j}" for j in range(latent_dim)), "dur"]
        rows = []
        for epoch in history:
            row = {k: epoch.get(k, np.nan) for k in _HISTORY_KEYS}
            per_latent = epoch.get("train_kl_latents", [np.nan] * latent_dim)
            row.update({f"train_kl_{j}": v for j, v in enumerate(per_latent)})
            rows.append(row)
        return pd.DataFrame(rows, columns=keys)

    # ------------------------------------------------------------------ inference
    def _batches(self, X):
        module = _bare(self.net_.module_)
        module.eval()
        step = max(int(self.batch_size), 256)
        with torch.no_grad():
            for start in range(0, len(X), step):
                yield module, torch.as_tensor(X[start:start + step]).to(self.device_)

    def _encode(self, X):
        mus, stds = [], []
        for module, xb in self._batches(X):
            mu, logvar = module.encode(xb)
            # copies: mu is a view of the encoder's output, which .numpy() would keep
            # alive whole for every batch (+844 MiB over 10^6 images)
            mus.append(mu.cpu().numpy().copy())
            stds.append(torch.exp(0.5 * logvar).cpu().numpy())
        return np.concatenate(mus), np.concatenate(stds)

    def _decode(self, Z, generator=None):
        out = []
        for module, zb in self._batches(Z):
            recon = module.decode(zb)
            pixels = (module.likelihood.mean(recon) if generator is None
                      else module.likelihood.sample(recon, generator=generator))
            out.append(pixels.cpu().numpy())
        return np.concatenate(out).astype(np.float32, copy=False)

    def transform(self, X):
        """Posterior mean of the latent variables (deterministic).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim_), float32
        """
        check_is_fitted(self)
        return self._encode(self._validate_X(X, reset=False))[0]

    def encode(self, X):
        """Posterior mean and standard deviation of the latent variables.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)

        Returns
        -------
        mean : ndarray of shape (n_samples, latent_dim_)
        std : ndarray of shape (n_samples, latent_dim_)
            Zeros for the (deterministic) autoencoder.
        """
        check_is_fitted(self)
        mean, std = self._encode(self._validate_X(X, reset=False))
        if not self._variational:
            std = np.zeros_like(mean)
        return mean, std

    def _check_Z(self, Z):
        Z = np.asarray(Z, dtype=np.float32)
        if Z.ndim != 2 or Z.shape[1] != self.latent_dim_:
            msg = (
                f"Latent vectors must have shape (n_samples, {self.latent_dim_}) (the "
                f"fitted latent_dim_); got shape {Z.shape}."
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
        Z : array-like of shape (n_samples, latent_dim_)

        Returns
        -------
        X : ndarray of shape (n_samples, n_pixels), float32
            Decoder mean (pixel probabilities for ``loss="bce"``). Reshape with
            ``X.reshape(-1, *model.image_shape_)``.
        """
        check_is_fitted(self)
        return self._decode(self._check_Z(Z))

    def reconstruct(self, X):
        """Decode the posterior mean of ``X``: ``inverse_transform(transform(X))``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)

        Returns
        -------
        X_rec : ndarray of shape (n_samples, n_pixels), float32
        """
        return self.inverse_transform(self.transform(X))

    def sample(self, n_samples=1, random_state=None, *, noise=False):
        """Draw images from the prior: decode ``z ~ N(0, I)``.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            Seeds ``z`` (and the pixel noise with ``noise=True``).
        noise : bool, default=False
            False: the decoder mean of each ``z`` (a smooth image). True: one draw from
            the likelihood ``p(x | z)`` (Gaussian pixel noise of the fitted
            :attr:`noise_std_`, or binary pixels for ``loss="bce"``).

        Returns
        -------
        X : ndarray of shape (n_samples, n_pixels), float32
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
            msg = f"n_samples must be an integer >= 1, got {n_samples!r}."
            raise ValueError(msg)
        rng = check_random_state(random_state)
        Z = rng.standard_normal((int(n_samples), self.latent_dim_)).astype(np.float32)
        generator = None
        if noise:
            generator = torch.Generator(device=self.device_)
            generator.manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
        return self._decode(Z, generator=generator)

    def score_samples(self, X):
        """Per-galaxy evidence lower bound (ELBO) in nats; higher is more typical.

        ``log p(x) >= E_q[log p(x | z)] - KL(q(z | x) || p(z))``, with the first term
        evaluated at the posterior mean (deterministic), under the likelihood the model
        was trained with (:attr:`likelihood_`; a Gaussian one with its fitted noise
        level :attr:`noise_std_` and its normalising constant). The same function
        computes the training loss. For the autoencoder this is the log-likelihood of
        the reconstruction (no KL). The ELBO bounds the same ``log p(x)`` whatever
        ``latent_dim``, so scores compare across model sizes; low scores flag unusual
        galaxies (mergers, irregulars, artefacts).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)

        Returns
        -------
        scores : ndarray of shape (n_samples,), float64
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        out = []
        for module, xb in self._batches(X):
            nll, kl, *_ = elbo_terms(module, xb)
            out.append(-(nll.double() + kl.double().sum(1)).cpu().numpy())
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
        device = resolve_device(device)  # a ValueError before anything moves
        self.net_.module_.to(device)
        self.net_.device = device
        self.device_ = device
        return self

    @property
    def _n_features_out(self):
        return self.latent_dim_

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")

    def __setstate__(self, state):
        super().__setstate__(state)
        # skorch maps a GPU-trained net to the CPU on a machine without CUDA: follow it,
        # so that inference does not send batches to the missing GPU
        net = self.__dict__.get("net_")
        if net is not None and "device_" in self.__dict__:
            self.device_ = str(net.device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


@contextlib.contextmanager
def _training_errors(scale_sample, lr):
    """Turn what escapes skorch's training into the errors a user should see: the user's
    Ctrl-C as KeyboardInterrupt, a divergence on unscaled data as a scale problem."""
    try:
        yield
    except _Interrupted as exc:
        raise KeyboardInterrupt from exc.__cause__
    except FloatingPointError as exc:
        blamed = _blame_scale(exc, scale_sample, lr)
        if blamed is exc:
            raise
        raise blamed from exc


def _train(net, data, state, max_epochs):
    """``net.fit(data)``, or continue the checkpointed training ``state`` on ``data``."""
    if state is None:
        net.fit(data, None)
        return
    net.initialize()
    load_into(net, state["folder"])
    net.partial_fit(data, None, epochs=remaining_epochs(net, max_epochs))


def _initial_sigma(X, image_shape=None, max_rows=2000):
    """Starting noise level of a learned Gaussian: the pixel spread about the mean image.

    That is the error of a decoder that knows nothing, so the likelihood starts
    calibrated to the worst reconstruction and tightens as the decoder learns. A float
    for one band; for ``c > 1`` bands (``image_shape = (c, h, w)``) one value per band,
    each band's own spread.
    """
    rows = X[:: max(1, len(X) // max_rows)].astype(np.float64)
    bands = 1 if image_shape is None else n_channels(image_shape)
    if bands > 1:
        if len(rows) <= 1:
            return np.full(bands, 0.1)
        sq = ((rows - rows.mean(0)) ** 2).reshape(len(rows), bands, -1)
        spread = np.sqrt(sq.mean((0, 2)))
        return np.where(np.isfinite(spread), np.clip(spread, 1e-3, 1.0), 0.1)
    spread = float(np.sqrt(np.mean((rows - rows.mean(0)) ** 2))) if len(rows) > 1 else 0.1
    return float(np.clip(spread, 1e-3, 1.0)) if np.isfinite(spread) else 0.1


def _blame_scale(exc, X, lr):
    """The error for a diverged fit: the data's scale first when it is far from [0, 1]."""
    max_abs = max(float(X.max()), -float(X.min())) if X.size else 0.0
    if not max_abs > SCALED_MAX_ABS:
        return exc
    msg = (
        f"The training loss became {getattr(exc, 'loss_value', 'non-finite')} in epoch "
        f"{getattr(exc, 'epoch', '?')}: training diverged, and the data's scale is the "
        f"likely cause: the images reach max |x| = {max_abs:.3g}, far from the [0, 1] "
        f"range of scaled images (|x| <= {SCALED_MAX_ABS:g} expected). Scale X first, "
        f"e.g. with LogScaler (skgalvae.preprocessing) or a StandardScaler / MinMaxScaler "
        f"in a Pipeline before the model. Lower lr (now {lr}) only if training on scaled "
        f"images still diverges. The model was not fitted."
    )
    return FloatingPointError(msg)


def _silent(*args, **kwargs):
    """Sink for EarlyStopping's message (printed only when ``verbose``)."""
