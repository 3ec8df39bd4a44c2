"""scikit-learn's estimator checks over every public skgalvae estimator.

Each package has a block listing its check instances (small settings so the checks run
fast) and its expected failures, each with the reason. Nothing is silenced wholesale.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skgalvae.preprocessing import (
    BackgroundSubtractor,
    CentreCrop,
    LogScaler,
    MajorAxisRotator,
    Recentre,
    Resizer,
)

ESTIMATORS = []
EXPECTED_FAILED = {}  # {estimator class name: {check name: reason}}

# --- preprocessing begin ---
ESTIMATORS += [
    BackgroundSubtractor(),
    Recentre(),
    Recentre(method="peak"),
    MajorAxisRotator(),
    CentreCrop(size=1),
    Resizer(output_shape=2),
    LogScaler(),
    LogScaler(normalize="global"),
    LogScaler(method="log", normalize=None),
]
# --- preprocessing end ---

# --- io begin ---
# FITSLoader is not listed: it reads FITS paths (strings), and its tags say so
# (input_tags.two_d_array=False, string=True), for which parametrize_with_checks yields no
# check. The API checks that apply (default constructible, nothing set in __init__,
# get_params/set_params) run in tests/test_io.py::test_loader_sklearn_api_checks.
# --- io end ---

# --- models begin ---
from skgalvae.models import EigengalaxyPCA, GalaxyAutoencoder, GalaxyVAE  # noqa: E402

# The checks feed 1-10 features (non-image rows): the models take their dense fallback
# network there; the convolutional path is tested on images in tests/test_models.py.
_TINY_NET = {"max_epochs": 2, "batch_size": 16, "hidden_dim": 8, "random_state": 0}
ESTIMATORS += [
    GalaxyVAE(**_TINY_NET),
    GalaxyAutoencoder(**_TINY_NET),
    EigengalaxyPCA(),
    EigengalaxyPCA(n_components=2, incremental=True),
]
EXPECTED_FAILED["GalaxyVAE"] = {
    "check_methods_subset_invariance": (
        "float32 inference: one row alone and the same row in a batch differ by about "
        "1 ulp (score_samples sums many float32 terms; differences ~2e-6 > 1e-7 "
        "tolerance). Non-strict: it may pass."
    ),
}
# --- models end ---

# --- selection begin ---
# GZ2Selector is not listed: it is an imbalanced-learn-style sampler whose input
# contract is a catalog DataFrame carrying named GZ2 vote-fraction columns, while these
# checks feed anonymous numeric arrays, so every check would fail for that one reason.
# Its sklearn API (clone, get_params/set_params, no work in __init__, default
# constructible) and its fit_resample behaviour are tested in tests/test_selection.py.
# --- selection end ---

# --- analysis begin ---
# skgalvae.analysis has functions only (tables from latents), no estimators.
# --- analysis end ---


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
