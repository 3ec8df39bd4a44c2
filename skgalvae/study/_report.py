"""Stage 4 of the study: the figures and the report (``report.md`` and ``report.html``)."""

import html
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
    plot_reconstructions,
    plot_training_curves,
)
from ..utils._atomic import atomic_path  # noqa: E402
from ._analyse import _latents  # noqa: E402
from ._population import CLEAN_CLASSES, OOD_CLASSES, load_stage_data, split_population  # noqa: E402
from ._train import file_key, load_models  # noqa: E402


def _save_figure(fig, path):
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def _figures(out, log):
    """Draw every figure; return ``([(title, relative path, caption)], models)``."""
    out = Path(out)
    figdir = out / "figures"
    images, catalog = load_stage_data(out)
    clean, _ = split_population(images, catalog)
    models = load_models(out)
    labels = catalog["morphology"].where(catalog["morphology"].isin(CLEAN_CLASSES), None)
    truth = catalog["class"] if "class" in catalog.columns else catalog["morphology"]
    figures = []

    def add(fig, name, title, caption):
        _save_figure(fig, figdir / f"{name}.png")
        figures.append((title, f"figures/{name}.png", caption))

    raw = np.load(out / "data" / "raw_examples.npy")
    scaled = np.load(out / "data" / "scaled_examples.npy")
    if len(raw):
        add(plot_raw_vs_scaled(raw, scaled, n=min(6, len(raw))), "examples",
            "Example images", "Raw cutouts (top) and after background subtraction, "
            "centring, rotation, resizing and asinh scaling (bottom).")
    for name, model in models.items():
        key = file_key(name)
        Z = _latents(out, name)
        dims = (0, 1) if Z.shape[1] >= 2 else (0, 0)
        if hasattr(model, "reconstruct"):
            X = images[clean][:8]
            add(plot_reconstructions(X, model.reconstruct(X), n=len(X)),
                f"reconstructions_{key}", f"{name}: reconstructions",
                "Inputs (top) and their reconstructions (bottom).")
        if name.startswith("PCA") and hasattr(model, "components_as_images"):
            add(plot_eigengalaxies(model.components_as_images(),
                                   model.explained_variance_ratio_),
                f"eigengalaxies_{key}", f"{name}: eigengalaxies",
                "Principal components as images, with the variance each explains.")
        if Z.shape[1] < 2:
            continue
        if name in ("VAE", "AE"):
            grid = latent_traversal(model, dims=list(range(min(Z.shape[1], 4))),
                                    values=np.linspace(-2, 2, 7))
            add(plot_latent_traversal(grid, values=np.linspace(-2, 2, 7)),
                f"traversal_{key}", f"{name}: latent traversal",
                "Decoded images along each latent feature, the others held at 0.")
        if labels[clean].notna().sum() >= 10:
            fig, ax = plt.subplots(figsize=(5.5, 4.5))
            plot_latent_scatter(Z[clean], labels[clean].to_numpy(), dims=dims, ax=ax)
            ax.set_title(f"{name}: latent space by GZ2 morphology")
            add(fig, f"latent_classes_{key}", f"{name}: latent space vs morphology",
                "Clean population coloured by GZ2 class, with 50% and 90% density contours.")
        is_ood = truth.isin(OOD_CLASSES).to_numpy()
        real = np.load(out / "latents" / f"{key}_real.npy")
        Z_out = np.concatenate([Z[is_ood], real])
        out_labels = np.concatenate([truth[is_ood].to_numpy(dtype=object),
                                     np.full(len(real), "SDSS sample", dtype=object)])
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        plot_outliers_on_latent_map(Z[clean], Z_out, out_labels, dims=dims, ax=ax)
        ax.set_title(f"{name}: mergers, irregulars and real SDSS galaxies", pad=36)
        add(fig, f"outliers_{key}", f"{name}: outliers and real galaxies on the map",
            "Galaxies never trained on (mergers, irregulars) and the bundled real SDSS "
            "sample, projected onto the clean population's latent map.")
        prop = next((p for p in ("log_ssfr", "LOGSFRSED") if p in catalog.columns), None)
        if prop is not None and catalog.loc[clean, prop].notna().sum() >= 30:
            fig, ax = plt.subplots(figsize=(5.5, 4.5))
            plot_property_map(Z[clean], catalog.loc[clean, prop].to_numpy(), dims=dims,
                              label=prop, bins=20, ax=ax)
            add(fig, f"property_map_{key}", f"{name}: latent plane vs {prop}",
                f"Median {prop} in bins of the latent plane.")
        corr_path = out / "tables" / f"correlations_{key}.csv"
        if corr_path.is_file():
            corr = pd.read_csv(corr_path, header=[0, 1], index_col=0)
            fig, ax = plt.subplots(figsize=(2.5 + 1.1 * Z.shape[1], 0.45 * len(corr) + 1.5))
            plot_correlation_table(corr, ax=ax)
            ax.set_title(f"{name}: correlation with properties")
            add(fig, f"correlations_{key}", f"{name}: correlation table",
                "Pearson r of each latent feature with each property (* p < 0.05).")
        hist_path = out / "tables" / f"history_{key}.csv"
        if hist_path.is_file():
            add(plot_training_curves(pd.read_csv(hist_path)), f"training_{key}",
                f"{name}: training curves", "Per-epoch training and validation losses.")
    comp_path = out / "tables" / "model_comparison.csv"
    if comp_path.is_file():
        comp = pd.read_csv(comp_path, index_col=0)
        if not comp.empty:
            fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(comp)), 4))
            plot_model_comparison(comp, ax=ax)
            add(fig, "model_comparison", "Models compared",
                "Cross-validated R^2 per property, spiral/elliptical balanced accuracy and "
                "OOD AUROC, per model.")
    log(f"wrote {len(figures)} figures to {figdir}")
    return figures, models


