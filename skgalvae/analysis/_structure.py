"""Structural parameters of each galaxy image with statmorph (Sersic, CAS, Gini-M20).

One row per image, in the row order of the images, ready for
:func:`~skgalvae.analysis.latent_correlations` and
:func:`~skgalvae.analysis.property_scores`. statmorph (the ``morphology`` extra) and
photutils are imported inside the functions, never at import time.
"""

import warnings
from collections import Counter
from numbers import Integral, Real

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from scipy import ndimage
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array

from ..utils._images import flatten_images, resolve_image_shape
from ..utils._optional import import_optional
from ..utils._progress import progress

#: The measured columns of :func:`structural_parameters` (radii in pixels), in order.
STRUCTURAL_PARAMETERS = (
    "sersic_n", "sersic_rhalf", "sersic_ellip", "r20", "r50", "r80", "rhalf_circ",
    "rhalf_ellip", "rpetro_circ",
    "concentration", "asymmetry", "smoothness", "gini", "m20", "ellipticity",
)
#: Radii (pixels) that get an ``_arcsec`` twin when a pixel scale is given.
_RADII = ("sersic_rhalf", "r20", "r50", "r80", "rhalf_circ", "rhalf_ellip", "rpetro_circ")
#: statmorph attribute of each column, where the names differ.
_STATMORPH_NAMES = {"ellipticity": "ellipticity_asymmetry"}
#: Flag of a galaxy that could not be measured at all (statmorph's "catastrophic").
FAILED_FLAG = 4
_PURPOSE = "structural_parameters (statmorph morphology)"


