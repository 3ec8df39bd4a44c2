"""Flux-conserving resampling of images by separable linear operators.

Each axis is resampled by a matrix: when the axis shrinks, an area-overlap (box) matrix,
whose rows average the input pixels that each output pixel covers (exact flux
conservation, and anti-aliasing by construction); when it grows, a linear-interpolation
matrix on aligned pixel centres. A whole stack is resampled by two matrix products,
``Ry @ images @ Rx.T``.
"""

import numpy as np


def _overlap_matrix(n_in, n_out):
    """(n_out, n_in) weights: overlap of output pixel j with input pixel i, in input
    pixels, divided by the output pixel's width (rows sum to 1)."""
    f = n_in / n_out
    edges_out = np.arange(n_out + 1) * f
    lo = np.maximum(edges_out[:-1, None], np.arange(n_in)[None, :])
    hi = np.minimum(edges_out[1:, None], np.arange(1, n_in + 1)[None, :])
    return np.clip(hi - lo, 0, None) / f


def _interp_matrix(n_in, n_out):
    """(n_out, n_in) linear interpolation at the output pixel centres (rows sum to 1)."""
    f = n_in / n_out
    x = np.clip((np.arange(n_out) + 0.5) * f - 0.5, 0, n_in - 1)
    i0 = np.floor(x).astype(int)
    i1 = np.minimum(i0 + 1, n_in - 1)
    w1 = x - i0
    mat = np.zeros((n_out, n_in))
    np.add.at(mat, (np.arange(n_out), i0), 1 - w1)
    np.add.at(mat, (np.arange(n_out), i1), w1)
    return mat


def resample_matrix(n_in, n_out):
    """Return the ``(n_out, n_in)`` matrix that resamples one axis (rows sum to 1)."""
    if n_out == n_in:
        return np.eye(n_in)
    return _overlap_matrix(n_in, n_out) if n_out < n_in else _interp_matrix(n_in, n_out)


def resize_images(images, output_shape, *, preserve_flux=True):
    """Resample a stack ``(n, h, w)`` (or one ``(h, w)`` image) to ``output_shape``.

    Parameters
    ----------
    images : ndarray of shape (n, h, w) or (h, w)
    output_shape : tuple of int (oh, ow)
    preserve_flux : bool, default=True
        Scale by the pixel-area ratio so that each image's total flux is kept; otherwise
        the surface brightness (pixel values) is kept.

    Returns
    -------
    ndarray of shape (n, oh, ow) or (oh, ow), in the input's float dtype (float64 for
    integer input).
    """
    images = np.asarray(images)
    dtype = images.dtype if images.dtype.kind == "f" else np.float64
    h, w = images.shape[-2:]
    oh, ow = (int(s) for s in output_shape)
    ry = resample_matrix(h, oh).astype(dtype)
    rx = resample_matrix(w, ow).astype(dtype)
    out = ry @ images.astype(dtype, copy=False) @ rx.T
    if preserve_flux:
        out *= (h * w) / (oh * ow)
    return out
