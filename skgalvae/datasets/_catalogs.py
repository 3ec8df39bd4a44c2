"""Readers and fetchers of the catalogs the seed study joined: GZ2, GSWLC, RCSED.

Readers take the files in their published formats and return DataFrames with the
source's column names, sentinel values turned into NaN. Fetchers download through the
shared helper (:func:`skgalvae.datasets._download.download_file`: cached, atomic,
length- and hash-checked, retried) or astroquery's Vizier (the ``fetch`` extra), then
call the same readers.
"""

import os
import re
import warnings
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import (
    Interval,
    Options,
    StrOptions,
    validate_params,
)

from ..utils._data_home import get_data_home
from ..utils._optional import import_optional
from ..utils._validation import require_columns
from ._download import UnverifiedDownloadWarning, download_file, with_retries

#: Remote files: URL, file name in the cache and SHA-256 (``"sha256:<64 hex digits>"``).
#: An entry whose hash nobody could compute from here (no internet when this was written)
#: has ``known_hash`` None and is marked ``"verified": False``: its download is trusted as
#: is (only its length is checked) and raises an :class:`UnverifiedDownloadWarning`.
#: Fill its hash in (``sha256sum`` of a good download) and drop the mark to have every
#: later download checked.
REGISTRY = {
    # Willett et al. 2013 Table 5 (GZ2 Stripe 82 coadd), from the authors' repository
    # at a fixed commit; the hash is that of the byte-identical copy in ../shared/data.
    "gz2_stripe82": {
        "url": "https://raw.githubusercontent.com/willettk/galaxyzoo2/"
               "d50c18c8b2dd3fceee15e974c54d3ed40bcceff6/tables/table5.csv.gz",
        "filename": "gz2_table5_stripe82.csv.gz",
        "known_hash": "sha256:b3a9ac6a8ef1cbe6a9a1248cfde69a404732a66945a6c853b2da24cb"
                      "9e1f2c0f",
    },
    # GZ2 main sample, Hart et al. 2016 debiasing (data.galaxyzoo.org, "GZ2 - Table 1").
    "gz2_hart16": {
        "url": "https://gz2hart.s3.amazonaws.com/gz2_hart16.csv.gz",
        "filename": "gz2_hart16.csv.gz",
        "known_hash": None,
        "verified": False,  # no SHA-256 recorded: integrity not checked
    },
    # GSWLC-X2 (Salim et al. 2016, 2018): UV-optical-IR SED fits of SDSS galaxies.
    "gswlc_x2": {
        "url": "https://salims.pages.iu.edu/gswlc/GSWLC-X2.dat.gz",
        "filename": "GSWLC-X2.dat.gz",
        "known_hash": None,
        "verified": False,  # no SHA-256 recorded: integrity not checked
    },
}

_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")


def check_registry(registry=None):
    """Raise a ValueError naming the entry when one has neither a SHA-256 nor the mark.

    Every entry of :data:`REGISTRY` must carry ``known_hash`` ``"sha256:<64 hex
    digits>"``, or ``known_hash`` None together with ``"verified": False`` (a file whose
    hash nobody could compute yet, downloaded with an :class:`UnverifiedDownloadWarning`).
    """
    registry = REGISTRY if registry is None else registry
    for key, entry in registry.items():
        known_hash = entry.get("known_hash")
        if known_hash is None:
            if entry.get("verified", True) is not False:
                msg = (f"registry entry {key!r} has no known_hash: record the file's "
                       "SHA-256 ('sha256:<hex>'), or mark it \"verified\": False.")
                raise ValueError(msg)
        elif not _SHA256.fullmatch(str(known_hash)):
            msg = (f"registry entry {key!r} has known_hash {known_hash!r}; it must be "
                   "'sha256:' followed by 64 lower-case hex digits.")
            raise ValueError(msg)


_PATH = [str, os.PathLike]
_DATA_HOME = [str, os.PathLike, None]
_RETRIES = [Interval(Integral, 0, None, closed="left")]

