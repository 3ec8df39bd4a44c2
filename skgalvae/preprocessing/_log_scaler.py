"""Logarithmic (asinh or log1p) intensity scaling to [0, 1], jointly or per band."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils._images import n_channels, validate_images

_FORWARD = {"asinh": np.arcsinh, "log": np.log1p}
_INVERSE = {"asinh": np.sinh, "log": np.expm1}
_FLOAT_DTYPES = [np.float64, np.float32]


class LogScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Compress the dynamic range of galaxy images with an asinh or log stretch.

    Each pixel value ``x`` becomes ``f((max(x, floor) - floor) / stretch)`` with
    ``f = arcsinh`` (linear near the noise, logarithmic for bright pixels: the SDSS
    colour-image stretch of Lupton et al. 2004) or ``f = log1p``, then is divided by a
    reference so that the result lies in [0, 1]:

    - ``normalize="per_image"``: the image's own maximum (the seed study's per-image
      min-max scaling, after its log); brightness differences between galaxies are removed,
      shape is kept. Not invertible: :meth:`inverse_transform` raises.
    - ``normalize="global"``: one reference learned in ``fit``, the ``percentile``-th
      percentile of all training pixels; brightness differences are kept and the transform
      is invertible for values between ``floor`` and that percentile.
    - ``normalize=None``: no division.

    Bands: with ``channels="joint"`` (default) all the bands of an image share one
    reference (the maximum over all its bands, or one percentile of all training pixels),
    so the ratios between the bands -- the galaxy's **colours** -- are kept (up to the
    common stretch). With ``channels="per_band"`` each band gets its own reference (its
    own maximum, or its own percentile, in ``scale_``): every band fills [0, 1], which
    evens out bands of very different depth but removes the colour a brighter band
    carries. For one band both are the same. The stretch itself is the same for every
    band.

    Parameters
    ----------
    method : {"asinh", "log"}, default="asinh"
    floor : float, default=0.0
        Values below the floor (sky-subtracted noise) are set to it.
    stretch : float, default=0.05
        Flux scale where the curve turns logarithmic; about the sky noise per pixel (SDSS
        i-band cutouts in nanomaggies have about 0.04).
    normalize : {"per_image", "global"} or None, default="per_image"
    percentile : float, default=99.9
        Percentile of the training pixels used as reference when ``normalize="global"``.
    clip : bool, default=True
        Clip the output to [0, 1] (only with a normalisation).
    channels : {"joint", "per_band"}, default="joint"
        One reference for all the bands of an image (keeps colours), or one per band.
    image_shape : tuple of int, default=None
        ``(h, w)`` or ``(c, h, w)`` of flat input rows: what tells ``channels="per_band"``
        the bands of flat rows (``(n, c, h, w)`` input tells it too). Rows of any length
        are accepted; without either, a row is one band.

    Attributes
    ----------
    scale_ : float or ndarray of shape (n_bands,)
        Reference ``f((vmax - floor) / stretch)`` learned when ``normalize="global"``,
        else 1.0; one per band (an array) with ``channels="per_band"``.
    image_shape_ : tuple of int
        Image shape of the training rows (``(1, n_features)`` for rows that are no
        image).
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    References
    ----------
    Lupton, Gunn & Szalay (1999), AJ 118, 1406 (asinh magnitudes).
    Lupton et al. (2004), PASP 116, 133 (colour images with a common stretch).

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.preprocessing import LogScaler
    >>> X = np.array([[0.0, 0.05, 1.0, 10.0]])
    >>> LogScaler().fit_transform(X).round(3)
    array([[0.   , 0.147, 0.616, 1.   ]])
    >>> scaler = LogScaler(normalize="global", percentile=100).fit(X)
    >>> np.allclose(scaler.inverse_transform(scaler.transform(X)), X)
    True

    Two bands of one 1x2 image, the second ten times brighter:

    >>> cube = np.array([[[[1.0, 2.0]], [[10.0, 20.0]]]])  # (1, 2, 1, 2)
    >>> LogScaler(stretch=1.0).fit_transform(cube).round(2)  # joint: colour kept
    array([[0.24, 0.39, 0.81, 1.  ]])
    >>> LogScaler(stretch=1.0, channels="per_band").fit_transform(cube).round(2)
    array([[0.61, 1.  , 0.81, 1.  ]])
    """

    _parameter_constraints: dict = {
        "method": [StrOptions({"asinh", "log"})],
        "floor": [Real],
        "stretch": [Interval(Real, 0, None, closed="neither")],
        "normalize": [StrOptions({"per_image", "global"}), None],
        "percentile": [Interval(Real, 0, 100, closed="right")],
        "clip": ["boolean"],
        "channels": [StrOptions({"joint", "per_band"})],
        "image_shape": ["array-like", None],
    }

    def __init__(self, *, method="asinh", floor=0.0, stretch=0.05, normalize="per_image",
                 percentile=99.9, clip=True, channels="joint", image_shape=None):
        self.method = method
        self.floor = floor
        self.stretch = stretch
        self.normalize = normalize
        self.percentile = percentile
        self.clip = clip
        self.channels = channels
        self.image_shape = image_shape

    def _stretch(self, X):
        return _FORWARD[self.method]((np.maximum(X, self.floor) - self.floor) / self.stretch)

    def _validate(self, X, *, reset):
        return validate_images(self, X, reset=reset, dtype=_FLOAT_DTYPES, warn=False)

    def _per_band(self, X):
        """``X`` viewed as ``(n, n_bands, pixels per band)``."""
        return X.reshape(len(X), n_channels(self.image_shape_), -1)

    def fit(self, X, y=None):
        """Learn the reference level (``normalize="global"`` only).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._validate_params()
        X = self._validate(X, reset=True)
        if self.channels == "per_band":
            self.scale_ = np.ones(n_channels(self.image_shape_))
            if self.normalize == "global":
                vmax = np.percentile(self._per_band(X), self.percentile, axis=(0, 2))
                scale = np.asarray(self._stretch(vmax), dtype=np.float64)
                self.scale_ = np.where(scale > 0, scale, 1.0)
            return self
        self.scale_ = 1.0
        if self.normalize == "global":
            vmax = np.percentile(X, self.percentile)
            scale = float(self._stretch(np.asarray(vmax)))
            self.scale_ = scale if scale > 0 else 1.0
        return self

    def transform(self, X):
        """Apply the stretch and the normalisation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_pixels)
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        out = self._stretch(X)
        if self.channels == "per_band":
            bands = self._per_band(out)
            if self.normalize == "per_image":
                ref = bands.max(axis=2, keepdims=True)
                bands = bands / np.where(ref > 0, ref, 1)
            elif self.normalize == "global":
                bands = bands / self.scale_.astype(out.dtype)[:, None]
            out = bands.reshape(len(X), -1)
        elif self.normalize == "per_image":
            ref = out.max(axis=1, keepdims=True)
            out = out / np.where(ref > 0, ref, 1)
        elif self.normalize == "global":
            out = out / self.scale_
        if self.clip and self.normalize is not None:
            np.clip(out, 0, 1, out=out)
        return out.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Map scaled values back to flux.

        Exact for pixels that were between ``floor`` and the reference level (of their
        band, with ``channels="per_band"``); values below the floor come back as the
        floor.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n, c, h, w)

        Returns
        -------
        X_flux : ndarray of shape (n_samples, n_pixels)

        Raises
        ------
        ValueError
            With ``normalize="per_image"``: each image's own scale was discarded.
        """
        check_is_fitted(self)
        if self.normalize == "per_image":
            msg = (
                "LogScaler(normalize='per_image') cannot be inverted: each image's own "
                "scale is not kept. Use normalize='global' or None for an invertible "
                "scaling."
            )
            raise ValueError(msg)
        X = self._validate(X, reset=False)
        if self.channels == "per_band":
            scaled = (self._per_band(X) * self.scale_.astype(X.dtype)[:, None]).reshape(
                len(X), -1)
        else:
            scaled = X * self.scale_
        flux = _INVERSE[self.method](scaled) * self.stretch + self.floor
        return flux.astype(X.dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
