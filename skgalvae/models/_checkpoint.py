"""Checkpoints of a latent model's training, written atomically each epoch, and resumption.

A checkpoint is one folder ``epoch-<k>/`` inside ``checkpoint_dir`` holding what skorch's
:class:`~skorch.callbacks.Checkpoint` saves (the network's parameters, the optimizer's state,
the history) and ``state.pt``: what else an exact continuation needs -- torch's random
state (the next epoch's shuffle and sampling noise), early stopping's counters and best
weights, the gradient scaler of float16 training, the train/validation split and a
fingerprint of the estimator's parameters and data. The folder is written under a
temporary name and renamed when complete; then the file ``LATEST`` is replaced
(atomically) by its name and older folders are removed. A crash at any moment leaves
``LATEST`` naming a complete checkpoint.
"""

import hashlib
import json
import os
import shutil
from pathlib import Path

import torch
from skorch.callbacks import Callback, Checkpoint, EarlyStopping

from ..utils._atomic import atomic_path

LATEST = "LATEST"
STATE = "state.pt"
_FILES = {"f_params": "params.pt", "f_optimizer": "optimizer.pt",
          "f_history": "history.json"}
#: Parameters that may change between an interrupted fit and its resumption.
_RESUMABLE = {"max_epochs", "verbose", "callbacks", "checkpoint_dir", "num_workers",
              "device"}


def fingerprint(estimator, n_samples, n_features):
    """Hash of what a checkpoint must match: the parameters (but the resumable ones)
    and the data's shape."""
    params = {
        key: repr(value) for key, value in sorted(estimator.get_params(deep=False).items())
        if key not in _RESUMABLE
    }
    blob = json.dumps([type(estimator).__name__, params, int(n_samples), int(n_features)])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _early_stopping(net):
    return next((cb for _, cb in net.callbacks_ if isinstance(cb, EarlyStopping)), None)


class EpochCheckpoint(Checkpoint):
    """skorch :class:`~skorch.callbacks.Checkpoint` of every epoch, committed atomically.

    Parameters
    ----------
    dirname : str or path-like
        The folder of the checkpoints.
    extra : dict
        Fixed entries of ``state.pt`` (the split, the fingerprint, the seed).
    """

    def __init__(self, dirname, extra=None):
        super().__init__(monitor=None, dirname=str(dirname), f_criterion=None,
                         event_name=None, **_FILES)
        self.extra = extra

    def save_model(self, net):
        root = Path(self.dirname)
        root.mkdir(parents=True, exist_ok=True)
        epoch = len(net.history)
        final = root / f"epoch-{epoch}"
        tmp = root / f".epoch-{epoch}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        net.save_params(**{key: str(tmp / name) for key, name in _FILES.items()})
        torch.save(training_state(net, self.extra), tmp / STATE)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        with atomic_path(root / LATEST) as part:
            Path(part).write_text(final.name)
        for old in root.glob("epoch-*"):
            if old != final:
                shutil.rmtree(old, ignore_errors=True)


def training_state(net, extra=None):
    """What a continuation needs beyond the parameters, optimizer and history."""
    stopper = _early_stopping(net)
    state = dict(extra or {})
    state["epoch"] = len(net.history)
    state["torch_rng"] = torch.get_rng_state()
    state["cuda_rng"] = (torch.cuda.get_rng_state_all() if torch.cuda.is_initialized()
                         else None)
    state["grad_scaler"] = (net.grad_scaler_.state_dict()
                            if getattr(net, "grad_scaler_", None) is not None else None)
    if stopper is not None:
        state["early_stopping"] = {
            "misses_": stopper.misses_,
            "dynamic_threshold_": stopper.dynamic_threshold_,
            "best_epoch_": getattr(stopper, "best_epoch_", 0),
            "best_model_weights_": getattr(stopper, "best_model_weights_", None),
        }
    return state


class RestoreState(Callback):
    """Put back, when training (re)starts, the state a checkpoint saved.

    It must come after :class:`~skorch.callbacks.EarlyStopping` in the callbacks, whose
    ``on_train_begin`` resets the counters this restores.
    """

    def __init__(self, state):
        self.state = state

    def on_train_begin(self, net, **kwargs):
        state, self.state = self.state, None  # once: a later partial_fit starts afresh
        if state is None:
            return
        stopper = _early_stopping(net)
        if stopper is not None and state.get("early_stopping") is not None:
            vars(stopper).update(state["early_stopping"])
        if state.get("grad_scaler") is not None and net.grad_scaler_ is not None:
            net.grad_scaler_.load_state_dict(state["grad_scaler"])
        torch.set_rng_state(state["torch_rng"])
        if state.get("cuda_rng") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])


def clear_checkpoints(dirname):
    """Remove the checkpoints of an earlier fit from ``dirname`` (a fresh fit starts)."""
    root = Path(dirname)
    if not root.is_dir():
        return
    (root / LATEST).unlink(missing_ok=True)
    for old in [*root.glob("epoch-*"), *root.glob(".epoch-*.tmp")]:
        shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(dirname):
    """The latest complete checkpoint in ``dirname`` as ``(folder, state)``, or None."""
    root = Path(dirname)
    pointer = root / LATEST
    if not pointer.is_file():
        return None
    folder = root / pointer.read_text().strip()
    if not (folder / STATE).is_file():
        msg = (
            f"checkpoint_dir {str(root)!r}: {LATEST} names {folder.name!r}, which is "
            "missing or incomplete. Delete the folder to start afresh."
        )
        raise ValueError(msg)
    state = torch.load(folder / STATE, map_location="cpu", weights_only=False)
    return folder, state


def load_into(net, folder):
    """Load a checkpoint's parameters, optimizer state and history into ``net``."""
    net.load_params(**{key: str(folder / name) for key, name in _FILES.items()})


def remaining_epochs(net, max_epochs):
    """Epochs still to train after a checkpoint.

    A checkpoint is written after early stopping has judged its epoch, and never for the
    epoch at which it stops training (it raises before), so a resumed fit re-runs that
    epoch and stops again, as the uninterrupted one did.
    """
    return max(int(max_epochs) - len(net.history), 0)
