"""How realistic is a set of simulated galaxies? Distributions compared with real ones."""

import inspect
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from ..utils._images import flat_image_stack, flatten_images, resolve_image_shape

#: Structural parameters compared when ``structural_parameters`` is available, in the
#: order of the table (columns of its DataFrame).
STRUCTURAL_STATISTICS = ("concentration", "asymmetry", "gini", "m20", "r50")
#: Pixel statistics of the processed images (what the models see).
PIXEL_STATISTICS = ("sky_level", "sky_noise", "total_flux", "flux_to_peak")
#: The issue's goals: KS statistic of each structural parameter at most this ...
KS_GOAL = 0.2
#: ... and the cumulative PCA explained variance within this of the real set's.
PCA_GOAL = 0.05
#: Percentile one Gaussian standard deviation above the median.
_UPPER_SIGMA = float(100 * stats.norm.cdf(1.0))

_COLUMNS = ["kind", "real", "simulated", "abs_difference", "ks_statistic", "ks_pvalue",
            "wasserstein_iqr", "goal", "meets_goal", "n_real", "n_simulated"]


def _as_flat(images, name, image_shape):
    """``(flat float array, (h, w))`` of a non-empty image set; errors name ``name``."""
    flat, shape = flat_image_stack(images, image_shape, name=name)
    flat = np.asarray(flat, dtype=np.float64)
    if not np.isfinite(flat).all():
        msg = f"{name} holds NaN or infinite pixels: fill them first."
        raise ValueError(msg)
    return flat, shape


def _subsample(X, max_samples, rng):
    if max_samples is None or len(X) <= max_samples:
        return X
    return X[np.sort(rng.choice(len(X), max_samples, replace=False))]


def _default_pipeline(n_jobs):
    from ..preprocessing import make_preprocessing_pipeline

    return make_preprocessing_pipeline(output_shape=64, n_jobs=n_jobs)


def _process(preprocessing, real, sim, shape, n_jobs, notes):
    """Return ``(linear_real, linear_sim, processed_real, processed_sim, shape_out)``.

    The linear images are those before a final :class:`LogScaler` (the structural
    parameters are defined on linear flux); without one they are the processed images.
    An unfitted ``preprocessing`` is cloned and fitted on the real images.
    """
    if preprocessing is None:
        notes.append("no preprocessing: every statistic measured on the images as given")
        return real, sim, real, sim, shape
    if isinstance(preprocessing, str):  # "default"
        pipe, fitted = _default_pipeline(n_jobs), False
    else:
        try:
            check_is_fitted(preprocessing)
            pipe, fitted = preprocessing, True
        except NotFittedError:
            pipe, fitted = clone(preprocessing), False
    real3, sim3 = real.reshape(-1, *shape), sim.reshape(-1, *shape)
    from ..preprocessing import LogScaler

    if isinstance(pipe, Pipeline) and isinstance(pipe.steps[-1][1], LogScaler):
        head, log = pipe[:-1], pipe.steps[-1][1]
        lin_real = head.transform(real3) if fitted else head.fit_transform(real3)
        lin_sim = head.transform(sim3)
        if not fitted:
            log.fit(lin_real)
        out_real, out_sim = log.transform(lin_real), log.transform(lin_sim)
    else:
        out_real = pipe.transform(real3) if fitted else pipe.fit_transform(real3)
        out_sim = pipe.transform(sim3)
        lin_real, lin_sim = out_real, out_sim
        notes.append("the preprocessing does not end with a LogScaler: structural "
                     "parameters measured on its output")
    arrays = []
    for arr in (lin_real, lin_sim, out_real, out_sim):
        flat, _ = flatten_images(np.asarray(arr, dtype=np.float64))
        arrays.append(flat)
    shape_out = resolve_image_shape(None, None, arrays[2].shape[1], warn=False)
    return (*arrays, tuple(int(s) for s in shape_out))


