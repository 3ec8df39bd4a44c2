"""crossmatch: join two catalogs by sky position (astropy SkyCoord)."""

from numbers import Real

import astropy.units as u
import numpy as np
import pandas as pd
from astropy.coordinates import SkyCoord
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._validation import check_catalog

_RA_DEC = (("ra", "dec"), ("RA", "DEC"), ("RA", "DECL"), ("RAJ2000", "DEJ2000"),
           ("_RAJ2000", "_DEJ2000"))


def _find_columns(catalog, columns, name):
    if columns is not None:
        missing = [c for c in columns if c not in catalog.columns]
        if missing:
            msg = f"{name} lacks the position column(s) {missing}."
            raise KeyError(msg)
        return columns
    for ra, dec in _RA_DEC:
        if ra in catalog.columns and dec in catalog.columns:
            return ra, dec
    msg = (f"{name} has no ra/dec columns (looked for {list(_RA_DEC)}); pass "
           f"the column names, e.g. columns_a=('RAdeg', 'DEdeg').")
    raise KeyError(msg)


@validate_params(
    {
        "catalog_a": "no_validation",  # a DataFrame, a Table or a dict: check_catalog
        "catalog_b": "no_validation",
        "max_sep": [Interval(Real, 0, None, closed="left"), u.Quantity],
        "columns_a": [tuple, list, None],
        "columns_b": [tuple, list, None],
        "how": [StrOptions({"inner", "left"})],
        "suffixes": [tuple, list],
    },
    prefer_skip_nested_validation=True,
)
def crossmatch(catalog_a, catalog_b, *, max_sep=2.0, columns_a=None, columns_b=None,
               how="inner", suffixes=("", "_b")):
    """Match each galaxy of ``catalog_a`` to its nearest neighbour in ``catalog_b``.

    Uses :meth:`astropy.coordinates.SkyCoord.match_to_catalog_sky` (nearest neighbour on
    the sphere); pairs farther apart than ``max_sep`` are not matches. Positions are
    degrees (ICRS); the position columns are found by name (``ra``/``dec``,
    ``RA``/``DEC``, ``RA``/``DECL``, ``RAJ2000``/``DEJ2000``) unless given. Several
    rows of ``catalog_a`` may match the same row of ``catalog_b``.

    Parameters
    ----------
    catalog_a : DataFrame or astropy Table
        The catalog whose rows are matched (its rows and order are kept).
    catalog_b : DataFrame or astropy Table
        The catalog searched for each row's nearest neighbour.
    max_sep : float or astropy Quantity, default=2.0
        Largest separation of a match, in arcsec when a float.
    columns_a, columns_b : (str, str), default=None
        (ra, dec) column names.
    how : {"inner", "left"}, default="inner"
        "inner" keeps the matched rows of ``catalog_a``; "left" keeps all its rows, in
        order, with NaN in ``catalog_b``'s columns where nothing matched.
    suffixes : (str, str), default=("", "_b")
        Added to column names found in both catalogs.

    Returns
    -------
    joined : pandas.DataFrame
        ``catalog_a``'s rows (original index kept), then ``catalog_b``'s columns of the
        match, plus ``index_b`` (row position in ``catalog_b``, -1 when unmatched) and
        ``separation_arcsec``.
    separation : ndarray of float
        The separation of each returned row in arcsec (NaN when unmatched).

    Examples
    --------
    >>> import pandas as pd
    >>> from skgalvae.datasets import crossmatch
    >>> a = pd.DataFrame({"ra": [10.0, 20.0], "dec": [0.0, 1.0], "x": [1, 2]})
    >>> b = pd.DataFrame({"RA": [20.0003, 50.0], "DEC": [1.0, 0.0], "y": [7, 8]})
    >>> joined, sep = crossmatch(a, b, max_sep=2.0)
    >>> joined[["x", "y"]].to_numpy().tolist(), sep.round(2).tolist()
    ([[2, 7]], [1.08])
    """
    if isinstance(max_sep, u.Quantity):
        if max_sep.unit.physical_type != "angle" or np.ndim(max_sep) != 0 \
                or max_sep.value < 0:
            msg = (f"max_sep must be a non-negative angle (a float in arcsec or a "
                   f"scalar Quantity such as 2 * u.arcsec), got {max_sep!r}.")
            raise ValueError(msg)
    for name, columns in (("columns_a", columns_a), ("columns_b", columns_b)):
        if columns is not None and len(columns) != 2:
            msg = (f"{name} must be a pair of column names (ra, dec), got "
                   f"{columns!r}.")
            raise ValueError(msg)
    if len(suffixes) != 2 or not all(isinstance(s, str) for s in suffixes):
        msg = f"suffixes must be a pair of strings, e.g. ('', '_b'), got {suffixes!r}."
        raise ValueError(msg)
    a = check_catalog(catalog_a, name="catalog_a")
    b = check_catalog(catalog_b, name="catalog_b")
    ra_a, dec_a = _find_columns(a, columns_a, "catalog_a")
    ra_b, dec_b = _find_columns(b, columns_b, "catalog_b")
    if not isinstance(max_sep, u.Quantity):
        max_sep = u.Quantity(max_sep, u.arcsec)
    coords_a = SkyCoord(a[ra_a].to_numpy(float) * u.deg, a[dec_a].to_numpy(float) * u.deg)
    coords_b = SkyCoord(b[ra_b].to_numpy(float) * u.deg, b[dec_b].to_numpy(float) * u.deg)
    idx, sep2d, _ = coords_a.match_to_catalog_sky(coords_b)
    sep = sep2d.to_value(u.arcsec)
    matched = sep <= max_sep.to_value(u.arcsec)
    right = b.iloc[idx].reset_index(drop=True)
    right.index = a.index
    overlap = set(a.columns) & set(right.columns)
    right = right.rename(columns={c: f"{c}{suffixes[1]}" for c in overlap})
    left = a.rename(columns={c: f"{c}{suffixes[0]}" for c in overlap})
    extra = pd.DataFrame({"index_b": np.where(matched, idx, -1),
                          "separation_arcsec": np.where(matched, sep, np.nan)},
                         index=a.index)
    joined = pd.concat([left, right, extra], axis=1)
    if how == "inner":
        joined = joined[matched]
    else:
        joined.loc[~matched, list(right.columns)] = np.nan
    return joined, joined["separation_arcsec"].to_numpy()
