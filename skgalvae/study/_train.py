"""Stage 2 of the study: fit the latent models on the clean training galaxies and project.

Writes ``models/<key>.pkl`` (the fitted estimators, one per model of the registry that the
configuration selects), ``models/history_<key>.csv`` (the training histories),
``latents/<key>.npy`` (latents of every galaxy of the population) and
``latents/<key>_real.npy`` (the bundled SDSS sample projected, for the models that take
the i band alone: the sample has no other band). Each model is fitted on its own images
(``data/images.npy``, or ``data/images_i.npy`` for the i-only arm of a multi-band study),
always the same training galaxies. Everything is written into the stage's staging
folder; nothing reaches ``models/`` before every model is fitted.
"""

import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ._population import StageImages, load_stage_data
from ._registry import REGISTRY, build_model, selected_specs
from ._split import study_sets

#: Fewest clean training galaxies to train on.
MIN_TRAIN = 10


def train_models(config, run, stage_dir, log):
    """Run stage 2 into ``stage_dir`` and return its summary (fit times) for run.json.

    Only the clean training galaxies (``split == "train"``) are fitted on; the latents of
    every galaxy are written so that later stages can pick the held-out ones.
    """
    images, catalog = load_stage_data(run.out)
    arrays = StageImages(run.out, images)
    real_path = run.path("data", "real_images.npy")
    real = np.load(real_path) if real_path.is_file() else None
    sets = study_sets(catalog)
    n_train = int(sets.train.sum())
    if n_train < MIN_TRAIN:
        msg = (
            f"only {n_train} clean training galaxies: at least {MIN_TRAIN} are needed to "
            "train; use more galaxies (--n-galaxies) or a smaller --test-size."
        )
        raise ValueError(msg)
    models_dir, latents_dir = Path(stage_dir) / "models", Path(stage_dir) / "latents"
    models_dir.mkdir(parents=True)
    latents_dir.mkdir(parents=True)
    summary = {}
    for spec in selected_specs(config):
        own = arrays.of(spec, config)
        X = own[sets.train]
        model = build_model(spec, config)
        log(f"fitting {spec.name} on {len(X)} clean training galaxies ({X.shape[1]} pixels)")
        start = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - start
        with open(models_dir / f"{spec.key}.pkl", "wb") as f:
            pickle.dump(model, f)
        np.save(latents_dir / f"{spec.key}.npy", model.transform(own).astype(np.float32))
        if real is not None and spec.input_bands(config) == "i":
            np.save(latents_dir / f"{spec.key}_real.npy",
                    model.transform(real).astype(np.float32))
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


def load_models(out, config=None):
    """Return ``[(spec, fitted model)]`` from ``<out>/models``, in registry order.

    Each model is read from ``models/<key>.pkl`` by its registry key; with ``config``
    (the study's configuration) each spec is :meth:`~._registry.ModelSpec.resolved`
    for it (its display name).
    """
    folder = Path(out) / "models"
    models = []
    for spec in REGISTRY:
        path = folder / f"{spec.key}.pkl"
        if path.is_file():
            with open(path, "rb") as f:
                model = pickle.load(f)
            models.append((spec if config is None else spec.resolved(config), model))
    if not models:
        msg = f"{str(folder)!r} holds no fitted model: run `skgalvae train --out {out}` first."
        raise FileNotFoundError(msg)
    return models
