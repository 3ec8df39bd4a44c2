"""Stage 3 of the study: the tables (correlations, classes, CV R^2, OOD, ground truth).

Writes ``<out>/tables/*.csv`` and returns the headline numbers for run.json.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import (
    class_distributions,
    disentanglement_scores,
    ground_truth_recovery,
    latent_correlations,
    ood_auroc_table,
    property_scores,
)
from ..utils._atomic import atomic_path
from ._population import (
    CLEAN_CLASSES,
    GZ2_ANSWERS,
    PROPERTIES,
    load_stage_data,
    split_population,
)
from ._train import file_key, load_models

#: Simulator ground truth used for the recovery and disentanglement tables.
TRUTH = ("bulge_fraction", "half_light_radius_arcsec", "axis_ratio")


def _save(frame, path):
    with atomic_path(path) as tmp:
        frame.to_csv(tmp)


def _latents(out, name):
    return np.load(Path(out) / "latents" / f"{file_key(name)}.npy")


def correlation_columns(catalog):
    """Return ``(properties, {GZ2 column: label})`` present in ``catalog``."""
    properties = [p for p in PROPERTIES if p in catalog.columns
                  and catalog[p].notna().sum() >= 10]
    answers = {f"{answer}_debiased": label for answer, label in GZ2_ANSWERS.items()
               if f"{answer}_debiased" in catalog.columns}
    return properties, answers


def analyse(config, log):
    """Run stage 3 and return its headline numbers for run.json."""
    out = Path(config["out"])
    tables = out / "tables"
    images, catalog = load_stage_data(out)
    clean, outliers = split_population(images, catalog)
    cat = catalog[clean].reset_index(drop=True)
    models = load_models(out)
    properties, answers = correlation_columns(cat)
    seed = config["seed"]
    headline = {}
    for name, model in models.items():
        Z = _latents(out, name)[clean]
        key = file_key(name)
        names = list(model.get_feature_names_out())
        result = {}
        if properties or answers:
            columns = properties + list(answers)
            corr = latent_correlations(Z, cat, columns=columns, n_bootstrap=200,
                                       feature_names=names, random_state=seed)
            corr = corr.rename(index=answers)
            _save(corr, tables / f"correlations_{key}.csv")
            r = corr["r"]
            result["max_abs_r"] = {p: float(r.loc[p].abs().max()) for p in properties}
        labels = cat["morphology"].where(cat["morphology"].isin(CLEAN_CLASSES))
        labels = labels.where(labels != "uncertain")  # separability: spiral vs elliptical
        if labels.notna().sum() >= 10 and labels.nunique() == 2:
            classes = class_distributions(Z, cat["morphology"].where(
                cat["morphology"].isin(CLEAN_CLASSES)), feature_names=names,
                random_state=seed)
            _save(classes.summary, tables / f"class_distributions_{key}.csv")
            sep = class_distributions(Z, labels, random_state=seed)
            result["spiral_vs_elliptical_balanced_accuracy"] = float(sep.balanced_accuracy)
        if properties:
            scores = property_scores(Z, None, cat, properties, cv=5, random_state=seed)
            _save(scores, tables / f"property_scores_{key}.csv")
            best = scores["r2"].max(axis=1)
            result["cv_r2"] = {p: float(best[p]) for p in properties}
        if all(t in cat.columns for t in TRUTH):
            truth = ground_truth_recovery(Z, cat, random_state=seed)
            _save(truth, tables / f"ground_truth_recovery_{key}.csv")
            dis = disentanglement_scores(Z, cat[list(TRUTH)], random_state=seed)
            result["mig"] = float(dis.mig)
            result["dci_informativeness"] = float(dis.dci_informativeness)
            _save(dis.mutual_info, tables / f"mutual_info_{key}.csv")
        headline[name] = result
        log(f"analysed {name}: " + ", ".join(
            f"{k}={v:.3f}" for k, v in result.items() if isinstance(v, float)))
    if outliers:
        auroc = ood_auroc_table(models, images[clean], outliers)
        _save(auroc, tables / "ood_auroc.csv")
        for name in models:
            headline[name]["ood_auroc"] = {k: float(v) for k, v in auroc[name].items()}
    table = comparison_table(headline, properties)
    _save(table, tables / "model_comparison.csv")
    return headline


def comparison_table(headline, properties):
    """Metrics (rows) x models (columns): CV R^2 per property, separability, OOD AUROC."""
    rows = {}
    for name, result in headline.items():
        col = {}
        for p in properties:
            if p in result.get("cv_r2", {}):
                col[f"R2 {p}"] = result["cv_r2"][p]
        if "spiral_vs_elliptical_balanced_accuracy" in result:
            col["spiral/elliptical bal. acc."] = result["spiral_vs_elliptical_balanced_accuracy"]
        for outlier, value in result.get("ood_auroc", {}).items():
            col[f"OOD AUROC {outlier}"] = value
        rows[name] = col
    return pd.DataFrame(rows)
