"""The end-to-end study: population -> preprocessing -> models -> analysis -> report.

Each stage writes its outputs into a staging folder under ``out``, moves them into place
once it has completed and then records its fingerprint (a hash of exactly the parameters
it depends on and of its upstream stage's fingerprint) in ``out/run.json``
(:mod:`skgalvae.study._rundir`). :func:`run_study` recomputes a stage whose fingerprint
differs from the recorded one (saying which parameters changed), whose outputs are
incomplete or that never completed, and every stage downstream of one it recomputed; it
skips the others. ``force=True`` reruns every stage.
"""

import contextlib
import platform
import time
from datetime import UTC, datetime

from sklearn.utils._param_validation import StrOptions, validate_params
from threadpoolctl import threadpool_limits

from .._version import __version__
from ..utils._show_versions import _versions
from ._checks import check_config, check_out, check_source
from ._errors import StudyInputError
from ._registry import DEFAULT_CHANNELS, DEFAULT_LOSS
from ._rundir import (
    STAGE_OUTPUTS,
    STAGES,
    RunDir,
    canonical,
    changed_parameters,
    fingerprint,
    recorded_parameters,
    stage_parameters,
)

#: Defaults of the study (the README's main job).
DEFAULTS = {
    "source": "simulated",
    "bands": "i",  # the SDSS bands of the images, wavelength order ("gri")
    "preset": None,  # make_galaxies(preset=...): None, the default simulator, or "sdss"
    "n_galaxies": 3000,
    "test_size": 0.25,
    "latent_dim": 2,
    "model": "all",
    "image_size": 64,
    "stretch": 50.0,  # nearly linear: measured best for every model (user guide)
    "epochs": 60,  # an upper bound: early stopping ends most fits after 35-55
    "loss": DEFAULT_LOSS,
    "beta": 1.0,
    "channels": DEFAULT_CHANNELS,
    "out": "results",
    "seed": 0,
    "device": "auto",
    "n_jobs": 2,
    "verbose": 1,
}

