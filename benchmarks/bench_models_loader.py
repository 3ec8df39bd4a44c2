"""Training throughput of ``GalaxyVAE.fit`` against a plain PyTorch loop, in memory and on disk.

Run: ``python benchmarks/bench_models_loader.py [--n 4096] [--size 64] [--epochs 3]
[--repeat 3] [--batch-size 64] [--threads 2] [--workdir DIR]``.

Both sides train the same module (``skgalvae.models._nets.LatentNet``, the default
architecture), with the same optimizer (Adam, lr 1e-3), batch size, epochs and loss (the
negative ELBO from ``_nets.elbo_terms``: ``mean(nll) + sum_j mean(KL_j)``), on the same
batches: for in-memory input skorch's default ``DataLoader(shuffle=True)`` over the
tensor, for a memory-mapped ``.npy`` the ``DataLoader`` that ``fit`` builds
(``skgalvae.models._data.make_loader``: one sorted read per batch). Validation is off.
The runs alternate (fit, plain, fit, plain, ... for each input) so that load on a shared
machine hits both alike. Printed: images/s of the training epochs (``history_["dur"]``
for fit; the epoch loop for plain), the whole fit (with its end-of-training diagnostic
pass), and the ratio fit / plain of the median epoch times (goal <= 1.05).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from skgalvae.models import GalaxyVAE
from skgalvae.models._data import LazyImages, RowsDataset, _Source, make_loader
from skgalvae.models._nets import LatentNet, elbo_terms

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary


def plain_loop(X, *, epochs, batch_size, seed):
    """Epoch times (s) of a hand-written loop over the same module and batches."""
    torch.manual_seed(seed)
    est = GalaxyVAE()
    n = len(X)
    net = LatentNet(X.shape[1:] if X.ndim == 3 else (int(np.sqrt(X.shape[1])),) * 2,
                    latent_dim=est.latent_dim, channels=est.channels,
                    kernel_size=est.kernel_size, hidden_dim=est.hidden_dim)
    opt = torch.optim.Adam(net.parameters(), lr=est.lr)
    if isinstance(X, np.memmap):
        loader = make_loader(RowsDataset(LazyImages(_Source(X, "memmap"))), batch_size,
                             shuffle=True)
    else:
        loader = DataLoader(TensorDataset(torch.from_numpy(X.reshape(n, -1))),
                            batch_size=batch_size, shuffle=True)
    net.train()
    net.likelihood.fitting = True
    durations = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        for xb, *_ in loader:
            nll, kl, *_ = elbo_terms(net, xb, sample=True)
            loss = nll.mean() + kl.mean(0).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.likelihood.epoch_noise_std()  # what fit's diagnostics callback reads
        durations.append(time.perf_counter() - t0)
    return durations


def skgalvae_fit(X, *, epochs, batch_size, seed):
    t0 = time.perf_counter()
    vae = GalaxyVAE(max_epochs=epochs, batch_size=batch_size, validation_fraction=None,
                    random_state=seed, device="cpu").fit(X)
    vae.fit_wall_ = time.perf_counter() - t0
    return list(vae.history_["dur"]), vae.fit_wall_


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {machine_summary()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"data: {args.n} x {args.size}x{args.size} float32, batch {args.batch_size}, "
          f"{args.epochs} epochs, default architecture, no validation")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="skgalvae_loader_"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "bench_loader.npy"
    X = np.random.default_rng(0).random((args.n, args.size, args.size), dtype=np.float32)
    np.save(path, X)
    inputs = {"memory": X, "memmap": np.load(path, mmap_mode="r")}
    kw = {"epochs": args.epochs, "batch_size": args.batch_size}
    for Xin in inputs.values():  # warm up both sides on both inputs
        skgalvae_fit(Xin[:128], epochs=1, batch_size=args.batch_size, seed=0)
        plain_loop(Xin[:128], epochs=1, batch_size=args.batch_size, seed=0)
    epoch = {(i, s): [] for i in inputs for s in ("fit", "plain")}
    walls = {i: [] for i in inputs}
    try:
        for r in range(args.repeat):
            for name, Xin in inputs.items():
                durs, wall = skgalvae_fit(Xin, seed=r, **kw)
                epoch[name, "fit"] += durs
                walls[name].append(wall)
                plain = plain_loop(Xin, seed=r, **kw)
                epoch[name, "plain"] += plain
                print(f"  run {r} {name:6s}: fit {np.median(durs):6.2f} s/epoch (whole fit "
                      f"{wall:6.1f} s), plain {np.median(plain):6.2f} s/epoch, load "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    for name in inputs:
        f, p = np.median(epoch[name, "fit"]), np.median(epoch[name, "plain"])
        whole = np.median(walls[name]) / args.epochs
        print(f"{name:6s}: fit {args.n / f:7.0f} images/s, plain {args.n / p:7.0f} "
              f"images/s, fit / plain = {f / p:.3f} (median epoch of {args.repeat} runs; "
              f"goal <= 1.05); whole fit incl. diagnostics {args.n / whole:7.0f} images/s")
    mem_fit = np.median(epoch["memory", "fit"])
    print(f"memmap fit / in-memory fit = {np.median(epoch['memmap', 'fit']) / mem_fit:.3f}")


if __name__ == "__main__":
    main()
