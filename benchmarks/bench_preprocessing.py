"""Throughput of the recommended preprocessing pipeline on the bundled SDSS sample.

Run: ``python benchmarks/bench_preprocessing.py [--repeat 5] [--copies 4]``. Prints
images/s for ``n_jobs`` 1 and 2 for the whole pipeline and for each step, then compares
the companion masker against its straightforward path (astropy statistics and
convolution, every segment deblended; ``companion_mask_one(..., _reference=True)``),
alternating the two (A B A B) in one run, since this machine's speed drifts: medians
and the ratio of medians, and whether the masks agree. Last, at ``n_jobs=2``, the
pipeline's chunks in worker processes (what ``make_preprocessing_pipeline(n_jobs=2)``
does) against the same steps in a plain ``Pipeline``, each step over 2 threads (what it
did before), alternating, and whether their outputs agree with ``n_jobs=1``. The load
average is printed before and after: another job on the machine takes cores away.
"""

import argparse
import os
import time

import numpy as np
from sklearn.pipeline import Pipeline

from skgalvae.datasets import load_sdss_sample
from skgalvae.preprocessing import CompanionMasker, make_preprocessing_pipeline

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary


class _ReferenceMasker(CompanionMasker):
    """The masker on its straightforward path (what it was before issue 18)."""

    def _detect_params(self):
        return {**super()._detect_params(), "_reference": True}


def _best_time(func, arg, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func(arg)
        times.append(time.perf_counter() - start)
    return min(times)


def _alternate(funcs, arg, repeat):
    """Median seconds of each of ``funcs`` on ``arg``, run in turn ``repeat`` times."""
    times = {name: [] for name in funcs}
    for _ in range(repeat):
        for name, func in funcs.items():
            start = time.perf_counter()
            func(arg)
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def _with_masker(pipe, masker):
    steps = [(name, masker if name == "mask" else step) for name, step in pipe.steps]
    return type(pipe)(steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--copies", type=int, default=4,
                        help="tile the 100 images this many times")
    parser.add_argument("--skip-steps", action="store_true",
                        help="only the A/B comparison")
    args = parser.parse_args()
    images = np.tile(load_sdss_sample().images, (args.copies, 1, 1))
    n = len(images)
    print(f"machine: {machine_summary()}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(f"images: {images.shape} float32 (bundled sample x{args.copies})")
    if not args.skip_steps:
        for n_jobs in (1, 2):
            pipe = make_preprocessing_pipeline(output_shape=64, n_jobs=n_jobs).fit(images[:2])
            pipe.transform(images[:4])  # n_jobs=2: start the worker processes
            total = _best_time(pipe.transform, images, args.repeat)
            print(f"n_jobs={n_jobs}: pipeline {n / total:8.0f} images/s")
            X = images.reshape(n, -1)
            for name, step in pipe.steps:
                t = _best_time(step.transform, X, args.repeat)
                print(f"    {name:<10} {n / t:8.0f} images/s")
                X = step.transform(X)

    print("A/B, alternating (medians of", args.repeat, "runs each):")
    for n_jobs in (1, 2):
        pipe = make_preprocessing_pipeline(output_shape=64, n_jobs=n_jobs).fit(images[:2])
        old = _with_masker(pipe, _ReferenceMasker(n_jobs=n_jobs)).fit(images[:2])
        X = pipe[:1].transform(images.reshape(n, -1))  # the masker's input
        new_mask, old_mask = pipe.named_steps["mask"], old.named_steps["mask"]
        masks = _alternate({"before": old_mask.transform, "after": new_mask.transform},
                           X, args.repeat)
        whole = _alternate({"before": old.transform, "after": pipe.transform},
                           images, args.repeat)
        for label, t in (("mask", masks), ("pipeline", whole)):
            print(f"  n_jobs={n_jobs} {label:<9} before {n / t['before']:7.0f}  after "
                  f"{n / t['after']:7.0f} images/s  (x{t['before'] / t['after']:.2f})")
        same = np.array_equal(new_mask.companion_masks(X), old_mask.companion_masks(X))
        out_same = np.array_equal(pipe.transform(images), old.transform(images))
        print(f"  n_jobs={n_jobs} masks identical: {same}; pipeline output identical: "
              f"{out_same}")

    print("n_jobs=2, per-step threads (plain Pipeline) vs chunks in processes "
          f"(medians of {args.repeat} runs each):")
    chunks = make_preprocessing_pipeline(output_shape=64, n_jobs=2).fit(images[:2])
    threads = Pipeline(chunks.steps)  # the same fitted steps, each with n_jobs=2
    chunks.transform(images[:4])  # start the worker processes
    whole = _alternate({"threads": threads.transform, "processes": chunks.transform},
                       images, args.repeat)
    print(f"  pipeline  threads {n / whole['threads']:7.0f}  processes "
          f"{n / whole['processes']:7.0f} images/s  "
          f"(x{whole['threads'] / whole['processes']:.2f})")
    one = make_preprocessing_pipeline(output_shape=64).fit(images[:2]).transform(images)
    print(f"  outputs identical to n_jobs=1: threads "
          f"{np.array_equal(threads.transform(images), one)}, processes "
          f"{np.array_equal(chunks.transform(images), one)}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
