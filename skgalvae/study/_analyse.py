"""Stage 3 of the study: the tables, every one on the clean held-out galaxies.

Writes ``tables/*.csv`` and returns the headline numbers for run.json. The models never saw
the held-out galaxies (``split == "test"``): the correlations, class statistics,
cross-validated R^2 (the CV runs over held-out galaxies only), ground-truth recovery,
reconstruction errors, latent diagnostics and OOD inliers all come from them. The
correlations are also given on the training galaxies (``correlations_<key>_train.csv``),
to show how far they carry over.

In a multi-band study each model is analysed with its own images (the reconstructions,
latent diagnostics and OOD scores), while every table of latents is shape-agnostic; the
structural parameters and the realism check are measured on the i band alone (the
one-band images of the i-only arm), as the bundled real sample has the i band only. When
the i-only arm was trained, ``bands_comparison.csv`` puts each model beside its i-only
counterpart.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import (
    STRUCTURAL_PARAMETERS,
    class_distributions,
    compare_to_real,
    disentanglement_scores,
    ground_truth_recovery,
    latent_correlations,
    ood_auroc_table,
    property_scores,
    structural_parameters,
)
from ._diagnostics import latent_diagnostics
from ._population import GZ2_ANSWERS, PROPERTIES, StageImages, images_file, load_stage_data
from ._registry import get_spec, has_i_arm
from ._split import CLEAN_CLASSES, study_sets
from ._train import load_models

#: Simulator ground truth used for the recovery and disentanglement tables.
TRUTH = ("bulge_fraction", "half_light_radius_arcsec", "axis_ratio")
#: Fewest clean held-out galaxies to analyse.
MIN_TEST = 10
#: Most held-out galaxies statmorph measures for ``latents_vs_structure`` (a seeded random
#: subsample beyond): about 0.44 s each at 64x64 on 2 busy cores
#: (benchmarks/bench_structure.py), so about 60 s.
STRUCTURE_MAX_GALAXIES = 100
#: The PSF FWHM assumed for the study's cutouts (SDSS i-band median seeing, the
#: simulator's default) [arcsec], and their raw pixel scale [arcsec / pixel].
STRUCTURE_PSF_FWHM, STRUCTURE_PIXEL_SCALE = 1.3, 0.396


def correlation_columns(catalog):
    """Return ``(properties, {GZ2 column: label})`` present in ``catalog``."""
    properties = [p for p in PROPERTIES if p in catalog.columns
                  and catalog[p].notna().sum() >= 10]
    answers = {f"{answer}_debiased": label for answer, label in GZ2_ANSWERS.items()
               if f"{answer}_debiased" in catalog.columns}
    return properties, answers


def _classes(Z, labels, names, seed, log, what):
    """``class_distributions`` with as many folds as the rarest class allows (max 5)."""
    counts = labels.value_counts()
    if len(counts) < 2 or counts.min() < 2 or labels.notna().sum() < 10:
        log(f"  {what}: too few labelled held-out galaxies ({counts.to_dict()}): skipped")
        return None
    return class_distributions(Z, labels, feature_names=names, cv=int(min(5, counts.min())),
                               random_state=seed)


def galaxy_sets_table(catalog, sets):
    """How many galaxies each set of the study holds, and what it is for."""
    rows = {
        "train": (sets.train, "clean, split == 'train': the only galaxies the models see"),
        "test": (sets.test, "clean, split == 'test': every table and figure"),
        "OOD inliers": (sets.inliers, "held-out clean galaxies not of an outlier class"),
    }
    for name, mask in sets.outliers.items():
        rows[f"OOD {name}"] = (mask, "outliers, never in the training set")
    return pd.DataFrame({"n": {k: int(m.sum()) for k, (m, _) in rows.items()},
                         "role": {k: r for k, (_, r) in rows.items()}}).rename_axis("set")


def measure_structure(X_test, config, log):
    """statmorph on the held-out images: ``(table, positions in the test set, note)``.

    At most :data:`STRUCTURE_MAX_GALAXIES` galaxies (a subsample seeded by the study's
    seed beyond); measured on the preprocessed images (radii in their pixels), with a
    Gaussian PSF of the SDSS seeing scaled to them. Values with ``flag >= 2`` (and Sersic
    values with ``flag_sersic >= 2``) are set to NaN. Without statmorph the table is None
    and the note names the extra to install.
    """
    import time

    from ..utils._optional import import_optional

    try:
        import_optional("statmorph", purpose="the study's latents vs structural parameters")
    except ImportError as exc:
        return None, None, f"skipped: {exc}"
    n = len(X_test)
    side = int(round(np.sqrt(X_test.shape[1])))
    frame = 100 if side <= 100 else 150  # the population stage's crop (or whole frame)
    scale = frame / side  # raw pixels per image pixel
    positions = np.arange(n)
    if n > STRUCTURE_MAX_GALAXIES:
        rng = np.random.default_rng(config["seed"])
        positions = np.sort(rng.choice(n, STRUCTURE_MAX_GALAXIES, replace=False))
    fwhm = STRUCTURE_PSF_FWHM / STRUCTURE_PIXEL_SCALE / scale
    start = time.perf_counter()
    table = structural_parameters(X_test[positions].reshape(-1, side, side), psf=fwhm,
                                  pixel_scale=STRUCTURE_PIXEL_SCALE * scale,
                                  kernel_fwhm=fwhm, n_jobs=config["n_jobs"])
    seconds = time.perf_counter() - start
    bad = table["flag"] >= 2
    table.loc[bad, list(STRUCTURAL_PARAMETERS)] = np.nan
    sersic = [c for c in STRUCTURAL_PARAMETERS if c.startswith("sersic")]
    table.loc[table["flag_sersic"] >= 2, sersic] = np.nan
    what = (f"all {n}" if len(positions) == n else
            f"a random subsample of {len(positions)} (seed {config['seed']}) of the {n}")
    note = (f"statmorph (Rodriguez-Gomez et al. 2019) measured {what} held-out galaxies in "
            f"{seconds:.0f} s, on the preprocessed {side}x{side} images (radii in their "
            f"pixels, {STRUCTURE_PIXEL_SCALE * scale:.3f} arcsec each; Gaussian PSF of "
            f"{STRUCTURE_PSF_FWHM} arcsec FWHM); {int(bad.sum())} with flag >= 2 are left "
            "out (and Sersic fits with flag_sersic >= 2). Spearman r of each latent with "
            "each parameter.")
    log(f"  structural parameters: {len(positions)} held-out galaxies in {seconds:.1f} s, "
        f"{int(bad.sum())} flagged")
    return table, positions, note


def analyse(config, run, stage_dir, log):
    """Run stage 3 into ``stage_dir`` and return its headline numbers for run.json."""
    tables = Path(stage_dir) / "tables"
    tables.mkdir(parents=True)
    images, catalog = load_stage_data(run.out)
    arrays = StageImages(run.out, images)
    sets = study_sets(catalog)
    n_test = int(sets.test.sum())
    if n_test < MIN_TEST:
        msg = (
            f"only {n_test} clean held-out galaxies: at least {MIN_TEST} are needed to "
            "analyse; use more galaxies (--n-galaxies) or a larger --test-size."
        )
        raise ValueError(msg)
    test_cat = catalog[sets.test].reset_index(drop=True)
    train_cat = catalog[sets.train].reset_index(drop=True)
    models = load_models(run.out, config)
    for spec, _ in models:  # read every model's images now: the loops below share them
        arrays.of(spec, config)
    images_i = i_band_images(config, arrays)
    properties, answers = correlation_columns(test_cat)
    seed = config["seed"]
    galaxy_sets_table(catalog, sets).to_csv(tables / "galaxy_sets.csv")
    log(f"analysing on {n_test} clean held-out galaxies (trained on {int(sets.train.sum())})")
    headline = {}
    if images_i is None:
        structure, structure_rows = None, None
        structure_note = (f"skipped: the study's bands ({config['bands']}) have no i band, "
                          "on which the structural parameters are measured.")
    else:
        structure, structure_rows, structure_note = measure_structure(
            images_i[sets.test], config, log)
        if len(config["bands"]) > 1 and structure is not None:
            structure_note += (" Measured on the i band alone (the i-only arm's images) "
                               "for every model.")
    (tables / "latents_vs_structure.txt").write_text(structure_note + "\n")
    structure_corr = []
    for spec, model in models:
        X_test = arrays.of(spec, config)[sets.test]
        Z_all = np.load(run.path("latents", f"{spec.key}.npy"))
        Z = Z_all[sets.test]
        names = list(model.get_feature_names_out())
        result = {"n_test": n_test}
        if properties or answers:
            columns = properties + list(answers)
            for suffix, rows, cat in (("", sets.test, test_cat),
                                      ("_train", sets.train, train_cat)):
                corr = latent_correlations(Z_all[rows], cat, columns=columns, n_bootstrap=200,
                                           feature_names=names, random_state=seed)
                corr = corr.rename(index=answers)
                corr.to_csv(tables / f"correlations_{spec.key}{suffix}.csv")
                if not suffix:
                    r = corr["r"]
                    result["max_abs_r"] = {p: float(r.loc[p].abs().max()) for p in properties}
        morphology = test_cat["morphology"].where(test_cat["morphology"].isin(CLEAN_CLASSES))
        classes = _classes(Z, morphology, names, seed, log, "class statistics")
        if classes is not None:
            classes.summary.to_csv(tables / f"class_distributions_{spec.key}.csv")
        # separability: spiral vs elliptical
        sep = _classes(Z, morphology.where(morphology != "uncertain"), names, seed, log,
                       "spiral/elliptical separability")
        if sep is not None:
            result["spiral_vs_elliptical_balanced_accuracy"] = float(sep.balanced_accuracy)
        if properties:
            scores = property_scores(Z, None, test_cat, properties, cv=5, random_state=seed)
            scores.to_csv(tables / f"property_scores_{spec.key}.csv")
            best = scores["r2"].max(axis=1)
            result["cv_r2"] = {p: float(best[p]) for p in properties}
        if all(t in test_cat.columns for t in TRUTH):
            truth = ground_truth_recovery(Z, test_cat, random_state=seed)
            truth.to_csv(tables / f"ground_truth_recovery_{spec.key}.csv")
            dis = disentanglement_scores(Z, test_cat[list(TRUTH)], random_state=seed)
            result["mig"] = float(dis.mig)
            result["dci_informativeness"] = float(dis.dci_informativeness)
            dis.mutual_info.to_csv(tables / f"mutual_info_{spec.key}.csv")
        if hasattr(model, "reconstruct"):
            recon = np.asarray(model.reconstruct(X_test), dtype=float)
            result["reconstruction_mse"] = float(np.mean((recon - X_test) ** 2))
        if spec.decodes:
            diag = latent_diagnostics(model, X_test, variational=spec.variational,
                                      feature_names=names)
            diag.to_csv(tables / f"latent_diagnostics_{spec.key}.csv")
            result["n_active"] = int(diag["active"].sum())
        if structure is not None:
            corr = latent_correlations(Z[structure_rows], structure,
                                       columns=list(STRUCTURAL_PARAMETERS), method="spearman",
                                       n_bootstrap=200, feature_names=names,
                                       random_state=seed)
            structure_corr.append(corr.rename(
                columns={f: f"{spec.name} {f}" for f in names}, level=1))
        headline[spec.name] = result
        log(f"analysed {spec.name}: " + ", ".join(
            f"{k}={v:.3f}" for k, v in result.items() if isinstance(v, float)))
    if sets.outliers:
        # each model scores its own images: one table per input, columns in model order
        parts = []
        for name, own in arrays.items():
            mine = {spec.name: model for spec, model in models
                    if images_file(spec, config) == name}
            if mine:
                parts.append(ood_auroc_table(mine, own[sets.inliers],
                                             {k: own[m] for k, m in sets.outliers.items()}))
        auroc = pd.concat(parts, axis=1)[[spec.name for spec, _ in models]]
        auroc.to_csv(tables / "ood_auroc.csv")
        for spec, _ in models:
            headline[spec.name]["ood_auroc"] = {k: float(v) for k, v in auroc[spec.name].items()}
    if structure_corr:
        structure.insert(0, "test_position", structure_rows)
        structure.to_csv(tables / "structure.csv", index=False)
        pd.concat(structure_corr, axis=1).to_csv(tables / "latents_vs_structure.csv")
    comparison = comparison_table(headline, properties)
    comparison.to_csv(tables / "model_comparison.csv")
    pairs = band_pairs(models)
    if pairs:
        bands_comparison(comparison, pairs).to_csv(tables / "bands_comparison.csv")
    if images_i is not None:
        realism_tables(run, images_i, config, tables, log)
    return headline


def i_band_images(config, arrays):
    """The study's i-band images: the study's own for ``--bands i``, those of the i-only
    arm for several bands with i; None without an i band."""
    if config["bands"] == "i":
        return arrays["images.npy"]
    if has_i_arm(config):
        return arrays.get("images_i.npy")
    return None


def band_pairs(models):
    """``[(model, name on the study's bands, name on i alone)]`` of the models trained.

    ``model`` is the registry's plain name of the pair (``"VAE"``).
    """
    names = {spec.key: spec.name for spec, _ in models}
    return [(get_spec(spec.counterpart).name, names[spec.counterpart], spec.name)
            for spec, _ in models
            if spec.counterpart is not None and spec.counterpart in names]


def bands_comparison(comparison, pairs):
    """Each model on the study's bands beside its i-only counterpart.

    Parameters
    ----------
    comparison : pandas.DataFrame
        :func:`comparison_table` (metrics x models).
    pairs : list of (str, str, str)
        ``(label, model on the study's bands, the same model on i)``: the pair's label
        and two columns of ``comparison``.

    Returns
    -------
    pandas.DataFrame
        Rows: the CV R^2 of each property and the spiral/elliptical balanced accuracy
        (held-out); columns (pair, ``"bands"`` / ``"i"`` / ``"difference"``), the
        pair named by its label (e.g. ``"VAE"``); the difference is bands - i.

    Examples
    --------
    >>> import pandas as pd
    >>> comp = pd.DataFrame({"VAE (gri)": [0.6, 0.8], "VAE (i)": [0.2, 0.75]},
    ...                     index=["R2 log_ssfr", "spiral/elliptical bal. acc."])
    >>> table = bands_comparison(comp, [("VAE", "VAE (gri)", "VAE (i)")])
    >>> table[("VAE", "difference")].round(2).tolist()
    [0.4, 0.05]
    """
    rows = [i for i in comparison.index
            if str(i).startswith("R2 ") or str(i) == "spiral/elliptical bal. acc."]
    columns = {}
    for label, both, alone in pairs:
        a, b = comparison.loc[rows, both], comparison.loc[rows, alone]
        columns[(label, "bands")] = a
        columns[(label, "i")] = b
        columns[(label, "difference")] = a - b
    table = pd.DataFrame(columns, index=rows)
    table.index.name = "metric (held-out clean galaxies)"
    return table


#: Simulated galaxies compared with the 100 bundled real ones (seeded subsample).
REALISM_N_SIMULATED = 150
#: Smallest image side on which the structural parameters are measured.
REALISM_MIN_SIZE = 32


def realism_tables(run, images, config, tables, log):
    """Compare the bundled real sample with the study's simulated galaxies.

    Only for a simulated population: both sets as stage 1 preprocessed them (the real
    sample went through the same fitted pipeline), at most
    :data:`REALISM_N_SIMULATED` simulated galaxies drawn with the study's seed. Writes
    ``realism.csv`` (the table of :func:`~skgalvae.analysis.compare_to_real`, its notes
    in ``realism_notes.txt``), ``realism_measurements.csv`` and ``realism_spectra.csv``.
    """
    source = run.read().get("population", {}).get("provenance", {}).get("source")
    real_path = run.path("data", "real_images.npy")
    if source != "simulated" or not real_path.is_file():
        return None
    real = np.load(real_path)
    structural = int(np.sqrt(images.shape[1])) >= REALISM_MIN_SIZE
    res = compare_to_real(real, images, preprocessing=None, structural=structural,
                          max_samples=REALISM_N_SIMULATED, return_measurements=True,
                          random_state=config["seed"], n_jobs=config["n_jobs"])
    notes = [n for n in res.notes if not n.startswith("no preprocessing")]
    notes.append("both sets as the models see them (stage 1's preprocessing); structural "
                 "parameters, when measured, on these asinh-scaled images")
    if not structural:
        notes.append(f"structural parameters skipped: images smaller than "
                     f"{REALISM_MIN_SIZE}x{REALISM_MIN_SIZE}")
    res.table.to_csv(tables / "realism.csv")
    res.measurements.to_csv(tables / "realism_measurements.csv", index=False)
    res.spectra.to_csv(tables / "realism_spectra.csv")
    (tables / "realism_notes.txt").write_text("\n".join(notes) + "\n")
    pca = [i for i in res.table.index if str(i).startswith("pca_cumulative_")]
    log(f"realism: {len(real)} real vs {int(res.table['n_simulated'].iloc[-1])} simulated"
        + "".join(f", {i} real {res.table.loc[i, 'real']:.3f} sim "
                  f"{res.table.loc[i, 'simulated']:.3f}" for i in pca))
    return res.table


def comparison_table(headline, properties):
    """Metrics (rows) x models (columns), on held-out galaxies.

    CV R^2 per property, spiral/elliptical balanced accuracy, reconstruction MSE, then
    the OOD AUROC per outlier set (last).
    """
    rows = {}
    for name, result in headline.items():
        col = {}
        for p in properties:
            if p in result.get("cv_r2", {}):
                col[f"R2 {p}"] = result["cv_r2"][p]
        if "spiral_vs_elliptical_balanced_accuracy" in result:
            col["spiral/elliptical bal. acc."] = result["spiral_vs_elliptical_balanced_accuracy"]
        if "reconstruction_mse" in result:
            col["reconstruction MSE"] = result["reconstruction_mse"]
        for outlier, value in result.get("ood_auroc", {}).items():
            col[f"OOD AUROC {outlier}"] = value
        rows[name] = col
    table = pd.DataFrame(rows)
    table.index.name = "metric (held-out clean galaxies)"
    return table
