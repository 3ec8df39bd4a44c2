"""Inference on Dask: a fitted model's ``transform`` or ``score_samples``, chunk by chunk.

:func:`dask_transform` maps a fitted model over the row chunks of a (lazy) array of images
with :func:`dask.array.map_blocks`. The model travels once per worker, not once per chunk:
scattered to every worker (``client.scatter(model, broadcast=True)``) when a
``dask.distributed`` client is active, else held in the graph as one task that every chunk
depends on. Dask, dask.distributed and zarr are optional (the ``distributed`` and ``scale``
extras) and imported on first use.
"""

import math
import os
import sys
import uuid
import warnings
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from ..utils._optional import import_optional
from ..utils._reopen import ReopenableArray
from ._data import _store_kind

_PURPOSE = "dask_transform (inference on Dask)"


def _current_client():
    """The active ``dask.distributed`` client, or None (without importing distributed)."""
    distributed = sys.modules.get("distributed")
    if distributed is None:  # no client can exist without the module imported
        return None
    try:
        return distributed.default_client()
    except ValueError:
        return None


def _as_dask(X, chunk_size):
    """``X`` as a dask array with whole rows in each chunk (rows chunked along axis 0)."""
    da = import_optional("dask.array", purpose=_PURPOSE)
    dask = import_optional("dask", purpose=_PURPOSE)
    if not dask.is_dask_collection(X):
        kind = _store_kind(X)
        if kind == "zarr":
            rows = X.chunks[0]
        elif kind == "h5py":
            rows = X.chunks[0] if X.chunks else "auto"
        else:
            rows = "auto"
        if chunk_size is not None:
            rows = chunk_size
        if kind in ("memmap", "h5py"):  # travels as its file name, not its data
            X = ReopenableArray(X, purpose=_PURPOSE)
        elif kind is None:
            X = np.asarray(X)
        chunks = (rows, *(-1,) * (len(X.shape) - 1))
        return da.from_array(X, chunks=chunks, name=False)
    if not isinstance(X, da.Array):
        msg = (f"X must be a dask array, a zarr array, a memmap or an array; got the dask "
               f"collection {type(X).__name__}.")
        raise ValueError(msg)
    rows = X.chunks[0] if chunk_size is None else chunk_size
    return X.rechunk((rows, *(-1,) * (X.ndim - 1)))


def _apply(block, model, method, width, dtype):
    """One chunk: ``model.<method>(block)`` as an array of the announced shape and dtype."""
    result = np.asarray(getattr(model, method)(block), dtype=dtype)
    if width is not None:
        return result.reshape(len(block), width)
    return result.reshape(len(block))


def _regular(chunks):
    """Whether row chunks suit zarr: all equal, but the last, which may be smaller."""
    return len(set(chunks[:-1])) <= 1 and chunks[-1] <= chunks[0]


