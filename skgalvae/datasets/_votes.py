"""Galaxy Zoo 2 style vote fractions drawn from a simulated galaxy's ground truth.

The decision tree and the column names are those of Galaxy Zoo 2 (Willett et al. 2013,
MNRAS 435, 2835, Fig. 1 and Table 2). Each simulated volunteer walks the tree: the number
of volunteers who reach a question is the number who gave the answer leading to it, and
their answers are a multinomial draw from answer probabilities that depend on the truth
(bulge fraction, inclination, arms, bar, class, companions) plus a per-galaxy "confusion"
term. Hence, for every galaxy, the fractions of a question that was reached sum to 1 and
those of a question nobody reached are all 0 (as in the GZ2 tables).

Resolvability (the redshift bias of GZ2). Volunteers see features only when the galaxy
is resolved and bright enough: distant, small or low surface brightness discs get more
"smooth" votes (Bamford et al. 2009, MNRAS 393, 1324, Sect. 3; Willett et al. 2013,
Sect. 3: the raw "features or disk" fraction falls with redshift at fixed luminosity and
physical size). We model it as a penalty on the logit of the "features or disk"
probability (T01) and of the "spiral arms" probability (T04),

    P = A * softplus(ln(x0 / x); s) + B * softplus(mu50 - mu0; t),

where ``softplus(u; s) = s ln(1 + exp(u / s))``, ``x`` is the intrinsic half-light
radius in units of the PSF FWHM (``x0`` = RESOLVED_HLR_OVER_FWHM, A = SIZE_PENALTY per
e-fold, s = 0.3) and ``mu50 = m + 2.5 log10(2 pi r50^2)`` the mean i-band surface
brightness inside the half-light radius (mu0 = SB_LIMIT mag/arcsec^2, B =
SB_PENALTY per mag, t = 0.5). The numbers are our choices (not fitted to GZ2), set
so that the mean raw features fraction of simulated spirals falls by about 0.2 from
the nearest to the farthest third of the sample, a redshift trend of the kind GZ2's
debiasing corrects (Willett et al. 2013, Sect. 3).

Columns, for each of the 37 answers ``<task>_<answer>``: ``_count``, ``_fraction``
(count / votes for the question; carries the resolvability bias), ``_weighted_fraction``
(equal to ``_fraction``: simulated volunteers are all equally reliable) and
``_debiased``. Debiasing follows the idea of Willett et al. (2013, Sect. 3): a
galaxy's vote fractions are corrected to what they would be if the same galaxy (same
luminosity and physical size) were seen at a low reference redshift
(DEBIAS_REDSHIFT = 0.03, our choice). Here the correction is applied in logit space to T01
(features vs smooth; the star/artifact fraction kept) and T04, adding back
``P(observed) - P(at DEBIAS_REDSHIFT)`` (never negative), computed from observables
only (redshift, magnitude and size), not from the true class. Like the real correction
it is statistical: it restores the mean fraction of galaxies of that kind, so a galaxy
that is physically small or faint stays smooth-looking, and the vote noise of a
strongly corrected galaxy is amplified. Fractions of every other task are copied. Plus
``total_classifications`` and ``total_votes``.
"""

import numpy as np
import pandas as pd

from . import _relations as rel

#: Resolvability penalty of the vote model (see the module docstring): half-light
#: radius / PSF FWHM above which features are fully visible, logit penalty per e-fold
#: below it, surface brightness limit [i mag/arcsec^2] and penalty per magnitude.
RESOLVED_HLR_OVER_FWHM = 2.5
SIZE_PENALTY = 3.0
SB_LIMIT = 20.5
SB_PENALTY = 1.0
#: Intrinsic (perfectly resolved) logit of "features or disk": CLEAR_DISC_LOGIT for a
#: disc of B/T = DISC_BT with arms of 20% of the disc light, BT_SLOPE per unit B/T,
#: ARM_SLOPE per unit arm fraction; SMOOTH_LOGIT for a de Vaucouleurs spheroid; per-galaxy
#: confusion (logit scatter, standard deviation CONFUSION_SD). Our choices (not fitted
#: to GZ2), set so that, as in GZ2, many galaxies (here ~40% of the edge-on / odd
#: cleaned population) pass neither 0.8 cut: clean labels pick prototypical galaxies.
CLEAR_DISC_LOGIT = 1.5
DISC_BT = 0.3
BT_SLOPE = 4.0
ARM_SLOPE = 5.0
SMOOTH_LOGIT = -2.5
CONFUSION_SD = 0.8
#: Reference redshift of the simulated debiasing.
DEBIAS_REDSHIFT = 0.03

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


