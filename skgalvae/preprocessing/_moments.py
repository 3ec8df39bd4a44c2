"""Centroid and second moments of the central source of an image."""

import numpy as np
from scipy import ndimage


def _noise_threshold(image, nsigma):
    med = np.median(image)
    mad_std = 1.4826 * np.median(np.abs(image - med))
    return med + nsigma * mad_std


def source_weights(image, nsigma=1.0):
    """Positive flux above ``median + nsigma * robust std`` (0 elsewhere)."""
    return np.clip(image - _noise_threshold(image, nsigma), 0, None)


def central_centroid(image, *, radius=None, method="centroid", n_iter=10, nsigma=1.0):
    """Return ``(row, col)`` of the central source.

    ``"centroid"``: flux-weighted centroid of the pixels above the noise, within a circular
    window of ``radius`` pixels that starts at the image centre and follows the centroid
    (iterated until it moves less than 0.01 px). ``"peak"``: brightest pixel of the image
    smoothed by a 1-pixel Gaussian within ``radius`` of the centre. ``radius`` defaults to a
    quarter of the shorter side.
    """
    h, w = image.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    radius = min(h, w) / 4 if radius is None else radius
    yy, xx = np.indices(image.shape, dtype=np.float64)
    if method == "peak":
        smooth = ndimage.gaussian_filter(image.astype(np.float64), 1.0)
        window = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
        idx = np.argmax(np.where(window, smooth, -np.inf))
        return float(yy.flat[idx]), float(xx.flat[idx])
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


def orientation_angle(image, *, centre=None, radius=None, nsigma=1.0):
    """Angle (degrees, in (-90, 90]) of the major axis, counter-clockwise from the +x
    (column) axis when the image is shown with ``origin="lower"``; 0 for a round source."""
    h, w = image.shape
    if centre is None:
        centre = central_centroid(image, radius=radius, nsigma=nsigma)
    radius = min(h, w) / 4 if radius is None else radius
    cy, cx = centre
    yy, xx = np.indices(image.shape, dtype=np.float64)
    dy, dx = yy - cy, xx - cx
    wts = source_weights(image, nsigma) * (dy**2 + dx**2 <= radius**2)
    total = wts.sum()
    if total <= 0:
        return 0.0
    mxx = (wts * dx * dx).sum() / total
    myy = (wts * dy * dy).sum() / total
    mxy = (wts * dx * dy).sum() / total
    return float(np.degrees(0.5 * np.arctan2(2 * mxy, mxx - myy)))
