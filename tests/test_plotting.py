"""Tests of skgalvae.plotting: figures are checked through their artists (Agg backend)."""

import ast
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from astropy.visualization import ManualInterval, make_lupton_rgb
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import Normalize, to_hex
from matplotlib.container import BarContainer
from matplotlib.contour import ContourSet
from scipy.stats import binned_statistic_2d
from sklearn.utils._param_validation import InvalidParameterError

import skgalvae.plotting
from skgalvae.plotting import (
    CLASS_COLORS,
    plot_correlation_table,
    plot_eigengalaxies,
    plot_images,
    plot_latent_scatter,
    plot_latent_traversal,
    plot_model_comparison,
    plot_outliers_on_latent_map,
    plot_property_map,
    plot_raw_vs_scaled,
    plot_reconstructions,
    plot_training_curves,
)
from skgalvae.plotting._base import display_plane, to_display

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def latents(rng):
    """Three classes in a 3-D latent space, in shuffled order."""
    centres = {"uncertain": (0, 0, 0), "elliptical": (2, -1, 0), "spiral": (-2, 1, 0)}
    labels = np.repeat(list(centres), 40)
    Z = np.vstack([rng.normal(centres[c], 0.5, (40, 3)) for c in centres])
    order = rng.permutation(len(labels))
    return Z[order].astype(np.float32), labels[order]


def _legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _contour_sets(ax):
    return [c for c in ax.collections if isinstance(c, ContourSet)]


# --- images -----------------------------------------------------------------------


def test_plot_images_grid_titles_and_origin(rng):
    images = rng.random((5, 16 * 16))
    fig = plot_images(images, titles=list("abcde"), ncols=3)
    assert len(fig.axes) == 5  # the sixth grid cell is removed
    assert [ax.get_title() for ax in fig.axes] == list("abcde")
    for ax, image in zip(fig.axes, images):
        (artist,) = ax.get_images()
        assert artist.origin == "lower"
        np.testing.assert_allclose(artist.get_array(), image.reshape(16, 16))


