"""Cross-validated prediction of catalog properties from latents (R^2, RMSE)."""

import numpy as np
import pandas as pd
from sklearn.base import clone, is_regressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score, root_mean_squared_error
from sklearn.model_selection import GroupKFold, KFold, check_cv
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, validate_params

from ..utils._progress import progress
from ._latents import catalog_columns, check_latents, warn_empty_properties

_STATISTICS = ("r2", "r2_std", "rmse", "rmse_std", "n")


@validate_params({"random_state": ["random_state"]}, prefer_skip_nested_validation=True)
def default_regressors(random_state=None):
    """The regressors :func:`property_scores` uses by default.

    ``"hist_gradient_boosting"``: :class:`~sklearn.ensemble.HistGradientBoostingRegressor`
    -- non-linear, insensitive to the latents' scales and monotone transforms, fast on
    10^4 galaxies, with its own early stopping on large samples; ``"linear"``:
    standardised ordinary least squares, the baseline that shows how much of the
    relation is linear.

    Parameters
    ----------
    random_state : int or None, default=None
        Seeds the gradient boosting.

    Returns
    -------
    regressors : dict of {name: regressor}
        Unfitted estimators, keyed by the names used as ``property_scores`` columns.
    """
    return {
        "hist_gradient_boosting": HistGradientBoostingRegressor(
            random_state=random_state
        ),
        "linear": make_pipeline(StandardScaler(), LinearRegression()),
    }


def _regressors(regressor, linear, random_state):
    if regressor is None:
        regs = default_regressors(random_state)
        if not linear:
            regs.pop("linear")
        return regs
    if isinstance(regressor, dict):
        regs = dict(regressor)
    else:
        regs = {"regressor": regressor}
    for name, reg in regs.items():
        if not is_regressor(reg):
            msg = (
                f"regressor {name!r} is not a scikit-learn regressor "
                f"({type(reg).__name__}); pass e.g. KNeighborsRegressor()."
            )
            raise TypeError(msg)
    if linear and "linear" not in regs:
        regs["linear"] = default_regressors()["linear"]
    return regs


def _splitter(cv, groups, random_state):
    if isinstance(cv, int | np.integer):
        if groups is not None:
            return GroupKFold(n_splits=int(cv), shuffle=True, random_state=random_state)
        # shuffled: catalogs are often sorted (by class, position, ...)
        return KFold(n_splits=int(cv), shuffle=True, random_state=random_state)
    return check_cv(cv)


