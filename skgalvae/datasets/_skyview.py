"""fetch_sdss_cutouts: SDSS cutouts from NASA SkyView (astroquery), cached per galaxy and
band."""

import gzip
import os
import warnings
from numbers import Integral, Real
from pathlib import Path

import astropy.units as u
import numpy as np
import pandas as pd
from astropy.coordinates import SkyCoord
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, validate_params

from ..utils._atomic import atomic_path
from ..utils._data_home import get_data_home
from ..utils._optional import import_optional
from ..utils._progress import progress
from ._download import with_retries

#: Sub-folder of the data home holding the cutouts.
CUTOUT_FOLDER = "sdss_cutouts"


def cutout_name(ra, dec, band="i"):
    """File stem of a cutout, as in the bundled sample: ``sdss_i_229.46686+33.63632``."""
    return f"sdss_{band}_{ra:.5f}{dec:+.5f}"


def _as_coordinates(coordinates):
    """Return (ra, dec) arrays in degrees from a SkyCoord, a DataFrame or an array."""
    if isinstance(coordinates, SkyCoord):
        icrs = coordinates.icrs
        return np.atleast_1d(icrs.ra.deg), np.atleast_1d(icrs.dec.deg)
    if isinstance(coordinates, pd.DataFrame):
        for ra_col, dec_col in (("ra", "dec"), ("RA", "DEC"), ("RA", "Dec")):
            if ra_col in coordinates and dec_col in coordinates:
                return (coordinates[ra_col].to_numpy(float),
                        coordinates[dec_col].to_numpy(float))
        msg = ("coordinates is a DataFrame without ra/dec columns (looked for "
               f"'ra'/'dec' and 'RA'/'DEC'); it has {list(coordinates.columns)[:10]}.")
        raise KeyError(msg)
    arr = np.asarray(coordinates, dtype=float)
    if arr.ndim == 1 and arr.shape == (2,):
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2:
        msg = ("coordinates must be a SkyCoord, a DataFrame with ra/dec columns or an "
               f"array of shape (n, 2) of (ra, dec) in degrees; got shape {arr.shape}.")
        raise ValueError(msg)
    return arr[:, 0], arr[:, 1]


def _default_client():
    skyview = import_optional("astroquery.skyview",
                              purpose="fetch_sdss_cutouts (NASA SkyView queries)")
    return skyview.SkyView


def _fetch_one(client, ra, dec, path, *, survey, band, size, pixel_scale, retries,
               backoff):
    """Download one cutout to ``path`` (atomically) unless it exists."""
    if path.exists():
        return path
    side = size * pixel_scale * u.arcsec

    # A SkyCoord, not a string: astroquery sends a coordinate string it cannot parse
    # ("ra, dec") to the Sesame name resolver, which needs the network and may return
    # another position (astropy/astroquery#1251).
    position = SkyCoord(ra * u.deg, dec * u.deg, frame="icrs")

    def query():
        hdus = client.get_images(
            position=position, survey=[survey], coordinates="J2000",
            projection="Tan", pixels=str(size), width=side, height=side,
            cache=False, show_progress=False)
        if not hdus:
            msg = f"SkyView returned no image for {survey} at ({ra}, {dec})."
            raise OSError(msg)
        return hdus[0]

    hdul = with_retries(query, retries=retries, backoff=backoff,
                        what=f"SkyView {survey} cutout at ({ra:.5f}, {dec:+.5f})")
    header = hdul[0].header
    header["RA"] = (ra, "target right ascension [deg]")
    header["DEC"] = (dec, "target declination [deg]")
    header["BAND"] = band
    header["SURVEY"] = survey
    header["PIXSCALE"] = (pixel_scale, "requested pixel scale [arcsec/pixel]")
    with atomic_path(path) as tmp:
        with gzip.open(tmp, "wb") as fh:
            hdul.writeto(fh)
    return path


#: The SDSS bands, in wavelength order.
SDSS_BANDS = "ugriz"


def _sdss_bands(bands):
    names = list(bands)
    if not names or len(set(names)) != len(names) or not set(names) <= set(SDSS_BANDS):
        msg = (
            f"bands={bands!r} must name SDSS bands, each once, from {SDSS_BANDS!r}, "
            "in wavelength order: e.g. 'i' (one band) or 'gri'."
        )
        raise ValueError(msg)
    return names