def test_plot_images_shapes_and_stretch(rng):
    fig = plot_images(rng.random((2, 8 * 32)), image_shape=(8, 32), stretch="log")
    assert fig.axes[0].get_images()[0].get_array().shape == (8, 32)
    fig = plot_images(rng.random((3, 1, 12, 12)), percent=None)
    assert len(fig.axes) == 3
    norm = fig.axes[0].get_images()[0].norm
    assert norm.vmin < norm.vmax
    # A constant image does not break the display normalisation.
    plot_images(np.zeros((1, 16, 16)), stretch="asinh")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"titles": ["a"]}, "titles"),
        ({"stretch": "cubic"}, "stretch"),
        ({"image_shape": (5, 5)}, "image_shape"),
    ],
)
def test_plot_images_bad_input(rng, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_images(rng.random((3, 16 * 16)), **kwargs)


def test_plot_images_bad_array():
    with pytest.raises(ValueError, match="images"):
        plot_images(np.zeros(10))
    with pytest.raises(ValueError, match="images"):
        plot_images(np.zeros((2, 3, 4, 8, 8)))


def test_plot_raw_vs_scaled_rows(rng):
    raw = rng.exponential(size=(4, 32, 32))
    scaled = rng.random((4, 16 * 16))
    fig = plot_raw_vs_scaled(raw, scaled, n=3)
    assert len(fig.axes) == 6
    assert fig.axes[0].get_ylabel() == "raw"
    assert fig.axes[3].get_ylabel() == "log-scaled"
    assert fig.axes[0].get_images()[0].get_array().shape == (32, 32)
    assert fig.axes[3].get_images()[0].get_array().shape == (16, 16)
    assert all(ax.get_images()[0].origin == "lower" for ax in fig.axes)
    with pytest.raises(ValueError, match="scaled"):
        plot_raw_vs_scaled(raw, scaled[:3])


def test_plot_reconstructions_rows_and_shared_limits(rng):
    X = rng.random((6, 16 * 16))
    fig = plot_reconstructions(X, 0.5 * X, n=4)
    assert len(fig.axes) == 8
    assert [fig.axes[i].get_ylabel() for i in (0, 4)] == ["input", "reconstruction"]
    top, bottom = fig.axes[1].get_images()[0], fig.axes[5].get_images()[0]
    assert top.get_clim() == bottom.get_clim()  # judged on the input's scale
    fig = plot_reconstructions(X, 0.5 * X, n=4, show_residuals=True)
    assert len(fig.axes) == 12
    assert fig.axes[8].get_ylabel() == "residual"
    lo, hi = fig.axes[8].get_images()[0].get_clim()
    assert lo == pytest.approx(-hi)


def test_plot_reconstructions_bad_input(rng):
    X = rng.random((6, 16 * 16))
    with pytest.raises(ValueError, match="reconstructions"):
        plot_reconstructions(X, X[:5])
    with pytest.raises(ValueError, match="reconstructions"):
        plot_reconstructions(X, rng.random((6, 8 * 8)))
    with pytest.raises(ValueError, match=r"The 'n' parameter of plot_reconstructions "
                       r"must be an int in the range \[1, inf\) or None. Got 0"):
        plot_reconstructions(X, X, n=0)
    # n=None shows every galaxy.
    assert len(plot_reconstructions(X, X, n=None).axes) == 12


def test_plot_eigengalaxies_titles_and_centred_colours(rng):
    comps = rng.normal(size=(5, 16, 16))
    fig = plot_eigengalaxies(comps, [0.4, 0.2, 0.1, 0.05, 0.01], ncols=3)
    assert len(fig.axes) == 5
    assert fig.axes[0].get_title() == "PC 1 (40.0%)"
    assert fig.axes[4].get_title() == "PC 5 (1.0%)"
    lo, hi = fig.axes[0].get_images()[0].get_clim()
    assert lo == pytest.approx(-hi)
    fig = plot_eigengalaxies(comps.reshape(5, -1), n=2)
    assert [ax.get_title() for ax in fig.axes] == ["PC 1", "PC 2"]
    with pytest.raises(ValueError, match="explained_variance_ratio"):
        plot_eigengalaxies(comps, [0.5, 0.2])


def test_plot_latent_traversal_labels(rng):
    grid = rng.random((3, 5, 16, 16))
    values = np.linspace(-2, 2, 5)
    fig = plot_latent_traversal(grid, values)
    assert len(fig.axes) == 15
    first_column = [fig.axes[5 * i] for i in range(3)]
    assert [ax.get_ylabel() for ax in first_column] == ["Feat. 1", "Feat. 2", "Feat. 3"]
    assert [ax.get_title() for ax in fig.axes[:5]] == ["-2", "-1", "0", "1", "2"]
    clims = {ax.get_images()[0].get_clim() for ax in fig.axes}
    assert len(clims) == 1  # one colour scale for the whole grid
    np.testing.assert_allclose(fig.axes[7].get_images()[0].get_array(), grid[1, 2])


def test_plot_latent_traversal_flat_and_dims(rng):
    fig = plot_latent_traversal(rng.random((2, 4, 8 * 8)), dims=[1, 3])
    assert len(fig.axes) == 8
    assert [fig.axes[0].get_ylabel(), fig.axes[4].get_ylabel()] == ["Feat. 2", "Feat. 4"]
    assert fig.axes[0].get_title() == ""


@pytest.mark.parametrize(
    ("grid_shape", "kwargs", "match"),
    [
        ((16, 16), {}, "grid"),
        ((2, 3, 4, 5, 16, 16), {}, "grid"),
        ((2, 0, 16, 16), {}, "grid"),
        ((2, 3, 16, 16), {"values": [0, 1]}, "values"),
        ((2, 3, 16, 16), {"dims": [0]}, "dims"),
        ((2, 3, 10), {"image_shape": (3, 3)}, "image_shape"),
    ],
)
def test_plot_latent_traversal_bad_input(rng, grid_shape, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_latent_traversal(rng.random(grid_shape), **kwargs)


@pytest.mark.parametrize(
    ("func", "kwargs", "message"),
    [
        (plot_images, {"stretch": "cubic"},
         r"The 'stretch' parameter of plot_images must be a str among .*'asinh'.* or "
         r"None. Got 'cubic' instead."),
        (plot_images, {"ncols": 0},
         r"The 'ncols' parameter of plot_images must be an int in the range \[1, inf\)"),
        (plot_images, {"origin": "top"}, r"The 'origin' parameter of plot_images must"),
        (plot_images, {"fig": "figure"}, r"The 'fig' parameter of plot_images must be an "
         r"instance of 'matplotlib.figure.Figure', .*SubFigure.* or None"),
        (plot_eigengalaxies, {"n": 0}, r"The 'n' parameter of plot_eigengalaxies must"),
        (plot_raw_vs_scaled, {"scaled": np.ones((2, 8, 8)), "n": 1.5},
         r"The 'n' parameter of plot_raw_vs_scaled must"),
    ],
)
def test_image_functions_validate_parameters(rng, func, kwargs, message):
    with pytest.raises(ValueError, match=message):
        func(rng.random((2, 8, 8)), **kwargs)


# --- latent plane -------------------------------------------------------------------


def test_plot_latent_scatter_classes_colours_contours(latents):
    Z, labels = latents
    fig = plot_latent_scatter(Z, labels)
    (ax,) = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Feat. 1", "Feat. 2")
    assert _legend_texts(ax) == ["spiral", "elliptical", "uncertain"]
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [s.get_label() for s in scatters] == ["spiral", "elliptical", "uncertain"]
    for s in scatters:
        assert to_hex(s.get_facecolor()[0]) == CLASS_COLORS[s.get_label()].lower()
        mask = labels == s.get_label()
        np.testing.assert_allclose(s.get_offsets(), Z[mask][:, :2], rtol=1e-6)
    contours = _contour_sets(ax)
    assert len(contours) == 3
    assert all(len(c.levels) == 2 for c in contours)  # the 50% and 90% contours


def test_plot_latent_scatter_options(latents):
    Z, labels = latents
    fig = plot_latent_scatter(Z, labels, dims=(2, 0), density=False,
                              palette={"spiral": "#000000"})
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Feat. 3", "Feat. 1")
    assert _contour_sets(ax) == []
    assert to_hex(ax.collections[0].get_facecolor()[0]) == "#000000"
    fig = plot_latent_scatter(Z)
    ax = fig.axes[0]
    assert ax.get_legend() is None
    assert len(_contour_sets(ax)) == 1
    # Drawing into a given axes returns that axes' figure.
    fig, axes = plt.subplots(1, 2)
    assert plot_latent_scatter(Z, labels, ax=axes[1], density=False) is fig
    assert len(axes[0].collections) == 0 and len(axes[1].collections) == 3


def test_plot_latent_scatter_small_class_warns(latents):
    Z, labels = latents
    labels = labels.copy()
    labels[:3] = "merger"
    with pytest.warns(UserWarning, match="merger"):
        fig = plot_latent_scatter(Z, labels)
    assert _legend_texts(fig.axes[0])[-1] == "merger"
    assert len(_contour_sets(fig.axes[0])) == 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"labels": ["spiral"] * 5}, "labels"),
        ({"dims": (0, 5)}, "dims"),
        ({"dims": (0,)}, "dims"),
        ({"levels": (0.5, 1.5)}, "levels"),
    ],
)
def test_plot_latent_scatter_bad_input(latents, kwargs, match):
    Z, labels = latents
    kwargs = {"labels": labels, **kwargs}
    with pytest.raises(ValueError, match=match):
        plot_latent_scatter(Z, **kwargs)


