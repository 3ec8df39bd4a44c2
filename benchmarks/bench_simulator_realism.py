"""Is the simulator realistic? make_galaxies against the 100 bundled real SDSS cutouts.

Puts the bundled real i-band cutouts (load_sdss_sample) and make_galaxies(n, random_state=0)
through the default preprocessing (make_preprocessing_pipeline(output_shape=64)) and
prints skgalvae.analysis.compare_to_real's table: structural parameters (C, A, Gini, M20,
R50 on the linear 64x64 images), the pixel statistics the models see and the PCA
eigen-spectra. A second table compares the raw cutouts (no preprocessing: sky noise in
nanomaggies per pixel, total flux in nanomaggies) to locate the differences. The issue's
goals: KS <= 0.2 for each structural parameter, PCA-12 within 0.05 of the real set's.

Run: python benchmarks/bench_simulator_realism.py [n_simulated] [n_jobs]
"""

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine_summary  # noqa: E402

from skgalvae.analysis import compare_to_real  # noqa: E402
from skgalvae.datasets import load_sdss_sample, make_galaxies  # noqa: E402

COLUMNS = ["real", "simulated", "ks_statistic", "ks_pvalue", "wasserstein_iqr",
           "meets_goal"]


def show(table):
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.3g}".format):
        print(table[COLUMNS].to_string())
    for note in table.attrs.get("notes", []):
        print(f"note: {note}")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    n_jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    print(f"command: python benchmarks/bench_simulator_realism.py {n} {n_jobs}")
    print(f"machine: {machine_summary()}")
    start = time.perf_counter()
    real = load_sdss_sample().images
    sim = make_galaxies(n, random_state=0, n_jobs=n_jobs)
    print(f"{len(real)} real cutouts, {n} simulated (make_galaxies(n={n}, "
          f"random_state=0), {time.perf_counter() - start:.0f} s)")
    start = time.perf_counter()
    result = compare_to_real(real, sim.images, return_measurements=True, n_jobs=n_jobs)
    print(f"\ndefault preprocessing, 64x64 ({time.perf_counter() - start:.0f} s):")
    show(result.table)
    print("\neigen-spectra (explained variance ratio, components 1-20):")
    print(result.spectra.T.to_string(float_format="{:.3f}".format))
    raw = compare_to_real(real, sim.images, preprocessing=None, structural=False)
    print("\nraw cutouts, no preprocessing (nanomaggies):")
    show(raw.drop(index=[i for i in raw.index if i.startswith("pca")]))
    counts = sim.catalog["class"].value_counts(normalize=True).round(2).to_dict()
    print(f"\nsimulated classes: {counts}; with companion "
          f"{sim.catalog['has_companion'].mean():.2f}, star {sim.catalog['has_star'].mean():.2f}")
    r50 = sim.catalog["petro_r50"]
    print(f"simulated petro_r50 [arcsec]: median {np.median(r50):.2f}, "
          f"IQR {np.percentile(r50, 25):.2f}-{np.percentile(r50, 75):.2f}")


if __name__ == "__main__":
    main()
