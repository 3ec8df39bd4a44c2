"""Galaxy Zoo 2 style vote fractions drawn from a simulated galaxy's ground truth.

The decision tree and the column names are those of Galaxy Zoo 2 (Willett et al. 2013,
MNRAS 435, 2835, Fig. 1 and Table 2). Each simulated volunteer walks the tree: the number
of volunteers who reach a question is the number who gave the answer leading to it, and
their answers are a multinomial draw from answer probabilities that depend on the truth
(bulge fraction, inclination, arms, bar, class, companions) plus a per-galaxy "confusion"
term. Hence, for every galaxy, the fractions of a question that was reached sum to 1 and
those of a question nobody reached are all 0 (as in the GZ2 tables).

Columns, for each of the 37 answers ``<task>_<answer>``: ``_count``, ``_fraction``
(count / votes for the question), ``_weighted_fraction`` and ``_debiased`` (both equal
to ``_fraction``: simulated volunteers are all equally reliable and the simulation has
no redshift-dependent classification bias to correct). Plus ``total_classifications``
and ``total_votes``.
"""

import numpy as np
import pandas as pd

#: (task, answers) of the GZ2 tree, in the order of the GZ2 tables.
GZ2_TASKS = (
    ("t01_smooth_or_features", ("a01_smooth", "a02_features_or_disk",
                                "a03_star_or_artifact")),
    ("t02_edgeon", ("a04_yes", "a05_no")),
    ("t03_bar", ("a06_bar", "a07_no_bar")),
    ("t04_spiral", ("a08_spiral", "a09_no_spiral")),
    ("t05_bulge_prominence", ("a10_no_bulge", "a11_just_noticeable", "a12_obvious",
                              "a13_dominant")),
    ("t06_odd", ("a14_yes", "a15_no")),
    ("t07_rounded", ("a16_completely_round", "a17_in_between", "a18_cigar_shaped")),
    ("t08_odd_feature", ("a19_ring", "a20_lens_or_arc", "a21_disturbed",
                         "a22_irregular", "a23_other", "a24_merger", "a38_dust_lane")),
    ("t09_bulge_shape", ("a25_rounded", "a26_boxy", "a27_no_bulge")),
    ("t10_arms_winding", ("a28_tight", "a29_medium", "a30_loose")),
    ("t11_arms_number", ("a31_1", "a32_2", "a33_3", "a34_4", "a36_more_than_4",
                         "a37_cant_tell")),
)

VOTE_SUFFIXES = ("count", "fraction", "weighted_fraction", "debiased")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _soft_bins(value, centres, width):
    value = np.asarray(value, dtype=float)[:, None]
    w = np.exp(-0.5 * ((value - np.asarray(centres)[None, :]) / width) ** 2) + 1e-3
    return w / w.sum(axis=1, keepdims=True)


def _normalise(p):
    p = np.clip(p, 1e-6, None)
    return p / p.sum(axis=1, keepdims=True)


