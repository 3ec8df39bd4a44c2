"""Data-parallel training through Hugging Face Accelerate (``distributed=True``).

The user's script runs once per process (``accelerate launch --num_processes N script.py``
or ``torchrun --nproc_per_node N script.py``) and calls ``fit`` on every rank with the same
data. Nothing here averages gradients or talks between processes by a protocol of its own:

- :class:`DistributedELBONet` is skorch's :class:`~skorch.hf.AccelerateMixin` on our
  :class:`~skgalvae.models._base._ELBONet`: ``accelerator.prepare`` wraps the module in
  :class:`torch.nn.parallel.DistributedDataParallel` (which averages the gradients) and
  shards each epoch's batches (accelerate's ``BatchSamplerShard``: rank ``r`` trains on
  batches ``r, r + N, r + 2N, ...`` of one shuffle that every rank draws alike);
- at the end of each epoch the batch records of all ranks are gathered
  (:func:`accelerate.utils.gather_object`), so that every rank's history -- the training
  and validation losses, early stopping's decision -- is the same;
- checkpoints are written by rank 0 alone (:class:`RankZeroCheckpoint`);
- after training :func:`release` unwraps the module and the optimizer and turns the net
  into a plain ``_ELBONet``: the fitted estimator pickles and loads in a single process
  like any other.

Without a launcher (one process) accelerate wraps nothing and shards nothing: training
is the same as with ``distributed=False``.
"""

import contextlib
import warnings

import torch
from skorch import NeuralNet
from skorch.callbacks import PrintLog
from skorch.hf import AccelerateMixin
from torch.utils.data import DataLoader

from ..utils._optional import import_optional
from ._base import _bare, _ELBONet
from ._checkpoint import EpochCheckpoint
from ._data import BlockBatchSampler, make_loader

#: accelerate's ``mixed_precision`` for each ``precision`` (on a GPU; the CPU: "no").
MIXED_PRECISION = {"32": "no", "bf16": "bf16", "16": "fp16"}


def make_accelerator(device, precision):
    """The :class:`accelerate.Accelerator` of one ``fit(distributed=True)``.

    Parameters
    ----------
    device : str
        The resolved ``device``: ``"cpu"`` runs CPU processes (gloo); any other lets
        accelerate give each process its GPU (``cuda:<local rank>``).
    precision : {"32", "bf16", "16"}
        Mixed precision on a GPU (accelerate's autocast and gradient scaler); float32
        on the CPU.

    Returns
    -------
    accelerator : accelerate.Accelerator
        Placing nothing itself (``device_placement=False``: skorch moves the module and
        the batches to ``accelerator.device``) and keeping torch's global random state
        the same on every rank at the start of each epoch (``rng_types=["torch"]``).
    """
    accelerate = import_optional("accelerate",
                                 purpose="distributed=True (data-parallel training)")
    cpu = torch.device(device).type == "cpu"
    mixed = "no" if cpu else MIXED_PRECISION[precision]
    try:
        return accelerate.Accelerator(cpu=cpu, mixed_precision=mixed,
                                      device_placement=False, rng_types=["torch"])
    except ValueError as exc:  # accelerate's process-wide state was set up otherwise
        msg = (
            f"distributed=True with device={device!r} and precision={precision!r} cannot "
            f"start: {exc} Accelerate keeps one device choice and one mixed precision per "
            "process: use the same device and precision for every distributed fit of a "
            "script (or run them in separate processes)."
        )
        raise ValueError(msg) from exc


def agree(accelerator, value):
    """``value`` as rank 0 has it, on every rank (the split and seed of a fit).

    Parameters
    ----------
    accelerator : accelerate.Accelerator
    value : object
        Picklable.

    Returns
    -------
    object
    """
    if accelerator.num_processes == 1:
        return value
    from accelerate.utils import broadcast_object_list

    return broadcast_object_list([value], from_process=0)[0]


class _IndexLists:
    """A batch sampler yielding lists of ints.

    accelerate's ``BatchSamplerShard`` pads the last round of batches by concatenating
    index batches as lists, which NumPy index arrays would add element by element.
    """

    def __init__(self, batches):
        self.batches = batches
        self.batch_size = batches.batch_size

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for batch in self.batches:
            yield [int(i) for i in batch]


def shard_loader(dataset, batch_size, shuffle=False, block_rows=1, num_workers=0,
                 pin_memory=False):
    """The ``iterator_train`` / ``iterator_valid`` of a distributed fit.

    The batches of :func:`~skgalvae.models._data.make_loader` (our datasets) or of skorch's
    default ``DataLoader`` (skorch's ``Dataset`` over in-memory images), drawn by
    :class:`~skgalvae.models._data.BlockBatchSampler`: its shuffle comes from torch's
    global random state, which accelerate keeps equal on every rank, so that the ranks
    agree on the order their shards are cut from -- and with one row per block it is
    the very shuffle of ``DataLoader(shuffle=True)`` with the same seed.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
    batch_size : int
    shuffle : bool, default=False
    block_rows : int, default=1
    num_workers : int, default=0
    pin_memory : bool, default=False

    Returns
    -------
    loader : torch.utils.data.DataLoader
        For ``accelerator.prepare`` (skorch's ``AccelerateMixin.get_iterator``) to shard.
    """
    kwargs = {}
    if hasattr(dataset, "block_starts"):  # RowsDataset, ResidentDataset
        base = make_loader(dataset, batch_size, shuffle=shuffle, block_rows=block_rows,
                           num_workers=num_workers, pin_memory=pin_memory)
        sampler = base.batch_sampler
        kwargs = {"collate_fn": base.collate_fn, "worker_init_fn": base.worker_init_fn}
    else:
        sampler = BlockBatchSampler(len(dataset), batch_size, shuffle=shuffle)
    return DataLoader(dataset, batch_sampler=_IndexLists(sampler),
                      num_workers=int(num_workers), pin_memory=bool(pin_memory), **kwargs)


