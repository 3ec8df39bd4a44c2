"""The report's summary: sentences generated from the numbers, each linked to its table.

Every sentence is computed from :class:`~._report_data.ReportData`; none is hand-written
about the results, so none can disagree with the tables it links to.
"""

import numpy as np

from ._diagnostics import ACTIVE_STD
from ._document import link
from ._seed_table import seed_correlation_rows

#: Two numbers closer than this are "level with" each other.
LEVEL = 0.01
#: The metric row of the comparison table for spiral/elliptical separation.
ACCURACY = "spiral/elliptical bal. acc."


def best_r2(scores):
    """Per property ``(R^2, fold std, regressor)`` of the better regressor.

    ``scores`` is a :func:`~skgalvae.analysis.property_scores` table (columns
    (statistic, regressor)). Returns ``{property: (r2, std, regressor)}``.
    """
    r2, std = scores["r2"], scores["r2_std"]
    out = {}
    for prop in r2.index:
        row = r2.loc[prop]
        if row.isna().all():
            continue
        regressor = row.astype(float).idxmax()
        out[prop] = (float(row[regressor]), float(std.loc[prop, regressor]), regressor)
    return out


def _others(values, skip):
    return ", ".join(f"{name} {v:.2f}" for name, v in values if name != skip)


def _ranking(values):
    """``values`` ``[(name, value)]`` sorted best first, NaN dropped."""
    values = [(n, float(v)) for n, v in values if not np.isnan(float(v))]
    return sorted(values, key=lambda nv: -nv[1])


def _compare(best, second):
    gap = best[1] - second[1]
    if gap < LEVEL:
        return f"level with {second[0]} ({second[1]:.2f})"
    return f"{gap:.2f} ahead of {second[0]} ({second[1]:.2f})"


def morphology_sentence(data):
    comp = data.comparison
    if comp is None or ACCURACY not in comp.index:
        return ("Morphology: not measured, there are no spiral and elliptical labels "
                f"(no Galaxy Zoo 2 votes) ({link('section', 'morphology')}).")
    ranked = _ranking(comp.loc[ACCURACY].items())
    if not ranked:
        return None
    best = ranked[0]
    text = (f"{best[0]} separates spirals from ellipticals best: balanced accuracy "
            f"{best[1]:.2f} on held-out galaxies")
    if len(ranked) > 1:
        text += f", {_compare(best, ranked[1])}"
        if len(ranked) > 2:
            text += f"; {_others(ranked[2:], None)}"
    return (text + f" (0.5 is chance; {link('table', 'tab-accuracy')}, "
            f"{link('figure', 'fig-latent-classes')}).")


def properties_sentence(data):
    if not data.scores:
        return ("Physical properties: none in this catalog, nothing to predict "
                f"({link('section', 'properties')}).")
    best = {}
    for name, scores in data.scores.items():
        for prop, (r2, std, _) in best_r2(scores).items():
            if prop not in best or r2 > best[prop][0]:
                best[prop] = (r2, std, name)
    if not best:
        return None
    yes = {p: v for p, v in best.items() if v[0] - v[1] > 0}
    no = {p: v for p, v in best.items() if p not in yes}

    def show(items):
        return ", ".join(f"{p} (R^2 {r2:.2f} ± {std:.2f}, {name})"
                         for p, (r2, std, name) in sorted(items.items(),
                                                          key=lambda kv: -kv[1][0]))

    parts = []
    if yes:
        parts.append(f"the latents predict {show(yes)}")
    if no:
        parts.append(f"they do not predict {show(no)} (R^2 minus its fold std at or "
                     "below 0)")
    text = "; ".join(parts)
    return (f"Held-out cross-validated R^2 (the best model for each property, ± the std "
            f"over folds): {text} ({link('table', 'tab-cv-r2')}).")


def pair_columns(bands):
    """Column heads of the bands comparison: ``{"bands": "gri", "i": "i", "difference":
    "gri - i"}``."""
    return {"bands": bands, "i": "i", "difference": f"{bands} - i"}


