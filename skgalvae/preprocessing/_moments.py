"""Centroid and second moments of the central source of an image."""

from functools import lru_cache

import numpy as np
from scipy import ndimage


@lru_cache(maxsize=16)
def _grid(shape):
    """``np.indices(shape, dtype=float64)``, built once per image shape (read-only)."""
    yy, xx = np.indices(shape, dtype=np.float64)
    yy.flags.writeable = False
    xx.flags.writeable = False
    return yy, xx


def middle_values(values, k_low, k_high):
    """``np.mean(np.partition(values, (k_low, k_high))[k_low:k_high + 1])`` for
    ``k_high - k_low`` in {0, 1}, and the partitioned array: the mean of the one or
    two middle order statistics, as ``np.median`` computes it (the same float).

    One ``np.partition`` at the single index ``k_high`` (NumPy selects one index with
    its vectorised selection; two or more indices take a generic path about 10x
    slower: 16 vs 185 us for 22,500 float32 values), then the largest of the values
    before it, which is the order statistic ``k_high - 1``. ``values`` is not
    changed.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([5.0, 1.0, 4.0, 2.0, 3.0, 6.0])
    >>> float(middle_values(x, 2, 3)[0]), float(np.median(x))
    (3.5, 3.5)
    """
    part = np.partition(values, k_high)
    if k_low == k_high:
        return np.mean(part[k_high:k_high + 1]), part
    middle = np.array([part[:k_high].max(), part[k_high]], dtype=part.dtype)
    return np.mean(middle), part


def median(values):
    """``np.median(values)`` of all the values (the same float, NaN if any is NaN),
    with one single-index partition (:func:`middle_values`).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(10, dtype=np.float32)[::-1]
    >>> median(x) == np.median(x), median(x[:9]) == np.median(x[:9])
    (np.True_, np.True_)
    """
    values = np.ravel(values)
    n = values.size
    if n < 2 or values.dtype.kind not in "f":  # np.median's own path
        return np.median(values)
    value, part = middle_values(values, (n - 1) // 2, n // 2)
    if np.isnan(part[n // 2:]).any():  # NaN sorts last: np.median answers NaN
        return np.median(values)
    return value


def _noise_threshold(image, nsigma):
    med = median(image)
    mad_std = 1.4826 * median(np.abs(image - med))
    return med + nsigma * mad_std


def source_weights(image, nsigma=1.0):
    """Positive flux above ``median + nsigma * robust std`` (0 elsewhere)."""
    return np.clip(image - _noise_threshold(image, nsigma), 0, None)


def _default_radius(shape, radius):
    return min(shape) / 4 if radius is None else radius


def central_centroid(image, *, radius=None, method="centroid", n_iter=10, nsigma=1.0,
                     weights=None):
    """Return ``(row, col)`` of the central source.

    ``"centroid"``: flux-weighted centroid of the pixels above the noise, within a circular
    window of ``radius`` pixels that starts at the image centre and follows the centroid
    (iterated until it moves less than 0.01 px). ``"peak"``: brightest pixel of the image
    smoothed by a 1-pixel Gaussian within ``radius`` of the centre. ``radius`` defaults to a
    quarter of the shorter side. ``weights``: the image's :func:`source_weights` (for
    ``nsigma``), when the caller has them already.
    """
    h, w = image.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    radius = _default_radius(image.shape, radius)
    yy, xx = _grid(image.shape)
    if method == "peak":
        smooth = ndimage.gaussian_filter(image.astype(np.float64), 1.0)
        window = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
        idx = np.argmax(np.where(window, smooth, -np.inf))
        return float(yy.flat[idx]), float(xx.flat[idx])
    if weights is None:
        weights = source_weights(image, nsigma)
    for _ in range(n_iter):
        window = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
        wts = weights * window
        total = wts.sum()
        if total <= 0:
            break
        ny, nx = (wts * yy).sum() / total, (wts * xx).sum() / total
        moved = np.hypot(ny - cy, nx - cx)
        cy, cx = ny, nx
        if moved < 0.01:
            break
    return float(cy), float(cx)


def orientation_angle(image, *, centre=None, radius=None, nsigma=1.0, weights=None):
    """Angle (degrees, in (-90, 90]) of the major axis, counter-clockwise from the +x
    (column) axis when the image is shown with ``origin="lower"``; 0 for a round source.

    ``weights``: the image's :func:`source_weights` (for ``nsigma``), when the caller
    has them already (they are computed once and shared with the centroid)."""
    if weights is None:
        weights = source_weights(image, nsigma)
    if centre is None:
        centre = central_centroid(image, radius=radius, nsigma=nsigma, weights=weights)
    radius = _default_radius(image.shape, radius)
    cy, cx = centre
    yy, xx = _grid(image.shape)
    dy, dx = yy - cy, xx - cx
    wts = weights * (dy**2 + dx**2 <= radius**2)
    total = wts.sum()
    if total <= 0:
        return 0.0
    mxx = (wts * dx * dx).sum() / total
    myy = (wts * dy * dy).sum() / total
    mxy = (wts * dx * dy).sum() / total
    return float(np.degrees(0.5 * np.arctan2(2 * mxy, mxx - myy)))


def centroid_and_angle(image, *, radius=None, nsigma=1.0):
    """``(centre, angle)``: :func:`central_centroid` and :func:`orientation_angle` of
    ``image`` about that centre, from one computation of the source weights (the two
    functions called one after the other give the same floats, at twice the cost of
    the noise threshold).

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.indices((41, 41)) - 20.0
    >>> u, v = (xx + yy) / np.sqrt(2), (yy - xx) / np.sqrt(2)
    >>> (cy, cx), angle = centroid_and_angle(np.exp(-(u**2 / 50 + v**2 / 8)))
    >>> round(cy, 6), round(cx, 6), round(angle, 6)
    (20.0, 20.0, 45.0)
    """
    weights = source_weights(image, nsigma)
    centre = central_centroid(image, radius=radius, nsigma=nsigma, weights=weights)
    angle = orientation_angle(image, centre=centre, radius=radius, nsigma=nsigma,
                              weights=weights)
    return centre, angle
