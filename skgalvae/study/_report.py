"""Stage 4 of the study: the figures and the report (``report.md`` and ``report.html``).

Writes ``figures/*.png``, ``report.md`` and ``report.html`` into the stage's staging
folder. Figures and tables show held-out clean galaxies; the header states where the
galaxies come from, how they were selected and split, from ``run.json``.
"""

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
    plot_realism,
    plot_reconstructions,
    plot_training_curves,
)
from ._diagnostics import ACTIVE_STD  # noqa: E402
from ._population import load_stage_data  # noqa: E402
from ._split import CLEAN_CLASSES, study_sets  # noqa: E402
from ._train import load_models  # noqa: E402

#: Traversal values of the figures (and of the latent diagnostics).
_TRAVERSAL = np.linspace(-2, 2, 7)


def _save_figure(fig, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def _figures(run, stage_dir, log):
    """Draw every figure into ``stage_dir``; return ``([(title, path, caption)], models)``.

    Every figure shows held-out clean galaxies (never trained on), outlier sets that
    exclude the training galaxies and the bundled real sample; the training curves are
    the models' own.
    """
    out = run.out
    figdir = Path(stage_dir) / "figures"
    images, catalog = load_stage_data(out)
    sets = study_sets(catalog)
    test = sets.test
    models = load_models(out)
    labels = catalog["morphology"].where(catalog["morphology"].isin(CLEAN_CLASSES), None)
    truth = catalog["class"] if "class" in catalog.columns else catalog["morphology"]
    is_ood = np.zeros(len(catalog), dtype=bool)
    for mask in sets.outliers.values():
        is_ood |= mask
    figures = []

    def add(fig, name, title, caption):
        _save_figure(fig, figdir / f"{name}.png")
        figures.append((title, f"figures/{name}.png", caption))

    raw = np.load(run.path("data", "raw_examples.npy"))
    scaled = np.load(run.path("data", "scaled_examples.npy"))
    if len(raw):
        add(plot_raw_vs_scaled(raw, scaled, n=min(6, len(raw))), "examples",
            "Example images (held-out)", "Raw cutouts of held-out clean galaxies (top) and "
            "after background subtraction, centring, rotation, resizing and asinh scaling "
            "(bottom).")
    for spec, model in models:
        key, name = spec.key, spec.name
        Z = np.load(run.path("latents", f"{key}.npy"))
        dims = (0, 1) if Z.shape[1] >= 2 else (0, 0)
        if hasattr(model, "reconstruct"):
            X = images[test][:8]
            add(plot_reconstructions(X, model.reconstruct(X), n=len(X)),
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
        real = np.load(run.path("latents", f"{key}_real.npy"))
        Z_out = np.concatenate([Z[is_ood], real])
        out_labels = np.concatenate([truth[is_ood].to_numpy(dtype=object),
                                     np.full(len(real), "SDSS sample", dtype=object)])
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        plot_outliers_on_latent_map(Z[sets.inliers], Z_out, out_labels, dims=dims, ax=ax)
        ax.set_title(f"{name}: mergers, irregulars and real SDSS galaxies", pad=36)
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
    log(f"wrote {len(figures)} figures")
    return figures, models


def _number(value, digits=3):
    """``digits`` decimals; small values (reconstruction MSE ~1e-4) in 3 significant."""
    if value != 0 and abs(value) < 0.01:
        return f"{value:.3g}"
    return f"{value:.{digits}f}"


def _md_table(frame, digits=3):
    frame = frame.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" ".join(map(str, c)) for c in frame.columns]
    head = "| | " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|---" * (len(frame.columns) + 1) + "|"
    lines = [head, rule]
    for idx, row in frame.iterrows():
        cells = [_number(v, digits) if isinstance(v, float) else str(v) for v in row]
        lines.append(f"| {idx} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _tables(run, models):
    """Return ``[(title, DataFrame)]`` of the report's tables, read from ``tables/``."""
    folder = run.path("tables")
    titles = [
        ("galaxy_sets", "Galaxy sets", 0),
        ("model_comparison", "Models compared (held-out clean galaxies)", 0),
        ("ood_auroc", "Out-of-distribution AUROC (score_samples; inliers: held-out clean "
                      "galaxies; outliers: never trained on)", 0),
    ]
    per_model = [
        ("latent_diagnostics_{}", "Latent diagnostics, {} (held-out)", 0),
        ("correlations_{}", "Correlations, {} (r, held-out)", "r"),
        ("correlations_{}_train", "Correlations, {} (r, training galaxies)", "r"),
        ("class_distributions_{}", "Class means, {} (held-out)", "mean"),
        ("property_scores_{}", "Cross-validated R^2, {} (CV over held-out galaxies)", "r2"),
        ("ground_truth_recovery_{}", "Ground-truth recovery R^2, {} (held-out)", "r2"),
    ]
    for stem, title, level in per_model:
        titles += [(stem.format(spec.key), title.format(spec.name), level)
                   for spec, _ in models]
    tables = []
    for stem, title, level in titles:
        path = folder / f"{stem}.csv"
        if not path.is_file():
            continue
        frame = pd.read_csv(path, header=[0, 1] if level else 0, index_col=0)
        tables.append((title, frame[level] if level else frame))
    return tables


def _intro(info, models):
    """The report's header, from the parameters recorded in ``run.json``."""
    params = info.get("parameters", {})
    population = info.get("population", {})
    provenance = population.get("provenance", {})
    # the images as stage 1 made them, whatever this stage's command line says
    prep = population.get("preprocessing", {})
    split = population.get("split", {})
    source = provenance.get("source", params.get("source"))
    channels = params.get("channels")
    channels = ",".join(map(str, channels)) if isinstance(channels, list) else channels
    return [
        f"Source: {source}; {population.get('n_galaxies')} galaxies. Selection: "
        f"{population.get('selection')}; {population.get('n_clean')} clean galaxies.",
        f"Split: {population.get('n_train')} clean training galaxies and "
        f"{population.get('n_test')} clean held-out (test) galaxies (test share "
        f"{split.get('test_size')}, seed {split.get('random_state')}, stratified by "
        f"{split.get('stratified_by')}). The models were trained on the training "
        "galaxies only; every table and figure is computed on the held-out galaxies "
        "unless its title says otherwise, and the outlier sets contain no training galaxy.",
        f"Images {prep.get('image_size')}x{prep.get('image_size')}, asinh stretch "
        f"{prep.get('stretch')}; latent_dim {params.get('latent_dim')}; models "
        f"{', '.join(spec.name for spec, _ in models)}; loss {params.get('loss')}; beta "
        f"{params.get('beta')}; channels {channels}; epochs "
        f"{params.get('epochs')}; seed {params.get('seed')}.",
    ]


def _verdict(a, b, *, higher_is_better=True, tol=0.01):
    diff = (a - b) if higher_is_better else (b - a)
    if abs(a - b) < tol * max(abs(b), 1e-12 if not higher_is_better else 1.0):
        return "level with"
    return "ahead of" if diff > 0 else "behind"


def _findings(run, models):
    """Sentences generated from the tables: latent activity, and each model against PCA.

    Nothing here is hand-written about the results, so it cannot disagree with them.
    """
    folder = run.path("tables")
    lines = []
    for spec, _ in models:
        path = folder / f"latent_diagnostics_{spec.key}.csv"
        if not path.is_file():
            continue
        diag = pd.read_csv(path, index_col=0)
        text = (f"{spec.name}: {int(diag['active'].sum())} of {len(diag)} latents active "
                f"(posterior-mean std > {ACTIVE_STD:g} on held-out galaxies; smallest std "
                f"{diag['posterior_mean_std'].min():.2f}")
        if diag["kl_nats"].notna().any():
            text += f", smallest KL {diag['kl_nats'].min():.2f} nats"
        lines.append(text + ").")
    path = folder / "model_comparison.csv"
    if not path.is_file():
        return lines
    comp = pd.read_csv(path, index_col=0)
    base = next((spec.name for spec, _ in models if spec.key == "pca"), None)
    if base is None or base not in comp.columns:
        return lines
    r2_rows = [i for i in comp.index if str(i).startswith("R2 ")]
    compared = False
    for spec, _ in models:
        name = spec.name
        if not spec.decodes or name not in comp.columns:
            continue
        parts = []
        if r2_rows:
            a, b = comp.loc[r2_rows, name].mean(), comp.loc[r2_rows, base].mean()
            parts.append(f"mean CV R^2 over {len(r2_rows)} properties {a:.3f} against "
                         f"{b:.3f} ({_verdict(a, b)} {base})")
        key = "spiral/elliptical bal. acc."
        if key in comp.index and comp.loc[key].notna()[[name, base]].all():
            a, b = comp.loc[key, name], comp.loc[key, base]
            parts.append(f"spiral/elliptical {a:.3f} against {b:.3f} "
                         f"({_verdict(a, b)} {base})")
        key = "reconstruction MSE"
        if key in comp.index and comp.loc[key].notna()[[name, base]].all():
            a, b = comp.loc[key, name], comp.loc[key, base]
            parts.append(f"reconstruction MSE {a:.3g} against {b:.3g} "
                         f"({_verdict(a, b, higher_is_better=False)} {base})")
        for key in (i for i in comp.index if str(i).startswith("OOD AUROC ")):
            a, b = comp.loc[key, name], comp.loc[key, base]
            parts.append(f"{key[4:]} {a:.3f} against {b:.3f} ({_verdict(a, b)} {base})")
        if parts:
            lines.append(f"{name} against {base}, on held-out galaxies: "
                         + "; ".join(parts) + ".")
            compared = True
    if compared:
        lines.append("'Level with' means within 0.01 (within 1% for the reconstruction "
                     "MSE); the seed-to-seed spread of these numbers is about 0.02 "
                     "(user guide, 'The default study, three seeds').")
    return lines


#: Columns of the realism table shown in the report.
_REALISM_COLUMNS = ["real", "simulated", "ks_statistic", "ks_pvalue", "wasserstein_iqr",
                    "meets_goal"]


def _realism_section(run, stage_dir):
    """``(markdown lines, html parts)`` of "Is the simulator realistic?", or None.

    Read from the analyse stage's ``realism*.csv`` (written for simulated populations
    only): the table of :func:`~skgalvae.analysis.compare_to_real` and its figure.
    """
    folder = run.path("tables")
    if not (folder / "realism.csv").is_file():
        return None
    table = pd.read_csv(folder / "realism.csv", index_col=0)
    measurements = pd.read_csv(folder / "realism_measurements.csv")
    spectra = pd.read_csv(folder / "realism_spectra.csv", index_col=0)
    notes_path = folder / "realism_notes.txt"
    notes = notes_path.read_text().splitlines() if notes_path.is_file() else []
    shown = table[_REALISM_COLUMNS].astype(object).where(table[_REALISM_COLUMNS].notna(), "")
    rel = "figures/realism.png"
    _save_figure(plot_realism(measurements, spectra, table=table), Path(stage_dir) / rel)
    title = "Is the simulator realistic?"
    intro = (f"The bundled real SDSS sample ({int(table['n_real'].iloc[0])} galaxies) "
             f"against {int(table['n_simulated'].iloc[0])} of the study's simulated "
             "galaxies (seeded subsample), both as the models see them: medians, "
             "two-sample KS statistic and p-value, Wasserstein distance in units of the "
             "real set's interquartile range; for the PCA row the cumulative explained "
             "variance of each set's own components (goals: KS <= 0.2 for each "
             "structural parameter, PCA within 0.05). The user guide's simulator page "
             "lists the known differences.")
    caption = ("Histograms of each statistic, real (black) and simulated (blue), and "
               "the two PCA eigen-spectra.")
    md = ["", f"## {title}", "", intro, "", _md_table(shown),
          *(["", *[f"- {note}" for note in notes]] if notes else []),
          "", f"![{title}]({rel})", "", caption]
    body = [f"<h2>{html.escape(title)}</h2><p>{html.escape(intro)}</p>"
            + shown.to_html(float_format=_number, border=0)
            + ("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
               if notes else "")
            + f"<img src='{rel}' style='max-width:100%'><p>{html.escape(caption)}</p>"]
    return md, body


def _structure_section(run, stage_dir):
    """The "Latents vs structural parameters" section: ``(markdown lines, html)``.

    From the analyse stage's ``latents_vs_structure`` table and note; one line saying
    which extra to install when statmorph was missing there.
    """
    title = "Latents vs structural parameters"
    note_path = run.path("tables", "latents_vs_structure.txt")
    if not note_path.is_file():
        return [], ""
    note = note_path.read_text().strip()
    md = [f"## {title}", "", note]
    body = f"<h2>{html.escape(title)}</h2><p>{html.escape(note)}</p>"
    path = run.path("tables", "latents_vs_structure.csv")
    if path.is_file():
        corr = pd.read_csv(path, header=[0, 1], index_col=0)
        md += ["", _md_table(corr["r"])]
        body += corr["r"].to_html(float_format=_number, border=0)
        n_features = corr["r"].shape[1]
        fig, ax = plt.subplots(figsize=(2.5 + 0.9 * n_features, 0.45 * len(corr) + 1.8))
        plot_correlation_table(corr, ax=ax)
        ax.set_title("Spearman r of each latent with statmorph's parameters (held-out)")
        rel = "figures/latents_vs_structure.png"
        _save_figure(fig, Path(stage_dir) / rel)
        md += ["", f"![{title}]({rel})"]
        body += f"<img src='{rel}' style='max-width:100%'>"
    return md + [""], body


def make_report(config, run, stage_dir, log):
    """Run stage 4 into ``stage_dir``: the figures, ``report.md`` and ``report.html``.

    Every parameter it prints comes from ``run.json`` (recorded by the stage that made
    the data), never from the current command line.
    """
    info = run.read()
    stage_dir = Path(stage_dir)
    figures, models = _figures(run, stage_dir, log)
    tables = _tables(run, models)
    intro = _intro(info, models)
    findings = _findings(run, models)
    md = ["# skgalvae study report", "", *[line + "\n" for line in intro]]
    body = ["<h1>skgalvae study report</h1>",
            *[f"<p>{html.escape(line)}</p>" for line in intro]]
    if findings:
        md += ["## Findings (generated from the tables below)", "",
               *[f"- {line}" for line in findings], ""]
        body.append("<h2>Findings (generated from the tables below)</h2><ul>"
                    + "".join(f"<li>{html.escape(line)}</li>" for line in findings)
                    + "</ul>")
    structure_md, structure_html = _structure_section(run, stage_dir)
    md += structure_md
    body.append(structure_html)
    md.append("## Tables")
    body.append("<h2>Tables</h2>")
    for title, frame in tables:
        md += ["", f"### {title}", "", _md_table(frame)]
        body.append(f"<h3>{html.escape(title)}</h3>"
                    + frame.to_html(float_format=_number, border=0))
    md += ["", "## Figures"]
    body.append("<h2>Figures</h2>")
    for title, rel, caption in figures:
        md += ["", f"### {title}", "", f"![{title}]({rel})", "", caption]
        body.append(f"<h3>{html.escape(title)}</h3><img src='{rel}' style='max-width:100%'>"
                    f"<p>{html.escape(caption)}</p>")
    realism = _realism_section(run, stage_dir)
    if realism is not None:
        md += realism[0]
        body += realism[1]
    (stage_dir / "report.md").write_text("\n".join(md) + "\n")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
             "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}"
             "tr:nth-child(even){background:#f3f3f3}")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>skgalvae study"
            f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>")
    (stage_dir / "report.html").write_text(page)
    log(f"report: {run.path('report.html')}")
    return {"figures": [rel for _, rel, _ in figures], "tables": [t for t, _ in tables]}
