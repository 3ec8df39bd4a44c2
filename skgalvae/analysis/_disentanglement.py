"""Disentanglement (MIG, DCI) and ground-truth recovery against simulator factors."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mutual_info_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    validate_params,
)

from ._latents import catalog_columns, check_latents
from ._property_scores import property_scores

#: Simulator ground truth recovered by :func:`ground_truth_recovery` by default.
GROUND_TRUTH_FACTORS = ("bulge_fraction", "half_light_radius_arcsec", "axis_ratio")


def _discretize(values, n_bins):
    """Equal-width bins per column (as disentanglement_lib's histogram discretiser)."""
    out = np.empty(values.shape, dtype=np.int64)
    for j in range(values.shape[1]):
        v = values[:, j]
        edges = np.histogram_bin_edges(v, bins=n_bins)
        out[:, j] = np.digitize(v, edges[1:-1])
    return out


def _factors_frame(factors, n_rows):
    if isinstance(factors, pd.DataFrame) or hasattr(factors, "to_pandas"):
        return catalog_columns(factors, None, n_rows, name="factors")
    arr = np.asarray(factors, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[0] != n_rows:
        msg = f"factors has {arr.shape[0]} rows but Z has {n_rows}."
        raise ValueError(msg)
    return pd.DataFrame(arr, columns=[f"factor{k}" for k in range(arr.shape[1])])


def _entropy_normalised(p, base):
    p = p[p > 0]
    if base <= 1:
        return 0.0
    return float(-(p * np.log(p)).sum() / np.log(base))


@validate_params(
    {
        "Z": ["array-like"],
        "factors": ["array-like"],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "regressor": [HasMethods(["fit", "predict"]), None],
        "test_size": [Interval(RealNotInt, 0, 1, closed="neither"),
                      Interval(Integral, 1, None, closed="left")],
        "feature_names": ["array-like", None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def disentanglement_scores(Z, factors, *, n_bins=20, regressor=None, test_size=0.25,
                           feature_names=None, random_state=None):
    """MIG and DCI scores of latents against known generative factors.

    - MIG (mutual information gap, Chen et al. 2018): latents and factors are each
      discretised into ``n_bins`` equal-width bins; for each factor ``v_k``, the gap
      between the two largest mutual informations ``I(z_j; v_k)`` over latents,
      divided by the factor's entropy ``H(v_k)`` (:func:`sklearn.metrics.
      mutual_info_score`, in nats). 1 = one latent alone carries the factor; 0 = the
      information is shared equally (or absent).
    - DCI (Eastwood & Williams 2018), for continuous factors: one regressor per
      factor (default a random forest) predicts it from all latents; its
      ``feature_importances_`` give the importance matrix ``R`` (latents x factors).
      *Disentanglement*: 1 - entropy (base n_factors) of each latent's importance
      over factors, weighted by the latent's share of total importance;
      *completeness*: mean over factors of 1 - entropy (base n_latents) of the
      factor's importance over latents; *informativeness*: mean test R^2 of the
      regressors on a held-out ``test_size`` split.

    Rows with a NaN factor are dropped.

    Parameters
    ----------
    Z : array-like of shape (n_galaxies, n_latents)
    factors : pandas.DataFrame or array-like of shape (n_galaxies, n_factors)
        Ground-truth factors (e.g. the simulator's ``bulge_fraction``,
        ``half_light_radius_arcsec``, ``axis_ratio``).
    n_bins : int, default=20
        Bins for the MIG discretisation.
    regressor : regressor with ``feature_importances_``, default=None
        None: ``RandomForestRegressor(n_estimators=100, min_samples_leaf=5)``.
    test_size : float, default=0.25
        Held-out share for informativeness.
    feature_names : list of str, default=None
    random_state : int or None, default=None

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``mig`` (float, mean over factors), ``mig_per_factor`` (Series),
        ``mutual_info`` (DataFrame latents x factors, nats), ``dci_disentanglement``,
        ``dci_completeness``, ``dci_informativeness`` (floats),
        ``informativeness_per_factor`` (Series of test R^2), ``importances``
        (DataFrame latents x factors).

    References
    ----------
    Chen, R. T. Q., Li, X., Grosse, R. & Duvenaud, D. (2018), "Isolating Sources of
    Disentanglement in Variational Autoencoders", NeurIPS (MIG).
    Eastwood, C. & Williams, C. K. I. (2018), "A Framework for the Quantitative
    Evaluation of Disentangled Representations", ICLR (DCI).

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.analysis import disentanglement_scores
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.uniform(size=(500, 2))
    >>> result = disentanglement_scores(factors + 0.01 * rng.normal(size=(500, 2)),
    ...                                 factors, random_state=0)
    >>> bool(result.mig > 0.5 and result.dci_disentanglement > 0.8)
    True
    """
    Z, names = check_latents(Z, feature_names)
    fac = _factors_frame(factors, Z.shape[0])
    ok = np.isfinite(fac.to_numpy()).all(axis=1)
    Z, V = Z[ok], fac.to_numpy()[ok]
    n_latents, n_factors = Z.shape[1], V.shape[1]
    if len(Z) < 10:
        msg = f"disentanglement_scores needs at least 10 complete rows, got {len(Z)}."
        raise ValueError(msg)
    # MIG
    zd, vd = _discretize(Z, n_bins), _discretize(V, n_bins)
    mi = np.array([[mutual_info_score(vd[:, k], zd[:, j]) for k in range(n_factors)]
                   for j in range(n_latents)])
    entropy = np.array([mutual_info_score(vd[:, k], vd[:, k])
                        for k in range(n_factors)])
    top = np.sort(mi, axis=0)[::-1]
    gap = top[0] - (top[1] if n_latents > 1 else 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mig_k = np.where(entropy > 0, gap / entropy, np.nan)
    # DCI
    reg = regressor if regressor is not None else RandomForestRegressor(
        n_estimators=100, min_samples_leaf=5, random_state=random_state)
    Z_tr, Z_te, V_tr, V_te = train_test_split(Z, V, test_size=test_size,
                                              random_state=random_state)
    importances = np.zeros((n_latents, n_factors))
    info = np.zeros(n_factors)
    for k in range(n_factors):
        model = clone(reg).fit(Z_tr, V_tr[:, k])
        if not hasattr(model, "feature_importances_"):
            msg = (
                f"{type(model).__name__} has no feature_importances_; DCI needs a "
                f"regressor that has them (e.g. a random forest)."
            )
            raise TypeError(msg)
        importances[:, k] = np.abs(model.feature_importances_)
        info[k] = r2_score(V_te[:, k], model.predict(Z_te))
    total = importances.sum()
    if total > 0:
        rho = importances.sum(axis=1) / total
        d_i = np.array([
            1 - _entropy_normalised(row / row.sum(), n_factors) if row.sum() > 0
            else 0.0 for row in importances])
        disent = float((rho * d_i).sum()) if n_factors > 1 else 1.0
        c_k = np.array([
            1 - _entropy_normalised(col / col.sum(), n_latents) if col.sum() > 0
            else 0.0 for col in importances.T])
        complete = float(c_k.mean()) if n_latents > 1 else 1.0
    else:
        disent = complete = 0.0
    factor_names = list(fac.columns)
    return Bunch(
        mig=float(np.nanmean(mig_k)),
        mig_per_factor=pd.Series(mig_k, index=factor_names, name="mig"),
        mutual_info=pd.DataFrame(mi, index=names, columns=factor_names),
        dci_disentanglement=disent,
        dci_completeness=complete,
        dci_informativeness=float(info.mean()),
        informativeness_per_factor=pd.Series(info, index=factor_names, name="r2"),
        importances=pd.DataFrame(importances, index=names, columns=factor_names),
    )


@validate_params(
    {"Z": ["array-like"], "catalog": ["array-like"], "factors": [str, "array-like"]},
    prefer_skip_nested_validation=True,
)
def ground_truth_recovery(Z, catalog, factors=GROUND_TRUTH_FACTORS, **kwargs):
    """Cross-validated R^2 of simulator ground truth from the latents.

    :func:`property_scores` on the latents for the simulator's true bulge fraction,
    half-light radius and axis ratio (by default).

    Parameters
    ----------
    Z : array-like of shape (n_galaxies, n_latents)
    catalog : pandas.DataFrame
        The simulator's catalog (one row per galaxy, in the order of ``Z``).
    factors : sequence of str, default=("bulge_fraction", "half_light_radius_arcsec", \
"axis_ratio")
    **kwargs
        Passed to :func:`property_scores` (``regressor``, ``cv``, ``groups``,
        ``random_state``, ...).

    Returns
    -------
    scores : pandas.DataFrame
        As :func:`property_scores`; ``scores["r2"]`` is the recovery table.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.neighbors import KNeighborsRegressor
    >>> from skgalvae.analysis import ground_truth_recovery
    >>> rng = np.random.default_rng(0)
    >>> truth = pd.DataFrame({"axis_ratio": rng.uniform(0.2, 1, 300)})
    >>> Z = np.c_[truth["axis_ratio"], rng.normal(size=300)]
    >>> scores = ground_truth_recovery(Z, truth, factors=["axis_ratio"],
    ...                                regressor=KNeighborsRegressor(),
    ...                                random_state=0)
    >>> bool(scores.loc["axis_ratio", ("r2", "linear")] > 0.99)
    True
    """
    factors = [factors] if isinstance(factors, str) else list(factors)
    return property_scores(Z, None, catalog, factors, **kwargs)
