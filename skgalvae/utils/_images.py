"""Image-shape handling: the one place that knows how images travel through a Pipeline.

Inside a Pipeline, images are a 2-D float array ``(n_samples, height * width)`` so that every
scikit-learn tool works unchanged. Estimators also accept ``(n, h, w)`` and ``(n, 1, h, w)``
arrays; the image shape travels as the ``image_shape`` parameter and the fitted
``image_shape_`` attribute.
"""

import math
import warnings

import numpy as np


def flatten_images(X):
    """Return ``X`` as ``(n_samples, n_features)`` and the image shape it carried.

    Parameters
    ----------
    X : array-like of shape (n, h*w), (n, h, w) or (n, 1, h, w)
        Images or flat rows. Non-array inputs (lists, DataFrames) are returned unchanged
        with ``None`` as shape, for ``validate_data`` to handle.

    Returns
    -------
    X2d : array-like
        ``X`` with the image axes flattened.
    shape : tuple of int or None
        ``(h, w)`` when ``X`` was 3-D or 4-D, else ``None``.
    """
    if not isinstance(X, np.ndarray) or X.ndim <= 2:
        return X, None
    if X.ndim == 3:
        n, h, w = X.shape
    elif X.ndim == 4 and X.shape[1] == 1:
        n, _, h, w = X.shape
    else:
        msg = (
            f"Images must have shape (n, h*w), (n, h, w) or (n, 1, h, w); got an array of "
            f"shape {X.shape}. Multi-band images are not supported: select one band."
        )
        raise ValueError(msg)
    return X.reshape(n, h * w), (int(h), int(w))


def resolve_image_shape(image_shape, shape_from_input, n_features, *, warn=True):
    """Decide the ``(height, width)`` of flat rows of ``n_features`` pixels.

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
        if len(shape) != 2 or math.prod(shape) != n_features:
            msg = (
                f"image_shape={image_shape!r} does not match the {n_features} features of X: "
                f"height * width must equal n_features. Pass image_shape=None to infer it."
            )
            raise ValueError(msg)
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
            f"width) or 3-D images of shape (n, height, width)."
        )
        warnings.warn(msg, UserWarning, stacklevel=3)
    return (1, n_features)


def flat_image_stack(images, image_shape=None, *, name="images", dtype=float):
    """``(flat array (n, h*w), (h, w))`` of a non-empty stack of images.

    Accepts ``(n, h*w)`` (with ``image_shape`` or square images), ``(n, h, w)`` and
    ``(n, 1, h, w)``; errors name ``name``.
    """
    arr = np.asarray(images, dtype=dtype)
    if arr.ndim < 2 or arr.ndim > 4:
        msg = (
            f"{name} must have shape (n, h*w), (n, h, w) or (n, 1, h, w); got an array "
            f"of shape {arr.shape}."
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
    """View flat rows ``(n, h*w)`` as images ``(n, h, w)``."""
    return np.asarray(X).reshape(-1, *image_shape)


def validate_images(estimator, X, *, reset, dtype):
    """``validate_data`` for images: the one image check every estimator shares.

    Flattens ``(n, h, w)`` / ``(n, 1, h, w)`` input, validates it with
    :func:`sklearn.utils.validation.validate_data`, and on ``reset`` sets
    ``estimator.image_shape_`` from its ``image_shape`` parameter, the input's shape or
    the square side. Otherwise a 3-D input must have the fitted image shape.

    Returns
    -------
    X : ndarray of shape (n_samples, n_pixels)
    """
    from sklearn.utils.validation import validate_data

    X, shape = flatten_images(X)
    if not reset and shape is not None and shape != tuple(estimator.image_shape_):
        msg = (
            f"{type(estimator).__name__} was fitted on images of shape "
            f"{estimator.image_shape_} but got images of shape {shape}."
        )
        raise ValueError(msg)
    X = validate_data(estimator, X, reset=reset, dtype=dtype)
    if reset:
        estimator.image_shape_ = resolve_image_shape(estimator.image_shape, shape,
                                                     X.shape[1])
    return X
