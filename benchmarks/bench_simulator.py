"""Speed of skgalvae.datasets.make_galaxies: images per second.

Measures 150x150 and 64x64 cutouts with n_jobs=1 and n_jobs=2 (joblib threads, the
default, and loky processes), after a warm-up call (GalSim builds one Sersic table per index
and process), and extrapolates the time for the seed's 12,539 galaxies at 150x150.

``--preset`` instead measures ``make_galaxies(n, preset="sdss")`` on one core at 150x150,
with its Sersic cut at 8 half-light radii and without it (``sersic_truncation=0``),
beside the default simulator, alternating the three over ``--repeat`` rounds.

Run: python benchmarks/bench_simulator.py [n_galaxies] [--preset [--repeat K]]
"""

import os
import platform
import sys
import time

from joblib import parallel_config

from skgalvae.datasets import make_galaxies


def bench(n, size, n_jobs, backend=None, **extra):
    kwargs = {"image_size": size, "n_jobs": n_jobs, "random_state": 0, **extra}
    if backend:
        with parallel_config(backend=backend):
            make_galaxies(min(n, 100), **kwargs)  # warm-up (workers, tables)
            start = time.perf_counter()
            make_galaxies(n, **kwargs)
    else:
        make_galaxies(min(n, 100), **kwargs)
        start = time.perf_counter()
        make_galaxies(n, **kwargs)
    return n / (time.perf_counter() - start)


PRESET_RUNS = (("default", {}), ("preset='sdss'", {"preset": "sdss"}),
               ("preset='sdss', sersic_truncation=0", {"preset": "sdss",
                                                       "sersic_truncation": 0.0}))


def preset(n, repeat):
    """Galaxies per second on one core: the default and the preset with and without
    its Sersic cut, alternating, ``repeat`` rounds (median and range)."""
    rates = {label: [] for label, _ in PRESET_RUNS}
    for _ in range(repeat):
        for label, kwargs in PRESET_RUNS:
            rates[label].append(bench(n, 150, 1, **kwargs))
    for label, values in rates.items():
        values = sorted(values)
        print(f"150x150 n_jobs=1 {label:38s} {values[len(values) // 2]:8.1f} images/s "
              f"(range {values[0]:.1f}-{values[-1]:.1f})")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 1000
    print(f"machine: {platform.platform()}, {platform.processor() or 'cpu'}, "
          f"{os.cpu_count()} cores, python {platform.python_version()}")
    print(f"{n} galaxies per measurement")
    if "--preset" in sys.argv:
        repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv \
            else 3
        preset(n, repeat)
        return
    rates = {}
    for size in (150, 64):
        for n_jobs, backend in ((1, None), (2, None), (2, "loky")):
            label = f"{size}x{size} n_jobs={n_jobs} {backend or 'threads'}"
            if n_jobs == 1:
                label = f"{size}x{size} n_jobs=1"
            rate = bench(n, size, n_jobs, backend)
            rates[(size, n_jobs, backend)] = rate
            print(f"{label:40s} {rate:8.1f} images/s")
    best = max(r for (s, _, _), r in rates.items() if s == 150)
    print(f"12,539 galaxies at 150x150, best setting: about {12539 / best:.0f} s")


if __name__ == "__main__":
    main()