def test_plot_outliers_on_latent_map(latents, rng):
    Z, labels = latents
    Z_out = rng.normal(3, 0.5, (7, 3))
    out_labels = ["merger"] * 4 + ["irregular"] * 3
    fig = plot_outliers_on_latent_map(Z, Z_out, out_labels, train_labels=labels,
                                      colorbar=True)
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # the map and the colourbar of training counts
    assert fig.axes[1].get_ylabel() == "training galaxies per cell"
    assert _legend_texts(ax) == ["training population", "spiral", "elliptical",
                                 "uncertain", "merger", "irregular"]
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1  # hexbin
    assert len(_contour_sets(ax)) == 3
    markers = {c.get_label(): c for c in ax.collections
               if isinstance(c, PathCollection)}
    assert len(markers["merger"].get_offsets()) == 4
    assert len(markers["irregular"].get_offsets()) == 3
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Feat. 1", "Feat. 2")


def test_plot_outliers_defaults_and_bad_input(latents, rng):
    Z, _ = latents
    fig = plot_outliers_on_latent_map(Z, Z[:5] + 3, background="scatter")
    ax = fig.axes[0]
    assert len(fig.axes) == 1
    assert _legend_texts(ax) == ["training population", "outlier"]
    assert not any(isinstance(c, PolyCollection) for c in ax.collections)
    with pytest.raises(ValueError, match="outlier_labels"):
        plot_outliers_on_latent_map(Z, Z[:5], ["merger"] * 4)
    with pytest.raises(ValueError, match="Z_outliers"):
        plot_outliers_on_latent_map(Z, Z[:5, :2])
    with pytest.raises(ValueError, match="train_labels"):
        plot_outliers_on_latent_map(Z, Z[:5], train_labels=["spiral"])
    with pytest.raises(ValueError, match=r"The 'background' parameter of "
                       r"plot_outliers_on_latent_map must be a str among .*Got 'kde'"):
        plot_outliers_on_latent_map(Z, Z[:5], background="kde")
    with pytest.raises(ValueError, match=r"The 'ax' parameter of "
                       r"plot_outliers_on_latent_map must be an instance of "
                       r"'matplotlib.axes._axes.Axes' or None"):
        plot_outliers_on_latent_map(Z, Z[:5], ax=plt.figure())


