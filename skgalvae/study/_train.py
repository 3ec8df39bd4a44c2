"""Stage 2 of the study: fit the latent models on the clean population and project.

Writes ``<out>/models/<name>.pkl`` (the fitted estimators), ``<out>/latents/<name>.npy``
(latents of every galaxy of the population), ``<out>/latents/<name>_real.npy`` (the bundled
SDSS sample projected) and ``<out>/tables/history_<name>.csv``.
"""

import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..models import EigengalaxyPCA, GalaxyAutoencoder, GalaxyVAE
from ..utils._atomic import atomic_path
from ._population import load_stage_data, split_population

MODEL_CHOICES = ("vae", "ae", "pca", "all")


def make_models(choice, *, latent_dim, epochs, loss, seed, device, verbose):
    """Return ``{display name: unfitted estimator}`` for ``--model``."""
    nets = dict(latent_dim=latent_dim, max_epochs=epochs, loss=loss, random_state=seed,
                device=device, verbose=verbose)
    models = {}
    if choice in ("vae", "all"):
        models["VAE"] = GalaxyVAE(**nets)
    if choice in ("ae", "all"):
        models["AE"] = GalaxyAutoencoder(**nets)
    if choice in ("pca", "all"):
        models["PCA"] = EigengalaxyPCA(n_components=latent_dim, random_state=seed)
        if latent_dim < 12:
            models["PCA-12"] = EigengalaxyPCA(n_components=12, random_state=seed)
    return models


def file_key(name):
    """File-name key of a model's display name ("PCA-12" -> "pca_12")."""
    return name.lower().replace("-", "_")


def train_models(config, log):
    """Run stage 2 and return its summary (fit times) for run.json."""
    out = Path(config["out"])
    images, catalog = load_stage_data(out)
    real = np.load(out / "data" / "real_images.npy")
    clean, _ = split_population(images, catalog)
    X = images[clean]
    if len(X) < 10:
        msg = f"only {len(X)} galaxies pass the selection: at least 10 are needed to train."
        raise ValueError(msg)
    models = make_models(config["model"], latent_dim=config["latent_dim"],
                         epochs=config["epochs"], loss=config["loss"], seed=config["seed"],
                         device=config["device"], verbose=config["verbose"])
    summary = {}
    for name, model in models.items():
        log(f"fitting {name} on {len(X)} galaxies ({X.shape[1]} pixels)")
        start = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - start
        key = file_key(name)
        with atomic_path(out / "models" / f"{key}.pkl") as tmp, open(tmp, "wb") as f:
            pickle.dump(model, f)
        for suffix, data in (("", images), ("_real", real)):
            with atomic_path(out / "latents" / f"{key}{suffix}.npy") as tmp, \
                    open(tmp, "wb") as f:
                np.save(f, model.transform(data).astype(np.float32))
        history = getattr(model, "history_", None)
        if history is not None:
            with atomic_path(out / "tables" / f"history_{key}.csv") as tmp:
                pd.DataFrame(history).to_csv(tmp, index=False)
        summary[name] = {"fit_seconds": round(seconds, 2), "n_train": int(len(X)),
                         "params": {k: repr(v) for k, v in model.get_params().items()}}
        if hasattr(model, "n_epochs_"):
            summary[name]["n_epochs"] = int(model.n_epochs_)
        log(f"  {name}: {seconds:.1f} s")
    return summary


def load_models(out):
    """Return ``{display name: fitted model}`` from ``<out>/models``."""
    folder = Path(out) / "models"
    if not folder.is_dir() or not any(folder.glob("*.pkl")):
        msg = f"{str(folder)!r} holds no fitted model: run `skgalvae train --out {out}` first."
        raise FileNotFoundError(msg)
    models = {}
    for path in sorted(folder.glob("*.pkl")):
        with open(path, "rb") as f:
            model = pickle.load(f)
        name = {"vae": "VAE", "ae": "AE", "pca": "PCA"}.get(path.stem,
                                                           path.stem.upper().replace("_", "-"))
        models[name] = model
    order = ["VAE", "AE", "PCA", "PCA-12"]
    return dict(sorted(models.items(), key=lambda kv: (order + [kv[0]]).index(kv[0])))
