"""On-disk arrays that travel by path: a memory-mapped array or an HDF5 dataset pickles as
how to reopen it (never as a copy of its data) and is reopened on first use -- in a
``DataLoader`` worker, on a Dask worker, after unpickling. Zarr arrays and in-memory
arrays are kept as they are (zarr pickles as its store)."""

import mmap

import numpy as np

from ._optional import import_optional


def memmap_root(X):
    """The array whose buffer is the ``mmap`` behind ``X`` (a :class:`numpy.memmap`)."""
    obj, last = X, None
    while isinstance(obj, np.ndarray):
        last, obj = obj, obj.base
    if isinstance(obj, mmap.mmap) and isinstance(last, np.memmap):
        return last
    return None


def reopen_spec(array):
    """How to reopen ``array`` elsewhere, or None when it is not a file-backed array.

    A memmap (or a view of one): its file, byte offset, shape, strides and dtype; an h5py
    dataset: its file and dataset names.
    """
    if isinstance(array, np.ndarray):
        root = memmap_root(array)
        if root is None or root.filename is None:
            return None
        offset = int(root.offset) + (array.ctypes.data - root.ctypes.data)
        return {"kind": "memmap", "filename": str(root.filename), "offset": offset,
                "shape": array.shape, "strides": array.strides, "dtype": array.dtype.str}
    if type(array).__module__.startswith("h5py") and hasattr(array, "file"):
        return {"kind": "h5py", "filename": array.file.filename, "name": array.name}
    return None


class ReopenableArray:
    """An array that pickles without its data when it lives in a file (see the module).

    Parameters
    ----------
    array : numpy.ndarray, numpy.memmap, h5py.Dataset or zarr.Array
    purpose : str, default="reading an HDF5 array"
        What needs h5py, for the error when it is missing where the array is reopened.

    Examples
    --------
    >>> import pickle, tempfile, numpy as np
    >>> from skgalvae.utils._reopen import ReopenableArray
    >>> path = tempfile.mkdtemp() + "/x.npy"
    >>> np.save(path, np.arange(6.0).reshape(3, 2))
    >>> rows = ReopenableArray(np.load(path, mmap_mode="r"))
    >>> len(pickle.dumps(rows)) < 400, pickle.loads(pickle.dumps(rows))[1:]
    (True, array([[2., 3.],
           [4., 5.]]))
    """

    def __init__(self, array, *, purpose="reading an HDF5 array"):
        self.shape = tuple(int(s) for s in array.shape)
        self.dtype = np.dtype(array.dtype)
        self.ndim = len(self.shape)
        self.purpose = purpose
        self._array = array
        self._spec = reopen_spec(array)

    @property
    def array(self):
        """The array, reopened from its file when this object was pickled."""
        if self._array is None:
            spec = self._spec
            if spec["kind"] == "memmap":
                buffer = np.memmap(spec["filename"], dtype=np.uint8, mode="r")
                self._array = np.ndarray(spec["shape"], dtype=np.dtype(spec["dtype"]),
                                         buffer=buffer, offset=spec["offset"],
                                         strides=spec["strides"])
            else:
                h5py = import_optional("h5py", purpose=self.purpose)
                self._file = h5py.File(spec["filename"], "r")
                self._array = self._file[spec["name"]]
        return self._array

    def reopen(self):
        """Forget the open handle (a forked worker inherited it): reopen on next use."""
        if self._spec is not None:
            self._array = None

    def __getitem__(self, key):
        # a copy: no view of the file's pages escapes (Dask workers write into chunks)
        return np.array(self.array[key])

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_file", None)
        if self._spec is not None:
            state["_array"] = None
        return state
