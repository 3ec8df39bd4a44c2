"""Agreement of two VAEs trained from different seeds: canonical correlations.

Run: ``python benchmarks/bench_models_seed_agreement.py [--seeds 0 1] [--epochs 15]``.
A VAE's latent space is defined up to rotations and reflections (its prior is
isotropic), so two seeds' latents are compared by canonical correlation analysis
(sklearn's CCA), which is invariant to any invertible linear map of either side. Data:
the two-population set of the tests (compact round blobs vs extended inclined discs,
16x16, 240 images; 160 to train, the correlations on the 80 held out). Also prints the
balanced accuracy of a logistic regression on each seed's latents.
"""

import argparse

import numpy as np
import torch
from sklearn.cross_decomposition import CCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split

from skgalvae.models import GalaxyVAE

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary


def make_two_populations(n=240, size=16, seed=0):
    """Same generator as tests/test_models.py: blobs (y=0) and discs (y=1)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    y = np.arange(n) % 2
    X = np.empty((n, size, size), np.float32)
    for i in range(n):
        dx, dy = rng.normal(0, 0.7, 2)
        if y[i] == 0:
            s = rng.uniform(1.2, 2.0)
            img = np.exp(-((xx - dx) ** 2 + (yy - dy) ** 2) / (2 * s**2))
        else:
            th, q, h = rng.uniform(0, np.pi), rng.uniform(0.4, 0.9), rng.uniform(3.5, 6)
            u = (xx - dx) * np.cos(th) + (yy - dy) * np.sin(th)
            v = -(xx - dx) * np.sin(th) + (yy - dy) * np.cos(th)
            img = np.exp(-np.sqrt(u**2 + (v / q) ** 2) / h)
        img = img + rng.normal(0, 0.03, img.shape)
        X[i] = np.clip(img / img.max(), 0, 1)
    return X, y


def canonical_correlations(A, B):
    k = min(A.shape[1], B.shape[1])
    a, b = CCA(n_components=k, max_iter=2000).fit(A, B).transform(A, B)
    return np.array([np.corrcoef(a[:, i], b[:, i])[0, 1] for i in range(k)])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs=2, default=[0, 1])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--n", type=int, default=240)
    parser.add_argument("--size", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(f"machine: {machine_summary()}")
    X, y = make_two_populations(args.n, args.size)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=1 / 3, random_state=0,
                                              stratify=y)
    Z = {}
    for seed in args.seeds:
        vae = GalaxyVAE(latent_dim=2, channels=(8, 16), hidden_dim=64, batch_size=32,
                        max_epochs=args.epochs, random_state=seed).fit(X_tr)
        Z[seed] = vae.transform(X_te)
        clf = LogisticRegression().fit(vae.transform(X_tr), y_tr)
        ba = balanced_accuracy_score(y_te, clf.predict(Z[seed]))
        _, std = vae.encode(X_te)
        active = Z[seed].var(0) > 0.01  # active units (Burda et al. 2016)
        var = np.round(Z[seed].var(0).astype(float), 3).tolist()
        sd = np.round(std.mean(0).astype(float), 3).tolist()
        print(f"seed {seed}: {vae.n_epochs_} epochs, held-out balanced accuracy "
              f"{ba:.3f}, latent variance {var}, mean posterior std {sd}, "
              f"{active.sum()} active")
    rho = canonical_correlations(*Z.values())
    print(f"canonical correlations between seeds {args.seeds} (held-out latents): "
          f"{np.round(rho, 3).tolist()}")


if __name__ == "__main__":
    main()