def answer_probabilities(truth, rng):
    """Probabilities of each answer of each task, shape (n, n_answers) per task."""
    n = len(truth)
    klass = truth["class"].to_numpy()
    bt = truth["bulge_fraction"].to_numpy(dtype=float)
    incl = np.nan_to_num(truth["inclination"].to_numpy(dtype=float), nan=30.0)
    q = truth["axis_ratio"].to_numpy(dtype=float)
    arms = truth["arm_strength"].to_numpy(dtype=float)
    bar = truth["has_bar"].to_numpy(dtype=bool)
    pitch = np.nan_to_num(truth["pitch_angle"].to_numpy(dtype=float), nan=20.0)
    n_arms = truth["n_arms"].to_numpy(dtype=float)
    r50 = np.nan_to_num(truth["petro_r50"].to_numpy(dtype=float), nan=2.5)
    companion = truth["has_companion"].to_numpy(dtype=bool)
    star = truth["has_star"].to_numpy(dtype=bool)
    dust = truth["has_dust_lane"].to_numpy(dtype=bool)
    confusion = rng.normal(0.0, 0.6, n)
    elliptical = klass == "elliptical"
    merger = klass == "merger"
    irregular = klass == "irregular"
    edge_on = klass == "edge_on"

    # T01: features become visible with a disc, arms and resolution (small galaxies
    # look smooth: the redshift bias of GZ2, Willett et al. 2013 sec. 3.2).
    logit = (
        3.5 * (0.5 - bt) + 3.0 * arms + 1.0 * np.log(np.clip(r50, 0.5, None) / 2.5)
        + confusion
    )
    logit = np.where(elliptical, -3.0 + 0.5 * confusion, logit)
    logit = np.where(irregular | edge_on, 2.0 + 0.5 * confusion, logit)
    logit = np.where(merger, 0.5 + confusion, logit)
    p_feat = _sigmoid(logit)
    p_art = np.where(star, 0.04, 0.01)
    t01 = np.stack([(1 - p_art) * (1 - p_feat), (1 - p_art) * p_feat, p_art], axis=1)
    # T02 edge-on from the inclination.
    p_edge = _sigmoid((incl - 76.0) / 3.0)
    p_edge = np.where(elliptical | irregular, 0.05, p_edge)
    t02 = np.stack([p_edge, 1 - p_edge], axis=1)
    p_bar = np.where(bar, 0.75, 0.08)
    t03 = np.stack([p_bar, 1 - p_bar], axis=1)
    p_spiral = np.clip(0.1 + 0.9 * arms / 0.3, 0.05, 0.95)
    p_spiral = np.where(irregular, 0.25, p_spiral)
    t04 = np.stack([p_spiral, 1 - p_spiral], axis=1)
    t05 = _soft_bins(bt, [0.0, 0.12, 0.35, 0.65], 0.1)
    p_odd = np.full(n, 0.06) + 0.3 * companion + 0.15 * star + 0.4 * dust
    p_odd = np.where(merger, 0.92, p_odd)
    p_odd = np.where(irregular, 0.85, p_odd)
    p_odd = np.clip(p_odd, 0.0, 0.97)
    t06 = np.stack([p_odd, 1 - p_odd], axis=1)
    t07 = _soft_bins(q, [0.95, 0.65, 0.3], 0.12)
    # T08: ring, lens/arc, disturbed, irregular, other, merger, dust lane
    t08 = np.tile([0.15, 0.08, 0.2, 0.1, 0.4, 0.05, 0.02], (n, 1))
    t08[companion] = [0.05, 0.03, 0.2, 0.05, 0.3, 0.35, 0.02]
    t08[dust] = [0.03, 0.02, 0.05, 0.03, 0.1, 0.02, 0.75]
    t08[irregular] = [0.03, 0.02, 0.25, 0.55, 0.1, 0.05, 0.0]
    t08[merger] = [0.02, 0.02, 0.25, 0.05, 0.06, 0.6, 0.0]
    t09 = np.where(bt[:, None] < 0.08, [[0.15, 0.1, 0.75]], [[0.75, 0.15, 0.1]])
    t10 = _soft_bins(pitch, [10.0, 20.0, 30.0], 5.0)
    arms_n = np.clip(n_arms, 1, 5)
    t11 = np.concatenate(
        [0.85 * _soft_bins(arms_n, [1, 2, 3, 4, 5], 0.5), np.full((n, 1), 0.15)], axis=1
    )
    return {
        "t01_smooth_or_features": t01, "t02_edgeon": t02, "t03_bar": t03,
        "t04_spiral": t04, "t05_bulge_prominence": t05, "t06_odd": t06,
        "t07_rounded": t07, "t08_odd_feature": t08, "t09_bulge_shape": t09,
        "t10_arms_winding": t10, "t11_arms_number": t11,
    }


def simulate_votes(truth, rng, *, n_volunteers=44):
    """GZ2-style vote columns for the galaxies of ``truth`` (a simulated catalog).

    ``n_volunteers`` is the mean number of classifications per galaxy (44 for the GZ2
    main sample, Willett et al. 2013 sec. 2); each galaxy gets a Poisson-distributed
    number of at least 10. Returns a DataFrame with the columns described in the module
    docstring, one row per galaxy, in ``truth``'s order.
    """
    n = len(truth)
    p = {k: _normalise(v) for k, v in answer_probabilities(truth, rng).items()}
    total = np.maximum(rng.poisson(n_volunteers, n), 10)
    counts = {}

    def ask(task, n_reached):
        c = rng.multinomial(n_reached, p[task])
        counts[task] = c
        return c

    t01 = ask("t01_smooth_or_features", total)
    smooth, features = t01[:, 0], t01[:, 1]
    t07 = ask("t07_rounded", smooth)
    t02 = ask("t02_edgeon", features)
    t09 = ask("t09_bulge_shape", t02[:, 0])
    t03 = ask("t03_bar", t02[:, 1])
    t04 = ask("t04_spiral", t03.sum(axis=1))
    t10 = ask("t10_arms_winding", t04[:, 0])
    ask("t11_arms_number", t10.sum(axis=1))
    t05 = ask("t05_bulge_prominence", t02[:, 1])
    reach_odd = t07.sum(axis=1) + t09.sum(axis=1) + t05.sum(axis=1)
    t06 = ask("t06_odd", reach_odd)
    ask("t08_odd_feature", t06[:, 0])

    columns = {"total_classifications": total}
    total_votes = np.zeros(n, dtype=np.int64)
    for task, answers in GZ2_TASKS:
        c = counts[task]
        reached = c.sum(axis=1, keepdims=True)
        total_votes += reached[:, 0]
        frac = np.divide(c, reached, out=np.zeros(c.shape), where=reached > 0)
        for j, answer in enumerate(answers):
            name = f"{task}_{answer}"
            columns[f"{name}_count"] = c[:, j]
            columns[f"{name}_fraction"] = frac[:, j]
            columns[f"{name}_weighted_fraction"] = frac[:, j]
            columns[f"{name}_debiased"] = frac[:, j]
    columns["total_votes"] = total_votes
    return pd.DataFrame(columns, index=truth.index)
