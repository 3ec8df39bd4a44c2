"""Data that stays on disk: lazy validation, lazy reading and the training loaders.

The latent models take memory-mapped ``.npy`` files (:class:`numpy.memmap`,
``np.load(..., mmap_mode="r")``), zarr arrays and h5py datasets as they are, of shape
``(n, n_pixels)``, ``(n, h, w)`` or ``(n, c, h, w)`` (``c`` bands, e.g. g, r, i; one band
as ``(n, 1, h, w)``) and any float or integer dtype:

- :func:`validate_lazy_images` checks them without reading them (shape, dtype, the image
  shape) and reads only a sample of rows to look for NaN or infinity;
- :class:`LazyImages` reads rows on demand, one sorted read per request, as float32;
- :class:`RowsDataset`, :class:`BlockBatchSampler` and :func:`make_loader` feed them to
  skorch as a torch :class:`~torch.utils.data.DataLoader`, shuffled by blocks of
  consecutive rows (whole chunks of a chunked store), in worker processes if asked;
- :func:`training_data` decides, for :meth:`fit`, how the training and validation images
  travel: in memory as before (bit for bit), lazily from disk, or resident on the GPU.

In-memory input (NumPy arrays, lists, DataFrames) keeps the validation and the training
path it always had.
"""

import math
from typing import Any, NamedTuple

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler, get_worker_info

from ..utils._images import flatten_images, resolve_image_shape
from ..utils._reopen import ReopenableArray, memmap_root

#: Rows checked for NaN / inf in on-disk input, at most.
MAX_CHECKED_ROWS = 1000
#: Chunks of a chunked store (zarr, HDF5) those rows are spread over, at most.
MAX_CHECKED_CHUNKS = 64
#: Fraction of the free GPU memory the training images may take to be kept on the GPU.
RESIDENT_FRACTION = 0.5


# ---------------------------------------------------------------------------- sources
def _store_kind(X):
    """``"memmap"``, ``"zarr"``, ``"h5py"`` or None (not on-disk input)."""
    top = type(X).__module__.partition(".")[0]
    if top == "zarr" and hasattr(X, "oindex"):
        return "zarr"
    if top == "h5py" and hasattr(X, "id") and hasattr(X, "file"):
        return "h5py"
    if isinstance(X, np.ndarray) and memmap_root(X) is not None:
        return "memmap"
    return None


def is_lazy(X):
    """Whether ``X`` is on-disk input read lazily: a memmap, a zarr array, an h5py dataset.

    Parameters
    ----------
    X : object

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.models._data import is_lazy
    >>> is_lazy(np.zeros((2, 4)))
    False
    """
    return _store_kind(X) is not None


class _Source(ReopenableArray):
    """One on-disk (or in-memory) array, read by sorted rows as float32 ``(k, n_pixels)``.

    Pickles without its data (:class:`~skgalvae.utils._reopen.ReopenableArray`): a memmap
    as its file, byte offset and layout, an h5py dataset as its file and dataset names, a
    zarr array as zarr pickles it (its store); each is reopened on first use (in a
    ``DataLoader`` worker, after unpickling).
    """

    def __init__(self, array, kind):
        super().__init__(array, purpose="reading HDF5 input to the models")
        self.kind = kind

    @property
    def chunk_rows(self):
        """Rows per chunk along the first axis (1 for memmaps and in-memory arrays)."""
        if self.kind == "zarr":
            return int(self.array.chunks[0])
        if self.kind == "h5py":
            chunks = self.array.chunks
            return int(chunks[0]) if chunks else 1
        return 1

    def read(self, rows):
        """Rows ``rows`` (sorted, unique) as a float32 ``(len(rows), n_pixels)`` array."""
        array, k = self.array, len(rows)
        view = False
        if k and rows[-1] - rows[0] + 1 == k:  # a contiguous run: one slice
            block = array[int(rows[0]):int(rows[-1]) + 1]
            view = self.kind in ("memmap", "memory")  # NumPy slices are views
        elif self.kind == "zarr":
            block = array.oindex[rows]
        else:
            block = array[rows]  # h5py needs the rows increasing: they are
        block = np.asarray(block).reshape(k, -1)
        if view:  # never hand out (or let torch write into) the caller's array
            return np.array(block, dtype=np.float32, order="C")
        return np.ascontiguousarray(block, dtype=np.float32)


