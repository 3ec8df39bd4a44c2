"""The recommended preprocessing pipeline of the seed study, and the Pipeline that runs
it over chunks of images in worker processes."""

import copy
from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from scipy.sparse import issparse
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._background import BackgroundSubtractor
from ._companions import CompanionMasker
from ._geometry import CentreCrop, MajorAxisRotator, Recentre, Resizer, _with_bands
from ._log_scaler import LogScaler
from ._store import _is_per_image


def _sequential(pipeline):
    """A shallow copy of the fitted ``pipeline`` whose steps run in one thread
    (``n_jobs=None``): what each worker process runs on its chunk."""
    steps = []
    for name, step in pipeline.steps:
        if hasattr(step, "get_params") and "n_jobs" in step.get_params(deep=False):
            step = copy.copy(step)  # shares the fitted state; the original keeps n_jobs
            step.n_jobs = None
        steps.append((name, step))
    return Pipeline(steps)


def _transform_chunk(pipeline, X):
    return pipeline.transform(X)


def _default_output(pipeline):
    """Whether every step returns its default container (a NumPy array)."""
    return all(_get_output_config("transform", step)["dense"] == "default"
               for _, step in pipeline.steps if hasattr(step, "transform"))


class PreprocessingPipeline(Pipeline):
    """A :class:`~sklearn.pipeline.Pipeline` of per-image steps that transforms
    contiguous chunks of images in ``n_jobs`` worker processes.

    What :func:`make_preprocessing_pipeline` returns. With ``n_jobs`` None or 1 it is
    exactly a ``Pipeline``. Otherwise ``transform`` cuts the rows into ``n_jobs``
    contiguous chunks (one per worker) and runs the whole pipeline on each chunk in a
    joblib (loky) worker process, with its own pickled copy of the fitted pipeline whose
    steps run single-threaded; large inputs reach the workers as memory maps (joblib's
    automatic memmapping), only the small outputs come back, and the rows keep their
    order. Processes, not threads, because much of the time is spent holding the GIL
    (photutils' segmentation and deblending, astropy's sigma clipping, many small NumPy
    calls per image), so threads do not scale. ``fit_transform`` does
    the same for the leading steps whose fit learns nothing from the data (every step
    of the default pipeline; a ``LogScaler(normalize="global")`` is fitted afterwards,
    in this process, on all the rows). Each image is processed on its own, so the
    result is that of ``n_jobs=None`` run with one BLAS thread, bit for bit; against a
    sequential run with multi-threaded BLAS the :class:`Resizer`'s matrix products
    round differently, by about one float32 ulp (at most 1.8e-7 on the bundled sample).

    Falls back to the sequential ``Pipeline`` (whose steps then use their own
    ``n_jobs``) when ``memory`` is set, when metadata is routed (``**params``), or when a
    step is configured to return a container other than a NumPy array
    (``set_output``). The first parallel call starts the workers (a few seconds: each
    imports photutils); later calls reuse them.

    Parameters
    ----------
    steps : list of (str, estimator)
    transform_input : list of str, default=None
    memory : str or joblib.Memory, default=None
    verbose : bool, default=False
        See :class:`~sklearn.pipeline.Pipeline`.
    n_jobs : int, default=None
        Worker processes of ``transform`` and ``fit_transform``; None means 1 (no
        workers), -1 one per core.

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.datasets import load_sdss_sample
    >>> from skgalvae.preprocessing import make_preprocessing_pipeline
    >>> X = load_sdss_sample().images[:6]
    >>> from threadpoolctl import threadpool_limits
    >>> with threadpool_limits(1):  # one BLAS thread, as in each worker
    ...     one = make_preprocessing_pipeline(output_shape=32).fit_transform(X)
    >>> two = make_preprocessing_pipeline(output_shape=32, n_jobs=2).fit_transform(X)
    >>> type(make_preprocessing_pipeline()).__name__, np.array_equal(one, two)
    ('PreprocessingPipeline', True)
    """

    _parameter_constraints: dict = {
        **Pipeline._parameter_constraints,
        "n_jobs": [Integral, None],
    }
    #: What preprocess_to_store's fingerprint names: the result is a Pipeline's, so a
    #: store written with a plain Pipeline of the same steps resumes.
    _fingerprint_class = Pipeline

    def __init__(self, steps, *, transform_input=None, memory=None, verbose=False,
                 n_jobs=None):
        super().__init__(steps, transform_input=transform_input, memory=memory,
                         verbose=verbose)
        self.n_jobs = n_jobs

    def __getitem__(self, ind):
        """A step (int or name), or a sub-pipeline (slice) with the same ``n_jobs``."""
        out = super().__getitem__(ind)
        if isinstance(ind, slice):
            out.n_jobs = self.n_jobs
        return out

    def _n_workers(self, X, params):
        """Worker processes for ``X`` (1: run as a plain Pipeline)."""
        if (self.n_jobs is None or params or self.memory is not None
                or not _default_output(self)):
            return 1
        if issparse(X) or not hasattr(X, "__getitem__"):
            # not cut into chunks: the first step validates it (sparse input gets its
            # error, an array-like without indexing becomes an array)
            return 1
        return max(min(effective_n_jobs(self.n_jobs), _num_samples(X)), 1)

    def _in_chunks(self, pipeline, X, n_workers):
        bounds = np.linspace(0, _num_samples(X), n_workers + 1).astype(int)
        chunks = (_safe_indexing(X, slice(a, b)) for a, b in zip(bounds, bounds[1:]))
        results = Parallel(n_jobs=n_workers, prefer="processes")(
            delayed(_transform_chunk)(pipeline, chunk) for chunk in chunks)
        return np.concatenate(results, axis=0)

    def fit(self, X, y=None, **params):
        """Fit the steps, in chunks when ``n_jobs`` > 1 (see :meth:`fit_transform`).

        Parameters
        ----------
        X : array-like of images
        y : None
            Passed to the steps' fit, as in a Pipeline.
        **params : dict
            Fit parameters (see :meth:`sklearn.pipeline.Pipeline.fit`); any makes the
            call sequential.

        Returns
        -------
        self : PreprocessingPipeline
        """
        if self._n_workers(X, params) <= 1:
            return super().fit(X, y, **params)
        self.fit_transform(X, y)
        return self

    @available_if(Pipeline._can_transform)
    def transform(self, X, **params):
        """Transform ``X`` through every step, in chunks when ``n_jobs`` > 1.

        Parameters
        ----------
        X : array-like of images
        **params : dict
            Metadata to route (see :meth:`sklearn.pipeline.Pipeline.transform`); any
            makes the call sequential.

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_features_out)
        """
        n_workers = self._n_workers(X, params)
        if n_workers <= 1:
            return super().transform(X, **params)
        check_is_fitted(self)
        return self._in_chunks(_sequential(self), X, n_workers)

    @available_if(Pipeline._can_fit_transform)
    def fit_transform(self, X, y=None, **params):
        """Fit the steps and transform ``X``, in chunks when ``n_jobs`` > 1.

        The leading steps whose fit learns nothing from the data (per-image steps:
        their fit only validates the input and records the image shape) are fitted on
        the first row and run over the chunks; the remaining steps are fitted and
        applied here, on all the rows, as in a Pipeline.

        Parameters
        ----------
        X : array-like of images
        y : None
            Passed to the steps' fit, as in a Pipeline.
        **params : dict
            Fit parameters (see :meth:`sklearn.pipeline.Pipeline.fit_transform`); any
            makes the call sequential.

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_features_out)
        """
        self._validate_params()
        n_workers = self._n_workers(X, params)
        n_head = 0
        while n_head < len(self.steps) and _is_per_image(self.steps[n_head][1]):
            n_head += 1
        if n_workers <= 1 or n_head == 0:
            return super().fit_transform(X, y, **params)
        head = self[:n_head]
        head.fit(_safe_indexing(X, slice(0, 1)))  # fits the shared steps in place
        Xt = self._in_chunks(_sequential(head), X, n_workers)
        if n_head == len(self.steps):
            return Xt
        return self[n_head:].fit_transform(Xt, y)


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
        Worker processes: ``transform`` and ``fit_transform`` run the whole pipeline on
        ``n_jobs`` contiguous chunks of the images, one per joblib worker process, with
        the same result as ``n_jobs=None`` (see :class:`PreprocessingPipeline`). Each
        step also gets ``n_jobs``, for when it is used on its own (threads; processes for
        the masker). None means 1, -1 one per core.
    memory : str or joblib.Memory, default=None
        Cache of the fitted steps (see :class:`~sklearn.pipeline.Pipeline`); with a
        cache the steps run one after the other (each with its own ``n_jobs``).

    Returns
    -------
    PreprocessingPipeline
        A :class:`~sklearn.pipeline.Pipeline` (subclass) of the steps.

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
    return PreprocessingPipeline(steps, memory=memory, n_jobs=n_jobs)


def _bands_of(image_shape, size):
    """The image shape of a ``size`` box (int or pair) with the bands of
    ``image_shape`` (one band when it is None)."""
    size = (size, size) if isinstance(size, Integral) else tuple(size)
    return size if image_shape is None else _with_bands(size, image_shape)
