"""How separable are simulated spirals and ellipticals at all? Ceilings for issue 6.

Issue 6 asks a 2-latent VAE, trained without labels, to separate spirals from
ellipticals with a balanced accuracy >= 0.92. This benchmark measures what the same
clean simulated population allows, on the same images and preprocessing as
``acceptance_study.py`` (GZ2 cut: edge-on and odd removed; clean spiral / elliptical
galaxies kept), with 5-fold stratified cross-validation:

- catalog quantities (no pixels): the true bulge fraction; the noiseless PSF-convolved
  Petrosian concentration R90/R50, alone and with log R50 and the axis ratio (logistic
  regression) -- what two or three perfectly measured numbers would give;
- pixels, supervised (trained WITH the labels, so an upper reference for any label-free
  representation): PCA + logistic regression / gradient boosting, and a CNN with the
  GalaxyVAE encoder (same layers) plus a linear head, once with a 2-unit bottleneck (the
  best two features that encoder can learn for this task);
- pixels, unsupervised: the 2-latent GalaxyVAE (trained on the GZ2-clean galaxies, no
  labels) and PCA(2), scored as ``class_distributions`` scores them.

Run (about 10 minutes on 2 CPU cores)::

    python benchmarks/acceptance_ceiling.py --n-galaxies 3000 --epochs 30
"""

import argparse
import time

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from torch import nn

from skgalvae.analysis import class_distributions
from skgalvae.datasets import make_galaxies
from skgalvae.models import GalaxyVAE
from skgalvae.models._nets import ConvEncoder
from skgalvae.preprocessing import make_preprocessing_pipeline
from skgalvae.selection import gz2_morphology, gz2_selection_mask

try:
    from _machine import machine_summary
except ImportError:  # run from another folder
    from benchmarks._machine import machine_summary

CHANNELS = (4, 8, 16, 32, 64)  # GalaxyVAE's default encoder
HIDDEN = 256


def logistic_cv(features, y, cv):
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return cross_val_score(clf, features, y, cv=cv, scoring="balanced_accuracy").mean()


def cnn_cv(images, y, cv, *, image_shape, bottleneck, epochs, seed):
    """Balanced accuracy of a supervised CNN (GalaxyVAE's encoder + a linear head,
    optionally through a ``bottleneck``-unit linear layer), class-weighted
    cross-entropy, Adam, random flips; plain PyTorch, one fit per fold."""
    X = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    target = torch.from_numpy(y.astype(np.int64))
    scores = []
    for fold, (train, test) in enumerate(cv.split(images, y)):
        torch.manual_seed(seed + fold)
        rng = np.random.default_rng(seed + fold)
        head = (nn.Linear(HIDDEN, 2) if bottleneck is None else
                nn.Sequential(nn.Linear(HIDDEN, bottleneck), nn.Linear(bottleneck, 2)))
        net = nn.Sequential(ConvEncoder(image_shape, CHANNELS, 3, HIDDEN), head)
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        weight = torch.tensor(len(train) / (2 * np.bincount(y[train])), dtype=torch.float32)
        loss_fn = nn.CrossEntropyLoss(weight=weight)
        train_t = torch.as_tensor(train)
        for _ in range(epochs):
            net.train()
            for batch in train_t[torch.randperm(len(train))].split(64):
                xb = X[batch].view(-1, *image_shape)
                if rng.random() < 0.5:
                    xb = xb.flip(-1)
                if rng.random() < 0.5:
                    xb = xb.flip(-2)
                optimizer.zero_grad()
                loss = loss_fn(net(xb.reshape(len(batch), -1)), target[batch])
                loss.backward()
                optimizer.step()
        net.eval()
        with torch.no_grad():
            pred = net(X[test]).argmax(1).numpy()
        scores.append(balanced_accuracy_score(y[test], pred))
    return float(np.mean(scores))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-galaxies", type=int, default=3000)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=30, help="CNN and VAE epochs")
    parser.add_argument("--stretch", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    torch.set_num_threads(2)
    print(f"machine: {machine_summary()}")

    sim = make_galaxies(args.n_galaxies, image_size=args.image_size,
                        random_state=args.seed, n_jobs=2, verbose=0)
    cat = sim.catalog.reset_index(drop=True)
    shape = (args.image_size, args.image_size)
    images = make_preprocessing_pipeline(image_shape=shape, stretch=args.stretch,
                                         n_jobs=2).fit_transform(sim.data)
    images = images.astype(np.float32)
    keep = np.asarray(gz2_selection_mask(cat))
    cat["concentration"] = cat["petro_r90"] / cat["petro_r50"]
    cat["log_petro_r50"] = np.log10(cat["petro_r50"])

    # unsupervised models see every GZ2-clean galaxy (uncertain ones included), no labels
    with threadpool_limits(2):
        vae = GalaxyVAE(latent_dim=2, max_epochs=args.epochs, random_state=args.seed,
                        verbose=0).fit(images[keep])
        pca2 = PCA(2, random_state=args.seed).fit(images[keep])

    labelings = {"true class": cat["class"].to_numpy(),
                 "GZ2 labels": np.asarray(gz2_morphology(cat), dtype=object)}
    cv = StratifiedKFold(5, shuffle=True, random_state=args.seed)
    table = {}
    for label_name, labels in labelings.items():
        rows = keep & np.isin(labels, ["spiral", "elliptical"])
        y = (labels[rows] == "spiral").astype(int)
        c = cat[rows]
        col = {}
        with threadpool_limits(1):
            for cols in (["bulge_fraction"], ["concentration"],
                         ["concentration", "log_petro_r50"],
                         ["concentration", "log_petro_r50", "axis_ratio"]):
                col["catalog: " + " + ".join(cols)] = logistic_cv(c[cols], y, cv)
            torch.set_num_threads(1)
            for name, model in (("VAE (2 latents)", vae), ("PCA (2)", pca2)):
                Z = model.transform(images[rows])
                col[f"unsupervised: {name}"] = class_distributions(
                    Z, labels[rows], classes=["spiral", "elliptical"],
                    random_state=args.seed).balanced_accuracy
            torch.set_num_threads(2)
        with threadpool_limits(2):
            col["supervised: PCA(12) + logistic"] = logistic_cv(
                PCA(12, random_state=args.seed).fit_transform(images[rows]), y, cv)
            col["supervised: PCA(30) + gradient boosting"] = cross_val_score(
                make_pipeline(PCA(30, random_state=args.seed),
                              HistGradientBoostingClassifier(random_state=args.seed)),
                images[rows], y, cv=cv, scoring="balanced_accuracy").mean()
            for bottleneck in (None, 2):
                name = ("supervised: CNN (VAE encoder + linear head)" if bottleneck is None
                        else "supervised: CNN, 2-unit bottleneck")
                col[name] = cnn_cv(images[rows], y, cv, image_shape=shape,
                                   bottleneck=bottleneck, epochs=args.epochs,
                                   seed=args.seed)
        col["n galaxies (spiral / elliptical)"] = f"{(y == 1).sum()} / {(y == 0).sum()}"
        table[label_name] = col
        print(f"{label_name}: done at {time.perf_counter() - t0:.0f} s", flush=True)

    table = pd.DataFrame(table)
    with pd.option_context("display.width", 140, "display.max_colwidth", 60):
        print("\nSpiral vs elliptical balanced accuracy, 5-fold CV, GZ2-clean galaxies:")
        print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print(f"total time {time.perf_counter() - t0:.0f} s")
    return table


if __name__ == "__main__":
    main()