class LazyImages:
    """Rows of an on-disk array, read on demand as float32 (what ``_validate_X`` returns).

    ``len``, ``shape`` (always 2-D: ``(n_rows, n_pixels)``) and ``[]`` work as on the
    float32 array that :func:`~skgalvae.utils._images.validate_images` would return:
    ``images[a:b]``, ``images[::k]``, ``images[idx]`` read those rows (one sorted read)
    and return a new float32 array. :meth:`subset` views some rows without reading them.

    Parameters
    ----------
    source : _Source
    rows : ndarray of int or None, default=None
        The rows of ``source`` this object shows, in order; None: all of them.

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.models._data import LazyImages, _Source
    >>> images = LazyImages(_Source(np.arange(12.0).reshape(3, 2, 2), "memory"))
    >>> images.shape
    (3, 4)
    >>> images[[2, 0]]
    array([[ 8.,  9., 10., 11.],
           [ 0.,  1.,  2.,  3.]], dtype=float32)
    """

    def __init__(self, source, rows=None):
        self.source = source
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        n = source.shape[0] if rows is None else len(self.rows)
        self.shape = (n, math.prod(source.shape[1:]))
        self.sample = None  # the float32 rows validate_lazy_images checked

    def __len__(self):
        return self.shape[0]

    @property
    def chunk_rows(self):
        return self.source.chunk_rows

    def row_ids(self):
        """The rows of the source, in order (for blocks aligned with its chunks)."""
        return np.arange(self.shape[0]) if self.rows is None else self.rows

    def subset(self, positions):
        """The rows at ``positions`` of this object, as a new :class:`LazyImages`."""
        return LazyImages(self.source, self.row_ids()[np.asarray(positions, dtype=np.int64)])

    def take(self, positions):
        """The rows at ``positions`` (any order, repeats allowed): one sorted read."""
        positions = np.asarray(positions, dtype=np.int64)
        rows = positions if self.rows is None else self.rows[positions]
        if rows.size == 0:
            return np.empty((0, self.shape[1]), dtype=np.float32)
        if rows.min() < 0 or rows.max() >= self.source.shape[0]:
            msg = f"Row index out of range for {self.shape[0]} images."
            raise IndexError(msg)
        if np.all(rows[1:] > rows[:-1]):
            return self.source.read(rows)
        unique, inverse = np.unique(rows, return_inverse=True)
        return self.source.read(unique)[inverse]

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self.take(np.arange(*key.indices(len(self))))
        if np.ndim(key) == 0:
            return self.take(np.arange(len(self))[[key]])[0]
        key = np.asarray(key)
        if key.dtype == bool:
            key = np.flatnonzero(key)
        return self.take(np.arange(len(self))[key])