def signed(value):
    """A difference with its sign and 2 decimals; ``+0.00`` rather than ``-0.00``.

    >>> signed(0.157), signed(-0.0048), signed(float("nan"))
    ('+0.16', '+0.00', 'n/a')
    """
    if np.isnan(value):
        return "n/a"
    text = f"{value:+.2f}"
    return "+0.00" if text == "-0.00" else text


def bands_sentences(data):
    """Each model on the study's bands against itself on the i band alone."""
    table = data.bands
    if table is None:
        return []
    bands = data.study_bands
    r2_rows = [i for i in table.index if str(i).startswith("R2 ")]
    lines = []
    for pair in dict.fromkeys(c[0] for c in table.columns):
        a, b, d = (table[(pair, part)] for part in ("bands", "i", "difference"))
        parts = []
        r2 = [r for r in r2_rows if not np.isnan(d[r])]
        if r2:
            parts.append(f"mean CV R^2 over {len(r2)} properties {a[r2].mean():.2f} against "
                         f"{b[r2].mean():.2f} ({signed(d[r2].mean())})")
            gains = sorted(r2, key=lambda r: -d[r])

            def show(rows, a=a, b=b, d=d):
                return ", ".join(f"{r.removeprefix('R2 ')} {a[r]:.2f} against {b[r]:.2f} "
                                 f"({signed(d[r])})" for r in rows)

            gained = [r for r in gains[:2] if d[r] >= LEVEL]
            if gained:
                parts.append(f"most gained: {show(gained)}")
            lost = [r for r in gains[-1:] if d[r] <= -LEVEL]
            if lost:
                parts.append(f"most lost: {show(lost)}")
        if ACCURACY in table.index and not np.isnan(d[ACCURACY]):
            parts.append(f"spiral/elliptical {a[ACCURACY]:.2f} against {b[ACCURACY]:.2f} "
                         f"({signed(d[ACCURACY])})")
        if parts:
            lines.append(f"Colour: {pair} on {bands} against {pair} on the i band alone, "
                         "the same held-out galaxies: " + "; ".join(parts)
                         + f" ({link('table', 'tab-bands')}).")
    return lines


def collapse_sentence(data):
    parts, collapsed = [], False
    for name, diag in data.diagnostics.items():
        active = int(diag["active"].sum())
        detail = f"smallest std {diag['posterior_mean_std'].min():.2f}"
        if diag["kl_nats"].notna().any():
            detail += f", smallest KL {diag['kl_nats'].min():.2f} nats"
        parts.append(f"{name}: {active} of {len(diag)} latents active ({detail})")
        collapsed |= active < len(diag)
    if not parts:
        return None
    verdict = ("Some latents collapsed" if collapsed else "No latent collapsed")
    return (f"{verdict} (active: posterior-mean std > {ACTIVE_STD:g} on held-out "
            f"galaxies): " + "; ".join(parts)
            + f" ({link('table', 'tab-latent-activity')}).")


def outlier_sentences(data):
    if data.ood is None or data.ood.empty:
        return [("Outliers: no outlier set of at least 5 mergers or irregulars outside the "
                 f"training set ({link('section', 'outliers')}).")]
    lines = []
    for outlier in data.ood.index:
        ranked = _ranking(data.ood.loc[outlier].items())
        if not ranked:
            continue
        best = ranked[0]
        text = (f"{best[0]} tells {outlier} galaxies from held-out clean ones best: "
                f"AUROC {best[1]:.2f}")
        if len(ranked) > 1:
            text += f" ({_others(ranked[1:], None)}; 0.5 is chance)"
        lines.append(text + f" ({link('table', 'tab-ood')}, {link('figure', 'fig-outliers')}).")
    return lines


