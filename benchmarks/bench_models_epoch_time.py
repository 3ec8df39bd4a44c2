"""Seconds per training epoch of ``GalaxyVAE`` with the default architecture, 2 threads.

Run: ``python benchmarks/bench_models_epoch_time.py [--n150 1000] [--n64 2000]``.
Trains on ``n`` random images for 3 epochs, takes the median epoch duration from
``history_["dur"]`` (the first epoch, which pays one-off initialisation, is dropped) and
extrapolates linearly to 12,500 images (the seed study's 12,539 galaxies). Goal: <= 60 s
per epoch at 150x150. Also prints the process CPU time per epoch and the load average:
on a shared machine, a load above the core count inflates the wall time of
multi-threaded torch far more than its CPU time.
"""

import argparse
import os
import time

import numpy as np
import torch

from skgalvae.models import GalaxyVAE

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary

N_FULL = 12_500


def seconds_per_epoch(n, size, epochs=3):
    X = np.random.default_rng(0).random((n, size, size), dtype=np.float32)
    GalaxyVAE(max_epochs=1, validation_fraction=None, device="cpu").fit(X[:64])  # warm
    c0 = time.process_time()
    vae = GalaxyVAE(max_epochs=epochs, validation_fraction=None, random_state=0,
                    device="cpu").fit(X)
    cpu = (time.process_time() - c0) / epochs
    dur = vae.history_["dur"].to_numpy()
    n_params = sum(p.numel() for p in vae.net_.module_.parameters())
    return float(np.median(dur[1:])), cpu, n_params


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n150", type=int, default=1000)
    parser.add_argument("--n64", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {machine_summary()}")
    print(f"default architecture: channels={GalaxyVAE().channels}, "
          f"kernel_size={GalaxyVAE().kernel_size}, hidden_dim={GalaxyVAE().hidden_dim}, "
          f"batch_size={GalaxyVAE().batch_size}")
    for size, n in ((150, args.n150), (64, args.n64)):
        sec, cpu, n_params = seconds_per_epoch(n, size)
        per_img = sec / n
        print(f"{size}x{size}: {sec:.2f} s/epoch for {n} images = {per_img * 1e3:.2f} "
              f"ms/image -> {per_img * N_FULL:.1f} s/epoch for {N_FULL} images "
              f"(linear extrapolation; CPU time {cpu / n * 1e3:.2f} ms/image; "
              f"{n_params:,} parameters; load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
