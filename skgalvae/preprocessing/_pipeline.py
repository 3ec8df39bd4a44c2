"""The recommended preprocessing pipeline of the seed study."""

from numbers import Integral, Real

from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params

from ._background import BackgroundSubtractor
from ._companions import CompanionMasker
from ._geometry import CentreCrop, MajorAxisRotator, Recentre, Resizer
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
                                image_shape=None, n_jobs=None, memory=None):
    """Return the seed study's preprocessing as a :class:`~sklearn.pipeline.Pipeline`.

    Steps, each optional except the last two: ``background``
    (:class:`BackgroundSubtractor`), ``mask`` (:class:`CompanionMasker`), ``recentre``
    (:class:`Recentre`), ``rotate``
    (:class:`MajorAxisRotator`), ``crop`` (:class:`CentreCrop`), ``resize``
    (:class:`Resizer`) and ``log`` (:class:`LogScaler`). Input: raw cutouts as
    ``(n, h*w)`` or ``(n, h, w)``; output: ``(n, prod(output_shape))`` in [0, 1].

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
    image_shape : tuple of int, default=None
        Shape of flat input rows; inferred for square images or 3-D input.
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
    """
    steps = []
    shape = image_shape
    if subtract_background:
        steps.append(("background", BackgroundSubtractor(image_shape=shape, n_jobs=n_jobs)))
    if mask_companions:
        steps.append(("mask", CompanionMasker(image_shape=shape, n_jobs=n_jobs)))
    if recentre:
        steps.append(("recentre", Recentre(image_shape=shape, n_jobs=n_jobs)))
    if rotate:
        steps.append(("rotate", MajorAxisRotator(image_shape=shape, n_jobs=n_jobs)))
    if crop is not None:
        steps.append(("crop", CentreCrop(size=crop, image_shape=shape, n_jobs=n_jobs)))
        shape = (crop, crop) if isinstance(crop, int) else tuple(crop)
    steps.append(("resize", Resizer(output_shape=output_shape, image_shape=shape,
                                    n_jobs=n_jobs)))
    steps.append(("log", LogScaler(method=log_method, stretch=stretch,
                                   normalize=normalize)))
    return Pipeline(steps, memory=memory)