# ---------------------------------------------------------------------------- validation
def _sample_rows(n, chunk_rows, max_rows=MAX_CHECKED_ROWS, max_chunks=MAX_CHECKED_CHUNKS):
    """Sorted rows to check: up to ``max_rows`` spread evenly over the array.

    In a chunked store every chunk read is decompressed whole, so the rows are spread
    over at most ``max_chunks`` evenly spaced chunks (evenly within each).
    """
    if n <= max_rows:
        return np.arange(n)
    if chunk_rows <= 1:
        return np.unique(np.linspace(0, n - 1, max_rows).round().astype(np.int64))
    n_chunks = math.ceil(n / chunk_rows)
    chunks = np.unique(np.linspace(0, n_chunks - 1, min(n_chunks, max_chunks)).round())
    per_chunk = max(1, max_rows // len(chunks))
    rows = []
    for c in chunks.astype(np.int64):
        start, stop = c * chunk_rows, min(n, (c + 1) * chunk_rows)
        rows.append(np.linspace(start, stop - 1, min(per_chunk, stop - start)).round())
    return np.unique(np.concatenate(rows).astype(np.int64))


def validate_lazy_images(estimator, X, *, reset):
    """:func:`~skgalvae.utils._images.validate_images` for on-disk input, without reading it.

    Checks the number of dimensions, the shape and the dtype (float or integer), sets
    ``n_features_in_`` and ``image_shape_`` on ``reset`` exactly as ``validate_images``
    would (otherwise checks them against the fitted ones), and reads a sample of rows
    (all rows up to 1000, else up to 1000 evenly spaced ones, in sorted order; for a
    chunked store spread over at most 64 chunks) to look for NaN or infinity. Only that
    sample is checked: a NaN elsewhere shows up as a diverging loss in training.

    Parameters
    ----------
    estimator : estimator instance
    X : numpy.memmap, zarr.Array or h5py.Dataset
        Of shape ``(n, n_pixels)``, ``(n, h, w)`` or ``(n, c, h, w)`` (``c`` bands; the
        image shape rules of :func:`~skgalvae.utils._images.validate_images`).
    reset : bool
        Whether this is :meth:`fit` (set the fitted attributes) or a later call.

    Returns
    -------
    images : LazyImages
        ``images.sample`` holds the float32 rows that were checked.

    Raises
    ------
    ValueError
        On a bad shape or dtype, a feature count or image shape that disagrees with the
        fitted one, or NaN / inf in a checked row (the message names the row).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from sklearn.base import BaseEstimator
    >>> from skgalvae.models._data import validate_lazy_images
    >>> class Est(BaseEstimator):
    ...     image_shape = None
    >>> path = os.path.join(tempfile.mkdtemp(), "X.npy")
    >>> np.save(path, np.zeros((5, 4, 4), dtype=np.float32))
    >>> est = Est()
    >>> images = validate_lazy_images(est, np.load(path, mmap_mode="r"), reset=True)
    >>> images.shape, est.n_features_in_, est.image_shape_
    ((5, 16), 16, (4, 4))
    """
    from sklearn.utils.validation import _check_feature_names

    name = type(estimator).__name__
    kind = _store_kind(X)
    dtype = np.dtype(X.dtype)
    if dtype.kind not in "fiu":
        msg = (
            f"On-disk X must hold floats or integers; got dtype {dtype} "
            f"({type(X).__name__} of shape {tuple(X.shape)})."
        )
        raise ValueError(msg)
    if len(X.shape) < 2:
        msg = (
            f"Expected 2D array, got {len(X.shape)}D {type(X).__name__} of shape "
            f"{tuple(X.shape)} instead: images must have shape (n, n_pixels), (n, h, w) "
            f"or (n, bands, h, w)."
        )
        raise ValueError(msg)
    # the image-shape rules of validate_images, on a zero-byte stand-in of X's shape
    _, shape = flatten_images(np.broadcast_to(np.zeros((), np.float32), tuple(X.shape)))
    n, n_features = int(X.shape[0]), math.prod(int(s) for s in X.shape[1:])
    if n < 1 or n_features < 1:
        msg = (
            f"Found array with {n} sample(s) and {n_features} feature(s) (shape="
            f"{tuple(X.shape)}) while a minimum of 1 is required by {name}."
        )
        raise ValueError(msg)
    if not reset:
        if shape is not None and shape != tuple(estimator.image_shape_):
            msg = (
                f"{name} was fitted on images of shape {estimator.image_shape_} but got "
                f"images of shape {shape}."
            )
            raise ValueError(msg)
        if n_features != estimator.n_features_in_:
            msg = (
                f"X has {n_features} features, but {name} is expecting "
                f"{estimator.n_features_in_} features as input."
            )
            raise ValueError(msg)
    _check_feature_names(estimator, X, reset=reset)
    images = LazyImages(_Source(X, kind))
    rows = _sample_rows(n, images.chunk_rows)
    sample = images.take(rows)
    bad = ~np.isfinite(sample).all(axis=1)
    if bad.any():
        row = int(rows[np.argmax(bad)])
        msg = (
            f"Input X contains NaN or infinity in row {row} (of the {len(rows)} rows "
            f"checked: on-disk input is checked on a sample of rows, not in full). "
            f"Replace or drop the bad images before fitting (FITSLoader(on_error='nan') "
            f"marks unreadable files with NaN)."
        )
        raise ValueError(msg)
    images.sample = sample
    if reset:
        estimator.n_features_in_ = n_features
        estimator.image_shape_ = resolve_image_shape(estimator.image_shape, shape,
                                                     n_features)
    return images


def value_range(X):
    """``(min, max)`` of ``X``: exact for an array, over the checked sample if lazy."""
    values = X.sample if isinstance(X, LazyImages) else X
    return float(values.min()), float(values.max())


# ---------------------------------------------------------------------------- loading
def _dummy_target(n):
    """skorch's ``Dataset`` yields ``torch.Tensor([0])`` per row when ``y`` is None."""
    return torch.zeros(n, 1)


class RowsDataset(torch.utils.data.Dataset):
    """Map-style dataset over :class:`LazyImages` whose batches are one read each.

    ``dataset.__getitems__(positions)`` (what the ``DataLoader`` calls with a batch of
    indices) returns ``(X, y)``: a float32 tensor of those rows, in that order, and a
    dummy target, as skorch's own ``Dataset`` yields when ``y`` is None. Picklable
    without the data (see ``_Source``), so that ``DataLoader`` workers reopen the file.

    Parameters
    ----------
    images : LazyImages
    row_ids : ndarray of int or None, default=None
        The row of the original array behind each position, for blocks aligned with
        its chunks; None: ``images.row_ids()``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.models._data import LazyImages, RowsDataset, _Source
    >>> ds = RowsDataset(LazyImages(_Source(np.ones((4, 2, 2)), "memory")))
    >>> X, y = ds.__getitems__([3, 1])
    >>> tuple(X.shape), tuple(y.shape)
    ((2, 4), (2, 1))
    """

    def __init__(self, images, row_ids=None):
        self.images = images
        self.row_ids = row_ids

    def __len__(self):
        return len(self.images)

    def block_starts(self, block_rows):
        """Positions where a block of ``block_rows`` source rows (a chunk) begins."""
        row_ids = self.images.row_ids() if self.row_ids is None else self.row_ids
        return _block_starts(row_ids, block_rows)

    def reopen(self):
        self.images.source.reopen()

    def __getitem__(self, i):
        X, y = self.__getitems__([i])
        return X[0], y[0]

    def __getitems__(self, positions):
        X = torch.from_numpy(self.images.take(positions))
        return X, _dummy_target(len(X))


class ResidentDataset(torch.utils.data.Dataset):
    """The training images as one tensor on the GPU, indexed there batch by batch.

    Examples
    --------
    >>> import torch
    >>> from skgalvae.models._data import ResidentDataset
    >>> ds = ResidentDataset(torch.arange(6.0).reshape(3, 2), row_ids=[0, 1, 2])
    >>> ds.__getitems__([2, 0])[0]
    tensor([[4., 5.],
            [0., 1.]])
    """

    def __init__(self, X, row_ids):
        self.X = X
        self.row_ids = np.asarray(row_ids, dtype=np.int64)

    def __len__(self):
        return len(self.X)

    def block_starts(self, block_rows):
        return _block_starts(self.row_ids, block_rows)

    def __getitem__(self, i):
        return self.X[i], _dummy_target(1)[0]

    def __getitems__(self, positions):
        index = torch.as_tensor(np.asarray(positions, dtype=np.int64)).to(self.X.device)
        return self.X[index], _dummy_target(len(index))


def _block_starts(row_ids, block_rows):
    """Positions in ``row_ids`` (sorted) where ``row_ids // block_rows`` changes."""
    if block_rows <= 1:
        return None
    block = np.asarray(row_ids) // int(block_rows)
    return np.concatenate([[0], np.flatnonzero(np.diff(block)) + 1]).astype(np.int64)


class BlockBatchSampler(Sampler):
    """Batches from a fresh random permutation of blocks of consecutive rows each epoch.

    Rows inside a block stay consecutive (whole chunks of a chunked store are read
    together); the order of the blocks is drawn anew at each epoch. With one row per
    block the permutation is drawn exactly as :class:`torch.utils.data.RandomSampler`
    draws it (a seed from the global torch generator, then ``torch.randperm``), so the
    batches equal those of skorch's default ``DataLoader(shuffle=True)``.

    Parameters
    ----------
    n : int
        Rows in the dataset.
    batch_size : int
    shuffle : bool
        False: the rows in order (for validation).
    block_starts : ndarray of int or None, default=None
        Sorted positions where a block begins (the first is 0); None: one row per block.

    Examples
    --------
    >>> from skgalvae.models._data import BlockBatchSampler
    >>> [b.tolist() for b in BlockBatchSampler(5, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, n, batch_size, *, shuffle, block_starts=None):
        self.n = int(n)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.block_starts = block_starts

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def _order(self):
        seed = int(torch.empty((), dtype=torch.int64).random_().item())
        generator = torch.Generator()
        generator.manual_seed(seed)
        if self.block_starts is None:
            return torch.randperm(self.n, generator=generator).numpy()
        starts = self.block_starts
        lengths = np.diff(np.append(starts, self.n))
        perm = torch.randperm(len(starts), generator=generator).numpy()
        lengths, starts = lengths[perm], starts[perm]
        offsets = np.cumsum(lengths) - lengths
        return np.arange(self.n) + np.repeat(starts - offsets, lengths)

    def __iter__(self):  # a generator: the permutation is drawn at the first batch
        order = self._order() if self.shuffle else None
        for start in range(0, self.n, self.batch_size):
            stop = min(start + self.batch_size, self.n)
            yield order[start:stop] if order is not None else np.arange(start, stop)


def _as_batch(batch):
    """``collate_fn``: the dataset's ``__getitems__`` already returns the batch."""
    return batch


def _reopen_in_worker(worker_id):
    """``worker_init_fn``: a forked worker reopens the file rather than share the handle."""
    dataset = get_worker_info().dataset
    if hasattr(dataset, "reopen"):
        dataset.reopen()


def make_loader(dataset, batch_size, shuffle=False, block_rows=1, num_workers=0,
                pin_memory=False):
    """The ``iterator_train`` / ``iterator_valid`` skorch calls for lazy datasets.

    skorch calls ``iterator(dataset, batch_size=..., shuffle=..., **iterator_train__*)``;
    this builds a :class:`~torch.utils.data.DataLoader` with a
    :class:`BlockBatchSampler` (blocks of ``block_rows`` source rows when shuffling),
    ``num_workers`` worker processes that reopen the file, and pinned memory if asked.

    Parameters
    ----------
    dataset : RowsDataset or ResidentDataset
    batch_size : int
    shuffle : bool, default=False
    block_rows : int, default=1
    num_workers : int, default=0
    pin_memory : bool, default=False

    Returns
    -------
    loader : torch.utils.data.DataLoader

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.models._data import LazyImages, RowsDataset, _Source, make_loader
    >>> ds = RowsDataset(LazyImages(_Source(np.ones((5, 4)), "memory")))
    >>> [tuple(X.shape) for X, _ in make_loader(ds, batch_size=2)]
    [(2, 4), (2, 4), (1, 4)]
    """
    starts = dataset.block_starts(block_rows) if shuffle else None
    sampler = BlockBatchSampler(len(dataset), batch_size, shuffle=shuffle,
                                block_starts=starts)
    workers = {"num_workers": int(num_workers)}
    if num_workers:
        workers["worker_init_fn"] = _reopen_in_worker
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=_as_batch,
                      pin_memory=bool(pin_memory), **workers)


