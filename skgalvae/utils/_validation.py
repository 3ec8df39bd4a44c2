"""Validation helpers for catalogs (pandas DataFrames, one row per galaxy)."""

import pandas as pd


def check_catalog(catalog, *, name="catalog", n_rows=None):
    """Return ``catalog`` as a :class:`pandas.DataFrame`.

    Accepts a DataFrame, an :class:`astropy.table.Table` (converted) or anything
    ``pandas.DataFrame`` accepts. An empty catalog, or one whose length differs from
    ``n_rows``, raises a ``ValueError`` naming ``name``.
    """
    if hasattr(catalog, "to_pandas") and not isinstance(catalog, pd.DataFrame):
        catalog = catalog.to_pandas()
    elif not isinstance(catalog, pd.DataFrame):
        catalog = pd.DataFrame(catalog)
    if len(catalog) == 0:
        msg = f"{name} is empty: it needs one row per galaxy."
        raise ValueError(msg)
    if n_rows is not None and len(catalog) != n_rows:
        msg = (
            f"{name} has {len(catalog)} rows but X has {n_rows}: rows must be the same "
            f"galaxies in the same order."
        )
        raise ValueError(msg)
    return catalog


def require_columns(catalog, columns, *, name="catalog"):
    """Raise a ``KeyError`` listing the missing columns and the columns found."""
    missing = [c for c in columns if c not in catalog.columns]
    if missing:
        found = ", ".join(map(str, catalog.columns[:20]))
        more = "" if len(catalog.columns) <= 20 else f", ... ({len(catalog.columns)} in all)"
        msg = f"{name} lacks the column(s) {missing}; it has: {found}{more}."
        raise KeyError(msg)
