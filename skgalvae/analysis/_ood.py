"""Out-of-distribution scores from a model's per-galaxy log-likelihood."""

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import HasMethods, validate_params


@validate_params(
    {"model": [HasMethods(["score_samples"])], "X": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def ood_scores(model, X):
    """Anomaly score of each galaxy: ``-model.score_samples(X)``.

    ``score_samples`` is a per-galaxy log-likelihood or ELBO (higher = more typical
    of the training population), so its negative is higher for *more anomalous*
    galaxies.

    Parameters
    ----------
    model : fitted estimator with ``score_samples``
        E.g. a GalaxyVAE, EigengalaxyPCA, :class:`~sklearn.decomposition.PCA`, or a
        Pipeline ending in one.
    X : array-like of shape (n_galaxies, n_pixels)

    Returns
    -------
    scores : ndarray of shape (n_galaxies,)
        Higher = more anomalous.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from skgalvae.analysis import ood_scores
    >>> rng = np.random.default_rng(0)
    >>> pca = PCA(n_components=2).fit(rng.normal(size=(200, 5)))
    >>> scores = ood_scores(pca, np.r_[np.zeros((1, 5)), np.full((1, 5), 10.0)])
    >>> bool(scores[1] > scores[0])
    True
    """
    if not hasattr(model, "score_samples"):
        msg = (
            f"{type(model).__name__} has no score_samples method: OOD scores need a "
            f"per-galaxy log-likelihood (e.g. GalaxyVAE, EigengalaxyPCA, PCA)."
        )
        raise TypeError(msg)
    return -np.asarray(model.score_samples(X), dtype=float)


@validate_params(
    {
        "model": [HasMethods(["score_samples"])],
        "X_inliers": ["array-like"],
        "X_outliers": ["array-like"],
    },
    prefer_skip_nested_validation=True,
)
def ood_auroc(model, X_inliers, X_outliers):
    """AUROC of telling outliers from inliers by :func:`ood_scores`.

    Parameters
    ----------
    model : fitted estimator with ``score_samples``
    X_inliers : array-like of shape (n_in, n_pixels)
        Galaxies like the training population (held out from training).
    X_outliers : array-like of shape (n_out, n_pixels)
        Galaxies never trained on (e.g. mergers and irregulars).

    Returns
    -------
    auroc : float
        :func:`sklearn.metrics.roc_auc_score` with outliers as the positive class:
        1 = every outlier scores as more anomalous than every inlier, 0.5 = chance,
        below 0.5 = outliers look *more* typical than the inliers.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from skgalvae.analysis import ood_auroc
    >>> rng = np.random.default_rng(0)
    >>> pca = PCA(n_components=2).fit(rng.normal(size=(200, 5)))
    >>> ood_auroc(pca, rng.normal(size=(50, 5)), rng.normal(5, 1, size=(50, 5)))
    1.0
    """
    return _auroc(ood_scores(model, X_inliers), ood_scores(model, X_outliers))


def _auroc(s_in, s_out):
    """AUROC of anomaly scores, outliers the positive class."""
    y = np.r_[np.zeros(len(s_in)), np.ones(len(s_out))]
    return float(roc_auc_score(y, np.r_[s_in, s_out]))


@validate_params(
    {"models": [dict], "X_inliers": ["array-like"], "outliers": [dict]},
    prefer_skip_nested_validation=True,
)
def ood_auroc_table(models, X_inliers, outliers):
    """AUROC of every model against every outlier set, as a table.

    Parameters
    ----------
    models : dict of {name: fitted estimator with score_samples}
    X_inliers : array-like of shape (n_in, n_pixels)
    outliers : dict of {name: array-like of shape (n_out, n_pixels)}
        E.g. ``{"merger": X_mergers, "irregular": X_irregulars}``.

    Returns
    -------
    table : pandas.DataFrame
        Rows: outlier sets; columns: models; values: :func:`ood_auroc`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from skgalvae.analysis import ood_auroc_table
    >>> rng = np.random.default_rng(0)
    >>> pca = PCA(n_components=2).fit(rng.normal(size=(200, 5)))
    >>> table = ood_auroc_table({"pca": pca}, rng.normal(size=(50, 5)),
    ...                         {"far": rng.normal(5, 1, size=(50, 5))})
    >>> table.to_dict("index")
    {'far': {'pca': 1.0}}
    """
    columns = {}
    for name, model in models.items():
        s_in = ood_scores(model, X_inliers)  # once per model, not once per outlier set
        columns[name] = {kind: _auroc(s_in, ood_scores(model, X_out))
                         for kind, X_out in outliers.items()}
    table = pd.DataFrame(columns)
    table.index.name = "outliers"
    return table