# ---------------------------------------------------------------------------- training
def fits_on_gpu(nbytes, device, *, mem_get_info=None):
    """Whether ``nbytes`` of training images should live on the GPU for the whole fit.

    True on a CUDA device when they take less than half its free memory (as
    :func:`torch.cuda.mem_get_info` reports it); always False elsewhere.

    Parameters
    ----------
    nbytes : int
    device : str or torch.device
    mem_get_info : callable or None, default=None
        ``device -> (free, total)`` bytes; :func:`torch.cuda.mem_get_info` by default.

    Returns
    -------
    bool

    Examples
    --------
    >>> from skgalvae.models._data import fits_on_gpu
    >>> fits_on_gpu(10**9, "cpu")
    False
    >>> fits_on_gpu(10**9, "cuda", mem_get_info=lambda d: (4 * 10**9, 8 * 10**9))
    True
    """
    device = torch.device(device)
    if device.type != "cuda":
        return False
    free, _ = (mem_get_info or torch.cuda.mem_get_info)(device)
    return nbytes < RESIDENT_FRACTION * free


class TrainingData(NamedTuple):
    """How :meth:`fit` hands its images to skorch (what :func:`training_data` returns)."""

    #: The training images for ``_initial_sigma`` and ``_diagnose`` (array or LazyImages).
    X_train: Any
    #: What ``net.fit`` receives: a tensor (skorch's own Dataset) or a torch Dataset.
    fit_X: Any
    #: The validation Dataset for ``predefined_split``, or None without validation.
    valid: Any
    #: ``iterator_train`` / ``iterator_valid`` settings for the ``NeuralNet``.
    net_kwargs: dict
    #: Rows whose range blames the data's scale when training diverges.
    scale_sample: Any


