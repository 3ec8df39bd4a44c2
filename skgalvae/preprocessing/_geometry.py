"""Geometric transformers: centring, rotation to the major axis, cropping, resizing.

Centring and rotation measure the galaxy once, on a reference band, and move every band
alike (``_base.ReferenceBandMixin``); cropping and resizing treat each band on its own,
onto the same grid."""

from functools import partial
from numbers import Integral, Real

import numpy as np
from scipy import ndimage
from sklearn.base import ClassNamePrefixFeaturesOutMixin, OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils._images import as_images, n_channels, spatial_shape
from ..utils._parallel import apply_per_chunk, apply_per_image
from ..utils._resample import resize_images
from ._base import BaseImageTransformer, ReferenceBandMixin
from ._moments import central_centroid, centroid_and_angle, orientation_angle

_SHIFT_CONSTRAINTS = {
    "radius": [Interval(Real, 0, None, closed="neither"), None],
    "order": [Interval(Integral, 0, 5, closed="both")],
    "fill_value": [Real],
}


def _centre_shift(image, *, method, radius):
    """The ``(drow, dcol)`` shift that brings the central source to the image centre."""
    cy, cx = central_centroid(image, radius=radius, method=method)
    h, w = image.shape
    return ((h - 1) / 2 - cy, (w - 1) / 2 - cx)


def _shift(image, shift, *, order, fill_value):
    return ndimage.shift(image, shift, order=order, mode="constant", cval=fill_value)


def _major_axis_transform(image, *, radius):
    """``(matrix, offset)`` of the rotation about the central source that turns its
    major axis horizontal, for :func:`scipy.ndimage.affine_transform`."""
    centre, angle = centroid_and_angle(image, radius=radius)
    theta = np.radians(angle)
    c, s = np.cos(theta), np.sin(theta)
    # output (row, col) relative to the centre -> input: rotate by +theta.
    matrix = np.array([[c, s], [-s, c]])
    centre = np.asarray(centre)
    offset = centre - matrix @ centre
    return matrix, offset


def _affine(image, transform, *, order, fill_value):
    matrix, offset = transform
    return ndimage.affine_transform(
        image, matrix, offset=offset, order=order, mode="constant", cval=fill_value
    )


class Recentre(OneToOneFeatureMixin, ReferenceBandMixin, BaseImageTransformer):
    """Shift each image so that its central source sits at the image centre.

    The source position is the flux-weighted centroid of the pixels above the noise within
    ``radius`` of the centre, iterated so that the window follows the source
    (``method="centroid"``), or the brightest pixel of the lightly smoothed image within
    ``radius`` (``method="peak"``, robust to a bright companion at the window edge). The
    image is shifted by spline interpolation; pixels shifted in from outside get
    ``fill_value``.

    Bands: the centre is measured once per galaxy, on band ``reference_band`` (or the
    sum of the bands), and every band is shifted by that same offset, so the bands stay
    aligned. One-band images are measured on themselves.

    Parameters
    ----------
    method : {"centroid", "peak"}, default="centroid"
    radius : float, default=None
        Search radius in pixels; a quarter of the shorter side when None.
    order : int, default=1
        Spline order of the sub-pixel shift (1 = bilinear, no ringing).
    fill_value : float, default=0.0
    reference_band : int or "sum", default=-1
        Band on which the centre is measured: a channel index of ``(c, h, w)`` images
        (bands in wavelength order), or ``"sum"`` for the sum of the bands (the deepest
        image). The default, -1, is the last and reddest band: i in g, r, i
        (``bands="gri"``), which traces the stellar mass best and is least affected by
        dust and star-forming knots.
    image_shape : tuple of int, default=None
        ``(h, w)`` or ``(c, h, w)`` of flat input rows; inferred for square one-band
        images or from ``(n, h, w)`` / ``(n, c, h, w)`` input.
    n_jobs : int, default=None

    Attributes
    ----------
    image_shape_ : tuple of int
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.preprocessing import Recentre
    >>> yy, xx = np.indices((33, 33))
    >>> blob = np.exp(-((yy - 19) ** 2 + (xx - 13) ** 2) / 8.0)[None]
    >>> out = Recentre().fit_transform(blob).reshape(33, 33)
    >>> np.unravel_index(out.argmax(), out.shape)
    (np.int64(16), np.int64(16))

    Three bands are shifted together:

    >>> cube = np.stack([blob, 2 * blob, 3 * blob], axis=1)  # (1, 3, 33, 33)
    >>> out = Recentre().fit_transform(cube).reshape(3, 33, 33)
    >>> [np.unravel_index(band.argmax(), band.shape) for band in out] == [(16, 16)] * 3
    True
    """

    _parameter_constraints: dict = {
        **BaseImageTransformer._parameter_constraints,
        **ReferenceBandMixin._reference_constraints,
        **_SHIFT_CONSTRAINTS,
        "method": [StrOptions({"centroid", "peak"})],
    }

    def __init__(self, *, method="centroid", radius=None, order=1, fill_value=0.0,
                 reference_band=-1, image_shape=None, n_jobs=None):
        self.method = method
        self.radius = radius
        self.order = order
        self.fill_value = fill_value
        self.reference_band = reference_band
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _geometry_functions(self):
        return (partial(_centre_shift, method=self.method, radius=self.radius),
                partial(_shift, order=self.order, fill_value=self.fill_value))

    def centroids(self, X):
        """Return the ``(row, col)`` position of the central source of each image.

        Measured on the reference band (``reference_band``) of multi-band images.

        Parameters
        ----------
        X : array-like of images

        Returns
        -------
        ndarray of shape (n_samples, 2)
        """
        check_is_fitted(self)
        images = as_images(self._validate(X, reset=False), self.image_shape_)
        func = partial(_centroid_array, method=self.method, radius=self.radius)
        return apply_per_image(func, self._reference_images(images), out_shape=(2,),
                               dtype=np.float64, n_jobs=self.n_jobs)


