"""Stage 1 of the study: build the galaxy population (images + catalog) and preprocess it.

Writes ``<out>/data/``: ``images.npy`` (preprocessed, every galaxy), ``catalog.csv`` (one
row per image, with ``morphology``, ``selected``, ``clean`` and ``split``),
``raw_examples.npy`` / ``scaled_examples.npy`` (held-out clean galaxies) and
``real_images.npy`` / ``real_catalog.csv`` (the bundled SDSS sample, projected later).

Several bands (``--bands gri``): ``images.npy`` holds rows of ``c * s * s`` pixels,
band-major (``image_shape = (c, s, s)``), preprocessed with one geometry per galaxy
measured on the i band (else the reddest) and one joint intensity scale (which keeps the
colours). When the bands include i, ``images_i.npy`` holds the i band of the same
galaxies preprocessed alone, exactly as a one-band study would: the i-only arm of the
study. ``real_images.npy`` (the bundled sample has the i band only) always comes from
the one-band pipeline.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from ..datasets import load_sdss_sample, make_galaxies
from ..io import FITSLoader
from ..preprocessing import make_preprocessing_pipeline
from ..selection import gz2_morphology, gz2_selection_mask
from ._checks import band_columns
from ._errors import StudyInputError
from ._registry import has_i_arm
from ._split import CLEAN_CLASSES, split_galaxies, study_sets

#: Physical properties correlated with and predicted from the latents, when present.
PROPERTIES = (
    "petro_r50", "log_petro_r50", "velocity_dispersion", "age", "metallicity", "log_ssfr",
    "log_stellar_mass",
    # SDSS / GSWLC / RCSED names of real catalogs
    "petroR50_r", "PETRO_R50", "V_DISP", "LOGMSTAR", "LOGSFRSED", "LOG_MASS",
)
#: Galaxy Zoo 2 answers correlated with the latents, as in the seed's table.
GZ2_ANSWERS = {
    "t01_smooth_or_features_a01_smooth": "Has smooth profile",
    "t01_smooth_or_features_a02_features_or_disk": "Has features or disk",
    "t04_spiral_a08_spiral": "Has spiral arms",
    "t05_bulge_prominence_a12_obvious": "Has obvious bulge",
    "t07_rounded_a16_completely_round": "Is completely round",
}


def _read_catalog_csv(path, bands="i"):
    """Read a catalog CSV and resolve its FITS paths: one ``path`` column for one band,
    one ``path_<band>`` column per band for several (:func:`._checks.band_columns`)."""
    path = Path(path)
    columns = band_columns(bands)
    try:
        catalog = pd.read_csv(path)
    except pd.errors.EmptyDataError as exc:
        msg = (
            f"catalog {str(path)!r} is empty (no header line): a catalog CSV needs a "
            "header with a 'path' column (the FITS file of each galaxy) and one row per "
            "galaxy."
        )
        raise StudyInputError(msg) from exc
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        msg = f"catalog {str(path)!r} could not be read as CSV: {exc}"
        raise StudyInputError(msg) from exc
    if catalog.empty:
        msg = f"catalog {str(path)!r} has no rows."
        raise StudyInputError(msg)
    if len(columns) == 1 and "path" not in catalog.columns:
        msg = (
            f"catalog {str(path)!r} has no 'path' column (the FITS file of each galaxy); "
            f"its columns are: {', '.join(map(str, catalog.columns[:15]))}."
        )
        raise StudyInputError(msg)
    absent = [c for c in columns if c not in catalog.columns]
    if absent:
        msg = (
            f"catalog {str(path)!r} has no column {', '.join(map(repr, absent))}: --bands "
            f"{bands} needs one FITS path column per band ({', '.join(columns)}); its "
            f"columns are: {', '.join(map(str, catalog.columns[:15]))}."
        )
        raise StudyInputError(msg)
    for column in columns:
        paths = [p if Path(p).is_absolute() else str(path.parent / p)
                 for p in catalog[column]]
        missing = [(i + 2, p) for i, p in enumerate(paths) if not Path(p).is_file()]
        if missing:
            row, first = missing[0]
            msg = (
                f"catalog {str(path)!r}: {len(missing)} FITS file(s) in column {column!r} "
                f"do not exist, first at line {row}: {first!r}."
            )
            raise StudyInputError(msg)
        catalog[column] = paths
    return catalog


def _has_gz2(catalog, kind):
    needed = [f"t02_edgeon_a04_yes_{kind}", f"t06_odd_a14_yes_{kind}",
              f"t01_smooth_or_features_a01_smooth_{kind}"]
    return all(c in catalog.columns for c in needed)


def load_population(source, *, n_galaxies, seed, n_jobs, verbose, log, bands="i",
                    preset=None):
    """Return ``(raw images, catalog, provenance dict)`` for ``source``.

    The raw images are ``(n, h, w)`` for one band, ``(n, c, h, w)`` for the ``c`` bands
    of ``bands``, in its order.
    """
    multi = len(bands) > 1
    if source == "simulated":
        extra = {"bands": bands} if multi else {}
        if preset is not None:
            extra["preset"] = preset
        bunch = make_galaxies(n_galaxies, image_size=150, random_state=seed, n_jobs=n_jobs,
                              verbose=verbose, **extra)
        provenance = {"source": "simulated", "generator": "skgalvae.datasets.make_galaxies",
                      "n_samples": n_galaxies, "image_size": 150, "random_state": seed,
                      **extra}
        return bunch.images, bunch.catalog, provenance
    if source == "sample":
        if multi:
            msg = f"--source sample with --bands {bands}: the bundled sample has the i band only."
            raise StudyInputError(msg)
        bunch = load_sdss_sample(n_jobs=n_jobs)
        return bunch.images, bunch.catalog, {"source": "bundled SDSS i-band sample",
                                             "n_samples": len(bunch.images)}
    path = Path(source)
    if path.is_dir():
        files = sorted([*path.glob("*.fits"), *path.glob("*.fits.gz")])
        if not files:
            msg = f"folder {str(path)!r} holds no *.fits or *.fits.gz file."
            raise StudyInputError(msg)
        catalog = pd.DataFrame({"name": [f.name.split(".fits")[0] for f in files],
                                "path": [str(f) for f in files]})
    elif path.is_file():
        catalog = _read_catalog_csv(path, bands=bands)
    else:
        msg = (
            f"--source {source!r} is neither 'simulated', 'sample', a folder of FITS files "
            "nor a catalog CSV file."
        )
        raise StudyInputError(msg)
    columns = [c for c in band_columns(bands) if c in catalog.columns] or ["path"]
    if not multi:
        log(f"reading {len(catalog)} FITS files from {source}")
        data = FITSLoader(n_jobs=n_jobs, verbose=verbose, output_shape=(150, 150),
                          fill_value=0.0).fit_transform(catalog["path"])
        return data.reshape(-1, 150, 150), catalog, {"source": str(path.resolve()),
                                                     "n_samples": len(catalog)}
    # one path column per band (a catalog), or one cube per galaxy (a folder)
    log(f"reading the {bands} bands of {len(catalog)} galaxies from {source}")
    data = FITSLoader(bands=bands, n_jobs=n_jobs, verbose=verbose, output_shape=(150, 150),
                      fill_value=0.0).fit_transform(catalog[columns])
    return data.reshape(-1, len(bands), 150, 150), catalog, {
        "source": str(path.resolve()), "n_samples": len(catalog), "bands": bands}


def label_population(catalog, *, test_size, random_state, fraction_kind="debiased",
                     log=print):
    """Add the columns that define the study's galaxy sets; return ``(catalog, selection)``.

    ``morphology`` (:func:`~skgalvae.selection.gz2_morphology`), ``selected``
    (:func:`~skgalvae.selection.gz2_selection_mask`), ``clean`` (selected and of a
    morphology in :data:`CLEAN_CLASSES`) and ``split`` (``"train"`` / ``"test"``,
    stratified by morphology and cleanliness, see
    :func:`~skgalvae.study._split.split_galaxies`), and ``log_petro_r50``. Only the GZ2
    votes select: the simulator's truth columns are never read here. Without GZ2 votes
    there is no selection: every galaxy is clean and the split is unstratified.

    Returns
    -------
    catalog : pandas.DataFrame
    selection : dict
        How the population was selected and split, for ``run.json``.
    """
    catalog = catalog.copy()
    if "petro_r50" in catalog.columns:
        catalog["log_petro_r50"] = np.log10(catalog["petro_r50"].clip(lower=1e-3))
    if _has_gz2(catalog, fraction_kind):
        catalog["morphology"] = gz2_morphology(catalog, fraction_kind=fraction_kind)
        catalog["selected"] = gz2_selection_mask(catalog, fraction_kind=fraction_kind)
        catalog["clean"] = catalog["selected"] & catalog["morphology"].isin(CLEAN_CLASSES)
        strata = (catalog["morphology"].astype(str)
                  + np.where(catalog["clean"], "/clean", "/other"))
        selection = (f"GZ2 {fraction_kind} votes: gz2_selection_mask (edge-on and odd "
                     f"galaxies removed) and GZ2 morphology in {list(CLEAN_CLASSES)}")
        stratified = "GZ2 morphology (and clean or not)"
    else:
        log(f"no GZ2 '{fraction_kind}' vote columns: no selection, every galaxy is clean, "
            "none labelled")
        catalog["morphology"] = "unknown"
        catalog["selected"] = True
        catalog["clean"] = True
        strata = np.zeros(len(catalog))
        selection = "none: the source has no GZ2 votes"
        stratified = "none (no labels)"
    catalog["split"] = split_galaxies(strata, test_size=test_size, random_state=random_state)
    return catalog, {"selection": selection,
                     "split": {"test_size": test_size, "random_state": random_state,
                               "stratified_by": stratified}}


def _pipeline(config, bands, crop):
    """Stage 1's preprocessing of images of ``bands`` (a one-band study's, for one band)."""
    if len(bands) == 1:
        return make_preprocessing_pipeline(output_shape=config["image_size"], crop=crop,
                                           stretch=config["stretch"],
                                           n_jobs=config["n_jobs"])
    # the geometry on the i band (else the reddest); one scale keeps the colours
    reference = bands.index("i") if "i" in bands else -1
    return make_preprocessing_pipeline(
        output_shape=config["image_size"], crop=crop, stretch=config["stretch"],
        image_shape=(len(bands), 150, 150), reference_band=reference,
        log_channels="joint", n_jobs=config["n_jobs"])


def study_image_shape(config, bands=None):
    """Shape of the preprocessed images of ``bands`` (default: the study's).

    ``(s, s)`` for one band, ``(c, s, s)`` for ``c`` bands (``s = --image-size``).
    """
    bands = config["bands"] if bands is None else bands
    size = config["image_size"]
    return (size, size) if len(bands) == 1 else (len(bands), size, size)


def build_population(config, run, stage_dir, log):
    """Run stage 1 into ``stage_dir`` and return its summary for run.json."""
    data_dir = Path(stage_dir) / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    bands = config["bands"]
    raw, catalog, provenance = load_population(
        config["source"], bands=bands, n_galaxies=config["n_galaxies"],
        seed=config["seed"], n_jobs=config["n_jobs"], verbose=config["verbose"], log=log,
        preset=config["preset"])
    catalog, selection = label_population(catalog, test_size=config["test_size"],
                                          random_state=config["seed"], log=log)
    # Crop the central 100x100 pixels (40 arcsec) around the centred, rotated galaxy
    # before resizing, as the seed did (its arrays were 100x100); larger outputs keep the
    # whole 150x150 frame.
    crop = 100 if config["image_size"] <= 100 else None
    pipe = _pipeline(config, bands, crop)
    shape = study_image_shape(config)
    described = f"{bands} bands, " if len(bands) > 1 else ""
    log(f"preprocessing {len(raw)} images ({described}central {crop or 150} pixels resized "
        f"to {config['image_size']}x{config['image_size']})")
    images = pipe.fit_transform(raw.reshape(len(raw), -1) if len(bands) > 1 else raw)
    images = images.astype(np.float32)
    sets = study_sets(catalog)
    example_rows = np.flatnonzero(sets.test)[:8]
    one_band = pipe
    if has_i_arm(config):
        # the i-only arm: the i band of the same galaxies, preprocessed alone
        one_band = _pipeline(config, "i", crop)
        log("preprocessing the i band alone (the i-only arm)")
        images_i = one_band.fit_transform(raw[:, bands.index("i")]).astype(np.float32)
        np.save(data_dir / "images_i.npy", images_i)
    outputs = {}
    if "i" in bands:
        real = load_sdss_sample(n_jobs=config["n_jobs"])
        real_images = one_band.transform(real.images).astype(np.float32)
        np.save(data_dir / "real_images.npy", real_images)
        real.catalog.drop(columns="path").to_csv(data_dir / "real_catalog.csv", index=False)
    else:
        outputs["real_sample"] = ("not projected: the bundled SDSS sample has the i band "
                                  f"only, the study's bands are {bands}")
    np.save(data_dir / "images.npy", images)
    np.save(data_dir / "raw_examples.npy", raw[example_rows])
    np.save(data_dir / "scaled_examples.npy", images[example_rows])
    catalog.to_csv(data_dir / "catalog.csv", index=False)
    counts = catalog.loc[catalog["clean"], "morphology"].value_counts().to_dict()
    n_train, n_test = int(sets.train.sum()), int(sets.test.sum())
    log(f"population: {len(catalog)} galaxies, {int(catalog['clean'].sum())} clean "
        f"({counts}); {n_train} train, {n_test} held out")
    return {"provenance": provenance, "n_galaxies": len(catalog),
            "n_selected": int(catalog["selected"].sum()),
            "n_clean": int(catalog["clean"].sum()), "n_train": n_train, "n_test": n_test,
            "morphology_counts": counts, **selection,
            "preprocessing": {"image_size": config["image_size"], "crop": crop,
                              "stretch": config["stretch"]},
            "bands": bands, "image_shape": list(shape), **outputs}


def load_stage_data(out, images="images.npy"):
    """Read what stage 1 wrote: ``(images, catalog)``; a clear error when it has not run.

    ``images`` names the array: ``"images.npy"`` (the study's bands) or
    ``"images_i.npy"`` (the i band alone, in a multi-band study). Further arrays of the
    same run are read by :class:`StageImages`.
    """
    data_dir = Path(out) / "data"
    if not (data_dir / "catalog.csv").is_file():
        msg = (
            f"{str(data_dir)!r} has no population yet: run `skgalvae simulate --out {out}` "
            "(or `skgalvae study`) first."
        )
        raise StudyInputError(msg)
    catalog = pd.read_csv(data_dir / "catalog.csv", low_memory=False)
    return np.load(data_dir / images), catalog


def images_file(spec, config):
    """The array of stage 1 that ``spec``'s model is fitted on and analysed with."""
    if spec.bands is not None and spec.bands != config["bands"]:
        return f"images_{spec.bands}.npy"
    return "images.npy"


class StageImages(dict):
    """Stage 1's image arrays by file name, each read from ``<out>/data`` once.

    Starts with ``images.npy`` (already read by :func:`load_stage_data`); another array
    (``images_i.npy``, the i-only arm) is read the first time a model asks for it.
    """

    def __init__(self, out, images):
        super().__init__({"images.npy": images})
        self.data_dir = Path(out) / "data"

    def __missing__(self, name):
        self[name] = np.load(self.data_dir / name)
        return self[name]

    def of(self, spec, config):
        """The images ``spec``'s model is fitted on and analysed with."""
        return self[images_file(spec, config)]
