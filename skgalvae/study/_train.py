"""Stage 2 of the study: fit the latent models on the clean training galaxies and project.

Writes ``models/<key>.pkl`` (the fitted estimators, one per model of the registry that the
configuration selects), ``models/history_<key>.csv`` (the training histories),
``latents/<key>.npy`` (latents of every galaxy of the population) and
``latents/<key>_real.npy`` (the bundled SDSS sample projected). Everything is written into
the stage's staging folder; nothing reaches ``models/`` before every model is fitted.
"""

import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ._population import load_stage_data
from ._registry import REGISTRY, selected_specs
from ._split import study_sets

#: Fewest clean training galaxies to train on.
MIN_TRAIN = 10


def train_models(config, run, stage_dir, log):
    """Run stage 2 into ``stage_dir`` and return its summary (fit times) for run.json.

    Only the clean training galaxies (``split == "train"``) are fitted on; the latents of
    every galaxy are written so that later stages can pick the held-out ones.
    """
    images, catalog = load_stage_data(run.out)
    real = np.load(run.path("data", "real_images.npy"))
    sets = study_sets(catalog)
    X = images[sets.train]
    if len(X) < MIN_TRAIN:
        msg = (
            f"only {len(X)} clean training galaxies: at least {MIN_TRAIN} are needed to "
            "train; use more galaxies (--n-galaxies) or a smaller --test-size."
        )
        raise ValueError(msg)
    models_dir, latents_dir = Path(stage_dir) / "models", Path(stage_dir) / "latents"
    models_dir.mkdir(parents=True)
    latents_dir.mkdir(parents=True)
    summary = {}
    for spec in selected_specs(config):
        model = spec.factory(config)
        log(f"fitting {spec.name} on {len(X)} clean training galaxies ({X.shape[1]} pixels)")
        start = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - start
        with open(models_dir / f"{spec.key}.pkl", "wb") as f:
            pickle.dump(model, f)
        np.save(latents_dir / f"{spec.key}.npy", model.transform(images).astype(np.float32))
        np.save(latents_dir / f"{spec.key}_real.npy", model.transform(real).astype(np.float32))
        history = getattr(model, "history_", None)
        if history is not None:
            pd.DataFrame(history).to_csv(models_dir / f"history_{spec.key}.csv", index=False)
        summary[spec.name] = {"key": spec.key, "fit_seconds": round(seconds, 2),
                              "n_train": int(len(X)),
                              "params": {k: repr(v) for k, v in model.get_params().items()}}
        if hasattr(model, "n_epochs_"):
            summary[spec.name]["n_epochs"] = int(model.n_epochs_)
        if hasattr(model, "device_"):
            summary[spec.name]["device"] = str(model.device_)
        log(f"  {spec.name}: {seconds:.1f} s")
    return summary


def load_models(out):
    """Return ``[(spec, fitted model)]`` from ``<out>/models``, in registry order.

    Each model is read from ``models/<key>.pkl`` by its registry key.
    """
    folder = Path(out) / "models"
    models = []
    for spec in REGISTRY:
        path = folder / f"{spec.key}.pkl"
        if path.is_file():
            with open(path, "rb") as f:
                models.append((spec, pickle.load(f)))
    if not models:
        msg = f"{str(folder)!r} holds no fitted model: run `skgalvae train --out {out}` first."
        raise FileNotFoundError(msg)
    return models
