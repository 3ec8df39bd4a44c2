"""Latent distributions per morphology class and how separable the classes are."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, Interval, validate_params

from ._latents import check_latents


@validate_params(
    {
        "Z": ["array-like"],
        "labels": ["array-like"],
        "classes": ["array-like", None],
        "classifier": [HasMethods(["fit", "predict"]), None],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "feature_names": ["array-like", None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def class_distributions(Z, labels, *, classes=None, classifier=None, cv=5,
                        feature_names=None, random_state=None):
    """Per-class mean / median / std of each latent, and the classes' separability.

    Separability is the cross-validated balanced accuracy of a logistic regression
    (on standardised latents, or ``classifier``) predicting the class from the
    latents: 1 / n_classes is chance, 1 is perfect separation.

    Parameters
    ----------
    Z : array-like of shape (n_galaxies, n_latents)
    labels : array-like of shape (n_galaxies,)
        Class of each galaxy (e.g. :func:`skgalvae.selection.gz2_morphology`).
        Missing labels (None / NaN) are dropped.
    classes : list, default=None
        Only these classes (e.g. ``["spiral", "elliptical"]``), in this order; None
        uses every class present, sorted.
    classifier : classifier, default=None
        None: ``make_pipeline(StandardScaler(), LogisticRegression())``, a linear
        boundary; pass e.g. ``HistGradientBoostingClassifier()`` for a non-linear one.
    cv : int, default=5
        Folds of the shuffled, stratified cross-validation.
    feature_names : list of str, default=None
        Names of the latents.
    random_state : int or None, default=None
        Seeds the fold shuffling.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``summary``: DataFrame, rows classes, columns a MultiIndex (statistic,
        feature) with ``"mean"``, ``"median"``, ``"std"``, ``"n"``; the seed's table
        of class means is ``summary["mean"]``. ``balanced_accuracy`` and
        ``balanced_accuracy_std``: mean and std over folds. ``chance``:
        1 / n_classes.

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.analysis import class_distributions
    >>> rng = np.random.default_rng(0)
    >>> Z = np.r_[rng.normal(0, 1, (100, 2)), rng.normal(4, 1, (100, 2))]
    >>> labels = ["elliptical"] * 100 + ["spiral"] * 100
    >>> result = class_distributions(Z, labels, random_state=0)
    >>> bool(result.balanced_accuracy > 0.95)
    True
    >>> list(result.summary.index)
    ['elliptical', 'spiral']
    """
    Z, names = check_latents(Z, feature_names)
    labels = pd.Series(np.asarray(labels, dtype=object))
    if len(labels) != Z.shape[0]:
        msg = f"labels has {len(labels)} values but Z has {Z.shape[0]} rows."
        raise ValueError(msg)
    ok = labels.notna().to_numpy()
    if classes is None:
        classes = sorted(labels[ok].unique(), key=str)
    else:
        classes = list(classes)
        absent = [c for c in classes if c not in set(labels[ok])]
        if absent:
            msg = f"classes {absent} do not occur in labels."
            raise ValueError(msg)
        ok = ok & labels.isin(classes).to_numpy()
    if len(classes) < 2:
        msg = f"class_distributions needs at least two classes, got {classes}."
        raise ValueError(msg)
    Zs, ys = Z[ok], labels[ok].to_numpy()
    frame = pd.DataFrame(Zs, columns=names)
    grouped = frame.groupby(ys)
    parts = {"mean": grouped.mean(), "median": grouped.median(),
             "std": grouped.std(), "n": grouped.count()}
    summary = pd.concat(parts, axis=1, names=["statistic", "feature"]).loc[classes]
    summary.index.name = "class"
    splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    model = classifier if classifier is not None else make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000))
    scores = cross_val_score(model, Zs, ys, cv=splitter, scoring="balanced_accuracy")
    return Bunch(summary=summary, balanced_accuracy=float(scores.mean()),
                 balanced_accuracy_std=float(scores.std()),
                 chance=1.0 / len(classes))
