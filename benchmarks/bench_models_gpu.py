"""GPU training throughput of the default VAE architecture in images/s (goal >= 20k on
an H100 at 64x64).

Run: ``python benchmarks/bench_models_gpu.py [--size 64] [--n 12500] [--epochs 3]``.
Needs CUDA; exits with a message otherwise. Three ways to train the same network
(``skgalvae.models._nets.LatentNet``, default settings):

1. ``GalaxyVAE(device="cuda").fit`` as a user calls it (skorch, float32, batch 64);
2. a plain loop with bf16 autocast, a large batch and a ``DataLoader`` over pinned host
   memory with background workers and non-blocking copies;
3. the same with the whole data set resident on the GPU (no host transfer at all).

Each prints images/s over the epochs after the first (warm-up, cuDNN autotuning).
"""

import argparse
import sys
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


def _net(image_shape):
    est = GalaxyVAE()
    return LatentNet(image_shape, latent_dim=est.latent_dim, channels=est.channels,
                     kernel_size=est.kernel_size, hidden_dim=est.hidden_dim).cuda()


def _step(net, opt, xb):
    with torch.autocast("cuda", dtype=torch.bfloat16):
        nll, kl, *_ = net(xb)  # the ELBO terms (one function: _nets.elbo_terms)
    loss = nll.float().mean() + kl.float().sum(1).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def amp_loop(X, *, epochs, batch_size, resident, workers):
    net = _net(X.shape[1:])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True)
    flat = torch.from_numpy(X.reshape(len(X), -1))
    times = []
    if resident:
        data = flat.cuda()
        for _ in range(epochs):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for idx in torch.randperm(len(data), device="cuda").split(batch_size):
                _step(net, opt, data[idx])
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
    else:
        loader = DataLoader(TensorDataset(flat), batch_size=batch_size, shuffle=True,
                            pin_memory=True, num_workers=workers, drop_last=False,
                            persistent_workers=workers > 0, prefetch_factor=4
                            if workers else None)
        for _ in range(epochs):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for (xb,) in loader:
                _step(net, opt, xb.cuda(non_blocking=True))
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
    return len(X) / np.median(times[1:])


def skorch_fit(X, *, epochs):
    vae = GalaxyVAE(max_epochs=epochs, validation_fraction=None, device="cuda",
                    random_state=0).fit(X)
    return len(X) / float(np.median(vae.history_["dur"].to_numpy()[1:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, nargs="+", default=[64, 150])
    parser.add_argument("--n", type=int, default=12_500)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("CUDA is not available: this benchmark needs a GPU (result pending).")
        sys.exit(0)
    torch.backends.cudnn.benchmark = True
    print(f"machine: {machine_summary()}")
    for size in args.size:
        X = np.random.default_rng(0).random((args.n, size, size), dtype=np.float32)
        print(f"{size}x{size}, {args.n} images, {args.epochs} epochs:", flush=True)
        print(f"  GalaxyVAE.fit (skorch, fp32, batch 64): "
              f"{skorch_fit(X, epochs=args.epochs):,.0f} img/s", flush=True)
        for resident in (False, True):
            ips = amp_loop(X, epochs=args.epochs, batch_size=args.batch_size,
                           resident=resident, workers=args.workers)
            where = "GPU-resident data" if resident else (
                f"pinned DataLoader, {args.workers} workers")
            print(f"  bf16 autocast loop, batch {args.batch_size}, {where}: "
                  f"{ips:,.0f} img/s", flush=True)


if __name__ == "__main__":
    main()
