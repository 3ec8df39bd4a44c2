"""compare_to_real and plot_realism: simulated against real galaxy images."""

import sys
import types

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from skgalvae.analysis import compare_to_real  # noqa: E402
from skgalvae.models import EigengalaxyPCA  # noqa: E402
from skgalvae.plotting import plot_realism  # noqa: E402
from skgalvae.preprocessing import LogScaler, Resizer  # noqa: E402

SIZE = 24
FAST = {"preprocessing": None, "n_components": 8, "pca_at": 4, "structural": False}


def _galaxies(n, *, noise=0.02, seed=0, size=SIZE):
    """Gaussian blobs of random size, flux and centre offset, plus Gaussian sky noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    sigma = rng.uniform(1.5, 4.0, n)[:, None, None]
    dx, dy = (rng.uniform(-1, 1, (2, n))[..., None, None])
    flux = rng.uniform(0.5, 2.0, n)[:, None, None]
    blobs = flux * np.exp(-((xx - dx) ** 2 + (yy - dy) ** 2) / (2 * sigma**2))
    sky = np.random.default_rng(seed + 1).normal(0, 1, blobs.shape)
    return blobs, blobs + noise * sky


def _fake_structure(monkeypatch, calls=None):
    """Replace skgalvae.analysis._structure by a cheap stand-in (moments of the light)."""
    def structural_parameters(images, *, image_shape=None, n_jobs=None):
        imgs = np.asarray(images, dtype=float).reshape(len(images), *image_shape)
        if calls is not None:
            calls.append(imgs)
        flat = imgs.reshape(len(imgs), -1)
        return pd.DataFrame({
            "concentration": flat.max(axis=1) / np.abs(flat).sum(axis=1),
            "asymmetry": np.abs(imgs - imgs[:, ::-1, ::-1]).sum(axis=(1, 2)),
            "gini": flat.std(axis=1), "m20": -flat.mean(axis=1),
            "r50": (flat > 0.5 * flat.max(axis=1, keepdims=True)).sum(axis=1),
            "flag": np.zeros(len(imgs), dtype=int),
        })

    module = types.ModuleType("skgalvae.analysis._structure")
    module.structural_parameters = structural_parameters
    monkeypatch.setitem(sys.modules, "skgalvae.analysis._structure", module)


def test_identical_sets_give_zero_distances(monkeypatch):
    _fake_structure(monkeypatch)
    _, real = _galaxies(40)
    table = compare_to_real(real, real.copy(), **{**FAST, "structural": True})
    assert list(table.index) == ["concentration", "asymmetry", "gini", "m20", "r50",
                                 "sky_level", "sky_noise", "total_flux", "flux_to_peak",
                                 "pca_cumulative_4"]
    assert table.index.name == "statistic"
    np.testing.assert_array_equal(table["ks_statistic"], 0.0)
    np.testing.assert_array_equal(table["wasserstein_iqr"], 0.0)
    np.testing.assert_array_equal(table["abs_difference"], 0.0)
    np.testing.assert_array_equal(table["real"], table["simulated"])
    structural = table[table["kind"] == "structural"]
    assert structural["meets_goal"].all() and (structural["ks_pvalue"] == 1.0).all()
    assert table.loc["sky_noise", "meets_goal"] is pd.NA  # no goal for pixel statistics
    assert (table[["n_real", "n_simulated"]] == 40).all().all()


def test_doubled_noise_is_detected():
    clean, real = _galaxies(60)
    noisier = clean + 2 * (real - clean)
    table = compare_to_real(real, noisier, **FAST)
    noise = table.loc["sky_noise"]
    assert noise["ks_statistic"] > 0.9 and noise["ks_pvalue"] < 1e-10
    assert noise["simulated"] == pytest.approx(2 * noise["real"], rel=0.1)
    assert noise["wasserstein_iqr"] > 2  # interquartile ranges apart
    # the noise-free sky level and the light itself barely move
    assert table.loc["sky_level", "ks_statistic"] < 0.3


def test_eigen_spectrum_row_and_spectra():
    _, real = _galaxies(50)
    rng = np.random.default_rng(3)
    white = rng.normal(0, 1, real.shape)  # no structure: a flat spectrum
    res = compare_to_real(real, white, **FAST, return_measurements=True)
    expected = EigengalaxyPCA(n_components=8, svd_solver="full").fit(real)
    np.testing.assert_allclose(res.spectra["real"], expected.explained_variance_ratio_,
                               rtol=1e-6)
    assert list(res.spectra.index) == list(range(1, 9))
    row = res.table.loc["pca_cumulative_4"]
    assert row["kind"] == "eigen-spectrum" and np.isnan(row["ks_pvalue"])
    assert row["real"] == pytest.approx(expected.explained_variance_ratio_[:4].sum())
    assert row["simulated"] < 0.2 < row["real"]
    assert row["abs_difference"] == pytest.approx(row["real"] - row["simulated"])
    assert not row["meets_goal"]
    gap = np.abs(np.cumsum(res.spectra["real"]) - np.cumsum(res.spectra["simulated"]))
    assert row["ks_statistic"] == pytest.approx(gap.max())
    assert row["wasserstein_iqr"] == pytest.approx(gap.mean())
    # measurements: one value per galaxy and pixel statistic and set
    counts = res.measurements.groupby(["set", "statistic"]).size()
    assert (counts == 50).all() and len(counts) == 8


def test_eigen_spectra_are_compared_at_the_same_sample_size():
    # one population, two sample sizes: 40 images' first components hold more of the
    # pixel noise than 400 images' do, so the raw spectra differ though nothing else does
    _, small = _galaxies(40, noise=0.2, seed=0)
    _, large = _galaxies(400, noise=0.2, seed=5)
    kwargs = {"preprocessing": None, "n_components": 20, "pca_at": 12, "structural": False}

    def pca_12(X):
        pca = EigengalaxyPCA(n_components=12, svd_solver="full").fit(X)
        return pca.explained_variance_ratio_.sum()

    assert pca_12(small) - pca_12(large) > 0.1  # the bias the matching removes
    res = compare_to_real(small, large, **kwargs, random_state=0, return_measurements=True)
    row = res.table.loc["pca_cumulative_12"]
    assert row["real"] == pytest.approx(pca_12(small))
    assert row["abs_difference"] < 0.03 and row["meets_goal"]
    assert row["n_real"] == 40 and row["n_simulated"] == 400
    # the larger set's spectrum: the mean over 40-image subsets, with its spread
    assert (res.spectra["real_std"] == 0).all() and (res.spectra["simulated_std"] > 0).all()
    notes = " ".join(res.notes)
    assert "mean over 20 random subsets of 40 of its 400 images" in notes
    assert "simulated pca_cumulative_12: standard deviation" in notes
    # symmetric in the two sets, and reproducible with random_state
    swapped = compare_to_real(large, small, **kwargs, random_state=0)
    assert swapped.loc["pca_cumulative_12", "simulated"] == pytest.approx(pca_12(small))
    again = compare_to_real(small, large, **kwargs, random_state=0)
    assert again.loc["pca_cumulative_12", "simulated"] == row["simulated"]
    one = compare_to_real(small, large, **kwargs, n_subsets=1, random_state=0)
    assert "standard deviation" not in " ".join(one.attrs["notes"])


def test_small_sets_limit_the_spectrum_with_a_note():
    _, real = _galaxies(6)
    table = compare_to_real(real, real, preprocessing=None, n_components=20, pca_at=12,
                            structural=False)
    assert np.isnan(table.loc["pca_cumulative_12", "real"])
    assert any("limited to 6 components" in n for n in table.attrs["notes"])


def test_unfitted_pipeline_is_fitted_on_the_real_set_and_structure_sees_linear_flux(
        monkeypatch):
    calls = []
    _fake_structure(monkeypatch, calls)
    _, real = _galaxies(30, seed=0)
    _, sim = _galaxies(30, seed=5)
    pipe = Pipeline([("resize", Resizer(output_shape=12)),
                     ("log", LogScaler(normalize="global"))])
    table = compare_to_real(real, sim, preprocessing=pipe, n_components=6, pca_at=3)
    assert not hasattr(pipe[-1], "scale_") and not hasattr(pipe, "n_features_in_")
    assert table.loc["r50", "kind"] == "structural"
    fitted = Pipeline([("resize", Resizer(output_shape=12)),
                       ("log", LogScaler(normalize="global"))]).fit(real)
    linear = fitted[:-1].transform(real).reshape(-1, 12, 12)
    np.testing.assert_allclose(calls[0], linear, rtol=1e-6)  # before the log scaling
    # a fitted pipeline is used as it is: the same numbers
    again = compare_to_real(real, sim, preprocessing=fitted, n_components=6, pca_at=3)
    pd.testing.assert_frame_equal(table, again)


def test_structural_skipped_with_a_note_when_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "skgalvae.analysis._structure", None)
    _, real = _galaxies(20)
    table = compare_to_real(real, real, **{**FAST, "structural": True})
    assert "concentration" not in table.index
    assert any("structural parameters skipped" in n for n in table.attrs["notes"])


def test_max_samples_subsamples_each_set_reproducibly():
    _, real = _galaxies(40)
    _, sim = _galaxies(80, seed=2)
    a = compare_to_real(real, sim, **FAST, max_samples=25, random_state=0)
    b = compare_to_real(real, sim, **FAST, max_samples=25, random_state=0)
    assert (a["n_real"] == 25).all() and (a["n_simulated"] == 25).all()
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    "real, sim, kwargs, match",
    [
        (np.zeros((0, 8, 8)), np.zeros((3, 8, 8)), {}, "real_images is empty"),
        (np.zeros((3, 8, 8)), np.zeros((0, 8, 8)), {}, "simulated_images is empty"),
        (np.zeros((3, 8, 8)), np.zeros((3, 6, 6)), {}, "simulated_images have shape"),
        (np.zeros((3, 8, 8)), np.zeros((3, 8, 8, 2)), {}, "simulated_images"),
        (np.zeros(5), np.zeros((3, 8, 8)), {}, "real_images must have shape"),
        (np.zeros((3, 8, 8)), np.full((3, 8, 8), np.nan), {}, "simulated_images holds NaN"),
        (np.zeros((3, 8, 8)), np.zeros((3, 8, 8)), {"pca_at": 30}, "pca_at=30"),
        (np.zeros((3, 64)), np.zeros((3, 64)), {"image_shape": (4, 4)}, "real_images"),
    ],
)
def test_bad_input_raises_naming_the_parameter(real, sim, kwargs, match):
    with pytest.raises(ValueError, match=match):
        compare_to_real(real, sim, preprocessing=None, structural=False, **kwargs)


def test_plot_realism_returns_a_figure():
    _, real = _galaxies(30)
    _, sim = _galaxies(30, noise=0.05, seed=4)
    res = compare_to_real(real, sim, **FAST, return_measurements=True)
    fig = plot_realism(res.measurements, res.spectra, table=res.table)
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 5 and titles[1].startswith("sky_noise (KS ")
    assert titles[-1].startswith("PCA eigen-spectrum (cumul. 4: real ")
    # equal sizes: no subsets, no spread band; a larger simulated set: its band
    assert not fig.axes[-1].collections
    _, more = _galaxies(60, noise=0.05, seed=4)
    res = compare_to_real(real, more, **FAST, return_measurements=True, random_state=0)
    banded = plot_realism(res.measurements, res.spectra, table=res.table)
    assert len(banded.axes[-1].collections) == 1
    only = plot_realism(res.measurements, statistics=["sky_noise"])
    assert len(only.axes) == 1
    with pytest.raises(ValueError, match="statistics"):
        plot_realism(res.measurements, statistics=["nope"])
    with pytest.raises(ValueError, match="measurements lacks"):
        plot_realism(res.measurements.drop(columns="set"))
    with pytest.raises(ValueError, match="spectra"):
        plot_realism(res.measurements, res.spectra[["real"]])
