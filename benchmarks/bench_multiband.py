"""gri against i-only latents on the simulator (issue 16's acceptance).

The same simulated galaxies are drawn in g, r and i (``make_galaxies(bands="gri")``);
the i-only models see the i channel of exactly those cutouts, so the only difference
between the two arms is colour. Protocol:

- the population is defined on the catalog before any split: the GZ2 cut
  (:func:`~skgalvae.selection.gz2_selection_mask`: edge-on and odd galaxies removed);
- one stratified (by true class) 70/30 split, seeded; every model (PCA-16 and VAE-16 on
  gri, the same on i) is fitted on the 70% only, with the default preprocessing
  (``make_preprocessing_pipeline``; for gri geometry measured on the i band and the
  log scaling joint over the bands, which keeps colours);
- properties: cross-validated R^2 (:func:`~skgalvae.analysis.property_scores`, gradient
  boosting, 5 folds) of log sSFR, age, metallicity, velocity dispersion and size from the
  latents of the 30% held-out galaxies only;
- morphology: spiral/elliptical balanced accuracy of a linear probe (standardised
  logistic regression) fitted on the training latents, scored on the held-out ones;
- collapse check: posterior-mean std and KL of each VAE latent on the held-out galaxies;
- the catalog's ceiling: the same R^2 on the same held-out galaxies from the true
  observed colours (g - r, r - i), from the true morphology (bulge fraction, size, axis
  ratio, Sersic index, class, magnitude) and from both -- how much colour can add at most
  (``--ceiling-only`` prints only this, without fitting a model).

Run (about 10-15 minutes on 2 idle CPU cores)::

    python benchmarks/bench_multiband.py [--n-galaxies 3000] [--epochs 40]
        [--patience 5] [--stretch 50] [--channels 4,8,16,32,64] [--seed 0]
        [--ceiling-only]

The acceptance passes with ``--epochs 300 --patience 10 --channels 8,16`` (the user
guide's "The measured cause: the decoder's depth").

Prints the machine, the table, and PASS / FAIL for the acceptance: R^2 of log sSFR and of
age from gri >= i-only + 0.15 for both VAE-16 and PCA-16, and a spiral/elliptical balanced
accuracy that does not drop.
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skgalvae.analysis import property_scores
from skgalvae.datasets import make_galaxies
from skgalvae.models import EigengalaxyPCA, GalaxyVAE, InactiveLatentWarning
from skgalvae.preprocessing import make_preprocessing_pipeline
from skgalvae.selection import gz2_selection_mask
from skgalvae.study._diagnostics import ACTIVE_STD, kl_per_latent

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary

PROPERTIES = ["log_ssfr", "age", "metallicity", "velocity_dispersion",
              "half_light_radius_kpc"]
GOAL = 0.15
CEILING = {
    "observed colours": ["obs_g_r", "obs_r_i"],
    "true morphology": ["bulge_fraction", "half_light_radius_arcsec", "axis_ratio",
                        "sersic_n", "is_spiral", "magnitude"],
}
CEILING["both"] = CEILING["observed colours"] + CEILING["true morphology"]


def ceiling(catalog, seed):
    """R^2 of each property from catalog truths (no pixels), on ``catalog``'s rows."""
    c = catalog.assign(obs_g_r=catalog["mag_g"] - catalog["mag_r"],
                       obs_r_i=catalog["mag_r"] - catalog["mag_i"],
                       is_spiral=(catalog["class"] == "spiral").astype(float))
    table = {}
    for name, columns in CEILING.items():
        scores = property_scores(c[columns].to_numpy(), None, c, PROPERTIES, linear=False,
                                 cv=5, random_state=seed)
        table[name] = scores[("r2", "hist_gradient_boosting")]
    return pd.DataFrame(table)


