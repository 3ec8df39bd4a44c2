"""The report's header and sections, built from :class:`~._report_data.ReportData`.

One section per question (morphology, properties, structural parameters, outliers,
reconstructions and traversals, training, realism), each with the models side by side;
a section whose inputs are missing says so in one line. The header says where the
galaxies come from, how they were selected, how many are held out and which numbers are
on held-out galaxies.
"""

import numpy as np
import pandas as pd

from ._document import (
    CONTAINS_ZERO,
    Bullets,
    FigureRow,
    Note,
    Paragraph,
    Section,
    Table,
    interval_cell,
    link,
    number,
)
from ._seed_table import SEED_SOURCE, seed_class_means, seed_correlation_rows
from ._split import CLEAN_CLASSES
from ._summary import ACCURACY, best_r2, findings, pair_columns, signed

#: ``provenance["source"]`` of the bundled sample (see ``_population.load_population``).
SAMPLE_SOURCE = "bundled SDSS i-band sample"


def _feature(k):
    return f"Feat. {k + 1}"


# ------------------------------------------------------------------------------ header


def source_sentence(info):
    """Where the galaxies came from, from ``run.json``."""
    population = info.get("population", {})
    provenance = population.get("provenance", {})
    source = provenance.get("source", info.get("parameters", {}).get("source"))
    n = population.get("n_galaxies")
    if source == "simulated":
        preset = provenance.get("preset")
        tuned = (f", preset={preset!r}: the observing conditions and disc population "
                 "tuned to the bundled real SDSS cutouts" if preset else "")
        return (f"Source: {n} galaxies simulated with skgalvae.datasets.make_galaxies "
                f"(GalSim, seed {provenance.get('random_state')}{tuned}), with simulated "
                "Galaxy Zoo 2 votes and properties.")
    if source == SAMPLE_SOURCE:
        return (f"Source: the {n} real SDSS i-band cutouts bundled with skgalvae "
                "(skgalvae.datasets.load_sdss_sample).")
    return f"Source: {n} galaxies from the FITS files of {source}."


def selection_sentence(info):
    """How the galaxies were selected: by their GZ2 votes, or not at all."""
    population = info.get("population", {})
    selection = population.get("selection") or "none"
    n, n_clean = population.get("n_galaxies"), population.get("n_clean")
    if selection.startswith("none"):
        return (f"No selection: the source has no votes; all {n} galaxies are used and "
                "none has a morphology label.")
    source = population.get("provenance", {}).get("source")
    whose = "their simulated" if source == "simulated" else "their"
    return (f"Selection: {n_clean} of {n} galaxies kept by {whose} Galaxy Zoo 2 votes "
            f"({selection}).")


def held_out_sentences(info, *, realism=False):
    """How many galaxies are held out, and which numbers are computed on them."""
    population = info.get("population", {})
    split = population.get("split", {})
    n_test, n_train = population.get("n_test"), population.get("n_train")
    unselected = (population.get("selection") or "none").startswith("none")
    pool = (f"the {population.get('n_clean')} galaxies" if unselected
            else f"the {population.get('n_clean')} clean galaxies")
    stratified = split.get("stratified_by")
    how = ("unstratified, there are no labels" if unselected or str(stratified).startswith(
        "none") else f"stratified by {stratified}")
    exceptions = ["the training curves and the training table (the models' own losses on "
                  "their training and validation galaxies)"]
    if realism:
        exceptions.append("the realism check (a seeded subsample of the whole simulated "
                          "population against the bundled real sample)")
    return [
        f"Held out: {n_test} of {pool} (test share {split.get('test_size')}, seed "
        f"{split.get('random_state')}, {how}); the models were trained on the other "
        f"{n_train} only.",
        f"Every table and figure is computed on the {n_test} held-out galaxies (the "
        "outlier sets and the bundled real sample hold no training galaxy), except "
        + " and ".join(exceptions) + ", which say so.",
    ]


