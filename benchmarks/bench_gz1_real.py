"""VAE against PCA on real SDSS galaxies with Galaxy Zoo 1 classes (issue 13's real-data bar).

Data: ``../shared/data/gz1_sdss_colour/images_rgb64.npz`` (6,664 SDSS gri composites,
64x64, with one GZ1 class each; evaluation use only, see its ``SOURCE.txt``). Protocol:

- the red channel (closest to the i band) scaled to [0, 1] (``uint8 / 255``);
- a balanced set: every spiral (GZ1 classes clockwise, anticlockwise and "don't know"
  spirals; edge-on discs excluded) and as many ellipticals drawn at random (seed 0),
  the one unusable image (``image_ok`` False) dropped;
- one stratified 70/30 split (``--seed``); every model is fitted on the 70% only;
- spiral/elliptical balanced accuracy of a linear probe (standardised logistic
  regression) fitted on the training latents and scored on the 30% held out;
- merger AUROC: ``-score_samples`` separating the 115 GZ1 mergers (never trained on)
  from the held-out spirals and ellipticals;
- per-latent diagnostics of the VAE on the held-out galaxies: posterior-mean std, KL
  (nats) and whether each latent is active (std > 0.1).

Run (about 2 minutes on 2 CPU cores)::

    python benchmarks/bench_gz1_real.py [--latent-dim 16] [--epochs 40]
        [--channels 16,32,64,128] [--loss analytic] [--seed 0]

Prints the machine, the table and PASS / FAIL for VAE-16 >= PCA-16 on both numbers
with no inactive latent.
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgalvae.analysis import ood_auroc
from skgalvae.models import EigengalaxyPCA, GalaxyVAE, InactiveLatentWarning
from skgalvae.study._diagnostics import ACTIVE_STD, kl_per_latent

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gz1_sdss_colour"
SPIRALS = ("spiral_cw", "spiral_acw", "dont_know")


def load(data_dir, seed):
    """Return ``(X balanced, y (1 = spiral), X mergers)`` from the GZ1 set."""
    npz = np.load(Path(data_dir) / "images_rgb64.npz")
    labels = pd.read_csv(Path(data_dir) / "labels.csv")
    if not np.array_equal(labels["objid"].to_numpy(), npz["objid"]):
        msg = f"{data_dir}: labels.csv and images_rgb64.npz are not in the same order."
        raise ValueError(msg)
    ok = labels["image_ok"].to_numpy(bool)
    red = npz["images"][..., 0].astype(np.float32) / 255.0
    name = labels["class_name"].to_numpy()
    spiral = np.flatnonzero(ok & np.isin(name, SPIRALS))
    elliptical = np.flatnonzero(ok & (name == "elliptical"))
    rng = np.random.default_rng(seed)
    elliptical = np.sort(rng.choice(elliptical, size=len(spiral), replace=False))
    rows = np.r_[spiral, elliptical]
    y = np.r_[np.ones(len(spiral), int), np.zeros(len(elliptical), int)]
    mergers = red[ok & (name == "merger")]
    return red[rows].reshape(len(rows), -1), y, mergers.reshape(len(mergers), -1)


def probe(Z_train, y_train, Z_test, y_test):
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return balanced_accuracy_score(y_test, clf.fit(Z_train, y_train).predict(Z_test))


def diagnostics(vae, X):
    mu, std = vae.encode(X)
    return mu.std(0), kl_per_latent(mu, std)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--latent-dim", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--channels", default="16,32,64,128")
    parser.add_argument("--loss", default="analytic")
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    if not Path(args.data).is_dir():
        raise SystemExit(f"{args.data} not found: this benchmark needs ../shared/data.")
    torch.set_num_threads(args.threads)
    print(machine_summary())
    X, y, mergers = load(args.data, args.seed)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                              random_state=args.seed)
    print(f"{len(X)} galaxies ({y.sum()} spirals), train {len(X_tr)}, test {len(X_te)}, "
          f"{len(mergers)} mergers; latent_dim {args.latent_dim}")
    channels = tuple(int(c) for c in args.channels.split(","))
    models = {
        f"PCA-{args.latent_dim}": EigengalaxyPCA(n_components=args.latent_dim,
                                                 random_state=args.seed),
        f"VAE-{args.latent_dim}": GalaxyVAE(latent_dim=args.latent_dim, loss=args.loss,
                                            beta=args.beta, channels=channels,
                                            max_epochs=args.epochs,
                                            random_state=args.seed),
    }
    rows = {}
    for name, model in models.items():
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InactiveLatentWarning)
            model.fit(X_tr)
        row = {"fit_s": time.perf_counter() - start,
               "spiral/elliptical bal. acc.": probe(model.transform(X_tr), y_tr,
                                                    model.transform(X_te), y_te),
               "merger AUROC": ood_auroc(model, X_te, mergers),
               "held-out MSE": float(np.mean((model.reconstruct(X_te) - X_te) ** 2))}
        if isinstance(model, GalaxyVAE):
            std, kl = diagnostics(model, X_te)
            row["n_active"] = int((std > ACTIVE_STD).sum())
            row["min std"], row["min KL"] = float(std.min()), float(kl.min())
            row["epochs"] = model.n_epochs_
            row["warned"] = any(issubclass(w.category, InactiveLatentWarning)
                                for w in caught)
            print("VAE held-out posterior-mean std:", np.round(std, 2).tolist())
            print("VAE held-out KL per latent (nats):", np.round(kl, 2).tolist())
        rows[name] = row
    table = pd.DataFrame(rows)
    with pd.option_context("display.float_format", "{:.3f}".format):
        print(table.to_string())
    pca, vae = table.columns
    checks = {
        "VAE >= PCA, spiral/elliptical": table.loc["spiral/elliptical bal. acc.", vae]
        >= table.loc["spiral/elliptical bal. acc.", pca],
        "VAE >= PCA, merger AUROC": table.loc["merger AUROC", vae]
        >= table.loc["merger AUROC", pca],
        "no inactive VAE latent": table.loc["n_active", vae] == args.latent_dim,
    }
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")


if __name__ == "__main__":
    main()
