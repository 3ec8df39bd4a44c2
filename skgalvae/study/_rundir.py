"""The run directory of the study: its paths, ``run.json``, stage fingerprints and staging.

Each stage owns some top-level entries of the output folder (:data:`STAGE_OUTPUTS`). A
stage writes them into a staging folder, ``<out>/.stage-<stage>.tmp/``; only when the
whole stage has completed does :meth:`RunDir.commit` move them into place (replacing the
previous outputs of that stage), and :meth:`RunDir.finish` then records the stage's
fingerprint in ``run.json`` as the very last step. A stage that starts first drops its
own record and those of the stages downstream (:meth:`RunDir.invalidate`), so a stage
interrupted half-way has no fingerprint and is redone on resume.

A stage's fingerprint is a hash of exactly the parameters it depends on
(:data:`STAGE_PARAMETERS`) and of its upstream stage's fingerprint, so that a change
anywhere upstream changes every fingerprint downstream.
"""

import contextlib
import hashlib
import json
import os
import shutil
from pathlib import Path

from ..utils._atomic import atomic_path

#: The stages, in order.
STAGES = ("simulate", "train", "analyse", "report")
#: The parameters each stage depends on itself (its fingerprint adds its upstream's).
#: ``device``, ``n_jobs`` and ``verbose`` change how a stage runs, not what it makes.
STAGE_PARAMETERS = {
    "simulate": ("source", "bands", "preset", "n_galaxies", "image_size", "stretch", "seed",
                 "test_size"),
    "train": ("model", "latent_dim", "epochs", "loss", "beta", "channels"),
    "analyse": (),
    "report": (),
}
#: Parameters that came after runs were recorded without them, with the value those runs
#: had: at that value a parameter is left out of its stage's parameters (and so of its
#: fingerprint), so that a run recorded before it existed stays up to date and a
#: one-band study records exactly what it did before ``--bands`` and ``--preset``.
IMPLICIT = {"bands": "i", "preset": None}
#: The top-level entries of the output folder each stage writes (and replaces).
STAGE_OUTPUTS = {
    "simulate": ("data",),
    "train": ("models", "latents"),
    "analyse": ("tables",),
    "report": ("figures", "report.md", "report.html"),
}
#: The key of ``run.json`` that holds each stage's summary.
SUMMARY_KEYS = {"simulate": "population", "train": "models", "analyse": "results",
                "report": "report"}


def canonical(value):
    """``value`` as ``run.json`` stores it (tuples become lists, numpy scalars Python)."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value):
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    return str(value)


def stage_parameters(stage, config):
    """Return ``{name: value}`` of the parameters ``stage`` depends on, from ``config``.

    A parameter of :data:`IMPLICIT` at its implicit value is left out.
    """
    parameters = {name: canonical(config[name]) for name in STAGE_PARAMETERS[stage]}
    return {name: value for name, value in parameters.items()
            if not (name in IMPLICIT and value == IMPLICIT[name])}


def recorded_parameters(stage, record):
    """The parameters a stage's ``record`` ran with, :data:`IMPLICIT` ones filled in."""
    implicit = {name: value for name, value in IMPLICIT.items()
                if name in STAGE_PARAMETERS[stage]}
    return {**implicit, **record["parameters"]}


