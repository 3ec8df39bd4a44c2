"""Mask the light of other sources in a cutout (photutils segmentation and deblending)."""

import warnings
import zlib
from functools import lru_cache, partial
from numbers import Integral, Real

import numpy as np
from scipy import ndimage
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils._images import as_images
from ..utils._optional import import_optional
from ..utils._parallel import apply_per_image
from ._base import BaseImageTransformer, ReferenceBandMixin, reference_image
from ._moments import middle_values


def _require_masking(deblend):
    """Import photutils (and scikit-image for deblending) or name the extra to install."""
    import_optional("photutils.segmentation", purpose="CompanionMasker")
    if deblend:
        import_optional("skimage.segmentation", purpose="CompanionMasker(deblend=True)")


@lru_cache(maxsize=8)
def _kernel(fwhm):
    from photutils.segmentation import make_2dgaussian_kernel

    size = 2 * int(np.ceil(fwhm)) + 1
    return make_2dgaussian_kernel(fwhm, size=size)


@lru_cache(maxsize=8)
def _kernel_factors(fwhm):
    """Row and column factors of the (separable) Gaussian smoothing kernel."""
    kernel = np.asarray(_kernel(fwhm).array, dtype=np.float64)
    kernel = kernel / kernel.sum()  # what astropy's convolve(normalize_kernel=True) uses
    return kernel.sum(axis=1), kernel.sum(axis=0)


#: 8-connectivity in a plane and none between the planes of a stack of thresholds.
_PLANAR_8 = np.zeros((3, 3, 3), dtype=bool)
_PLANAR_8[1] = True
def _dilate(mask, radius):
    """``ndimage.binary_dilation(mask, iterations=radius)`` (4-connected steps): the
    pixels within a city-block distance of ``radius`` of the mask, as shifted ORs of the
    mask's bounding box (exact; several times faster on a mostly empty frame)."""
    rows = np.nonzero(mask.any(axis=1))[0]
    cols = np.nonzero(mask.any(axis=0))[0]
    h, w = mask.shape
    r0, r1 = max(rows[0] - radius, 0), min(rows[-1] + radius + 1, h)
    c0, c1 = max(cols[0] - radius, 0), min(cols[-1] + radius + 1, w)
    box = np.zeros((r1 - r0 + 2 * radius, c1 - c0 + 2 * radius), dtype=bool)
    box[radius:-radius, radius:-radius] = mask[r0:r1, c0:c1]
    grown = np.zeros((r1 - r0, c1 - c0), dtype=bool)
    for dy in range(-radius, radius + 1):
        span = radius - abs(dy)
        for dx in range(-span, span + 1):
            grown |= box[radius + dy:radius + dy + r1 - r0,
                         radius + dx:radius + dx + c1 - c0]
    out = np.zeros_like(mask)
    out[r0:r1, c0:c1] = grown
    return out


def _median(values, guess=None):
    """``np.median(values)`` (the same float), found in a window about ``guess``.

    ``guess = (low, high)``: the order statistics are taken from the values inside the
    window, offset by the count below it, when they lie there (else ``np.median``).
    A window holding a few percent of the values makes this several times cheaper than
    partitioning them all.
    """
    n = values.size
    if guess is None or n < 64:
        return np.median(values)
    low, high = guess
    below = np.count_nonzero(values < low)
    window = values[(values >= low) & (values <= high)]
    k_low, k_high = (n - 1) // 2 - below, n // 2 - below
    if k_low < 0 or k_high >= window.size:
        return np.median(values)
    return middle_values(window, k_low, k_high)[0]  # np.median's mean of the middle ones


