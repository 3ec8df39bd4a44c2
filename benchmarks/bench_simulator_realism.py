"""Is the simulator realistic? make_galaxies against the 100 bundled real SDSS cutouts.

Puts the bundled real i-band cutouts (load_sdss_sample) and, in one run, the default
simulator make_galaxies(n, random_state=0) (BEFORE) and the preset tuned to those
cutouts, make_galaxies(n, preset="sdss", random_state=0) (AFTER), through the default
preprocessing (make_preprocessing_pipeline(output_shape=64)) and
prints skgalvae.analysis.compare_to_real's table: structural parameters (C, A, Gini, M20,
R50 on the linear 64x64 images), the pixel statistics the models see and the PCA
eigen-spectra (the simulated spectrum the mean over random subsets of the real set's
size: a sample's explained-variance ratios depend on its size; the unmatched PCA-12 of
all the simulated galaxies is printed beside it). A second table compares the raw
cutouts (no preprocessing: sky noise in nanomaggies per pixel, total flux in
nanomaggies) to locate the differences. The issue's
goals: KS <= 0.2 for each structural parameter, PCA-12 within 0.05 of the real set's. A
summary puts the two runs' KS statistics and PCA-12 side by side.

Run: python benchmarks/bench_simulator_realism.py [n_simulated] [n_jobs] [--steps |
--early-discs | --lopsided | --truncation | --sizes]

``--steps`` instead adds the preset's settings one at a time (STEPS) and prints the KS
statistics and PCA-12 of each step: the user guide's "What each change moved" table.
``--early-discs`` prints the same row for the preset and for the preset with early-type
discs (EARLY_DISCS: lenticular_fraction, early_spiral_fraction; tried, not kept).
``--lopsided`` prints it for lopsided discs (LOPSIDED: lopsided_discs) with and without
the early-type discs. ``--truncation`` prints it for the preset without, and with, its
Sersic cut (7 and 8 half-light radii). ``--sizes`` prints the PCA-12 of random subsets
of 50-300 real and preset galaxies: a sample's explained-variance ratios fall with its
size.
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
from skgalvae.models import EigengalaxyPCA  # noqa: E402
from skgalvae.preprocessing import make_preprocessing_pipeline  # noqa: E402

COLUMNS = ["real", "simulated", "ks_statistic", "ks_pvalue", "wasserstein_iqr",
           "meets_goal"]


def show(table):
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.3g}".format):
        print(table[COLUMNS].to_string())
    for note in table.attrs.get("notes", []):
        print(f"note: {note}")


#: The two simulators compared with the real cutouts: the default (BEFORE) and the preset
#: tuned to the bundled real cutouts (AFTER; skgalvae.datasets._conditions).
RUNS = (("BEFORE", {}), ("AFTER", {"preset": "sdss"}))

#: The preset's observing conditions without its disc population (no S0 or Sa-Sab discs,
#: no lopsided discs): the base of the ``--early-discs`` and ``--lopsided`` rows.
_NO_DISCS = {"lenticular_fraction": 0.0, "early_spiral_fraction": 0.0,
             "lopsided_discs": False, "sersic_truncation": 0.0}
_EARLY = {"lenticular_fraction": 0.25, "early_spiral_fraction": 0.34}

#: ``--steps``: the preset's settings added one at a time (each row keeps the previous
#: rows' settings and the defaults of the rest), as in the user guide's table.
_DEFAULTS_OF_PRESET = {"sky_noise": 0.044, "resampling": "none", "mag_limit": 17.0,
                       "petrosian_limit": False, "field_sources": "none",
                       "companion_fraction": 0.15, "star_fraction": 0.1, **_NO_DISCS}
STEPS = (
    ("0 default", {}),
    ("1 PSF", {"preset": "sdss", **_DEFAULTS_OF_PRESET}),
    ("2 + sky noise", {"preset": "sdss", **{k: v for k, v in _DEFAULTS_OF_PRESET.items()
                                            if k != "sky_noise"}}),
    ("3 + resampling", {"preset": "sdss", "mag_limit": 17.0, "petrosian_limit": False,
                        "field_sources": "none", "companion_fraction": 0.15,
                        "star_fraction": 0.1, **_NO_DISCS}),
    ("4 + i < 16.6", {"preset": "sdss", "petrosian_limit": False, "field_sources": "none",
                      "companion_fraction": 0.15, "star_fraction": 0.1, **_NO_DISCS}),
    ("5 + Petrosian", {"preset": "sdss", "field_sources": "none",
                       "companion_fraction": 0.15, "star_fraction": 0.1, **_NO_DISCS}),
    ("6 + field", {"preset": "sdss", **_NO_DISCS}),
    ("7 + early and lopsided discs", {"preset": "sdss", "sersic_truncation": 0.0}),
    ("8 + Sersic cut at 8 r_e", {"preset": "sdss"}),
)

#: ``--early-discs``: the preset's conditions with the published Hubble-type mix of discs
#: (Fukugita, Hogan & Peebles 1998, Table 1: S0 0.25, Sab 0.34 of the discs), each part
#: alone.
EARLY_DISCS = (
    ("conditions", {"preset": "sdss", **_NO_DISCS}),
    ("+ S0 0.26", {"preset": "sdss", **_NO_DISCS, "lenticular_fraction": 0.26}),
    ("+ Sa-Sab 0.34", {"preset": "sdss", **_NO_DISCS, "early_spiral_fraction": 0.34}),
    ("+ S0 0.25, Sa-Sab 0.34", {"preset": "sdss", **_NO_DISCS, **_EARLY}),
)

#: ``--truncation``: the preset with and without its Sersic cut (``sersic_truncation``,
#: 8 half-light radii, as SDSS's de Vaucouleurs model), and with a cut at 7.
TRUNCATION = (
    ("preset, no cut", {"preset": "sdss", "sersic_truncation": 0.0}),
    ("preset, cut at 7 r_e", {"preset": "sdss", "sersic_truncation": 7.0}),
    ("preset (cut at 8 r_e)", {"preset": "sdss"}),
)


#: ``--lopsided``: lopsided discs (Rudnick & Rix 1998 A1), alone and with the early-type
#: disc mix; the last row is the preset.
LOPSIDED = (
    ("conditions", {"preset": "sdss", **_NO_DISCS}),
    ("+ lopsided", {"preset": "sdss", **_NO_DISCS, "lopsided_discs": True}),
    ("+ early discs", {"preset": "sdss", **_NO_DISCS, **_EARLY}),
    ("+ early discs + lopsided (the preset without its Sersic cut)",
     {"preset": "sdss", "sersic_truncation": 0.0}),
)


def cumulative_pca(X, k=12):
    """Cumulative explained variance ratio of the first ``k`` components of the rows
    of ``X`` (full SVD, as compare_to_real's spectra)."""
    pca = EigengalaxyPCA(n_components=k, svd_solver="full").fit(X.reshape(len(X), -1))
    return float(pca.explained_variance_ratio_.sum())


def unmatched_pca(real, sim, k=12):
    """PCA-``k`` of all of ``sim`` through the default preprocessing fitted on ``real``:
    the biased figure the size matching replaces (a larger set's first components hold
    less of its noise)."""
    pipe = make_preprocessing_pipeline(output_shape=64).fit(real)
    return cumulative_pca(pipe.transform(sim), k)


def describe(kwargs):
    args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    return f"make_galaxies(n{args}, random_state=0)"


def run(real, n, n_jobs, label, kwargs):
    start = time.perf_counter()
    sim = make_galaxies(n, random_state=0, n_jobs=n_jobs, **kwargs)
    print(f"\n=== {label}: {describe(kwargs)}, n={n} "
          f"({time.perf_counter() - start:.0f} s) ===")
    start = time.perf_counter()
    result = compare_to_real(real, sim.images, return_measurements=True, n_jobs=n_jobs,
                             random_state=0)
    print(f"\ndefault preprocessing, 64x64 ({time.perf_counter() - start:.0f} s):")
    show(result.table)
    print("\neigen-spectra (explained variance ratio, components 1-20; the simulated one"
          " the mean over subsets of the real set's size):")
    print(result.spectra.T.to_string(float_format="{:.3f}".format))
    print(f"PCA-12 of all {n} simulated galaxies at once (not size-matched): "
          f"{unmatched_pca(real, sim.images):.3f}")
    raw = compare_to_real(real, sim.images, preprocessing=None, structural=False)
    print("\nraw cutouts, no preprocessing (nanomaggies):")
    show(raw.drop(index=[i for i in raw.index if i.startswith("pca")]))
    counts = sim.catalog["class"].value_counts(normalize=True).round(2).to_dict()
    print(f"\nsimulated classes: {counts}; with companion "
          f"{sim.catalog['has_companion'].mean():.2f}, star {sim.catalog['has_star'].mean():.2f}")
    r50 = sim.catalog["petro_r50"]
    print(f"simulated petro_r50 [arcsec]: median {np.median(r50):.2f}, "
          f"IQR {np.percentile(r50, 25):.2f}-{np.percentile(r50, 75):.2f}")
    return result.table


def summary(tables):
    """KS statistics (structural rows), medians and PCA-12 of every run side by side."""
    rows = {}
    for label, table in tables.items():
        for stat in table.index:
            kind = table.loc[stat, "kind"]
            value = table.loc[stat, "simulated" if kind == "eigen-spectrum" else
                              "ks_statistic"]
            rows.setdefault(stat, {"real": table.loc[stat, "real"]})[label] = value
            if kind != "pixel":
                rows[stat][f"{label} meets goal"] = table.loc[stat, "meets_goal"]
    out = pd.DataFrame.from_dict(rows, orient="index")
    print("\n=== summary: KS statistic per row (PCA-12 row: cumulative explained variance;"
          " real = real median / real PCA-12) ===")
    with pd.option_context("display.width", 160, "display.float_format", "{:.3f}".format):
        print(out.to_string())


def steps(real, n, n_jobs, variants=STEPS):
    """One row per entry of ``variants`` (STEPS): KS of each structural parameter and
    PCA-12."""
    rows = {}
    for label, kwargs in variants:
        start = time.perf_counter()
        sim = make_galaxies(n, random_state=0, n_jobs=n_jobs, **kwargs)
        table = compare_to_real(real, sim.images, n_jobs=n_jobs, random_state=0)
        row = table.loc[table["kind"] == "structural", "ks_statistic"].to_dict()
        pca = table.index[table["kind"] == "eigen-spectrum"][0]
        row["PCA-12"] = table.loc[pca, "simulated"]
        rows[label] = row
        print(f"{label}: {describe(kwargs)} ({time.perf_counter() - start:.0f} s)",
              flush=True)
    print(f"\n=== steps: KS statistic per structural parameter, simulated PCA-12 "
          f"(real {table.loc[pca, 'real']:.3f}) ===")
    print(pd.DataFrame.from_dict(rows, orient="index").to_string(float_format="{:.3f}".format))


#: ``--sizes``: subset sizes at which PCA-12 is measured.
SIZES = (50, 70, 90, 100, 200, 300)


def sizes(real, n, n_jobs, draws=20):
    """PCA-12 of random subsets of each size in SIZES (mean and standard deviation over
    ``draws`` subsets), real and ``make_galaxies(n, preset="sdss", random_state=0)``
    through the default preprocessing fitted on the real cutouts, and of all ``n``:
    why compare_to_real compares spectra at the same size."""
    pipe = make_preprocessing_pipeline(output_shape=64).fit(real)
    sets = {"real": pipe.transform(real),
            "preset": pipe.transform(make_galaxies(n, preset="sdss", random_state=0,
                                                   n_jobs=n_jobs).images)}
    rng = np.random.default_rng(0)
    rows = {}
    for name, X in sets.items():
        X = X.reshape(len(X), -1)
        for size in (*SIZES, len(X)):
            if size > len(X):
                continue
            picks = [np.sort(rng.choice(len(X), size, replace=False))
                     for _ in range(draws if size < len(X) else 1)]
            values = [cumulative_pca(X[p]) for p in picks]
            rows[(name, size)] = {"PCA-12 mean": np.mean(values), "std": np.std(values),
                                  "subsets": len(picks)}
    print(f"\n=== PCA-12 against the number of galaxies (default preprocessing fitted on "
          f"the real cutouts; the preset {n} galaxies, random_state=0) ===")
    print(pd.DataFrame.from_dict(rows, orient="index").to_string(float_format="{:.3f}".format))


def main():
    flags = {"--steps": STEPS, "--early-discs": EARLY_DISCS, "--lopsided": LOPSIDED,
             "--truncation": TRUNCATION, "--sizes": None}
    args = [a for a in sys.argv[1:] if a not in flags]
    n = int(args[0]) if args else 500
    n_jobs = int(args[1]) if len(args) > 1 else 2
    flag = next((f for f in flags if f in sys.argv), "")
    print(f"command: python benchmarks/bench_simulator_realism.py {n} {n_jobs}"
          f"{' ' + flag if flag else ''}")
    print(f"machine: {machine_summary()}")
    real = load_sdss_sample().images
    print(f"{len(real)} real cutouts (load_sdss_sample)")
    if flag == "--sizes":
        sizes(real, n, n_jobs)
        return
    if flag:
        steps(real, n, n_jobs, flags[flag])
        return
    tables = {label: run(real, n, n_jobs, label, kwargs) for label, kwargs in RUNS}
    summary(tables)


if __name__ == "__main__":
    main()
