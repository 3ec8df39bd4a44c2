"""Reading FITS cutouts into the Pipeline's ``(n_samples, n_pixels)`` arrays.

One band per galaxy gives rows of ``h * w`` pixels (``image_shape_ = (h, w)``); several
bands give rows of ``c * h * w`` pixels in band-major order (``image_shape_ = (c, h, w)``,
see :mod:`skgalvae.utils._images`). A galaxy's bands come from one file per band (a path
column per band, or a path template with ``{band}``), from a 3-D cube in one HDU, or from
one HDU per band of a multi-extension file.
"""

import os
import re
import warnings
from functools import partial
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
from astropy.io import fits
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from ..utils._images import normalise_shape, spatial_shape
from ..utils._progress import progress
from ..utils._resample import resize_images
from ._rows import PathLoaderMixin, stack_rows

#: The placeholder a path template fills with each band's name.
BAND_FIELD = "{band}"
#: Largest offset, in pixels, between the pixel grids (WCS) of two bands of a galaxy.
WCS_TOLERANCE = 0.1


class FITSReadError(ValueError):
    """A FITS file could not be read as a usable image; the message names the file
    (and the band, for multi-band galaxies)."""


def _as_paths(X, *, who="FITSLoader", what="FITS"):
    """Return a list of path strings from a sequence, a 1-column array or DataFrame."""
    if isinstance(X, (str, Path)):
        msg = (
            f"X must be a sequence of {what} paths, not a single path: wrap it in a list, "
            f"e.g. [{str(X)!r}]."
        )
        raise TypeError(msg)
    hint = (" (for one path column per band, pass bands=..., e.g. "
            "FITSLoader(bands='gri'))" if who == "FITSLoader" else "")
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            msg = (
                f"X is a DataFrame with {X.shape[1]} columns ({list(X.columns)}); "
                f"{who} needs exactly one column of paths: select it, e.g. "
                f"df[['path']], or use a ColumnTransformer{hint}."
            )
            raise ValueError(msg)
        X = X.iloc[:, 0]
    arr = np.asarray(X, dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        msg = f"X must be 1-D or a single column of paths; got shape {arr.shape}{hint}."
        raise ValueError(msg)
    if len(arr) == 0:
        msg = f"X is empty: {who} needs at least one {what} path."
        raise ValueError(msg)
    return [str(p) for p in arr]


def _band_names(bands):
    """``bands`` as a list of names: ``"gri"`` -> ``["g", "r", "i"]``; None stays None."""
    if bands is None:
        return None
    names = list(bands) if isinstance(bands, str) else [str(b) for b in bands]
    if not names or any(not n for n in names) or len(set(names)) != len(names):
        msg = (
            f"bands={bands!r} must name at least one band, each once: a string of "
            "one-letter bands in wavelength order such as 'gri', or a list of names."
        )
        raise ValueError(msg)
    return names


def _bands_repr(bands):
    """``'gri'`` for one-letter bands, else the list."""
    return repr("".join(bands) if all(len(b) == 1 for b in bands) else list(bands))


def _as_rows(X, bands):
    """The galaxies of ``X``: a list of paths (one per galaxy) or of tuples of paths
    (one per band), and the number of input columns."""
    if (bands is not None and isinstance(X, pd.DataFrame) and X.shape[1] > 1
            and set(bands) <= set(map(str, X.columns))):
        X = X[[col for b in bands for col in X.columns if str(col) == b]]
    if bands is None or len(bands) == 1:
        return _as_paths(X), 1
    c = len(bands)
    if isinstance(X, (str, Path)):
        return _as_paths(X), 1  # raises the single-path TypeError
    if isinstance(X, pd.DataFrame):
        if X.shape[1] == 1:
            return _as_paths(X), 1
        if X.shape[1] != c:
            msg = (
                f"X is a DataFrame with {X.shape[1]} columns ({list(X.columns)}) but "
                f"bands={_bands_repr(bands)} "
                f"names {c}: pass one path column per band (named by the bands, or in "
                "their order), or one column of templates with '{band}' or of cubes."
            )
            raise ValueError(msg)
        X = X.to_numpy(dtype=object)
    arr = np.asarray(X, dtype=object)
    if arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1):
        return _as_paths(arr), 1
    if arr.ndim != 2 or arr.shape[1] != c:
        msg = (
            f"X has shape {arr.shape} but bands={_bands_repr(bands)} names {c} bands: pass a 1-D "
            f"sequence of paths (templates with '{BAND_FIELD}', or cubes / "
            f"multi-extension files) or a 2-D array of shape (n_galaxies, {c}), one "
            "path column per band."
        )
        raise ValueError(msg)
    if arr.shape[0] == 0:
        msg = "X is empty: FITSLoader needs at least one galaxy."
        raise ValueError(msg)
    return [tuple(str(p) for p in row) for row in arr], c