def _clipped_stats(data, sigma=3.0, maxiters=5):
    """``sigma_clipped_stats(data, sigma=sigma, maxiters=maxiters)[1:]``, faster.

    The same steps as astropy's axis-free clipping (median and standard deviation of
    the finite values, keep those within ``sigma`` standard deviations, repeat until
    nothing changes or ``maxiters``), with the same reductions on the same arrays, so
    the median and standard deviation are the same floats. Faster: each median is
    selected in a window about the previous one (:func:`_median`), and the final
    statistics are those of the last iteration when it clipped nothing.
    """
    values = data.ravel()
    finite = np.isfinite(values)
    if not finite.all():
        values = values[finite]
    if values.size == 0:
        return np.nan, np.nan
    guess = None
    if values.size >= 1024:  # the middle decile of a subsample brackets the median
        sub = values[::8]
        low, high = len(sub) * 9 // 20, len(sub) * 11 // 20
        sub = np.partition(sub, high)  # one index at a time: NumPy's fast selection
        guess = np.partition(sub[:high], low)[low], sub[high]
    stats = None
    for _ in range(maxiters):
        median = _median(values, guess)
        std = np.std(values)
        kept = values[(values >= median - std * sigma) & (values <= median + std * sigma)]
        changed = values.size - kept.size
        values = kept
        if changed == 0:
            stats = median, std
            break
        guess = median - 0.1 * std, median + 0.1 * std
    if stats is None:
        if values.size == 0:
            return np.nan, np.nan
        stats = _median(values, guess), np.std(values)
    return stats


def _smooth(data, fwhm):
    """``astropy.convolution.convolve(data, _kernel(fwhm))`` (zero fill at the edges) as
    two 1-D passes of the separable Gaussian: equal to within a few ulp (about 1e-15
    relative), about 4x faster."""
    rows, cols = _kernel_factors(fwhm)
    out = ndimage.correlate1d(data, rows, axis=0, mode="constant", cval=0.0)
    return ndimage.correlate1d(out, cols, axis=1, mode="constant", cval=0.0)