def settings_sentence(info, model_names):
    params = info.get("parameters", {})
    prep = info.get("population", {}).get("preprocessing", {})
    channels = params.get("channels")
    channels = ",".join(map(str, channels)) if isinstance(channels, list) else channels
    return (f"Images {prep.get('image_size')}x{prep.get('image_size')}, asinh stretch "
            f"{prep.get('stretch')}; latent_dim {params.get('latent_dim')}; models "
            f"{', '.join(model_names)}; loss {params.get('loss')}; beta "
            f"{params.get('beta')}; channels {channels}; epochs {params.get('epochs')}; "
            f"seed {params.get('seed')}. Feat. k is a model's k-th latent (column k - 1 of "
            "its tables/*.csv).")


def bands_sentence(data):
    """Which bands each model saw (None for a one-band study)."""
    bands = data.study_bands
    if len(bands) == 1:
        return None
    shape = data.population.get("image_shape")
    own = [m.name for m in data.models if m.bands == bands]
    alone = [m.name for m in data.models if m.bands == "i" and m.bands != bands]
    text = (f"Bands: {', '.join(bands)} (images {'x'.join(map(str, shape or []))}, one "
            "geometry per galaxy measured on the i band, one intensity scale for all bands, "
            "which keeps the colours; drawn as Lupton et al. 2004 colour composites); "
            f"{', '.join(own) or 'no model'} fitted on them")
    if alone:
        text += (f"; {', '.join(alone)} on the i band alone of the same galaxies (the same "
                 "split), preprocessed as a one-band study's")
    text += (". The structural parameters, the realism check and the bundled real SDSS "
             "sample use the i band only" if "i" in bands else
             ". Without an i band there are no structural parameters, realism check or "
             "real SDSS sample (i band only)")
    return text + "."


def header(data):
    """The header's sentences: source, selection, held-out count, settings (bands)."""
    lines = [source_sentence(data.info), selection_sentence(data.info),
             *held_out_sentences(data.info, realism=data.realism is not None),
             settings_sentence(data.info, [m.name for m in data.models]),
             bands_sentence(data)]
    return [line for line in lines if line]


# ------------------------------------------------------------------------------ tables


def _text_frame(cells, index, columns, index_name):
    frame = pd.DataFrame(cells, index=pd.Index(index, name=index_name), columns=columns)
    return frame


def _model_columns(data, tables):
    """``[(model name, latent position)]`` of ``tables`` ``{name: table with "r"}``."""
    columns = []
    for model in data.models:
        table = tables.get(model.name)
        if table is None:
            continue
        columns += [(model.name, k) for k in range(table["r"].shape[1])]
    return columns


def correlation_table(data, rows, *, id, title, caption):
    """r [95% interval] of each latent with each row, models side by side; or None."""
    columns = _model_columns(data, data.correlations)
    if not rows or not columns:
        return None
    cells, flags = [], []
    for row in rows:
        line, flag = [], []
        for name, k in columns:
            corr = data.correlations[name]
            if row not in corr.index:
                line.append("n/a")
                flag.append(False)
                continue
            r = float(corr["r"].loc[row].iloc[k])
            low = float(corr["ci_low"].loc[row].iloc[k])
            high = float(corr["ci_high"].loc[row].iloc[k])
            text, zero = interval_cell(r, low, high)
            line.append(text)
            flag.append(zero)
        cells.append(line)
        flags.append(flag)
    index = pd.MultiIndex.from_tuples([(n, _feature(k)) for n, k in columns])
    frame = _text_frame(cells, rows, index, "property")
    flagged = pd.DataFrame(flags, index=frame.index, columns=index)
    return Table(id, title, frame, caption, flagged)


CORRELATION_CAPTION = (
    "Pearson r of each latent with each quantity on the held-out galaxies, with its 95% "
    f"paired-bootstrap interval (200 resamples); {CONTAINS_ZERO} and grey: the interval "
    "contains 0, so that r is not distinguishable from no correlation. Latent signs are "
    "arbitrary: read |r|.")


def _scores_table(data, tables, *, id, title, caption, index_name):
    names = [m.name for m in data.models if m.name in tables]
    if not names:
        return None
    best = {name: best_r2(tables[name]) for name in names}
    rows = list(dict.fromkeys(p for name in names for p in best[name]))
    if not rows:
        return None
    cells, flags = [], []
    for prop in rows:
        line, flag = [], []
        for name in names:
            value = best[name].get(prop)
            if value is None:
                line.append("n/a")
                flag.append(False)
                continue
            r2, std, _ = value
            line.append(f"{r2:.2f} ± {std:.2f}")
            flag.append(r2 - std <= 0)
        cells.append(line)
        flags.append(flag)
    frame = _text_frame(cells, rows, names, index_name)
    return Table(id, title, frame, caption, pd.DataFrame(flags, index=rows, columns=names))


