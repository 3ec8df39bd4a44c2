"""Anonymous memory and epoch time of ``GalaxyVAE.fit`` on memory-mapped images.

Run: ``python benchmarks/bench_models_memory.py [--sizes 10000,100000,1000000]
[--size 64] [--workdir DIR] [--epochs 1] [--channels 4,8,16,32,64] [--hidden-dim 256]
[--batch-size 256] [--threads 2] [--num-workers 0] [--fixed-mmap-threshold]``.

For each size, writes ``n`` random ``size x size`` float32 images to a ``.npy`` file in
``--workdir`` (a temporary folder by default; chunk by chunk, never all in memory; 10^6
64x64 images are 16 GB), then, in a fresh subprocess, fits ``GalaxyVAE`` on
``np.load(path, mmap_mode="r")`` for ``--epochs`` epochs (validation "auto": 10% held
out, read lazily too) while a thread samples the process's ``RssAnon`` (anonymous
memory: the memmap's pages are file-backed page cache and do not count) every 20 ms. It
prints the peak growth over the baseline taken just before ``fit`` (after a warm-up fit
on 512 images), the epoch time (``history_["dur"]``: training and validation) and the
whole fit; for the largest size also the peak of ``transform``. A linear fit of epoch
time against ``n`` gives the slope in seconds per 10^5 images. The files are deleted.

glibc raises its mmap threshold as torch frees batch-sized buffers and keeps the freed
heap pages, which shows in RssAnon as a constant of some 100 MB; with
``--fixed-mmap-threshold`` the children run with ``MALLOC_MMAP_THRESHOLD_=131072``,
which shows what the fit itself holds. Goal: the peak does not grow with ``n``.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary

WRITE_ROWS = 8192


def rss_anon():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f
                    if line.startswith("RssAnon"))


class PeakSampler:
    """Sample RssAnon every ``interval`` s in a thread; ``peak`` is the largest seen."""

    def __init__(self, interval=0.02):
        self.interval, self.peak = interval, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._done.is_set():
            self.peak = max(self.peak, rss_anon())
            time.sleep(self.interval)

    def __enter__(self):
        self.peak = rss_anon()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, rss_anon())


def write_memmap(path, n, size, seed=0):
    """``n`` random float32 images of ``size x size``, written WRITE_ROWS at a time."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32,
                                    shape=(n, size, size))
    rng = np.random.default_rng(seed)
    for start in range(0, n, WRITE_ROWS):
        stop = min(n, start + WRITE_ROWS)
        out[start:stop] = rng.random((stop - start, size, size), dtype=np.float32)
        out.flush()
    del out


def child(args):
    """One measurement in a fresh process: prints a JSON line."""
    import torch

    from skgalvae.models import GalaxyVAE

    torch.set_num_threads(args.threads)
    X = np.load(args.child, mmap_mode="r")
    kw = {"channels": args.channels, "hidden_dim": args.hidden_dim,
          "batch_size": args.batch_size, "device": "cpu", "random_state": 0,
          "num_workers": args.num_workers}
    GalaxyVAE(max_epochs=1, **kw).fit(X[:512])  # warm up torch
    vae = GalaxyVAE(max_epochs=args.epochs, **kw)
    base = rss_anon()
    t0 = time.perf_counter()
    with PeakSampler() as fit_peak:
        vae.fit(X)
    result = {"n": len(X), "nbytes": X.nbytes, "fit_s": time.perf_counter() - t0,
              "epoch_s": float(np.median(vae.history_["dur"])),
              "fit_peak": fit_peak.peak - base, "epochs": vae.n_epochs_}
    if args.with_transform:
        base = rss_anon()
        t0 = time.perf_counter()
        with PeakSampler() as tr_peak:
            vae.transform(X)
        result.update(transform_s=time.perf_counter() - t0,
                      transform_peak=tr_peak.peak - base)
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--channels", default="4,8,16,32,64")
    parser.add_argument("--hidden-dim", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--fixed-mmap-threshold", action="store_true")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--with-transform", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.channels = tuple(int(c) for c in args.channels.split(","))
    if args.child:
        return child(args)

    import torch

    torch.set_num_threads(args.threads)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    print(f"machine: {machine_summary()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    malloc = ("MALLOC_MMAP_THRESHOLD_=131072" if args.fixed_mmap_threshold
              else "glibc defaults")
    print(f"network: channels={args.channels}, hidden_dim={args.hidden_dim}, "
          f"batch_size={args.batch_size}, {args.epochs} epoch(s), {args.size}x{args.size} "
          f"float32, num_workers={args.num_workers}, validation 'auto' (10%), "
          f"malloc: {malloc}")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="skgalvae_mem_"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if args.fixed_mmap_threshold:
        env["MALLOC_MMAP_THRESHOLD_"] = "131072"
    passthrough = ["--epochs", str(args.epochs), "--channels",
                   ",".join(map(str, args.channels)), "--hidden-dim", str(args.hidden_dim),
                   "--batch-size", str(args.batch_size), "--threads", str(args.threads),
                   "--num-workers", str(args.num_workers)]
    results = []
    try:
        for n in sizes:
            path = workdir / f"bench_memory_{n}x{args.size}.npy"
            t0 = time.perf_counter()
            write_memmap(path, n, args.size)
            written = time.perf_counter() - t0
            cmd = [sys.executable, __file__, "--child", str(path), *passthrough]
            if n == sizes[-1]:
                cmd.append("--with-transform")
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                  check=False)
            if proc.returncode:
                print(proc.stderr[-3000:])
                raise SystemExit(proc.returncode)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append(r)
            line = (f"n={n:>8,}: data {r['nbytes'] / 2**30:6.2f} GiB (written in "
                    f"{written:.0f} s), fit peak RssAnon +{r['fit_peak'] / 2**20:7.1f} MiB "
                    f"({100 * r['fit_peak'] / r['nbytes']:.1f}% of the data), "
                    f"{r['epoch_s']:8.1f} s/epoch, fit {r['fit_s']:.1f} s")
            if "transform_s" in r:
                line += (f"; transform peak +{r['transform_peak'] / 2**20:.1f} MiB, "
                         f"{r['transform_s']:.1f} s")
            print(line, flush=True)
            path.unlink()
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if len(results) >= 2:
        ns = np.array([r["n"] for r in results], float)
        secs = np.array([r["epoch_s"] for r in results])
        slope, intercept = np.polyfit(ns, secs, 1)
        print(f"epoch time ~ {intercept:.1f} s + {slope * 1e5:.1f} s per 10^5 images "
              f"(linear fit over {len(ns)} sizes; load {os.getloadavg()[0]:.1f})")
    return None


if __name__ == "__main__":
    main()
