"""Data-parallel training (``distributed=True``): 1 against 2 processes, and on a GPU.

Part 1 (CPU, always): the same script is launched with ``torchrun`` on 1 and then 2 gloo
processes (``OMP_NUM_THREADS=1`` each), alternating A/B ``--repeats`` times in one run (this
machine is noisy: compare within a run, never across runs). Each process trains a
GalaxyVAE on the same memory-mapped ``.npy`` with ``batch_size`` images per rank; the
figure is training images per second over all ranks (training images / epoch time,
the first epoch left out as warm-up) and the ratio 2 processes / 1 process.

Part 2 (GPU, only when CUDA is available): in this process, ``distributed=True`` (the
Accelerate path, one process) against ``distributed=False`` (the plain one) on one GPU,
alternating; else "pending".

Usage::

    python benchmarks/bench_distributed.py [--n-images 2048] [--side 32] [--epochs 4]
        [--batch-size 64] [--repeats 2]
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_summary  # noqa: E402

CHANNELS = (8, 16, 32)


def _model(args, **kwargs):
    from skgalvae.models import GalaxyVAE

    return GalaxyVAE(latent_dim=4, channels=CHANNELS, hidden_dim=64,
                     max_epochs=args.epochs, batch_size=args.batch_size,
                     validation_fraction=None, random_state=0, **kwargs)


def _images_per_s(model, n_images):
    durations = model.history_.dur.to_numpy()[1:]  # the first epoch warms up
    return n_images / float(np.median(durations))


def worker(args):
    """One rank of a launched run: fit, then rank 0 prints the figure as JSON."""
    X = np.load(args.data, mmap_mode="r")
    start = time.perf_counter()
    model = _model(args, device="cpu", distributed=True).fit(X)
    wall = time.perf_counter() - start
    if int(os.environ.get("RANK", "0")) == 0:
        print("RESULT " + json.dumps({"images_per_s": _images_per_s(model, len(X)),
                                      "fit_s": wall,
                                      "world": int(os.environ["WORLD_SIZE"])}),
              flush=True)


def launch(args, n_proc):
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={n_proc}",
           "--standalone", __file__, "--worker", "--data", args.data,
           "--epochs", str(args.epochs), "--batch-size", str(args.batch_size)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.exit(proc.stdout[-2000:] + proc.stderr[-2000:])
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.split(" ", 1)[1]), cmd


def gpu_part(args, X):
    import torch

    if not torch.cuda.is_available():
        print("GPU, Accelerate path (distributed=True, 1 process) vs plain: pending "
              "(no CUDA on this machine)")
        return
    X = np.asarray(X)
    figures = {False: [], True: []}
    for _ in range(args.repeats):
        for distributed in (False, True):
            model = _model(args, device="cuda", distributed=distributed).fit(X)
            figures[distributed].append(_images_per_s(model, len(X)))
    plain, accel = (statistics.median(figures[d]) for d in (False, True))
    print(f"GPU {torch.cuda.get_device_name(0)}: plain {plain:,.0f} images/s, "
          f"Accelerate path {accel:,.0f} images/s, ratio {accel / plain:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-images", type=int, default=2048)
    parser.add_argument("--side", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    print(machine_summary())
    print("command:", shlex.join([sys.executable, *sys.argv]))
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        X = rng.random((args.n_images, args.side, args.side), dtype=np.float32)
        args.data = str(Path(tmp) / "X.npy")
        np.save(args.data, X)
        figures = {1: [], 2: []}
        for _ in range(args.repeats):
            for n_proc in (1, 2):
                result, cmd = launch(args, n_proc)
                figures[n_proc].append(result["images_per_s"])
        print("launch:", "OMP_NUM_THREADS=1", shlex.join(cmd))
        print(f"{args.n_images} images {args.side}x{args.side}, GalaxyVAE channels "
              f"{CHANNELS}, batch_size {args.batch_size} per rank, {args.epochs} epochs "
              f"(first left out), {args.repeats} alternating repeats")
        one, two = (statistics.median(figures[n]) for n in (1, 2))
        for n in (1, 2):
            runs = ", ".join(f"{v:,.0f}" for v in figures[n])
            print(f"  {n} gloo process(es): {statistics.median(figures[n]):,.0f} "
                  f"images/s (runs: {runs})")
        print(f"  ratio 2 / 1 processes: {two / one:.2f} (ideal 2.00 with 2 free cores)")
        gpu_part(args, X)
    return None


if __name__ == "__main__":
    main()
