"""skorch's overhead: ``GalaxyVAE.fit`` time / a plain PyTorch loop's time (goal <= 1.10).

Run: ``python benchmarks/bench_models_skorch_overhead.py [--n 2000] [--size 64]
[--epochs 3] [--repeat 3] [--threads 2]``. Both train the same module (the default
architecture, ``skgalvae.models._nets.LatentNet``) with the same loss, optimizer (Adam,
lr 1e-3), data, batch size and epochs on 2 torch threads (``--threads``), without
validation. The runs alternate (skorch, plain, skorch, plain...) so that load on a
shared machine hits both alike; the ratio of the medians is printed.
"""

import argparse
import os
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from skgalvae.models import GalaxyVAE
from skgalvae.models._nets import LatentNet

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary


def plain_loop(X, *, epochs, batch_size, seed):
    torch.manual_seed(seed)
    est = GalaxyVAE()
    net = LatentNet(X.shape[1:], latent_dim=est.latent_dim, channels=est.channels,
                    kernel_size=est.kernel_size, hidden_dim=est.hidden_dim)
    opt = torch.optim.Adam(net.parameters(), lr=est.lr)
    loader = DataLoader(TensorDataset(torch.from_numpy(X.reshape(len(X), -1))),
                        batch_size=batch_size, shuffle=True)
    net.train()
    for _ in range(epochs):
        for (xb,) in loader:
            nll, kl, *_ = net(xb)  # the ELBO terms (one function: _nets.elbo_terms)
            loss = nll.mean() + kl.sum(1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net


def skorch_fit(X, *, epochs, batch_size, seed):
    return GalaxyVAE(max_epochs=epochs, batch_size=batch_size, validation_fraction=None,
                     random_state=seed, device="cpu").fit(X)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    X = np.random.default_rng(0).random((args.n, args.size, args.size),
                                        dtype=np.float32)
    print(f"machine: {machine_summary()}")
    print(f"data: {X.shape} float32, batch {args.batch_size}, {args.epochs} epochs, "
          f"default architecture")
    kw = {"epochs": args.epochs, "batch_size": args.batch_size}
    skorch_fit(X[:64], epochs=1, batch_size=args.batch_size, seed=0)  # warm up
    plain_loop(X[:64], epochs=1, batch_size=args.batch_size, seed=0)
    times = {"skorch": [], "plain": []}
    for r in range(args.repeat):
        for name, func in (("skorch", skorch_fit), ("plain", plain_loop)):
            t0, c0 = time.perf_counter(), time.process_time()
            func(X, seed=r, **kw)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            times[name].append(wall)
            print(f"  {name:6s} run {r}: {wall:7.2f} s wall, {cpu:7.2f} s CPU, "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    sk, pl = np.median(times["skorch"]), np.median(times["plain"])
    print(f"skorch fit / plain loop = {sk:.2f} s / {pl:.2f} s = {sk / pl:.3f} "
          f"(median of {args.repeat}; goal <= 1.10); best of each: "
          f"{min(times['skorch']) / min(times['plain']):.3f}")


if __name__ == "__main__":
    main()
