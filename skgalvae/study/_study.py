"""The end-to-end study: population -> preprocessing -> models -> analysis -> report.

Each stage writes its results under ``out`` and records its parameters and timing in
``out/run.json``, so that a long run can be resumed: :func:`run_study` skips the stages
whose results exist (``force=True`` reruns them).
"""

import contextlib
import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from threadpoolctl import threadpool_limits

from .._version import __version__
from ..utils._atomic import atomic_path
from ..utils._show_versions import _versions

#: Defaults of the study (the README's main job).
DEFAULTS = {
    "source": "simulated",
    "n_galaxies": 3000,
    "latent_dim": 2,
    "model": "all",
    "image_size": 64,
    "stretch": 0.05,
    "epochs": 30,
    "loss": "mse",
    "out": "results",
    "seed": 0,
    "device": "auto",
    "n_jobs": 2,
    "verbose": 1,
}

STAGES = ("simulate", "train", "analyse", "report")
_DONE_MARKERS = {
    "simulate": "data/catalog.csv",
    "train": "models",
    "analyse": "tables/model_comparison.csv",
    "report": "report.html",
}


@contextlib.contextmanager
def _torch_threads(n):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _read_run(out):
    path = Path(out) / "run.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _write_run(out, info):
    with atomic_path(Path(out) / "run.json") as tmp:
        tmp.write_text(json.dumps(info, indent=2, default=str))


def _stage_done(out, stage):
    marker = Path(out) / _DONE_MARKERS[stage]
    return marker.is_dir() and any(marker.iterdir()) if stage == "train" else marker.is_file()


def run_stage(stage, config, log=print):
    """Run one stage of the study with ``config`` (see :data:`DEFAULTS`)."""
    from ._analyse import analyse
    from ._population import build_population
    from ._report import make_report
    from ._train import train_models

    config = {**DEFAULTS, **config}
    out = Path(config["out"])
    out.mkdir(parents=True, exist_ok=True)
    info = _read_run(out)
    if stage == "simulate" or "parameters" not in info:
        info["parameters"] = config
    info.setdefault("versions", {k: v for k, v in _versions().items() if v})
    info["machine"] = f"{platform.platform()}, {platform.processor() or platform.machine()}"
    start = time.perf_counter()
    if stage == "simulate":
        info["population"] = build_population(config, log)
    elif stage == "train":
        info["models"] = train_models(config, log)
    elif stage == "analyse":
        # torch's OpenMP pool and scikit-learn's (gradient boosting, BLAS) spin against
        # each other on a small machine: one thread each made this stage 10x faster
        # (21 s against 251 s on 2 cores).
        with threadpool_limits(limits=1), _torch_threads(1):
            info["results"] = analyse(config, log)
    elif stage == "report":
        with threadpool_limits(limits=1), _torch_threads(1):
            info["report"] = make_report(config, info, log)
    else:
        msg = f"unknown stage {stage!r}; choose from {STAGES}."
        raise ValueError(msg)
    info.setdefault("timings_s", {})[stage] = round(time.perf_counter() - start, 2)
    info["skgalvae_version"] = __version__
    info["updated"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write_run(out, info)
    return info


def run_study(config=None, *, force=False, log=print):
    """Run every stage, skipping those whose results exist in ``config["out"]``.

    Parameters
    ----------
    config : dict, default=None
        Overrides of :data:`DEFAULTS` (``source``, ``n_galaxies``, ``latent_dim``,
        ``model``, ``image_size``, ``stretch``, ``epochs``, ``loss``, ``out``, ``seed``,
        ``device``, ``n_jobs``, ``verbose``).
    force : bool, default=False
        Rerun stages whose results exist.
    log : callable, default=print

    Returns
    -------
    dict
        The content of ``run.json``.
    """
    config = {**DEFAULTS, **(config or {})}
    start = time.perf_counter()
    for stage in STAGES:
        if not force and _stage_done(config["out"], stage):
            log(f"[{stage}] results exist in {config['out']}: skipped (use --force)")
            continue
        log(f"[{stage}]")
        run_stage(stage, config, log=log)
    info = _read_run(config["out"])
    info.setdefault("timings_s", {})["total_this_run"] = round(time.perf_counter() - start, 2)
    _write_run(config["out"], info)
    return info