def fingerprint(stage, parameters, upstream):
    """Hash of a stage's own parameters and of its upstream stage's fingerprint.

    Parameters
    ----------
    stage : str
    parameters : dict
        As returned by :func:`stage_parameters`.
    upstream : str or None
        The upstream stage's fingerprint (None for the first stage).

    Returns
    -------
    str
        16 hexadecimal digits.
    """
    text = json.dumps({"stage": stage, "parameters": canonical(parameters),
                       "upstream": upstream}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def changed_parameters(recorded, current):
    """``"name old -> new"`` for each parameter whose value differs."""
    recorded = {**IMPLICIT, **recorded}
    current = {**IMPLICIT, **current}
    names = [*recorded, *(k for k in current if k not in recorded)]
    return [f"{name} {_show(recorded.get(name))} -> {_show(current.get(name))}"
            for name in names if canonical(recorded.get(name)) != canonical(current.get(name))]


def _show(value):
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def _remove(path):
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


class RunDir:
    """The output folder of one study run.

    Parameters
    ----------
    out : str or Path
        The folder (``--out``); created when a stage first writes.
    """

    def __init__(self, out):
        self.out = Path(out)

    def path(self, *parts):
        """Path of ``parts`` inside the run directory."""
        return self.out.joinpath(*parts)

    @property
    def run_json(self):
        return self.out / "run.json"

    def read(self):
        """Return the content of ``run.json`` (an empty dict when there is none)."""
        if not self.run_json.is_file():
            return {}
        try:
            return json.loads(self.run_json.read_text())
        except json.JSONDecodeError as exc:
            msg = (
                f"{str(self.run_json)!r} is not valid JSON ({exc}); remove it (or pass "
                "--force) to recompute every stage."
            )
            raise ValueError(msg) from exc

    def write(self, info):
        """Write ``info`` to ``run.json`` atomically."""
        with atomic_path(self.run_json) as tmp:
            tmp.write_text(json.dumps(info, indent=2, default=_json_default))

    def record(self, stage, info=None):
        """Return the record of ``stage`` in ``run.json`` (None when it has none)."""
        info = self.read() if info is None else info
        return info.get("stages", {}).get(stage)

    def missing_outputs(self, record):
        """Outputs a stage's record lists that are not in the folder."""
        return [p for p in record.get("outputs", []) if not self.path(p).is_file()]

    def recorded_parameters(self, info=None):
        """The parameters recorded by the completed stages, in stage order."""
        info = self.read() if info is None else info
        parameters = {}
        for stage in STAGES:
            record = info.get("stages", {}).get(stage)
            if record is not None:
                parameters.update(record["parameters"])
        return parameters

    def invalidate(self, stage):
        """Drop the records of ``stage`` and of every stage downstream from ``run.json``."""
        info = self.read()
        for later in STAGES[STAGES.index(stage):]:
            info.get("stages", {}).pop(later, None)
            info.pop(SUMMARY_KEYS[later], None)
            info.get("timings_s", {}).pop(later, None)
        info["parameters"] = self.recorded_parameters(info)
        self.out.mkdir(parents=True, exist_ok=True)
        self.write(info)

    def staging_dir(self, stage):
        return self.out / f".stage-{stage}.tmp"

    @contextlib.contextmanager
    def staging(self, stage):
        """Yield an empty staging folder for ``stage``; remove it whatever happens.

        Anything left in it by an earlier, interrupted run is removed first. On an
        exception (KeyboardInterrupt included) the folder and its partial outputs are
        removed and the exception propagates.
        """
        tmp = self.staging_dir(stage)
        _remove(tmp)
        tmp.mkdir(parents=True)
        try:
            yield tmp
        finally:
            _remove(tmp)

    def commit(self, stage, tmp):
        """Move the outputs of ``stage`` from ``tmp`` into place; return their paths.

        The previous outputs of the stage (every entry of :data:`STAGE_OUTPUTS`) are
        removed, also those the new run did not write.

        Returns
        -------
        list of str
            The files now in place, relative to the run directory (POSIX separators).
        """
        old = self.out / f".stage-{stage}.old"
        _remove(old)
        old.mkdir(parents=True)
        for name in STAGE_OUTPUTS[stage]:
            if self.path(name).exists():
                os.replace(self.path(name), old / name)
            if (tmp / name).exists():
                os.replace(tmp / name, self.path(name))
        _remove(old)
        files = []
        for name in STAGE_OUTPUTS[stage]:
            target = self.path(name)
            if target.is_file():
                files.append(name)
            elif target.is_dir():
                files += sorted(p.relative_to(self.out).as_posix()
                                for p in target.rglob("*") if p.is_file())
        return files

    def finish(self, stage, record, summary, extra=None):
        """Record a completed stage in ``run.json`` (the stage's very last step).

        Parameters
        ----------
        stage : str
        record : dict
            ``fingerprint``, ``upstream``, ``parameters``, ``outputs``, ... of the stage.
        summary : dict
            Stored under :data:`SUMMARY_KEYS` ``[stage]``.
        extra : dict, default=None
            Further top-level entries (versions, machine, ...).
        """
        info = self.read()
        info.setdefault("stages", {})[stage] = record
        info[SUMMARY_KEYS[stage]] = summary
        info.setdefault("timings_s", {})[stage] = record.get("seconds")
        info.update(extra or {})
        info["parameters"] = self.recorded_parameters(info)
        self.write(info)
