"""What the path loaders of :mod:`skgalvae.io` share: one image per row, bad rows as NaN."""

import warnings

import numpy as np


def stack_rows(items, results, image_shape, *, on_error, error_class, describe, what,
               annotate=None):
    """Stack ``(image, error)`` results into float32 rows ``(n, prod(image_shape))``.

    Parameters
    ----------
    items : sequence
        What was read, one per row (paths, or a galaxy's paths per band).
    results : sequence of (ndarray or None, str or None)
        The image read for each item, or None and the reason.
    image_shape : tuple of int
        The fitted shape every image must have.
    on_error : {"raise", "nan"}
        Raise ``error_class`` at the first bad item, or give it a NaN row and warn once.
    error_class : type of Exception
    describe : callable
        ``describe(i, item) -> str`` names item ``i`` in the message of an image of
        another shape.
    what : str
        The plural the warning counts (``"images"``, ``"FITS files"``).
    annotate : callable, optional
        ``annotate(i, error) -> str`` rewrites the error of item ``i``.

    Returns
    -------
    rows : ndarray of shape (n, prod(image_shape)), float32
    """
    shape = tuple(image_shape)
    out = np.full((len(items), int(np.prod(shape))), np.nan, np.float32)
    bad = []
    for i, (item, (image, error)) in enumerate(zip(items, results)):
        if image is not None and image.shape != shape:
            error = (
                f"{describe(i, item)} has shape {image.shape}, not {shape} like the "
                "others; pass output_shape= to resample every image to one shape."
            )
            image = None
        if image is None:
            if annotate is not None:
                error = annotate(i, error)
            if on_error == "raise":
                raise error_class(error)
            bad.append(error)
        else:
            out[i] = image.ravel()
    if bad:
        msg = f"{len(bad)} of {len(items)} {what} gave NaN rows:\n" + "\n".join(bad)
        warnings.warn(msg, UserWarning, stacklevel=3)
    return out


class PathLoaderMixin:
    """Feature count and tags of a transformer from paths to image rows."""

    @property
    def _n_features_out(self):
        return int(np.prod(self.image_shape_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags
