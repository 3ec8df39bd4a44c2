"""Galaxy Zoo 2 vote-fraction cuts: population masks and morphology labels."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import StrOptions, validate_params

from ..utils._validation import check_catalog, require_columns

# GZ2 decision-tree questions used here: (column prefix, answers). Column names follow the
# GZ2 data release (Willett et al. 2013, Table 1): <task>_<answer>_<kind>.
_TASKS = {
    "t01": ("t01_smooth_or_features", ("a01_smooth", "a02_features_or_disk",
                                       "a03_star_or_artifact")),
    "t02": ("t02_edgeon", ("a04_yes", "a05_no")),
    "t04": ("t04_spiral", ("a08_spiral", "a09_no_spiral")),
    "t06": ("t06_odd", ("a14_yes", "a15_no")),
    "t08": ("t08_odd_feature", ("a19_ring", "a20_lens_or_arc", "a21_disturbed",
                                "a22_irregular", "a23_other", "a24_merger",
                                "a38_dust_lane")),
}

FRACTION_KINDS = ("debiased", "weighted_fraction", "fraction")
EXCLUDE_OPTIONS = ("edge_on", "odd", "star_or_artifact")
EXTRA_LABELS = ("merger", "irregular", "edge_on")

#: Default thresholds; see :func:`gz2_selection_mask` for the source of each value.
DEFAULT_THRESHOLDS = {
    "clean": 0.8,
    "features_for_edge_on": 0.430,
    "not_edge_on_for_disk": 0.715,
    "odd_for_odd_feature": 0.420,
    "min_votes": 10,
    "edge_on": 0.5,
    "odd": 0.5,
    "star_or_artifact": 0.5,
    "spiral_arms": None,
}

_THRESHOLDS_DOC = """thresholds : dict, default=None
        Overrides for some of the cut values (the others keep their defaults,
        ``skgalvae.selection.DEFAULT_THRESHOLDS``). Keys, defaults and sources:

        - ``"clean"`` (0.8): fraction an answer needs for a *clean* sample, used for
          ``"elliptical"`` (smooth), ``"spiral"`` (features or disk). Willett et al.
          (2013), Sect. 4.1: "the debiased vote fraction itself must exceed a given
          threshold of 0.8 for all tasks" (the same 0.8 as GZ1, Lintott et al. 2011).
        - ``"features_for_edge_on"`` (0.430): minimum "features or disk" fraction for the
          edge-on question (T02) to count as well answered. Willett et al. (2013),
          Table 3, task 02, column N >= 20.
        - ``"not_edge_on_for_disk"`` (0.715): minimum "not edge-on" fraction for the
          spiral-arms question (T04). Table 3, tasks 03-05, column N >= 20.
        - ``"odd_for_odd_feature"`` (0.420): minimum "odd: yes" fraction for the
          odd-feature question (T08). Table 3, task 08, column N >= 20.
        - ``"min_votes"`` (10): minimum number of votes on a follow-up question (T02,
          T04, T08: the sum of its ``*_count`` columns) for it to count as well
          answered. Willett et al. (2013), Sect. 4.1: 10 for Stripe 82, 20 for the main
          sample. Set it to 0 for catalogs without ``*_count`` columns (e.g. simulated
          vote fractions); any positive value needs those columns.
        - ``"edge_on"`` (0.5), ``"odd"`` (0.5), ``"star_or_artifact"`` (0.5): fraction of
          "yes" above which a galaxy counts as edge-on / odd / a star or artifact, i.e.
          when a majority of those who answered said so. These are skgalvae's choice,
          not the paper's: the paper's 0.8 defines clean *positive* samples, and
          removing contaminants calls for a lower bar (with 0.8, galaxies that 70% of
          the volunteers call odd would stay in the population).
        - ``"spiral_arms"`` (None): if a number, a ``"spiral"`` must also have a
          spiral-arms (T04) fraction at least this high, with T04 well answered
          (``"features_for_edge_on"``, ``"not_edge_on_for_disk"``, ``"min_votes"``);
          the paper's clean spiral-arms flag corresponds to 0.8. None: no arms needed
          (GZ1-like "disc" spirals)."""


def _column(task, answer, kind):
    prefix, _ = _TASKS[task]
    return f"{prefix}_{answer}_{kind}"


def _check_thresholds(thresholds):
    if thresholds is None:
        return dict(DEFAULT_THRESHOLDS)
    if not isinstance(thresholds, dict):
        msg = (
            f"thresholds must be a dict (or None), got {type(thresholds).__name__}; "
            f"valid keys: {sorted(DEFAULT_THRESHOLDS)}."
        )
        raise TypeError(msg)
    unknown = sorted(set(thresholds) - set(DEFAULT_THRESHOLDS))
    if unknown:
        msg = (
            f"Unknown threshold key(s) {unknown}; valid keys: "
            f"{sorted(DEFAULT_THRESHOLDS)}."
        )
        raise ValueError(msg)
    merged = {**DEFAULT_THRESHOLDS, **thresholds}
    for key, value in merged.items():
        if key == "spiral_arms" and value is None:
            continue
        if key == "min_votes":
            if not isinstance(value, Integral | Real) or value < 0:
                msg = f"thresholds['min_votes'] must be a number >= 0, got {value!r}."
                raise ValueError(msg)
            continue
        if not isinstance(value, Integral | Real) or not 0 <= value <= 1:
            msg = f"thresholds[{key!r}] must be a fraction in [0, 1], got {value!r}."
            raise ValueError(msg)
    return merged


def _check_names(values, allowed, name):
    if isinstance(values, str):
        values = (values,)
    values = tuple(values)
    bad = [v for v in values if v not in allowed]
    if bad:
        msg = f"{name} has unknown value(s) {bad}; allowed: {list(allowed)}."
        raise ValueError(msg)
    return values


#: Slack on the [0, 1] range of a vote fraction, for values rounded in a file.
_FRACTION_SLACK = 1e-6


def _numeric(catalog, column):
    """Column ``column`` as floats, or a ValueError naming the column, row and value."""
    values = catalog[column]
    parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any():
        row = np.flatnonzero(bad.to_numpy())[0]
        msg = (
            f"catalog column {column!r} holds {int(bad.sum())} value(s) that are not "
            f"numbers, e.g. {values.iloc[row]!r} in row {row} (index "
            f"{values.index[row]!r}). Replace them with NaN (a missing vote), e.g. "
            f"pd.to_numeric(catalog[{column!r}], errors='coerce')."
        )
        raise ValueError(msg)
    return parsed.to_numpy(dtype=float)


class _Votes:
    """Read the needed GZ2 columns once; check them all before computing anything.

    Every needed column must be numeric (NaN marks a missing vote), and every fraction
    column must lie in [0, 1]: a table in percent would otherwise keep the wrong galaxies.
    """

    def __init__(self, catalog, kind, th, needs):
        self.catalog = catalog
        self.kind = kind
        self.th = th
        fractions, counts = [], []
        for task, answers in needs["fractions"].items():
            fractions += [_column(task, a, kind) for a in answers]
        if th["min_votes"] > 0:
            for task in needs["counts"]:
                counts += [_column(task, a, "count") for a in _TASKS[task][1]]
        fractions = list(dict.fromkeys(fractions))
        self.columns = list(dict.fromkeys(fractions + counts))
        require_columns(catalog, self.columns, name="catalog")
        self.values = {column: _numeric(catalog, column) for column in self.columns}
        self._check_fractions(fractions)

    def _check_fractions(self, columns):
        outside = {}
        for column in columns:
            v = self.values[column]
            v = v[np.isfinite(v)]
            if v.size and (v.min() < -_FRACTION_SLACK or v.max() > 1 + _FRACTION_SLACK):
                outside[column] = (float(v.min()), float(v.max()))
        if outside:
            ranges = "; ".join(f"{c}: [{lo:g}, {hi:g}]" for c, (lo, hi) in outside.items())
            hint = (
                " They look like percentages: divide those columns by 100."
                if all(lo >= 0 and hi <= 100 for lo, hi in outside.values()) else ""
            )
            msg = (
                f"GZ2 vote fractions must lie in [0, 1], but {len(outside)} catalog "
                f"column(s) do not: {ranges}.{hint}"
            )
            raise ValueError(msg)

    def complete(self):
        """Rows with every needed vote column present (not NaN)."""
        keep = np.ones(len(self.catalog), dtype=bool)
        for column in self.columns:
            keep &= ~np.isnan(self.values[column])
        return keep

    def p(self, task, answer):
        return self.values[_column(task, answer, self.kind)]

    def well_answered_votes(self, task):
        if self.th["min_votes"] <= 0:
            return np.ones(len(self.catalog), dtype=bool)
        n = sum(self.values[_column(task, a, "count")] for a in _TASKS[task][1])
        return n >= self.th["min_votes"]


def _needs(exclude=(), labels=False, extra=(), spiral_arms=False):
    fractions, counts = {}, set()

    def add(task, *answers):
        fractions.setdefault(task, [])
        fractions[task] += [a for a in answers if a not in fractions[task]]

    if "edge_on" in exclude or "edge_on" in extra:
        add("t01", "a02_features_or_disk")
        add("t02", "a04_yes")
        counts.add("t02")
    if "odd" in exclude or {"merger", "irregular"} & set(extra):
        add("t06", "a14_yes")
    if "star_or_artifact" in exclude:
        add("t01", "a03_star_or_artifact")
    if labels:
        add("t01", "a01_smooth", "a02_features_or_disk")
    if {"merger", "irregular"} & set(extra):
        add("t08", "a22_irregular", "a24_merger", *_TASKS["t08"][1])
        counts.add("t08")
    if spiral_arms:
        add("t01", "a02_features_or_disk")
        add("t02", "a05_no")
        add("t04", "a08_spiral")
        counts.add("t04")
    return {"fractions": fractions, "counts": counts}


def _is_edge_on(v):
    th = v.th
    return (
        (v.p("t01", "a02_features_or_disk") >= th["features_for_edge_on"])
        & v.well_answered_votes("t02")
        & (v.p("t02", "a04_yes") >= th["edge_on"])
    )


def _is_odd(v):
    return v.p("t06", "a14_yes") >= v.th["odd"]


@validate_params(
    {
        "catalog": ["array-like"],
        "exclude": [StrOptions(set(EXCLUDE_OPTIONS)), list, tuple],
        "thresholds": [dict, None],
        "fraction_kind": [StrOptions(set(FRACTION_KINDS))],
    },
    prefer_skip_nested_validation=True,
)
def gz2_selection_mask(catalog, exclude=("edge_on", "odd"), thresholds=None,
                       fraction_kind="debiased"):
    """Boolean mask of the galaxies kept after removing edge-on, odd, ... galaxies.

    The population of the seed study: Galaxy Zoo 2 (GZ2) vote fractions remove edge-on
    discs and galaxies with "oddities" (mergers, overlaps, lenses, dust lanes, ...).
    A galaxy is removed when

    - ``"edge_on"``: its edge-on question (T02) is well answered (features-or-disk
      fraction >= ``thresholds["features_for_edge_on"]`` and at least
      ``thresholds["min_votes"]`` votes on T02) and its "edge-on: yes" fraction is
      >= ``thresholds["edge_on"]``;
    - ``"odd"``: its "anything odd: yes" fraction (T06, asked of every galaxy) is
      >= ``thresholds["odd"]``;
    - ``"star_or_artifact"``: its "star or artifact" fraction is
      >= ``thresholds["star_or_artifact"]``.

    Parameters
    ----------
    catalog : pandas.DataFrame or astropy.table.Table
        One row per galaxy with GZ2 columns named as the data release names them,
        e.g. ``t02_edgeon_a04_yes_debiased`` (and ``*_count`` columns unless
        ``thresholds["min_votes"]`` is 0).
    exclude : tuple of {{"edge_on", "odd", "star_or_artifact"}}, \
default=("edge_on", "odd")
        Which kinds of galaxy to remove.
    {thresholds}
    fraction_kind : {{"debiased", "weighted_fraction", "fraction"}}, default="debiased"
        Which GZ2 fraction columns to read: the debiased likelihoods (corrected for
        the redshift-dependent classification bias), the consistency-weighted vote
        fractions, or the raw vote fractions.

    Returns
    -------
    mask : ndarray of bool, shape (n_galaxies,)
        True for the galaxies kept, in catalog order. A galaxy with a missing (NaN)
        value in a needed column is not kept: its membership cannot be checked.

    Raises
    ------
    KeyError
        If the catalog lacks a needed column; the message lists the missing columns
        and the columns found.
    ValueError
        If a needed column holds a value that is not a number, or a fraction column
        holds values outside [0, 1] (e.g. percentages); the message names the columns
        and their range.

    See Also
    --------
    gz2_morphology : Spiral / elliptical / uncertain (/ merger, irregular, edge_on).
    GZ2Selector : The same selection as a fit-time sampler inside a pipeline.

    References
    ----------
    Willett, K. W. et al. (2013), "Galaxy Zoo 2: detailed morphological
    classifications for 304,122 galaxies from the Sloan Digital Sky Survey", MNRAS
    435, 2835 (Table 3 and Sect. 4.1).

    Examples
    --------
    >>> import pandas as pd
    >>> from skgalvae.selection import gz2_selection_mask
    >>> catalog = pd.DataFrame({{
    ...     "t01_smooth_or_features_a02_features_or_disk_fraction": [0.9, 0.9, 0.1],
    ...     "t02_edgeon_a04_yes_fraction": [0.9, 0.1, 0.0],
    ...     "t06_odd_a14_yes_fraction": [0.0, 0.1, 0.8],
    ... }})
    >>> gz2_selection_mask(catalog, fraction_kind="fraction",
    ...                    thresholds={{"min_votes": 0}})
    array([False,  True, False])
    """
    catalog = check_catalog(catalog)
    exclude = _check_names(exclude, EXCLUDE_OPTIONS, "exclude")
    th = _check_thresholds(thresholds)
    votes = _Votes(catalog, fraction_kind, th, _needs(exclude=exclude))
    keep = votes.complete()
    if "edge_on" in exclude:
        keep &= ~_is_edge_on(votes)
    if "odd" in exclude:
        keep &= ~_is_odd(votes)
    if "star_or_artifact" in exclude:
        keep &= votes.p("t01", "a03_star_or_artifact") < th["star_or_artifact"]
    return keep


@validate_params(
    {
        "catalog": ["array-like"],
        "thresholds": [dict, None],
        "fraction_kind": [StrOptions(set(FRACTION_KINDS))],
        "extra_labels": [StrOptions(set(EXTRA_LABELS)), list, tuple],
    },
    prefer_skip_nested_validation=True,
)
def gz2_morphology(catalog, thresholds=None, fraction_kind="debiased",
                   extra_labels=EXTRA_LABELS):
    """Morphology label of each galaxy from its Galaxy Zoo 2 vote fractions.

    - ``"elliptical"``: smooth fraction >= ``thresholds["clean"]`` (0.8);
    - ``"spiral"``: features-or-disk fraction >= ``thresholds["clean"]`` (and, if
      ``thresholds["spiral_arms"]`` is set, a well-answered spiral-arms fraction at
      least that high);
    - ``"uncertain"``: neither (the seed's third class: galaxies that pass neither
      clean cut).

    With ``extra_labels`` (all three by default), these labels take precedence, in
    this order:

    - ``"merger"`` / ``"irregular"``: the galaxy is odd (T06 "yes" fraction >=
      ``thresholds["odd"]``), its odd-feature question (T08) is well answered ("odd"
      fraction >= ``thresholds["odd_for_odd_feature"]``, at least
      ``thresholds["min_votes"]`` votes), and "merger" (``a24``) / "irregular"
      (``a22``) is its most-voted odd feature. Galaxies whose odd feature is a ring,
      lens, dust lane, "disturbed" or "other" keep their T01 label.
    - ``"edge_on"``: edge-on by the rule of :func:`gz2_selection_mask`.

    Parameters
    ----------
    catalog : pandas.DataFrame or astropy.table.Table
        One row per galaxy with GZ2 columns named as in the data release.
    {thresholds}
    fraction_kind : {{"debiased", "weighted_fraction", "fraction"}}, default="debiased"
        Which GZ2 fraction columns to read.
    extra_labels : tuple of {{"merger", "irregular", "edge_on"}}, \
default=("merger", "irregular", "edge_on")
        Extra labels to assign; ``()`` gives only spiral / elliptical / uncertain.

    Returns
    -------
    labels : ndarray of str, shape (n_galaxies,)
        A galaxy with a missing (NaN) value in any column the labels need is
        ``"uncertain"`` (as :func:`gz2_selection_mask` does not keep it).

    Raises
    ------
    KeyError
        If the catalog lacks a needed column (the message lists what is missing and
        what was found).
    ValueError
        If a needed column holds a value that is not a number, or a fraction column
        holds values outside [0, 1] (e.g. percentages); the message names the columns.

    See Also
    --------
    gz2_selection_mask

    References
    ----------
    Willett, K. W. et al. (2013), MNRAS 435, 2835, Table 3 and Sect. 4.1.
    Lintott, C. et al. (2011), MNRAS 410, 166 (GZ1's clean 0.8 threshold).

    Examples
    --------
    >>> import pandas as pd
    >>> from skgalvae.selection import gz2_morphology
    >>> catalog = pd.DataFrame({{
    ...     "t01_smooth_or_features_a01_smooth_fraction": [0.9, 0.05, 0.5],
    ...     "t01_smooth_or_features_a02_features_or_disk_fraction": [0.05, 0.9, 0.5],
    ... }})
    >>> gz2_morphology(catalog, fraction_kind="fraction", extra_labels=())
    array(['elliptical', 'spiral', 'uncertain'], dtype=object)
    """
    catalog = check_catalog(catalog)
    extra = _check_names(extra_labels, EXTRA_LABELS, "extra_labels")
    th = _check_thresholds(thresholds)
    arms = th["spiral_arms"] is not None
    votes = _Votes(catalog, fraction_kind, th,
                   _needs(labels=True, extra=extra, spiral_arms=arms))
    labels = np.full(len(catalog), "uncertain", dtype=object)
    spiral = votes.p("t01", "a02_features_or_disk") >= th["clean"]
    if arms:
        spiral &= (
            (votes.p("t01", "a02_features_or_disk") >= th["features_for_edge_on"])
            & (votes.p("t02", "a05_no") >= th["not_edge_on_for_disk"])
            & votes.well_answered_votes("t04")
            & (votes.p("t04", "a08_spiral") >= th["spiral_arms"])
        )
    elliptical = votes.p("t01", "a01_smooth") >= th["clean"]
    labels[spiral] = "spiral"
    labels[elliptical & ~spiral] = "elliptical"
    if "edge_on" in extra:
        labels[_is_edge_on(votes)] = "edge_on"
    if {"merger", "irregular"} & set(extra):
        answers = _TASKS["t08"][1]
        odd_votes = np.column_stack([votes.p("t08", a) for a in answers])
        top = np.asarray(answers)[np.argmax(odd_votes, axis=1)]
        odd = (
            _is_odd(votes)
            & (votes.p("t06", "a14_yes") >= th["odd_for_odd_feature"])
            & votes.well_answered_votes("t08")
            & (odd_votes.max(axis=1) > 0)
        )
        if "merger" in extra:
            labels[odd & (top == "a24_merger")] = "merger"
        if "irregular" in extra:
            labels[odd & (top == "a22_irregular")] = "irregular"
    labels[~votes.complete()] = "uncertain"
    return labels


for _func in (gz2_selection_mask, gz2_morphology):
    if _func.__doc__:  # None under python -OO
        _func.__doc__ = _func.__doc__.format(thresholds=_THRESHOLDS_DOC)
del _func