# ------------------------------------------------------------------------- reading
_HDU = [Interval(Integral, 0, None, closed="left"), str]
_HDUS = [*_HDU, list, tuple]


def _check_file(path):
    if path.is_dir():
        msg = (
            f"FITS path {str(path)!r} is a directory, not a FITS file: pass the path of "
            "one .fits or .fits.gz file (for a folder of cutouts, pass its files, e.g. "
            "sorted(Path(folder).glob('*.fits*')))."
        )
        raise FITSReadError(msg)
    if not path.is_file():
        msg = f"FITS file {str(path)!r} does not exist."
        raise FITSReadError(msg)


def _hdu_data(hdul, hdu, ndim):
    """``(data copy or None, header)`` of HDU ``hdu``; ``"auto"``: the first HDU whose
    squeezed data has ``ndim`` dimensions."""
    if hdu == "auto":
        found = next((h for h in hdul if h.data is not None
                      and np.squeeze(h.data).ndim == ndim), None)
        if found is None:
            return None, None
        return np.array(found.data), found.header
    item = hdul[hdu]
    data = item.data
    return (None if data is None else np.array(data)), item.header


def _clean(data, path, hdu, fill_value, *, ndim=2, need=""):
    """Check a read array (present, ``ndim``-D, finite) and return it as float32."""
    if data is None or data.size == 0:
        msg = f"FITS file {str(path)!r} has no image data in HDU {hdu!r}."
        raise FITSReadError(msg)
    data = np.squeeze(data)
    if data.ndim != ndim:
        what = need or "a 2-D image is needed (select a plane or another HDU)"
        msg = (
            f"FITS file {str(path)!r} holds a {data.ndim}-D array of shape {data.shape} "
            f"in HDU {hdu!r}; {what}."
        )
        raise FITSReadError(msg)
    data = data.astype(np.float32)
    finite = np.isfinite(data)
    if not finite.any():
        msg = f"FITS file {str(path)!r} has no finite pixel (all NaN/inf)."
        raise FITSReadError(msg)
    if not finite.all():
        if fill_value is None:
            msg = (
                f"FITS file {str(path)!r} has {int((~finite).sum())} NaN/inf pixels; "
                "pass fill_value=<float> to replace them."
            )
            raise FITSReadError(msg)
        data[~finite] = fill_value
    return data


def _read_hdus(path, hdus, fill_value, *, ndim=2, need=""):
    """Read HDUs ``hdus`` of one file (opened once): a list of ``(array, header)`` or
    ``FITSReadError`` items, one per HDU; a file that cannot be opened raises."""
    path = Path(path)
    _check_file(path)
    out = []
    try:
        with fits.open(path, memmap=False) as hdul:
            for hdu in hdus:
                try:
                    data, header = _hdu_data(hdul, hdu, ndim)
                    out.append((data, header))
                except (OSError, ValueError, TypeError, IndexError, KeyError,
                        EOFError) as exc:
                    msg = f"FITS file {str(path)!r} could not be read (hdu={hdu!r}): {exc}"
                    out.append(FITSReadError(msg))
    except (OSError, ValueError, TypeError, IndexError, KeyError, EOFError) as exc:
        msg = f"FITS file {str(path)!r} could not be read (hdu={hdus[0]!r}): {exc}"
        raise FITSReadError(msg) from exc
    cleaned = []
    for hdu, item in zip(hdus, out):
        if isinstance(item, FITSReadError):
            cleaned.append(item)
            continue
        try:
            cleaned.append((_clean(item[0], path, hdu, fill_value, ndim=ndim,
                                   need=need), item[1]))
        except FITSReadError as exc:
            cleaned.append(exc)
    return cleaned


