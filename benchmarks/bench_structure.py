"""statmorph's structural parameters against the simulator's ground truth, and their cost.

Run: ``python benchmarks/bench_structure.py [--n 200] [--n-jobs 2]``. Simulates
``make_galaxies(n, random_state=0)`` and measures :func:`skgalvae.analysis.
structural_parameters` twice: on the raw 150x150 cutouts (nanomaggies, Gaussian PSF of
the simulator's 1.3 arcsec FWHM, gain 700 e-/nanomaggy, ``sky=0``: the simulator's images
are sky-subtracted) and on the study's preprocessed images (the default study's
preprocessing: central 100 pixels resized to 64x64, asinh stretch 50, ``sky="auto"``).
Prints the Spearman correlation of ``sersic_n`` with the true bulge fraction (goal >=
0.7) and of ``r50`` with the true half-light radius (goal >= 0.9), over every galaxy
measured and over those with ``flag <= 1``, the flag rates and the time per galaxy.
"""

import argparse
import sys
import time

import numpy as np
from scipy.stats import spearmanr

from skgalvae.analysis import structural_parameters
from skgalvae.datasets import make_galaxies
from skgalvae.preprocessing import make_preprocessing_pipeline

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary

PIXEL_SCALE = 0.396
PSF_FWHM = 1.3  # arcsec, make_galaxies' default


def _rho(x, y):
    ok = np.isfinite(x) & np.isfinite(y)
    return float(spearmanr(x[ok], y[ok]).statistic), int(ok.sum())


def _report(name, table, catalog, seconds, n_jobs):
    n = len(table)
    print(f"\n{name}: {seconds:.1f} s for {n} galaxies = {seconds / n:.3f} s per galaxy "
          f"(wall, n_jobs={n_jobs}; {seconds * n_jobs / n:.3f} core-s per galaxy)")
    flags = table["flag"].value_counts().sort_index().to_dict()
    print(f"  flag counts {flags}; flag >= 2 rate {(table['flag'] >= 2).mean():.3f}; "
          f"flag 4 (nothing measured) rate {(table['flag'] == 4).mean():.3f}; "
          f"flag_sersic >= 2 rate {(table['flag_sersic'] >= 2).mean():.3f}")
    bt = catalog["bulge_fraction"].to_numpy()
    hlr = catalog["half_light_radius_arcsec"].to_numpy()
    good = (table["flag"] <= 1).to_numpy()
    sersic_ok = good & (table["flag_sersic"] <= 1).to_numpy()
    for label, rows, srows in (("all measured", np.ones(n, bool), np.ones(n, bool)),
                               ("flag <= 1", good, sersic_ok)):
        r_n, k_n = _rho(table["sersic_n"].to_numpy()[srows], bt[srows])
        r_r, k_r = _rho(table["r50"].to_numpy()[rows], hlr[rows])
        r_s, k_s = _rho(table["sersic_rhalf"].to_numpy()[srows], hlr[srows])
        r_c, k_c = _rho(table["concentration"].to_numpy()[rows], bt[rows])
        print(f"  {label:>12}: Spearman(sersic_n, bulge_fraction) {r_n:.3f} (n={k_n}); "
              f"Spearman(r50, half_light_radius) {r_r:.3f} (n={k_r}); "
              f"Spearman(sersic_rhalf, half_light_radius) {r_s:.3f}; "
              f"Spearman(concentration, bulge_fraction) {r_c:.3f}")
    top = list(table.attrs["warnings"].items())[:3]
    print(f"  {int(table['n_warnings'].sum())} warnings caught; most common: {top}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--save", default=None,
                        help="prefix of CSV files to write the two tables to")
    args = parser.parse_args()
    print(f"machine: {machine_summary()}")
    print(f"command: python {' '.join(sys.argv)}")
    sim = make_galaxies(args.n, random_state=0, n_jobs=args.n_jobs)
    catalog = sim.catalog
    print(f"galaxies: {args.n} from make_galaxies(random_state=0); classes "
          f"{catalog['class'].value_counts().to_dict()}")
    fwhm = PSF_FWHM / PIXEL_SCALE
    start = time.perf_counter()
    raw = structural_parameters(sim.images, psf=fwhm, pixel_scale=PIXEL_SCALE, gain=700.0,
                                sky=0.0, kernel_fwhm=fwhm, n_jobs=args.n_jobs)
    if args.save:
        raw.to_csv(f"{args.save}_raw.csv", index=False)
        catalog.to_csv(f"{args.save}_catalog.csv", index=False)
    _report("raw 150x150 cutouts", raw, catalog, time.perf_counter() - start, args.n_jobs)

    pipe = make_preprocessing_pipeline(output_shape=64, crop=100, stretch=50.0,
                                       n_jobs=args.n_jobs)
    images = pipe.fit_transform(sim.images).reshape(-1, 64, 64)
    scale = 100 / 64
    start = time.perf_counter()
    prep = structural_parameters(images, psf=fwhm / scale, pixel_scale=PIXEL_SCALE * scale,
                                 kernel_fwhm=fwhm / scale, n_jobs=args.n_jobs)
    if args.save:
        prep.to_csv(f"{args.save}_preprocessed.csv", index=False)
    _report("preprocessed 64x64 (the default study's images)", prep, catalog,
            time.perf_counter() - start, args.n_jobs)


if __name__ == "__main__":
    main()