def test_plot_property_map_binned_median(rng):
    Z = rng.uniform(0, 1, (400, 2))
    values = Z[:, 1] * 2 - 11
    values[:10] = np.nan  # left out, not an error
    fig = plot_property_map(Z, values, bins=4, min_count=1)
    ax, cbar_ax = fig.axes
    assert cbar_ax.get_ylabel() == "median log sSFR"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Feat. 1", "Feat. 2")
    (mesh,) = ax.collections
    expected = binned_statistic_2d(Z[10:, 0], Z[10:, 1], values[10:], "median",
                                   bins=4).statistic.T
    np.testing.assert_allclose(np.ma.getdata(mesh.get_array()).reshape(4, 4), expected)
    # The median rises with Feat. 2, along the rows of the map.
    assert np.all(np.diff(expected.mean(axis=1)) > 0)


def test_plot_property_map_min_count_and_bad_input(rng):
    Z = np.vstack([rng.normal(0, 0.1, (50, 2)), [[5.0, 5.0]]])
    fig = plot_property_map(Z, np.arange(51.0), bins=5, min_count=3, statistic="mean",
                            label="age")
    assert fig.axes[1].get_ylabel() == "mean age"
    array = fig.axes[0].collections[0].get_array()
    assert np.ma.count_masked(array) == array.size - np.ma.count(array)
    assert np.ma.is_masked(array[-1])  # the lone galaxy's cell stays blank
    with pytest.raises(ValueError, match="values"):
        plot_property_map(Z, np.arange(50.0))
    with pytest.raises(ValueError, match="finite"):
        plot_property_map(Z, np.full(51, np.nan))


# --- tables -------------------------------------------------------------------------


@pytest.fixture
def corr_table():
    return pd.DataFrame(
        {"Feat. 1": [-0.051947, 0.717488, 0.110948], "Feat. 2": [-0.465508, -0.0339,
                                                                 0.334421]},
        index=["Vel. Dispersion", "Petrosian R50", "LOGSSFR"],
    )


def test_plot_correlation_table_annotations(corr_table):
    fig = plot_correlation_table(corr_table)
    ax, cbar_ax = fig.axes
    texts = [t.get_text() for t in ax.texts]
    assert texts == [f"{v:.2f}" for v in corr_table.to_numpy().ravel()]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Feat. 1", "Feat. 2"]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(corr_table.index)
    (image,) = ax.get_images()
    assert image.get_clim() == (-1.0, 1.0)
    assert image.get_cmap().name == "RdBu_r"
    np.testing.assert_allclose(image.get_array(), corr_table.to_numpy())
    assert cbar_ax.get_ylabel() == "correlation"


def test_plot_correlation_table_pvalues_nan_and_arrays(corr_table):
    table = corr_table.copy()
    table.iloc[0, 0] = np.nan
    pvalues = pd.DataFrame(0.5, index=table.index, columns=table.columns)
    pvalues.iloc[1, 0] = 0.001
    fig = plot_correlation_table(table, pvalues=pvalues, fmt="{:.1f}")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["n/a", "-0.5", "0.7*", "-0.0", "0.1", "0.3"]
    fig = plot_correlation_table(np.array([[0.1, -0.2, 0.3]]))
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["Feat. 1", "Feat. 2", "Feat. 3"]


