"""Preprocessing a survey on a Dask cluster into a chunked, resumable zarr store.

One public function, :func:`preprocess_with_dask`: the chunks of
:func:`~skgalvae.preprocessing.preprocess_to_store` (same checks, fingerprints and progress
file, shared from ``_store.py``) become Dask tasks: a :mod:`dask.bag` over FITS paths, or
:func:`dask.array.map_blocks` over an array of raw cutouts. Each task preprocesses one chunk
and writes its rows into its own zarr chunk; this process records the chunk as done when the
task reports back, so a rerun does only the chunks missing. A FITS file that cannot be read
gives a NaN row and a line (row, path, reason) in the ``bad_files`` table.
"""

import mmap
import os
import uuid
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params

from ..utils._optional import import_optional
from ..utils._progress import progress
from ..utils._reopen import ReopenableArray
from ._store import (
    _begin,
    _commit,
    _finish,
    _import_zarr,
    _transform_rows,
    _write_state,
    progress_path,
)

_WHO = "preprocess_with_dask"
#: Columns of the bad-files table.
_BAD_COLUMNS = ["row", "path", "reason"]


# --------------------------------------------------------------------------- worker side
def _read_fits_rows(loader, paths):
    """Read ``paths`` with the fitted ``loader``; return ``(X, bad)``, ``bad`` a list of
    ``(position in paths, reason)``, their rows NaN (FITSLoader's on_error="nan" rows,
    with the reasons kept instead of warned)."""
    shape = tuple(loader.image_shape_)
    X = np.full((len(paths), int(np.prod(shape))), np.nan, np.float32)
    bad = []
    for i, (path, (image, error)) in enumerate(zip(paths, loader._read(paths,
                                                                       loader.output_shape))):
        if image is not None and image.shape != shape:
            error = (
                f"FITS file {path!r} has shape {image.shape}, not {shape} like the "
                "others; pass loader=FITSLoader(output_shape=...) to resample every image "
                "to one shape."
            )
            image = None
        if image is None:
            bad.append((i, error))
        else:
            X[i] = image.ravel()
    return X, bad


def _check_width(rows, width, start):
    if rows.shape[1] != width:
        msg = (
            f"the pipeline gave {rows.shape[1]} features for the chunk starting at row "
            f"{start} but {width} for the first image: its output must have one fixed "
            "shape (end it with a Resizer)."
        )
        raise ValueError(msg)


def _fits_partition(paths, loader, model, fit_each, width):
    """One chunk of FITS paths -> ``{"rows": rows, "bad": [(position, reason)]}``."""
    paths = list(paths)
    model = clone(model) if fit_each else model  # threads of a worker share one object
    X, bad = _read_fits_rows(loader, paths)
    good = np.ones(len(paths), bool)
    good[[i for i, _ in bad]] = False
    rows = _transform_rows(model, fit_each, X, good)
    if rows is None:  # every file of the chunk is bad
        rows = np.full((len(paths), width), np.nan, np.float32)
    return {"rows": rows, "bad": bad}


def _array_block(block, model, fit_each):
    """One block of raw images -> its preprocessed rows (map_blocks' function)."""
    model = clone(model) if fit_each else model  # threads of a worker share one object
    X = np.asarray(block)
    if X.dtype.kind != "f":
        X = X.astype(np.float32)
    return _transform_rows(model, fit_each, X, np.ones(len(X), bool))


def _write_chunk(result, store, index, start, stop):
    """Write one chunk's rows into its zarr chunk; report what the driver commits."""
    rows, bad = (result["rows"], result["bad"]) if isinstance(result, dict) else (result, [])
    zarr = _import_zarr(_WHO)
    out = zarr.open_array(store=store, mode="r+")
    _check_width(rows, out.shape[1], start)
    out[start:stop] = rows
    return {"index": index, "bad": [(start + i, reason) for i, reason in bad]}


def _shippable(array):
    """``array`` as Dask should read it on the workers."""
    purpose = f"{_WHO} on an HDF5 source"
    if isinstance(array, np.memmap):
        if isinstance(array.base, mmap.mmap):  # the file's map itself, not a view of it
            return ReopenableArray(array, purpose=purpose)  # each worker opens the file
        return np.asarray(array)
    if type(array).__module__.startswith("h5py"):
        return ReopenableArray(array, purpose=purpose)
    return array