#: GSWLC-2 columns (Salim et al. 2018 catalogue documentation, Table 2); missing = -99.
GSWLC_COLUMNS = (
    "OBJID", "GLXID", "PLATE", "MJD", "FIBER_ID", "RA", "DECL", "Z", "CHI2_SED",
    "LOGMSTAR", "LOGMSTAR_ERR", "LOGSFRSED", "LOGSFRSED_ERR", "AFUV", "AFUV_ERR", "AB",
    "AB_ERR", "AV_GAL", "AV_GAL_ERR", "FLAG_SED", "UV_SURVEY", "LOGSFRAW", "LOGSFRW4",
    "FLAG_MGS",
)

#: Vizier catalogue of RCSED (Chilingarian et al. 2017, ApJS 228, 14).
RCSED_VIZIER = "J/ApJS/228/14"


def _catalog_dir(data_home):
    folder = get_data_home(data_home) / "catalogs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def apply_sentinels(df, sentinels):
    """Replace sentinel values by NaN, in place, and return ``df``.

    ``sentinels`` maps a column to a value, a list of values, or a callable returning a
    boolean mask; columns absent from ``df`` are ignored. Integer columns become float.
    """
    for col, rule in sentinels.items():
        if col not in df.columns:
            continue
        values = df[col]
        if callable(rule):
            mask = rule(values)
        else:
            mask = values.isin(np.atleast_1d(rule))
        if mask.any():
            df[col] = values.astype(float).mask(mask)
    return df


def _read_csv(path, **kwargs):
    path = Path(path)
    if not path.is_file():
        msg = f"Catalog file {str(path)!r} does not exist."
        raise FileNotFoundError(msg)
    return pd.read_csv(path, **kwargs)


# --------------------------------------------------------------------------- GZ2
@validate_params({"path": _PATH}, prefer_skip_nested_validation=True)
def read_gz2_table(path):
    """Read a Galaxy Zoo 2 table (CSV, optionally gzipped) into a DataFrame.

    Works with the GZ2 data-release tables (Willett et al. 2013, Tables 1 and 5; Hart
    et al. 2016) and their derivatives: one row per galaxy, ``ra`` and ``dec`` in
    degrees, ``total_classifications``, ``total_votes`` and, for each of the 37 answers
    of the tree (e.g. ``t01_smooth_or_features_a01_smooth``), the columns
    ``_count`` (votes), ``_weight`` (sum of volunteer weights), ``_fraction``,
    ``_weighted_fraction``, ``_debiased`` (fractions in [0, 1]) and ``_flag`` (1 in the
    clean sample of the paper's Table 3), as far as the table has them. The GZ2 tables
    use no sentinels: answers to questions nobody reached have count and fraction 0.

    Parameters
    ----------
    path : str or path-like
        The CSV file (gzip allowed).

    Returns
    -------
    pandas.DataFrame
        One row per galaxy, the table's columns.

    Examples
    --------
    >>> import io, pandas as pd
    >>> from skgalvae.datasets import read_gz2_table
    >>> # doctest with a tiny stand-in file
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "gz2.csv"
    >>> _ = p.write_text("ra,dec,t01_smooth_or_features_a01_smooth_fraction\\n1,2,0.5\\n")
    >>> read_gz2_table(p).shape
    (1, 3)
    """
    df = _read_csv(path)
    df.columns = [str(c).strip() for c in df.columns]
    require_columns(df, ["ra", "dec"], name=f"GZ2 table {str(path)!r}")
    if not any(c.startswith("t01_smooth_or_features") for c in df.columns):
        msg = (f"GZ2 table {str(path)!r} has no t01_smooth_or_features_* column: is it "
               "a Galaxy Zoo 2 vote table?")
        raise ValueError(msg)
    return df


