"""Throughput of preprocess_with_dask on a LocalCluster of 1 and 2 workers (1 thread each).

Run: ``python benchmarks/bench_dask_preprocessing.py [--n 400] [--repeat 2]``. Writes
``--n`` synthetic 150x150 FITS cutouts (an elliptical galaxy, a companion, sky noise) into
a temporary folder, then preprocesses them with the default pipeline
(``make_preprocessing_pipeline(output_shape=64)``, companion masking included) into a zarr
store on each cluster, alternating the two, ``--repeat`` times each. Both clusters are
started (and their workers warmed up on one chunk) before any timing; a timing is the
whole call: reading, preprocessing, writing, committing. Prints images/s for each run, the
median of each configuration and their ratio, with the load average before each run (a
ratio means little when other processes hold the cores).
"""

import argparse
import logging
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits

from skgalvae.preprocessing import make_preprocessing_pipeline, preprocess_with_dask

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary

SIDE = 150


def _galaxy(rng):
    """A 150x150 cutout: an elliptical exponential galaxy, a companion, noise."""
    yy, xx = np.indices((SIDE, SIDE), dtype=np.float64)
    image = np.zeros((SIDE, SIDE))
    for cy, cx, flux, scale, q in [
        (74.5 + rng.uniform(-3, 3), 74.5 + rng.uniform(-3, 3), 1.0, rng.uniform(4, 9),
         rng.uniform(0.4, 1.0)),
        (rng.uniform(20, 130), rng.uniform(20, 130), rng.uniform(0.1, 0.4), 2.5, 1.0),
    ]:
        t = rng.uniform(0, np.pi)
        u = (xx - cx) * np.cos(t) + (yy - cy) * np.sin(t)
        v = -(xx - cx) * np.sin(t) + (yy - cy) * np.cos(t)
        r = np.hypot(u, v / q)
        blob = np.exp(-r / scale)
        image += flux * blob / blob.sum()
    image = 1e4 * image + rng.normal(0, 0.5, image.shape)
    return image.astype(np.float32)


def _write_survey(folder, n, seed=0):
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        path = folder / f"g{i:05d}.fits"
        fits.PrimaryHDU(_galaxy(rng)).writeto(path)
        paths.append(str(path))
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=400, help="number of FITS files")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each configuration")
    parser.add_argument("--chunk-size", type=int, default=25, help="images per task")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    print(f"machine: {machine_summary()}")
    print(f"command: python {shlex.join(sys.argv)}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "cutouts").mkdir()
        paths = _write_survey(tmp / "cutouts", args.n)
        print(f"source: {args.n} synthetic {SIDE}x{SIDE} FITS files, chunks of "
              f"{args.chunk_size} ({-(-args.n // args.chunk_size)} tasks); pipeline: "
              "make_preprocessing_pipeline(output_shape=64) (companion masking included)")
        pipe = make_preprocessing_pipeline(output_shape=64)
        clients = {}
        try:
            for workers in (1, 2):
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                       processes=True, dashboard_address=":0",
                                       silence_logs=logging.CRITICAL)
                clients[workers] = Client(cluster, set_as_default=False)
                preprocess_with_dask(pipe, paths[:args.chunk_size * workers],
                                     tmp / f"warm{workers}.zarr", client=clients[workers],
                                     chunk_size=args.chunk_size, verbose=0)  # imports
            rates = {1: [], 2: []}
            for rep in range(args.repeat):
                for workers in (1, 2):
                    store = tmp / f"X{workers}.zarr"
                    load = os.getloadavg()[0]  # other processes competing for the cores
                    start = time.perf_counter()
                    result = preprocess_with_dask(pipe, paths, store,
                                                  client=clients[workers],
                                                  chunk_size=args.chunk_size,
                                                  overwrite=True, verbose=0)
                    elapsed = time.perf_counter() - start
                    assert result.store.shape == (args.n, 64 * 64)
                    rates[workers].append(args.n / elapsed)
                    print(f"run {rep + 1}, {workers} worker(s): {args.n / elapsed:7.1f} "
                          f"images/s ({elapsed:.2f} s; load average before {load:.1f})")
        finally:
            for client in clients.values():
                cluster = client.cluster
                client.close()
                cluster.close()
    one, two = (statistics.median(rates[w]) for w in (1, 2))
    print(f"1 worker:  {one:7.1f} images/s (median of {args.repeat})")
    print(f"2 workers: {two:7.1f} images/s (median of {args.repeat})")
    print(f"ratio 2/1: {two / one:.2f}")


if __name__ == "__main__":
    main()