@validate_params(
    {
        "latents_or_pipeline": ["array-like", HasMethods(["fit", "transform"])],
        "X": ["array-like", None],
        "catalog": ["array-like"],
        "properties": [str, "array-like"],
        "regressor": [HasMethods(["fit", "predict"]), dict, None],
        "linear": ["boolean"],
        "cv": ["cv_object"],
        "groups": ["array-like", None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def property_scores(latents_or_pipeline, X, catalog, properties, *, regressor=None,
                    linear=True, cv=5, groups=None, random_state=None, verbose=0):
    """Cross-validated R^2 and RMSE of each property predicted from the latents.

    Two ways in:

    - latents (an array, ``X=None``): the regressors are cross-validated on them.
      The encoder then saw every galaxy, including each fold's test galaxies; fine
      for an unsupervised encoder on its training population, but say so.
    - an encoder (any estimator with ``fit`` and ``transform``, e.g. a GalaxyVAE or
      a Pipeline ending in one) and the images ``X``: in every fold the encoder is
      cloned and fitted on the training galaxies only, then the regressors are fitted
      on the training latents and scored on the test galaxies' latents -- nothing
      from the test fold leaks into either fit. The encoder is fitted once per fold
      and shared by every property and regressor. (A ``Pipeline(memory=...)`` per
      property cannot do this: its cache key includes ``y``, so each property would
      refit the encoder.)

    For each property, the rows where it is NaN are dropped from that property's
    training and test sets only. R^2 is ``r2_score(y_true, y_pred)`` per test fold.

    Parameters
    ----------
    latents_or_pipeline : array-like of shape (n_galaxies, n_latents) or estimator
    X : array-like of shape (n_galaxies, n_pixels) or None
        Images when an encoder is given; must be None with latents.
    catalog : pandas.DataFrame or astropy.table.Table
        One row per galaxy, in the order of ``X`` / the latents.
    properties : str or list of str
        Catalog columns to predict (e.g. ``["petroR50_r", "LOGMSTAR"]``).
    regressor : regressor or dict of {name: regressor}, default=None
        None uses :func:`default_regressors` (histogram gradient boosting).
    linear : bool, default=True
        Also score a standardised linear regression (``"linear"``) for comparison.
    cv : int or cross-validation splitter, default=5
        An int gives shuffled :class:`~sklearn.model_selection.KFold`, or, with
        ``groups``, shuffled :class:`~sklearn.model_selection.GroupKFold`.
    groups : array-like of shape (n_galaxies,), default=None
        Group labels: rows sharing a label (e.g. flipped copies of one galaxy) are
        kept in the same fold.
    random_state : int or None, default=None
        Seeds the fold shuffling and the default regressor.
    verbose : int, default=0
        A positive value shows a progress bar over folds.

    Warns
    -----
    EmptyPropertyWarning
        For a property that no fold could score (fewer than 2 training and 2 test
        galaxies with a value, e.g. an all-NaN column): its row is NaN.

    Returns
    -------
    scores : pandas.DataFrame
        Rows: properties. Columns: a MultiIndex (statistic, model) with statistics
        ``"r2"`` and ``"rmse"`` (mean over folds), ``"r2_std"``, ``"rmse_std"`` and
        ``"n"`` (galaxies with a value). ``scores["r2"]`` is the table of R^2.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.neighbors import KNeighborsRegressor
    >>> from skgalvae.analysis import property_scores
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.normal(size=(300, 2))
    >>> X = factors @ rng.normal(size=(2, 8)) + 0.1 * rng.normal(size=(300, 8))
    >>> catalog = pd.DataFrame({"size": factors[:, 0]})
    >>> scores = property_scores(PCA(n_components=2), X, catalog, "size",
    ...                          regressor=KNeighborsRegressor(), random_state=0)
    >>> bool(scores.loc["size", ("r2", "linear")] > 0.9)
    True
    """
    source = latents_or_pipeline
    encoder = hasattr(source, "fit") and hasattr(source, "transform")
    if encoder:
        if X is None:
            msg = "An encoder was given: pass the images as X (got X=None)."
            raise ValueError(msg)
        n = len(X)
        Z = None
    else:
        if X is not None:
            msg = (
                "Latents were given as the first argument, so X must be None (pass "
                "an encoder, e.g. a fitted-or-not GalaxyVAE, to encode X per fold)."
            )
            raise ValueError(msg)
        Z, _ = check_latents(source)
        n = Z.shape[0]
    targets = catalog_columns(catalog, properties, n)
    regs = _regressors(regressor, linear, random_state)
    if groups is not None:
        groups = np.asarray(groups)
        if len(groups) != n:
            msg = f"groups has {len(groups)} values but there are {n} galaxies."
            raise ValueError(msg)
    splitter = _splitter(cv, groups, random_state)
    index = np.arange(n)
    splits = list(splitter.split(index, None, groups))
    fold_scores = {(p, m): {"r2": [], "rmse": []} for p in targets for m in regs}
    for train, test in progress(splits, verbose=verbose, desc="folds"):
        if encoder:
            enc = clone(source).fit(_safe_indexing(X, train))
            Z_train = np.asarray(enc.transform(_safe_indexing(X, train)), dtype=float)
            Z_test = np.asarray(enc.transform(_safe_indexing(X, test)), dtype=float)
        else:
            Z_train, Z_test = Z[train], Z[test]
        for prop in targets:
            y = targets[prop].to_numpy()
            ok_train, ok_test = np.isfinite(y[train]), np.isfinite(y[test])
            if ok_train.sum() < 2 or ok_test.sum() < 2:
                continue
            y_train, y_test = y[train][ok_train], y[test][ok_test]
            for name, reg in regs.items():
                model = clone(reg).fit(Z_train[ok_train], y_train)
                y_pred = model.predict(Z_test[ok_test])
                fold_scores[prop, name]["r2"].append(r2_score(y_test, y_pred))
                fold_scores[prop, name]["rmse"].append(
                    root_mean_squared_error(y_test, y_pred)
                )
    unscored = {
        prop: int(np.isfinite(targets[prop].to_numpy()).sum()) for prop in targets
        if not any(fold_scores[prop, name]["r2"] for name in regs)
    }
    warn_empty_properties(
        unscored, n_rows=n, function="property_scores",
        reason="no fold had 2 training and 2 test galaxies with a value",
    )
    rows = {}
    for prop in targets:
        n_ok = int(np.isfinite(targets[prop].to_numpy()).sum())
        row = {}
        for name in regs:
            r2 = np.asarray(fold_scores[prop, name]["r2"], dtype=float)
            rmse = np.asarray(fold_scores[prop, name]["rmse"], dtype=float)
            row.update({
                ("r2", name): r2.mean() if r2.size else np.nan,
                ("r2_std", name): r2.std() if r2.size else np.nan,
                ("rmse", name): rmse.mean() if rmse.size else np.nan,
                ("rmse_std", name): rmse.std() if rmse.size else np.nan,
                ("n", name): n_ok,
            })
        rows[prop] = row
    scores = pd.DataFrame.from_dict(rows, orient="index")
    order = pd.MultiIndex.from_product([_STATISTICS, list(regs)],
                                       names=["statistic", "model"])
    scores.columns = pd.MultiIndex.from_tuples(scores.columns,
                                               names=["statistic", "model"])
    scores = scores.reindex(columns=order)
    scores.index.name = "property"
    return scores
