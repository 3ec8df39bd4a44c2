"""Sky background subtraction by sigma clipping (astropy)."""

from functools import partial
from numbers import Integral, Real

import numpy as np
from astropy.stats import sigma_clipped_stats
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ..utils._parallel import apply_per_chunk
from ._base import BaseImageTransformer


def _subtract(images, sigma, maxiters, cenfunc):
    mean, median, _ = sigma_clipped_stats(
        images, sigma=sigma, maxiters=maxiters, cenfunc=cenfunc, axis=(1, 2)
    )
    level = np.atleast_1d(median if cenfunc == "median" else mean)
    return images - level.astype(images.dtype)[:, None, None]


class BackgroundSubtractor(OneToOneFeatureMixin, BaseImageTransformer):
    """Subtract each image's sky level, estimated by sigma clipping.

    The sky level is the sigma-clipped median (or mean) of all the pixels of the image,
    computed by :func:`astropy.stats.sigma_clipped_stats`: the galaxy and other sources are
    clipped away as outliers. Stateless: each image is treated on its own.

    Bands: each band of a ``(c, h, w)`` image gets its own sky level (per band: the sky
    is brighter in i than in g), estimated on that band's pixels alone.

    Parameters
    ----------
    sigma : float, default=3.0
        Clipping threshold in standard deviations.
    maxiters : int, default=5
        Maximum number of clipping iterations.
    cenfunc : {"median", "mean"}, default="median"
        Statistic used as the centre of the clipping and as the sky level.
    image_shape : tuple of int, default=None
        ``(height, width)``, or ``(bands, height, width)``, of flat input rows; inferred
        for square one-band rows and from ``(n, h, w)`` or ``(n, c, h, w)`` input.
    n_jobs : int, default=None
        Number of threads.

    Attributes
    ----------
    image_shape_ : tuple of int
        Shape of the images seen in ``fit``.
    n_features_in_ : int
        Number of pixels per image (of all its bands).
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string feature names.

    See Also
    --------
    astropy.stats.sigma_clipped_stats : the statistic used.

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.preprocessing import BackgroundSubtractor
    >>> rng = np.random.default_rng(0)
    >>> images = 5.0 + rng.normal(0, 0.1, size=(3, 32, 32))
    >>> out = BackgroundSubtractor().fit_transform(images)
    >>> out.shape, bool(abs(np.median(out)) < 0.01)
    ((3, 1024), True)
    >>> cube = np.stack([images, images + 10.0], axis=1)  # two bands, two sky levels
    >>> out = BackgroundSubtractor().fit_transform(cube).reshape(3, 2, 32, 32)
    >>> bool(np.all(np.abs(np.median(out, axis=(2, 3))) < 0.01))
    True
    """

    _parameter_constraints: dict = {
        **BaseImageTransformer._parameter_constraints,
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "maxiters": [Interval(Integral, 1, None, closed="left"), None],
        "cenfunc": [StrOptions({"median", "mean"})],
    }

    def __init__(self, *, sigma=3.0, maxiters=5, cenfunc="median", image_shape=None,
                 n_jobs=None):
        self.sigma = sigma
        self.maxiters = maxiters
        self.cenfunc = cenfunc
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def _transform_bands(self, bands):
        func = partial(
            _subtract, sigma=self.sigma, maxiters=self.maxiters, cenfunc=self.cenfunc
        )
        return apply_per_chunk(func, bands, n_jobs=self.n_jobs)
