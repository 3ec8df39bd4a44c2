"""Acceptance measurement of issue 13, through the study's own code.

For each seed, :func:`skgalvae.study.run_study` runs the study (simulate -> train ->
analyse -> report) into ``<out>/seed_<seed>/``; every number then comes from the tables the
study wrote, computed on clean held-out galaxies no model was trained on:
``tables/model_comparison.csv`` and ``tables/latent_diagnostics_vae.csv``. "PCA" is the
registry's PCA with ``--latent-dim`` components (PCA-2 by default, PCA-16 with
``--latent-dim 16``). Targets:

- every VAE latent is active: posterior-mean std >= 0.3 and KL >= 0.5 nats;
- every VAE latent's traversal effect is >= 20% of the largest latent's;
- the VAE's held-out reconstruction MSE is below PCA's;
- latent_dim other than 16 (issue 13 states it for 2): the VAE beats PCA on
  spiral/elliptical balanced accuracy by >= 0.05 and on the mean CV R^2 over the study's
  properties;
- latent_dim 16: VAE-16 >= PCA-16 on the mean CV R^2 and on both OOD AUROCs (mergers,
  irregulars).

With several seeds it prints each seed's values, then the mean and the spread (std) of
each, and PASS / FAIL of each target on the means (with how many seeds pass it alone).
The study resumes: a rerun with the same options reuses the finished stages.

Run (the default study size; about 5 minutes a seed on 2 CPU cores)::

    python benchmarks/acceptance_study.py --seeds 0 1 2
    python benchmarks/acceptance_study.py --latent-dim 16 --loss analytic --channels 8,16,32,64
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

from skgalvae.study import DEFAULTS, run_study
from skgalvae.study._registry import LOSSES

MIN_STD, MIN_KL, MIN_TRAVERSAL, MIN_MARGIN = 0.3, 0.5, 0.2, 0.05


def machine():
    import torch

    return (f"{platform.platform()}, {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} CPU cores, torch {torch.__version__} with "
            f"{torch.get_num_threads()} threads, Python {sys.version.split()[0]}")


def _channels(text):
    return tuple(int(c) for c in text.split(","))


def measure(out):
    """The numbers the targets need, from the tables the study wrote in ``out``."""
    tables = Path(out) / "tables"
    comp = pd.read_csv(tables / "model_comparison.csv", index_col=0)
    diag = pd.read_csv(tables / "latent_diagnostics_vae.csv", index_col=0)
    r2_rows = [i for i in comp.index if str(i).startswith("R2 ")]

    def value(row, model):
        return float(comp.loc[row, model]) if row in comp.index else float("nan")

    values = {
        "VAE min posterior-mean std": float(diag["posterior_mean_std"].min()),
        "VAE min KL (nats)": float(diag["kl_nats"].min()),
        "VAE active latents": int(diag["active"].sum()),
        "VAE min relative traversal effect": float(diag["traversal_effect_relative"].min()),
    }
    for model in ("VAE", "PCA"):
        values[f"{model} spiral/elliptical bal. acc."] = value("spiral/elliptical bal. acc.",
                                                               model)
        values[f"{model} mean CV R2"] = float(comp.loc[r2_rows, model].mean())
        values[f"{model} reconstruction MSE"] = value("reconstruction MSE", model)
        for outlier in ("merger", "irregular"):
            values[f"{model} OOD AUROC {outlier}"] = value(f"OOD AUROC {outlier}", model)
    return values, comp, diag


def checks(v, latent_dim):
    """``{target: passed}`` from the values of :func:`measure` (NaN fails)."""
    d = latent_dim
    result = {
        f"every VAE latent active (posterior-mean std >= {MIN_STD} and KL >= {MIN_KL} "
        "nats)": v["VAE min posterior-mean std"] >= MIN_STD and v["VAE min KL (nats)"] >= MIN_KL,
        f"every VAE latent's traversal effect >= {MIN_TRAVERSAL:.0%} of the largest":
            v["VAE min relative traversal effect"] >= MIN_TRAVERSAL,
        f"VAE-{d} held-out reconstruction MSE below PCA-{d}'s":
            v["VAE reconstruction MSE"] < v["PCA reconstruction MSE"],
    }
    if d == 16:
        result[f"VAE-{d} >= PCA-{d} on mean CV R^2"] = v["VAE mean CV R2"] >= v["PCA mean CV R2"]
        for outlier in ("merger", "irregular"):
            result[f"VAE-{d} >= PCA-{d} on OOD AUROC {outlier}"] = (
                v[f"VAE OOD AUROC {outlier}"] >= v[f"PCA OOD AUROC {outlier}"])
    else:
        result[f"VAE-{d} beats PCA-{d} on spiral/elliptical balanced accuracy by >= "
               f"{MIN_MARGIN}"] = (v["VAE spiral/elliptical bal. acc."]
                                   - v["PCA spiral/elliptical bal. acc."] >= MIN_MARGIN)
        result[f"VAE-{d} beats PCA-{d} on mean CV R^2"] = (v["VAE mean CV R2"]
                                                         > v["PCA mean CV R2"])
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--latent-dim", type=int, default=DEFAULTS["latent_dim"])
    parser.add_argument("--n-galaxies", type=int, default=DEFAULTS["n_galaxies"])
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    parser.add_argument("--image-size", type=int, default=DEFAULTS["image_size"])
    parser.add_argument("--stretch", type=float, default=DEFAULTS["stretch"])
    parser.add_argument("--loss", default=DEFAULTS["loss"], choices=LOSSES)
    parser.add_argument("--beta", type=float, default=DEFAULTS["beta"])
    parser.add_argument("--channels", type=_channels, default=DEFAULTS["channels"],
                        help="comma-separated, e.g. 8,16,32,64")
    parser.add_argument("--device", default=DEFAULTS["device"])
    parser.add_argument("--n-jobs", type=int, default=DEFAULTS["n_jobs"])
    parser.add_argument("--out", default="acceptance",
                        help="folder of the runs, one <out>/seed_<seed>/ each")
    parser.add_argument("--force", action="store_true", help="recompute every stage")
    parser.add_argument("--quiet", action="store_true", help="no study progress output")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    print(f"machine: {machine()}")
    log = (lambda *a, **k: None) if args.quiet else print
    per_seed, passed = {}, {}
    for seed in args.seeds:
        config = {"n_galaxies": args.n_galaxies, "latent_dim": args.latent_dim,
                  "epochs": args.epochs, "image_size": args.image_size,
                  "stretch": args.stretch, "loss": args.loss, "beta": args.beta,
                  "channels": args.channels, "model": "all", "device": args.device,
                  "n_jobs": args.n_jobs, "seed": seed, "verbose": 0 if args.quiet else 1,
                  "out": str(Path(args.out) / f"seed_{seed}")}
        t = time.perf_counter()
        info = run_study(config, force=args.force, log=log)
        values, comp, diag = measure(config["out"])
        per_seed[seed], passed[seed] = values, checks(values, args.latent_dim)
        population = info["population"]
        with pd.option_context("display.width", 140, "display.max_columns", 20):
            print(f"\nseed {seed} ({time.perf_counter() - t:.0f} s; {population['n_train']} "
                  f"clean training galaxies, {population['n_test']} held out): "
                  f"{config['out']}/tables/model_comparison.csv")
            print(comp.round(3).to_string())
            print("\nlatent_diagnostics_vae.csv (held-out):")
            print(diag.round(3).to_string())
    table = pd.DataFrame(per_seed)
    table.columns = [f"seed {s}" for s in table.columns]
    mean = table.mean(axis=1)
    table["mean"], table["std"] = mean, table.iloc[:, :len(args.seeds)].std(axis=1, ddof=0)
    print(f"\nAcceptance values over seeds {args.seeds} (held-out clean galaxies):")
    with pd.option_context("display.width", 140, "display.max_columns", 20):
        print(table.round(4).to_string())
    on_mean = checks(mean.to_dict(), args.latent_dim)
    print()
    for target, ok in on_mean.items():
        n_ok = sum(bool(passed[s][target]) for s in args.seeds)
        print(f"{'PASS' if ok else 'FAIL'}: {target} (on the mean; {n_ok}/{len(args.seeds)} "
              "seeds pass alone)")
    print(f"total time {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": machine(), "args": vars(args),
                       "values": {str(s): v for s, v in per_seed.items()},
                       "checks_on_mean": on_mean,
                       "checks": {str(s): c for s, c in passed.items()}},
                      fh, indent=2, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    return table, on_mean


if __name__ == "__main__":
    _, results = main()
    sys.exit(0 if all(results.values()) else 1)