#: What a stage does, the first time and when it recomputes.
_VERBS = {
    "simulate": ("building the population", "rebuilding the population"),
    "train": ("training", "retraining"),
    "analyse": ("analysing", "reanalysing"),
    "report": ("writing the report", "rewriting the report"),
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


def _stage_function(stage):
    if stage == "simulate":
        from ._population import build_population

        return build_population
    if stage == "train":
        from ._train import train_models

        return train_models
    if stage == "analyse":
        from ._analyse import analyse

        return analyse
    from ._report import make_report

    return make_report


def _execute(stage, config, run, upstream, log):
    """Run ``stage`` into its staging folder, commit it, record it; return its fingerprint.

    The stage's record (and its downstream stages') is dropped first and written back
    only after its outputs are in place, as the very last step.
    """
    parameters = stage_parameters(stage, config)
    fp = fingerprint(stage, parameters, upstream)
    run.invalidate(stage)
    start = time.perf_counter()
    with run.staging(stage) as tmp:
        if stage in ("analyse", "report"):
            # torch's OpenMP pool and scikit-learn's (gradient boosting, BLAS) spin
            # against each other on a small machine: one thread each made the analysis
            # 10x faster (21 s against 251 s on 2 cores).
            with threadpool_limits(limits=1), _torch_threads(1):
                summary = _stage_function(stage)(config, run, tmp, log)
        else:
            summary = _stage_function(stage)(config, run, tmp, log)
        outputs = run.commit(stage, tmp)
    record = {
        "fingerprint": fp,
        "upstream": upstream,
        "parameters": parameters,
        "runtime": {"device": config["device"], "n_jobs": config["n_jobs"]},
        "outputs": outputs,
        "seconds": round(time.perf_counter() - start, 2),
        "completed": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    extra = {
        "versions": {k: v for k, v in _versions().items() if v},
        "machine": f"{platform.platform()}, {platform.processor() or platform.machine()}",
        "skgalvae_version": __version__,
        "updated": record["completed"],
    }
    run.finish(stage, record, summary, extra)
    return fp


# The study builds and fits estimators from the configuration: their own parameter
# validation must stay on inside it (prefer_skip_nested_validation=False).
@validate_params(
    {"stage": [StrOptions(set(STAGES))], "config": [dict, None], "log": [callable]},
    prefer_skip_nested_validation=False,
)
def run_stage(stage, config, log=print):
    """Run one stage of the study, on the outputs its upstream stages recorded.

    The stage's own parameters come from ``config`` (and :data:`DEFAULTS`); those of the
    upstream stages from ``run.json``, as the stages that made the data recorded them.
    A parameter of an upstream stage given in ``config`` with another value is an
    error: rerun that stage (or :func:`run_study`) to change it.

    Parameters
    ----------
    stage : {"simulate", "train", "analyse", "report"}
    config : dict or None
        Overrides of :data:`DEFAULTS`; ``out`` is the run directory.
    log : callable, default=print

    Returns
    -------
    dict
        The content of ``run.json``.

    Raises
    ------
    StudyInputError
        A bad option or a missing upstream stage, raised before the stage starts.
    """
    explicit = dict(config or {})
    config = {**DEFAULTS, **explicit}
    check_out(config["out"])
    run = RunDir(config["out"])
    info = run.read()
    upstream = None
    for earlier in STAGES[:STAGES.index(stage)]:
        record = run.record(earlier, info)
        if record is None or run.missing_outputs(record) or record["upstream"] != upstream:
            if earlier == "simulate":
                msg = (
                    f"{str(run.path('data'))!r} has no population yet: run `skgalvae "
                    f"simulate --out {run.out}` (or `skgalvae study`) first."
                )
            else:
                msg = (
                    f"stage {earlier!r} has no complete result in {str(run.out)!r} for its "
                    f"population: run `skgalvae {earlier} --out {run.out}` (or `skgalvae "
                    "study`) first."
                )
            raise StudyInputError(msg)
        for name, value in recorded_parameters(earlier, record).items():
            if name in explicit and canonical(explicit[name]) != value:
                option = f"--{name.replace('_', '-')}"
                msg = (
                    f"{option} {explicit[name]} differs from the {value} that stage "
                    f"{earlier!r} recorded in {str(run.run_json)!r}: rerun `skgalvae "
                    f"{earlier}` with it (or `skgalvae study`), or drop {option}."
                )
                raise StudyInputError(msg)
            config[name] = value
        upstream = record["fingerprint"]
    check_config(config)
    if stage == "simulate":
        check_source(config)
    log(f"[{stage}]")
    _execute(stage, config, run, upstream, log)
    return run.read()


@validate_params(
    {"config": [dict, None], "force": ["boolean"], "log": [callable]},
    prefer_skip_nested_validation=False,
)
def run_study(config=None, *, force=False, log=print):
    """Run every stage, recomputing exactly those whose results are not up to date.

    A stage is skipped when ``run.json`` records it with the fingerprint of the current
    parameters and its outputs are all in place; otherwise it is recomputed (the log
    says why, e.g. ``[train] parameters changed (latent_dim 2 -> 16): retraining``),
    and so is every stage after it.

    Parameters
    ----------
    config : dict, default=None
        Overrides of :data:`DEFAULTS` (``source``, ``bands``, ``preset``, ``n_galaxies``,
        ``test_size``,
        ``latent_dim``, ``model``, ``image_size``, ``stretch``, ``epochs``, ``loss``,
        ``beta``, ``channels``, ``out``, ``seed``, ``device``, ``n_jobs``, ``verbose``).
    force : bool, default=False
        Recompute every stage.
    log : callable, default=print

    Returns
    -------
    dict
        The content of ``run.json``.

    Raises
    ------
    StudyInputError
        A bad option (``--out``, ``--device``, ``--source``, a number out of range),
        raised before any stage starts.

    Notes
    -----
    Every option is checked, and what is to be recomputed decided, before the first
    stage starts. A stage writes into ``<out>/.stage-<stage>.tmp/`` and moves its outputs
    into place only once it has completed; an interrupted stage (KeyboardInterrupt
    included, which propagates) leaves the previous outputs and no fingerprint, so the
    next run redoes it.
    """
    config = {**DEFAULTS, **(config or {})}
    check_config(config)
    run = RunDir(config["out"])
    plan = _plan(config, run, force)
    if any(stage == "simulate" and reason is not None for stage, _, reason, _ in plan):
        check_source(config)
    run.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    upstream = None
    for stage, fp, reason, verb in plan:
        if reason is None:
            log(f"[{stage}] up to date in {run.out} (fingerprint {fp}): skipped")
            upstream = fp
            continue
        log(f"[{stage}] {reason}: {verb}")
        upstream = _execute(stage, config, run, upstream, log)
    info = run.read()
    info.setdefault("timings_s", {})["total_this_run"] = round(time.perf_counter() - start, 2)
    run.write(info)
    return info


def _plan(config, run, force):
    """Decide, before any work, what each stage does: ``[(stage, fp, reason, verb)]``.

    ``reason`` (and ``verb``) is None for a stage that is up to date and skipped. A
    stage's fingerprint depends only on the parameters, so the plan is exactly what the
    stages will record.
    """
    plan = []
    upstream, redo = None, None
    info = run.read()
    for stage in STAGES:
        parameters = stage_parameters(stage, config)
        fp = fingerprint(stage, parameters, upstream)
        record = run.record(stage, info)
        first, again = _VERBS[stage]
        exists = any(run.path(name).exists() for name in STAGE_OUTPUTS[stage])
        if not exists:
            reason, verb = f"no result in {run.out} yet", first
        elif force:
            reason, verb = "--force", again
        elif redo is not None:
            reason, verb = f"upstream stage {redo} was recomputed", again
        elif record is None:
            reason = ("no completed result recorded in run.json (interrupted, upstream rerun "
                      "or older skgalvae)")
            verb = again
        elif record["fingerprint"] != fp:
            changes = changed_parameters(record["parameters"], parameters)
            reason = (f"parameters changed ({', '.join(changes)})" if changes
                      else "its upstream stage changed")
            verb = again
        elif run.missing_outputs(record):
            missing = run.missing_outputs(record)
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            reason = f"outputs incomplete ({missing[0]}{more} missing)"
            verb = again
        else:
            plan.append((stage, fp, None, None))
            upstream = fp
            continue
        plan.append((stage, fp, reason, verb))
        redo = stage
        upstream = fp
    return plan