def _central_pixel(labels):
    """``(row, col)`` of the pixel that names the target's segment: the image centre if
    it is in a segment, else the segment pixel nearest to it; None without segments."""
    h, w = labels.shape
    if labels[h // 2, w // 2]:
        return h // 2, w // 2
    rows, cols = np.nonzero(labels)
    if len(rows) == 0:
        return None
    nearest = np.argmin((rows - (h - 1) / 2) ** 2 + (cols - (w - 1) / 2) ** 2)
    return int(rows[nearest]), int(cols[nearest])


def _central_label(labels):
    """Label of the segment at the image centre, else of the nearest segment; 0 if none."""
    pixel = _central_pixel(labels)
    return 0 if pixel is None else int(labels[pixel])


def _deblend_thresholds(values, n_levels):
    """The thresholds at which ``deblend_sources(mode="exponential")`` cuts a source
    (the same expressions as photutils' ``_SingleSourceDeblender``)."""
    source_min, source_max = np.min(values), np.max(values)
    linear = np.linspace(source_min, source_max, n_levels + 2)
    if source_min <= 0:  # photutils falls back to linear levels
        return linear[1:-1]
    normalized = (linear - source_min) / (source_max - source_min)
    return (source_min * (source_max / source_min) ** normalized)[1:-1]


def _may_split(smoothed, segments, label, n_pixels, n_levels):
    """False when deblending cannot split segment ``label`` (True: it may).

    photutils splits a source only when, at one of its ``n_levels`` thresholds, at
    least two groups of ``n_pixels`` or more connected pixels of the source lie above
    the threshold; otherwise ``deblend_sources`` returns the segment unchanged. This
    counts those groups at every threshold at once (one labelling of the stack of
    thresholded cut-outs, 8-connected within a plane), so the answer is exact; about
    20x cheaper than the multi-thresholding itself.
    """
    index = segments.get_index(label)
    if segments.areas[index] < 2 * n_pixels:  # photutils does not try these
        return False
    box = segments.slices[index]
    inside = segments.data[box] == label
    data = smoothed[box]
    values = data[inside]
    if values.min() == values.max():
        return False
    thresholds = _deblend_thresholds(values, n_levels)
    stack = data[None] > thresholds[:, None, None]
    stack &= inside
    groups, n_groups = ndimage.label(stack, structure=_PLANAR_8)
    if n_groups < 2:
        return False
    big = np.nonzero(np.bincount(groups.ravel())[1:] >= n_pixels)[0] + 1
    if len(big) < 2:
        return False
    # labels are given in raster order, plane after plane: the groups of plane k are
    # those above the largest label of the planes before it
    last = np.maximum.accumulate(groups.reshape(len(thresholds), -1).max(axis=1))
    planes = np.searchsorted(last, big, side="left")
    return bool(np.bincount(planes).max() >= 2)


def companion_mask_one(image, *, nsigma, n_pixels, deblend, n_levels, contrast,
                       kernel_fwhm, dilate, _reference=False):
    """Segment ``image`` and return ``(mask, median, std, labels, central, smoothed)``:
    the pixels of sources other than the central one, the sigma-clipped sky median and
    standard deviation, the segmentation labels, the target's label (0 if none) and the
    smoothed sky-subtracted image.

    Only the target's segment is deblended, and only when a second peak of at least
    ``n_pixels`` pixels exists in it (:func:`_may_split`): photutils deblends each
    segment on its own, and splitting a companion's segment only renames pixels that
    are masked either way, so the mask is that of deblending every segment (``labels``
    then keeps the other segments whole). ``_reference=True`` runs the straightforward
    path (astropy statistics and convolution, every segment deblended), kept for tests.
    """
    if _reference:
        return _companion_mask_reference(
            image, nsigma=nsigma, n_pixels=n_pixels, deblend=deblend,
            n_levels=n_levels, contrast=contrast, kernel_fwhm=kernel_fwhm, dilate=dilate)
    # photutils takes seconds to import: only when masking
    _require_masking(deblend)
    from photutils.segmentation import deblend_sources, detect_sources
    from photutils.utils.exceptions import NoDetectionsWarning

    data = np.asarray(image, dtype=np.float64)
    median, std = _clipped_stats(data)
    nothing = (np.zeros(data.shape, dtype=bool), median, std,
               np.zeros(data.shape, dtype=int), 0, data)
    if not np.isfinite(std) or std <= 0:
        return nothing
    smoothed = _smooth(data - median, float(kernel_fwhm))
    with warnings.catch_warnings():  # no source in the frame is an answer, not a problem
        warnings.simplefilter("ignore", NoDetectionsWarning)
        segments = detect_sources(smoothed, nsigma * std, n_pixels)
    if segments is None:
        return nothing
    labels = segments.data
    pixel = _central_pixel(labels)
    central = 0 if pixel is None else int(labels[pixel])
    if (deblend and central
            and _may_split(smoothed, segments, central, n_pixels, n_levels)):
        segments = deblend_sources(smoothed, segments, n_pixels, labels=[central],
                                   n_levels=n_levels, contrast=contrast,
                                   progress_bar=False)
        labels = segments.data
        central = int(labels[pixel])
    others = labels > 0
    if central:
        target = labels == central
        others &= ~target
    if dilate and others.any():
        others = _dilate(others, int(dilate))
        if central:
            others &= ~target
    return others, median, std, labels, central, smoothed


def _companion_mask_reference(image, *, nsigma, n_pixels, deblend, n_levels, contrast,
                              kernel_fwhm, dilate):
    """The straightforward :func:`companion_mask_one`: astropy's sigma-clipped
    statistics and convolution, photutils' detection and deblending of every segment."""
    _require_masking(deblend)
    from astropy.convolution import convolve
    from astropy.stats import sigma_clipped_stats
    from photutils.segmentation import deblend_sources, detect_sources
    from photutils.utils.exceptions import NoDetectionsWarning

    data = np.asarray(image, dtype=np.float64)
    _, median, std = sigma_clipped_stats(data, sigma=3.0, maxiters=5)
    nothing = (np.zeros(data.shape, dtype=bool), median, std,
               np.zeros(data.shape, dtype=int), 0, data)
    if not np.isfinite(std) or std <= 0:
        return nothing
    smoothed = convolve(data - median, _kernel(float(kernel_fwhm)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoDetectionsWarning)
        segments = detect_sources(smoothed, nsigma * std, n_pixels)
    if segments is None:
        return nothing
    if deblend and segments.n_labels > 0:
        segments = deblend_sources(smoothed, segments, n_pixels, n_levels=n_levels,
                                   contrast=contrast, progress_bar=False)
    labels = segments.data
    central = _central_label(labels)
    others = (labels > 0) & (labels != central)
    if dilate and others.any():
        others = ndimage.binary_dilation(others, iterations=dilate)
        if central:
            others &= labels != central
    return others, median, std, labels, central, smoothed


def _target_centre(smoothed, labels, central, radius=3.0):
    """Centre ``(row, col)`` of the target: the flux-weighted centroid of the smoothed
    image within ``radius`` pixels of its brightest pixel in the target's segment (the
    core, which a companion's segment never takes); the image centre without a target."""
    h, w = smoothed.shape
    if not central:
        return (h - 1) / 2, (w - 1) / 2
    target = labels == central
    py, px = np.unravel_index(np.argmax(np.where(target, smoothed, -np.inf)), labels.shape)
    # the box of pixels within ``radius``: the same pixels, in the same (raster) order,
    # as selecting them from the whole frame
    r = int(np.floor(radius))
    box = (slice(max(py - r, 0), min(py + r + 1, h)),
           slice(max(px - r, 0), min(px + r + 1, w)))
    yy, xx = np.mgrid[box]
    core = ((yy - py) ** 2 + (xx - px) ** 2 <= radius**2) & target[box]
    weights = np.clip(smoothed[box][core], 0, None)
    if weights.sum() <= 0:
        return float(py), float(px)
    return np.average(yy[core], weights=weights), np.average(xx[core], weights=weights)


def _fill_companions(image, mask, median, std, centre, *, fill, random_state):
    """``image`` (one band) with the pixels of ``mask`` replaced by ``fill``: the
    pixels point-symmetric about ``centre``, or sky of ``median`` and ``std``."""
    out = image.copy()
    todo = mask.copy()
    if fill == "symmetric":
        # the target's light under a companion, from the point-symmetric pixel
        cy, cx = centre
        rows, cols = np.nonzero(mask)
        r2 = np.rint(2 * cy - rows).astype(int)
        c2 = np.rint(2 * cx - cols).astype(int)
        h, w = image.shape
        ok = (r2 >= 0) & (r2 < h) & (c2 >= 0) & (c2 < w)
        ok[ok] &= ~mask[r2[ok], c2[ok]]
        out[rows[ok], cols[ok]] = image[r2[ok], c2[ok]]
        todo[rows[ok], cols[ok]] = False
    if fill == "median":
        out[todo] = median
    elif todo.any():
        # seeded by the image itself: the same image gets the same noise alone or in a batch
        seed = [zlib.crc32(np.ascontiguousarray(image).tobytes())]
        if random_state is not None:
            seed.append(int(random_state))
        rng = np.random.default_rng(seed)
        out[todo] = median + rng.normal(0.0, std, int(todo.sum()))
    return out


def _mask_one(image, *, fill, random_state, **detect):
    mask, median, std, labels, central, smoothed = companion_mask_one(image, **detect)
    if not mask.any():
        return image
    centre = _target_centre(smoothed, labels, central) if fill == "symmetric" else None
    return _fill_companions(image, mask, median, std, centre, fill=fill,
                            random_state=random_state)


def _mask_cube(cube, *, index, fill, random_state, **detect):
    """Mask a ``(c, h, w)`` galaxy: the companions are found once, on the reference
    image (band ``index``, or the band sum for None), and the same pixels are replaced
    in every band, each band by its own light and its own sky."""
    mask, median, std, labels, central, smoothed = companion_mask_one(
        reference_image(cube, index), **detect)
    if not mask.any():
        return cube
    centre = _target_centre(smoothed, labels, central) if fill == "symmetric" else None
    out = np.empty_like(cube)
    for k, band in enumerate(cube):
        sky = ((median, std) if k == index
               else _clipped_stats(np.asarray(band, dtype=np.float64)))
        out[k] = _fill_companions(band, mask, *sky, centre, fill=fill,
                                  random_state=random_state)
    return out


class CompanionMasker(OneToOneFeatureMixin, ReferenceBandMixin, BaseImageTransformer):
    """Mask the companions and stars in each cutout, keeping the central galaxy.

    Sources are found by image segmentation with photutils: the image, minus its
    sigma-clipped sky median, is smoothed by a Gaussian kernel of ``kernel_fwhm`` pixels
    (about the PSF), pixels above ``nsigma`` times the sky standard deviation are
    grouped into sources of at least ``n_pixels`` connected pixels
    (:func:`photutils.segmentation.detect_sources`), and blended sources are split by
    multi-threshold deblending (:func:`photutils.segmentation.deblend_sources`). The
    source at the image centre (or the one nearest to it) is the target and is left
    untouched; every other source, grown by ``dilate`` pixels, is replaced (``fill``) by
    the target's point-symmetric light, sky noise or the sky median. Companions in the
    frame are the seed study's "centre object disturbed by extra objects": they bias the
    centroid, the major-axis angle and, in the models, take latent capacity. Apply it to
    sky-subtracted or raw cutouts, before :class:`Recentre` (the target must be near the
    centre).

    Bands: the sources are found once per galaxy, on band ``reference_band`` (or the
    sum of the bands), and the same pixels are masked in every band, so a companion is
    removed from all bands alike and the bands stay aligned. Each band is filled from
    its own pixels (the symmetric pixel of that band) and its own sky level and noise
    (each band's sigma-clipped statistics).

    Stateless: each image is treated on its own. Fill noise is drawn from a generator
    seeded by the band's bytes (and ``random_state``), so an image is masked the same
    way alone or in any batch, and every call is reproducible. Needs the ``masking`` extra
    (photutils and scikit-image): ``pip install "skgalvae[masking]"``.

    Parameters
    ----------
    nsigma : float, default=2.0
        Detection threshold in sky standard deviations (on the smoothed image).
    n_pixels : int, default=10
        Minimum number of connected pixels of a source.
    deblend : bool, default=True
        Split blended sources (a companion touching the target) by deblending.
    n_levels : int, default=32
        Deblending thresholds (see :func:`~photutils.segmentation.deblend_sources`).
    contrast : float, default=0.005
        Minimum flux fraction of a deblended component (SourceExtractor's default
        DEBLEND_MINCONT); larger values split less.
    kernel_fwhm : float, default=3.0
        FWHM of the smoothing kernel in pixels (SDSS: 1.3 arcsec / 0.396 arcsec per pixel
        is about 3.3 pixels).
    dilate : int, default=2
        Pixels by which each masked source is grown (its faint wings); the target's own
        pixels are never masked.
    fill : {"symmetric", "noise", "median"}, default="symmetric"
        What replaces a masked pixel. ``"symmetric"``: the pixel point-symmetric to it
        about the target's centre, when that one lies in the frame and is not masked
        itself (galaxies are nearly point-symmetric, so the target's own light under a
        companion is restored; the usual choice in morphology measurements), otherwise
        sky noise. ``"noise"``: Gaussian sky noise around the sky median. ``"median"``:
        the sky median.
    random_state : int, default=None
        Mixed into the per-image seed of the fill noise.
    reference_band : int or "sum", default=-1
        Band on which the sources are detected: a channel index of ``(c, h, w)`` images
        (bands in wavelength order), or ``"sum"`` for the sum of the bands (the deepest
        image: faint companions show best there). The default, -1, is the last and
        reddest band: i in g, r, i (``bands="gri"``).
    image_shape : tuple of int, default=None
        ``(height, width)`` or ``(bands, height, width)`` of flat input rows; inferred
        for square one-band images.
    n_jobs : int, default=None
        Number of worker processes (photutils' deblending holds the GIL, so threads
        would not help).

    Attributes
    ----------
    image_shape_ : tuple of int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string feature names.

    See Also
    --------
    photutils.segmentation.detect_sources, photutils.segmentation.deblend_sources

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.preprocessing import CompanionMasker
    >>> yy, xx = np.mgrid[:48, :48]
    >>> galaxy = 50 * np.exp(-((yy - 24) ** 2 + (xx - 24) ** 2) / 18)
    >>> star = 30 * np.exp(-((yy - 8) ** 2 + (xx - 40) ** 2) / 4)
    >>> image = galaxy + star + np.random.default_rng(0).normal(0, 0.5, (48, 48))
    >>> masker = CompanionMasker().fit(image[None])
    >>> out = masker.transform(image[None]).reshape(48, 48)
    >>> bool(out[8, 40] < 3), bool(out[24, 24] == image[24, 24])
    (True, True)
    >>> masker.companion_masks(image[None]).sum() > 0
    np.True_
    """

    _parameter_constraints: dict = {
        **BaseImageTransformer._parameter_constraints,
        **ReferenceBandMixin._reference_constraints,
        "nsigma": [Interval(Real, 0, None, closed="neither")],
        "n_pixels": [Interval(Integral, 1, None, closed="left")],
        "deblend": ["boolean"],
        "n_levels": [Interval(Integral, 1, None, closed="left")],
        "contrast": [Interval(Real, 0, 1, closed="both")],
        "kernel_fwhm": [Interval(Real, 0, None, closed="neither")],
        "dilate": [Interval(Integral, 0, None, closed="left")],
        "fill": [StrOptions({"symmetric", "noise", "median"})],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, *, nsigma=2.0, n_pixels=10, deblend=True, n_levels=32,
                 contrast=0.005, kernel_fwhm=3.0, dilate=2, fill="symmetric",
                 random_state=None, reference_band=-1, image_shape=None, n_jobs=None):
        self.nsigma = nsigma
        self.n_pixels = n_pixels
        self.deblend = deblend
        self.n_levels = n_levels
        self.contrast = contrast
        self.kernel_fwhm = kernel_fwhm
        self.dilate = dilate
        self.fill = fill
        self.random_state = random_state
        self.reference_band = reference_band
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        """Validate ``X``, record the image shape and check that photutils is installed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)
            Images; flat rows of several bands need ``image_shape=(c, h, w)``.
        y : None
            Ignored.

        Returns
        -------
        self : object

        Raises
        ------
        ImportError
            When photutils (or, with ``deblend=True``, scikit-image) is missing: install
            the ``masking`` extra, ``pip install "skgalvae[masking]"``.
        """
        _require_masking(self.deblend)
        return super().fit(X, y)

    def _detect_params(self):
        return {"nsigma": self.nsigma, "n_pixels": self.n_pixels, "deblend": self.deblend,
                "n_levels": self.n_levels, "contrast": self.contrast,
                "kernel_fwhm": self.kernel_fwhm, "dilate": self.dilate}

    def _transform_images(self, images):
        if images.ndim == 3:  # one band
            func = partial(_mask_one, fill=self.fill, random_state=self.random_state,
                           **self._detect_params())
        else:
            func = partial(_mask_cube, index=self._reference_index(), fill=self.fill,
                           random_state=self.random_state, **self._detect_params())
        return apply_per_image(func, images, n_jobs=self.n_jobs, prefer="processes")

    def companion_masks(self, X):
        """Return the masked pixels of each image (what :meth:`transform` replaces).

        One mask per galaxy, found on the reference band (``reference_band``) and
        applied to each of its bands.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)

        Returns
        -------
        masks : ndarray of bool, shape (n_samples, h, w)
        """
        check_is_fitted(self)
        images = as_images(self._validate(X, reset=False), self.image_shape_)
        func = partial(_mask_only, **self._detect_params())
        return apply_per_image(func, self._reference_images(images), dtype=bool,
                               n_jobs=self.n_jobs, prefer="processes")


def _mask_only(image, **detect):
    return companion_mask_one(image, **detect)[0]
