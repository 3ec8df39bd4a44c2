"""What the report shows, read once from a run directory: ``run.json`` and ``tables/``.

:class:`ReportData` holds the analyse stage's tables (None where a table was not
written: no properties, no labels, no outlier set...) keyed by model name, and the paths
of the figures the report stage drew. The summary (:mod:`._summary`) and the sections
(:mod:`._sections`) are functions of it only, so they can be tested on small synthetic
tables.
"""

from dataclasses import dataclass, field

import pandas as pd

from ._population import GZ2_ANSWERS


@dataclass
class ModelInfo:
    """A model of the run: registry ``key``, display ``name``, whether it ``decodes``,
    the ``bands`` it was fitted on (None: not recorded, one band) and, for a model of
    the i-only arm, the key of the model it ``pair``s with on the study's bands."""

    key: str
    name: str
    decodes: bool = False
    variational: bool = False
    bands: str = None
    pair: str = None


@dataclass
class ReportData:
    """The run's numbers, as the report reads them (every table on held-out galaxies).

    Attributes
    ----------
    info : dict
        ``run.json``.
    models : list of ModelInfo
    comparison, ood, galaxy_sets : DataFrame or None
        ``model_comparison.csv``, ``ood_auroc.csv``, ``galaxy_sets.csv``.
    correlations, classes, scores, truth, diagnostics : dict
        ``{model name: DataFrame}`` of ``correlations_<key>.csv``,
        ``class_distributions_<key>.csv``, ``property_scores_<key>.csv``,
        ``ground_truth_recovery_<key>.csv``, ``latent_diagnostics_<key>.csv`` (only
        the models that have one).
    structure_note : str or None
    structure : DataFrame or None
        ``latents_vs_structure.csv`` (columns (statistic, "<model> <latent>")).
    realism, realism_notes : DataFrame or None, list of str
    bands : DataFrame or None
        ``bands_comparison.csv``: each model on the study's bands beside its i-only
        counterpart (columns (model, "bands" / "i" / "difference")); None without an
        i-only arm.
    figures : dict
        ``{figure name: path relative to the report}``.
    """

    info: dict
    models: list
    comparison: pd.DataFrame = None
    ood: pd.DataFrame = None
    galaxy_sets: pd.DataFrame = None
    correlations: dict = field(default_factory=dict)
    classes: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)
    truth: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)
    structure_note: str = None
    structure: pd.DataFrame = None
    realism: pd.DataFrame = None
    realism_notes: list = field(default_factory=list)
    bands: pd.DataFrame = None
    figures: dict = field(default_factory=dict)

    @property
    def population(self):
        return self.info.get("population", {})

    @property
    def study_bands(self):
        """The study's bands, as stage 1 recorded them (``"i"`` before ``--bands``)."""
        return self.population.get("bands", "i")

    @property
    def n_test(self):
        return self.population.get("n_test")

    def property_rows(self):
        """The physical properties correlated (rows that are not GZ2 answers)."""
        rows = []
        for corr in self.correlations.values():
            rows += [r for r in corr.index if r not in GZ2_LABELS and r not in rows]
        return rows

    def answer_rows(self):
        """The GZ2 answers correlated, in the seed's order."""
        present = set()
        for corr in self.correlations.values():
            present |= set(corr.index)
        return [label for label in GZ2_LABELS if label in present]


#: The row labels of the GZ2 answers in the correlation tables.
GZ2_LABELS = tuple(GZ2_ANSWERS.values())


def _read(path, **kwargs):
    return pd.read_csv(path, **kwargs) if path.is_file() else None


def load_report_data(run, models, figures=None):
    """Read the tables of ``run`` for ``models`` (a list of :class:`ModelInfo`)."""
    folder = run.path("tables")
    two = {"header": [0, 1], "index_col": 0}
    data = ReportData(info=run.read(), models=list(models), figures=dict(figures or {}))
    data.comparison = _read(folder / "model_comparison.csv", index_col=0)
    data.ood = _read(folder / "ood_auroc.csv", index_col=0)
    data.galaxy_sets = _read(folder / "galaxy_sets.csv", index_col=0)
    for model in data.models:
        for attr, stem, kwargs in (
                ("correlations", "correlations_{}", two),
                ("classes", "class_distributions_{}", two),
                ("scores", "property_scores_{}", two),
                ("truth", "ground_truth_recovery_{}", two),
                ("diagnostics", "latent_diagnostics_{}", {"index_col": 0})):
            table = _read(folder / f"{stem.format(model.key)}.csv", **kwargs)
            if table is not None and not table.empty:
                getattr(data, attr)[model.name] = table
    note = folder / "latents_vs_structure.txt"
    data.structure_note = note.read_text().strip() if note.is_file() else None
    data.structure = _read(folder / "latents_vs_structure.csv", **two)
    data.realism = _read(folder / "realism.csv", index_col=0)
    data.bands = _read(folder / "bands_comparison.csv", **two)
    if data.bands is not None and data.bands.dropna(how="all").empty:
        data.bands = None
    notes = folder / "realism_notes.txt"
    data.realism_notes = notes.read_text().splitlines() if notes.is_file() else []
    if data.comparison is not None:
        data.comparison = data.comparison.dropna(how="all")
        if data.comparison.empty:
            data.comparison = None
    return data