@validate_params(
    {"path": [str, os.PathLike], "hdu": _HDU, "fill_value": [Real, None]},
    prefer_skip_nested_validation=True,
)
def read_fits_image(path, *, hdu=0, fill_value=None):
    """Read the 2-D image of one FITS file (``.fits`` or ``.fits.gz``) as float32.

    Parameters
    ----------
    path : str or path-like
    hdu : int or str, default=0
        Index or EXTNAME of the HDU. With ``"auto"``, the first HDU holding 2-D data.
    fill_value : float, default=None
        Replacement for NaN/inf pixels; None raises on any such pixel.

    Returns
    -------
    ndarray of shape (h, w), float32

    Raises
    ------
    FITSReadError
        Naming the file: missing, a directory, unreadable/corrupt, without data in the
        HDU, not 2-D, all non-finite, or with non-finite pixels when ``fill_value`` is
        None.

    See Also
    --------
    FITSLoader : many files, and several bands per galaxy (``bands=``).

    Examples
    --------
    >>> from skgalvae.datasets import load_sdss_sample
    >>> from skgalvae.io import read_fits_image
    >>> path = load_sdss_sample().catalog["path"][0]
    >>> image = read_fits_image(path)
    >>> image.shape, image.dtype
    ((150, 150), dtype('float32'))
    """
    (item,) = _read_hdus(path, [hdu], fill_value)
    if isinstance(item, FITSReadError):
        raise item
    return item[0]


def _load_one(path, *, hdu, fill_value, output_shape):
    """Return ``(image or None, error message or None)`` for one path (one band)."""
    try:
        image = read_fits_image(path, hdu=hdu, fill_value=fill_value)
    except FITSReadError as exc:
        return None, str(exc)
    if output_shape is not None and image.shape != tuple(output_shape):
        image = resize_images(image, output_shape).astype(np.float32)
    return image, None


# ------------------------------------------------------------------ several bands
def _hdu_list(hdu, bands):
    """One HDU per band: ``hdu`` repeated, or the list itself (checked)."""
    if isinstance(hdu, (list, tuple)):
        if bands is None or len(hdu) != len(bands):
            n = "no bands (bands=None)" if bands is None else f"{len(bands)} bands"
            msg = (
                f"hdu={list(hdu)!r} lists {len(hdu)} HDUs but there are {n}: give one "
                "HDU (index or EXTNAME) per band, in the order of bands, e.g. "
                "FITSLoader(bands='gri', hdu=[1, 2, 3]) or hdu=['G', 'R', 'I']."
            )
            raise ValueError(msg)
        if "auto" in hdu:
            msg = (f"hdu={list(hdu)!r}: 'auto' cannot name one band's HDU; give its "
                   "index or EXTNAME.")
            raise ValueError(msg)
        return list(hdu)
    return [hdu] * (1 if bands is None else len(bands))


def _plan(item, bands, hdu):
    """How to read one galaxy: ``("bands", [(band, path, hdu), ...])`` or
    ``("cube", path, hdu)``."""
    hdus = _hdu_list(hdu, bands)
    if isinstance(item, tuple):
        return "bands", list(zip(bands, item, hdus))
    if BAND_FIELD in item:
        return "bands", [(b, item.replace(BAND_FIELD, b), h) for b, h in zip(bands, hdus)]
    if len(bands) == 1 or isinstance(hdu, (list, tuple)):
        return "bands", [(b, item, h) for b, h in zip(bands, hdus)]
    return "cube", item, hdu


def _grid_offset(wcs_a, wcs_b, shape):
    """Largest offset in pixels between the grids of two celestial WCS, at the corners
    and the centre of an image of ``shape``; None when either has no celestial WCS."""
    from astropy.wcs.utils import pixel_to_pixel

    h, w = shape
    x = np.array([0, w - 1, 0, w - 1, (w - 1) / 2])
    y = np.array([0, 0, h - 1, h - 1, (h - 1) / 2])
    xb, yb = pixel_to_pixel(wcs_a, wcs_b, x, y)
    return float(np.max(np.hypot(xb - x, yb - y)))


#: Header keywords of a (celestial) WCS: bands whose cards agree share a grid.
_WCS_KEYWORD = re.compile(
    r"^(WCSAXES|CTYPE\d|CRVAL\d|CRPIX\d|CDELT\d|CUNIT\d|CROTA\d|CD\d_\d|PC\d_\d|"
    r"PV\d_\d+|RADESYS|EQUINOX|EPOCH|LONPOLE|LATPOLE|(A|B|AP|BP)_\w+)$")


