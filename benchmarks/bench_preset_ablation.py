"""What makes the tuned simulator harder? PCA on make_galaxies(preset="sdss") with one of
the preset's pieces set back to the default at a time.

The study's stage 1 on 3,000 galaxies (``random_state=0``): GZ2-vote selection and the
stratified 75/25 split of :func:`skgalvae.study._population.label_population`, the
study's preprocessing (the central 100x100 pixels resized to 64x64, stretch 50); then
PCA with 2 and 12 components fitted on the clean training galaxies and, on the clean
held-out ones, the spiral/elliptical balanced accuracy
(:func:`skgalvae.analysis.class_distributions`) and the cross-validated R^2 of log sSFR
(:func:`skgalvae.analysis.property_scores`, the best regressor), as the study's report
measures them. PCA only: it is fast and deterministic, and it isolates the data from
the network (the user guide's "The study on the tuned simulator").

Run (1.5-3 minutes per variant on 2 CPU cores)::

    python benchmarks/bench_preset_ablation.py [VARIANT ...]

VARIANT names a row of VARIANTS; none runs them all.
"""

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine_summary  # noqa: E402

from skgalvae.analysis import class_distributions, property_scores  # noqa: E402
from skgalvae.datasets import make_galaxies  # noqa: E402
from skgalvae.study._population import _pipeline, label_population  # noqa: E402
from skgalvae.study._study import DEFAULTS  # noqa: E402

#: The study's stage-1 settings (image size, stretch, test size), two workers.
CONFIG = {**DEFAULTS, "n_jobs": 2}

#: The default simulator, the preset, and the preset with one piece set back.
VARIANTS = {
    "default": {},
    "preset": {"preset": "sdss"},
    "preset, no S0 / Sa-Sab discs": {"preset": "sdss", "lenticular_fraction": 0.0,
                                     "early_spiral_fraction": 0.0},
    "preset, no lopsided discs": {"preset": "sdss", "lopsided_discs": False},
    "preset, PSF 1.3 arcsec beta 3.5": {"preset": "sdss", "psf_fwhm": 1.3,
                                        "psf_beta": 3.5},
    "preset, no field sources": {"preset": "sdss", "field_sources": "none"},
    "preset, i < 17.0 total magnitude": {"preset": "sdss", "mag_limit": 17.0,
                                         "petrosian_limit": False},
}


def measure(kwargs, n=3000, seed=0):
    sim = make_galaxies(n, image_size=150, random_state=seed, n_jobs=2, **kwargs)
    cat, _ = label_population(sim.catalog, test_size=CONFIG["test_size"],
                              random_state=seed, log=lambda *a: None)
    # the study's crop: the central 100x100 pixels for outputs of at most 100
    crop = 100 if CONFIG["image_size"] <= 100 else None
    X = _pipeline(CONFIG, "i", crop).fit_transform(sim.images)
    clean = cat["clean"].to_numpy()
    train = (cat["split"] == "train").to_numpy() & clean
    test = (cat["split"] == "test").to_numpy() & clean
    labels = cat.loc[test, "morphology"].to_numpy()
    pair = np.isin(labels, ["spiral", "elliptical"])
    row = {}
    for k in (2, 12):
        Z = PCA(k, random_state=seed).fit(X[train]).transform(X[test])
        row[f"PCA-{k} s/e"] = class_distributions(
            Z[pair], labels[pair], random_state=seed).balanced_accuracy
        scores = property_scores(Z, None, cat.loc[test].reset_index(drop=True),
                                 ["log_ssfr"], cv=5, random_state=seed)
        row[f"PCA-{k} R2 log sSFR"] = float(scores["r2"].max(axis=1)["log_ssfr"])
    counts = cat.loc[clean, "morphology"].value_counts()
    row["clean spirals"] = int(counts.get("spiral", 0))
    row["clean ellipticals"] = int(counts.get("elliptical", 0))
    return row


def main():
    names = sys.argv[1:] or list(VARIANTS)
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        msg = f"unknown variant(s) {unknown}; choose from {list(VARIANTS)}"
        raise SystemExit(msg)
    print(f"machine: {machine_summary()}")
    for name in names:
        start = time.perf_counter()
        row = measure(VARIANTS[name])
        cells = "  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                          for k, v in row.items())
        print(f"{name:34s} {cells}  ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
