"""Stage 4 of the study: the figures and the report (``report.md`` and ``report.html``).

Writes ``figures/*.png``, ``report.md`` and ``report.html`` into the stage's staging
folder. The report (:mod:`._sections`, rendered by :mod:`._document`) opens with a header
(source, selection, held-out count, from ``run.json``), a table of contents and a summary
generated from the numbers (:mod:`._summary`), puts the seed's published numbers beside
this run's (:mod:`._seed_table`), then has one section per question with the models side
by side. Figures and tables show held-out clean galaxies unless they say otherwise.

In a multi-band study every image is drawn as a Lupton et al. (2004) colour composite
(:mod:`skgalvae.plotting`), each model's reconstructions and traversals from its own
images; when the i-only arm was trained a section compares each model on the study's
bands with its i-only counterpart (:func:`._sections.bands_section`).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..models import latent_traversal  # noqa: E402
from ..plotting import (  # noqa: E402
    plot_correlation_table,
    plot_eigengalaxies,
    plot_latent_scatter,
    plot_latent_traversal,
    plot_model_comparison,
    plot_outliers_on_latent_map,
    plot_property_map,
    plot_raw_vs_scaled,
    plot_realism,
    plot_reconstructions,
    plot_training_curves,
)
from ._document import Table, render_html, render_markdown  # noqa: E402
from ._population import StageImages, load_stage_data, study_image_shape  # noqa: E402
from ._report_data import ModelInfo, load_report_data  # noqa: E402
from ._sections import header, sections  # noqa: E402
from ._split import CLEAN_CLASSES, study_sets  # noqa: E402
from ._train import load_models  # noqa: E402

#: Traversal values of the figures (and of the latent diagnostics).
_TRAVERSAL = np.linspace(-2, 2, 7)


def _save_figure(fig, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def _figures(run, stage_dir, log, config):
    """Draw every figure into ``stage_dir``; return ``({name: relative path}, models)``.

    Every figure shows held-out clean galaxies (never trained on), outlier sets that
    exclude the training galaxies and the bundled real sample (projected by the models
    of the i band only: it has no other band); the training curves are the models' own.
    """
    out = run.out
    figdir = Path(stage_dir) / "figures"
    images, catalog = load_stage_data(out)
    arrays = StageImages(out, images)
    sets = study_sets(catalog)
    test = sets.test
    models = load_models(out, config)
    labels = catalog["morphology"].where(catalog["morphology"].isin(CLEAN_CLASSES), None)
    truth = catalog["class"] if "class" in catalog.columns else catalog["morphology"]
    is_ood = np.zeros(len(catalog), dtype=bool)
    for mask in sets.outliers.values():
        is_ood |= mask
    figures = {}

    def add(fig, name, *_):
        _save_figure(fig, figdir / f"{name}.png")
        figures[name] = f"figures/{name}.png"

    raw = np.load(run.path("data", "raw_examples.npy"))
    scaled = np.load(run.path("data", "scaled_examples.npy"))
    # several bands: flat rows of (c, s, s) pixels, drawn as colour composites
    shapes = ({} if len(config["bands"]) == 1
              else {"scaled_image_shape": study_image_shape(config)})
    if len(raw):
        add(plot_raw_vs_scaled(raw, scaled, n=min(6, len(raw)), **shapes), "examples",
            "Example images (held-out)", "Raw cutouts of held-out clean galaxies (top) and "
            "after background subtraction, centring, rotation, resizing and asinh scaling "
            "(bottom).")
    for spec, model in models:
        key, name = spec.key, spec.name
        Z = np.load(run.path("latents", f"{key}.npy"))
        dims = (0, 1) if Z.shape[1] >= 2 else (0, 0)
        if hasattr(model, "reconstruct"):
            X = arrays.of(spec, config)[test][:8]
            add(plot_reconstructions(X, model.reconstruct(X), n=len(X),
                                     image_shape=model.image_shape_),
                f"reconstructions_{key}", f"{name}: reconstructions (held-out)",
                "Held-out inputs (top) and their reconstructions (bottom).")
        if hasattr(model, "components_as_images"):
            add(plot_eigengalaxies(model.components_as_images(),
                                   model.explained_variance_ratio_),
                f"eigengalaxies_{key}", f"{name}: eigengalaxies",
                "Principal components as images, with the variance each explains.")
        if Z.shape[1] < 2:
            continue
        if spec.decodes:
            grid = latent_traversal(model, dims=list(range(min(Z.shape[1], 4))),
                                    values=_TRAVERSAL)
            add(plot_latent_traversal(grid, values=_TRAVERSAL),
                f"traversal_{key}", f"{name}: latent traversal",
                "Decoded images along each latent feature, the others held at 0.")
        if labels[test].notna().sum() >= 10:
            fig, ax = plt.subplots(figsize=(5.5, 4.5))
            plot_latent_scatter(Z[test], labels[test].to_numpy(), dims=dims, ax=ax)
            ax.set_title(f"{name}: held-out galaxies by GZ2 morphology")
            add(fig, f"latent_classes_{key}", f"{name}: latent space vs morphology (held-out)",
                "Held-out clean galaxies coloured by GZ2 class, with 50% and 90% density "
                "contours.")
        real_path = run.path("latents", f"{key}_real.npy")
        real = np.load(real_path) if real_path.is_file() else Z[:0]
        Z_out = np.concatenate([Z[is_ood], real])
        out_labels = np.concatenate([truth[is_ood].to_numpy(dtype=object),
                                     np.full(len(real), "SDSS sample", dtype=object)])
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        plot_outliers_on_latent_map(Z[sets.inliers], Z_out, out_labels, dims=dims, ax=ax)
        ax.set_title(f"{name}: mergers, irregulars and real SDSS galaxies" if len(real)
                     else f"{name}: mergers and irregulars (the SDSS sample is i band "
                          "only)", pad=36)
        add(fig, f"outliers_{key}", f"{name}: outliers and real galaxies on the map",
            "Galaxies never trained on (mergers, irregulars, none of them a training "
            "galaxy) and the bundled real SDSS sample, projected onto the map of the "
            "held-out clean galaxies.")
        prop = next((p for p in ("log_ssfr", "LOGSFRSED") if p in catalog.columns), None)
        if prop is not None and catalog.loc[test, prop].notna().sum() >= 30:
            fig, ax = plt.subplots(figsize=(5.5, 4.5))
            plot_property_map(Z[test], catalog.loc[test, prop].to_numpy(), dims=dims,
                              label=prop, bins=20, ax=ax)
            add(fig, f"property_map_{key}", f"{name}: latent plane vs {prop} (held-out)",
                f"Median {prop} of held-out galaxies in bins of the latent plane.")
        corr_path = run.path("tables", f"correlations_{key}.csv")
        if corr_path.is_file():
            corr = pd.read_csv(corr_path, header=[0, 1], index_col=0)
            fig, ax = plt.subplots(figsize=(2.5 + 1.1 * Z.shape[1], 0.45 * len(corr) + 1.5))
            plot_correlation_table(corr, ax=ax)
            ax.set_title(f"{name}: correlation with properties (held-out)")
            add(fig, f"correlations_{key}", f"{name}: correlation table (held-out)",
                "Pearson r of each latent feature with each property on held-out galaxies "
                "(* p < 0.05).")
        hist_path = run.path("models", f"history_{key}.csv")
        if hist_path.is_file():
            add(plot_training_curves(pd.read_csv(hist_path)), f"training_{key}",
                f"{name}: training curves", "Per-epoch training and validation losses "
                "(the validation galaxies are part of the training split).")
    comp_path = run.path("tables", "model_comparison.csv")
    if comp_path.is_file():
        comp = pd.read_csv(comp_path, index_col=0)
        comp = comp.drop(index=[i for i in comp.index if "MSE" in str(i)])  # other scale
        if not comp.empty:
            fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(comp)), 4))
            plot_model_comparison(comp, ax=ax)
            add(fig, "model_comparison", "Models compared (held-out)",
                "Cross-validated R^2 per property, spiral/elliptical balanced accuracy and "
                "OOD AUROC, per model, on held-out galaxies.")
    _structure_figure(run, stage_dir, add)
    _realism_figure(run, add)
    log(f"wrote {len(figures)} figures")
    return figures, models


def _structure_figure(run, stage_dir, add):
    path = run.path("tables", "latents_vs_structure.csv")
    if not path.is_file():
        return
    corr = pd.read_csv(path, header=[0, 1], index_col=0)
    n_features = corr["r"].shape[1]
    fig, ax = plt.subplots(figsize=(2.5 + 0.9 * n_features, 0.45 * len(corr) + 1.8))
    plot_correlation_table(corr, ax=ax)
    ax.set_title("Spearman r of each latent with statmorph's parameters (held-out)")
    add(fig, "latents_vs_structure")


def _realism_figure(run, add):
    folder = run.path("tables")
    if not (folder / "realism.csv").is_file():
        return
    table = pd.read_csv(folder / "realism.csv", index_col=0)
    measurements = pd.read_csv(folder / "realism_measurements.csv")
    spectra = pd.read_csv(folder / "realism_spectra.csv", index_col=0)
    add(plot_realism(measurements, spectra, table=table), "realism")


#: The report's title.
TITLE = "skgalvae study report"


def make_report(config, run, stage_dir, log):
    """Run stage 4 into ``stage_dir``: the figures, ``report.md`` and ``report.html``.

    The report opens with a summary generated from the numbers, puts the seed's published
    numbers beside this run's, and has one section per question with the models side by
    side (:mod:`._sections`). Every parameter it prints comes from ``run.json`` (recorded
    by the stage that made the data), never from the current command line.
    """
    stage_dir = Path(stage_dir)
    figures, models = _figures(run, stage_dir, log, config)
    infos = [ModelInfo(spec.key, spec.name, spec.decodes, spec.variational,
                       spec.input_bands(config), spec.counterpart) for spec, _ in models]
    data = load_report_data(run, infos, figures)
    header_lines = header(data)
    parts = sections(data)
    (stage_dir / "report.md").write_text(render_markdown(TITLE, header_lines, parts))
    (stage_dir / "report.html").write_text(render_html(TITLE, header_lines, parts))
    log(f"report: {run.path('report.html')}")
    tables = [block.title for section in parts for block in section.blocks
              if isinstance(block, Table)]
    return {"figures": sorted(figures.values()), "tables": tables,
            "sections": [section.id for section in parts]}
