"""GPU training throughput of the default VAE in images/s (issue 15, benchmark 3).

Goals: >= 20,000 images/s at 64x64 in bf16 on an H100/H200, and streaming from a
memory-mapped array within 80% of GPU-resident data.

Run (one command, about 4-6 minutes on an H100/H200)::

    python benchmarks/bench_models_gpu.py [--size 64 150] [--n 50000] [--epochs 3]
        [--batch-size 256 1024] [--workers 4] [--workdir /tmp]

Needs CUDA; says the figure is pending otherwise. For each image size, it trains the
default network (``GalaxyVAE()``'s architecture) with ``GalaxyVAE.fit`` for every
combination of ``precision`` ("32", "bf16"), ``batch_size`` and input: an in-memory
array (resident on the GPU: the estimator moves data that fit in half the free GPU
memory there once) or a memory-mapped ``.npy`` on disk (streamed through the DataLoader
with ``num_workers`` and pinned memory). Images/s are over the epochs after the first
(warm-up, cuDNN autotuning), from ``history_["dur"]``. A plain PyTorch bf16 loop over
GPU-resident data gives the ceiling for the same network.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

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


def estimator_fit(X, *, epochs, batch_size, precision, workers=0):
    vae = GalaxyVAE(max_epochs=epochs, validation_fraction=None, device="cuda",
                    batch_size=batch_size, lr=1e-3 * (batch_size / 64) ** 0.5,
                    precision=precision, channels_last=True, num_workers=workers,
                    random_state=0).fit(X)
    return len(X) / float(np.median(vae.history_["dur"].to_numpy()[1:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs="+", default=[64, 150])
    parser.add_argument("--n", type=int, default=50_000,
                        help="images at 64x64 (scaled down by the pixel count above)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--workdir", default=None, help="where the memmap goes")
    args = parser.parse_args()
    print(f"machine: {machine_summary()}")
    print("command: python benchmarks/bench_models_gpu.py " + " ".join(sys.argv[1:]))
    if not torch.cuda.is_available():
        print("CUDA is not available: this benchmark needs a GPU (figure pending).")
        sys.exit(0)
    torch.backends.cudnn.benchmark = True
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-gpu-"))
    rows = []
    for size in args.size:
        n = max(2048, int(args.n * (64 * 64) / (size * size)))
        X = np.random.default_rng(0).random((n, size * size), dtype=np.float32)
        path = work / f"bench_gpu_{size}.npy"
        np.save(path, X)
        X_disk = np.load(path, mmap_mode="r")
        print(f"{size}x{size}, {n} images, {args.epochs} epochs", flush=True)
        ceiling = amp_loop(X.reshape(n, size, size), epochs=args.epochs,
                           batch_size=max(args.batch_size), resident=True, workers=0)
        rows.append((size, "plain bf16 loop", max(args.batch_size), "resident", ceiling))
        print(f"  plain PyTorch bf16 loop, resident: {ceiling:,.0f} img/s", flush=True)
        for precision in ("32", "bf16"):
            for batch_size in args.batch_size:
                for where, data, workers in (("resident", X, 0),
                                             ("memmap", X_disk, args.workers)):
                    ips = estimator_fit(data, epochs=args.epochs, batch_size=batch_size,
                                        precision=precision, workers=workers)
                    rows.append((size, f"GalaxyVAE.fit {precision}", batch_size, where, ips))
                    print(f"  GalaxyVAE.fit precision={precision} batch={batch_size} "
                          f"{where}: {ips:,.0f} img/s", flush=True)
        path.unlink()
    print(f"{'size':>5} {'loop':<22} {'batch':>6} {'input':<9} {'img/s':>10}")
    for size, loop, batch, where, ips in rows:
        print(f"{size:>5} {loop:<22} {batch:>6} {where:<9} {ips:>10,.0f}")
    for size in args.size:
        for precision in ("32", "bf16"):
            for batch in args.batch_size:
                got = {w: i for s_, lp, b, w, i in rows
                       if s_ == size and b == batch and lp.endswith(precision)}
                print(f"{size}x{size} {precision} batch {batch}: streaming / resident = "
                      f"{got['memmap'] / got['resident']:.2f} (goal >= 0.80)")


if __name__ == "__main__":
    main()
