"""Acceptance measurement of issue 6 on the simulator: what do 2 latents carry?

A clean simulated population (edge-on and odd galaxies removed by ``GZ2Selector`` from
the simulated GZ2 votes, at fit time, inside an imbalanced-learn Pipeline) trains a
2-latent GalaxyVAE and EigengalaxyPCA with 2 and 12 components. On held-out clean
galaxies (never seen by any model) it reports, per model:

- spiral vs elliptical balanced accuracy from the latents (true simulator class; and
  GZ2-vote labels) -- target >= 0.92 for the VAE;
- best single-latent |Pearson r| with the Petrosian R50 -- target >= 0.72 (the
  seed's figure);
- cross-validated R^2 of log10 R50 from the latents -- target > 0.52 (the bound a
  single latent with |r| = 0.72 implies);
- AUROC of separating held-out mergers / irregulars (never trained on) from held-out
  clean galaxies by ``-score_samples``.

Then the seed-style correlation table, the ground-truth recovery table and MIG / DCI
for the VAE.

Run (about 5-10 minutes on 2 CPU cores)::

    python benchmarks/acceptance_study.py --n-galaxies 3000 --image-size 64 --epochs 25

Prints the machine it ran on, the tables and PASS / FAIL per acceptance target.
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import pandas as pd
from imblearn.pipeline import Pipeline
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.model_selection import train_test_split

from skgalvae.analysis import (
    GROUND_TRUTH_FACTORS,
    class_distributions,
    disentanglement_scores,
    ground_truth_recovery,
    latent_correlations,
    ood_auroc_table,
    property_scores,
)
from skgalvae.datasets import make_galaxies
from skgalvae.models import EigengalaxyPCA, GalaxyVAE
from skgalvae.preprocessing import make_preprocessing_pipeline
from skgalvae.selection import GZ2Selector, gz2_morphology, gz2_selection_mask

R50 = "petro_r50"
SEED_PROPERTIES = ["petro_r50", "half_light_radius_arcsec", "velocity_dispersion",
                   "age", "metallicity", "log_ssfr", "log_stellar_mass",
                   "bulge_fraction", "axis_ratio",
                   "t01_smooth_or_features_a01_smooth_fraction",
                   "t01_smooth_or_features_a02_features_or_disk_fraction",
                   "t04_spiral_a08_spiral_fraction",
                   "t05_bulge_prominence_a12_obvious_fraction"]


def machine():
    import torch

    return (f"{platform.platform()}, {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} CPU cores, torch {torch.__version__} with "
            f"{torch.get_num_threads()} threads, Python {sys.version.split()[0]}")


def model_pipeline(model, image_size, output_shape, stretch, mask_companions=True):
    """GZ2Selector (fit time only) -> pixel columns -> preprocessing -> model."""
    pixels = ColumnTransformer(
        [("pixels", "passthrough", make_column_selector(pattern=r"^pix\d+$"))])
    prep = make_preprocessing_pipeline(output_shape=output_shape, stretch=stretch,
                                       mask_companions=mask_companions,
                                       image_shape=(image_size, image_size))
    # imblearn's Pipeline takes no nested Pipeline as an intermediate step: flatten
    return Pipeline([
        ("select", GZ2Selector(exclude=("edge_on", "odd"))),
        ("pixels", pixels),
        *prep.steps,
        ("model", model),
    ])


def evaluate(name, pipe, X, catalog, clean_test, outliers, seed):
    Z = pd.DataFrame(np.asarray(pipe.transform(X.iloc[clean_test])))
    if hasattr(pipe[-1], "get_feature_names_out"):
        Z.columns = list(pipe[-1].get_feature_names_out())
    cat = catalog.iloc[clean_test].reset_index(drop=True)
    true = class_distributions(Z, cat["class"], classes=["spiral", "elliptical"],
                               random_state=seed)
    gz2 = class_distributions(Z, gz2_morphology(cat),
                              classes=["spiral", "elliptical"], random_state=seed)
    corr = latent_correlations(Z, cat, [R50], n_bootstrap=1000, random_state=seed)
    r = corr.loc[R50, "r"]
    best = r.abs().idxmax()
    scores = property_scores(Z, None, cat, ["log_petro_r50"], random_state=seed)
    inliers = clean_test[~catalog["class"].iloc[clean_test].isin(
        ["merger", "irregular"]).to_numpy()]
    ood = ood_auroc_table({name: pipe}, X.iloc[inliers],
                          {k: X.iloc[v] for k, v in outliers.items()})
    row = {
        "balanced_accuracy_true_class": true.balanced_accuracy,
        "balanced_accuracy_gz2_labels": gz2.balanced_accuracy,
        "best_abs_r_R50": abs(float(r[best])),
        "best_latent": best,
        "r_ci": (float(corr.loc[R50, ("ci_low", best)]),
                 float(corr.loc[R50, ("ci_high", best)])),
        "cv_r2_log_R50_hgb": float(scores.loc["log_petro_r50",
                                              ("r2", "hist_gradient_boosting")]),
        "cv_r2_log_R50_linear": float(scores.loc["log_petro_r50", ("r2", "linear")]),
        **{f"ood_auroc_{k}": float(ood.loc[k, name]) for k in outliers},
        "n_eval": len(clean_test),
    }
    return row, Z, cat


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-galaxies", type=int, default=3000)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--output-shape", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--beta", type=float, default=1.0, help="VAE KL weight")
    parser.add_argument("--stretch", type=float, default=0.05,
                        help="LogScaler stretch of the preprocessing")
    parser.add_argument("--no-mask", action="store_true",
                        help="preprocess without CompanionMasker")
    parser.add_argument("--test-size", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    print(f"machine: {machine()}")

    sim = make_galaxies(args.n_galaxies, image_size=args.image_size,
                        random_state=args.seed, n_jobs=2)
    catalog = sim.catalog.reset_index(drop=True)
    catalog["log_petro_r50"] = np.log10(catalog[R50])
    pixels = pd.DataFrame(sim.data.astype(np.float32),
                          columns=[f"pix{i}" for i in range(sim.data.shape[1])])
    X = pd.concat([pixels, catalog], axis=1)  # X carries the catalog (GZ2Selector)
    print(f"simulated {len(X)} galaxies in {time.perf_counter() - t0:.0f} s; classes: "
          f"{catalog['class'].value_counts().to_dict()}")

    idx = np.arange(len(X))
    train, test = train_test_split(idx, test_size=args.test_size,
                                   random_state=args.seed, stratify=catalog["class"])
    keep = gz2_selection_mask(catalog)  # catalog-first: the same cut, for evaluation
    clean_test = test[keep[test]]
    outliers = {k: test[(catalog["class"].iloc[test] == k).to_numpy()]
                for k in ("merger", "irregular")}
    print(f"GZ2 cut keeps {keep.mean():.1%} of the galaxies; removed by class: "
          f"{catalog.loc[~keep, 'class'].value_counts().to_dict()}")

    models = {
        "VAE (2 latents)": GalaxyVAE(latent_dim=2, beta=args.beta,
                                     max_epochs=args.epochs, random_state=args.seed),
        "PCA (2)": EigengalaxyPCA(n_components=2, random_state=args.seed),
        "PCA (12)": EigengalaxyPCA(n_components=12, random_state=args.seed),
    }
    rows, latents = {}, {}
    for name, model in models.items():
        t = time.perf_counter()
        pipe = model_pipeline(model, args.image_size, args.output_shape,
                              args.stretch, mask_companions=not args.no_mask)
        pipe.fit(X.iloc[train])
        n_fit = len(pipe.named_steps["select"].sample_indices_)
        rows[name], Z, cat = evaluate(name, pipe, X, catalog, clean_test, outliers,
                                      args.seed)
        rows[name]["n_train_after_selection"] = n_fit
        rows[name]["seconds"] = round(time.perf_counter() - t, 1)
        latents[name] = (Z, cat)
        print(f"{name}: trained on {n_fit} selected galaxies in "
              f"{rows[name]['seconds']} s")

    # ceilings: how separable the classes are from catalog quantities themselves
    cat = catalog.iloc[clean_test].reset_index(drop=True)
    cat["concentration"] = cat["petro_r90"] / cat[R50]
    for cols in (["bulge_fraction"], ["concentration"]):
        ceiling = class_distributions(cat[cols], cat["class"],
                                      classes=["spiral", "elliptical"],
                                      random_state=args.seed)
        print(f"reference: spiral vs elliptical balanced accuracy from true {cols[0]}"
              f": {ceiling.balanced_accuracy:.3f}")

    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 140, "display.max_columns", 20):
        print("\nAcceptance table (held-out clean galaxies):")
        print(table.to_string())
        Z, cat = latents["VAE (2 latents)"]
        props = [p for p in SEED_PROPERTIES if p in cat.columns]
        corr = latent_correlations(Z, cat, props, n_bootstrap=1000,
                                   feature_names=["Feat. 1", "Feat. 2"],
                                   random_state=args.seed)
        print("\nVAE: Pearson r of each latent with each property (seed-style table):")
        print(corr["r"].round(3).to_string())
        recovery = ground_truth_recovery(Z, cat, random_state=args.seed)
        print("\nVAE: ground-truth recovery, CV R^2:")
        print(recovery["r2"].round(3).to_string())
        dis = disentanglement_scores(Z, cat[list(GROUND_TRUTH_FACTORS)],
                                     random_state=args.seed)
        print(f"\nVAE: MIG {dis.mig:.3f}, DCI disentanglement "
              f"{dis.dci_disentanglement:.3f}, completeness {dis.dci_completeness:.3f}"
              f", informativeness {dis.dci_informativeness:.3f}")

    vae = rows["VAE (2 latents)"]
    checks = {
        "spiral vs elliptical balanced accuracy >= 0.92":
            vae["balanced_accuracy_true_class"] >= 0.92,
        "best single-latent |r| with R50 >= 0.72": vae["best_abs_r_R50"] >= 0.72,
        "CV R^2 of log R50 > 0.52": vae["cv_r2_log_R50_hgb"] > 0.52,
    }
    print()
    for text, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}: VAE {text}")
    print(f"total time {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": machine(), "args": vars(args), "table": rows,
                       "checks": checks}, fh, indent=2, default=str)
    return table


if __name__ == "__main__":
    main()