def seed_sentence(data):
    rows = [r for r in seed_correlation_rows(data.correlations)
            if r["column"] is not None and any(v is not None for v in r["ours"].values())]
    if not rows:
        return ("The seed: none of its properties or GZ2 answers is in this catalog, "
                f"nothing to compare ({link('section', 'seed')}).")
    top = max(rows, key=lambda r: r["seed"])
    ours = ", ".join(f"{name} {v[0]:.2f}" for name, v in top["ours"].items() if v is not None)
    return (f"The seed's strongest correlation among those this catalog has, "
            f"{top['label']} (|r| {top['seed']:.2f}, {top['seed_feature']}), is here: "
            f"{ours} (largest |r| over each model's latents; "
            f"{link('table', 'tab-seed-correlations')}).")


def _verdict(a, b, higher_is_better=True):
    if higher_is_better:
        if abs(a - b) < LEVEL:
            return "level with"
        return "ahead of" if a > b else "behind"
    if abs(a - b) < LEVEL * abs(b):
        return "level with"
    return "ahead of" if a < b else "behind"


def against_pca_sentences(data):
    """Each decoding model against PCA with as many components on the same bands."""
    comp = data.comparison
    pcas = [m for m in data.models if "pca" in (m.key, m.pair)]
    if comp is None or not pcas:
        return []
    r2_rows = [i for i in comp.index if str(i).startswith("R2 ")]
    lines = []
    for model in data.models:
        name = model.name
        base = next((m.name for m in pcas if m.bands == model.bands), None)
        if (not model.decodes or name not in comp.columns or base is None
                or base not in comp.columns):
            continue
        parts = []
        if r2_rows:
            a, b = comp.loc[r2_rows, name].mean(), comp.loc[r2_rows, base].mean()
            parts.append(f"mean CV R^2 over {len(r2_rows)} properties {a:.2f} against "
                         f"{b:.2f} ({_verdict(a, b)} {base})")
        for key, label, higher in ((ACCURACY, "spiral/elliptical", True),
                                   ("reconstruction MSE", "reconstruction MSE", False)):
            if key in comp.index and comp.loc[key].notna()[[name, base]].all():
                a, b = comp.loc[key, name], comp.loc[key, base]
                fmt = ".2f" if higher else ".3g"
                parts.append(f"{label} {a:{fmt}} against {b:{fmt}} "
                             f"({_verdict(a, b, higher)} {base})")
        for key in (i for i in comp.index if str(i).startswith("OOD AUROC ")):
            a, b = comp.loc[key, name], comp.loc[key, base]
            parts.append(f"{key[4:]} {a:.2f} against {b:.2f} ({_verdict(a, b)} {base})")
        if parts:
            lines.append(f"{name} against {base}: " + "; ".join(parts)
                         + f" ({link('table', 'tab-comparison')}).")
    if lines:
        lines.append(f"'Level with' means within {LEVEL} (within 1% for the reconstruction "
                     "MSE); the seed-to-seed spread of these numbers is about 0.02 (user "
                     "guide, 'The default study, three seeds'; "
                     f"{link('table', 'tab-comparison')}).")
    return lines


def realism_sentence(data):
    table = data.realism
    if table is None or "meets_goal" not in table.columns:
        return None
    goals = table["meets_goal"].dropna()
    if goals.empty:
        return None
    met = goals.astype(str).str.lower().isin(["true", "1", "1.0"])
    missed = ", ".join(map(str, goals.index[~met])) or "none"
    return (f"Realism of the simulator: {int(met.sum())} of {len(goals)} statistics with a "
            f"goal meet it against the bundled real SDSS sample (missed: {missed}; "
            f"{link('table', 'tab-realism')}).")


def findings(data):
    """The summary's sentences, in the order of the report's sections."""
    lines = [morphology_sentence(data), properties_sentence(data), *bands_sentences(data),
             seed_sentence(data),
             collapse_sentence(data), *outlier_sentences(data),
             *against_pca_sentences(data), realism_sentence(data)]
    return [line for line in lines if line]
