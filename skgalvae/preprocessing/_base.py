"""The base class every image transformer of :mod:`skgalvae.preprocessing` shares, and
the one place that knows how a transformer treats the bands of a multi-band image."""

from functools import partial
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils._images import as_images, n_channels, validate_images
from ..utils._parallel import apply_per_image

_FLOAT_DTYPES = (np.float64, np.float32)


class BaseImageTransformer(TransformerMixin, BaseEstimator):
    """Base class for transformers that map each image to an image.

    Subclasses add ``OneToOneFeatureMixin`` when the image shape is kept, or
    ``ClassNamePrefixFeaturesOutMixin`` with ``_n_features_out`` when it changes.

    Bands: by default a transformer is **per band**: each band of a ``(c, h, w)`` image is
    processed on its own, as if it were a one-band image (the sky level, a crop, a
    resampling: each band has its own sky). Subclasses implement
    ``_transform_one(image) -> image`` for one ``(h, w)`` band, or override
    ``_transform_bands(bands)`` to vectorise over a stack ``(k, h, w)`` of bands (of one
    or of many images). Transformers that measure the geometry of the galaxy instead use
    :class:`ReferenceBandMixin`, which measures once per galaxy and applies the result to
    every band.

    ``fit`` only validates the input and records ``image_shape_`` and
    ``n_features_in_``: the transformers are stateless (each image is processed on its
    own), which their tags say.

    Input may be ``(n, h*w)``, ``(n, h, w)`` or ``(n, 1, h, w)`` for one band, and
    ``(n, c*h*w)`` with ``image_shape=(c, h, w)`` or ``(n, c, h, w)`` for ``c`` bands;
    output is always flat ``(n, n_features_out)`` (bands in the input's order,
    band-major) in the input's float dtype (float32 stays float32). Rows are never
    dropped or reordered. One band is processed exactly as before bands existed.
    """

    _parameter_constraints: dict = {
        "image_shape": ["array-like", None],
        "n_jobs": [Integral, None],
    }

    def _validate(self, X, *, reset):
        return validate_images(self, X, reset=reset, dtype=_FLOAT_DTYPES)

    def fit(self, X, y=None):
        """Validate ``X`` and record the image shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)
            Images; flat rows of several bands need ``image_shape=(c, h, w)``.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._validate_params()
        self._validate(X, reset=True)
        return self

    def transform(self, X):
        """Process each image.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)
            Images of the shape seen in ``fit``.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            Processed images, flattened (band-major), in the input's float dtype.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        out = self._transform_images(as_images(X, self.image_shape_))
        return out.reshape(len(X), -1)

    def _transform_images(self, images):
        """``(n, h, w)`` -> ``(n, oh, ow)``, or ``(n, c, h, w)`` -> ``(n, c, oh, ow)``:
        each band on its own (one band goes straight to ``_transform_bands``)."""
        if images.ndim == 3:
            return self._transform_bands(images)
        n, c = images.shape[:2]
        out = self._transform_bands(images.reshape(n * c, *images.shape[2:]))
        return out.reshape(n, c, *out.shape[1:])

    def _transform_bands(self, bands):
        """A stack ``(k, h, w)`` of one-band images -> ``(k, oh, ow)``."""
        return apply_per_image(self._transform_one, bands, n_jobs=self.n_jobs)

    def _transform_one(self, image):  # pragma: no cover - abstract
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def reference_index(reference_band, image_shape, who):
    """The channel index ``reference_band`` names in images of ``image_shape`` (``None``
    for ``"sum"``), or a ValueError naming the estimator ``who`` and the band count."""
    if isinstance(reference_band, str):
        return None
    c = n_channels(image_shape)
    if not -c <= reference_band < c:
        msg = (
            f"{who}(reference_band={reference_band!r}) names no band of images with {c} "
            f"band(s) (image_shape {tuple(image_shape)}): pass a channel index in "
            f"[{-c}, {c - 1}] (-1 is the last, reddest band: i in g, r, i) or "
            f"reference_band='sum'."
        )
        raise ValueError(msg)
    return int(reference_band) % c


def reference_image(cube, index):
    """The ``(h, w)`` image a galaxy's geometry is measured on: band ``index`` of the
    ``(c, h, w)`` cube, or the sum of its bands when ``index`` is None."""
    return cube.sum(axis=0) if index is None else cube[index]


def _measure_and_apply(image, *, measure, apply):
    return apply(image, measure(image))


def _measure_once_apply_to_bands(cube, *, measure, apply, index):
    measured = measure(reference_image(cube, index))
    out = np.empty_like(cube)
    for k, band in enumerate(cube):
        out[k] = apply(band, measured)
    return out


class ReferenceBandMixin:
    """Geometry measured once per galaxy, on a reference band, and applied to every band.

    For transformers that measure something on the galaxy (its centre, its major axis,
    the pixels of its companions) and move or mask pixels accordingly. On a ``(c, h, w)``
    image the measurement is made once, on band ``reference_band`` (or on the sum of the
    bands with ``"sum"``), and the same shift, rotation or mask is applied to each band,
    so the bands stay aligned pixel for pixel. A one-band image is its own reference.

    Subclasses return, from ``_geometry_functions()``, two picklable callables (module
    functions or ``functools.partial`` of them): ``measure(image) -> measured`` on one
    ``(h, w)`` image and ``apply(band, measured) -> band``. A one-band image goes through
    ``apply(image, measure(image))``, exactly the one-band computation. A subclass whose
    per-band step needs more than the measurement (:class:`CompanionMasker` fills each
    band from its own sky) overrides ``_transform_images`` and still takes the reference
    from :func:`reference_image` and ``_reference_index()``.
    """

    _reference_constraints: dict = {
        "reference_band": [Integral, StrOptions({"sum"})],
    }

    def fit(self, X, y=None):
        """Validate ``X``, record the image shape and check ``reference_band``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)
            Images; flat rows of several bands need ``image_shape=(c, h, w)``.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        super().fit(X, y)
        self._reference_index()
        return self

    def _reference_index(self):
        return reference_index(self.reference_band, self.image_shape_, type(self).__name__)

    def _reference_images(self, images):
        """The ``(n, h, w)`` images the geometry is measured on."""
        if images.ndim == 3:
            return images
        index = self._reference_index()
        return images.sum(axis=1) if index is None else images[:, index]

    def _transform_images(self, images):
        measure, apply = self._geometry_functions()
        if images.ndim == 3:  # one band: measured on itself, exactly as before bands
            func = partial(_measure_and_apply, measure=measure, apply=apply)
        else:
            func = partial(_measure_once_apply_to_bands, measure=measure, apply=apply,
                           index=self._reference_index())
        return apply_per_image(func, images, n_jobs=self.n_jobs)