def test_plot_correlation_table_reads_two_level_tables(corr_table):
    # The layout of skgalvae.analysis.latent_correlations: (statistic, feature).
    pvalues = pd.DataFrame(0.5, index=corr_table.index, columns=corr_table.columns)
    pvalues.iloc[0, 1] = 0.01
    table = pd.concat({"r": corr_table, "p_value": pvalues, "n": pvalues * 0 + 50},
                      axis=1)
    fig = plot_correlation_table(table)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["-0.05", "-0.47*", "0.72", "-0.03", "0.11", "0.33"]
    with pytest.raises(ValueError, match="statistic"):
        plot_correlation_table(table.drop(columns="r", level=0))


def test_plot_correlation_table_bad_input(corr_table):
    with pytest.raises(ValueError, match="table"):
        plot_correlation_table(corr_table.assign(name="x"))
    with pytest.raises(ValueError, match="pvalues"):
        plot_correlation_table(corr_table, pvalues=corr_table.iloc[:2])
    with pytest.raises(ValueError, match="table"):
        plot_correlation_table(np.zeros(3))


def test_plot_model_comparison_bars():
    table = pd.DataFrame(
        {"VAE": [0.55, 0.93, 0.81], "AE": [0.51, 0.90, 0.62], "PCA": [-0.05, 0.88, 0.71]},
        index=["R^2 log R50", "separability", "OOD AUROC"],
    )
    fig = plot_model_comparison(table, errors=table.abs() * 0.1)
    (ax,) = fig.axes
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 3 and all(len(b) == 3 for b in bars)
    for model, container in zip(table.columns, bars):
        heights = [p.get_height() for p in container]
        np.testing.assert_allclose(heights, table[model])
    assert _legend_texts(ax) == ["VAE", "AE", "PCA"]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(table.index)
    assert "0.93" in [t.get_text() for t in ax.texts]
    assert ax.get_ylabel() == "score"
    # Colours follow the column order, whatever the metrics.
    assert bars[0][0].get_facecolor() == bars[0][2].get_facecolor()
    assert bars[0][0].get_facecolor() != bars[1][0].get_facecolor()
    with pytest.raises(ValueError, match="errors"):
        plot_model_comparison(table, errors=table.iloc[:2])


# --- training curves -----------------------------------------------------------------


def test_plot_training_curves_panels_from_skorch_like_history():
    history = [
        {"epoch": e, "train_loss": 10 / e, "valid_loss": 11 / e, "train_recon": 9 / e,
         "valid_recon": 10 / e, "train_kl": 1.0 + e, "valid_kl": 1.1 + e, "dur": 0.1,
         "valid_loss_best": e == 4, "batches": [{"train_loss": 1.0}]}
        for e in range(1, 5)
    ]
    fig = plot_training_curves(history)
    assert len(fig.axes) == 3
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "reconstruction",
                                                     "KL divergence"]
    labels = [[line.get_label() for line in ax.get_lines()] for ax in fig.axes]
    assert labels == [["train_loss", "valid_loss"], ["train_recon", "valid_recon"],
                      ["train_kl", "valid_kl"]]
    assert all(ax.get_xlabel() == "epoch" for ax in fig.axes)
    np.testing.assert_allclose(fig.axes[0].get_lines()[1].get_ydata(),
                               [11 / e for e in range(1, 5)])
    assert fig.axes[0].get_lines()[1].get_linestyle() == "--"


def test_plot_training_curves_kl_per_latent_panel():
    frame = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [3.0, 2.0, 1.5],
                          "train_kl": [1.0, 2.0, 2.5], "train_kl_0": [1.0, 2.0, 2.5],
                          "train_kl_1": [0.0, 0.0, 0.0], "decoder_std": [0.1, 0.05, 0.04]})
    fig = plot_training_curves(frame)
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "KL divergence",
                                                     "KL per latent"]
    lines = fig.axes[2].get_lines()
    assert [line.get_label() for line in lines] == ["train_kl_0", "train_kl_1"]
    assert lines[0].get_color() != lines[1].get_color()
    np.testing.assert_array_equal(lines[1].get_ydata(), [0, 0, 0])  # the collapsed one