def _softplus(u, scale):
    return scale * np.logaddexp(0.0, np.asarray(u, dtype=float) / scale)


def resolvability_penalty(hlr_arcsec, magnitude, psf_fwhm):
    """Logit penalty of the visibility of features (see the module docstring) for a
    galaxy of intrinsic half-light radius ``hlr_arcsec`` and apparent ``magnitude``."""
    hlr = np.clip(np.asarray(hlr_arcsec, dtype=float), 1e-3, None)
    mu50 = np.asarray(magnitude, dtype=float) + 2.5 * np.log10(2 * np.pi * hlr**2)
    size = _softplus(np.log(RESOLVED_HLR_OVER_FWHM * psf_fwhm / hlr), 0.3)
    return SIZE_PENALTY * size + SB_PENALTY * _softplus(mu50 - SB_LIMIT, 0.5)


def debias_shift(truth, psf_fwhm, z_ref=DEBIAS_REDSHIFT):
    """Logit correction from the observed appearance to that at ``z_ref`` (>= 0)."""
    z = truth["redshift"].to_numpy(dtype=float)
    hlr = truth["half_light_radius_arcsec"].to_numpy(dtype=float)
    mag = truth["magnitude"].to_numpy(dtype=float)
    hlr_ref = rel.kpc_to_arcsec(truth["half_light_radius_kpc"].to_numpy(dtype=float),
                                np.full_like(z, z_ref))
    # surface brightness dimming (1 + z)^4 between z and z_ref (no k-correction)
    mag_ref = mag - 10 * np.log10((1 + z) / (1 + z_ref)) + 5 * np.log10(hlr / hlr_ref)
    shift = resolvability_penalty(hlr, mag, psf_fwhm) - resolvability_penalty(
        hlr_ref, mag_ref, psf_fwhm)
    return np.maximum(shift, 0.0)


def _normalise(p):
    p = np.clip(p, 1e-6, None)
    return p / p.sum(axis=1, keepdims=True)


def answer_probabilities(truth, rng, psf_fwhm=1.3):
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
    penalty = resolvability_penalty(truth["half_light_radius_arcsec"].to_numpy(float),
                                    truth["magnitude"].to_numpy(float), psf_fwhm)
    companion = truth["has_companion"].to_numpy(dtype=bool)
    star = truth["has_star"].to_numpy(dtype=bool)
    dust = truth["has_dust_lane"].to_numpy(dtype=bool)
    confusion = rng.normal(0.0, CONFUSION_SD, n)
    elliptical = klass == "elliptical"
    merger = klass == "merger"
    irregular = klass == "irregular"
    edge_on = klass == "edge_on"

    # T01: features become visible with a disc, arms and resolution (small galaxies
    # look smooth: the redshift bias of GZ2, Willett et al. 2013 sec. 3.2).
    logit = (CLEAR_DISC_LOGIT + BT_SLOPE * (DISC_BT - bt) + ARM_SLOPE * (arms - 0.2)
             + confusion)
    # spheroids: smooth, less so when flattened or of low Sersic index (disc-like
    # light profiles, which volunteers often read as lenticular / "features or disk")
    sersic_n = truth["sersic_n"].to_numpy(dtype=float)
    logit_ell = (SMOOTH_LOGIT + 0.5 * np.clip(4.0 - sersic_n, 0.0, None)
                 + 3.0 * np.clip(0.55 - q, 0.0, None) + 0.8 * confusion)
    logit = np.where(elliptical, logit_ell, logit)
    logit = np.where(irregular | edge_on, 2.0 + 0.5 * confusion, logit)
    logit = np.where(merger, 0.5 + confusion, logit)
    p_feat = _sigmoid(logit - penalty)
    p_art = np.where(star, 0.04, 0.01)
    t01 = np.stack([(1 - p_art) * (1 - p_feat), (1 - p_art) * p_feat, p_art], axis=1)
    # T02 edge-on from the inclination.
    p_edge = _sigmoid((incl - 76.0) / 3.0)
    p_edge = np.where(elliptical | irregular, 0.05, p_edge)
    t02 = np.stack([p_edge, 1 - p_edge], axis=1)
    p_bar = np.where(bar, 0.75, 0.08)
    t03 = np.stack([p_bar, 1 - p_bar], axis=1)
    p_spiral = np.clip(0.1 + 0.9 * arms / 0.3, 0.05, 0.95)
    p_spiral = _sigmoid(np.log(p_spiral / (1 - p_spiral)) - penalty)
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