def _metric_table(values, *, id, title, caption, index_name, column, digits=2):
    """A one-column table ``{row: value}`` (NaN dropped), or None when empty."""
    values = {k: v for k, v in values.items() if v is not None and not np.isnan(v)}
    if not values:
        return None
    frame = _text_frame([[number(v, digits)] for v in values.values()], list(values),
                        [column], index_name)
    return Table(id, title, frame, caption)


def _comparison_row(data, metric):
    comp = data.comparison
    if comp is None or metric not in comp.index:
        return {}
    return {name: float(v) for name, v in comp.loc[metric].items()}


def _figure_row(data, stem, *, id, title, caption):
    figures = [(m.name, data.figures[f"{stem}_{m.key}"]) for m in data.models
               if f"{stem}_{m.key}" in data.figures]
    return FigureRow(id, title, figures, caption) if figures else None


def _keep(*blocks):
    return [b for b in blocks if b is not None]


# ---------------------------------------------------------------------------- sections


def summary_section(data):
    blocks = [Paragraph(f"Generated from the tables of this report, on the {data.n_test} "
                        "held-out galaxies; each sentence links to its table or figure."),
              Bullets(findings(data), id="findings")]
    comp = data.comparison
    if comp is not None:
        digits = {i: (3 if "MSE" in str(i) else 2) for i in comp.index}
        cells = [[number(v, digits[i]) for v in comp.loc[i]] for i in comp.index]
        frame = _text_frame(cells, list(comp.index), list(comp.columns), "metric")
        blocks.append(Table("tab-comparison", "Models compared (held-out galaxies)", frame,
                            "Cross-validated R^2 per property (the better of a linear model "
                            "and gradient boosting, 5-fold CV over held-out galaxies), "
                            "spiral/elliptical balanced accuracy, reconstruction MSE (lower "
                            "is better) and OOD AUROC, one column per model."))
    else:
        blocks.append(Note("No model comparison: the analyse stage wrote no metric."))
    if "model_comparison" in data.figures:
        blocks.append(FigureRow("fig-comparison", "Models compared", [
            ("all models", data.figures["model_comparison"])],
            "The table above as bars (without the MSE, on another scale): look for the "
            "model whose bars are highest across the properties."))
    return Section("summary", "Summary", blocks)


def seed_section(data):
    rows = seed_correlation_rows(data.correlations)
    matched = [r for r in rows if r["column"] is not None]
    intro = Paragraph(
        f"The seed's published numbers, from {SEED_SOURCE}, beside this run's on held-out "
        "galaxies. Sign convention: latent signs and order are arbitrary, so the table "
        "compares absolute values, the largest |r| over the seed's two features against "
        "the largest |r| over each model's latents (with the 95% interval of that |r|); "
        "the class means compare |mean(spiral) - mean(elliptical)| on the latent that "
        "separates the two most.")
    blocks = [intro]
    if not matched:
        blocks.append(Note("None of the seed's properties or GZ2 answers is in this "
                           "catalog: there is nothing to compare its correlations with."))
    else:
        names = [m.name for m in data.models if m.name in data.correlations]
        columns = ["this run's column", "seed |r|", *[f"{n} |r|" for n in names]]
        cells, flags = [], []
        for row in rows:
            line = [row["column"] or "not in this catalog",
                    f"{row['seed']:.2f} ({row['seed_feature']})"]
            flag = [False, False]
            for name in names:
                value = row["ours"].get(name)
                if value is None:
                    line.append("—")
                    flag.append(False)
                    continue
                r, low, high, _ = value
                zero = not np.isnan(low) and low == 0.0
                text = (f"{r:.2f}" if np.isnan(low) else
                        f"{r:.2f} [{low:.2f}, {high:.2f}]" + (CONTAINS_ZERO if zero else ""))
                line.append(text)
                flag.append(zero)
            cells.append(line)
            flags.append(flag)
        labels = [r["label"] for r in rows]
        frame = _text_frame(cells, labels, columns, "seed quantity")
        blocks.append(Table(
            "tab-seed-correlations", "Correlations: the seed beside this run (|r|)", frame,
            "Matched by property: each seed row against the column of this run's catalog "
            "that holds the same quantity (the simulator has one age, metallicity and "
            "velocity dispersion, so the seed's SSP and exp-SFH rows meet the same column). "
            f"{CONTAINS_ZERO} and grey: the interval of r contains 0.",
            pd.DataFrame(flags, index=frame.index, columns=columns)))
    means = seed_class_means(data.classes)
    if means is None:
        blocks.append(Note("No class means to compare: this run has no spiral and "
                           "elliptical labels."))
    else:
        frame = means.map(number)
        blocks.append(Table(
            "tab-seed-classes", "Class means: the seed beside this run", frame,
            "Mean latent value of each GZ2 class on held-out galaxies; for each model its "
            "latent with the largest |spiral - elliptical|, the sign-free row to compare. "
            "Values are in each model's own units: the seed's and the VAE's latents have an "
            "N(0, 1) prior, PCA's are pixel-intensity units."))
    return Section("seed", "The seed beside this run", blocks)