def _block_rows(shuffle_blocks, images):
    if shuffle_blocks == "auto":
        return images.chunk_rows if isinstance(images, LazyImages) else 1
    return int(shuffle_blocks)


def training_data(X, train_idx, valid_idx, *, device, shuffle_blocks="auto",
                  num_workers=0, mem_get_info=None):
    """The training and validation data of a fit, and the skorch settings to read them.

    - In-memory ``X`` (a float32 array from ``validate_images``) on the CPU with
      ``shuffle_blocks="auto"`` or 1: today's path, bit for bit (a tensor that skorch
      wraps in its ``Dataset``, shuffled by its default ``DataLoader``).
    - In-memory ``X`` with ``shuffle_blocks > 1``: the same arrays, batches drawn by
      :class:`BlockBatchSampler`.
    - In-memory ``X`` on a CUDA device where it takes less than half the free memory
      (:func:`fits_on_gpu`): the training images are copied to the GPU once and indexed
      there (:class:`ResidentDataset`).
    - On-disk ``X`` (:class:`LazyImages`): training and validation rows are read lazily
      by a ``DataLoader`` with ``num_workers`` workers (pinned memory on CUDA), shuffled
      in blocks of ``shuffle_blocks`` rows (``"auto"``: the store's chunk length).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_pixels) or LazyImages
    train_idx, valid_idx : ndarray of int
        Sorted training and validation rows (``valid_idx`` empty without validation).
    device : str
    shuffle_blocks : int or "auto", default="auto"
    num_workers : int, default=0
    mem_get_info : callable or None, default=None
        For tests: replaces :func:`torch.cuda.mem_get_info`.

    Returns
    -------
    TrainingData
    """
    from skorch.dataset import Dataset

    cuda = torch.device(device).type == "cuda"
    block_rows = _block_rows(shuffle_blocks, X)
    if isinstance(X, LazyImages):
        loader = {"block_rows": block_rows, "num_workers": int(num_workers),
                  "pin_memory": cuda}
        net_kwargs = {"iterator_train": make_loader, "iterator_valid": make_loader,
                      **{f"iterator_train__{k}": v for k, v in loader.items()},
                      **{f"iterator_valid__{k}": v for k, v in loader.items()
                         if k != "block_rows"}}
        valid = RowsDataset(X.subset(valid_idx)) if len(valid_idx) else None
        X_train = X.subset(train_idx) if len(valid_idx) else X
        return TrainingData(X_train, RowsDataset(X_train), valid, net_kwargs, X.sample)
    X_train = X[train_idx] if len(valid_idx) else X  # no copy without validation
    valid = Dataset(torch.from_numpy(X[valid_idx])) if len(valid_idx) else None
    resident = fits_on_gpu(X_train.nbytes, device, mem_get_info=mem_get_info)
    if not resident and block_rows <= 1:  # today's path
        return TrainingData(X_train, torch.from_numpy(X_train), valid, {}, X_train)
    if resident:
        fit_X = ResidentDataset(torch.from_numpy(X_train).to(device), train_idx)
    else:
        fit_X = RowsDataset(LazyImages(_Source(X_train, "memory")), row_ids=train_idx)
    net_kwargs = {"iterator_train": make_loader, "iterator_train__block_rows": block_rows}
    return TrainingData(X_train, fit_X, valid, net_kwargs, X_train)