def probe(Z_train, y_train, Z_test, y_test):
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return balanced_accuracy_score(y_test, clf.fit(Z_train, y_train).predict(Z_test))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-galaxies", type=int, default=3000)
    parser.add_argument("--image-size", type=int, default=64, help="after preprocessing")
    parser.add_argument("--latent-dim", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--stretch", type=float, default=50.0,
                        help="LogScaler stretch (50: the study's default)")
    parser.add_argument("--patience", type=int, default=5,
                        help="early-stopping patience of the VAE (epochs)")
    parser.add_argument("--channels", default="4,8,16,32,64",
                        help="the VAE's convolution channels, outermost first (default: "
                             "GalaxyVAE's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--ceiling-only", action="store_true",
                        help="print the catalog's ceiling only (no model is fitted)")
    args = parser.parse_args(argv)
    channels = tuple(int(c) for c in args.channels.split(","))
    torch.set_num_threads(args.n_jobs)
    print(machine_summary())
    t0 = time.perf_counter()
    sim = make_galaxies(args.n_galaxies, bands="gri", random_state=args.seed,
                        n_jobs=args.n_jobs, verbose=0)
    cat = sim.catalog.reset_index(drop=True)
    keep = np.flatnonzero(np.asarray(gz2_selection_mask(cat)))
    klass = cat["class"].to_numpy()
    strata = (klass == "spiral")[keep]
    train, test = train_test_split(keep, test_size=0.3, stratify=strata,
                                   random_state=args.seed)
    print(f"simulated {len(cat)} galaxies in gri ({time.perf_counter() - t0:.0f} s); "
          f"{len(keep)} pass the GZ2 cut: train {len(train)}, held out {len(test)}")

    with pd.option_context("display.float_format", "{:.3f}".format):
        print("catalog ceiling (R^2 on the held-out galaxies, no pixels):")
        print(ceiling(cat.iloc[test], args.seed).to_string())
    if args.ceiling_only:
        return
    cube = sim.images  # (n, 3, h, w), g r i
    arms = {"gri": cube.reshape(len(cube), -1), "i": cube[:, 2].reshape(len(cube), -1)}
    shapes = {"gri": cube.shape[1:], "i": cube.shape[2:]}
    rows = {}
    for arm, raw in arms.items():
        start = time.perf_counter()
        pipe = make_preprocessing_pipeline(image_shape=shapes[arm],
                                           output_shape=args.image_size,
                                           stretch=args.stretch, n_jobs=args.n_jobs)
        X = pipe.fit_transform(raw).astype(np.float32)
        # flat rows carry no shape: tell the models (c, h, w), or they see a 1 x N strip
        out_shape = (*shapes[arm][:-2], args.image_size, args.image_size)
        print(f"[{arm}] preprocessed {len(X)} galaxies to {X.shape[1]} values "
              f"({time.perf_counter() - start:.0f} s)")
        models = {
            f"PCA-{args.latent_dim}": EigengalaxyPCA(n_components=args.latent_dim,
                                                     image_shape=out_shape,
                                                     random_state=args.seed),
            f"VAE-{args.latent_dim}": GalaxyVAE(latent_dim=args.latent_dim,
                                                image_shape=out_shape,
                                                max_epochs=args.epochs,
                                                patience=args.patience,
                                                channels=channels,
                                                random_state=args.seed, verbose=0),
        }
        for name, model in models.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InactiveLatentWarning)
                model.fit(X[train])
            Z_tr, Z_te = model.transform(X[train]), model.transform(X[test])
            y_tr = (klass[train] == "spiral").astype(int)
            y_te = (klass[test] == "spiral").astype(int)
            sp = (np.isin(klass[train], ["spiral", "elliptical"]),
                  np.isin(klass[test], ["spiral", "elliptical"]))
            row = {"fit_s": time.perf_counter() - start,
                   "spiral/elliptical": probe(Z_tr[sp[0]], y_tr[sp[0]],
                                              Z_te[sp[1]], y_te[sp[1]])}
            with threadpool_limits(args.n_jobs):
                scores = property_scores(Z_te, None, cat.iloc[test], PROPERTIES,
                                         linear=False, cv=5, random_state=args.seed)
            for prop in PROPERTIES:
                row[f"R2 {prop}"] = float(scores.loc[prop, ("r2", "hist_gradient_boosting")])
            if isinstance(model, GalaxyVAE):
                mu, std = model.encode(X[test])
                row["min latent std"] = float(mu.std(0).min())
                row["min KL (nats)"] = float(kl_per_latent(mu, std).min())
                row["active latents"] = int((mu.std(0) > ACTIVE_STD).sum())
                row["epochs"] = int(model.n_epochs_)
            rows[f"{name} {arm}"] = row
            print(f"[{arm}] {name}: {row['fit_s']:.0f} s")
    table = pd.DataFrame(rows)
    with pd.option_context("display.float_format", "{:.3f}".format,
                           "display.width", 200):
        print(table.to_string())
    d = args.latent_dim
    for model in (f"VAE-{d}", f"PCA-{d}"):
        for prop in ("log_ssfr", "age"):
            gain = table.loc[f"R2 {prop}", f"{model} gri"] - table.loc[f"R2 {prop}",
                                                                       f"{model} i"]
            print(f"{'PASS' if gain >= GOAL else 'FAIL'}  {model}: R2 {prop} gri - i = "
                  f"{gain:+.3f} (goal >= +{GOAL})")
        drop = (table.loc["spiral/elliptical", f"{model} gri"]
                - table.loc["spiral/elliptical", f"{model} i"])
        print(f"{'PASS' if drop >= 0 else 'FAIL'}  {model}: spiral/elliptical gri - i "
              f"= {drop:+.3f} (goal: no drop)")
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
