"""What do two latents encode? VAE-2 and PCA-2 latents against the simulator's truth.

Uses the study's population (stage 1, cached as in ``bench_vae_calibration.py``), fits
a 2-latent VAE and PCA-2 on the clean training galaxies and, on the clean held-out
galaxies, prints:

- the Pearson r of each latent with the simulator's true structural parameters
  (half-light radius, apparent magnitude, axis ratio, bulge fraction, Sersic index);
- the spiral/elliptical balanced accuracy (GZ2 labels, linear probe, 5-fold CV) from the
  latents, and from pairs of *true* parameters: what a code that carried exactly those
  two quantities would reach. If the latents track size and axis ratio, their accuracy
  is bounded by that of (size, axis ratio).

The simulator's truth only scores here: nothing is selected or trained on it.

Run::

    python benchmarks/bench_vae_latent_factors.py --seeds 0 1 2 --stretch 0.5 --loss analytic
"""

import argparse
import warnings

import numpy as np
import pandas as pd

from skgalvae.analysis import class_distributions
from skgalvae.models import EigengalaxyPCA, GalaxyVAE, InactiveLatentWarning
from skgalvae.study._split import study_sets

try:
    from _machine import machine_summary
    from bench_vae_calibration import population
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary
    from benchmarks.bench_vae_calibration import population

FACTORS = ("half_light_radius_arcsec", "magnitude", "axis_ratio", "bulge_fraction",
           "sersic_n")
PAIRS = (("half_light_radius_arcsec", "axis_ratio"), ("half_light_radius_arcsec",
         "magnitude"), ("half_light_radius_arcsec", "bulge_fraction"),
         ("bulge_fraction", "axis_ratio"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--stretch", type=float, default=0.5)
    parser.add_argument("--loss", default="analytic")
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--n-galaxies", type=int, default=3000)
    parser.add_argument("--cache", default="bench_cache")
    args = parser.parse_args()
    print(machine_summary())
    accuracy = []
    for seed in args.seeds:
        images, catalog = population(args.cache, n_galaxies=args.n_galaxies,
                                     stretch=args.stretch, seed=seed, image_size=64)
        sets = study_sets(catalog)
        test = catalog[sets.test].reset_index(drop=True)
        labels = test["morphology"].where(test["morphology"].isin(["spiral", "elliptical"]))
        row = {"seed": seed}
        for name, model in (("PCA-2", EigengalaxyPCA(2, random_state=seed)),
                            ("VAE-2", GalaxyVAE(2, loss=args.loss, beta=args.beta,
                                                max_epochs=args.epochs,
                                                random_state=seed))):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InactiveLatentWarning)
                model.fit(images[sets.train])
            Z = model.transform(images[sets.test])
            r = pd.DataFrame({f: [np.corrcoef(Z[:, j], test[f])[0, 1] for j in range(2)]
                              for f in FACTORS}, index=[f"{name} z{j}" for j in range(2)])
            print(f"\nseed {seed}, {name}: Pearson r with the true parameters (held-out)")
            print(r.round(2).to_string())
            row[name] = class_distributions(Z, labels, random_state=seed).balanced_accuracy
        for pair in PAIRS:
            row[" + ".join(pair)] = class_distributions(
                test[list(pair)].to_numpy(), labels, random_state=seed).balanced_accuracy
        accuracy.append(row)
    table = pd.DataFrame(accuracy).set_index("seed").T
    table["mean"] = table.mean(axis=1)
    print(f"\nspiral/elliptical balanced accuracy (GZ2 labels, linear probe, held-out; "
          f"stretch {args.stretch}, loss {args.loss}, beta {args.beta})")
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()