def test_plot_training_curves_inputs():
    frame = pd.DataFrame({"train_loss": [3.0, 2.0, 1.5]})
    fig = plot_training_curves(frame, logy=True)
    (ax,) = fig.axes
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])
    assert ax.get_yscale() == "log"

    class Model:
        history_ = {"epoch": [1, 2], "train_loss": [2.0, 1.0], "valid_loss": [2.5, 1.2]}

    fig = plot_training_curves(Model())
    assert len(fig.axes[0].get_lines()) == 2
    # The models' history_ layout: valid_* all NaN without a validation split.
    frame = pd.DataFrame({"epoch": [1, 2], "train_loss": [2.0, 1.0],
                          "train_recon": [1.5, 0.8], "train_kl": [0.5, 0.2],
                          "valid_loss": np.nan, "valid_recon": np.nan,
                          "valid_kl": np.nan, "dur": [0.1, 0.1]})
    fig = plot_training_curves(frame)
    assert [[line.get_label() for line in ax.get_lines()] for ax in fig.axes] == [
        ["train_loss"], ["train_recon"], ["train_kl"]]
    with pytest.raises(ValueError, match="history"):
        plot_training_curves([{"epoch": 1, "dur": 0.3}])
    with pytest.raises(ValueError, match="history"):
        plot_training_curves([])
    with pytest.raises(ValueError, match="history"):
        plot_training_curves([1, 2, 3])
    with pytest.raises(ValueError, match=r"The 'history' parameter of "
                       r"plot_training_curves must be .* or an object with a "
                       r"'history_' or 'history' attribute. Got 3 instead."):
        plot_training_curves(3)


def test_grid_functions_draw_into_subfigures(rng):
    fig = plt.figure(layout="constrained")
    left, right = fig.subfigures(1, 2)
    assert plot_images(rng.random((2, 8, 8)), fig=left) is left
    assert plot_training_curves({"train_loss": [2.0, 1.0]}, fig=right) is right
    assert len(fig.axes) == 3


def test_plotting_imports_stay_in_their_layer():
    """Layer 4 works from arrays and tables: no torch, no models/analysis/study."""
    package = Path(skgalvae.plotting.__file__).parent
    forbidden = ("torch", "skorch", "skgalvae.models", "skgalvae.analysis",
                 "skgalvae.study")
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:  # relative: resolve against skgalvae.plotting
                    parent = "skgalvae.plotting".rsplit(".", node.level - 1)[0]
                    module = f"{parent}.{module}".rstrip(".")
                names = [module]
            else:
                continue
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"


# --- multi-band images: colour composites ---------------------------------------------
@pytest.fixture
def gri(rng):
    """Five g, r, i cubes (5, 3, 16, 16): a red centre in a bluer disc."""
    yy, xx = np.mgrid[:16, :16] - 7.5
    bulge, disc = np.exp(-(xx**2 + yy**2) / 4), np.exp(-np.hypot(xx, yy) / 4)
    colours = [(0.3, 0.7, 1.0), (1.0, 0.9, 0.8)]  # bulge, disc in g, r, i
    cube = np.stack([colours[0][b] * bulge + colours[1][b] * disc for b in range(3)])
    return (cube + rng.normal(0, 0.01, (5, 3, 16, 16))).astype(np.float32)


def _shown(ax):
    (artist,) = ax.get_images()
    return np.asarray(artist.get_array())


def test_to_display_three_bands_is_lupton_rgb_g_blue_r_green_i_red(gri):
    image = gri[0].astype(np.float64)
    rgb, kwargs = to_display(image, Normalize(0.0, 2.0), rgb_stretch=0.5, rgb_Q=8)
    assert rgb.shape == (16, 16, 3) and rgb.dtype == np.uint8 and kwargs == {}
    expected = make_lupton_rgb(image[2], image[1], image[0],
                               interval=ManualInterval(vmin=0.0, vmax=None), stretch=0.5,
                               Q=8)
    np.testing.assert_array_equal(rgb, expected)
    # one band at a time: g alone is blue, r alone green, i alone red
    for band, channel in [(0, 2), (1, 1), (2, 0)]:
        alone = np.zeros((3, 4, 4))
        alone[band] = 1.0
        pixels = to_display(alone, Normalize(0.0, 1.0))[0].reshape(-1, 3)
        assert (pixels[:, channel] > 0).all()
        assert (np.delete(pixels, channel, axis=1) == 0).all()
    # the default stretch maps the top of the limits to white, the bottom to black
    flat = np.stack([np.full((2, 2), v) for v in (1.0, 1.0, 1.0)])
    assert (to_display(flat, Normalize(0.0, 1.0))[0] == 255).all()
    assert (to_display(flat, Normalize(1.0, 3.0))[0] == 0).all()
    assert (to_display(0.5 * flat, Normalize(0.0, 1.0), rgb_Q=0)[0] == 127).all()