def _surveys(survey, names):
    """The SkyView survey of each band: ``"SDSS" + band`` or the template ``survey``."""
    if survey is None:
        return [f"SDSS{b}" for b in names]
    if "{band}" in survey:
        return [survey.replace("{band}", b) for b in names]
    if len(names) > 1:
        msg = (
            f"survey={survey!r} names one SkyView survey but bands={''.join(names)!r} "
            "names several: pass survey=None (SDSSg, SDSSr, ...) or a template with "
            "'{band}', e.g. survey='SDSS{band}'."
        )
        raise ValueError(msg)
    return [survey]


@validate_params(
    {
        "coordinates": ["array-like", SkyCoord],
        "size": [Interval(Integral, 1, None, closed="left")],
        "bands": [str],
        "band": [str, None],
        "survey": [str, None],
        "pixel_scale": [Interval(Real, 0, None, closed="neither")],
        "data_home": [str, os.PathLike, None],
        "n_jobs": [Integral, None],
        "retries": [Interval(Integral, 0, None, closed="left")],
        "backoff": [Interval(Real, 0, None, closed="left")],
        "return_images": ["boolean"],
        "client": "no_validation",
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_sdss_cutouts(coordinates, *, size=150, bands="i", band=None, survey=None,
                       pixel_scale=0.396, data_home=None, n_jobs=None, retries=3,
                       backoff=2.0, return_images=False, client=None, verbose=1):
    """Download SDSS cutouts from NASA SkyView, one cached FITS file per galaxy and band.

    Each cutout is fetched with :meth:`astroquery.skyview.SkyView.get_images`
    (``size`` x ``size`` pixels of ``pixel_scale`` arcsec, gnomonic projection, J2000,
    the same grid in every band) and written, gzip-compressed and atomically, to
    ``get_data_home(data_home)/sdss_cutouts/sdss_<band>_<ra>+<dec>.fits.gz`` (RA and
    Dec in degrees with 5 decimals, the naming of the bundled sample). Files already
    there are not fetched again, band by band: re-run an interrupted batch, or ask for
    ``bands="gri"`` after ``bands="i"``, and only the missing files are downloaded.
    Failed queries are retried with exponential backoff; a cutout that still fails
    raises its error, and the cutouts fetched so far stay cached.

    Parameters
    ----------
    coordinates : SkyCoord, DataFrame with ra/dec columns, or array of shape (n, 2)
        Positions in degrees (ICRS/J2000).
    size : int, default=150
        Cutout side in pixels.
    bands : str, default="i"
        SDSS bands, in wavelength order: ``"i"`` (one file per galaxy, as before) or
        ``"gri"`` (SkyView's SDSSg, SDSSr and SDSSi, one file per band).
    band : str, default=None
        Deprecated alias of ``bands`` (a FutureWarning says so); it will be removed.
    survey : str, default=None
        SkyView survey name; None means ``"SDSS" + band`` for each band (``"SDSSi"``).
        With several bands, a template with ``{band}`` (``"SDSS{band}"``).
    pixel_scale : float, default=0.396
        Arcsec per pixel (SDSS's native scale).
    data_home : str or path-like, default=None
        See :func:`skgalvae.utils.get_data_home` (``SKGALVAE_DATA`` overrides).
    n_jobs : int, default=None
        Concurrent downloads (threads). Be kind to SkyView: a few at most.
    retries, backoff : int, float, default=3, 2.0
        Extra attempts per cutout and the first wait in seconds (doubled each time).
    return_images : bool, default=False
        Also read the cutouts (with :class:`~skgalvae.io.FITSLoader`) and return a
        Bunch like :func:`~skgalvae.datasets.load_sdss_sample`.
    client : object, default=None
        Anything with SkyView's ``get_images`` method; None means
        ``astroquery.skyview.SkyView`` (``pip install "skgalvae[fetch]"``; tests inject
        a fake, or a SkyView client pointed at a local server).
    verbose : int, default=1
        Progress bar when > 0.

    Returns
    -------
    list of pathlib.Path
        One band (``bands="i"``): one path per position, in order (when
        ``return_images`` is False).
    pandas.DataFrame
        Several bands: one row per position and one column of paths per band, named by
        the bands; ``FITSLoader(bands="gri").fit_transform(paths)`` reads them.
    sklearn.utils.Bunch
        ``images`` ((n, h, w), or (n, c, h, w) for several bands), ``data`` (rows),
        ``catalog`` (``name``, ``ra``, ``dec``, and ``path``, or ``path_<band>`` for
        each band), ``image_shape``, ``bands``, ``pixel_scale``, ``DESCR`` (when
        ``return_images`` is True).

    Notes
    -----
    astroquery sends SkyView the position as a decimal string of six significant
    digits (:meth:`~astropy.coordinates.SkyCoord.to_string`: ``229.467 33.6363``), so
    a cutout's centre can be off the requested position by up to 0.0005 degree of RA
    (1.8 arcsec, about 4.5 pixels, times cos(Dec)); the header's WCS holds the centre
    SkyView used, and the offset is the same in every band.

    Examples
    --------
    >>> from skgalvae.datasets import fetch_sdss_cutouts
    >>> paths = fetch_sdss_cutouts([[229.46686, 33.63632]])  # doctest: +SKIP
    >>> paths[0].name  # doctest: +SKIP
    'sdss_i_229.46686+33.63632.fits.gz'
    >>> paths = fetch_sdss_cutouts([[229.46686, 33.63632]], bands="gri")  # doctest: +SKIP
    >>> paths.columns.tolist()  # doctest: +SKIP
    ['g', 'r', 'i']
    """
    if band is not None:
        if bands not in ("i", band):
            msg = (
                f"bands={bands!r} and band={band!r} disagree: band is the deprecated "
                "name of bands; pass bands only."
            )
            raise ValueError(msg)
        warnings.warn("band= is deprecated and will be removed: pass bands= instead "
                      f"(bands={band!r}).", FutureWarning, stacklevel=2)
        bands = band
    names = _sdss_bands(bands)
    surveys = _surveys(survey, names)
    ra, dec = _as_coordinates(coordinates)
    folder = get_data_home(data_home) / CUTOUT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    paths = {b: [folder / f"{cutout_name(r, d, b)}.fits.gz"
                 for r, d in zip(ra, dec, strict=True)] for b in names}
    client = _default_client() if client is None else client
    todo = [(i, b, s) for i in range(len(ra)) for b, s in zip(names, surveys)
            if not paths[b][i].exists()]
    common = {"size": size, "pixel_scale": pixel_scale, "retries": retries,
              "backoff": backoff}
    tasks = (delayed(_fetch_one)(client, ra[i], dec[i], paths[b][i], survey=s, band=b,
                                 **common) for i, b, s in todo)
    n_workers = min(effective_n_jobs(n_jobs), max(len(todo), 1))
    if n_workers > 1:
        results = Parallel(n_jobs=n_workers, prefer="threads", return_as="generator")(
            tasks)
    else:
        results = (t[0](*t[1], **t[2]) for t in tasks)
    for _ in progress(results, verbose=verbose, total=len(todo), desc="SkyView",
                      unit="cutout"):
        pass
    one = len(names) == 1
    table = pd.DataFrame(paths, columns=names)
    if not return_images:
        return paths[names[0]] if one else table
    from ..io import FITSLoader

    tag = "".join(names)
    catalog = pd.DataFrame({"name": [cutout_name(r, d, tag) for r, d in zip(ra, dec)],
                            "ra": ra, "dec": dec})
    if one:
        catalog["path"] = [str(p) for p in paths[names[0]]]
        data = FITSLoader(n_jobs=n_jobs).fit_transform(catalog["path"])
    else:
        for b in names:
            catalog[f"path_{b}"] = [str(p) for p in paths[b]]
        data = FITSLoader(bands=tag, n_jobs=n_jobs).fit_transform(table)
    shape = (size, size) if one else (len(names), size, size)
    what = f"{tag}-band" if one else f"{', '.join(names)}-band"
    return Bunch(images=data.reshape(-1, *shape), data=data, catalog=catalog,
                 image_shape=shape, bands=tag, pixel_scale=pixel_scale,
                 DESCR=f"SDSS {what} cutouts from NASA SkyView "
                       f"({', '.join(surveys)}), {size}x{size} pixels of "
                       f"{pixel_scale} arcsec.")


def cutout_paths(coordinates, *, band="i", data_home=None):
    """The cache paths :func:`fetch_sdss_cutouts` uses for ``coordinates`` (no I/O)."""
    ra, dec = _as_coordinates(coordinates)
    folder = Path(get_data_home(data_home)) / CUTOUT_FOLDER
    return [folder / f"{cutout_name(r, d, band)}.fits.gz"
            for r, d in zip(ra, dec, strict=True)]