def morphology_section(data):
    if not data.classes:
        return Section("morphology", "Morphology: spirals and ellipticals", [Note(
            "Not measured: no galaxy has a spiral or elliptical label (the source has no "
            "Galaxy Zoo 2 votes, or too few labelled held-out galaxies).")])
    blocks = [_metric_table(
        _comparison_row(data, ACCURACY), id="tab-accuracy",
        title="Spiral/elliptical separation (held-out)", index_name="model",
        column="balanced accuracy",
        caption="Balanced accuracy of a cross-validated classifier of spiral against "
                "elliptical from the latents, on held-out galaxies (0.5 is chance).")]
    columns, cells = [], []
    classes = [c for c in CLEAN_CLASSES
               if any(c in t.index for t in data.classes.values())]
    for model in data.models:
        table = data.classes.get(model.name)
        if table is None:
            continue
        columns += [(model.name, _feature(k)) for k in range(table["mean"].shape[1])]
    for cls in classes:
        line = []
        for model in data.models:
            table = data.classes.get(model.name)
            if table is None:
                continue
            for k in range(table["mean"].shape[1]):
                if cls not in table.index:
                    line.append("n/a")
                    continue
                mean = float(table["mean"].loc[cls].iloc[k])
                std = float(table["std"].loc[cls].iloc[k])
                line.append(f"{mean:.2f} ± {number(std)}")
        cells.append(line)
    first = next(iter(data.classes.values()))
    counts = ", ".join(f"{c} {int(first['n'].loc[c].iloc[0])}" for c in classes
                       if c in first.index)
    blocks.append(Table(
        "tab-class-means", "Class means of each latent (held-out)",
        _text_frame(cells, classes, pd.MultiIndex.from_tuples(columns), "class"),
        f"Mean ± std of each latent per GZ2 class on held-out galaxies ({counts}). Look "
        "for a latent whose spiral and elliptical means differ by more than their stds."))
    blocks.append(correlation_table(
        data, data.answer_rows(), id="tab-gz2-correlations",
        title="Correlations with the GZ2 answers (held-out)",
        caption=CORRELATION_CAPTION + " The seed's are in " + link(
            "its table", "tab-seed-correlations") + "."))
    blocks.append(_figure_row(
        data, "latent_classes", id="fig-latent-classes",
        title="Latent space by GZ2 class (held-out)",
        caption="Held-out galaxies coloured by GZ2 class, with 50% and 90% density "
                "contours. Look for spirals and ellipticals in separate regions; "
                "overlapping contours mean the two latents shown do not separate them."))
    return Section("morphology", "Morphology: spirals and ellipticals", _keep(*blocks))