def _centroid_array(image, *, method="centroid", radius=None):
    return np.asarray(central_centroid(image, radius=radius, method=method))


def _angle_array(image, *, radius=None):
    return np.asarray([orientation_angle(image, radius=radius)])


class MajorAxisRotator(OneToOneFeatureMixin, ReferenceBandMixin, BaseImageTransformer):
    """Rotate each image about its central source so the major axis is horizontal.

    The major axis comes from the flux-weighted second moments of the pixels above the
    noise within ``radius`` of the source's centroid, as in the seed study's code. The image
    is rotated about that centroid by bilinear (``order=1``) interpolation; corners rotated
    in from outside get ``fill_value``. The 180-degree ambiguity of an axis is left as is.

    Bands: the centroid and the angle are measured once per galaxy, on band
    ``reference_band`` (or the sum of the bands), and every band is rotated by that same
    rotation about that same centre, so the bands stay aligned. One-band images are
    measured on themselves.

    Parameters
    ----------
    radius : float, default=None
        Radius in pixels of the window for the centroid and moments; a quarter of the
        shorter side when None.
    order : int, default=1
    fill_value : float, default=0.0
    reference_band : int or "sum", default=-1
        Band on which the axis is measured: a channel index of ``(c, h, w)`` images
        (bands in wavelength order), or ``"sum"`` for the sum of the bands. The default,
        -1, is the last and reddest band: i in g, r, i (``bands="gri"``).
    image_shape : tuple of int, default=None
        ``(h, w)`` or ``(c, h, w)`` of flat input rows.
    n_jobs : int, default=None

    Attributes
    ----------
    image_shape_ : tuple of int
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.preprocessing import MajorAxisRotator
    >>> yy, xx = np.indices((41, 41)) - 20.0
    >>> u, v = (xx + yy) / np.sqrt(2), (yy - xx) / np.sqrt(2)  # major axis at 45 degrees
    >>> tilted = np.exp(-(u**2 / 50 + v**2 / 8))[None]
    >>> rot = MajorAxisRotator().fit(tilted)
    >>> round(float(rot.orientations(tilted)[0]))
    45
    >>> round(float(rot.orientations(rot.transform(tilted))[0]))
    0
    """

    _parameter_constraints: dict = {
        **BaseImageTransformer._parameter_constraints,
        **ReferenceBandMixin._reference_constraints,
        **_SHIFT_CONSTRAINTS,
    }

    def __init__(self, *, radius=None, order=1, fill_value=0.0, reference_band=-1,
                 image_shape=None, n_jobs=None):
        self.radius = radius
        self.order = order
        self.fill_value = fill_value
        self.reference_band = reference_band
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _geometry_functions(self):
        return (partial(_major_axis_transform, radius=self.radius),
                partial(_affine, order=self.order, fill_value=self.fill_value))

    def orientations(self, X):
        """Return the major-axis angle of each image in degrees, in (-90, 90].

        Counter-clockwise from the +x (column) axis when shown with ``origin="lower"``;
        measured on the reference band (``reference_band``) of multi-band images.

        Parameters
        ----------
        X : array-like of images

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        images = as_images(self._validate(X, reset=False), self.image_shape_)
        func = partial(_angle_array, radius=self.radius)
        return apply_per_image(func, self._reference_images(images), out_shape=(1,),
                               dtype=np.float64, n_jobs=self.n_jobs)[:, 0]


def _check_size(size, name):
    size = (size, size) if np.isscalar(size) else tuple(size)
    if len(size) != 2 or any(int(s) != s or s < 1 for s in size):
        msg = f"{name} must be a positive int or a pair (height, width); got {size!r}."
        raise ValueError(msg)
    return tuple(int(s) for s in size)


def _with_bands(size, image_shape):
    """The image shape of ``size`` pixels with the bands of ``image_shape``."""
    c = n_channels(image_shape)
    return size if c == 1 else (c, *size)


class CentreCrop(ClassNamePrefixFeaturesOutMixin, BaseImageTransformer):
    """Cut the central ``size`` box out of each image.

    Use after :class:`Recentre` so that the galaxy is at the centre; the seed study cropped
    around the galaxy before resizing. The box is centred on the image centre (for an odd
    difference between the image and box sides the extra pixel is dropped at the end).

    Bands: the same box is cut out of every band (per band, so the bands stay aligned).

    Parameters
    ----------
    size : int or tuple of int, default=64
        Side, or ``(height, width)``, of the box in pixels; at most the image's
        ``(h, w)``.
    image_shape : tuple of int, default=None
        ``(h, w)`` or ``(c, h, w)`` of flat input rows.
    n_jobs : int, default=None
        Unused (cropping is a view); kept for a uniform interface.

    Attributes
    ----------
    image_shape_ : tuple of int
        Input image shape.
    output_shape_ : tuple of int
        Output image shape: ``(height, width)``, or ``(c, height, width)`` for ``c``
        bands.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.preprocessing import CentreCrop
    >>> CentreCrop(size=4).fit_transform(np.ones((2, 10, 10))).shape
    (2, 16)
    >>> CentreCrop(size=4).fit_transform(np.ones((2, 3, 10, 10))).shape  # 3 bands
    (2, 48)
    """

    _parameter_constraints: dict = {
        **BaseImageTransformer._parameter_constraints,
        "size": [Interval(Integral, 1, None, closed="left"), "array-like"],
    }

    def __init__(self, size=64, *, image_shape=None, n_jobs=None):
        self.size = size
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        """Validate ``X`` and check that ``size`` fits in the images.

        Parameters
        ----------
        X : array-like of images
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        super().fit(X)
        size = _check_size(self.size, "size")
        h, w = spatial_shape(self.image_shape_)
        if size[0] > h or size[1] > w:
            msg = (
                f"size={self.size!r} is larger than the images {self.image_shape_}: "
                f"choose a box inside the image."
            )
            raise ValueError(msg)
        self.output_shape_ = _with_bands(size, self.image_shape_)
        return self

    @property
    def _n_features_out(self):
        return int(np.prod(self.output_shape_))

    def _transform_bands(self, bands):
        (h, w), (oh, ow) = spatial_shape(self.image_shape_), spatial_shape(self.output_shape_)
        top, left = (h - oh) // 2, (w - ow) // 2
        return np.ascontiguousarray(bands[:, top:top + oh, left:left + ow])


