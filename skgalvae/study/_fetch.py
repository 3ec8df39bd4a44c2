"""The ``fetch`` stage: download the seed study's real population (needs the internet)."""

from pathlib import Path

from ..datasets import fetch_seed_sample
from ..selection import gz2_selection_mask
from ..utils._atomic import atomic_path


def fetch_population(config, log):
    """Fetch GZ2 -> SDSS cutouts -> GSWLC/RCSED properties; write ``seed_catalog.csv``.

    Galaxy Zoo 2 votes select the population (:func:`~skgalvae.selection.
    gz2_selection_mask`: edge-on and odd galaxies removed); the cutouts and catalogs are
    cached under the data home, so an interrupted fetch resumes. Returns the path of the
    catalog, which ``--source`` accepts.
    """
    out = Path(config["out"])
    log(f"fetching the seed population ({config['n_galaxies']} galaxies) from GZ2, "
        "SkyView, GSWLC and RCSED")
    bunch = fetch_seed_sample(selection=gz2_selection_mask,
                              n_samples=config["n_galaxies"], n_jobs=config["n_jobs"],
                              random_state=config["seed"], verbose=config["verbose"])
    path = out / "seed_catalog.csv"
    with atomic_path(path) as tmp:
        bunch.catalog.to_csv(tmp, index=False)
    log(f"wrote {path} ({len(bunch.catalog)} galaxies)")
    return path