def _wcs_cards(header):
    """The WCS keywords of ``header`` with their values (empty without a WCS): only
    these cards are parsed (parsing a whole header costs about as much as its pixels)."""
    if header is None or "CTYPE1" not in header:
        return ()
    return tuple((key, header[key]) for key in header.keys() if _WCS_KEYWORD.match(key))


def _celestial_wcs(header):
    if header is None or "CTYPE1" not in header:
        return None
    from astropy.wcs import WCS, FITSFixedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        try:
            wcs = WCS(header, naxis=2)
        except Exception:  # noqa: BLE001 -- an unusable WCS is no WCS to compare
            return None
    return wcs if wcs.has_celestial else None


def _load_galaxy(item, *, bands, hdu, fill_value, output_shape):
    """Read one galaxy's bands: ``(image (c, h, w) / (h, w) or None, errors)``.

    ``errors`` is a list of ``(band, path, reason)``; a galaxy with any error has no image.
    """
    plan = _plan(item, bands, hdu)
    if plan[0] == "cube":
        _, path, cube_hdu = plan
        c = len(bands)
        need = (f"a 3-D cube of {c} planes (bands={_bands_repr(bands)}) is needed: pass "
                f"one path per band, a '{BAND_FIELD}' template, or hdu=[...] naming "
                "one HDU per band of a multi-extension file")
        try:
            (res,) = _read_hdus(path, [cube_hdu], fill_value, ndim=3, need=need)
        except FITSReadError as exc:
            res = exc
        if isinstance(res, FITSReadError):
            return None, [(",".join(bands), path, str(res))]
        cube = res[0]
        if cube.shape[0] != c:
            msg = (
                f"FITS file {path!r} holds a cube of {cube.shape[0]} planes in HDU "
                f"{cube_hdu!r} but bands={_bands_repr(bands)} names {c}: the planes must "
                "be the bands, in the order of bands."
            )
            return None, [(",".join(bands), path, msg)]
        images, headers = list(cube), [None] * c
    else:
        sources = plan[1]
        by_path = {}
        for k, (_, path, h) in enumerate(sources):
            by_path.setdefault(path, []).append((k, h))
        results = [None] * len(sources)
        for path, members in by_path.items():
            try:
                items = _read_hdus(path, [h for _, h in members], fill_value)
            except FITSReadError as exc:
                items = [exc] * len(members)
            for (k, _), res in zip(members, items):
                results[k] = res
        errors = [(band, path, str(res)) for (band, path, _), res
                  in zip(sources, results) if isinstance(res, FITSReadError)]
        if errors:
            return None, errors
        images = [res[0] for res in results]
        headers = [res[1] for res in results]
        ref_band, ref_path, ref_hdu = sources[0]
        for (band, path, h), image in zip(sources[1:], images[1:]):
            if image.shape != images[0].shape:
                msg = (
                    f"FITS file {path!r} (band {band!r}, HDU {h!r}) has shape "
                    f"{image.shape} but band {ref_band!r} ({ref_path!r}, HDU "
                    f"{ref_hdu!r}) has {images[0].shape}: the bands of a galaxy must "
                    "share one pixel grid (resample them onto one grid first, e.g. "
                    "with the reproject package)."
                )
                errors.append((band, path, msg))
        cards = [_wcs_cards(hd) for hd in headers]
        with_wcs = [k for k, card in enumerate(cards) if card]
        if not errors and len({cards[k] for k in with_wcs}) > 1:
            # WCS keywords differ between bands: compare the grids (astropy.wcs)
            r = with_wcs[0]
            ref = _celestial_wcs(headers[r])
            for k in with_wcs[1:]:
                other = None if cards[k] == cards[r] else _celestial_wcs(headers[k])
                if ref is None or other is None:
                    continue
                offset = _grid_offset(ref, other, images[0].shape)
                if not offset <= WCS_TOLERANCE:
                    band, path, h = sources[k]
                    msg = (
                        f"FITS file {path!r} (band {band!r}, HDU {h!r}) is not on the "
                        f"pixel grid of band {sources[r][0]!r} ({sources[r][1]!r}): "
                        f"their WCS differ by up to {offset:.3g} pixels (> "
                        f"{WCS_TOLERANCE}); resample the bands onto one grid first "
                        "(e.g. with reproject)."
                    )
                    errors.append((band, path, msg))
        if errors:
            return None, errors
    image = np.stack(images) if len(images) > 1 else images[0]
    if output_shape is not None and image.shape[-2:] != tuple(output_shape):
        image = resize_images(image, output_shape).astype(np.float32)
    return image, []