def _pixel_statistics(X, shape, border):
    """Per-image sky level and noise (border frame), total flux and flux / peak."""
    imgs = X.reshape(-1, *shape)
    h, w = shape
    b = int(min(border, max(1, h // 2), max(1, w // 2)))
    frame = np.ones(shape, dtype=bool)
    frame[b:h - b, b:w - b] = False
    edge = imgs[:, frame]
    # the upper half-width of the pixel distribution: the LogScaler's floor clips the
    # lower half of the sky noise at 0, so a symmetric (MAD) estimate would read 0
    level, upper = np.percentile(edge, [50.0, _UPPER_SIGMA], axis=1)
    noise = upper - level
    total = X.sum(axis=1)
    peak = X.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(peak > 0, total / peak, np.nan)
    return {"sky_level": level, "sky_noise": noise, "total_flux": total,
            "flux_to_peak": ratio}


def _structural(images, shape, n_jobs, notes):
    """Structural parameters of ``images`` or None (with a note) when unavailable."""
    try:
        from ._structure import structural_parameters
    except ImportError:
        notes.append("structural parameters skipped: skgalvae.analysis.structural_"
                     "parameters is not available in this version")
        return None
    params = inspect.signature(structural_parameters).parameters
    kwargs = {}
    if "image_shape" in params:
        kwargs["image_shape"] = shape
    if "n_jobs" in params:
        kwargs["n_jobs"] = n_jobs
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = structural_parameters(images.reshape(-1, *shape), **kwargs)
    except ImportError as exc:
        notes.append(f"structural parameters skipped: {exc}")
        return None
    table = pd.DataFrame(table).reset_index(drop=True)
    if "flag" in table.columns:
        # statmorph's convention: 0 good, 1 suspect, 2+ failed
        good = pd.to_numeric(table["flag"], errors="coerce").fillna(2) <= 1
        table = table[good.to_numpy()]
    return {c: table[c].to_numpy(dtype=float) for c in STRUCTURAL_STATISTICS
            if c in table.columns}


def _scaled_wasserstein(a, b):
    """Wasserstein distance divided by ``a``'s IQR (its std, or 1, when that is 0)."""
    q75, q25 = np.percentile(a, [75, 25])
    scale = q75 - q25
    if not scale > 0:
        scale = np.std(a)
    if not scale > 0:
        scale = 1.0
    return float(stats.wasserstein_distance(a, b) / scale)


def _distribution_row(kind, a, b, goal):
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    row = dict.fromkeys(_COLUMNS, np.nan)
    row.update(kind=kind, n_real=len(a), n_simulated=len(b), goal="", meets_goal=None)
    if len(a) == 0 or len(b) == 0:
        return row
    ks = stats.ks_2samp(a, b)
    row.update(real=float(np.median(a)), simulated=float(np.median(b)),
               ks_statistic=float(ks.statistic), ks_pvalue=float(ks.pvalue),
               wasserstein_iqr=_scaled_wasserstein(a, b))
    row["abs_difference"] = abs(row["real"] - row["simulated"])
    if goal:
        row.update(goal=f"KS <= {KS_GOAL}", meets_goal=bool(row["ks_statistic"] <= KS_GOAL))
    return row


def _spectrum(X, k, random_state):
    from ..models import EigengalaxyPCA

    pca = EigengalaxyPCA(n_components=k, svd_solver="full", random_state=random_state)
    return pca.fit(X).explained_variance_ratio_.astype(float)


def _matched_spectra(out_real, out_sim, k, n_subsets, rng, random_state, notes):
    """Eigen-spectra of both sets at the smaller set's size: per set an array of shape
    ``(draws, k)`` (one draw for the smaller set).

    A finite sample's explained-variance ratios depend on its size: the isotropic pixel
    noise of n images fills only n - 1 directions, so the first components of a
    smaller set hold a larger share of it (in the user guide, 100 simulated galaxies
    explain about 0.48 of their variance with 12 components, 500 of the same kind
    0.39). The larger set's spectrum is therefore drawn from ``n_subsets`` random
    subsets of the smaller set's size.
    """
    n = min(len(out_real), len(out_sim))
    out = {}
    for name, X in (("real", out_real), ("simulated", out_sim)):
        if len(X) == n:
            out[name] = _spectrum(X, k, random_state)[None, :]
            continue
        out[name] = np.array([
            _spectrum(X[np.sort(rng.choice(len(X), n, replace=False))], k, random_state)
            for _ in range(n_subsets)])
        notes.append(f"{name} eigen-spectrum: mean over {n_subsets} random subsets of "
                     f"{n} of its {len(X)} images, the other set's size (a finite "
                     "sample's explained-variance ratios depend on its size)")
    return out


@validate_params(
    {
        "real_images": ["array-like"],
        "simulated_images": ["array-like"],
        "preprocessing": [StrOptions({"default"}), HasMethods(["transform"]), None],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "pca_at": [Interval(Integral, 1, None, closed="left")],
        "structural": ["boolean"],
        "border": [Interval(Integral, 1, None, closed="left")],
        "max_samples": [Interval(Integral, 1, None, closed="left"), None],
        "n_subsets": [Interval(Integral, 1, None, closed="left")],
        "image_shape": ["array-like", None],
        "return_measurements": ["boolean"],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def compare_to_real(real_images, simulated_images, *, preprocessing="default",
                    n_components=20, pca_at=12, structural=True, border=4,
                    max_samples=None, n_subsets=20, image_shape=None,
                    return_measurements=False, random_state=None, n_jobs=None):
    """Compare simulated galaxy images with real ones, statistic by statistic.

    Both sets go through the same preprocessing; then the distributions of per-galaxy
    statistics are compared with the two-sample Kolmogorov-Smirnov test
    (:func:`scipy.stats.ks_2samp`) and the Wasserstein distance
    (:func:`scipy.stats.wasserstein_distance`), and the PCA eigen-spectra of the two
    sets (each fitted on its own) are compared. The statistics:

    - **structural** (when ``structural`` is True and
      :func:`skgalvae.analysis.structural_parameters` is available; skipped with a note
      in ``table.attrs["notes"]`` otherwise): ``concentration`` C, ``asymmetry`` A,
      ``gini``, ``m20`` and ``r50`` (pixels of the processed image), measured on the
      images *before* a final :class:`~skgalvae.preprocessing.LogScaler` (linear flux,
      as the parameters are defined), galaxies flagged as failed (flag >= 2) left out;
    - **pixel**, on the processed images the models see, from the pixels in a frame
      ``border`` pixels wide along the image edges: ``sky_level`` (their median) and
      ``sky_noise`` (their 84.13th percentile minus the median: a robust standard
      deviation from the upper half alone, since the default
      :class:`~skgalvae.preprocessing.LogScaler` clips negative sky pixels to 0);
      ``total_flux`` (the sum of all pixels) and ``flux_to_peak`` (that sum over the
      brightest pixel: an area in pixels; equal to ``total_flux`` for images scaled to
      a peak of 1, as the default pipeline does);
    - **eigen-spectrum** (row ``pca_cumulative_<pca_at>``): the cumulative explained
      variance ratio of the first ``pca_at`` principal components
      (:class:`~skgalvae.models.EigengalaxyPCA`, full SVD) of each processed set, at
      the same number of images: a sample's explained-variance ratios depend on its
      size (n images' pixel noise fills only n - 1 directions, so a smaller set's first
      components hold more of it: 100 simulated galaxies explain about 0.48 of their
      variance with 12 components, 500 of the same kind 0.39). The larger set's spectrum
      is the mean over ``n_subsets`` random subsets of the smaller set's size.

    Parameters
    ----------
    real_images, simulated_images : array-like of shape (n, h*w), (n, h, w) or \
(n, 1, h, w)
        The real and the simulated images, of the same shape; raw cutouts unless
        ``preprocessing`` is None.
    preprocessing : "default", transformer or None, default="default"
        Applied to both sets. "default" is
        ``make_preprocessing_pipeline(output_shape=64)``; a fitted transformer (e.g. a
        Pipeline) is used as it is, an unfitted one is cloned and fitted on the real
        images; None means the images are already processed.
    n_components : int, default=20
        Principal components of each eigen-spectrum (at most the smaller set's size
        and the number of pixels).
    pca_at : int, default=12
        Number of components whose cumulative explained variance is compared (the
        issue's goal: within 0.05 of the real set's); at most ``n_components``.
    structural : bool, default=True
        Compare the structural parameters when available.
    border : int, default=4
        Width in pixels of the edge frame of the processed images used for the sky
        statistics.
    max_samples : int, default=None
        Compare at most this many images of each set, drawn without replacement with
        ``random_state``; None uses all.
    n_subsets : int, default=20
        Random subsets of the larger set, each of the smaller set's size, whose
        eigen-spectra are averaged (their standard deviation at ``pca_at`` is in the
        notes); unused when both sets have the same size.
    image_shape : tuple of int, default=None
        ``(height, width)`` of flat input rows; inferred for square images or 3-D input.
    return_measurements : bool, default=False
        Also return the per-galaxy values and the eigen-spectra (for
        :func:`skgalvae.plotting.plot_realism`).
    random_state : int, RandomState instance or None, default=None
        Seeds the subsampling (``max_samples``) and the subsets (``n_subsets``).
    n_jobs : int, default=None
        Threads of the default preprocessing and of the structural parameters.

    Returns
    -------
    table : pandas.DataFrame
        One row per statistic (index ``statistic``), with columns ``kind``
        ("structural", "pixel", "eigen-spectrum"); ``real`` and ``simulated``: the
        medians of the two sets (the cumulative explained variance for the
        eigen-spectrum); ``abs_difference`` of those; ``ks_statistic`` and ``ks_pvalue``
        (two-sample KS); ``wasserstein_iqr``: the Wasserstein distance divided by the
        real set's interquartile range (its standard deviation, or 1, where that is
        0); ``goal`` and ``meets_goal`` (KS <= 0.2 for the structural parameters,
        ``abs_difference`` <= 0.05 for the eigen-spectrum, none for the rest);
        ``n_real`` and ``n_simulated``. For the eigen-spectrum row, ``ks_statistic`` is
        the largest and ``wasserstein_iqr`` the mean absolute difference of the two
        cumulative curves over components 1 to ``n_components`` (no p-value).
        ``table.attrs["notes"]`` lists what was skipped and why.
    result : sklearn.utils.Bunch
        When ``return_measurements`` is True: ``table``; ``measurements``, a long
        DataFrame with columns ``set`` ("real" / "simulated"), ``statistic`` and
        ``value`` (one row per galaxy and statistic); ``spectra``, a DataFrame
        indexed by ``component`` (1, 2, ...) with the explained variance ratio of
        each set in columns ``real`` and ``simulated`` (the mean over the subsets for
        the larger set) and its standard deviation over the subsets in
        ``real_std`` and ``simulated_std`` (0 for the smaller set); ``notes``.

    See Also
    --------
    skgalvae.plotting.plot_realism : the distributions and spectra as a figure.

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.analysis import compare_to_real
    >>> rng = np.random.default_rng(0)
    >>> real = rng.normal(0, 1.0, (40, 16, 16))
    >>> table = compare_to_real(real, real.copy(), preprocessing=None, n_components=5,
    ...                         pca_at=3, structural=False)
    >>> table.loc["sky_noise", ["ks_statistic", "wasserstein_iqr"]].tolist()
    [0.0, 0.0]
    >>> noisy = compare_to_real(real, 2 * real, preprocessing=None, n_components=5,
    ...                         pca_at=3, structural=False)
    >>> bool(noisy.loc["sky_noise", "ks_statistic"] > 0.9)
    True
    """
    if pca_at > n_components:
        msg = (f"pca_at={pca_at} must be at most n_components={n_components}: the "
               "cumulative explained variance is read off the computed spectrum.")
        raise ValueError(msg)
    real, shape = _as_flat(real_images, "real_images", image_shape)
    sim, sim_shape = _as_flat(simulated_images, "simulated_images", image_shape)
    if sim_shape != shape:
        msg = (f"simulated_images have shape {sim_shape} but real_images {shape}: both "
               "sets must be cutouts of the same size (and pixel scale).")
        raise ValueError(msg)
    rng = check_random_state(random_state)
    real = _subsample(real, max_samples, rng)
    sim = _subsample(sim, max_samples, rng)
    notes = []
    lin_real, lin_sim, out_real, out_sim, out_shape = _process(
        preprocessing, real, sim, shape, n_jobs, notes)
    values = {"real": {}, "simulated": {}}
    rows = {}
    if structural:
        s_real = _structural(lin_real, out_shape, n_jobs, notes)
        s_sim = None if s_real is None else _structural(lin_sim, out_shape, n_jobs, notes)
        if s_real is not None and s_sim is not None:
            for name in STRUCTURAL_STATISTICS:
                if name in s_real and name in s_sim:
                    values["real"][name], values["simulated"][name] = s_real[name], s_sim[name]
                    rows[name] = _distribution_row("structural", s_real[name], s_sim[name],
                                                   goal=True)
    p_real = _pixel_statistics(out_real, out_shape, border)
    p_sim = _pixel_statistics(out_sim, out_shape, border)
    for name in PIXEL_STATISTICS:
        values["real"][name], values["simulated"][name] = p_real[name], p_sim[name]
        rows[name] = _distribution_row("pixel", p_real[name], p_sim[name], goal=False)
    k = int(min(n_components, len(real), len(sim), out_real.shape[1]))
    if k < n_components:
        notes.append(f"eigen-spectra limited to {k} components (the smaller set's size "
                     "or the number of pixels)")
    draws = _matched_spectra(out_real, out_sim, k, n_subsets, rng, random_state, notes)
    spectra = pd.DataFrame({name: draws[name].mean(axis=0) for name in draws},
                           index=pd.RangeIndex(1, k + 1, name="component"))
    for name in list(draws):
        spectra[f"{name}_std"] = draws[name].std(axis=0)
    cum_real, cum_sim = (np.cumsum(spectra[name].to_numpy()) for name in draws)
    row = dict.fromkeys(_COLUMNS, np.nan)
    row.update(kind="eigen-spectrum", n_real=len(real), n_simulated=len(sim),
               goal=f"|difference| <= {PCA_GOAL}", meets_goal=None)
    gap = np.abs(cum_real - cum_sim)
    row.update(ks_statistic=float(gap.max()), wasserstein_iqr=float(gap.mean()))
    if pca_at <= k:
        row.update(real=float(cum_real[pca_at - 1]), simulated=float(cum_sim[pca_at - 1]))
        row["abs_difference"] = abs(row["real"] - row["simulated"])
        row["meets_goal"] = bool(row["abs_difference"] <= PCA_GOAL)
        for name, per in draws.items():
            if len(per) > 1:
                spread = np.cumsum(per, axis=1)[:, pca_at - 1].std()
                notes.append(f"{name} pca_cumulative_{pca_at}: standard deviation "
                             f"{spread:.3f} over those subsets")
    else:
        notes.append(f"pca_cumulative_{pca_at} not computed: only {k} components")
    rows[f"pca_cumulative_{pca_at}"] = row
    table = pd.DataFrame.from_dict(rows, orient="index")[_COLUMNS]
    table.index.name = "statistic"
    table["meets_goal"] = table["meets_goal"].astype("boolean")
    table[["n_real", "n_simulated"]] = table[["n_real", "n_simulated"]].astype(int)
    table.attrs["notes"] = notes
    if not return_measurements:
        return table
    measurements = pd.DataFrame(
        [(which, name, float(v)) for which, per in values.items()
         for name, arr in per.items() for v in arr],
        columns=["set", "statistic", "value"])
    return Bunch(table=table, measurements=measurements, spectra=spectra, notes=notes)
