"""VAE against PCA on real SDSS galaxies with Galaxy Zoo 1 classes (issues 13 and 16).

Data: ``../shared/data/gz1_sdss_colour/images_rgb64.npz`` (6,664 SDSS gri composites,
64x64, with one GZ1 class each; evaluation use only, see its ``SOURCE.txt``). Protocol:

- ``--bands i`` (default): the red channel (closest to the i band) scaled to [0, 1]
  (``uint8 / 255``); ``--bands gri``: all three channels as g, r, i (blue, green, red;
  :func:`skgalvae.io.colour_images_to_bands`), images of shape (3, 64, 64);
  ``--bands both`` runs both on the same split and prints the gri - i differences
  (issue 16: VAE-16 on three channels should beat VAE-16 on red by >= 0.03);
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

Run (about 2 minutes on 2 CPU cores per band set)::

    python benchmarks/bench_gz1_real.py [--bands i|gri|both] [--latent-dim 16]
        [--epochs 40] [--channels 16,32,64,128] [--loss analytic] [--seed 0]

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
from skgalvae.io import colour_images_to_bands
from skgalvae.models import EigengalaxyPCA, GalaxyVAE, InactiveLatentWarning
from skgalvae.study._diagnostics import ACTIVE_STD, kl_per_latent

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gz1_sdss_colour"
SPIRALS = ("spiral_cw", "spiral_acw", "dont_know")


def load(data_dir, seed, bands="i"):
    """Return ``(X balanced, y (1 = spiral), X mergers)`` from the GZ1 set, as flat rows
    of the ``bands`` (``"i"``: the red channel; ``"gri"``: blue, green, red)."""
    npz = np.load(Path(data_dir) / "images_rgb64.npz")
    labels = pd.read_csv(Path(data_dir) / "labels.csv")
    if not np.array_equal(labels["objid"].to_numpy(), npz["objid"]):
        msg = f"{data_dir}: labels.csv and images_rgb64.npz are not in the same order."
        raise ValueError(msg)
    ok = labels["image_ok"].to_numpy(bool)
    red = colour_images_to_bands(npz["images"], bands=bands)
    name = labels["class_name"].to_numpy()
    spiral = np.flatnonzero(ok & np.isin(name, SPIRALS))
    elliptical = np.flatnonzero(ok & (name == "elliptical"))
    rng = np.random.default_rng(seed)
    elliptical = np.sort(rng.choice(elliptical, size=len(spiral), replace=False))
    rows = np.r_[spiral, elliptical]
    y = np.r_[np.ones(len(spiral), int), np.zeros(len(elliptical), int)]
    mergers = red[ok & (name == "merger")]
    return red[rows].reshape(len(rows), -1), y, mergers.reshape(len(mergers), -1)


def run(args, bands, channels):
    """Fit PCA and VAE on one band set; return the table's columns."""
    X, y, mergers = load(args.data, args.seed, bands)
    shape = (64, 64) if bands == "i" else (len(bands), 64, 64)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                              random_state=args.seed)
    print(f"[{bands}] {len(X)} galaxies ({y.sum()} spirals), train {len(X_tr)}, test "
          f"{len(X_te)}, {len(mergers)} mergers; latent_dim {args.latent_dim}")
    models = {
        f"PCA-{args.latent_dim} {bands}": EigengalaxyPCA(n_components=args.latent_dim,
                                                         image_shape=shape,
                                                         random_state=args.seed),
        f"VAE-{args.latent_dim} {bands}": GalaxyVAE(latent_dim=args.latent_dim,
                                                    loss=args.loss, beta=args.beta,
                                                    channels=channels, image_shape=shape,
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
            print(f"[{bands}] VAE held-out posterior-mean std:", np.round(std, 2).tolist())
            print(f"[{bands}] VAE held-out KL per latent (nats):", np.round(kl, 2).tolist())
        rows[name] = row
    return rows


def probe(Z_train, y_train, Z_test, y_test):
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return balanced_accuracy_score(y_test, clf.fit(Z_train, y_train).predict(Z_test))


def diagnostics(vae, X):
    mu, std = vae.encode(X)
    return mu.std(0), kl_per_latent(mu, std)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--bands", default="i", choices=["i", "gri", "both"])
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
    channels = tuple(int(c) for c in args.channels.split(","))
    sets = ["i", "gri"] if args.bands == "both" else [args.bands]
    rows = {}
    for bands in sets:
        rows.update(run(args, bands, channels))
    table = pd.DataFrame(rows)
    with pd.option_context("display.float_format", "{:.3f}".format,
                           "display.width", 200):
        print(table.to_string())
    d = args.latent_dim
    for bands in sets:
        pca, vae = f"PCA-{d} {bands}", f"VAE-{d} {bands}"
        checks = {
            f"[{bands}] VAE >= PCA, spiral/elliptical": table.loc[
                "spiral/elliptical bal. acc.", vae] >= table.loc[
                "spiral/elliptical bal. acc.", pca],
            f"[{bands}] VAE >= PCA, merger AUROC": table.loc["merger AUROC", vae]
            >= table.loc["merger AUROC", pca],
            f"[{bands}] no inactive VAE latent": table.loc["n_active", vae] == d,
        }
        for name, ok in checks.items():
            print(f"{'PASS' if ok else 'FAIL'}  {name}")
    if len(sets) == 2:
        for model in ("VAE", "PCA"):
            gain = (table.loc["spiral/elliptical bal. acc.", f"{model}-{d} gri"]
                    - table.loc["spiral/elliptical bal. acc.", f"{model}-{d} i"])
            goal = " (goal >= +0.03)" if model == "VAE" else ""
            ok = "PASS" if gain >= 0.03 else "FAIL"
            print(f"{ok if model == 'VAE' else 'INFO'}  {model}-{d} spiral/elliptical "
                  f"gri - red = {gain:+.3f}{goal}")


if __name__ == "__main__":
    main()
