"""Correlation tables between latent features and catalog properties."""

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._latents import catalog_columns, check_latents, warn_empty_properties

_STATISTICS = ("r", "ci_low", "ci_high", "p_value", "n")


def _pearson_along(x, y, axis=-1):
    x = x - x.mean(axis=axis, keepdims=True)
    y = y - y.mean(axis=axis, keepdims=True)
    num = (x * y).sum(axis=axis)
    den = np.sqrt((x * x).sum(axis=axis) * (y * y).sum(axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


_METHODS = {"pearson": stats.pearsonr, "spearman": stats.spearmanr}


@validate_params(
    {
        "Z": ["array-like"],
        "catalog": ["array-like"],
        "columns": [str, "array-like", None],
        "method": [StrOptions(set(_METHODS))],
        "n_bootstrap": [Interval(Integral, 0, None, closed="left")],
        "confidence_level": [Interval(Real, 0, 1, closed="neither")],
        "feature_names": ["array-like", None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def latent_correlations(Z, catalog, columns=None, *, method="pearson",
                        n_bootstrap=1000, confidence_level=0.95, feature_names=None,
                        random_state=None):
    """Correlation of every latent feature with every catalog property.

    For each (property, latent) pair the rows where the property is NaN are dropped
    (and counted in ``n``); the coefficient and its two-sided p-value come from
    :func:`scipy.stats.pearsonr` or :func:`scipy.stats.spearmanr`, the confidence
    interval from a paired percentile bootstrap (:func:`scipy.stats.bootstrap`; for
    Spearman, of the Pearson coefficient of the full-sample ranks, which avoids
    re-ranking every resample and differs from it only through ties).

    Parameters
    ----------
    Z : array-like of shape (n_galaxies, n_latents)
        Latents (e.g. a model's ``transform``), rows in catalog order. A DataFrame's
        column names become the feature names.
    catalog : pandas.DataFrame or astropy.table.Table
        One row per galaxy, same order as ``Z``.
    columns : list of str, default=None
        Properties to correlate; None takes every numeric column.
    method : {"pearson", "spearman"}, default="pearson"
    n_bootstrap : int, default=1000
        Bootstrap resamples for the interval; 0 skips it (``ci_low``/``ci_high`` NaN).
    confidence_level : float, default=0.95
    feature_names : list of str, default=None
        Names of the latent features (e.g. ``["Feat. 1", "Feat. 2"]``).
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap.

    Warns
    -----
    EmptyPropertyWarning
        For a property with fewer than 3 finite values (its row is NaN, ``n`` counts
        them).

    Returns
    -------
    table : pandas.DataFrame
        Rows: properties. Columns: a MultiIndex (statistic, feature) with statistics
        ``"r"``, ``"ci_low"``, ``"ci_high"``, ``"p_value"``, ``"n"``. The seed study's
        table (rows properties, columns features, values r) is ``table["r"]``.

    See Also
    --------
    property_scores : Cross-validated R^2 of each property from all latents at once.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skgalvae.analysis import latent_correlations
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.normal(size=(200, 2))
    >>> catalog = pd.DataFrame({"R50": 2 * Z[:, 0] + rng.normal(size=200)})
    >>> table = latent_correlations(Z, catalog, feature_names=["Feat. 1", "Feat. 2"],
    ...                             n_bootstrap=200, random_state=0)
    >>> table["r"].round(2).to_dict("index")
    {'R50': {'Feat. 1': 0.89, 'Feat. 2': 0.1}}
    >>> bool(table.loc["R50", ("ci_low", "Feat. 1")] < 0.89)
    True
    """
    Z, names = check_latents(Z, feature_names)
    props = catalog_columns(catalog, columns, Z.shape[0])
    rng = check_random_state(random_state)
    test = _METHODS[method]
    counts = {prop: int(np.isfinite(props[prop].to_numpy()).sum()) for prop in props}
    warn_empty_properties({prop: n for prop, n in counts.items() if n < 3},
                          n_rows=Z.shape[0], reason="a correlation needs 3 values",
                          function="latent_correlations")
    rows = {}
    for prop in props.columns:
        values = props[prop].to_numpy()
        ok = np.isfinite(values)
        out = {}
        for j, feature in enumerate(names):
            x, y = Z[ok, j], values[ok]
            r = p = lo = hi = np.nan
            if ok.sum() >= 3 and np.ptp(x) > 0 and np.ptp(y) > 0:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", stats.ConstantInputWarning)
                    res = test(x, y)
                r, p = float(res.statistic), float(res.pvalue)
                if n_bootstrap > 0:
                    if method == "spearman":  # Pearson of the full-sample ranks
                        x, y = stats.rankdata(x), stats.rankdata(y)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)
                        boot = stats.bootstrap(
                            (x, y), _pearson_along, paired=True, vectorized=True,
                            n_resamples=n_bootstrap, batch=max(1, 2_000_000 // len(x)),
                            confidence_level=confidence_level, method="percentile",
                            random_state=rng,
                        )
                    lo = float(boot.confidence_interval.low)
                    hi = float(boot.confidence_interval.high)
            out.update({("r", feature): r, ("ci_low", feature): lo,
                        ("ci_high", feature): hi, ("p_value", feature): p,
                        ("n", feature): int(ok.sum())})
        rows[prop] = out
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.columns = pd.MultiIndex.from_tuples(table.columns,
                                              names=["statistic", "feature"])
    order = pd.MultiIndex.from_product([_STATISTICS, names],
                                       names=["statistic", "feature"])
    table = table.reindex(columns=order)
    table.index.name = "property"
    return table
