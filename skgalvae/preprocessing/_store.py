"""Preprocessing a survey, chunk by chunk, into an on-disk store (zarr or ``.npy``).

One public function, :func:`preprocess_to_store`. Its state lives beside the store, in
``<store>.progress.json``, rewritten atomically after each chunk: the fingerprints of the
pipeline and of the source, the output shape, the chunks done and whether the store is
complete. A rerun with the same pipeline and source skips the chunks done; a rerun with
others refuses to mix them into the store.

The checks, the fingerprints, the progress file and the per-chunk transform are shared
with :func:`~skgalvae.preprocessing.preprocess_with_dask` (``_dask.py``), which runs the
chunks on a Dask cluster into the same kind of store: ``_begin`` (everything before the
first chunk), ``_transform_rows`` (one chunk), ``_commit`` (one chunk done) and
``_finish`` (the store complete).
"""

import hashlib
import json
import math
import os
import shutil
import warnings
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from ..utils._atomic import atomic_path
from ..utils._optional import import_optional
from ..utils._progress import progress

#: Written into the progress file; bump when its meaning changes.
_STATE_VERSION = 1
_TOOL = "skgalvae.preprocessing.preprocess_to_store"
#: Parameters that change how fast a step runs, never what it computes.
_SPEED_PARAMS = frozenset({"n_jobs", "verbose", "memory", "pre_dispatch"})
#: Suffixes of the FITS files a folder source holds.
_FITS_SUFFIXES = (".fits", ".fits.gz", ".fit", ".fts", ".fit.gz", ".fts.gz")


def progress_path(store):
    """The progress file of ``store``: ``<store>.progress.json`` beside it."""
    store = Path(store)
    return store.with_name(store.name + ".progress.json")


