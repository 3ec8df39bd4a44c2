"""The ``score`` every latent model shares: the mean of its ``score_samples``."""

import numpy as np


class MeanLikelihoodScoreMixin:
    """``score(X)`` = mean per-galaxy ``score_samples(X)`` (higher is better).

    Makes the unsupervised models selectable by :class:`~sklearn.model_selection.GridSearchCV`
    without labels.
    """

    def score(self, X, y=None):
        """Mean :meth:`score_samples` (higher is better), for model selection.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))
