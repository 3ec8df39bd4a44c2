"""The study's galaxy sets: the clean population, its train/test split, the outliers.

The population is defined by what a survey has, the Galaxy Zoo 2 votes: a galaxy is
*clean* when :func:`~skgalvae.selection.gz2_selection_mask` keeps it and its GZ2
morphology is one of :data:`CLEAN_CLASSES`. Stage 1 writes ``clean`` and ``split``
(``"train"`` / ``"test"``) columns into ``data/catalog.csv``; the models train on the clean
training galaxies only and every number is computed on the clean held-out galaxies. The
simulator's truth columns (``class``, ``bulge_fraction``, ...) only score, never select.
"""

import numpy as np
from sklearn.utils import Bunch

#: GZ2 morphologies of the clean population.
CLEAN_CLASSES = ("spiral", "elliptical", "uncertain")
#: Populations scored as out-of-distribution (by the truth ``class`` when present).
OOD_CLASSES = ("merger", "irregular")
#: Fewest galaxies an outlier set needs to be scored.
MIN_OUTLIERS = 5


def split_galaxies(strata, *, test_size, random_state):
    """Assign each galaxy to ``"train"`` or ``"test"``, stratified by ``strata``.

    Within each stratum the galaxies are shuffled and ``round(n * test_size)`` of them
    go to the test set, so every stratum keeps its share in both sets (a stratum of one
    galaxy goes to the training set).

    Parameters
    ----------
    strata : array-like of shape (n_galaxies,)
        The stratum of each galaxy (e.g. its GZ2 morphology); one value: unstratified.
    test_size : float
        Share of each stratum in the test set, in (0, 1).
    random_state : int
        Seeds the shuffling: the same seed gives the same split.

    Returns
    -------
    split : ndarray of shape (n_galaxies,), dtype object
        ``"train"`` or ``"test"``.

    Examples
    --------
    >>> from skgalvae.study._split import split_galaxies
    >>> split = split_galaxies(["a"] * 8 + ["b"] * 4, test_size=0.25, random_state=0)
    >>> int((split[:8] == "test").sum()), int((split[8:] == "test").sum())
    (2, 1)
    """
    if not 0 < test_size < 1:
        msg = f"test_size must be in (0, 1); got {test_size}."
        raise ValueError(msg)
    strata = np.asarray(strata, dtype=object).astype(str)
    rng = np.random.default_rng(random_state)
    split = np.full(len(strata), "train", dtype=object)
    for value in sorted(set(strata)):
        rows = rng.permutation(np.flatnonzero(strata == value))
        n_test = int(np.floor(len(rows) * test_size + 0.5))
        split[rows[:n_test]] = "test"
    return split


def study_sets(catalog):
    """Boolean masks of the study's galaxy sets over the rows of ``catalog``.

    Parameters
    ----------
    catalog : pandas.DataFrame
        ``data/catalog.csv`` of a study: with the ``clean`` and ``split`` columns of stage
        1, ``morphology`` and, for simulated galaxies, the truth ``class``.

    Returns
    -------
    sets : :class:`~sklearn.utils.Bunch`
        ``train``: the clean training galaxies (the only ones any model sees);
        ``test``: the clean held-out galaxies (every table and figure);
        ``inliers``: the held-out clean galaxies that are not outliers by the truth
        class (the OOD inliers); ``outliers``: ``{class: mask}`` for each of
        :data:`OOD_CLASSES` with at least :data:`MIN_OUTLIERS` galaxies, by the truth
        ``class`` when present, else by GZ2 morphology, never a training galaxy.
    """
    missing = [c for c in ("clean", "split", "morphology") if c not in catalog.columns]
    if missing:
        msg = (
            f"the study's catalog has no {missing} column(s): it was written by an older "
            "version of skgalvae; rerun `skgalvae simulate` (or `skgalvae study --force`)."
        )
        raise ValueError(msg)
    clean = catalog["clean"].astype(bool).to_numpy()
    split = catalog["split"].to_numpy()
    train = clean & (split == "train")
    test = clean & (split == "test")
    truth = catalog["class"] if "class" in catalog.columns else catalog["morphology"]
    odd = truth.isin(OOD_CLASSES).to_numpy()
    outliers = {name: (truth == name).to_numpy() & ~train for name in OOD_CLASSES}
    outliers = {k: v for k, v in outliers.items() if v.sum() >= MIN_OUTLIERS}
    return Bunch(train=train, test=test, inliers=test & ~odd, outliers=outliers)
