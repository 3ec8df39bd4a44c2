"""The recommended preprocessing pipeline of the seed study."""

from numbers import Integral, Real

from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params

from ._background import BackgroundSubtractor
from ._companions import CompanionMasker
from ._geometry import CentreCrop, MajorAxisRotator, Recentre, Resizer, _with_bands
from ._log_scaler import LogScaler


@validate_params(
    {
        "output_shape": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "crop": [Interval(Integral, 1, None, closed="left"), tuple, list, None],
        "rotate": ["boolean"],
        "recentre": ["boolean"],
        "subtract_background": ["boolean"],
        "mask_companions": ["boolean"],
        "log_method": [StrOptions({"asinh", "log"})],
        "stretch": [Interval(Real, 0, None, closed="neither")],
        "normalize": [StrOptions({"per_image", "global"}), None],
        "log_channels": [StrOptions({"joint", "per_band"})],
        "reference_band": [Integral, StrOptions({"sum"})],
        "image_shape": ["array-like", None],
        "n_jobs": [Integral, None],
        "memory": [str, HasMethods(["cache"]), None],
    },
    prefer_skip_nested_validation=True,
)
def make_preprocessing_pipeline(*, output_shape=64, crop=None, rotate=True,
                                recentre=True, subtract_background=True,
                                mask_companions=True,
                                log_method="asinh", stretch=0.05, normalize="per_image",
                                log_channels="joint", reference_band=-1,
                                image_shape=None, n_jobs=None, memory=None):
    """Return the seed study's preprocessing as a :class:`~sklearn.pipeline.Pipeline`.

    Steps, each optional except the last two: ``background``
    (:class:`BackgroundSubtractor`), ``mask`` (:class:`CompanionMasker`), ``recentre``
    (:class:`Recentre`), ``rotate``
    (:class:`MajorAxisRotator`), ``crop`` (:class:`CentreCrop`), ``resize``
    (:class:`Resizer`) and ``log`` (:class:`LogScaler`). Input: raw cutouts as
    ``(n, h*w)`` or ``(n, h, w)``; output: ``(n, prod(output_shape))`` in [0, 1].

    Several bands (e.g. g, r, i): pass ``image_shape=(c, h, w)`` (the steps hand flat
    rows to each other, and only ``image_shape`` tells every step where the bands are);
    the output is ``(n, c * prod(output_shape))``, band-major. The sky is subtracted per
    band; companions, centre and axis are measured once per galaxy on
    ``reference_band`` and every band is masked, shifted and rotated alike, so the
    bands stay aligned; crop and resize treat each band alike; ``log_channels`` chooses
    one intensity scale for all bands (keeps colours) or one per band.

    Parameters
    ----------
    output_shape : int or tuple of int, default=64
        Final image shape (the seed used 100x100; 64x64 has 2.4x fewer pixels).
    crop : int or tuple of int, default=None
        Central box cut after centring and rotation; None keeps the whole frame.
    rotate, recentre, subtract_background : bool, default=True
        Whether to include these steps.
    mask_companions : bool, default=True
        Whether to replace other sources in the frame (companions, stars) by the
        target's point-symmetric light or sky (:class:`CompanionMasker`), before centring.
        Needs the ``masking`` extra (``pip install "skgalvae[masking]"``); pass False
        on a core install.
    log_method : {"asinh", "log"}, default="asinh"
    stretch : float, default=0.05
        See :class:`LogScaler`.
    normalize : {"per_image", "global"} or None, default="per_image"
        See :class:`LogScaler`.
    log_channels : {"joint", "per_band"}, default="joint"
        :class:`LogScaler`'s ``channels``: one reference for all the bands of an image,
        which keeps the galaxy's colours, or one per band.
    reference_band : int or "sum", default=-1
        Band on which companions, centre and major axis are measured (a channel index,
        bands in wavelength order, or ``"sum"`` for the band sum); -1 is the last,
        reddest band: i in g, r, i. Ignored for one band.
    image_shape : tuple of int, default=None
        Shape of flat input rows, ``(h, w)`` or ``(c, h, w)``; inferred for square
        one-band images or 3-D input. Required for several bands.
    n_jobs : int, default=None
        Threads for the per-image steps.
    memory : str or joblib.Memory, default=None
        Cache of the fitted steps (see :class:`~sklearn.pipeline.Pipeline`).

    Returns
    -------
    sklearn.pipeline.Pipeline

    Examples
    --------
    >>> from skgalvae.datasets import load_sdss_sample
    >>> from skgalvae.preprocessing import make_preprocessing_pipeline
    >>> X = load_sdss_sample().images[:4]
    >>> make_preprocessing_pipeline(output_shape=32).fit_transform(X).shape
    (4, 1024)

    Three bands (here three copies of the i band, as flat rows):

    >>> import numpy as np
    >>> cubes = np.stack([X, X, X], axis=1).reshape(4, -1)
    >>> pipe = make_preprocessing_pipeline(output_shape=32, mask_companions=False,
    ...                                    image_shape=(3, *X.shape[1:]))
    >>> pipe.fit_transform(cubes).shape
    (4, 3072)
    """
    shape = None if image_shape is None else tuple(int(s) for s in image_shape)
    geometry = {"reference_band": reference_band, "image_shape": shape, "n_jobs": n_jobs}
    steps = []
    if subtract_background:
        steps.append(("background", BackgroundSubtractor(image_shape=shape, n_jobs=n_jobs)))
    if mask_companions:
        steps.append(("mask", CompanionMasker(**geometry)))
    if recentre:
        steps.append(("recentre", Recentre(**geometry)))
    if rotate:
        steps.append(("rotate", MajorAxisRotator(**geometry)))
    if crop is not None:
        steps.append(("crop", CentreCrop(size=crop, image_shape=shape, n_jobs=n_jobs)))
        shape = _bands_of(shape, crop)
    steps.append(("resize", Resizer(output_shape=output_shape, image_shape=shape,
                                    n_jobs=n_jobs)))
    log_shape = None if image_shape is None else _bands_of(shape, output_shape)
    steps.append(("log", LogScaler(method=log_method, stretch=stretch,
                                   normalize=normalize, channels=log_channels,
                                   image_shape=log_shape)))
    return Pipeline(steps, memory=memory)


def _bands_of(image_shape, size):
    """The image shape of a ``size`` box (int or pair) with the bands of
    ``image_shape`` (one band when it is None)."""
    size = (size, size) if isinstance(size, Integral) else tuple(size)
    return size if image_shape is None else _with_bands(size, image_shape)