def properties_section(data):
    rows = data.property_rows()
    if not rows and not data.scores:
        return Section("properties", "Physical properties", [Note(
            "Not measured: the catalog has no physical property (size, velocity "
            "dispersion, age, metallicity, sSFR, stellar mass).")])
    blocks = [_scores_table(
        data, data.scores, id="tab-cv-r2", title="Cross-validated R^2 (held-out)",
        index_name="property",
        caption="R^2 of each property predicted from the latents (the better of a linear "
                "model and gradient boosting) in 5-fold CV over held-out galaxies, ± its "
                "std over the folds; grey: R^2 minus that std at or below 0, not "
                "predicted. 1 is perfect, 0 is no better than the mean."),
        correlation_table(data, rows, id="tab-property-correlations",
                          title="Correlations with the properties (held-out)",
                          caption=CORRELATION_CAPTION + " The same correlations on the "
                          "training galaxies are in tables/correlations_<key>_train.csv."),
        _scores_table(
            data, data.truth, id="tab-ground-truth",
            title="Ground-truth recovery R^2 (simulated, held-out)", index_name="truth",
            caption="R^2 of the simulator's true parameters predicted from the latents, "
                    "as above: how much of what made each image the latents keep."),
        _figure_row(data, "property_map", id="fig-property-maps",
                    title="Latent plane vs star formation (held-out)",
                    caption="Median property of the held-out galaxies in bins of the "
                            "latent plane. Look for a smooth gradient across the plane "
                            "(the seed saw sSFR rise with Feat. 2)."),
        _figure_row(data, "correlations", id="fig-correlation-heatmaps",
                    title="Correlation heatmaps (held-out)",
                    caption="The correlation tables as heatmaps (* p < 0.05). Look for "
                            "dark cells: |r| near 1.")]
    return Section("properties", "Physical properties", _keep(*blocks))


def _structure_table(data):
    table = data.structure
    if table is None:
        return None
    labels = list(table["r"].columns)
    columns, keep = [], []
    for model in data.models:
        mine = [c for c in labels if str(c).startswith(f"{model.name} ")]
        columns += [(model.name, _feature(k)) for k in range(len(mine))]
        keep += mine
    if not keep:
        return None
    cells, flags = [], []
    for row in table.index:
        line, flag = [], []
        for c in keep:
            text, zero = interval_cell(float(table[("r", c)].loc[row]),
                                       float(table[("ci_low", c)].loc[row]),
                                       float(table[("ci_high", c)].loc[row]))
            line.append(text)
            flag.append(zero)
        cells.append(line)
        flags.append(flag)
    index = pd.MultiIndex.from_tuples(columns)
    frame = _text_frame(cells, list(table.index), index, "parameter")
    return Table("tab-structure", "Spearman r with statmorph's parameters (held-out)", frame,
                 CORRELATION_CAPTION.replace("Pearson", "Spearman"),
                 pd.DataFrame(flags, index=frame.index, columns=index))


def structure_section(data):
    title = "Latents vs structural parameters"
    if data.structure_note is None:
        return Section("structure", title, [Note("Not measured by the analyse stage.")])
    blocks = [Paragraph(data.structure_note), _structure_table(data)]
    if "latents_vs_structure" in data.figures:
        blocks.append(FigureRow("fig-structure", "Spearman r with statmorph's parameters",
                                [("all models", data.figures["latents_vs_structure"])],
                                "Look for latents that track the size (r20, r50, r80) or the "
                                "concentration and Sersic index."))
    if data.structure is None:
        blocks[0] = Note(data.structure_note)
    return Section("structure", title, _keep(*blocks))


def outliers_section(data):
    blocks = []
    if data.ood is None or data.ood.empty:
        blocks.append(Note("No outlier set: fewer than 5 mergers or irregulars (by the truth "
                           "class, else by GZ2 morphology) outside the training set."))
    else:
        ood = data.ood
        cells = [[number(v) for v in ood.loc[i]] for i in ood.index]
        blocks.append(Table(
            "tab-ood", "Out-of-distribution AUROC (held-out inliers)",
            _text_frame(cells, list(ood.index), list(ood.columns), "outliers"),
            "AUROC of telling each outlier set (never trained on) from the held-out clean "
            "galaxies by each model's score_samples: 1 is perfect, 0.5 is chance."))
    blocks.append(_figure_row(
        data, "outliers", id="fig-outliers",
        title="Outliers and real galaxies on the latent map",
        caption="Galaxies never trained on (mergers, irregulars) and the bundled real SDSS "
                "sample projected onto the map of the held-out clean galaxies. Look for "
                "outliers outside the clean galaxies' contours, and for real galaxies "
                "inside them (a realistic simulator)." + (
                    "" if len(data.study_bands) == 1 else
                    " The real sample has the i band only: only the models of the i band "
                    "project it.")))
    return Section("outliers", "Outliers", _keep(*blocks))


