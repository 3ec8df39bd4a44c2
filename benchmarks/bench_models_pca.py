"""Fit time of ``EigengalaxyPCA`` on 12,500 x 22,500 float32 (150x150 images).

Run: ``python benchmarks/bench_models_pca.py [--n 12500] [--size 150]``. The images are
smooth synthetic galaxies (elliptical exponential profiles of random size, axis ratio
and angle, plus noise), so that the spectrum decays as for real galaxies. Times
``n_components=12`` (the paper's number; randomized SVD) and ``n_components=0.96`` (a
variance threshold needs the full SVD) on the first ``--threshold-n`` images (default
2,000; the full SVD of 12,500 x 22,500 costs about ``4 m^2 n`` = 1.4e13 flop).
"""

import argparse
import os
import time

import numpy as np

from skgalvae.models import EigengalaxyPCA

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary


def smooth_galaxies(n, size, seed=0, chunk=500):
    rng = np.random.default_rng(seed)
    yy, xx = (np.mgrid[:size, :size] - (size - 1) / 2).astype(np.float32)
    X = np.empty((n, size * size), np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        th = rng.uniform(0, np.pi, (m, 1, 1)).astype(np.float32)
        q = rng.uniform(0.3, 1.0, (m, 1, 1)).astype(np.float32)
        h = rng.uniform(3, 20, (m, 1, 1)).astype(np.float32)
        u = xx * np.cos(th) + yy * np.sin(th)
        v = -xx * np.sin(th) + yy * np.cos(th)
        img = np.exp(-np.sqrt(u**2 + (v / q) ** 2) / h)
        img += rng.normal(0, 0.02, img.shape).astype(np.float32)
        X[start:start + m] = img.reshape(m, -1)
    return X


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=12_500)
    parser.add_argument("--size", type=int, default=150)
    parser.add_argument("--threshold-n", type=int, default=2000,
                        help="images for the n_components=0.96 timing (0: skip)")
    args = parser.parse_args()
    print(f"machine: {machine_summary()}")
    X = smooth_galaxies(args.n, args.size)
    print(f"data: {X.shape} {X.dtype} ({X.nbytes / 1e9:.2f} GB)")
    settings = [({"n_components": 12, "random_state": 0}, len(X))]
    if args.threshold_n:
        settings.append(({"n_components": 0.96}, args.threshold_n))
    for kw, n in settings:
        t0 = time.perf_counter()
        pca = EigengalaxyPCA(**kw).fit(X[:n])
        dt = time.perf_counter() - t0
        print(f"EigengalaxyPCA({kw}) on {n} x {X.shape[1]}: fit {dt:.1f} s, "
              f"n_components_={pca.n_components_}, "
              f"explained variance {pca.explained_variance_ratio_.sum():.3f}, solver "
              f"{pca.pca_._fit_svd_solver}, load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
