"""Apply a function to each image, in parallel: the helper every image transformer shares."""

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs


def _apply_chunk(func, images, out_shape, dtype):
    out = np.empty((len(images), *out_shape), dtype=dtype)
    for i, image in enumerate(images):
        out[i] = func(image)
    return out


def apply_per_image(func, images, *, out_shape=None, dtype=None, n_jobs=None,
                    prefer="threads"):
    """Return ``stack([func(image) for image in images])``, computed in parallel.

    Parameters
    ----------
    func : callable
        Maps one ``(h, w)`` image to one array of ``out_shape``. Must be picklable for
        ``n_jobs > 1`` (a module-level function or a ``functools.partial`` of one).
    images : ndarray of shape (n, h, w)
    out_shape : tuple of int, default=None
        Shape of one output image; defaults to the input image shape.
    dtype : dtype, default=None
        Output dtype; defaults to the input dtype.
    n_jobs : int, default=None
        Number of joblib workers (threads); ``None`` means 1, ``-1`` all cores. The images
        are split into one contiguous chunk per worker so the overhead is paid once per
        worker, not once per image. Row order is preserved.
    prefer : {"threads", "processes"}, default="threads"
        Threads avoid copying the images and suit numpy/scipy code, which releases the
        GIL; processes suit code that holds it (pure-Python loops).

    Returns
    -------
    ndarray of shape (n, *out_shape)
    """
    images = np.asarray(images)
    out_shape = tuple(images.shape[1:] if out_shape is None else out_shape)
    dtype = images.dtype if dtype is None else dtype
    n_workers = min(effective_n_jobs(n_jobs), max(len(images), 1))
    if n_workers <= 1:
        return _apply_chunk(func, images, out_shape, dtype)
    chunks = np.array_split(images, n_workers)
    results = Parallel(n_jobs=n_workers, prefer=prefer)(
        delayed(_apply_chunk)(func, chunk, out_shape, dtype) for chunk in chunks
    )
    return np.concatenate(results, axis=0)


def apply_per_chunk(func, images, *, n_jobs=None):
    """Return ``concatenate([func(chunk) for chunk in chunks])`` for a vectorised ``func``.

    ``func`` maps a stack ``(k, h, w)`` to a stack of ``k`` results; the images are split
    into one contiguous chunk per worker. Row order is preserved.
    """
    images = np.asarray(images)
    n_workers = min(effective_n_jobs(n_jobs), max(len(images), 1))
    if n_workers <= 1:
        return func(images)
    chunks = np.array_split(images, n_workers)
    results = Parallel(n_jobs=n_workers, prefer="threads")(
        delayed(func)(chunk) for chunk in chunks
    )
    return np.concatenate(results, axis=0)
