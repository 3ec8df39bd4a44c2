"""Tests for skgalvae.analysis on small synthetic data (any transformer, e.g. PCA)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from skgalvae.analysis import (
    EmptyPropertyWarning,
    class_distributions,
    disentanglement_scores,
    ground_truth_recovery,
    latent_correlations,
    ood_auroc,
    ood_auroc_table,
    ood_scores,
    property_scores,
)

RNG = np.random.default_rng(42)


@pytest.fixture
def latents_and_catalog():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(150, 2))
    catalog = pd.DataFrame({
        "R50": 1.5 * Z[:, 0] + rng.normal(size=150),
        "age": -Z[:, 1] ** 3 + 0.5 * rng.normal(size=150),
        "name": [f"g{i}" for i in range(150)],
    })
    catalog.loc[[3, 10, 50], "age"] = np.nan
    return Z, catalog


# --- latent_correlations ---------------------------------------------------------

@pytest.mark.parametrize("method, test", [("pearson", stats.pearsonr),
                                          ("spearman", stats.spearmanr)])
def test_correlations_equal_scipy(latents_and_catalog, method, test):
    Z, catalog = latents_and_catalog
    table = latent_correlations(Z, catalog, method=method, n_bootstrap=200,
                                feature_names=["Feat. 1", "Feat. 2"], random_state=0)
    assert list(table.index) == ["R50", "age"]  # numeric columns only
    assert list(table["r"].columns) == ["Feat. 1", "Feat. 2"]
    ok = catalog["age"].notna().to_numpy()
    for j, feat in enumerate(["Feat. 1", "Feat. 2"]):
        ref = test(Z[:, j], catalog["R50"])
        assert table.loc["R50", ("r", feat)] == pytest.approx(ref.statistic)
        assert table.loc["R50", ("p_value", feat)] == pytest.approx(ref.pvalue)
        ref = test(Z[ok, j], catalog["age"][ok])  # NaNs dropped per pair
        assert table.loc["age", ("r", feat)] == pytest.approx(ref.statistic)
        assert table.loc["age", ("n", feat)] == 147
        r = table.loc["R50", ("r", feat)]
        assert table.loc["R50", ("ci_low", feat)] < r < table.loc["R50", ("ci_high", feat)]
    assert table.loc["R50", ("n", "Feat. 1")] == 150


def test_correlations_options_and_errors(latents_and_catalog):
    Z, catalog = latents_and_catalog
    table = latent_correlations(pd.DataFrame(Z, columns=["galaxyvae0", "galaxyvae1"]),
                                catalog, columns=["R50"], n_bootstrap=0)
    assert table["ci_low"].isna().all().all()
    assert list(table["r"].columns) == ["galaxyvae0", "galaxyvae1"]
    with pytest.raises(KeyError, match="missing_col"):
        latent_correlations(Z, catalog, columns=["missing_col"])
    with pytest.raises(ValueError, match="not numeric"):
        latent_correlations(Z, catalog, columns=["name"])
    with pytest.raises(ValueError, match="rows"):
        latent_correlations(Z[:-1], catalog)
    with pytest.raises(ValueError, match="method"):
        latent_correlations(Z, catalog, method="kendall")


# --- property_scores ---------------------------------------------------------------

FAST = {"knn": KNeighborsRegressor(n_neighbors=10)}


def test_property_scores_from_latents(latents_and_catalog):
    Z, catalog = latents_and_catalog
    scores = property_scores(Z, None, catalog, ["R50", "age"], regressor=FAST,
                             random_state=0)
    assert list(scores["r2"].columns) == ["knn", "linear"]
    assert scores.loc["R50", ("r2", "linear")] > 0.5
    assert scores.loc["age", ("n", "knn")] == 147
    assert (scores["rmse"] > 0).all().all()
    # non-linear relation: kNN beats the linear baseline
    assert scores.loc["age", ("r2", "knn")] > scores.loc["age", ("r2", "linear")]


def test_shuffled_target_control_has_no_skill(latents_and_catalog):
    Z, catalog = latents_and_catalog
    shuffled = catalog.assign(R50=np.random.default_rng(1).permutation(catalog["R50"]))
    scores = property_scores(Z, None, shuffled, "R50", regressor=FAST, random_state=0)
    assert (scores["r2"] <= 0.05).all().all()


class CountingPCA(PCA):
    """PCA that logs the training rows (column 0 holds a row id) of every fit."""

    fits = []

    def fit(self, X, y=None):
        type(self).fits.append(np.asarray(X)[:, 0].astype(int))
        return super().fit(np.asarray(X)[:, 1:])

    def transform(self, X):
        return super().transform(np.asarray(X)[:, 1:])


def _images(n=120, seed=0):
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n, 2))
    pixels = factors @ rng.normal(size=(2, 10)) + 0.1 * rng.normal(size=(n, 10))
    X = np.c_[np.arange(n), pixels]
    catalog = pd.DataFrame({"a": factors[:, 0], "b": factors[:, 1],
                            "c": factors[:, 0] - factors[:, 1]})
    return X, catalog


def test_encoder_fitted_once_per_fold_on_training_rows_only():
    X, catalog = _images()
    CountingPCA.fits = []
    scores = property_scores(CountingPCA(n_components=2), X, catalog, ["a", "b", "c"],
                             regressor=FAST, cv=4, random_state=0)
    assert len(CountingPCA.fits) == 4  # once per fold, shared by the 3 properties
    splits = list(KFold(4, shuffle=True, random_state=0).split(X))
    for seen, (train, _) in zip(CountingPCA.fits, splits):
        np.testing.assert_array_equal(np.sort(seen), np.sort(train))  # no test rows
    assert (scores.loc[:, ("r2", "linear")] > 0.9).all()


def test_groups_keep_copies_in_one_fold():
    X, catalog = _images(n=60)
    X2 = np.r_[X, X]  # a "flipped" copy of each galaxy, same row id
    catalog2 = pd.concat([catalog, catalog], ignore_index=True)
    groups = np.r_[np.arange(60), np.arange(60)]
    CountingPCA.fits = []
    property_scores(CountingPCA(n_components=2), X2, catalog2, "a", regressor=FAST,
                    linear=False, cv=3, groups=groups, random_state=0)
    for seen in CountingPCA.fits:
        ids, counts = np.unique(seen, return_counts=True)
        assert (counts == 2).all()  # both copies in training, never split
        assert len(ids) == 40


def test_all_nan_property_warns_naming_it(latents_and_catalog):
    Z, catalog = latents_and_catalog
    catalog = catalog.assign(sSFR=np.nan, few=np.nan)
    catalog.loc[[0, 1], "few"] = [1.0, 2.0]
    with pytest.warns(EmptyPropertyWarning) as record:
        table = latent_correlations(Z, catalog, ["R50", "sSFR", "few"], n_bootstrap=0)
    messages = [str(w.message) for w in record]
    assert len(messages) == 2
    assert "'sSFR' has no finite value (all NaN) in 150 rows" in messages[0]
    assert "'few' has only 2 finite value(s)" in messages[1]
    assert table.loc["sSFR", "r"].isna().all() and (table.loc["sSFR", "n"] == 0).all()
    assert np.isfinite(table.loc["R50", "r"]).all()
    with pytest.warns(EmptyPropertyWarning, match="property_scores: catalog column 'sSFR'"):
        scores = property_scores(Z, None, catalog, ["R50", "sSFR"], cv=3, random_state=0,
                                 regressor=LinearRegression(), linear=False)
    assert scores.loc["sSFR", "r2"].isna().all()
    assert (scores.loc["R50", "r2"] > 0.5).all()


def test_property_scores_errors(latents_and_catalog):
    Z, catalog = latents_and_catalog
    with pytest.raises(ValueError, match="X must be None"):
        property_scores(Z, Z, catalog, "R50")
    with pytest.raises(ValueError, match="pass the images"):
        property_scores(PCA(1), None, catalog, "R50")
    with pytest.raises(TypeError, match="regressor"):
        property_scores(Z, None, catalog, "R50", regressor=PCA())
    with pytest.raises(KeyError, match="LOGMSTAR"):
        property_scores(Z, None, catalog, "LOGMSTAR")


def test_ground_truth_recovery():
    rng = np.random.default_rng(0)
    truth = pd.DataFrame({"bulge_fraction": rng.uniform(size=200),
                          "half_light_radius_arcsec": rng.uniform(1, 5, 200),
                          "axis_ratio": rng.uniform(0.2, 1, 200)})
    Z = truth.to_numpy()[:, :2] + 0.01 * rng.normal(size=(200, 2))
    scores = ground_truth_recovery(Z, truth, regressor={"lin": LinearRegression()},
                                   linear=False, random_state=0)
    r2 = scores["r2"]["lin"]
    assert r2["bulge_fraction"] > 0.99 and r2["half_light_radius_arcsec"] > 0.99
    assert r2["axis_ratio"] < 0.05


# --- class_distributions ------------------------------------------------------------

def test_class_distributions_on_blobs():
    rng = np.random.default_rng(0)
    Z = np.r_[rng.normal([0, 0], 0.5, (80, 2)), rng.normal([3, -2], 0.5, (80, 2)),
              rng.normal([0, 5], 0.5, (40, 2))]
    labels = np.array(["spiral"] * 80 + ["elliptical"] * 80 + ["uncertain"] * 40,
                      dtype=object)
    labels[0] = None  # missing labels are dropped
    res = class_distributions(Z, labels, classes=["spiral", "elliptical"],
                              feature_names=["Feat. 1", "Feat. 2"], random_state=0)
    assert list(res.summary.index) == ["spiral", "elliptical"]
    assert res.summary.loc["spiral", ("n", "Feat. 1")] == 79
    np.testing.assert_allclose(res.summary["mean"].loc["elliptical"], [3, -2], atol=0.2)
    assert res.balanced_accuracy > 0.98 and res.chance == 0.5
    mixed = class_distributions(rng.normal(size=(200, 2)),
                                rng.choice(["a", "b"], 200), random_state=0)
    assert mixed.balanced_accuracy < 0.65
    ring = np.r_[rng.normal(0, 0.3, (100, 2)), 3 * np.c_[np.cos(np.arange(100)),
                                                         np.sin(np.arange(100))]]
    ring_labels = np.repeat(["core", "ring"], 100)
    linear = class_distributions(ring, ring_labels, random_state=0)
    knn = class_distributions(ring, ring_labels, random_state=0,
                              classifier=KNeighborsClassifier())
    assert knn.balanced_accuracy > 0.95 > 0.8 > linear.balanced_accuracy
    with pytest.raises(ValueError, match="two classes"):
        class_distributions(Z, ["spiral"] * 200)


# --- OOD ----------------------------------------------------------------------------

def test_ood_scores_and_auroc():
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(2, 8))
    inliers = rng.normal(size=(300, 2)) @ basis + 0.05 * rng.normal(size=(300, 8))
    model = PCA(n_components=2).fit(inliers[:200])
    outliers = rng.normal(size=(50, 8))  # off the training manifold
    np.testing.assert_allclose(ood_scores(model, outliers),
                               -model.score_samples(outliers))
    assert ood_auroc(model, inliers[200:], outliers) > 0.95
    assert ood_auroc(model, inliers[200:250], inliers[250:]) == pytest.approx(0.5,
                                                                              abs=0.2)
    table = ood_auroc_table({"pca": model}, inliers[200:],
                            {"merger": outliers, "irregular": 2 * outliers})
    assert list(table.index) == ["merger", "irregular"] and (table > 0.95).all().all()
    with pytest.raises(TypeError, match="score_samples"):
        ood_scores(LinearRegression(), inliers)


# --- disentanglement ----------------------------------------------------------------

def test_mig_and_dci_disentangled_vs_entangled():
    rng = np.random.default_rng(0)
    factors = pd.DataFrame(rng.uniform(size=(600, 2)), columns=["size", "bulge"])
    forest = RandomForestRegressor(n_estimators=20, min_samples_leaf=5, random_state=0)
    Z_good = factors.to_numpy() + 0.01 * rng.normal(size=(600, 2))
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    Z_bad = Z_good @ np.array([[c, -s], [s, c]])  # every latent mixes both factors
    good = disentanglement_scores(Z_good, factors, regressor=forest, random_state=0)
    bad = disentanglement_scores(Z_bad, factors, regressor=forest, random_state=0)
    assert good.mig > 0.5 and bad.mig < 0.2
    assert good.dci_disentanglement > 0.8 > 0.4 > bad.dci_disentanglement
    assert good.dci_completeness > 0.8 > 0.4 > bad.dci_completeness
    assert good.dci_informativeness > 0.95 and bad.dci_informativeness > 0.9
    assert list(good.mig_per_factor.index) == ["size", "bulge"]
    assert good.importances.shape == (2, 2)
