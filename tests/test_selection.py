"""Tests for skgalvae.selection: GZ2 masks, morphology labels and GZ2Selector."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from skgalvae.selection import (
    DEFAULT_THRESHOLDS,
    GZ2Selector,
    gz2_morphology,
    gz2_selection_mask,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
STRIPE82 = SHARED / "gz2_stripe82" / "gz2_table5_stripe82.csv.gz"
MERGERS = SHARED / "gz_mergers" / "mergers_gz2.csv.gz"

T01 = "t01_smooth_or_features"
T08_ANSWERS = ["a19_ring", "a20_lens_or_arc", "a21_disturbed", "a22_irregular",
               "a23_other", "a24_merger", "a38_dust_lane"]


def _catalog(rows, kind="debiased", counts=None):
    """Hand-made GZ2 catalog; rows: dicts of short names -> fraction."""
    short = {
        "smooth": f"{T01}_a01_smooth", "features": f"{T01}_a02_features_or_disk",
        "star": f"{T01}_a03_star_or_artifact", "edge_yes": "t02_edgeon_a04_yes",
        "edge_no": "t02_edgeon_a05_no", "spiral": "t04_spiral_a08_spiral",
        "no_spiral": "t04_spiral_a09_no_spiral", "odd_yes": "t06_odd_a14_yes",
        "odd_no": "t06_odd_a15_no",
        **{a.split("_", 1)[1]: f"t08_odd_feature_{a}" for a in T08_ANSWERS},
    }
    data = {}
    for name, prefix in short.items():
        data[f"{prefix}_{kind}"] = [r.get(name, 0.0) for r in rows]
        n = counts if counts is not None else 30
        data[f"{prefix}_count"] = [np.rint(r.get(name, 0.0) * n) for r in rows]
    return pd.DataFrame(data)


# galaxy:          0 elliptical, 1 face-on spiral, 2 edge-on disc, 3 merger,
#                  4 uncertain, 5 irregular, 6 star, 7 edge-on votes but smooth
ROWS = [
    {"smooth": 0.9, "features": 0.1, "odd_no": 1.0},
    {"smooth": 0.05, "features": 0.95, "edge_no": 0.9, "edge_yes": 0.1,
     "spiral": 0.9, "no_spiral": 0.1, "odd_no": 0.9, "odd_yes": 0.1},
    {"smooth": 0.1, "features": 0.9, "edge_yes": 0.85, "edge_no": 0.15,
     "odd_no": 1.0},
    {"smooth": 0.5, "features": 0.5, "edge_no": 1.0, "odd_yes": 0.9, "odd_no": 0.1,
     "merger": 0.7, "disturbed": 0.3},
    {"smooth": 0.5, "features": 0.5, "edge_no": 1.0, "odd_no": 1.0},
    {"smooth": 0.2, "features": 0.8, "edge_no": 1.0, "odd_yes": 0.6, "odd_no": 0.4,
     "irregular": 0.6, "ring": 0.4},
    {"smooth": 0.1, "features": 0.1, "star": 0.8, "odd_no": 1.0},
    {"smooth": 0.8, "features": 0.2, "edge_yes": 1.0, "odd_no": 1.0},
]


def test_selection_mask_known_answers():
    cat = _catalog(ROWS)
    np.testing.assert_array_equal(
        gz2_selection_mask(cat),
        [True, True, False, False, True, False, True, True],
    )
    np.testing.assert_array_equal(
        gz2_selection_mask(cat, exclude=("edge_on", "odd", "star_or_artifact")),
        [True, True, False, False, True, False, False, True],
    )
    np.testing.assert_array_equal(gz2_selection_mask(cat, exclude=()), [True] * 8)
    np.testing.assert_array_equal(gz2_selection_mask(cat, exclude="odd"),
                                  [True, True, True, False, True, False, True, True])


def test_missing_votes_are_not_kept():
    cat = _catalog(ROWS)
    cat.loc[0, "t06_odd_a14_yes_debiased"] = np.nan
    cat.loc[1, f"{T01}_a01_smooth_debiased"] = np.nan  # not needed by the mask
    mask = gz2_selection_mask(cat)
    assert not mask[0] and mask[1]
    cat.loc[0, f"{T01}_a01_smooth_debiased"] = np.nan
    assert gz2_morphology(cat, extra_labels=())[0] == "uncertain"


def test_fractions_outside_unit_interval_raise():
    # a table in percent would keep the wrong galaxies: say which columns and their range
    cat = _catalog(ROWS)
    fractions = [c for c in cat if c.endswith("_debiased")]
    percent = cat.copy()
    percent[fractions] *= 100
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]") as err:
        gz2_selection_mask(percent)
    message = str(err.value)
    assert "t02_edgeon_a04_yes_debiased: [0, 100]" in message
    assert "t06_odd_a14_yes_debiased" in message
    assert "percentages" in message
    with pytest.raises(ValueError, match="t01_smooth_or_features_a01_smooth_debiased"):
        gz2_morphology(percent, extra_labels=())
    negative = cat.copy()
    negative.loc[3, "t06_odd_a14_yes_debiased"] = -0.5
    with pytest.raises(ValueError, match=r"t06_odd_a14_yes_debiased: \[-0.5, 0.6\]") as err:
        gz2_selection_mask(negative, exclude="odd")
    assert "percentages" not in str(err.value)
    # counts are not fractions; a column not needed is not checked
    cat["t02_edgeon_a04_yes_count"] *= 100
    cat[f"{T01}_a03_star_or_artifact_debiased"] = 7.0
    assert gz2_selection_mask(cat).sum() == 5


def test_non_numeric_votes_name_the_column_and_row():
    cat = _catalog(ROWS)
    cat["t06_odd_a14_yes_debiased"] = cat["t06_odd_a14_yes_debiased"].astype(object)
    cat.loc[3, "t06_odd_a14_yes_debiased"] = "n/a"
    with pytest.raises(ValueError, match="'t06_odd_a14_yes_debiased'") as err:
        gz2_selection_mask(cat)
    assert "'n/a' in row 3" in str(err.value)
    assert "errors='coerce'" in str(err.value)
    cat.loc[3, "t06_odd_a14_yes_debiased"] = None  # a missing vote is fine: not kept
    assert not gz2_selection_mask(cat)[3]


def test_morphology_of_missing_votes_is_uncertain():
    # the docstring's promise: NaN in a needed column -> "uncertain", never "spiral"
    cat = _catalog(ROWS)
    cat.loc[1, f"{T01}_a01_smooth_debiased"] = np.nan  # features 0.95: was "spiral"
    cat.loc[0, f"{T01}_a02_features_or_disk_debiased"] = np.nan  # smooth 0.9
    labels = gz2_morphology(cat, extra_labels=())
    assert labels[1] == "uncertain" and labels[0] == "uncertain"
    assert labels[4] == "uncertain" and labels[7] == "elliptical"
    cat.loc[3, "t08_odd_feature_a24_merger_debiased"] = np.nan
    assert gz2_morphology(cat)[3] == "uncertain"  # was "merger"
    assert gz2_selection_mask(cat, exclude="odd")[1]  # the mask does not need T01


def test_edge_on_needs_well_answered_question():
    cat = _catalog(ROWS, counts=8)  # 8 * 0.9 < 10 votes on T02: not well answered
    assert gz2_selection_mask(cat, exclude="edge_on")[2]
    assert not gz2_selection_mask(cat, exclude="edge_on",
                                  thresholds={"min_votes": 5})[2]
    # features below Table 3's 0.430 gate: T02 is not trusted
    assert gz2_selection_mask(_catalog(ROWS), exclude="edge_on",
                              thresholds={"features_for_edge_on": 0.95})[2]


def test_morphology_known_answers():
    cat = _catalog(ROWS)
    labels = gz2_morphology(cat)
    np.testing.assert_array_equal(
        labels,
        ["elliptical", "spiral", "edge_on", "merger", "uncertain", "irregular",
         "uncertain", "elliptical"],
    )
    basic = gz2_morphology(cat, extra_labels=())
    assert set(basic) == {"elliptical", "spiral", "uncertain"}
    assert basic[2] == "spiral" and basic[5] == "spiral"
    arms = gz2_morphology(cat, extra_labels=(), thresholds={"spiral_arms": 0.8})
    assert arms[1] == "spiral" and arms[2] == "uncertain"


def test_fraction_kind_and_missing_columns():
    cat = _catalog(ROWS, kind="weighted_fraction")
    labels = gz2_morphology(cat, fraction_kind="weighted_fraction")
    assert labels[0] == "elliptical"
    with pytest.raises(KeyError, match="lacks the column") as err:
        gz2_morphology(cat)  # debiased columns absent
    assert "t01_smooth_or_features_a01_smooth_debiased" in str(err.value)
    assert "weighted_fraction" in str(err.value)  # lists what was found
    no_counts = cat.drop(columns=[c for c in cat if c.endswith("_count")])
    with pytest.raises(KeyError, match="t02_edgeon_a04_yes_count"):
        gz2_selection_mask(no_counts, fraction_kind="weighted_fraction")
    mask = gz2_selection_mask(no_counts, fraction_kind="weighted_fraction",
                              thresholds={"min_votes": 0})
    assert not mask[2]


def test_bad_parameters():
    cat = _catalog(ROWS)
    with pytest.raises(ValueError, match="Unknown threshold"):
        gz2_selection_mask(cat, thresholds={"smooth_clean": 0.8})
    with pytest.raises(ValueError, match="fraction_kind"):
        gz2_selection_mask(cat, fraction_kind="raw")
    with pytest.raises(ValueError, match="exclude"):
        gz2_selection_mask(cat, exclude=("mergers",))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        gz2_morphology(cat, thresholds={"clean": 1.5})
    assert DEFAULT_THRESHOLDS["clean"] == 0.8


def test_astropy_table_input():
    from astropy.table import Table

    cat = _catalog(ROWS)
    np.testing.assert_array_equal(gz2_morphology(Table.from_pandas(cat)),
                                  gz2_morphology(cat))


@pytest.fixture(scope="module")
def stripe82():
    if not STRIPE82.exists():
        pytest.skip(f"real GZ2 table not available ({STRIPE82}); it lives in ../shared")
    return pd.read_csv(STRIPE82)


def test_real_gz2_stripe82(stripe82):
    labels = gz2_morphology(stripe82)
    smooth_flag = stripe82[f"{T01}_a01_smooth_flag"] == 1
    # our clean elliptical rule reproduces the release's clean "smooth" flag
    assert ((labels == "elliptical") == smooth_flag).mean() > 0.99
    mask = gz2_selection_mask(stripe82)
    assert 0.6 < mask.mean() < 0.95
    odd_flag = stripe82["t06_odd_a14_yes_flag"] == 1
    assert not mask[odd_flag].any()  # every clean-odd galaxy is removed
    edge_flag = stripe82["t02_edgeon_a04_yes_flag"] == 1
    # the release flags some edge-ons with 7-9 votes on T02 (< min_votes=10)
    assert (~mask[edge_flag]).mean() > 0.85
    loose = gz2_selection_mask(stripe82, thresholds={"min_votes": 7})
    assert (~loose[edge_flag]).mean() > 0.95
    kept = pd.Series(labels[mask]).value_counts()
    assert set(kept.index) <= {"spiral", "elliptical", "uncertain"}
    weighted = gz2_selection_mask(stripe82, fraction_kind="weighted_fraction")
    assert (weighted == mask).mean() > 0.9


def test_real_gz2_mergers():
    if not MERGERS.exists():
        pytest.skip(f"GZ2 merger table not available ({MERGERS})")
    mergers = pd.read_csv(MERGERS)
    labels = gz2_morphology(mergers)
    assert (labels == "merger").mean() > 0.6  # GZ1 merging pairs
    assert gz2_selection_mask(mergers).mean() < 0.05


# --- GZ2Selector --------------------------------------------------------------

def _images_and_catalog(n_pix=4, seed=0):
    cat = _catalog(ROWS * 5)
    rng = np.random.default_rng(seed)
    pixels = pd.DataFrame(rng.normal(size=(len(cat), n_pix)),
                          columns=[f"pix{i}" for i in range(n_pix)])
    return pd.concat([pixels, cat], axis=1)


def test_selector_fit_resample():
    X = _images_and_catalog()
    y = np.arange(len(X))
    selector = GZ2Selector()
    X_kept, y_kept = selector.fit_resample(X, y)
    expected = np.flatnonzero(gz2_selection_mask(X))
    np.testing.assert_array_equal(selector.sample_indices_, expected)
    np.testing.assert_array_equal(y_kept, expected)
    np.testing.assert_array_equal(X_kept.index, expected)
    assert selector.fit(X) is selector
    X_only, y_none = GZ2Selector().fit_resample(X)
    assert y_none is None and len(X_only) == len(expected)
    _, y_cls = GZ2Selector(keep_classes=("spiral", "elliptical")).fit_resample(X, y)
    labels = gz2_morphology(X)
    assert set(labels[y_cls]) == {"spiral", "elliptical"}


def test_selector_never_misaligns():
    X = _images_and_catalog()
    with pytest.raises(ValueError, match="rows"):
        GZ2Selector().fit_resample(X, np.arange(len(X) - 1))
    y_shuffled = pd.Series(np.arange(len(X)), index=X.index[::-1])
    with pytest.raises(ValueError, match="index"):
        GZ2Selector().fit_resample(X, y_shuffled)
    y_series = pd.Series(np.arange(len(X)), index=X.index)
    _, y_kept = GZ2Selector().fit_resample(X, y_series)
    assert isinstance(y_kept, pd.Series)
    np.testing.assert_array_equal(y_kept.to_numpy(), y_kept.index)
    with pytest.raises(TypeError, match="DataFrame"):
        GZ2Selector().fit_resample(X.to_numpy(), None)
    with pytest.raises(KeyError, match="t06_odd_a14_yes_debiased"):
        GZ2Selector().fit_resample(X[["pix0", "pix1"]], None)


class _RowCounter(TransformerMixin, BaseEstimator):
    """Records how many rows it was fitted and applied on."""

    def fit(self, X, y=None):
        self.n_fit_ = len(X)
        return self

    def transform(self, X):
        return np.asarray(X)


def _pipeline(final):
    pixels = ColumnTransformer([("pixels", "passthrough",
                                 make_column_selector(pattern=r"^pix"))])
    return Pipeline([("select", GZ2Selector()), ("columns", pixels),
                     ("count", _RowCounter()), ("model", final)])


def test_in_pipeline_selection_only_at_fit():
    X = _images_and_catalog()
    n_kept = gz2_selection_mask(X).sum()
    pipe = _pipeline(PCA(n_components=2)).fit(X)
    assert pipe.named_steps["count"].n_fit_ == n_kept < len(X)
    assert pipe.named_steps["model"].n_samples_ == n_kept
    Z = pipe.transform(X)  # transform time: every row passes through
    assert Z.shape == (len(X), 2)
    assert pipe.score_samples(X).shape == (len(X),)


def test_catalog_first_equals_in_pipeline():
    X = _images_and_catalog(seed=1)
    labels = gz2_morphology(X)
    y = (labels == "spiral").astype(int)
    # catalog first: select, then build X and y
    mask = gz2_selection_mask(X)
    pixels = X.filter(regex=r"^pix")
    first = LogisticRegression().fit(pixels[mask], y[mask])
    # in pipeline: the sampler drops the same rows of X and y at fit time
    pipe = _pipeline(LogisticRegression()).fit(X, y)
    np.testing.assert_allclose(pipe.named_steps["model"].coef_, first.coef_)
    assert pipe.predict(X).shape == (len(X),)


def test_selector_sklearn_api():
    selector = GZ2Selector(exclude=("odd",), thresholds={"odd": 0.6})
    assert clone(selector).get_params() == selector.get_params()
    check_parameters_default_constructible("GZ2Selector", GZ2Selector())
    check_no_attributes_set_in_init("GZ2Selector", GZ2Selector())
    check_get_params_invariance("GZ2Selector", GZ2Selector())
    check_set_params("GZ2Selector", GZ2Selector())
    with pytest.raises(ValueError, match="fraction_kind"):
        GZ2Selector(fraction_kind="raw").fit(_images_and_catalog())


def test_selector_tags_and_empty_catalog():
    # get_tags used to raise AttributeError (a tag that InputTags does not have)
    tags = get_tags(GZ2Selector())
    assert tags.input_tags.string and not tags.target_tags.required
    with pytest.raises(ValueError, match="catalog is empty"):
        GZ2Selector().fit_resample(_images_and_catalog().iloc[:0])
