"""Throughput of the recommended preprocessing pipeline on the bundled SDSS sample.

Run: ``python benchmarks/bench_preprocessing.py [--repeat 5]``. Prints images/s for
``n_jobs`` 1 and 2 for the whole pipeline and for each step.
"""

import argparse
import time

import numpy as np

from skgalvae.datasets import load_sdss_sample
from skgalvae.preprocessing import make_preprocessing_pipeline

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary


def _best_time(func, arg, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func(arg)
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--copies", type=int, default=4,
                        help="tile the 100 images this many times")
    args = parser.parse_args()
    images = np.tile(load_sdss_sample().images, (args.copies, 1, 1))
    print(f"machine: {machine_summary()}")
    print(f"images: {images.shape} float32 (bundled sample x{args.copies})")
    for n_jobs in (1, 2):
        pipe = make_preprocessing_pipeline(output_shape=64, n_jobs=n_jobs).fit(images[:2])
        total = _best_time(pipe.transform, images, args.repeat)
        print(f"n_jobs={n_jobs}: pipeline {len(images) / total:8.0f} images/s")
        X = images.reshape(len(images), -1)
        for name, step in pipe.steps:
            t = _best_time(step.transform, X, args.repeat)
            print(f"    {name:<10} {len(images) / t:8.0f} images/s")
            X = step.transform(X)


if __name__ == "__main__":
    main()