@validate_params(
    {
        "fwhm": [Interval(Real, 0, None, closed="neither")],
        "size": [Interval(Integral, 1, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def gaussian_psf(fwhm, *, size=None):
    """A circular Gaussian PSF image of full width at half maximum ``fwhm`` pixels.

    The kernel :func:`structural_parameters` convolves its Sersic models with. For
    :func:`~skgalvae.datasets.make_galaxies`, the FWHM in pixels is ``psf_fwhm /
    pixel_scale`` (1.3 / 0.396 = 3.3 pixels on the raw cutouts; the simulator's PSF is a
    Moffat of that FWHM, whose wings a Gaussian lacks) and, after a resize by a factor
    ``s`` (the study's 100 -> 64 pixels: s = 0.64), ``s`` times that.

    Parameters
    ----------
    fwhm : float
        Full width at half maximum in pixels.
    size : int, default=None
        Side of the (square) PSF image; made odd. None: ``2 * ceil(2 * fwhm) + 1``
        (out to about 4.7 sigma).

    Returns
    -------
    psf : ndarray of shape (size, size)
        Centred on the middle pixel and normalised to a sum of 1.

    Examples
    --------
    >>> from skgalvae.analysis import gaussian_psf
    >>> psf = gaussian_psf(3.0)
    >>> psf.shape, round(float(psf.sum()), 6)
    ((13, 13), 1.0)
    """
    if size is None:
        size = 2 * int(np.ceil(2 * fwhm)) + 1
    size = int(size) + (1 - int(size) % 2)  # odd: centred on a pixel
    sigma = fwhm / (2 * np.sqrt(2 * np.log(2)))
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    psf = np.exp(-(xx**2 + yy**2) / (2 * sigma**2))
    return psf / psf.sum()


def _central_label(labels):
    """Label of the segment at the image centre, else of the nearest one; 0 if none."""
    h, w = labels.shape
    label = labels[h // 2, w // 2]
    if label:
        return int(label)
    rows, cols = np.nonzero(labels)
    if len(rows) == 0:
        return 0
    nearest = np.argmin((rows - (h - 1) / 2) ** 2 + (cols - (w - 1) / 2) ** 2)
    return int(labels[rows[nearest], cols[nearest]])


def _segment(data, std, *, nsigma, n_pixels, deblend, kernel_fwhm):
    """photutils segmentation of a sky-subtracted image (smoothed, then thresholded)."""
    from astropy.convolution import convolve
    from photutils.segmentation import deblend_sources, detect_sources, make_2dgaussian_kernel
    from photutils.utils.exceptions import NoDetectionsWarning

    size = 2 * int(np.ceil(kernel_fwhm)) + 1
    smoothed = convolve(data, make_2dgaussian_kernel(kernel_fwhm, size=size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoDetectionsWarning)
        segments = detect_sources(smoothed, nsigma * std, n_pixels)
    if segments is None:
        return np.zeros(data.shape, dtype=int)
    if deblend and segments.n_labels > 0:
        segments = deblend_sources(smoothed, segments, n_pixels, nlevels=32,
                                   contrast=0.005, progress_bar=False)
    return segments.data


def _sky_and_segments(data, bad, labels, *, sky, nsigma, n_pixels, deblend,
                      kernel_fwhm):
    """Return ``(sky-subtracted image, sky std, labels or None when nothing is found)``.

    The sky median and standard deviation are sigma-clipped (3 sigma) over the pixels
    outside every source, grown by 3 pixels: a first estimate over the whole image
    finds the sources, the second leaves out their faint wings (which a clipped median
    of all pixels would subtract from the galaxy). When under 10% of the frame is left
    (a bright galaxy filling it, or a noiseless image), the image is taken as already
    sky-subtracted. A number ``sky`` is the known level: it is subtracted and only the
    standard deviation is measured.
    """
    from astropy.stats import sigma_clipped_stats

    known = sky != "auto"
    raw = data - float(sky) if known else data
    _, median, std = sigma_clipped_stats(raw, mask=bad, sigma=3.0, maxiters=5)
    data = raw if known else raw - median
    data[bad] = 0.0
    peak = float(data.max())
    if not np.isfinite(std) or std <= 0:
        std = 1e-6 * peak  # a noiseless image: a floor far below the galaxy
    if labels is None:
        if not peak > nsigma * std:
            return data, std, None
        labels = _segment(data, std, nsigma=nsigma, n_pixels=n_pixels, deblend=deblend,
                          kernel_fwhm=kernel_fwhm)
    labels = np.asarray(labels).astype(np.int64, copy=False)
    outside = ~(ndimage.binary_dilation(labels > 0, iterations=3) | bad)
    if outside.sum() >= max(50, 0.1 * outside.size):
        _, median, sky_std = sigma_clipped_stats(raw[outside], sigma=3.0, maxiters=5)
        data = raw if known else raw - median
        data[bad] = 0.0
        if np.isfinite(sky_std) and sky_std > 0:
            std = sky_std
    else:  # the galaxy fills the frame: no sky left to measure, take it as subtracted
        data = raw
    return data, std, labels


def _empty_row(status, n_warnings=0):
    row = dict.fromkeys(STRUCTURAL_PARAMETERS, np.nan)
    row.update(flag=FAILED_FLAG, flag_sersic=FAILED_FLAG, sn_per_pixel=np.nan,
               n_warnings=n_warnings, status=status)
    return row


def _measure_one(image, labels, *, psf, gain, sky, nsigma, n_pixels, deblend,
                 kernel_fwhm):
    """statmorph on one image: ``(row dict, Counter of warning messages)``. Never raises
    for a bad galaxy: a failure is a row of NaN with flag 4 and a ``status``."""
    import statmorph

    caught = Counter()
    data = np.array(image, dtype=np.float64)
    bad = ~np.isfinite(data)
    data[bad] = 0.0
    if not np.any(data[~bad] > 0):
        return _empty_row("blank image"), caught
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            data, std, labels = _sky_and_segments(
                data, bad, labels, sky=sky, nsigma=nsigma, n_pixels=n_pixels, deblend=deblend,
                kernel_fwhm=kernel_fwhm)
            label = 0 if labels is None else _central_label(labels)
            if labels is None:
                row = _empty_row("no source above the threshold")
            elif label == 0:
                row = _empty_row("no source in the segmentation")
            else:
                mask = bad | ((labels > 0) & (labels != label))
                kwargs = ({"gain": gain} if gain is not None
                          else {"weightmap": np.full(data.shape, std)})
                morph = statmorph.SourceMorphology(data, labels, label, mask=mask,
                                                   psf=psf, **kwargs)
                row = _row(morph)
        except Exception as exc:  # noqa: BLE001 -- one bad galaxy never stops the batch
            row = _empty_row(f"statmorph raised {type(exc).__name__}: {exc}")
    for w in record:
        caught[f"{w.category.__name__}: {w.message}"] += 1
    row["n_warnings"] = len(record)
    return row, caught


def _row(morph):
    if morph.flag >= FAILED_FLAG:
        return _empty_row("statmorph: nothing measurable (flag 4)")
    row = {}
    for name in (*STRUCTURAL_PARAMETERS, "sn_per_pixel"):
        value = float(morph[_STATMORPH_NAMES.get(name, name)])
        row[name] = value if np.isfinite(value) and value != -99.0 else np.nan
    row.update(flag=int(morph.flag), flag_sersic=int(morph.flag_sersic), status="ok")
    return row


def _measure_chunk(images, labels, options):
    rows, caught = [], Counter()
    for i, image in enumerate(images):
        row, counts = _measure_one(image, None if labels is None else labels[i], **options)
        rows.append(row)
        caught.update(counts)
    return rows, caught


def _as_image_stack(X, image_shape, name):
    X2d, shape = flatten_images(np.asarray(X))
    X2d = check_array(X2d, dtype=np.float64, ensure_all_finite="allow-nan",
                      input_name=name)
    shape = resolve_image_shape(image_shape, shape, X2d.shape[1])
    return X2d.reshape(-1, *shape)


@validate_params(
    {
        "images": ["array-like"],
        "image_shape": ["array-like", None],
        "psf": ["array-like", Interval(Real, 0, None, closed="neither"), None],
        "pixel_scale": [Interval(Real, 0, None, closed="neither"), None],
        "gain": [Interval(Real, 0, None, closed="neither"), None],
        "segmentation": ["array-like", None],
        "sky": [StrOptions({"auto"}), Real],
        "nsigma": [Interval(Real, 0, None, closed="neither")],
        "n_pixels": [Interval(Integral, 1, None, closed="left")],
        "deblend": ["boolean"],
        "kernel_fwhm": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def structural_parameters(images, *, image_shape=None, psf=None, pixel_scale=None,
                          gain=None, segmentation=None, sky="auto", nsigma=1.5, n_pixels=10,
                          deblend=False, kernel_fwhm=3.0, n_jobs=None, verbose=0):
    """Sersic index, radii, CAS, Gini-M20 and ellipticity of each galaxy, with statmorph.

    For each image: the sky level is subtracted (``sky``); unless ``segmentation``
    is given, the image is smoothed with a Gaussian of ``kernel_fwhm`` pixels and pixels
    above ``nsigma`` sky standard deviations, in groups of at least ``n_pixels``, become
    sources (:func:`photutils.segmentation.detect_sources`); the segment at the image
    centre (or the one nearest to it) is the galaxy, every other segment is masked; then
    :class:`statmorph.SourceMorphology` measures it (Rodriguez-Gomez et al. 2019), with
    the single-Sersic fit convolved with ``psf`` when given. Pixel errors: from ``gain``
    (Poisson + sky) when given, else the sky standard deviation everywhere.

    A galaxy that cannot be measured (a blank image, no source above the threshold,
    statmorph raising or returning flag 4) gets NaN in every measured column,
    ``flag = flag_sersic = 4`` and a ``status`` saying why; the batch never stops for it.
    Warnings raised inside (statmorph and astropy warn often: "Disjoint features in Gini
    segmap", ...) are caught and counted: ``n_warnings`` per galaxy and, for the whole
    batch, ``table.attrs["warnings"]`` ({message: count}).

    Parameters
    ----------
    images : array-like of shape (n_images, h*w), (n, h, w) or (n, 1, h, w)
        Images with a linear flux scale (raw or sky-subtracted cutouts; after a strong
        asinh/log stretch the profile shape, hence n and the radii, is distorted). NaN
        pixels are masked.
    image_shape : tuple of int, default=None
        ``(h, w)`` of flat rows; inferred for 3-D input or square images.
    psf : array-like of shape (k, k), float or None, default=None
        The PSF image (any odd size, normalised inside statmorph's fit), or a float: the
        FWHM in pixels of a Gaussian PSF (:func:`gaussian_psf`). None fits unconvolved
        Sersic profiles: ``sersic_n`` and ``sersic_rhalf`` are then those of the
        PSF-blurred galaxy (n biased low for small galaxies).
    pixel_scale : float, default=None
        Arcsec per pixel; adds an ``<radius>_arcsec`` column beside each radius.
    gain : float, default=None
        Electrons per image unit (e.g. 700 for the simulator's nanomaggies), for Poisson
        errors in the Sersic fit.
    segmentation : array-like of shape (n_images, h, w), default=None
        Integer segmentation maps (0: sky) to use instead of photutils' detection; the
        segment at each image's centre is the galaxy.
    sky : "auto" or float, default="auto"
        The sky level. ``"auto"``: the sigma-clipped median of the pixels outside every
        detected source (grown by 3 pixels), subtracted; when under 10% of the frame is
        left (a galaxy filling it), none is subtracted. A number: that known level (0 for
        sky-subtracted images, such as :func:`~skgalvae.datasets.make_galaxies`'),
        better for bright, extended galaxies whose faint wings reach the frame's edge.
    nsigma : float, default=1.5
        Detection threshold in sky standard deviations (on the smoothed image).
    n_pixels : int, default=10
        Fewest connected pixels of a source.
    deblend : bool, default=False
        Split blended sources (:func:`photutils.segmentation.deblend_sources`, 32 levels,
        contrast 0.005) so that a touching companion is masked; it can also split off a
        bright clump or spiral arm of the galaxy itself.
    kernel_fwhm : float, default=3.0
        FWHM in pixels of the smoothing kernel of the detection (about the PSF's).
    n_jobs : int, default=None
        Worker processes (None: 1, -1: all cores); results do not depend on it.
    verbose : int, default=0
        Progress bar when > 0.

    Returns
    -------
    table : pandas.DataFrame
        One row per image, in order (index 0..n-1). Measured columns
        (:data:`STRUCTURAL_PARAMETERS`; radii in pixels, along circular apertures about
        the asymmetry centre unless said otherwise):

        - ``sersic_n``, ``sersic_rhalf``, ``sersic_ellip``: index, half-light radius
          (semi-major axis) and ellipticity of the single-Sersic fit;
        - ``r20``, ``r50``, ``r80``: radii holding 20, 50, 80% of the light within 1.5
          Petrosian radii; ``rhalf_circ``, ``rhalf_ellip``: half-light radius (of the
          total flux out to the segment's edge) in circular apertures and, along the
          semi-major axis, in elliptical ones; ``rpetro_circ``: circular Petrosian
          radius (eta = 0.2);
        - ``concentration`` ``5 log10(r80 / r20)``, ``asymmetry`` (rotational, sky
          corrected), ``smoothness`` (clumpiness), as in Lotz et al. (2004);
        - ``gini``, ``m20``: Gini coefficient of the pixel fluxes and the normalised
          second moment of the brightest 20% of the light (Lotz et al. 2004);
        - ``ellipticity``: ``1 - b/a`` from the second moments about the asymmetry
          centre.

        Quality columns: ``flag`` (statmorph's: 0 good, 1 suspect, 2 bad, 4 nothing
        measured), ``flag_sersic`` (0 good, 1 suspect: the fit reached its iteration
        limit, 2 bad, 4 not fitted), ``sn_per_pixel``, ``n_warnings`` and ``status``
        (text: ``"ok"`` or why nothing was measured; not numeric, so
        :func:`latent_correlations` leaves it out). statmorph's authors advise using
        only ``flag <= 1`` (and ``flag_sersic <= 1`` for the Sersic columns).

    Raises
    ------
    ImportError
        When statmorph or photutils is missing: ``pip install "skgalvae[morphology]"``.

    See Also
    --------
    latent_correlations : Correlate the latents with these columns.
    property_scores : Predict them from the latents.

    References
    ----------
    Rodriguez-Gomez, V., Snyder, G. F., Lotz, J. M., et al. (2019), "The stellar
    mass assembly of galaxies in the IllustrisTNG simulations: morphologies",
    MNRAS 483, 4140 (statmorph). Lotz, Primack & Madau (2004), AJ 128, 163.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.modeling.models import Sersic2D
    >>> from skgalvae.analysis import structural_parameters
    >>> yy, xx = np.mgrid[:64, :64]
    >>> galaxy = Sersic2D(amplitude=1, r_eff=5, n=1, x_0=31.5, y_0=31.5)(xx, yy)
    >>> rng = np.random.default_rng(0)
    >>> images = np.stack([galaxy + rng.normal(0, 1e-2, galaxy.shape),
    ...                    np.zeros_like(galaxy)])
    >>> table = structural_parameters(images)
    >>> table[["sersic_n", "sersic_rhalf"]].round(1)
       sersic_n  sersic_rhalf
    0       1.0           5.0
    1       NaN           NaN
    >>> table["flag"].tolist(), table["status"].tolist()
    ([0, 4], ['ok', 'blank image'])
    """
    import_optional("statmorph", purpose=_PURPOSE)
    import_optional("photutils.segmentation", purpose=_PURPOSE)
    stack = _as_image_stack(images, image_shape, "images")
    n = len(stack)
    labels = None
    if segmentation is not None:
        labels = np.asarray(segmentation)
        if labels.shape != stack.shape:
            msg = (
                f"segmentation has shape {labels.shape} but the images are {stack.shape}: "
                "pass one integer label map per image, of the images' shape."
            )
            raise ValueError(msg)
    if isinstance(psf, Real):
        psf = gaussian_psf(float(psf))
    elif psf is not None:
        psf = check_array(psf, dtype=np.float64, input_name="psf")
        if psf.shape[0] % 2 == 0 or psf.shape[1] % 2 == 0 or psf.sum() <= 0:
            msg = (
                f"psf must be a 2-D image of odd sides with a positive sum; got shape "
                f"{psf.shape} and sum {psf.sum():.3g}."
            )
            raise ValueError(msg)
        psf = psf / psf.sum()
    options = {"psf": psf, "gain": gain, "sky": sky, "nsigma": float(nsigma),
               "n_pixels": int(n_pixels), "deblend": bool(deblend),
               "kernel_fwhm": float(kernel_fwhm)}
    n_workers = min(effective_n_jobs(n_jobs), max(n, 1))
    # several chunks per worker: the progress bar moves and slow galaxies spread out
    n_chunks = min(n, n_workers * 4) if n_workers > 1 else min(n, max(1, n // 20))
    bounds = np.linspace(0, n, max(n_chunks, 1) + 1).astype(int)
    tasks = [delayed(_measure_chunk)(stack[a:b], None if labels is None else labels[a:b],
                                     options)
             for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
    if n_workers > 1:
        results = Parallel(n_jobs=n_workers, prefer="processes",
                           return_as="generator")(tasks)
    else:
        results = (func(*args, **kwargs) for func, args, kwargs in tasks)
    rows, caught = [], Counter()
    for chunk_rows, counts in progress(results, verbose=verbose, total=len(tasks),
                                       desc="structural_parameters", unit="chunk"):
        rows.extend(chunk_rows)
        caught.update(counts)
    columns = [*STRUCTURAL_PARAMETERS, "flag", "flag_sersic", "sn_per_pixel",
               "n_warnings", "status"]
    table = pd.DataFrame(rows, columns=columns, index=pd.RangeIndex(n))
    table = table.astype({"flag": int, "flag_sersic": int, "n_warnings": int})
    if pixel_scale is not None:
        for radius in _RADII:
            table.insert(table.columns.get_loc(radius) + 1, f"{radius}_arcsec",
                         table[radius] * float(pixel_scale))
    table.attrs["warnings"] = dict(caught.most_common())
    return table