class Resizer(ClassNamePrefixFeaturesOutMixin, BaseImageTransformer):
    """Resample each image to ``output_shape``, conserving flux.

    A shrinking side is resampled by area overlap (each output pixel averages the input
    pixels it covers, which conserves flux exactly and cannot alias); a growing side by
    linear interpolation between aligned pixel centres. With ``preserve_flux=True``
    (default) the total flux of each image is kept; with False the surface brightness
    (pixel values) is. The whole stack is resampled at once by two matrix products.

    Bands: each band is resampled on its own (per band; its flux is kept), onto the
    same grid.

    Parameters
    ----------
    output_shape : int or tuple of int, default=64
        Side, or ``(height, width)``, of the output images (of each band).
    preserve_flux : bool, default=True
    image_shape : tuple of int, default=None
        ``(h, w)`` or ``(c, h, w)`` of flat input rows.
    n_jobs : int, default=None
        Threads; the matrix products are already multi-threaded by BLAS.

    Attributes
    ----------
    image_shape_ : tuple of int
        Input image shape.
    output_shape_ : tuple of int
        Output image shape: ``(height, width)``, or ``(c, height, width)`` for ``c``
        bands.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.preprocessing import Resizer
    >>> out = Resizer(output_shape=32).fit_transform(np.ones((1, 64, 64)))
    >>> out.shape, float(out.sum())
    ((1, 1024), 4096.0)
    >>> Resizer(output_shape=32).fit(np.ones((1, 3, 64, 64))).output_shape_  # 3 bands
    (3, 32, 32)
    """

    _parameter_constraints: dict = {
        **BaseImageTransformer._parameter_constraints,
        "output_shape": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "preserve_flux": ["boolean"],
    }

    def __init__(self, output_shape=64, *, preserve_flux=True, image_shape=None,
                 n_jobs=None):
        self.output_shape = output_shape
        self.preserve_flux = preserve_flux
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        """Validate ``X`` and record the input and output shapes.

        Parameters
        ----------
        X : array-like of images
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        super().fit(X)
        self.output_shape_ = _with_bands(_check_size(self.output_shape, "output_shape"),
                                         self.image_shape_)
        return self

    @property
    def _n_features_out(self):
        return int(np.prod(self.output_shape_))

    def _transform_bands(self, bands):
        func = partial(resize_images, output_shape=spatial_shape(self.output_shape_),
                       preserve_flux=self.preserve_flux)
        return apply_per_chunk(func, bands, n_jobs=self.n_jobs)