@validate_params(
    {
        "sample": [StrOptions({"hart16", "stripe82"})],
        "data_home": _DATA_HOME,
        "known_hash": [str, None],
        "retries": _RETRIES,
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_gz2_catalog(*, sample="hart16", data_home=None, known_hash=None, retries=3,
                      verbose=1):
    """Download (once) and read a Galaxy Zoo 2 vote table.

    Parameters
    ----------
    sample : {"hart16", "stripe82"}, default="hart16"
        ``"hart16"``: the GZ2 main sample with the debiasing of Hart et al. (2016,
        MNRAS 461, 3663), from data.galaxyzoo.org (about 240,000 galaxies; the seed's
        population); **unverified**: its SHA-256 is not recorded, so its integrity is
        not checked unless you pass ``known_hash``. ``"stripe82"``: Willett et al.
        (2013) Table 5, Stripe 82 coadded depth (19,761 galaxies), from the authors'
        repository at a fixed commit, checked against its known SHA-256.
    data_home : str or path-like, default=None
        Cache folder (``<data_home>/catalogs``).
    known_hash : str, default=None
        Overrides the registry's hash (needed to check the ``hart16`` file, whose hash
        is not recorded here).
    retries : int, default=3
        Extra download attempts.
    verbose : int, default=1
        Progress bar when > 0.

    Returns
    -------
    pandas.DataFrame
        See :func:`read_gz2_table`.

    Warns
    -----
    UnverifiedDownloadWarning
        When the ``hart16`` file is downloaded without ``known_hash``: its integrity
        is not checked (a ``UserWarning``).

    Examples
    --------
    >>> from skgalvae.datasets import fetch_gz2_catalog
    >>> gz2 = fetch_gz2_catalog(sample="stripe82")  # doctest: +SKIP
    >>> gz2.shape  # doctest: +SKIP
    (19761, 228)
    """
    key = {"hart16": "gz2_hart16", "stripe82": "gz2_stripe82"}[sample]
    path = _fetch_registered(key, data_home, known_hash, retries, verbose)
    return read_gz2_table(path)


def _fetch_registered(key, data_home, known_hash, retries, verbose, registry=None):
    """Download registry entry ``key`` (once); warn when its hash is unknown."""
    entry = (REGISTRY if registry is None else registry)[key]
    known_hash = entry["known_hash"] if known_hash is None else known_hash
    target = _catalog_dir(data_home) / entry["filename"]
    fresh = not target.exists()
    path = download_file(entry["url"], target, known_hash=known_hash, retries=retries,
                         verbose=verbose)
    if known_hash is None and fresh:
        msg = (
            f"{entry['filename']!r} was downloaded from {entry['url']} without a known "
            f"SHA-256 (registry entry {key!r} is unverified): its integrity is not "
            "checked. Pass known_hash='sha256:<hex>' to check it."
        )
        warnings.warn(msg, UnverifiedDownloadWarning, stacklevel=3)
    return path


# ------------------------------------------------------------------- GZ: Quench
#: Sentinels of the Galaxy Zoo: Quench tables (values that mean "no measurement").
GZ_QUENCH_SENTINELS = {
    "LOG_MASS": -1,
    "SFR": -99,
    "V_DISP": [0, 850],  # 0: no measurement; 850: the fit's cap
    "V_DISP_ERR": lambda s: s < 0,
    "D4000": 0,
    "D4000_ERR": 0,
    "LUMINOSITY_DISTANCE": 0,
    "UMAG": lambda s: s > 25,
    "IMAG": lambda s: s > 25,
    "ZMAG": lambda s: s > 25,
}


@validate_params({"path": _PATH}, prefer_skip_nested_validation=True)
def read_gz_quench(path):
    """Read the Galaxy Zoo: Quench sample + control table (MPA-JHU / SDSS properties).

    Columns as in the source: ``OBJID``, ``RA``, ``DEC`` [deg], ``REDSHIFT``,
    ``LOG_MASS`` [log10 Msun], ``SFR`` [Msun/yr, linear], apparent and absolute
    ``*MAG``, ``PETRO_R50`` [arcsec, r band], ``V_DISP`` [km/s], ``D4000``, emission-line
    fluxes [1e-17 erg/s/cm^2], ``LUMINOSITY_DISTANCE`` [cm], ``quench_group``.
    Sentinels become NaN: LOG_MASS -1, SFR -99, V_DISP 0 or 850 (cap), V_DISP_ERR < 0,
    D4000(_ERR) 0, LUMINOSITY_DISTANCE 0, U/I/Z MAG > 25 (failed photometry).

    Parameters
    ----------
    path : str or path-like
        The CSV file (gzip allowed).

    Returns
    -------
    pandas.DataFrame
        One row per galaxy, the source's columns, sentinels as NaN.
    """
    df = _read_csv(path)
    require_columns(df, ["RA", "DEC"], name=f"GZ: Quench table {str(path)!r}")
    return apply_sentinels(df, GZ_QUENCH_SENTINELS)


# -------------------------------------------------------------- GZ1 mergers
@validate_params({"path": _PATH}, prefer_skip_nested_validation=True)
def read_gz_mergers(path):
    """Read a Galaxy Zoo merging-pairs table (Darg et al. 2010).

    The table carries MPA-JHU properties and, in the ``mergers_gz2`` variant, the GZ2
    columns of object1.

    Columns as in the source (Darg et al. 2010, Galaxy Zoo data release): ``ra1``,
    ``dec1``, ``ra2``, ``dec2`` [deg] of the two members (and ``ra``, ``dec`` of the GZ2
    row in ``mergers_gz2``), ``*_app_{1,2}`` / ``*_abs_{1,2}`` magnitudes, ``specz*``,
    ``kmass*`` [log10 Msun], MPA-JHU ``*_SFR`` / ``*_MASS`` [log10], ``BPT`` class.
    Sentinels become NaN: values <= -9999 in any numeric column (-9999 for second
    members without a spectrum; ``u_abs_2`` = -10050.6 in one row), ``SPECOBJID`` 0
    (no MPA-JHU match).

    Parameters
    ----------
    path : str or path-like
        The CSV file (gzip allowed).

    Returns
    -------
    pandas.DataFrame
        One row per galaxy, the source's columns, sentinels as NaN.
    """
    df = _read_csv(path)
    require_columns(df, ["ra1", "dec1"], name=f"mergers table {str(path)!r}")
    numeric = df.select_dtypes("number").columns
    sentinels = {c: (lambda s: s <= -9999) for c in numeric if (df[c] <= -9999).any()}
    sentinels["SPECOBJID"] = 0
    return apply_sentinels(df, sentinels)


# ------------------------------------------------------------------- GSWLC
@validate_params({"path": _PATH}, prefer_skip_nested_validation=True)
def read_gswlc(path):
    """Read a GSWLC-2 catalogue file (``GSWLC-X2.dat[.gz]``, whitespace separated).

    Columns (Salim et al. 2018 documentation, Table 2): ``OBJID``, ``GLXID``, ``PLATE``,
    ``MJD``, ``FIBER_ID``, ``RA``, ``DECL`` [deg], ``Z``, ``CHI2_SED``, ``LOGMSTAR``
    [log10 Msun], ``LOGMSTAR_ERR``, ``LOGSFRSED`` [log10 Msun/yr], ``LOGSFRSED_ERR``,
    ``AFUV``, ``AFUV_ERR``, ``AB``, ``AB_ERR``, ``AV_GAL``, ``AV_GAL_ERR`` [mag],
    ``FLAG_SED``, ``UV_SURVEY``, ``LOGSFRAW``, ``LOGSFRW4``, ``FLAG_MGS``. The missing
    value -99 becomes NaN in every float column. A ``DEC`` copy of ``DECL`` is added.

    Parameters
    ----------
    path : str or path-like
        The GSWLC-2 ``.dat`` file (gzip allowed).

    Returns
    -------
    pandas.DataFrame
        One row per galaxy.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"GSWLC file {str(path)!r} does not exist."
        raise FileNotFoundError(msg)
    df = pd.read_csv(path, sep=r"\s+", header=None, comment="#")
    if df.shape[1] != len(GSWLC_COLUMNS):
        msg = (f"GSWLC file {str(path)!r} has {df.shape[1]} columns, expected "
               f"{len(GSWLC_COLUMNS)} (GSWLC-2 format).")
        raise ValueError(msg)
    df.columns = list(GSWLC_COLUMNS)
    floats = [c for c in df.columns if df[c].dtype.kind == "f"]
    apply_sentinels(df, dict.fromkeys(floats, -99))
    df["DEC"] = df["DECL"]
    return df


@validate_params(
    {
        "data_home": _DATA_HOME,
        "known_hash": [str, None],
        "retries": _RETRIES,
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_gswlc(*, data_home=None, known_hash=None, retries=3, verbose=1):
    """Download (once) and read the GSWLC-X2 catalogue of SDSS galaxy properties.

    GSWLC-X2 (Salim et al. 2016, ApJS 227, 2; 2018, ApJ 859, 11) holds stellar masses
    and SED star-formation rates of about 660,000 SDSS galaxies (the seed's LOGMSTAR
    and LOGSFRSED). **Unverified**: the registry has no SHA-256 for this file, so its
    integrity is not checked (only its length) and the download raises an
    :class:`~skgalvae.datasets._download.UnverifiedDownloadWarning`; pass
    ``known_hash`` to check it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder (``<data_home>/catalogs``).
    known_hash : str, default=None
        Expected SHA-256 of ``GSWLC-X2.dat.gz``.
    retries : int, default=3
        Extra download attempts.
    verbose : int, default=1
        Progress bar when > 0.

    Returns
    -------
    pandas.DataFrame
        See :func:`read_gswlc`.

    Warns
    -----
    UnverifiedDownloadWarning
        When the file is downloaded without ``known_hash`` (a ``UserWarning``).
    """
    return read_gswlc(_fetch_registered("gswlc_x2", data_home, known_hash, retries,
                                        verbose))


# ------------------------------------------------------------------- RCSED
def _table_to_frame(table):
    """astropy Table -> DataFrame, masked values -> NaN."""
    table = table.filled(np.nan) if getattr(table, "masked", False) else table
    df = table.to_pandas()
    for col in df.columns:
        if df[col].dtype == object:
            df[col] = df[col].map(lambda v: v.decode() if isinstance(v, bytes) else v)
    return df


@validate_params(
    {
        "columns": [list, tuple],
        "row_limit": [Options(Integral, {-1}), Interval(Integral, 1, None, closed="left")],
        "data_home": _DATA_HOME,
        "vizier": "no_validation",
        "catalog": [str],
        "retries": _RETRIES,
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_rcsed(*, columns=("**",), row_limit=-1, data_home=None, vizier=None,
                catalog=RCSED_VIZIER, retries=3, verbose=1):
    """Query RCSED (Chilingarian et al. 2017, ApJS 228, 14) from VizieR and cache it.

    RCSED holds SSP and exponential-SFH fits of SDSS spectra (age, metallicity,
    velocity dispersion) for about 800,000 galaxies. Columns are VizieR's names for
    the catalogue (``_RAJ2000``/``_DEJ2000`` positions in degrees are requested);
    masked values become NaN. The result is cached as a CSV in
    ``<data_home>/catalogs/rcsed_vizier.csv.gz`` (written atomically) and read from
    there next time.

    Parameters
    ----------
    columns : sequence of str, default=("**",)
        VizieR columns ("**" is every column).
    row_limit : int, default=-1
        Most rows to fetch (>= 1); -1 is no limit.
    data_home : str or path-like, default=None
        Cache folder (``<data_home>/catalogs``).
    vizier : object, default=None
        An ``astroquery.vizier.Vizier``-like class (tests inject a fake); None means
        ``astroquery.vizier.Vizier`` (``pip install "skgalvae[fetch]"``).
    catalog : str, default="J/ApJS/228/14"
        VizieR catalogue identifier.
    retries : int, default=3
        Extra query attempts.
    verbose : int, default=1
        Unused (VizieR shows no progress); kept for a uniform signature.

    Returns
    -------
    pandas.DataFrame
    """
    from ..utils._atomic import atomic_path

    path = _catalog_dir(data_home) / "rcsed_vizier.csv.gz"
    if path.exists():
        return pd.read_csv(path)
    if vizier is None:
        vizier = import_optional("astroquery.vizier",
                                 purpose="fetch_rcsed (VizieR queries)").Vizier
    client = vizier(columns=list(columns) + ["_RAJ2000", "_DEJ2000"],
                    row_limit=row_limit)
    tables = with_retries(lambda: client.get_catalogs(catalog), retries=retries,
                          what=f"VizieR query of {catalog}")
    if len(tables) == 0:
        msg = f"VizieR returned no table for {catalog!r}."
        raise OSError(msg)
    df = _table_to_frame(tables[0])
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, compression="gzip")
    return df