def reconstructions_section(data):
    blocks = []
    if "examples" in data.figures:
        blocks.append(FigureRow("fig-examples", "Example images (held-out)",
                                [("raw and preprocessed", data.figures["examples"])],
                                "Raw cutouts (top) and after background subtraction, "
                                "centring, rotation, resizing and asinh scaling (bottom): "
                                "what the models see."))
    blocks.append(_metric_table(
        _comparison_row(data, "reconstruction MSE"), id="tab-reconstruction",
        title="Reconstruction error (held-out)", index_name="model",
        column="mean squared error", digits=3,
        caption="Mean squared pixel error of each model's reconstructions of the held-out "
                "images (lower is better)."))
    blocks.append(_figure_row(
        data, "reconstructions", id="fig-reconstructions",
        title="Reconstructions (held-out)",
        caption="Held-out inputs (top) and reconstructions (bottom). Look for lost "
                "features: blurred discs, missing arms, wrong sizes."))
    blocks.append(_figure_row(
        data, "eigengalaxies", id="fig-eigengalaxies", title="Eigengalaxies",
        caption="PCA's components as images, with the variance each explains: the first "
                "ones carry size and concentration, later ones elongation and detail."))
    traversals = _figure_row(
        data, "traversal", id="fig-traversals", title="Latent traversals",
        caption="Decoded images along each latent from -2 to 2, the others at 0. Look for "
                "each row changing one thing (size, bulge, elongation); a row that does not "
                "change is a collapsed latent.")
    blocks.append(traversals if traversals is not None else Note(
        "No latent traversal: no decoding model with at least 2 latents was trained."))
    return Section("reconstructions", "Reconstructions and traversals", _keep(*blocks))


def _activity_table(data):
    rows, cells = [], []
    for model in data.models:
        diag = data.diagnostics.get(model.name)
        if diag is None:
            continue
        for k, (_, row) in enumerate(diag.iterrows()):
            rows.append(f"{model.name} {_feature(k)}")
            cells.append([number(row["posterior_mean_std"]), number(row["kl_nats"]),
                          "yes" if bool(row["active"]) else "no (collapsed)",
                          number(row["traversal_effect_relative"])])
    if not rows:
        return None
    frame = _text_frame(cells, rows, ["posterior-mean std", "KL (nats)", "active",
                                      "traversal effect (relative)"], "latent")
    return Table("tab-latent-activity", "Latent activity (held-out)", frame,
                 "Per latent of each decoding model: the std over held-out galaxies of its "
                 "posterior mean (active above 0.1), its mean KL to the prior (VAE only) and "
                 "how much its traversal changes the image, relative to the largest. A "
                 "collapsed latent has std and KL near 0.")


def training_section(data):
    runs = data.info.get("models", {})
    rows, cells = [], []
    for model in data.models:
        run = runs.get(model.name)
        if not run:
            continue
        rows.append(model.name)
        cells.append([str(run.get("n_train", "n/a")), str(run.get("n_epochs", "—")),
                      number(run.get("fit_seconds")), str(run.get("device", "—"))])
    blocks = [_activity_table(data)]
    if rows:
        blocks.append(Table(
            "tab-training", "Training runs (training galaxies)",
            _text_frame(cells, rows, ["galaxies", "epochs", "seconds", "device"], "model"),
            "Each model was fitted on the clean training galaxies only; the neural models "
            "stop early when the validation loss (on part of the training split) stops "
            "improving."))
    blocks.append(_figure_row(
        data, "training", id="fig-training", title="Training curves (training galaxies)",
        caption="Per-epoch training and validation losses and, for the VAE, the KL per "
                "latent. Look for the validation loss flattening without rising "
                "(overfitting) and for a KL line at 0 (a collapsed latent)."))
    return Section("training", "Training", _keep(*blocks))