def _debias_pair(frac, counts, i_yes, i_no, shift):
    """Debiased fractions of a task: the logit of yes / (yes + no) raised by ``shift``
    (counts smoothed by 0.5 so that unanimous votes stay finite, never below the raw
    share), their sum kept."""
    out = frac.copy()
    pair = frac[:, i_yes] + frac[:, i_no]
    n_pair = counts[:, i_yes] + counts[:, i_no]
    do = (shift > 0) & (n_pair > 0)
    share = (counts[:, i_yes] + 0.5) / (n_pair + 1.0)
    raw_share = np.divide(counts[:, i_yes], n_pair, out=np.zeros(len(shift)),
                          where=n_pair > 0)
    # the smoothing must not lower a unanimous "yes": the correction only adds
    share = np.maximum(_sigmoid(np.log(share / (1 - share)) + shift), raw_share)
    out[do, i_yes] = (pair * share)[do]
    out[do, i_no] = (pair * (1 - share))[do]
    return out


def simulate_votes(truth, rng, *, n_volunteers=44, psf_fwhm=1.3):
    """GZ2-style vote columns for the galaxies of ``truth`` (a simulated catalog).

    ``n_volunteers`` is the mean number of classifications per galaxy (44 for the GZ2
    main sample, Willett et al. 2013 sec. 2); each galaxy gets a Poisson-distributed
    number of at least 10. Returns a DataFrame with the columns described in the module
    docstring, one row per galaxy, in ``truth``'s order.
    """
    n = len(truth)
    p = {k: _normalise(v) for k, v in answer_probabilities(
        truth, rng, psf_fwhm=psf_fwhm).items()}
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

    shift = debias_shift(truth, psf_fwhm)
    columns = {"total_classifications": total}
    total_votes = np.zeros(n, dtype=np.int64)
    for task, answers in GZ2_TASKS:
        c = counts[task]
        reached = c.sum(axis=1, keepdims=True)
        total_votes += reached[:, 0]
        frac = np.divide(c, reached, out=np.zeros(c.shape), where=reached > 0)
        debiased = frac
        if task == "t01_smooth_or_features":
            debiased = _debias_pair(frac, c, 1, 0, shift)
        elif task == "t04_spiral":
            debiased = _debias_pair(frac, c, 0, 1, shift)
        for j, answer in enumerate(answers):
            name = f"{task}_{answer}"
            columns[f"{name}_count"] = c[:, j]
            columns[f"{name}_fraction"] = frac[:, j]
            columns[f"{name}_weighted_fraction"] = frac[:, j]
            columns[f"{name}_debiased"] = debiased[:, j]
    columns["total_votes"] = total_votes
    return pd.DataFrame(columns, index=truth.index)