def _md_table(frame, digits=3):
    frame = frame.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" ".join(map(str, c)) for c in frame.columns]
    head = "| | " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|---" * (len(frame.columns) + 1) + "|"
    lines = [head, rule]
    for idx, row in frame.iterrows():
        cells = [f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row]
        lines.append(f"| {idx} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _tables(out):
    """Return ``[(title, DataFrame)]`` of the report's tables."""
    tables = []
    folder = Path(out) / "tables"
    titles = [
        ("model_comparison", "Models compared", 0),
        ("ood_auroc", "Out-of-distribution AUROC (score_samples)", 0),
    ]
    for path in sorted(folder.glob("correlations_*.csv")):
        titles.append((path.stem, f"Correlations, {path.stem[13:]} (r)", "r"))
    for path in sorted(folder.glob("class_distributions_*.csv")):
        titles.append((path.stem, f"Class means, {path.stem[20:]}", "mean"))
    for path in sorted(folder.glob("property_scores_*.csv")):
        titles.append((path.stem, f"Cross-validated R^2, {path.stem[16:]}", "r2"))
    for path in sorted(folder.glob("ground_truth_recovery_*.csv")):
        titles.append((path.stem, f"Ground-truth recovery R^2, {path.stem[22:]}", "r2"))
    for stem, title, level in titles:
        path = folder / f"{stem}.csv"
        if not path.is_file():
            continue
        frame = pd.read_csv(path, header=[0, 1] if level else 0, index_col=0)
        tables.append((title, frame[level] if level else frame))
    return tables


def make_report(config, run_info, log):
    """Run stage 4: write the figures, ``report.md`` and ``report.html``."""
    out = Path(config["out"])
    figures, models = _figures(out, log)
    tables = _tables(out)
    population = run_info.get("population", {})
    # the images as stage 1 made them, whatever this stage's command line says
    prep = {**config, **population.get("preprocessing", {})}
    intro = (
        f"Source: {config['source']}; {population.get('n_galaxies')} "
        f"galaxies, {population.get('n_selected')} selected by Galaxy "
        f"Zoo 2 votes; images {prep['image_size']}x{prep['image_size']}, asinh "
        f"stretch {prep['stretch']}; latent_dim "
        f"{config['latent_dim']}; models {', '.join(models)}; seed {config['seed']}."
    )
    md = ["# skgalvae study report", "", intro, ""]
    body = [f"<h1>skgalvae study report</h1><p>{html.escape(intro)}</p>"]
    md.append("## Tables")
    body.append("<h2>Tables</h2>")
    for title, frame in tables:
        md += ["", f"### {title}", "", _md_table(frame)]
        body.append(f"<h3>{html.escape(title)}</h3>"
                    + frame.to_html(float_format=lambda v: f"{v:.3f}", border=0))
    md += ["", "## Figures"]
    body.append("<h2>Figures</h2>")
    for title, rel, caption in figures:
        md += ["", f"### {title}", "", f"![{title}]({rel})", "", caption]
        body.append(f"<h3>{html.escape(title)}</h3><img src='{rel}' style='max-width:100%'>"
                    f"<p>{html.escape(caption)}</p>")
    with atomic_path(out / "report.md") as tmp:
        tmp.write_text("\n".join(md) + "\n")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
             "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}"
             "tr:nth-child(even){background:#f3f3f3}")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>skgalvae study"
            f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>")
    with atomic_path(out / "report.html") as tmp:
        tmp.write_text(page)
    log(f"report: {out / 'report.html'}")
    return {"figures": [rel for _, rel, _ in figures], "tables": [t for t, _ in tables]}