def distributed_iterators(iterators):
    """``iterators`` (from ``training_data``) with :func:`shard_loader` for both loaders."""
    iterators = dict(iterators or {})
    iterators["iterator_train"] = shard_loader
    iterators["iterator_valid"] = shard_loader
    return iterators


class RankZeroCheckpoint(EpochCheckpoint):
    """:class:`~skgalvae.models._checkpoint.EpochCheckpoint` written by rank 0 alone."""

    def save_model(self, net):
        if net.accelerator.is_main_process:
            super().save_model(net)


class DistributedELBONet(AccelerateMixin, _ELBONet):
    """``_ELBONet`` trained through an :class:`accelerate.Accelerator` (skorch's mixin).

    What it changes in :class:`~skorch.hf.AccelerateMixin`:

    - mixed precision is accelerate's (``amp_dtype`` is None: no second autocast);
    - each epoch's batch records are gathered from all ranks before any callback reads
      them (the net's ``on_epoch_end`` runs first), so the losses, the validation loss
      and early stopping agree across ranks;
    - ``save_params`` / ``load_params`` read and write the unwrapped module on rank 0
      without re-preparing it (the mixin's unwrap-and-prepare-again would build a new
      ``DistributedDataParallel`` at every checkpoint and needs every rank to call it);
    - the module is unwrapped by :func:`release` after early stopping has restored its
      best weights (``unwrap_after_train=False``).
    """

    def amp_dtype(self):
        return None  # accelerate autocasts (Accelerator(mixed_precision=...))

    def initialize(self):
        super().initialize()
        self.grad_scaler_ = None  # accelerate's scaler, if any
        if self.precision != "32" and torch.device(self.device).type != "cuda":
            msg = (
                f"precision={self.precision!r} applies to training on a GPU; on "
                f"device={str(self.device)!r} the network trains in float32."
            )
            warnings.warn(msg, UserWarning, stacklevel=2)
        return self

    def _initialize_module(self):
        super()._initialize_module()
        if self.channels_last:  # before accelerate wraps it
            self.module_.to(memory_format=torch.channels_last)
        return self

    def _initialize_accelerator(self):
        # the criterion is unused (get_loss computes the loss) and has no parameters,
        # which DistributedDataParallel refuses to wrap: prepare the module alone
        criteria, self._criteria = self._criteria, []
        try:
            return super()._initialize_accelerator()
        finally:
            self._criteria = criteria

    def on_epoch_end(self, net, **kwargs):
        if self.accelerator.num_processes > 1:
            from accelerate.utils import gather_object

            epoch = self.history[-1]
            epoch["batches"] = gather_object(list(epoch["batches"]))
        super().on_epoch_end(net, **kwargs)

    @contextlib.contextmanager
    def _bare_modules(self):
        wrapped = {name: getattr(self, name + "_") for name in self._modules + self._criteria}
        try:
            for name, module in wrapped.items():
                setattr(self, name + "_", _bare(module))
            yield
        finally:
            for name, module in wrapped.items():
                setattr(self, name + "_", module)

    def save_params(self, *args, **kwargs):
        if not self.accelerator.is_main_process:
            return
        with self._bare_modules():
            NeuralNet.save_params(self, *args, **kwargs)

    def load_params(self, *args, **kwargs):
        with self._bare_modules():
            NeuralNet.load_params(self, *args, **kwargs)


def release(net):
    """Turn a trained :class:`DistributedELBONet` into a plain ``_ELBONet``, in place.

    Waits for every rank, unwraps the module (``DistributedDataParallel``, accelerate's
    autocast) and the optimizer, drops the accelerator and its printer, so that the net
    pickles and a later ``partial_fit`` trains it in one process.

    Parameters
    ----------
    net : DistributedELBONet

    Returns
    -------
    net : _ELBONet
    """
    net.accelerator.wait_for_everyone()
    net._unwrap_accelerator()
    for name in net._optimizers:
        optimizer = getattr(net, name + "_")
        setattr(net, name + "_", getattr(optimizer, "optimizer", optimizer))
    net.callbacks__print_log__sink = print
    for _, callback in net.callbacks_:
        if isinstance(callback, PrintLog):
            callback.sink = print
    for attr in ("accelerator", "unwrap_after_train", "_wrapped_with_accelerator"):
        vars(net).pop(attr, None)
    net.__class__ = _ELBONet
    net.grad_scaler_ = (torch.amp.GradScaler("cuda")
                        if net.amp_dtype() is torch.float16 else None)
    return net
