"""The measured search behind the VAE's defaults: likelihood, beta, epochs, width, stretch.

Builds the study's population with the study's own stage 1 (``skgalvae simulate``:
simulated galaxies, GZ2 selection, preprocessing, the seeded train/test split; cached
in ``--cache`` and reused while its parameters are unchanged), fits each requested VAE
variant and PCA on the clean training galaxies, and scores every one on the clean
held-out galaxies exactly as the study's tables do:

- spiral/elliptical balanced accuracy of a linear probe on GZ2 labels (5-fold CV);
- the mean over the study's properties of the best cross-validated R^2;
- held-out reconstruction MSE, OOD AUROC of mergers and irregulars;
- per-latent posterior-mean std and KL (nats), and the smallest latent's traversal
  effect relative to the largest.

A run is ``loss[,key=value...]``, e.g. ``gaussian``, ``analytic``, ``mse``,
``gaussian,beta=0.5``, ``gaussian,max_epochs=60``, ``gaussian,channels=8:16:32:64:128``.

Run (about 20-40 s per fit on 2 CPU cores)::

    python benchmarks/bench_vae_calibration.py --seeds 0 1 2 --stretch 0.05 \\
        --runs gaussian analytic gaussian_pixel mse gaussian,beta=0.5

Prints the machine, one row per run and seed, then the mean and spread over seeds.
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from skgalvae.analysis import class_distributions, ood_auroc_table, property_scores
from skgalvae.models import EigengalaxyPCA, GalaxyVAE, InactiveLatentWarning, traversal_effect
from skgalvae.study import run_stage
from skgalvae.study._analyse import correlation_columns
from skgalvae.study._diagnostics import ACTIVE_STD, kl_per_latent
from skgalvae.study._population import load_stage_data
from skgalvae.study._split import study_sets

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary


def parse_run(text):
    name, *pairs = text.split(",")
    params = {}
    for pair in pairs:
        key, value = pair.split("=")
        if key == "channels":
            params[key] = tuple(int(c) for c in value.split(":"))
        elif key in ("max_epochs", "hidden_dim", "batch_size", "patience"):
            params[key] = int(value)
        else:
            params[key] = float(value)
    return name, params


def population(cache, *, n_galaxies, stretch, seed, image_size):
    out = Path(cache) / f"n{n_galaxies}_s{image_size}_st{stretch}_seed{seed}"
    config = {"out": str(out), "n_galaxies": n_galaxies, "stretch": stretch,
              "seed": seed, "image_size": image_size, "verbose": 0}
    try:
        images, catalog = load_stage_data(out)
    except (ValueError, OSError):
        run_stage("simulate", config, log=lambda *a: None)
        images, catalog = load_stage_data(out)
    return images, catalog


def evaluate(model, images, catalog, sets, seed):
    test = catalog[sets.test].reset_index(drop=True)
    X_test = images[sets.test]
    Z = model.transform(X_test)
    labels = test["morphology"].where(test["morphology"].isin(["spiral", "elliptical"]))
    properties, _ = correlation_columns(test)
    r2 = property_scores(Z, None, test, properties, cv=5, random_state=seed)["r2"]
    row = {
        "spiral/elliptical": class_distributions(Z, labels, random_state=seed)
        .balanced_accuracy,
        "mean R2": float(r2.max(axis=1).mean()),
        "MSE": float(np.mean((model.reconstruct(X_test) - X_test) ** 2)),
    }
    auroc = ood_auroc_table({"m": model}, images[sets.inliers],
                            {k: images[m] for k, m in sets.outliers.items()})["m"]
    row.update({f"AUROC {k}": float(v) for k, v in auroc.items()})
    if isinstance(model, GalaxyVAE):
        mean, std = model.encode(X_test)
        kl = kl_per_latent(mean, std)
        row.update({"min std": float(mean.std(0).min()), "min KL": float(kl.min()),
                    "n_active": int((mean.std(0) > ACTIVE_STD).sum()),
                    "sigma": float(np.mean(model.noise_std_)),
                    "epochs": model.n_epochs_})
    row["min traversal"] = float(traversal_effect(model)["relative"].min())
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", default=["gaussian", "analytic", "mse"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--latent-dim", type=int, default=2)
    parser.add_argument("--stretch", type=float, default=0.05)
    parser.add_argument("--n-galaxies", type=int, default=3000)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--cache", default="bench_cache")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    print(machine_summary(), f"torch threads {torch.get_num_threads()}")
    rows = []
    for seed in args.seeds:
        images, catalog = population(args.cache, n_galaxies=args.n_galaxies,
                                     stretch=args.stretch, seed=seed,
                                     image_size=args.image_size)
        sets = study_sets(catalog)
        X_train = images[sets.train]
        models = {f"PCA-{args.latent_dim}": lambda seed=seed: EigengalaxyPCA(
            n_components=args.latent_dim, random_state=seed)}
        for text in args.runs:
            name, params = parse_run(text)
            params = {"max_epochs": args.epochs, **params}
            models[text] = (lambda name=name, params=params, seed=seed: GalaxyVAE(
                latent_dim=args.latent_dim, loss=name, random_state=seed, **params))
        for name, make in models.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InactiveLatentWarning)  # measured below
                model = make().fit(X_train)
            row = {"run": name, "seed": seed, "fit_s": time.perf_counter() - start,
                   **evaluate(model, images, catalog, sets, seed)}
            rows.append(row)
            print(json.dumps(row, default=float), flush=True)
    table = pd.DataFrame(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, default=float, indent=1))
    grouped = table.drop(columns="seed").groupby("run", sort=False)
    mean, std = grouped.mean(), grouped.std().fillna(0)
    summary = mean.map("{:.4g}".format) + " +- " + std.map("{:.2g}".format)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(f"\nstretch {args.stretch}, latent_dim {args.latent_dim}, seeds {args.seeds}: "
              "mean +- std over seeds (held-out clean galaxies)")
        print(summary.T.to_string())

if __name__ == "__main__":
    main()