# --------------------------------------------------------------------------- fingerprints
def _describe(value):
    """A JSON-able description of ``value`` that is the same in every process."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        params = value.get_params(deep=False)
        # a subclass that changes only the speed names the class it computes like
        cls = getattr(type(value), "_fingerprint_class", type(value))
        return {
            "class": f"{cls.__module__}.{cls.__qualname__}",
            "params": {k: _describe(v) for k, v in sorted(params.items())
                       if k not in _SPEED_PARAMS},
        }
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        digest = hashlib.sha256(data.tobytes()).hexdigest()
        return {"array": [str(data.dtype), list(data.shape), digest]}
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _describe(v) for k, v in sorted(value.items(), key=str)}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if callable(value):  # functions' reprs hold their address: name them instead
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', value)}"
    return repr(value)


def _digest(obj):
    text = json.dumps(obj, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _steps(estimator):
    """``(name, step)`` of every leaf step of a (nested) Pipeline."""
    if hasattr(estimator, "steps"):
        for name, step in estimator.steps:
            for sub, leaf in _steps(step):
                yield (name if sub is None else f"{name}__{sub}"), leaf
    else:
        yield None, estimator


def _is_per_image(step):
    """Whether ``step`` treats each row on its own (its fit learns nothing from the data)."""
    from sklearn.preprocessing import FunctionTransformer

    from ._base import BaseImageTransformer
    from ._log_scaler import LogScaler

    if step is None or (isinstance(step, str) and step == "passthrough"):
        return True
    if isinstance(step, LogScaler):
        return step.normalize != "global"
    return isinstance(step, (BaseImageTransformer, FunctionTransformer))


def _fitted_state(step):
    return {k: v for k, v in vars(step).items() if k.endswith("_") and not k.startswith("_")}


def _pipeline_fingerprint(pipeline, *, fitted):
    """The parameters of the pipeline, and the learned state of its data-dependent steps
    when it is used as fitted (a per-image step's state is only the image shape)."""
    description = {"params": _describe(pipeline)}
    state = {str(name): _describe(_fitted_state(step))
             for name, step in _steps(pipeline) if fitted and not _is_per_image(step)}
    if state:  # a fitted per-image pipeline is the same as an unfitted one
        description["state"] = state
    return _digest(description)


# --------------------------------------------------------------------------- sources
class _ArraySource:
    """Rows of an array: NumPy array or memmap, zarr array, h5py dataset."""

    kind = "array"

    def __init__(self, array, who="preprocess_to_store"):
        shape = tuple(int(s) for s in array.shape)
        if len(shape) == 0 or shape[0] == 0:
            msg = (
                f"source is empty (shape {shape}): {who} needs at least one image."
            )
            raise ValueError(msg)
        if len(shape) not in (2, 3, 4):
            msg = (
                f"source has shape {shape}, so its rows are not images: pass flat images "
                "(n, h*w) or (n, c*h*w), a stack (n, h, w) (one band) or (n, c, h, w) "
                "(c bands), or a list of FITS paths."
            )
            raise ValueError(msg)
        dtype = np.dtype(array.dtype)
        if dtype.kind not in "biuf":
            msg = (
                f"source has dtype {dtype}, so its rows are not images: pass a numeric "
                "array, or a list of FITS paths."
            )
            raise ValueError(msg)
        self.array = array
        self.n = shape[0]
        self.row_shape = shape[1:]
        self.dtype = dtype

    def fingerprint(self):
        ends = np.asarray(self.array[:1]), np.asarray(self.array[-1:])
        return {"kind": self.kind, "n": self.n, "row_shape": list(self.row_shape),
                "dtype": str(self.dtype), "ends": _describe(list(ends))}

    def read(self, start, stop):
        X = np.asarray(self.array[start:stop])
        if X.dtype.kind != "f":
            X = X.astype(np.float32)
        return X


class _FITSSource:
    """FITS files, read chunk by chunk by a FITSLoader fitted once on the whole list."""

    kind = "fits"

    def __init__(self, paths, loader, who="preprocess_to_store"):
        from ..io import FITSLoader
        from ..io._fits import _as_paths

        if len(paths) == 0:
            msg = f"source is empty: {who} needs at least one FITS path."
            raise ValueError(msg)
        self.paths = _as_paths(paths)
        self.loader = clone(FITSLoader() if loader is None else loader)
        self.loader.set_params(verbose=0)
        self.loader.fit(self.paths)  # reads the first readable file, for the image shape
        self.n = len(self.paths)
        self.row_shape = (int(np.prod(self.loader.image_shape_)),)
        self.nan_rows = self.loader.get_params().get("on_error") == "nan"

    def fingerprint(self):
        absolute = [os.path.abspath(p) for p in self.paths]  # the cwd may change
        digest = hashlib.sha256("\n".join(absolute).encode()).hexdigest()[:16]
        return {"kind": self.kind, "n": self.n, "first": absolute[0],
                "last": absolute[-1], "paths": digest,
                "image_shape": list(self.loader.image_shape_),
                "loader": _describe(self.loader)}

    def read(self, start, stop):
        return self.loader.transform(self.paths[start:stop])


def fits_paths_in(path):
    """The FITS files of a folder (sorted), or the paths listed in a text file.

    Relative paths in a list are relative to the list's folder; blank lines and lines
    starting with ``#`` are skipped.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(str(p) for p in path.iterdir()
                       if p.is_file() and p.name.lower().endswith(_FITS_SUFFIXES))
        if not files:
            msg = (
                f"source folder {str(path)!r} holds no FITS file (*.fits, *.fits.gz, "
                "*.fit, *.fts): point it at the folder of cutouts."
            )
            raise ValueError(msg)
        return files
    try:
        lines = path.read_text().splitlines()
    except UnicodeDecodeError as exc:
        msg = (
            f"source {str(path)!r} is neither a folder of FITS files, a .npy file nor a "
            "text file listing FITS paths (one per line)."
        )
        raise ValueError(msg) from exc
    files = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not files:
        msg = f"source list {str(path)!r} names no FITS file: write one path per line."
        raise ValueError(msg)
    return [str(p if Path(p).is_absolute() else path.parent / p) for p in files]


def _open_source(source, loader, who="preprocess_to_store"):
    """Wrap ``source`` (paths, array-like, or the path of a folder / list / .npy / .zarr);
    ``who`` is the function named in the messages."""
    import pandas as pd

    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            msg = (
                f"source {str(path)!r} does not exist: pass a folder of FITS files, a text "
                "file listing FITS paths, a .npy file, a .zarr array, or an array."
            )
            raise FileNotFoundError(msg)
        if path.suffix == ".npy":
            return _ArraySource(np.load(path, mmap_mode="r"), who)
        if path.suffix == ".zarr":
            zarr = import_optional("zarr", purpose=f"reading the source {str(path)!r}")
            return _ArraySource(zarr.open_array(store=str(path), mode="r"), who)
        return _FITSSource(fits_paths_in(path), loader, who)
    if isinstance(source, (pd.Series, pd.DataFrame)):
        if np.asarray(source).dtype.kind in "OUS":
            return _FITSSource(source, loader, who)
        source = source.to_numpy()
    if isinstance(source, (list, tuple)):
        if len(source) == 0:
            msg = f"source is empty: {who} needs at least one image or path."
            raise ValueError(msg)
        if all(isinstance(p, (str, os.PathLike)) for p in source):
            return _FITSSource(list(source), loader, who)
        return _ArraySource(np.asarray(source), who)
    if isinstance(source, np.ndarray) and source.dtype.kind in "OUS":
        return _FITSSource(source, loader, who)
    if not hasattr(source, "shape"):
        source = np.asarray(source)
    return _ArraySource(source, who)


# --------------------------------------------------------------------------- pipeline
def _prepare(pipeline, fit):
    """Return ``(estimator to use, whether it is fitted per chunk)``."""
    try:
        check_is_fitted(pipeline)
        fitted = True
    except NotFittedError:
        fitted = False
    if fit is False or (fit == "auto" and fitted):
        if not fitted:
            msg = (
                "pipeline is not fitted and fit=False: fit it on a sample first "
                "(pipeline.fit(X_sample)), or pass fit='auto' to fit a per-image pipeline "
                "on each chunk."
            )
            raise ValueError(msg)
        return pipeline, False
    for name, step in _steps(pipeline):
        if not _is_per_image(step):
            where = "pipeline" if name is None else f"pipeline step {name!r}"
            msg = (
                f"{where} ({step!r}) learns from the data it is fitted on, so fitting it "
                "chunk by chunk would treat each chunk differently: fit the pipeline on a "
                "random sample of the source first (pipeline.fit(X_sample)) and pass the "
                "fitted pipeline with fit='auto' (it then only transforms), or use "
                "per-image steps only (e.g. LogScaler(normalize='per_image'))."
            )
            raise ValueError(msg)
    return clone(pipeline), True


# --------------------------------------------------------------------------- the store
def _resolve_format(store, fmt):
    if fmt != "auto":
        return fmt
    return "npy" if store.suffix == ".npy" else "zarr"


def _import_zarr(purpose="preprocess_to_store(format='zarr')"):
    return import_optional("zarr", purpose=purpose)


def _read_state(path):
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        msg = (
            f"the progress file {str(path)!r} cannot be read ({exc}): pass overwrite=True "
            "to start the store again."
        )
        raise ValueError(msg) from exc
    if not isinstance(state, dict) or state.get("tool") != _TOOL:
        msg = (
            f"{str(path)!r} is not a progress file of preprocess_to_store or "
            "preprocess_with_dask: pass overwrite=True to start the store again, or choose "
            "another store path."
        )
        raise ValueError(msg)
    return state


def _write_state(path, state):
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(state, indent=1))


def _is_zarr_folder(path):
    return any((path / name).exists() for name in ("zarr.json", ".zarray", ".zgroup"))


def _remove(path):
    if path.is_dir() and not path.is_symlink():
        if not _is_zarr_folder(path):
            msg = (
                f"store {str(path)!r} is a folder that is not a zarr array: overwrite=True "
                "only replaces stores; remove it yourself or choose another store path."
            )
            raise ValueError(msg)
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _store_shape(store, fmt):
    """Shape of the existing store, or None when it cannot be opened as ``fmt``."""
    try:
        if fmt == "npy":
            return tuple(np.load(store, mmap_mode="r").shape)
        return tuple(_import_zarr().open_array(store=str(store), mode="r").shape)
    except ImportError:
        raise
    except Exception:  # noqa: BLE001 - any failure means "not a store of this format"
        return None


def _open_for_write(store, fmt, shape, chunk_size):
    if fmt == "npy":
        if store.exists():
            return np.load(store, mmap_mode="r+")
        return np.lib.format.open_memmap(store, mode="w+", dtype=np.float32, shape=shape)
    zarr = _import_zarr()
    if store.exists():
        return zarr.open_array(store=str(store), mode="r+")
    return zarr.open_array(store=str(store), mode="w", shape=shape, dtype="float32",
                           chunks=(min(chunk_size, shape[0]), shape[1]))


def _open_read_only(store, fmt):
    if fmt == "npy":
        return np.load(store, mmap_mode="r")
    return _import_zarr().open_array(store=str(store), mode="r")


def _check_existing(store, fmt, state_path, header, overwrite):
    """Return the state to resume from, or None to start afresh (after clearing)."""
    if overwrite:
        _remove(store)
        _remove(state_path)
        return None
    if not store.exists():
        if state_path.exists():  # the store was deleted: its progress means nothing now
            _remove(state_path)
        return None
    if not state_path.exists():
        shape = _store_shape(store, fmt)
        what = ("a store of shape " + str(shape)) if shape else "something"
        msg = (
            f"store {str(store)!r} already exists ({what}) and was not written by "
            f"preprocess_to_store or preprocess_with_dask (no {state_path.name} beside "
            "it): pass overwrite=True to replace it, or choose another store path."
        )
        raise ValueError(msg)
    state = _read_state(state_path)
    for key, what in (("format", "format"), ("chunk_size", "chunk_size"),
                      ("pipeline", "pipeline"), ("source", "source")):
        if state.get(key) != header[key]:
            if key in ("format", "chunk_size"):
                detail = f"{what}={state.get(key)!r}, not {header[key]!r}"
            else:
                detail = f"another {what}"
            msg = (
                f"store {str(store)!r} was written with {detail}: its rows cannot be "
                "mixed with these. Pass overwrite=True to start it again, choose another "
                "store path, or rerun with the same pipeline, source and chunk_size to "
                "resume it."
            )
            raise ValueError(msg)
    shape = _store_shape(store, fmt)
    if shape is None or list(shape) != state.get("shape"):
        msg = (
            f"store {str(store)!r} has shape {shape}, not the {tuple(state.get('shape'))} "
            f"its progress file records (it was changed or damaged): pass overwrite=True "
            "to start it again."
        )
        raise ValueError(msg)
    return state


# --------------------------------------------------------------------------- shared steps
def _begin(pipeline, source, store, *, fmt, chunk_size, fit, loader, overwrite,
           who="preprocess_to_store"):
    """Everything before the first chunk: check the store path, open the source, prepare
    the pipeline, and read (or clear, or start) the progress file.

    Returns ``(src, model, fit_each, state_path, state)``; ``state["complete"]`` says the
    store is done, ``state["shape"]`` is None until the output width is known.
    """
    if not store.parent.is_dir():
        msg = (
            f"the folder of store {str(store)!r} ({str(store.parent)!r}) does not exist: "
            "create it first, or choose another store path."
        )
        raise ValueError(msg)
    if store.exists() and fmt == "npy" and store.is_dir():
        msg = (
            f"store {str(store)!r} is a folder, but format='npy' writes a file: choose "
            "another store path, or format='zarr'."
        )
        raise ValueError(msg)
    src = _open_source(source, loader, who)
    model, fit_each = _prepare(pipeline, fit)
    n_chunks = math.ceil(src.n / chunk_size)
    header = {
        "tool": _TOOL,
        "version": _STATE_VERSION,
        "format": fmt,
        "chunk_size": int(chunk_size),
        "pipeline": _pipeline_fingerprint(model, fitted=not fit_each),
        "source": _digest(src.fingerprint()),
    }
    state_path = progress_path(store)
    state = _check_existing(store, fmt, state_path, header, overwrite)
    if state is None:
        state = {**header, "pipeline_repr": repr(pipeline),
                 "source_summary": _describe(src.fingerprint()), "shape": None,
                 "n_chunks": n_chunks, "done": [], "nan_rows": [], "complete": False}
    return src, model, fit_each, state_path, state


def _transform_rows(model, fit_each, X, good):
    """Preprocess one chunk ``X`` whose rows ``good`` are images (the others are NaN rows
    of unreadable files); return float32 rows ``(len(X), n_features_out)``, NaN where not
    ``good``, or None when no row is good."""
    if not good.any():
        return None
    Xg = X if good.all() else X[good]
    Y = model.fit_transform(Xg) if fit_each else model.transform(Xg)
    Y = np.asarray(Y, dtype=np.float32).reshape(len(Xg), -1)
    if good.all():
        return Y
    rows = np.full((len(X), Y.shape[1]), np.nan, np.float32)
    rows[good] = Y
    return rows


def _commit(state_path, state, index, nan_rows, bad_files=()):
    """Record chunk ``index`` as done (its rows are written), atomically."""
    state["done"] = sorted(set(state["done"]) | {int(index)})
    state["nan_rows"] = sorted(set(state["nan_rows"]) | {int(i) for i in nan_rows})
    if bad_files:
        state["bad_files"] = sorted([*state.get("bad_files", []), *bad_files],
                                    key=lambda bad: bad["row"])
    _write_state(state_path, state)


def _finish(state_path, state, store, n, *, where="", stacklevel=3):
    """Mark the store complete; warn once when it holds NaN rows."""
    state["complete"] = True
    _write_state(state_path, state)
    if state["nan_rows"]:
        msg = (
            f"{len(state['nan_rows'])} of {n} rows of {str(store)!r} are NaN (FITS "
            f"files that could not be read); their indices are under 'nan_rows' in "
            f"{str(state_path)!r}{where}."
        )
        warnings.warn(msg, UserWarning, stacklevel=stacklevel)


@validate_params(
    {
        "pipeline": [HasMethods(["fit", "transform"])],
        "source": ["array-like", str, os.PathLike],
        "store": [str, os.PathLike],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "format": [StrOptions({"auto", "zarr", "npy"})],
        "fit": [StrOptions({"auto"}), "boolean"],
        "loader": [HasMethods(["fit", "transform"]), None],
        "overwrite": ["boolean"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def preprocess_to_store(pipeline, source, store, *, chunk_size=1024, format="auto",
                        fit="auto", loader=None, overwrite=False, verbose=1):
    """Run a preprocessing pipeline over a source, chunk by chunk, into a store on disk.

    The source is read ``chunk_size`` rows at a time, each chunk is preprocessed and its
    rows are written to the store: a chunked zarr array (one zarr chunk per chunk of rows)
    or a preallocated ``.npy`` file. Memory holds one chunk, so a survey larger than
    memory goes through; the result, opened read-only, is ready for
    ``GalaxyVAE.fit`` or :class:`~skgalvae.models.EigengalaxyPCA`.

    **Resumable.** Each chunk is committed on its own: its rows are written and flushed,
    then the chunk is recorded as done in ``<store>.progress.json``, which is replaced
    atomically and also holds fingerprints of the pipeline (its parameters, without
    ``n_jobs``) and of the source (its length, row shape and ends; for files, every path).
    A run that stops (Ctrl-C, a bad file, a crash) keeps the chunks it committed: rerun
    the same call and it skips them. A rerun with another pipeline, source or
    ``chunk_size`` refuses to mix rows: pass ``overwrite=True`` to start again. A
    complete store is returned at once. Run one call at a time on a store.

    Parameters
    ----------
    pipeline : estimator with fit and transform
        Usually :func:`make_preprocessing_pipeline`. Its output rows must all have the
        same length (an image of fixed shape).
    source : array-like, list of paths, or str / path-like
        The images: an array (NumPy array or memmap, zarr array, h5py dataset) of flat
        images ``(n, h*w)`` (or ``(n, c*h*w)`` for ``c`` bands, with a pipeline built
        with ``image_shape=(c, h, w)``) or of stacks ``(n, h, w)`` / ``(n, c, h, w)``;
        or a list (or 1-column DataFrame) of FITS paths, read chunk by chunk with
        ``loader``; or a path: a folder of FITS files (sorted by name), a text file
        listing FITS paths (one a line, relative to its folder), a ``.npy`` file
        (memory-mapped) or a ``.zarr`` array. Integer images are cast to float32; float
        images keep their dtype inside the pipeline.
    store : str or path-like
        The output: a zarr array (a folder) or a ``.npy`` file. Its parent folder must
        exist. The progress file is ``<store>.progress.json`` beside it.
    chunk_size : int, default=1024
        Rows per chunk (and per zarr chunk). Memory holds about a few copies of one
        chunk of raw images.
    format : {"auto", "zarr", "npy"}, default="auto"
        ``"auto"``: ``"npy"`` when ``store`` ends in ``.npy``, else ``"zarr"``. zarr
        needs the ``scale`` extra (``pip install "skgalvae[scale]"``); ``.npy`` needs
        nothing more.
    fit : {"auto"} or bool, default="auto"
        ``"auto"``: a fitted pipeline is only used to transform; an unfitted one is
        fitted on each chunk (a clone; ``pipeline`` itself is not changed), which only
        works when every step treats each image on its own (every skgalvae transformer but
        ``LogScaler(normalize="global")``, and ``FunctionTransformer``): otherwise it
        raises, asking to fit the pipeline on a random sample of the source first.
        ``True``: fit on each chunk even when fitted (per-image steps only). ``False``:
        never fit (the pipeline must be fitted).
    loader : FITSLoader, default=None
        Reads FITS sources; None is ``FITSLoader()``, for which a file that cannot be
        read stops the run with a :class:`~skgalvae.io.FITSReadError` naming it (the
        chunks before are kept; run :func:`~skgalvae.io.check_fits_files` first to find
        every bad file). With ``FITSLoader(on_error="nan")`` a bad file gives a NaN row
        instead (the pipeline runs on the good rows only); the rows are listed under
        ``"nan_rows"`` in the progress file, and one warning counts them at the end.
        Use ``output_shape=`` when the files differ in shape.
    overwrite : bool, default=False
        Delete an existing store and its progress and start again.
    verbose : int, default=1
        Show a progress bar over the chunks when > 0.

    Returns
    -------
    X : numpy.memmap or zarr.Array of shape (n_samples, n_features_out), float32
        The store, opened read-only (``np.load(store, mmap_mode="r")`` for ``.npy``).

    Raises
    ------
    ValueError
        For an empty source, rows that are not images, a store whose parent folder does
        not exist, an existing store that was not written by this function, of another
        shape, or with another pipeline, source or ``chunk_size`` (each message names the
        store and says to pass ``overwrite=True``), or a pipeline that must be fitted on
        a sample first.
    ImportError
        For ``format="zarr"`` without zarr installed; the message names the extra.

    See Also
    --------
    make_preprocessing_pipeline : The per-image pipeline this function usually runs.
    skgalvae.io.check_fits_files : Find bad FITS files before a long run.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from skgalvae.preprocessing import make_preprocessing_pipeline, preprocess_to_store
    >>> images = np.random.default_rng(0).random((10, 16, 16), dtype=np.float32)
    >>> pipe = make_preprocessing_pipeline(output_shape=8, mask_companions=False)
    >>> store = pathlib.Path(tempfile.mkdtemp()) / "X8.npy"
    >>> X = preprocess_to_store(pipe, images, store, chunk_size=4, verbose=0)
    >>> X.shape, X.dtype
    ((10, 64), dtype('float32'))
    >>> np.allclose(X, pipe.fit_transform(images))
    True
    >>> preprocess_to_store(pipe, images, store, chunk_size=4, verbose=0).shape  # done
    (10, 64)
    """
    store = Path(store)
    fmt = _resolve_format(store, format)
    if fmt == "zarr":
        _import_zarr()  # before any work: the message names the extra
    src, model, fit_each, state_path, state = _begin(
        pipeline, source, store, fmt=fmt, chunk_size=chunk_size, fit=fit, loader=loader,
        overwrite=overwrite)
    if state["complete"]:
        return _open_read_only(store, fmt)
    n_chunks = state["n_chunks"]
    done = set(state["done"])
    out = None
    if state["shape"] is not None:
        out = _open_for_write(store, fmt, tuple(state["shape"]), chunk_size)
    pending = [i for i in range(n_chunks) if i not in done]
    all_nan = []  # chunks of unreadable files only, seen before the output width is known

    def commit(index, start, stop, rows, nan_rows):
        out[start:stop] = rows
        if fmt == "npy":
            out.flush()
        done.add(index)
        _commit(state_path, state, index, nan_rows)

    for index in progress(pending, verbose=verbose, total=len(pending),
                          desc=f"Preprocessing into {store.name}", unit="chunk"):
        start, stop = index * chunk_size, min((index + 1) * chunk_size, src.n)
        try:
            X = src.read(start, stop)
            good = np.ones(len(X), bool)
            if src.kind == "fits" and src.nan_rows:
                good = ~np.isnan(X).all(axis=1)
            rows = _transform_rows(model, fit_each, X, good)
            if rows is None:
                if out is None:  # the output width is not known yet: write it later
                    all_nan.append((index, start, stop))
                    continue
                rows = np.full((len(X), state["shape"][1]), np.nan, np.float32)
        except Exception as exc:
            exc.add_note(
                f"(while preprocessing rows {start}-{stop - 1} of the source into "
                f"{str(store)!r}; the {len(done)} chunks done are kept: rerun to resume)"
            )
            raise
        if out is None:
            state["shape"] = [src.n, int(rows.shape[1])]
            _write_state(state_path, state)  # first: a store never lacks its progress file
            out = _open_for_write(store, fmt, tuple(state["shape"]), chunk_size)
        if rows.shape[1] != state["shape"][1]:
            msg = (
                f"the pipeline gave {rows.shape[1]} features for rows {start}-{stop - 1} "
                f"but {state['shape'][1]} before: its output must have one fixed shape "
                "(end it with a Resizer)."
            )
            raise ValueError(msg)
        commit(index, start, stop, rows, [start + int(i) for i in np.flatnonzero(~good)])
        for nan_index, nan_start, nan_stop in all_nan:
            commit(nan_index, nan_start, nan_stop,
                   np.full((nan_stop - nan_start, rows.shape[1]), np.nan, np.float32),
                   range(nan_start, nan_stop))
        all_nan = []
    if out is None:
        msg = f"no file of the source could be read: store {str(store)!r} was not written."
        raise ValueError(msg)
    _finish(state_path, state, store, src.n)
    return _open_read_only(store, fmt)