# --------------------------------------------------------------------------- driver side
def _resolve_client(client):
    """The given client, else the current default client, else None (local threads)."""
    if client is not None:
        return client
    try:
        distributed = import_optional("distributed", purpose=_WHO)
    except ImportError:
        return None
    try:
        return distributed.default_client()
    except ValueError:  # no client in this process
        return None


def _probe_width(src, model, fit_each):
    """Output width of the pipeline, from the first image that can be read."""
    probe = clone(model) if fit_each else model
    for i in range(src.n):
        if src.kind == "fits":
            X, bad = _read_fits_rows(src.loader, src.paths[i:i + 1])
            if bad:
                continue
        else:
            X = src.read(i, i + 1)
        return int(_transform_rows(probe, fit_each, X, np.ones(1, bool)).shape[1])
    msg = "no file of the source could be read: the store was not written."
    raise ValueError(msg)


def _chunk_tasks(src, model, fit_each, width, store, chunk_size, pending):
    """``{chunk index: Delayed}``: preprocess chunk ``index`` and write it to ``store``."""
    dask = import_optional("dask", purpose=_WHO)
    run = uuid.uuid4().hex[:12]  # fresh keys: nothing of an earlier (failed) run is reused
    shared = dask.delayed(model, name=f"skgalvae-pipeline-{run}")
    write = dask.delayed(_write_chunk, pure=False)
    bounds = {i: (i * chunk_size, min((i + 1) * chunk_size, src.n)) for i in pending}
    if src.kind == "fits":
        bag = import_optional("dask.bag", purpose=_WHO)
        paths = [os.path.abspath(p) for p in src.paths]  # the workers' folder may differ
        parts = bag.from_sequence(paths, partition_size=chunk_size)
        if parts.npartitions != src.n // chunk_size + bool(src.n % chunk_size):
            msg = "dask.bag did not split the paths into chunks of chunk_size: report a bug"
            raise RuntimeError(msg)
        loader = dask.delayed(src.loader, name=f"skgalvae-loader-{run}")
        done = parts.map_partitions(_fits_partition, loader, shared, fit_each, width,
                                    token=f"skgalvae-fits-{run}").to_delayed()
    else:
        array = import_optional("dask.array", purpose=_WHO)
        x = array.from_array(_shippable(src.array), chunks=(chunk_size, *src.row_shape),
                             name=f"skgalvae-source-{run}", lock=False)
        y = x.map_blocks(_array_block, shared, fit_each, dtype=np.float32,
                         drop_axis=list(range(2, x.ndim)), chunks=(x.chunks[0], (width,)),
                         name=f"skgalvae-rows-{run}")
        done = list(y.to_delayed().ravel())
    return {i: write(done[i], store, i, *bounds[i], dask_key_name=f"skgalvae-write-{i}-{run}")
            for i in pending}


def _outcomes(client, tasks):
    """Yield ``(chunk index, result or exception)`` as the chunks finish."""
    if client is None:  # dask's synchronous scheduler per chunk, on local threads
        from concurrent.futures import ThreadPoolExecutor, as_completed

        dask = import_optional("dask", purpose=_WHO)
        pool = ThreadPoolExecutor(max_workers=min(len(tasks), os.cpu_count() or 1))
        try:
            futures = {pool.submit(dask.compute, task, scheduler="sync"): index
                       for index, task in tasks.items()}
            for future in as_completed(futures):
                try:
                    yield futures[future], future.result()[0]
                except Exception as exc:  # noqa: BLE001 - reported per chunk, raised later
                    yield futures[future], exc
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    distributed = import_optional("distributed", purpose=_WHO)
    indices = list(tasks)
    futures = client.compute([tasks[i] for i in indices])
    index_of = {future.key: i for future, i in zip(futures, indices)}
    try:
        for future in distributed.as_completed(futures, loop=client.loop):
            try:
                yield index_of[future.key], future.result()
            except Exception as exc:  # noqa: BLE001 - reported per chunk, raised later
                yield index_of[future.key], exc
    finally:
        client.cancel([f for f in futures if not f.done()])


def _bad_files_table(state, src):
    import pandas as pd

    rows = {bad["row"]: bad for bad in state.get("bad_files", [])}
    for row in state["nan_rows"]:  # chunks committed by preprocess_to_store
        if row not in rows:
            path = src.paths[row] if src.kind == "fits" else None
            rows[row] = {"row": row, "path": path,
                         "reason": "unreadable (written by preprocess_to_store, which keeps "
                                   "no reason)"}
    table = pd.DataFrame([rows[r] for r in sorted(rows)], columns=_BAD_COLUMNS)
    return table.astype({"row": "int64"})