def _load_row(item, *, bands, hdu, fill_value, output_shape):
    """``(image or None, error message or None)`` for one galaxy, any layout."""
    if bands is None:
        return _load_one(item, hdu=hdu, fill_value=fill_value, output_shape=output_shape)
    image, errors = _load_galaxy(item, bands=bands, hdu=hdu, fill_value=fill_value,
                                 output_shape=output_shape)
    if not errors:
        return image, None
    return None, "; ".join(f"band {b!r}: {reason}" for b, _, reason in errors)


def _spatial_output_shape(output_shape, bands):
    """The ``(h, w)`` every band is resampled to, from ``output_shape`` (checked)."""
    if output_shape is None:
        return None
    shape = tuple(int(s) for s in output_shape)
    c = 1 if bands is None else len(bands)
    if len(shape) == 2 or (len(shape) == 3 and shape[0] == c):
        return shape[-2:]
    msg = (
        f"output_shape={tuple(output_shape)!r} must be (height, width)"
        + (f" or ({c}, height, width) for bands={_bands_repr(bands)}" if c > 1 else "")
        + "."
    )
    raise ValueError(msg)


def _describe(item):
    return repr(item) if isinstance(item, str) else repr(list(item))


class FITSLoader(PathLoaderMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                 BaseEstimator):
    """Read FITS cutouts into a ``(n_samples, n_pixels)`` float32 array, one galaxy a row.

    With one band (``bands=None``, the default, or a one-band ``bands="i"``), ``X`` is a
    sequence of paths (``.fits``, ``.fits.gz``), or a 1-column array or DataFrame of them,
    and row ``i`` is the ``h * w`` pixels of file ``i`` (``image_shape_ = (h, w)``).

    With several bands (``bands="gri"``), row ``i`` holds the ``c * h * w`` pixels of
    galaxy ``i`` in band-major order (``row.reshape(c, h, w)[k]`` is band ``bands[k]``,
    ``image_shape_ = (c, h, w)``). A galaxy's bands come from

    - one file per band: ``X`` a 2-D array of shape ``(n, c)`` or a DataFrame with one
      path column per band (columns named by the bands are taken by name, otherwise in
      the order of ``bands``);
    - one file per band from a template: ``X`` 1-D paths containing ``{band}``, e.g.
      ``"cutouts/sdss_{band}_229.46686+33.63632.fits.gz"``, filled with each band;
    - a 3-D cube ``(c, h, w)`` in HDU ``hdu`` of one file, its planes in band order;
    - a multi-extension file with one HDU per band: ``hdu`` a list of ``c`` indices or
      EXTNAMEs, in band order (a list ``hdu`` also picks each band's HDU in per-band
      files).

    The bands of a galaxy must share shape and, when both carry a celestial WCS, their
    pixel grid (within ``WCS_TOLERANCE`` = 0.1 pixel, :mod:`astropy.wcs`): a band that
    is missing, unreadable, all NaN/inf, with NaN/inf pixels when ``fill_value`` is
    None, of another shape or on another grid makes the galaxy bad, and the error names
    the file and the band. Rows never vanish. Files are read with
    :mod:`astropy.io.fits`.

    Parameters
    ----------
    bands : str or list of str, default=None
        The bands of each galaxy, in wavelength order (``"gri"``: channel 0 is g). None
        means one band per file, exactly as before multi-band support.
    hdu : int, str, "auto" or list of them, default=0
        HDU index or EXTNAME holding the image (or the cube); ``"auto"``: the first HDU
        holding a 2-D image (a 3-D cube for a cube of bands). A list gives one HDU per
        band (needs ``bands``).
    output_shape : tuple of int, default=None
        Resample every band to this ``(h, w)`` (flux-conserving, see :class:`Resizer`);
        ``(c, h, w)`` is accepted too. When None, all galaxies must have the shape of
        the first readable one. The bands of one galaxy must share a shape either way.
    fill_value : float, default=None
        Replacement for NaN/inf pixels; None treats any such pixel as an error.
    on_error : {"raise", "nan"}, default="raise"
        ``"raise"``: a bad file (or band) raises a :class:`FITSReadError` naming it.
        ``"nan"``: its galaxy's row becomes NaN and one warning lists every bad file
        with the band and the reason.
    n_jobs : int, default=None
        Number of threads reading galaxies in parallel.
    verbose : int, default=0
        Show a progress bar over the galaxies when > 0.

    Attributes
    ----------
    image_shape_ : tuple of int
        Shape of the output images: ``(h, w)``, or ``(c, h, w)`` for ``c > 1`` bands.
    n_features_in_ : int
        The number of path columns of ``X`` seen in ``fit`` (1, or one per band).

    See Also
    --------
    check_fits_files : table of the bad files (and bands) in a list, with reasons.
    ColourImageLoader : 8-bit colour JPEG/PNG cutouts (already stretched).

    Examples
    --------
    >>> from skgalvae.datasets import load_sdss_sample
    >>> paths = load_sdss_sample().catalog["path"][:3]
    >>> from skgalvae.io import FITSLoader
    >>> FITSLoader().fit_transform(paths).shape
    (3, 22500)

    Three bands per galaxy from one path column per band (here the same i-band file
    three times, for the example):

    >>> import pandas as pd
    >>> table = pd.DataFrame({"g": paths, "r": paths, "i": paths})
    >>> loader = FITSLoader(bands="gri").fit(table)
    >>> loader.transform(table).shape, loader.image_shape_
    ((3, 67500), (3, 150, 150))
    """

    _parameter_constraints: dict = {
        "bands": [str, list, tuple, None],
        "hdu": _HDUS,
        "output_shape": ["array-like", None],
        "fill_value": [Real, None],
        "on_error": [StrOptions({"raise", "nan"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(self, *, bands=None, hdu=0, output_shape=None, fill_value=None,
                 on_error="raise", n_jobs=None, verbose=0):
        self.bands = bands
        self.hdu = hdu
        self.output_shape = output_shape
        self.fill_value = fill_value
        self.on_error = on_error
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _settings(self):
        bands = _band_names(self.bands)
        if isinstance(self.hdu, (list, tuple)):
            _hdu_list(self.hdu, bands)  # checked: one HDU per band, bands needed
        return bands, self.hdu, _spatial_output_shape(self.output_shape, bands)

    def _rows(self, X, bands):
        rows, n_columns = _as_rows(X, bands)
        if bands is None:
            for row in rows:
                if BAND_FIELD in row:
                    msg = (
                        f"path {row!r} is a template with '{BAND_FIELD}' but bands is "
                        "None: pass bands=..., e.g. FITSLoader(bands='gri')."
                    )
                    raise ValueError(msg)
        return rows, n_columns

    def _read(self, paths, output_shape):
        """``[(image or None, error or None)]`` for each galaxy of ``paths`` (a list
        from ``_as_paths``, or of per-band tuples), each image resampled to
        ``output_shape`` when given."""
        bands, hdu, _ = self._settings()
        output_shape = _spatial_output_shape(output_shape, bands)
        func = partial(_load_row, bands=bands, hdu=hdu, fill_value=self.fill_value,
                       output_shape=output_shape)
        unit = "file" if bands is None else "galaxy"
        items = progress(paths, verbose=self.verbose, total=len(paths),
                         desc="Reading FITS", unit=unit)
        if effective_n_jobs(self.n_jobs) == 1:
            return [func(p) for p in items]
        return Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(func)(p) for p in items
        )

    def fit(self, X, y=None):
        """Record the output image shape (reading the first readable galaxy if needed).

        Parameters
        ----------
        X : sequence of paths, or array / DataFrame of paths (one column per band)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._validate_params()
        bands, hdu, output_shape = self._settings()
        rows, self.n_features_in_ = self._rows(X, bands)
        c = 1 if bands is None else len(bands)
        if output_shape is not None:
            self.image_shape_ = normalise_shape((c, *output_shape))
            return self
        errors = []
        for i, row in enumerate(rows):
            image, error = _load_row(row, bands=bands, hdu=hdu,
                                     fill_value=self.fill_value, output_shape=None)
            if image is not None:
                self.image_shape_ = tuple(int(s) for s in image.shape)
                return self
            if bands is not None:
                error = f"galaxy {i}: {error}"
            if self.on_error == "raise":
                raise FITSReadError(error)
            errors.append(error)
        msg = "No FITS file in X could be read:\n" + "\n".join(errors)
        raise FITSReadError(msg)

    def transform(self, X):
        """Read the images.

        Parameters
        ----------
        X : sequence of paths, or array / DataFrame of paths (one column per band)

        Returns
        -------
        images : ndarray of shape (n_galaxies, n_pixels), float32
            Row ``i`` is galaxy ``i`` (band-major for several bands); NaN rows for bad
            galaxies when ``on_error="nan"``.
        """
        check_is_fitted(self)
        bands, _, output_shape = self._settings()
        rows, _ = self._rows(X, bands)
        results = self._read(rows, output_shape)
        if bands is None:
            return stack_rows(rows, results, self.image_shape_, on_error=self.on_error,
                              error_class=FITSReadError, what="FITS files",
                              describe=lambda i, row: f"FITS file {row!r}")
        return stack_rows(rows, results, self.image_shape_, on_error=self.on_error,
                          error_class=FITSReadError, what="galaxies",
                          describe=lambda i, row: f"galaxy {i} ({_describe(row)})",
                          annotate=lambda i, error: (error if error.startswith("galaxy")
                                                     else f"galaxy {i}: {error}"))


@validate_params(
    {
        "paths": "no_validation",  # _as_rows checks it, with a message that helps
        "bands": [str, list, tuple, None],
        "hdu": _HDUS,
        "fill_value": [Real, None],
        "expected_shape": ["array-like", None],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def check_fits_files(paths, *, bands=None, hdu=0, fill_value=None, expected_shape=None,
                     n_jobs=None):
    """Check FITS files and return a table of the bad ones with the reason.

    Parameters
    ----------
    paths : sequence of str or path-like, or array / DataFrame of them
        As ``X`` of :class:`FITSLoader`: with ``bands``, one path column per band,
        templates with ``{band}``, cubes or multi-extension files.
    bands : str or list of str, default=None
        The bands of each galaxy (see :class:`FITSLoader`); None: one band per file.
    hdu : int, str, "auto" or list of them, default=0
    fill_value : float, default=None
        When None, files with NaN/inf pixels are reported as bad.
    expected_shape : tuple of int, default=None
        When given, files of another shape are reported as bad (``(h, w)`` of each band,
        or ``(c, h, w)``).
    n_jobs : int, default=None

    Returns
    -------
    pandas.DataFrame
        One row per bad file (empty when all are good). Columns ``path`` and ``reason``;
        with ``bands``, ``row`` (the galaxy), ``band``, ``path`` and ``reason``, one row
        per bad band (a band of another shape or grid than the galaxy's first band is
        reported on its own file).

    Examples
    --------
    >>> from skgalvae.io import check_fits_files
    >>> check_fits_files(["missing.fits"]).reason.str.contains("does not exist").all()
    np.True_
    >>> table = check_fits_files([["g.fits", "r.fits"]], bands="gr")
    >>> table[["row", "band"]].to_numpy().tolist()
    [[0, 'g'], [0, 'r']]
    """
    names = _band_names(bands)
    if names is None:
        if isinstance(hdu, (list, tuple)):
            _hdu_list(hdu, None)
        paths = _as_paths(paths)
        func = partial(_load_one, hdu=hdu, fill_value=fill_value, output_shape=None)
        results = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(func)(p) for p in paths)
        rows = []
        for path, (image, error) in zip(paths, results):
            if image is not None and expected_shape is not None \
                    and image.shape != tuple(expected_shape):
                error = f"shape {image.shape} differs from expected {tuple(expected_shape)}"
            if error is not None:
                rows.append({"path": path, "reason": error})
        return pd.DataFrame(rows, columns=["path", "reason"])
    _hdu_list(hdu, names)
    galaxies, _ = _as_rows(paths, names)
    func = partial(_load_galaxy, bands=names, hdu=hdu, fill_value=fill_value,
                   output_shape=None)
    results = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(func)(g) for g in galaxies)
    expected = None
    if expected_shape is not None:
        expected = _spatial_output_shape(expected_shape, names)
    rows = []
    for i, (galaxy, (image, errors)) in enumerate(zip(galaxies, results)):
        if image is not None and expected is not None \
                and spatial_shape(image.shape) != expected:
            errors = [(",".join(names), _describe(galaxy),
                       f"shape {image.shape} differs from expected {tuple(expected_shape)}")]
        rows += [{"row": i, "band": b, "path": p, "reason": r} for b, p, r in errors]
    return pd.DataFrame(rows, columns=["row", "band", "path", "reason"])