#: Columns of the realism table shown in the report.
REALISM_COLUMNS = ["real", "simulated", "ks_statistic", "ks_pvalue", "wasserstein_iqr",
                   "meets_goal"]


def realism_section(data):
    title = "Is the simulator realistic?"
    table = data.realism
    if table is None:
        return Section("realism", title, [Note(
            "Not measured: the population is not simulated (the check compares simulated "
            "galaxies with the bundled real SDSS sample).")])
    shown = table[[c for c in REALISM_COLUMNS if c in table.columns]]
    cells = [[("—" if isinstance(v, float) and np.isnan(v) else number(v, 3))
              for v in shown.loc[i]] for i in shown.index]
    blocks = [
        Paragraph(
            f"The bundled real SDSS sample ({int(table['n_real'].iloc[0])} galaxies) "
            f"against {int(table['n_simulated'].iloc[0])} of the study's simulated "
            "galaxies (a seeded subsample of the whole population), both as the models "
            "see them" + ("" if len(data.study_bands) == 1 else
                          ", on the i band alone (the real sample has no other band)")
            + ". Goals: KS <= 0.2 for each structural parameter, PCA within 0.05; the "
            "user guide's simulator page says what differs and how "
            "make_galaxies(preset='sdss') narrows it."),
        Table("tab-realism", "Real against simulated", _text_frame(
            cells, list(shown.index), list(shown.columns), "statistic"),
            "Medians, two-sample KS statistic and p-value, Wasserstein distance in units "
            "of the real set's interquartile range; for the PCA rows the cumulative "
            "explained variance of each set's own components, at the same number of "
            "galaxies (the larger set's the mean over random subsets of the smaller "
            "set's size)."),
    ]
    if data.realism_notes:
        blocks.append(Bullets(list(data.realism_notes)))
    if "realism" in data.figures:
        blocks.append(FigureRow("fig-realism", "Real (black) and simulated (blue)",
                                [("histograms and eigen-spectra", data.figures["realism"])],
                                "Histograms of each statistic and the two PCA "
                                "eigen-spectra. Look for histograms that overlap."))
    return Section("realism", title, blocks)


def bands_section(data):
    """Each model on the study's bands beside the same model on the i band alone.

    None unless the i-only arm was trained (``bands_comparison.csv``).
    """
    table = data.bands
    if table is None:
        return None
    bands = data.study_bands
    heads = pair_columns(bands)
    columns, cells = [], [[] for _ in table.index]
    for pair in dict.fromkeys(c[0] for c in table.columns):
        for part in ("bands", "i", "difference"):
            columns.append((pair, heads[part]))
            for row, value in zip(cells, table[(pair, part)], strict=True):
                row.append(signed(value) if part == "difference" else number(value))
    frame = _text_frame(cells, list(table.index), pd.MultiIndex.from_tuples(columns),
                        "metric")
    blocks = [
        Paragraph(
            f"Each model fitted on the {', '.join(bands)} images beside the same model "
            "fitted on the i band alone of the same galaxies: the same training galaxies, "
            "the same held-out galaxies, the same settings; only the input differs. Colour "
            "traces star formation and stellar age, which the i band alone sees only "
            "through the galaxies' shapes. The images of both are side by side in "
            f"{link('the reconstructions', 'fig-reconstructions')} (Lupton et al. 2004 "
            "colour composites, the bluest band blue; greyscale for the i band)."),
        Table("tab-bands", f"{bands} against i alone (held-out)", frame,
              "Cross-validated R^2 of each property (the better of a linear model and "
              "gradient boosting, 5-fold CV over held-out galaxies) and spiral/elliptical "
              f"balanced accuracy, per model on {bands} and on i, and the difference "
              f"({heads['difference']}; positive: colour helps). The seed-to-seed spread "
              "of these numbers is about 0.02.", transpose=False)]
    return Section("bands", f"Colour: {bands} against the i band alone", _keep(*blocks))


def sections(data):
    """Every section of the report, in order (the bands section only with an i-only arm)."""
    parts = [summary_section(data), bands_section(data), seed_section(data),
             morphology_section(data), properties_section(data), structure_section(data),
             outliers_section(data), reconstructions_section(data), training_section(data),
             realism_section(data)]
    return [part for part in parts if part is not None]
