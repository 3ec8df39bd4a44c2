"""Image-shape handling: the one place that knows how images travel through a Pipeline.

Inside a Pipeline, images are a 2-D float array ``(n_samples, n_features)`` so that every
scikit-learn tool works unchanged. The image shape travels as the ``image_shape`` parameter
and the fitted ``image_shape_`` attribute:

- one band: ``image_shape = (h, w)`` and rows of ``h * w`` pixels, exactly as before
  multi-band support; ``(n, h, w)`` and ``(n, 1, h, w)`` input are accepted;
- ``c > 1`` bands (e.g. SDSS g, r, i): ``image_shape = (c, h, w)`` and rows of ``c * h * w``
  pixels in band-major (C) order, i.e. ``row.reshape(c, h, w)[k]`` is band ``k``;
  ``(n, c, h, w)`` input is accepted. A 3-D input ``(n, h, w)`` is always one band.

A one-band shape is always written ``(h, w)``: ``(1, h, w)`` is normalised to it, so a
single band behaves bit for bit as it did before channels existed.
"""

import math
import warnings

import numpy as np


def normalise_shape(shape):
    """The canonical image shape: ``(h, w)`` for one band, ``(c, h, w)`` for ``c > 1``.

    Examples
    --------
    >>> normalise_shape((1, 64, 64)), normalise_shape([3, 64, 64]), normalise_shape((8, 8))
    ((64, 64), (3, 64, 64), (8, 8))
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) == 3 and shape[0] == 1:
        return shape[1:]
    return shape


def n_channels(shape):
    """Number of bands of an image shape ``(h, w)`` (1) or ``(c, h, w)`` (c)."""
    return int(shape[0]) if len(shape) == 3 else 1


def spatial_shape(shape):
    """The ``(h, w)`` of an image shape ``(h, w)`` or ``(c, h, w)``."""
    return tuple(int(s) for s in shape[-2:])


def as_cubes(X, image_shape):
    """View flat rows as ``(n, c, h, w)`` cubes (``c = 1`` for one band)."""
    return np.asarray(X).reshape(-1, n_channels(image_shape), *spatial_shape(image_shape))


def flatten_images(X):
    """Return ``X`` as ``(n_samples, n_features)`` and the image shape it carried.

    Parameters
    ----------
    X : array-like of shape (n, n_features), (n, h, w) or (n, c, h, w)
        Images or flat rows. Non-array inputs (lists, DataFrames) are returned unchanged
        with ``None`` as shape, for ``validate_data`` to handle.

    Returns
    -------
    X2d : array-like
        ``X`` with the image axes flattened (band-major for ``(n, c, h, w)``).
    shape : tuple of int or None
        ``(h, w)`` when ``X`` was 3-D or had one channel, ``(c, h, w)`` when it was
        ``(n, c, h, w)`` with ``c > 1``, else ``None``.
    """
    if not isinstance(X, np.ndarray) or X.ndim <= 2:
        return X, None
    if X.ndim == 3:
        shape = X.shape[1:]
    elif X.ndim == 4:
        shape = normalise_shape(X.shape[1:])
    else:
        msg = (
            f"Images must have shape (n, n_features), (n, h, w) or (n, c, h, w); got an "
            f"array of shape {X.shape}."
        )
        raise ValueError(msg)
    return X.reshape(X.shape[0], math.prod(shape)), tuple(int(s) for s in shape)


def resolve_image_shape(image_shape, shape_from_input, n_features, *, warn=True):
    """Decide the image shape, ``(h, w)`` or ``(c, h, w)``, of rows of ``n_features``.

    The order of precedence is: the ``image_shape`` parameter, the shape of a 3-D/4-D
    input, a square side when ``n_features`` is a perfect square, and finally a one-row
    strip ``(1, n_features)`` with a warning (rows that are not images, e.g. scikit-learn's
    estimator checks).

    Raises
    ------
    ValueError
        If ``image_shape`` does not multiply to ``n_features`` or disagrees with the input.
    """
    if image_shape is not None:
        shape = tuple(int(s) for s in image_shape)
        if len(shape) not in (2, 3) or math.prod(shape) != n_features:
            msg = (
                f"image_shape={image_shape!r} does not match the {n_features} features of X: "
                f"height * width (or bands * height * width for image_shape=(c, h, w)) "
                f"must equal n_features. Pass image_shape=None to infer it."
            )
            raise ValueError(msg)
        shape = normalise_shape(shape)
        if shape_from_input is not None and shape != shape_from_input:
            msg = (
                f"image_shape={shape} disagrees with the shape of the input images "
                f"{shape_from_input}."
            )
            raise ValueError(msg)
        return shape
    if shape_from_input is not None:
        return shape_from_input
    side = math.isqrt(n_features)
    if side * side == n_features:
        return (side, side)
    if warn:
        msg = (
            f"X has {n_features} features, not a perfect square, and image_shape is None: "
            f"treating each row as a 1 x {n_features} image. Pass image_shape=(height, "
            f"width), image_shape=(bands, height, width) or images of shape "
            f"(n, height, width) or (n, bands, height, width)."
        )
        warnings.warn(msg, UserWarning, stacklevel=3)
    return (1, n_features)


def flat_image_stack(images, image_shape=None, *, name="images", dtype=float):
    """``(flat array (n, n_features), image shape)`` of a non-empty stack of images.

    Accepts ``(n, n_features)`` (with ``image_shape`` or square one-band images),
    ``(n, h, w)`` and ``(n, c, h, w)``; errors name ``name``.
    """
    arr = np.asarray(images, dtype=dtype)
    if arr.ndim < 2 or arr.ndim > 4:
        msg = (
            f"{name} must have shape (n, n_features), (n, h, w) or (n, c, h, w); got an "
            f"array of shape {arr.shape}."
        )
        raise ValueError(msg)
    if arr.shape[0] == 0:
        msg = f"{name} is empty: pass at least one image."
        raise ValueError(msg)
    try:
        flat, shape = flatten_images(arr)
        shape = resolve_image_shape(image_shape, shape, flat.shape[1])
    except ValueError as exc:
        msg = f"{name}: {exc}"
        raise ValueError(msg) from exc
    return flat, shape


def as_images(X, image_shape):
    """View flat rows as images ``(n, *image_shape)``: ``(n, h, w)`` or ``(n, c, h, w)``."""
    return np.asarray(X).reshape(-1, *image_shape)


def validate_images(estimator, X, *, reset, dtype, warn=True):
    """``validate_data`` for images: the one image check every estimator shares.

    Flattens ``(n, h, w)`` / ``(n, c, h, w)`` input, validates it with
    :func:`sklearn.utils.validation.validate_data`, and on ``reset`` sets
    ``estimator.image_shape_`` from its ``image_shape`` parameter, the input's shape or
    the square side. Otherwise an image-shaped input must have the fitted image shape.
    ``warn=False`` silences the warning for rows that are no image (for estimators that
    also take any feature vector, such as ``LogScaler``).

    Returns
    -------
    X : ndarray of shape (n_samples, n_pixels)
    """
    from sklearn.utils.validation import validate_data

    X, shape = flatten_images(X)
    if (not reset and shape is not None
            and shape != normalise_shape(estimator.image_shape_)):
        msg = (
            f"{type(estimator).__name__} was fitted on images of shape "
            f"{estimator.image_shape_} but got images of shape {shape}."
        )
        raise ValueError(msg)
    X = validate_data(estimator, X, reset=reset, dtype=dtype)
    if reset:
        estimator.image_shape_ = resolve_image_shape(estimator.image_shape, shape,
                                                     X.shape[1], warn=warn)
    return X