@validate_params(
    {
        "pipeline": [HasMethods(["fit", "transform"])],
        "source": ["array-like", str, os.PathLike],
        "store": [str, os.PathLike],
        "client": [HasMethods(["submit", "compute"]), None],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "fit": [StrOptions({"auto"}), "boolean"],
        "loader": [HasMethods(["fit", "transform"]), None],
        "overwrite": ["boolean"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def preprocess_with_dask(pipeline, source, store, *, client=None, chunk_size=1024,
                         fit="auto", loader=None, overwrite=False, verbose=1):
    """Run a preprocessing pipeline over a source on a Dask cluster, into a zarr store.

    :func:`preprocess_to_store` with the chunks as Dask tasks: FITS paths go through a
    :mod:`dask.bag` (one partition per chunk), arrays through
    :func:`dask.array.map_blocks` (one block per chunk). Each task reads its images,
    preprocesses them with the pipeline (shipped to the workers once) and writes its rows
    into its own chunk of the zarr store; a bad FITS file never fails the job: its row is
    NaN and it is listed, with the reason, in ``bad_files``.

    **Resumable**, with the same progress file (``<store>.progress.json``) and fingerprints
    as :func:`preprocess_to_store`: a chunk is recorded as done when its task reports that
    its rows are written. A run that stops (Ctrl-C, a lost worker, a failing chunk: the
    other chunks still finish and are kept, then the error is raised) is resumed by the
    same call, which does only the chunks missing; another pipeline, source or
    ``chunk_size`` refuses to mix rows (``overwrite=True`` starts again). A store begun by
    :func:`preprocess_to_store` with ``loader=FITSLoader(on_error="nan")`` (or from an
    array) and the zarr format can be finished here, and the other way round.

    **Where it runs.** On ``client``; when None, on the current default client (the last
    ``distributed.Client`` created in this process); when there is none, on local threads
    (one chunk per thread, ``os.cpu_count()`` threads), so the function also works without
    a cluster. The workers must see the source files and the store at the same paths as
    this process (a shared file system on a multi-machine cluster; relative paths are made
    absolute). Only this process writes the progress file.

    Parameters
    ----------
    pipeline : estimator with fit and transform
        Usually :func:`make_preprocessing_pipeline`. A per-image pipeline that is not
        fitted is fitted on each chunk (a clone); one with steps that learn from the data
        (``LogScaler(normalize="global")``) must be fitted on a sample first, as in
        :func:`preprocess_to_store` (see ``fit``).
    source : array-like, list of paths, or str / path-like
        As in :func:`preprocess_to_store`: a list (or 1-column DataFrame) of FITS paths,
        a folder of FITS files or a text file listing them; or an array of images
        (NumPy array, memory-mapped ``.npy``, zarr array, h5py dataset, or the path of a
        ``.npy`` file or ``.zarr`` array). Memory maps and HDF5 datasets are reopened by
        path on the workers; an in-memory NumPy array travels through the scheduler (for a
        large survey, pass a zarr array or a ``.npy`` path).
    store : str or path-like
        The zarr array to write (a folder; a path ending in ``.npy`` is refused: the
        workers write their chunks side by side, which only a chunked store allows). Its
        parent folder must exist. Needs the ``scale`` extra.
    client : distributed.Client, default=None
        The cluster to run on; None: the default client, else local threads (see above).
    chunk_size : int, default=1024
        Images per task and per zarr chunk: the unit of work and of resumption.
    fit : {"auto"} or bool, default="auto"
        As in :func:`preprocess_to_store`.
    loader : FITSLoader, default=None
        Reads FITS sources (on the workers); None is ``FITSLoader()``. Its ``on_error`` is
        set to ``"nan"``: a file that cannot be read (missing, corrupt, not 2-D, all NaN,
        another shape) gives a NaN row. Use ``output_shape=`` when the files differ in
        shape.
    overwrite : bool, default=False
        Delete an existing store and its progress and start again.
    verbose : int, default=1
        Show a progress bar over the chunks when > 0.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With attributes

        - ``store``: the zarr array ``(n_samples, n_features_out)``, float32, opened
          read-only;
        - ``bad_files``: a DataFrame with columns ``row``, ``path`` and ``reason``, one
          line per NaN row (empty for an array source), also recorded under
          ``"bad_files"`` in the progress file (their rows under ``"nan_rows"``);
        - ``chunks_run``: the indices of the chunks this call processed (the others were
          done before).

    Raises
    ------
    ImportError
        Without Dask (``pip install "skgalvae[distributed]"``) or zarr (the ``scale``
        extra); the message names the extra.
    ValueError
        For the cases of :func:`preprocess_to_store` (each message names the store), a
        store path ending in ``.npy``, or a source with no readable file.
    Exception
        The first error of a chunk that failed on a worker, once the other chunks are
        done, with a note giving the rows and saying to rerun to resume.

    Warns
    -----
    UserWarning
        When the store holds NaN rows (bad FITS files), once, with their number.

    See Also
    --------
    preprocess_to_store : The same, in this process, into zarr or ``.npy``.
    make_preprocessing_pipeline : The per-image pipeline this function usually runs.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from distributed import Client
    >>> from skgalvae.preprocessing import make_preprocessing_pipeline, preprocess_with_dask
    >>> images = np.random.default_rng(0).random((10, 16, 16), dtype=np.float32)
    >>> pipe = make_preprocessing_pipeline(output_shape=8, mask_companions=False)
    >>> store = pathlib.Path(tempfile.mkdtemp()) / "X8.zarr"
    >>> with Client(processes=False, n_workers=1, threads_per_worker=2,
    ...             dashboard_address=":0") as client:
    ...     result = preprocess_with_dask(pipe, images, store, client=client,
    ...                                   chunk_size=4, verbose=0)
    >>> result.store.shape, result.store.chunks, result.chunks_run
    ((10, 64), (4, 64), [0, 1, 2])
    >>> np.allclose(result.store[:], pipe.fit_transform(images))
    True
    >>> preprocess_with_dask(pipe, images, store, chunk_size=4, verbose=0).chunks_run  # done
    []
    """
    import_optional("dask", purpose=_WHO)  # before any work: the message names the extra
    store = Path(store)
    if store.suffix == ".npy":
        msg = (
            f"store {str(store)!r} ends in .npy, but {_WHO} writes a zarr store (the "
            "workers write their chunks side by side): choose a path such as "
            f"{str(store.with_suffix('.zarr'))!r}, or use preprocess_to_store for a .npy "
            "file."
        )
        raise ValueError(msg)
    zarr = _import_zarr(f"{_WHO} (it writes a zarr store)")
    from ..io import FITSLoader

    loader = clone(FITSLoader() if loader is None else loader).set_params(on_error="nan")
    src, model, fit_each, state_path, state = _begin(
        pipeline, source, store, fmt="zarr", chunk_size=chunk_size, fit=fit, loader=loader,
        overwrite=overwrite, who=_WHO)
    state.setdefault("bad_files", [])
    pending = [i for i in range(state["n_chunks"]) if i not in set(state["done"])]
    if not state["complete"]:
        run_on = _resolve_client(client)
        if state["shape"] is None:
            state["shape"] = [src.n, _probe_width(src, model, fit_each)]
            _write_state(state_path, state)  # first: a store never lacks its progress file
            zarr.open_array(store=str(store), mode="w", shape=tuple(state["shape"]),
                            dtype="float32",
                            chunks=(min(chunk_size, src.n), state["shape"][1]))
        tasks = _chunk_tasks(src, model, fit_each, state["shape"][1],
                             os.path.abspath(store), chunk_size, pending)
        failed = []
        outcomes = _outcomes(run_on, tasks)
        try:
            for index, outcome in progress(outcomes, verbose=verbose, total=len(pending),
                                           desc=f"Preprocessing into {store.name}",
                                           unit="chunk"):
                if isinstance(outcome, BaseException):
                    failed.append((index, outcome))
                    continue
                bad = [{"row": int(row), "path": src.paths[row], "reason": reason}
                       for row, reason in outcome["bad"]]
                _commit(state_path, state, index, [b["row"] for b in bad], bad)
        finally:
            outcomes.close()
        if failed:
            index, exc = min(failed, key=lambda item: item[0])
            start = index * chunk_size
            stop = min(start + chunk_size, src.n)
            exc.add_note(
                f"(while preprocessing rows {start}-{stop - 1} of the source into "
                f"{str(store)!r} on Dask; {len(failed)} chunk(s) failed, the "
                f"{len(state['done'])} done are kept in {progress_path(store).name}: "
                "rerun to resume)"
            )
            raise exc
        _finish(state_path, state, store, src.n,
                where=" and in the result's bad_files table")
    return Bunch(store=zarr.open_array(store=str(store), mode="r"),
                 bad_files=_bad_files_table(state, src), chunks_run=sorted(pending))