def test_to_display_one_band_is_greyscale_as_before(rng):
    image, norm = rng.random((8, 8)), Normalize(0.2, 0.8)
    pixels, kwargs = to_display(image, norm, cmap="magma")
    assert pixels is image and kwargs == {"cmap": "magma", "norm": norm}
    np.testing.assert_array_equal(display_plane(image), image)


def test_to_display_two_and_many_bands(rng):
    two = rng.random((2, 6, 6))
    rgb, _ = to_display(two, Normalize(0.0, 1.0), rgb_stretch=0.3, rgb_Q=8)
    expected = make_lupton_rgb(two[1], two.mean(0), two[0],
                               interval=ManualInterval(vmin=0.0, vmax=None), stretch=0.3,
                               Q=8)
    np.testing.assert_array_equal(rgb, expected)  # bluer band blue, redder red
    five = rng.random((5, 6, 6))  # u, g, r, i, z: the reddest band, in greyscale
    pixels, kwargs = to_display(five, Normalize(0.0, 1.0))
    np.testing.assert_array_equal(pixels, five[-1])
    assert kwargs["cmap"] == "gray"
    np.testing.assert_array_equal(display_plane(five), five[-1])
    np.testing.assert_allclose(display_plane(two), two.mean(0))
    nan = np.full((3, 2, 2), np.nan)
    assert (to_display(nan, Normalize(0.0, 1.0))[0] == 0).all()  # NaN: black


def test_image_plots_draw_colour_composites_of_gri(gri):
    flat = gri.reshape(5, -1)
    figures = {
        "images": plot_images(gri, ncols=5),
        "flat": plot_images(flat, image_shape=(3, 16, 16), ncols=5),
        "raw_vs_scaled": plot_raw_vs_scaled(gri, np.log1p(gri), n=5),
        "reconstructions": plot_reconstructions(gri, gri, n=5, show_residuals=True),
        "eigengalaxies": plot_eigengalaxies(gri - gri.mean(0)),
        "traversal": plot_latent_traversal(gri.reshape(1, 5, 3, 16, 16)),
        "traversal_flat": plot_latent_traversal(flat.reshape(1, 5, -1),
                                                image_shape=(3, 16, 16)),
    }
    for name, fig in figures.items():
        for ax in fig.axes:
            assert _shown(ax).shape == (16, 16, 3), name
    np.testing.assert_array_equal(_shown(figures["images"].axes[2]),
                                  _shown(figures["flat"].axes[2]))
    rec = figures["reconstructions"]
    np.testing.assert_array_equal(_shown(rec.axes[1]), _shown(rec.axes[6]))  # shared
    assert (_shown(rec.axes[11]) == 127).all()  # zero residual: mid-grey
    # a red centre in a bluer disc: the centre is redder than the outskirts
    rgb = _shown(figures["images"].axes[0]).astype(float)
    centre, edge = rgb[7:9, 7:9].mean((0, 1)), rgb[7, 12:14].mean(0)
    assert centre[0] / centre[2] > edge[0] / edge[2]


def test_traversal_of_gri_shares_one_scale(gri):
    grid = np.stack([gri, 0.5 * gri])  # the second row is half as bright
    fig = plot_latent_traversal(grid, rgb_Q=0)
    bright, faint = _shown(fig.axes[0]).astype(int), _shown(fig.axes[5]).astype(int)
    assert faint.sum() < 0.6 * bright.sum()


def test_one_band_cube_is_greyscale_as_before(rng):
    images = rng.random((3, 16, 16))
    for data in (images, images[:, None]):
        fig = plot_images(data, ncols=3)
        for ax, image in zip(fig.axes, images):
            np.testing.assert_array_equal(_shown(ax), image)
            assert ax.get_images()[0].get_cmap().name == "gray"


@pytest.mark.parametrize("func", [plot_images, plot_reconstructions, plot_eigengalaxies,
                                  plot_raw_vs_scaled, plot_latent_traversal])
def test_rgb_parameters_are_validated(func, gri):
    args = {plot_reconstructions: (gri, gri), plot_raw_vs_scaled: (gri, gri),
            plot_latent_traversal: (gri[None],)}.get(func, (gri,))
    with pytest.raises(InvalidParameterError, match="rgb_Q"):
        func(*args, rgb_Q=-1.0)
    with pytest.raises(InvalidParameterError, match="rgb_stretch"):
        func(*args, rgb_stretch=0.0)