@validate_params(
    {
        "model": [HasMethods(["transform"]), HasMethods(["score_samples"])],
        "X": ["array-like"],
        "method": [StrOptions({"transform", "score_samples"})],
        "out": [str, os.PathLike, None],
        "overwrite": ["boolean"],
        "chunk_size": [Interval(Integral, 1, None, closed="left"), None],
        "client": [HasMethods(["scatter", "compute"]), None],
    },
    prefer_skip_nested_validation=True,
)
def dask_transform(model, X, *, method="transform", out=None, overwrite=False,
                   chunk_size=None, client=None):
    """Apply a fitted model's ``transform`` or ``score_samples`` to images on Dask.

    The images are processed chunk by chunk of rows with :func:`dask.array.map_blocks`,
    on a ``dask.distributed`` cluster when a client is active (else on Dask's default,
    threaded scheduler). The model is sent once per worker: scattered to every worker
    (``client.scatter(model, broadcast=True)``) with a client, else held in the graph as
    one task that every chunk depends on; it is never serialised per chunk. Each chunk
    gives exactly what ``getattr(model, method)`` gives on those rows in one process.

    Parameters
    ----------
    model : estimator
        A fitted model with the method ``method``: any skgalvae latent model
        (:class:`GalaxyVAE`, :class:`GalaxyAutoencoder`, :class:`EigengalaxyPCA`), a
        scikit-learn transformer or a :class:`~sklearn.pipeline.Pipeline` ending in one.
        A model trained on a GPU is unpickled on the CPU by workers without CUDA.
    X : dask array, zarr array, memmap, h5py dataset or array-like
        Images of shape ``(n_samples, n_pixels)``, ``(n, h, w)`` or ``(n, c, h, w)`` (whatever
        ``model`` accepts). A dask array keeps its row chunks (any chunking of the other
        axes is rechunked to whole rows); any other input is wrapped with
        :func:`dask.array.from_array`, in chunks of the store's chunk length along the
        first axis for zarr and HDF5, else of Dask's ``"auto"`` size. A memmap or an HDF5
        dataset travels to the workers as its file name (the workers must see the file),
        a zarr array as its store.
    method : {"transform", "score_samples"}, default="transform"
        What to compute: latents (``transform``) or per-image scores (``score_samples``,
        the ELBO for the VAE; low for unusual galaxies).
    out : str, path or None, default=None
        None: return the lazy dask array. Otherwise a zarr store to write the result to
        (computed now, one zarr chunk per chunk of rows; irregular chunks are first made
        regular), which must be reachable by every worker under this path; the opened
        zarr array is returned. Needs zarr (``pip install "skgalvae[scale]"``).
    overwrite : bool, default=False
        Replace an existing store at ``out``; otherwise an existing one raises a
        ``ValueError`` before any work.
    chunk_size : int or None, default=None
        Rows per chunk; None keeps a dask array's row chunks (or the defaults above).
    client : distributed.Client or None, default=None
        The ``dask.distributed`` client to send the model to (and, with ``out``, to run
        the computation on); None: the current client if there is one, else Dask's
        default scheduler. The returned array, when built with a client, holds the
        scattered model and is computed on that client.

    Returns
    -------
    result : dask.array.Array or zarr.Array
        Of shape ``(n_samples, n_outputs)`` (latents: ``(n_samples, latent_dim_)``) for
        ``transform``, ``(n_samples,)`` for ``score_samples``, in the dtype the model
        returns (float32 latents, float64 scores for the skgalvae models), chunked as
        the rows of ``X``: lazy without ``out``, the written zarr array with it.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted (before any work).
    ValueError
        If ``X``'s rows do not have the model's number of features or image shape, if
        ``X`` has no rows, or if ``out`` exists and ``overwrite`` is False (all before any
        work).

    Notes
    -----
    The output's width and dtype are found by applying ``method`` to one row of zeros
    shaped as ``X``'s rows on the calling process, which also checks that the model
    accepts them before any chunk is read. Each worker thread runs its own chunk: give
    the workers one thread each (or set ``torch.set_num_threads``) to keep torch from
    oversubscribing the cores.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from skgalvae.models import EigengalaxyPCA, dask_transform
    >>> X = np.random.default_rng(0).random((40, 8 * 8), dtype=np.float32)
    >>> pca = EigengalaxyPCA(n_components=3).fit(X)
    >>> Z = dask_transform(pca, da.from_array(X, chunks=(10, 64)))
    >>> Z.shape, Z.chunks[0]
    ((40, 3), (10, 10, 10, 10))
    >>> bool(np.allclose(Z.compute(), pca.transform(X), atol=1e-6))
    True
    >>> scores = dask_transform(pca, X, method="score_samples", chunk_size=16)
    >>> scores.shape, scores.chunks
    ((40,), ((16, 16, 8),))
    """
    check_is_fitted(model)
    if not hasattr(model, method):
        msg = f"method={method!r}: {type(model).__name__} has no method {method!r}."
        raise ValueError(msg)
    dask = import_optional("dask", purpose=_PURPOSE)
    X = _as_dask(X, chunk_size)
    if X.ndim < 2:
        msg = f"X must hold one image per row (2 to 4 dimensions); got shape {X.shape}."
        raise ValueError(msg)
    if X.shape[0] == 0:
        msg = "X has no rows (0 images): there is nothing to transform."
        raise ValueError(msg)
    n_features = math.prod(X.shape[1:])
    expected = getattr(model, "n_features_in_", None)
    if expected is not None and n_features != expected:
        msg = (
            f"X has {n_features} features per image (rows of shape {tuple(X.shape[1:])}), "
            f"but {type(model).__name__} was fitted on {expected} (n_features_in_)."
        )
        raise ValueError(msg)
    if out is not None and Path(out).exists() and not overwrite:
        msg = (f"out={str(out)!r} already exists: pass overwrite=True to replace it, or "
               "another path.")
        raise ValueError(msg)
    # the width and dtype of the result, and the model's own check of the row shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = np.asarray(getattr(model, method)(np.zeros((1, *X.shape[1:]), X.dtype)))
    width = probe.shape[1] if method == "transform" else None
    if client is None:
        client = _current_client()
    if client is not None:
        shared = client.scatter(model, broadcast=True, hash=False)
    else:
        shared = dask.delayed(model, name=f"model-{uuid.uuid4().hex}", traverse=False)
    if method == "transform":
        chunks, drop = (X.chunks[0], (width,)), list(range(2, X.ndim))
        meta = np.empty((0, width), dtype=probe.dtype)
    else:
        chunks, drop = (X.chunks[0],), list(range(1, X.ndim))
        meta = np.empty((0,), dtype=probe.dtype)
    result = X.map_blocks(_apply, shared, method, width, probe.dtype, chunks=chunks,
                          drop_axis=drop, dtype=probe.dtype, meta=meta,
                          name=f"{method}-{uuid.uuid4().hex}")
    if out is None:
        return result
    zarr = import_optional("zarr", purpose=f"{_PURPOSE} into a zarr store (out=)")
    da = import_optional("dask.array", purpose=_PURPOSE)
    if not _regular(result.chunks[0]):
        result = result.rechunk({0: max(result.chunks[0])})
    store = str(out) if isinstance(out, os.PathLike) else out
    written = da.to_zarr(result, store, mode="w" if overwrite else "w-", compute=False)
    if client is not None:
        client.compute(written).result()
    else:
        written.compute()
    return zarr.open_array(store, mode="r")
