"""The end-to-end study and the command line (layer 5).

:func:`run_study` runs the seed study's stages (``simulate``, ``train``, ``analyse``,
``report``) into an output folder: the models train on clean training galaxies and every
table and figure is computed on held-out ones; each stage records a fingerprint of its
parameters in ``run.json``, so a rerun recomputes exactly what changed. :func:`main` is the
``skgalvae`` command.
"""

from ._cli import main
from ._study import DEFAULTS, run_stage, run_study

__all__ = ["DEFAULTS", "main", "run_stage", "run_study"]
