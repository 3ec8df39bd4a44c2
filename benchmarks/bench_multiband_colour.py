"""Does a model's latent space carry the galaxies' colour? (issue 16's diagnosis)

On the simulated gri galaxies of ``bench_multiband.py`` (3,000, seed 0, the default
preprocessing at ``--stretch``, GZ2 cut on the catalog, stratified 70/30 split), for each
model variant fitted on the 70%:

- the colour of each held-out galaxy measured on its preprocessed image,
  ``log10(g / r)`` and ``log10(r / i)`` of the flux in the central 24x24 pixels;
- how well the latents predict it (cross-validated R^2 over the held-out latents,
  gradient boosting) and how well the reconstructions keep it (Pearson r between the
  input's and the reconstruction's colour);
- R^2 of log sSFR and age from the latents, and the reconstruction MSE per band.

Variants are ``pca``, ``probe`` (not a latent model: GalaxyVAE's encoder plus a linear
head trained *with* the colours, supervised, for ``--epochs``: can that architecture read
colour at all?), ``ae`` (GalaxyAutoencoder: the same networks without the KL term)
or ``LOSS[:BETA[:CHANNELS[:LR[:PATIENCE]]]]`` of GalaxyVAE, e.g. ``analytic``,
``analytic:0.25``, ``analytic:1:16,32,64,128``, ``gaussian``, ``mse``. The preprocessed
images are cached in ``--cache`` (a .npz) between runs.

Run (about 1-5 minutes a VAE variant on 2 CPU cores)::

    python benchmarks/bench_multiband_colour.py pca analytic gaussian [--epochs 40]
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from skgalvae.analysis import property_scores
from skgalvae.datasets import make_galaxies
from skgalvae.models import EigengalaxyPCA, GalaxyAutoencoder, GalaxyVAE
from skgalvae.preprocessing import make_preprocessing_pipeline
from skgalvae.selection import gz2_selection_mask

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary

SIZE = 64


def data(args):
    cache = Path(args.cache)
    if cache.exists():
        with np.load(cache, allow_pickle=False) as f:
            return f["X"], pd.read_json(cache.with_suffix(".json"))
    sim = make_galaxies(args.n_galaxies, bands="gri", random_state=args.seed, n_jobs=2,
                        verbose=0)
    X = make_preprocessing_pipeline(image_shape=sim.image_shape, output_shape=SIZE,
                                    stretch=args.stretch, n_jobs=2).fit_transform(sim.data)
    cat = sim.catalog.reset_index(drop=True)
    np.savez(cache, X=X.astype(np.float32))
    cat[["class", "log_ssfr", "age"] + [c for c in cat if c.startswith("t0")]].to_json(
        cache.with_suffix(".json"))
    return X.astype(np.float32), cat


def colour(cubes):
    s = cubes[:, :, 20:44, 20:44].sum((2, 3)) + 1e-6
    return np.c_[np.log10(s[:, 0] / s[:, 1]), np.log10(s[:, 1] / s[:, 2])]


def supervised_probe(X, colours, train, test, epochs, seed):
    """Held-out R^2 of the colours from GalaxyVAE's default encoder + a linear head
    trained on them (MSE on standardised colours, Adam 1e-3, batches of 64)."""
    from sklearn.metrics import r2_score
    from torch import nn

    from skgalvae.models._nets import ConvEncoder

    torch.manual_seed(seed)
    mean, std = colours[train].mean(0), colours[train].std(0)
    y = torch.from_numpy(((colours - mean) / std).astype(np.float32))
    X = torch.from_numpy(X)
    net = nn.Sequential(ConvEncoder((3, SIZE, SIZE), (4, 8, 16, 32, 64), 3, 256),
                        nn.Linear(256, colours.shape[1]))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    rows = torch.as_tensor(train)
    for _ in range(epochs):
        net.train()
        for batch in rows[torch.randperm(len(rows))].split(64):
            optimizer.zero_grad()
            ((net(X[batch]) - y[batch]) ** 2).mean().backward()
            optimizer.step()
    net.eval()
    with torch.no_grad():
        pred = net(X[test]).numpy()
    return [float(r2_score(y[test, k].numpy(), pred[:, k])) for k in range(y.shape[1])]


def r2(Z, table, columns, seed):
    s = property_scores(Z, None, table, columns, linear=False, cv=5, random_state=seed)
    return [float(s.loc[c, ("r2", "hist_gradient_boosting")]) for c in columns]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=["pca", "analytic"])
    parser.add_argument("--n-galaxies", type=int, default=3000)
    parser.add_argument("--stretch", type=float, default=50.0)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default="bench_multiband_colour.npz")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    print(machine_summary())
    X, cat = data(args)
    keep = np.flatnonzero(np.asarray(gz2_selection_mask(cat)))
    klass = cat["class"].to_numpy()
    train, test = train_test_split(keep, test_size=0.3, stratify=(klass == "spiral")[keep],
                                   random_state=args.seed)
    shape = (3, SIZE, SIZE)
    cubes = X.reshape(-1, *shape)
    col = colour(cubes[test])
    colours = pd.DataFrame({"g/r": col[:, 0], "r/i": col[:, 1]})
    rows = {}
    for variant in args.variants:
        if variant == "probe":
            start = time.perf_counter()
            colour_all = colour(cubes)
            gr, ri = supervised_probe(X, colour_all, train, test, args.epochs, args.seed)
            rows[variant] = {"R2 g/r from latents": gr, "R2 r/i from latents": ri,
                             "epochs": args.epochs, "fit_s": time.perf_counter() - start}
            print(f"{variant}: {rows[variant]}", flush=True)
            continue
        if variant == "pca":
            model = EigengalaxyPCA(16, image_shape=shape, random_state=args.seed)
        elif variant == "ae":
            model = GalaxyAutoencoder(latent_dim=16, image_shape=shape,
                                      max_epochs=args.epochs, random_state=args.seed,
                                      verbose=0)
        else:
            given = variant.split(":")
            loss, beta, channels, lr, patience = given + [
                "1", "", "0.001", "5"][len(given) - 1:]
            channels = (tuple(int(c) for c in channels.split(",")) if channels
                        else (4, 8, 16, 32, 64))
            model = GalaxyVAE(latent_dim=16, image_shape=shape, loss=loss,
                              beta=float(beta), channels=channels, lr=float(lr),
                              patience=int(patience),
                              max_epochs=args.epochs, random_state=args.seed, verbose=0)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X[train])
        Z = model.transform(X[test])
        rec = model.reconstruct(X[test]).reshape(-1, *shape)
        rec_col = colour(rec)
        mse = ((rec - cubes[test]) ** 2).mean((0, 2, 3))
        row = dict(zip(["R2 g/r from latents", "R2 r/i from latents"],
                       r2(Z, colours, ["g/r", "r/i"], args.seed)))
        row["r(g/r input, recon)"] = float(np.corrcoef(col[:, 0], rec_col[:, 0])[0, 1])
        row["r(r/i input, recon)"] = float(np.corrcoef(col[:, 1], rec_col[:, 1])[0, 1])
        row.update(zip(["R2 log_ssfr", "R2 age"],
                       r2(Z, cat.iloc[test], ["log_ssfr", "age"], args.seed)))
        row.update({f"MSE {b} (1e-4)": float(m * 1e4) for b, m in zip("gri", mse)})
        row["epochs"] = getattr(model, "n_epochs_", np.nan)
        row["fit_s"] = time.perf_counter() - start
        rows[variant] = row
        print(f"{variant}: {row}", flush=True)
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 200):
        print(pd.DataFrame(rows).to_string())


if __name__ == "__main__":
    main()
