"""Checks of the study's options, all made before any stage starts work.

:func:`check_config` validates every option of the configuration (``--out``, ``--device``
and the numbers) and :func:`check_source` the population's source (a catalog CSV is read
and its FITS files looked for): a bad value raises a :class:`StudyInputError` naming the
option and what to pass instead, so that nothing is simulated, read or trained in vain.
"""

import os
from pathlib import Path

from ..utils._optional import import_optional
from ._errors import StudyInputError
from ._registry import LOSSES, MODEL_CHOICES

#: Most training galaxies a GZ2-labelled population of ``n`` galaxies can give, beyond
#: ``n * (1 - test_size)``: each of the (at most 3) clean strata rounds its test share,
#: which gives back at most half a galaxy (:func:`skgalvae.study._split.split_galaxies`).
_ROUNDING_SLACK = 1.5


def _option(name):
    return f"--{name.replace('_', '-')}"


def check_out(out):
    """Raise a StudyInputError when ``--out`` cannot be the run's folder.

    ``out`` must be a folder (new, or the folder of an earlier run) whose nearest
    existing ancestor is a writable folder.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        msg = (
            f"--out {str(out)!r} is a file, not a folder: pass a new folder or the folder "
            "of an earlier run (the study writes run.json, data/, models/... into it)."
        )
        raise StudyInputError(msg)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        msg = (
            f"--out {str(out)!r} lies inside {str(existing)!r}, which is a file: pass a "
            "folder path."
        )
        raise StudyInputError(msg)
    if existing.exists() and not os.access(existing, os.W_OK | os.X_OK):
        msg = (
            f"--out {str(out)!r}: the folder {str(existing)!r} is not writable: pass a "
            "folder you can write to."
        )
        raise StudyInputError(msg)


def check_device(device):
    """Raise a StudyInputError when ``--device`` names a device this machine lacks.

    ``"auto"`` always passes (the GPU when present, else the CPU). Imports torch.
    """
    from ..models._base import resolve_device

    try:
        resolve_device(device)
    except ValueError as exc:
        text = str(exc)
        # the message names the estimator's parameter (device='cuda'): name the option
        msg = (text.replace("device=", "--device ") if "device=" in text
               else f"--device {device!r}: {text}")
        raise StudyInputError(msg) from exc


def check_config(config):
    """Raise a StudyInputError (a ValueError) naming the option when a value is invalid.

    Checks every option of ``config`` (:data:`skgalvae.study.DEFAULTS` and overrides):
    the numbers and choices, ``--out`` (:func:`check_out`) and, last because it imports
    torch, ``--device`` (:func:`check_device`). It reads no data: the source is checked
    by :func:`check_source`, only when the population is to be built.
    """
    from ._study import DEFAULTS

    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        msg = (f"unknown option(s) {unknown} in the study's configuration; the options "
               f"are {sorted(DEFAULTS)}.")
        raise StudyInputError(msg)
    if not 8 <= config["image_size"] <= 150:
        msg = f"--image-size must be between 8 and 150; got {config['image_size']}."
        raise StudyInputError(msg)
    if not config["stretch"] > 0:
        msg = f"--stretch must be positive; got {config['stretch']}."
        raise StudyInputError(msg)
    for name in ("n_galaxies", "latent_dim", "epochs"):
        if config[name] < 1:
            msg = f"{_option(name)} must be positive; got {config[name]}."
            raise StudyInputError(msg)
    if not 0 < config["test_size"] < 1:
        msg = (f"--test-size must be between 0 and 1 (the held-out share); got "
               f"{config['test_size']}.")
        raise StudyInputError(msg)
    if not config["beta"] >= 0:
        msg = f"--beta must be zero or positive; got {config['beta']}."
        raise StudyInputError(msg)
    channels = list(config["channels"])
    if not channels or any(int(c) != c or c < 1 for c in channels):
        msg = f"--channels must be positive integers, e.g. 4,8,16,32,64; got {channels}."
        raise StudyInputError(msg)
    if config["loss"] not in LOSSES:
        msg = f"--loss {config['loss']!r} is not a loss of the study; choose from {LOSSES}."
        raise StudyInputError(msg)
    check_bands(config["bands"])
    if config["model"] not in MODEL_CHOICES:
        msg = f"--model {config['model']!r} is not a model; choose from {MODEL_CHOICES}."
        raise StudyInputError(msg)
    seed = config["seed"]
    if int(seed) != seed or not 0 <= seed < 2**32:
        msg = f"--seed must be an integer between 0 and 2**32 - 1; got {seed}."
        raise StudyInputError(msg)
    n_jobs = config["n_jobs"]
    if n_jobs is not None and (int(n_jobs) != n_jobs or n_jobs == 0):
        msg = (f"--n-jobs must be a number of workers (1, 2, ...) or -1 for every core; "
               f"got {n_jobs}.")
        raise StudyInputError(msg)
    pixels = config["image_size"] ** 2
    if config["model"] in ("pca", "all") and config["latent_dim"] > pixels:
        msg = (
            f"--latent-dim {config['latent_dim']} exceeds the {pixels} pixels of a "
            f"{config['image_size']}x{config['image_size']} image (--image-size): PCA has "
            "at most that many components; lower --latent-dim or raise --image-size."
        )
        raise StudyInputError(msg)
    check_preset(config.get("preset"), config["source"])
    if config["source"] == "simulated":
        _check_simulated_size(config)
    check_out(config["out"])
    check_device(config["device"])


def check_preset(preset, source):
    """Raise a StudyInputError unless ``--preset`` is None, or a preset of
    :func:`~skgalvae.datasets.make_galaxies` with ``--source simulated``."""
    from ..datasets._conditions import PRESETS

    if preset is None:
        return
    if preset not in PRESETS:
        msg = (f"--preset {preset!r} is not a preset of make_galaxies; choose from "
               f"{list(PRESETS)}, or leave it out for the default simulator.")
        raise StudyInputError(msg)
    if source != "simulated":
        msg = (f"--preset {preset} applies to simulated galaxies, but --source is "
               f"{source!r}; leave --preset out, or use --source simulated.")
        raise StudyInputError(msg)


def check_bands(bands):
    """Raise a StudyInputError unless ``--bands`` names bands the simulator renders.

    ``bands`` is a string of distinct SDSS bands (``u g r i z``, the simulator's) in
    wavelength order, e.g. ``"gri"`` or ``"i"``.
    """
    from ..datasets._relations import SDSS_BANDS

    if not isinstance(bands, str) or not bands:
        msg = (f"--bands must name SDSS bands as letters in wavelength order, e.g. gri or "
               f"i; got {bands!r}.")
        raise StudyInputError(msg)
    unknown = sorted(set(bands) - set(SDSS_BANDS), key=bands.index)
    if unknown:
        msg = (f"--bands {bands!r}: {', '.join(map(repr, unknown))} is not an SDSS band of "
               f"the simulator; use letters of {SDSS_BANDS!r} (e.g. gri).")
        raise StudyInputError(msg)
    repeated = sorted({b for b in bands if bands.count(b) > 1}, key=bands.index)
    if repeated:
        msg = (f"--bands {bands!r} names {', '.join(map(repr, repeated))} more than once: "
               "name each band once (e.g. gri).")
        raise StudyInputError(msg)
    ordered = "".join(sorted(bands, key=SDSS_BANDS.index))
    if bands != ordered:
        msg = (f"--bands {bands!r} is not in wavelength order ({SDSS_BANDS}): pass "
               f"--bands {ordered} (channel k of the images is the k-th band).")
        raise StudyInputError(msg)


def _check_simulated_size(config):
    from ._train import MIN_TRAIN

    n, test_size = config["n_galaxies"], config["test_size"]
    most = n * (1 - test_size) + _ROUNDING_SLACK
    if most < MIN_TRAIN:
        msg = (
            f"--n-galaxies {n} with --test-size {test_size} leaves fewer than {MIN_TRAIN} "
            "training galaxies, the fewest the models train on: simulate more galaxies "
            "(--n-galaxies) or hold out fewer (--test-size)."
        )
        raise StudyInputError(msg)


def check_source(config):
    """Raise a StudyInputError when ``--source`` cannot give a population.

    ``"simulated"`` needs GalSim (the ``simulate`` extra); ``"sample"`` has the i band
    only; a folder must hold FITS files; a catalog CSV must not be empty, must have a
    ``path`` column (one band) or one path column per band (``path_g``, ``path_r``,
    ``path_i`` for ``--bands gri``) and its FITS files must exist (it is read here,
    before any stage starts).
    """
    source = config["source"]
    bands = config.get("bands", "i")
    if source == "sample":
        if bands != "i":
            msg = (f"--source sample with --bands {bands}: the bundled sample has the i "
                   "band only; pass --bands i, or --source simulated or a catalog CSV with "
                   f"one FITS path column per band ({', '.join(band_columns(bands))}).")
            raise StudyInputError(msg)
        return
    if source == "simulated":
        try:
            import_optional("galsim", purpose="--source simulated (the GalSim simulator)")
        except ImportError as exc:
            msg = (f"{exc} Or pass --source sample (the bundled SDSS cutouts) or your own "
                   "FITS files.")
            raise StudyInputError(msg) from exc
        return
    path = Path(source)
    if path.is_dir():
        if not any(path.glob("*.fits")) and not any(path.glob("*.fits.gz")):
            msg = (f"--source folder {str(path)!r} holds no *.fits or *.fits.gz file: "
                   "pass a folder of FITS cutouts or a catalog CSV with a 'path' column.")
            raise StudyInputError(msg)
        return
    if path.is_file():
        if path.stat().st_size == 0:
            msg = (
                f"--source catalog {str(path)!r} is empty (0 bytes): a catalog CSV needs "
                "a header line with a 'path' column (the FITS file of each galaxy) and "
                "one row per galaxy."
            )
            raise StudyInputError(msg)
        from ._population import _read_catalog_csv

        _read_catalog_csv(path, bands=bands)
        return
    msg = (
        f"--source {source!r} is neither 'simulated', 'sample', a folder of FITS files "
        "nor a catalog CSV file."
    )
    raise StudyInputError(msg)


def band_columns(bands):
    """The catalog's path column of each band: ``"path"`` for one band, else ``path_<b>``.

    >>> band_columns("i"), band_columns("gri")
    (['path'], ['path_g', 'path_r', 'path_i'])
    """
    return ["path"] if len(bands) == 1 else [f"path_{b}" for b in bands]


def check_fetch_bands(config):
    """Raise a StudyInputError when ``--fetch`` is asked for bands it does not download."""
    if config.get("bands", "i") != "i":
        msg = (f"--fetch with --bands {config['bands']}: the seed's population is fetched "
               "in the i band only; pass --bands i, or fetch the cutouts of each band "
               "yourself (skgalvae.datasets.fetch_sdss_cutouts(bands=...)) and pass a "
               "catalog CSV with one path column per band as --source.")
        raise StudyInputError(msg)


def check_fetch_extras():
    """Raise a StudyInputError when a package the ``fetch`` stage needs is missing."""
    for name in ("pooch", "requests", "astroquery"):
        try:
            import_optional(name, purpose="--fetch (downloading the seed's population)")
        except ImportError as exc:
            raise StudyInputError(str(exc)) from exc
