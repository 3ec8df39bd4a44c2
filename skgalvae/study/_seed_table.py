"""The seed study's published numbers, and this run's beside them.

The seed (Loh, Takeuchi, Cooray & Iwasaki; Nagoya University B4 presentation) trained a
two-latent VAE on 12,539 GZ2-selected SDSS i-band galaxies and showed, in its appendix
"Correlations Tables", the Pearson r of its two features with the galaxies' properties
and Galaxy Zoo 2 answers and the class means of its features. They are copied here
exactly (:data:`SEED_CORRELATIONS`, :data:`SEED_CLASS_MEANS`).

Latent signs and order are arbitrary (a model with every latent negated, or two latents
swapped, is the same model), so the comparison is sign-free: for each property, the
largest ``|r|`` over the seed's two features against the largest ``|r|`` over each
model's latents; for the class means, ``|mean(spiral) - mean(elliptical)|`` on the latent
that separates them most.
"""

import numpy as np
import pandas as pd

#: The seed's Pearson r of (Feat. 1, Feat. 2) with each property and GZ2 answer, and the
#: columns of this study's catalogs that hold the same quantity (first found is used).
#: ``(seed label, (feat1, feat2), candidate columns)``.
SEED_CORRELATIONS = (
    ("Petrosian R50 (arcsec)", (0.717488, -0.033900),
     ("petro_r50", "petroR50_r", "PETRO_R50")),
    ("Vel. dispersion (SSP, km/s)", (-0.051947, -0.465508),
     ("velocity_dispersion", "V_DISP")),
    ("Vel. dispersion (exp SFH, km/s)", (-0.058639, -0.472199),
     ("velocity_dispersion", "V_DISP")),
    ("Age (SSP, Myr)", (0.034974, -0.417873), ("age",)),
    ("Age (exp SFH, Myr)", (-0.049727, 0.466863), ("age",)),
    ("Metallicity (SSP)", (0.019536, -0.455701), ("metallicity",)),
    ("Metallicity (exp SFH)", (0.057441, -0.445452), ("metallicity",)),
    ("log sSFR (LOGSSFR)", (0.110948, 0.334421), ("log_ssfr",)),
    ("log SFR (LOGSFRSED)", (-0.058900, 0.045080), ("LOGSFRSED",)),
    ("log M* (LOGMSTAR)", (-0.069458, -0.008703),
     ("log_stellar_mass", "LOGMSTAR", "LOG_MASS")),
    ("GZ2: has smooth profile", (-0.123796, 0.563262), ("Has smooth profile",)),
    ("GZ2: has features or disk", (0.126552, -0.561337), ("Has features or disk",)),
    ("GZ2: has spiral arms", (-0.022620, -0.425911), ("Has spiral arms",)),
    ("GZ2: has obvious bulge", (0.292862, 0.088417), ("Has obvious bulge",)),
    ("GZ2: is completely round", (0.172631, 0.014948), ("Is completely round",)),
)
#: The seed's class means of (Feat. 1, Feat. 2), same appendix.
SEED_CLASS_MEANS = {
    "spiral": (0.018326, -0.390460),
    "elliptical": (0.282897, -0.045579),
    "uncertain": (-0.249939, 0.376698),
}
#: Where the numbers come from, as the report cites them.
SEED_SOURCE = ("the seed presentation's appendix 'Correlations Tables' (a 2-latent VAE, "
               "12,539 GZ2-selected SDSS i-band galaxies)")


def _feat(values):
    k = int(np.argmax(np.abs(values)))
    return abs(values[k]), f"Feat. {k + 1}"


def _abs_interval(r, low, high):
    """The interval of ``|r|`` from that of ``r``."""
    if np.isnan(low) or np.isnan(high):
        return np.nan, np.nan
    if low <= 0 <= high:
        return 0.0, max(abs(low), abs(high))
    return min(abs(low), abs(high)), max(abs(low), abs(high))


def best_abs_correlation(corr, row):
    """``(|r|, low, high, latent position)`` of the latent with the largest ``|r|``.

    ``corr`` is a :func:`~skgalvae.analysis.latent_correlations` table; ``low, high``
    bound ``|r|`` (from the 95% interval of that latent's r). None when ``row`` is
    missing or all NaN.
    """
    if corr is None or row not in corr.index:
        return None
    r = corr["r"].loc[row].to_numpy(dtype=float)
    if np.all(np.isnan(r)):
        return None
    k = int(np.nanargmax(np.abs(r)))
    low = float(corr["ci_low"].loc[row].iloc[k]) if "ci_low" in corr else np.nan
    high = float(corr["ci_high"].loc[row].iloc[k]) if "ci_high" in corr else np.nan
    a, b = _abs_interval(float(r[k]), low, high)
    return abs(float(r[k])), a, b, k


def seed_correlation_rows(correlations):
    """The seed's correlations matched with this run's, one row per seed quantity.

    Parameters
    ----------
    correlations : dict
        ``{model name: latent_correlations table or None}`` (held-out galaxies).

    Returns
    -------
    list of dict
        ``label``, ``seed`` (largest seed |r|), ``seed_feature``, ``column`` (this run's
        column, or None when the catalog has none) and ``ours`` ``{model: (|r|, low,
        high, latent position) or None}``.

    Examples
    --------
    >>> rows = seed_correlation_rows({})
    >>> rows[0]["label"], round(rows[0]["seed"], 2), rows[0]["seed_feature"]
    ('Petrosian R50 (arcsec)', 0.72, 'Feat. 1')
    """
    available = set()
    for corr in correlations.values():
        if corr is not None:
            available |= set(corr.index)
    rows = []
    for label, values, candidates in SEED_CORRELATIONS:
        column = next((c for c in candidates if c in available), None)
        seed, feature = _feat(values)
        ours = {name: (best_abs_correlation(corr, column) if column else None)
                for name, corr in correlations.items()}
        rows.append({"label": label, "seed": seed, "seed_feature": feature,
                     "column": column, "ours": ours})
    return rows


def seed_class_means(classes):
    """The seed's class means beside each model's, on the latent that separates most.

    Parameters
    ----------
    classes : dict
        ``{model name: class_distributions summary or None}`` (rows: classes; columns
        (statistic, latent)).

    Returns
    -------
    pandas.DataFrame or None
        Rows: spiral, elliptical, uncertain and ``|spiral - elliptical|``; columns
        (source, latent): the seed's two features, then each model's latent with the
        largest ``|spiral - elliptical|``. None when no model has both classes.
    """
    rows = [*SEED_CLASS_MEANS, "|spiral - elliptical|"]
    data = {}
    for k in range(2):
        col = [SEED_CLASS_MEANS[c][k] for c in SEED_CLASS_MEANS]
        data[("seed", f"Feat. {k + 1}")] = [
            *col, abs(SEED_CLASS_MEANS["spiral"][k] - SEED_CLASS_MEANS["elliptical"][k])]
    found = False
    for name, summary in classes.items():
        if summary is None or not {"spiral", "elliptical"} <= set(summary.index):
            continue
        means = summary["mean"]
        gap = (means.loc["spiral"] - means.loc["elliptical"]).abs().to_numpy(dtype=float)
        if np.all(np.isnan(gap)):
            continue
        k = int(np.nanargmax(gap))
        col = [float(means[means.columns[k]].get(c, np.nan)) for c in SEED_CLASS_MEANS]
        data[(name, f"Feat. {k + 1}")] = [*col, float(gap[k])]
        found = True
    if not found:
        return None
    return pd.DataFrame(data, index=pd.Index(rows, name="class"))
