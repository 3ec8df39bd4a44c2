"""fetch_sdss_cutouts: SDSS cutouts from NASA SkyView (astroquery), cached per galaxy."""

import gzip
import os
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

    def query():
        hdus = client.get_images(
            position=f"{ra:.6f}, {dec:.6f}", survey=[survey], coordinates="J2000",
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


@validate_params(
    {
        "coordinates": ["array-like", SkyCoord],
        "size": [Interval(Integral, 1, None, closed="left")],
        "band": [str],
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
def fetch_sdss_cutouts(coordinates, *, size=150, band="i", survey=None,
                       pixel_scale=0.396, data_home=None, n_jobs=None, retries=3,
                       backoff=2.0, return_images=False, client=None, verbose=1):
    """Download SDSS cutouts from NASA SkyView, one cached FITS file per galaxy.

    Each cutout is fetched with :meth:`astroquery.skyview.SkyView.get_images`
    (``size`` x ``size`` pixels of ``pixel_scale`` arcsec, gnomonic projection, J2000)
    and written, gzip-compressed and atomically, to
    ``get_data_home(data_home)/sdss_cutouts/sdss_<band>_<ra>+<dec>.fits.gz`` (RA and
    Dec in degrees with 5 decimals, the naming of the bundled sample). Files already
    there are not fetched again: re-run an interrupted batch and only the missing ones
    are downloaded. Failed queries are retried with exponential backoff; a cutout that
    still fails raises its error, and the cutouts fetched so far stay cached.

    Parameters
    ----------
    coordinates : SkyCoord, DataFrame with ra/dec columns, or array of shape (n, 2)
        Positions in degrees (ICRS/J2000).
    size : int, default=150
        Cutout side in pixels.
    band : str, default="i"
        SDSS band; names the files.
    survey : str, default=None
        SkyView survey name; None means ``"SDSS" + band`` (``"SDSSi"``).
    pixel_scale : float, default=0.396
        Arcsec per pixel (SDSS's native scale).
    data_home : str or path-like, default=None
        See :func:`skgalvae.utils.get_data_home` (``SKGALVAE_DATA`` overrides).
    n_jobs : int, default=None
        Concurrent downloads (threads). Be kind to SkyView: a few at most.
    retries, backoff : int, float, default=3, 2.0
        Extra attempts per cutout and the first wait in seconds (doubled each time).
    return_images : bool, default=False
        Also read the cutouts and return a Bunch like
        :func:`~skgalvae.datasets.load_sdss_sample`.
    client : object, default=None
        Anything with SkyView's ``get_images`` method; None means
        ``astroquery.skyview.SkyView`` (``pip install "skgalvae[fetch]"``; tests inject
        a fake).
    verbose : int, default=1
        Progress bar when > 0.

    Returns
    -------
    list of pathlib.Path
        One path per position, in order (when ``return_images`` is False).
    sklearn.utils.Bunch
        ``images``, ``data``, ``catalog`` (``name``, ``ra``, ``dec``, ``path``),
        ``image_shape``, ``pixel_scale``, ``DESCR`` (when ``return_images`` is True).

    Examples
    --------
    >>> from skgalvae.datasets import fetch_sdss_cutouts
    >>> paths = fetch_sdss_cutouts([[229.46686, 33.63632]])  # doctest: +SKIP
    >>> paths[0].name  # doctest: +SKIP
    'sdss_i_229.46686+33.63632.fits.gz'
    """
    ra, dec = _as_coordinates(coordinates)
    survey = f"SDSS{band}" if survey is None else survey
    folder = get_data_home(data_home) / CUTOUT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    names = [cutout_name(r, d, band) for r, d in zip(ra, dec, strict=True)]
    paths = [folder / f"{name}.fits.gz" for name in names]
    client = _default_client() if client is None else client
    todo = [i for i, p in enumerate(paths) if not p.exists()]
    kwargs = {"survey": survey, "band": band, "size": size, "pixel_scale": pixel_scale,
              "retries": retries, "backoff": backoff}
    tasks = (delayed(_fetch_one)(client, ra[i], dec[i], paths[i], **kwargs) for i in todo)
    n_workers = min(effective_n_jobs(n_jobs), max(len(todo), 1))
    if n_workers > 1:
        results = Parallel(n_jobs=n_workers, prefer="threads", return_as="generator")(
            tasks)
    else:
        results = (t[0](*t[1], **t[2]) for t in tasks)
    for _ in progress(results, verbose=verbose, total=len(todo), desc="SkyView",
                      unit="cutout"):
        pass
    if not return_images:
        return paths
    from ..io import FITSLoader

    catalog = pd.DataFrame({"name": names, "ra": ra, "dec": dec,
                            "path": [str(p) for p in paths]})
    data = FITSLoader(n_jobs=n_jobs).fit_transform(catalog["path"])
    shape = (size, size)
    return Bunch(images=data.reshape(-1, *shape), data=data, catalog=catalog,
                 image_shape=shape, pixel_scale=pixel_scale,
                 DESCR=f"SDSS {band}-band cutouts from NASA SkyView ({survey}), "
                       f"{size}x{size} pixels of {pixel_scale} arcsec.")


def cutout_paths(coordinates, *, band="i", data_home=None):
    """The cache paths :func:`fetch_sdss_cutouts` uses for ``coordinates`` (no I/O)."""
    ra, dec = _as_coordinates(coordinates)
    folder = Path(get_data_home(data_home)) / CUTOUT_FOLDER
    return [folder / f"{cutout_name(r, d, band)}.fits.gz"
            for r, d in zip(ra, dec, strict=True)]
