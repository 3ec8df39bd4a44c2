"""Shared input handling for the analysis functions: latents and catalog columns."""

import warnings

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_array

from ..utils._validation import check_catalog, require_columns


def check_latents(Z, feature_names=None):
    """Return ``(Z as float64 ndarray (n, d), list of d feature names)``.

    Names come from ``feature_names``, else a DataFrame's columns (e.g. a model's
    ``set_output(transform="pandas")``), else ``latent0``, ``latent1``, ...
    """
    names = None
    if hasattr(Z, "columns"):
        names = [str(c) for c in Z.columns]
    Z = check_array(Z, dtype=np.float64, ensure_2d=False, ensure_all_finite=True)
    if Z.ndim == 1:
        Z = Z[:, None]
    if feature_names is not None:
        names = [str(n) for n in feature_names]
        if len(names) != Z.shape[1]:
            msg = (
                f"feature_names has {len(names)} names but the latents have "
                f"{Z.shape[1]} columns."
            )
            raise ValueError(msg)
    if names is None:
        names = [f"latent{i}" for i in range(Z.shape[1])]
    return Z, names


def catalog_columns(catalog, columns, n_rows, *, name="catalog"):
    """Return the numeric ``columns`` of ``catalog`` as a float DataFrame.

    ``columns=None`` takes every numeric (non-boolean) column. Rows must match
    ``n_rows``; a requested non-numeric column raises a ``ValueError``.
    """
    catalog = check_catalog(catalog, name=name, n_rows=n_rows)
    if columns is None:
        columns = [
            c for c in catalog.columns
            if pd.api.types.is_numeric_dtype(catalog[c])
            and not pd.api.types.is_bool_dtype(catalog[c])
        ]
        if not columns:
            msg = f"{name} has no numeric column to analyse; pass columns=[...]."
            raise ValueError(msg)
    elif isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    require_columns(catalog, columns, name=name)
    out = {}
    for c in columns:
        try:
            out[c] = pd.to_numeric(catalog[c], errors="raise").to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            msg = f"{name} column {c!r} is not numeric ({catalog[c].dtype})."
            raise ValueError(msg) from exc
    return pd.DataFrame(out, index=catalog.index)


class EmptyPropertyWarning(UserWarning):
    """A catalog property has too few finite values to score: its table row is NaN."""


def warn_empty_properties(counts, *, n_rows, reason, function):
    """Warn once per property in ``counts`` (property -> number of finite values).

    The caller passes only the properties it could not score, ``reason`` says why and
    ``function`` names the caller in the message.
    """
    for prop, n in counts.items():
        what = "no finite value (all NaN)" if n == 0 else f"only {n} finite value(s)"
        msg = (
            f"{function}: catalog column {prop!r} has {what} in {n_rows} rows, so its row "
            f"of the table is NaN ({reason}). Check the column: a failed crossmatch, or "
            "sentinel values (e.g. -99) read as NaN?"
        )
        warnings.warn(msg, EmptyPropertyWarning, stacklevel=3)
