"""GZ2Selector: the GZ2 population cut as a fit-time sampler (imbalanced-learn style)."""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import StrOptions

from ._gz2 import (
    EXCLUDE_OPTIONS,
    FRACTION_KINDS,
    _check_names,
    _check_thresholds,
    gz2_morphology,
    gz2_selection_mask,
)


class GZ2Selector(BaseEstimator):
    """Drop edge-on / odd galaxies (and optionally keep some classes) at fit time.

    A sampler in imbalanced-learn's sense: it has :meth:`fit_resample`, which returns
    the kept rows of ``X`` *and* ``y`` together, and :class:`imblearn.pipeline.Pipeline`
    calls it only while fitting. At ``transform`` / ``predict`` / ``score_samples``
    time the pipeline skips the sampler, so every row passes through (that is what
    imbalanced-learn samplers do): a fitted pipeline still gives one output per input
    galaxy, edge-on and odd ones included. To *evaluate* on the clean population only,
    select the rows first (:func:`gz2_selection_mask`) -- the catalog-first way.

    Design: ``X`` carries the catalog. ``X`` is a :class:`pandas.DataFrame` with the
    GZ2 vote-fraction columns beside the columns the model needs (pixel columns, or a
    path column read by a loader), and a column-selecting step
    (:class:`~sklearn.compose.ColumnTransformer`) after the selector hands the model
    only its own columns. This was preferred to passing the catalog through metadata
    routing because (1) rows of ``X``, ``y`` and the votes are one object, so every
    splitter (``cross_validate``, ``GridSearchCV``, group-aware CV) slices them
    together and they cannot fall out of step; (2) routed metadata is not resampled
    by imbalanced-learn's pipeline, so a catalog routed to later steps would no longer
    match the selected rows; (3) it needs no global
    ``sklearn.set_config(enable_metadata_routing=True)``.

    Parameters
    ----------
    exclude : tuple of {"edge_on", "odd", "star_or_artifact"}, default=("edge_on", "odd")
        Galaxies to remove, with the rules of :func:`gz2_selection_mask`.
    keep_classes : tuple of str, default=None
        If given, also keep only galaxies whose :func:`gz2_morphology` label is one of
        these (e.g. ``("spiral", "elliptical")``).
    thresholds : dict, default=None
        Cut values overriding ``skgalvae.selection.DEFAULT_THRESHOLDS`` (documented in
        :func:`gz2_selection_mask`).
    fraction_kind : {"debiased", "weighted_fraction", "fraction"}, default="debiased"
        Which GZ2 fraction columns to read.

    Attributes
    ----------
    sample_indices_ : ndarray of int
        Positions (0-based) of the rows kept by the last :meth:`fit_resample`.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    See Also
    --------
    gz2_selection_mask, gz2_morphology

    Notes
    -----
    ``y`` is never realigned silently: a pandas ``y`` must have the same index as
    ``X`` (else ``ValueError``), an array ``y`` the same length; both are sliced by
    the same positions as ``X``. The output ``X`` keeps its original index.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skgalvae.selection import GZ2Selector
    >>> X = pd.DataFrame({
    ...     "pix0": [0.1, 0.2, 0.3, 0.4],
    ...     "t01_smooth_or_features_a02_features_or_disk_fraction": [0.9, 0.9, 0.1, 0.2],
    ...     "t02_edgeon_a04_yes_fraction": [0.9, 0.0, 0.0, 0.0],
    ...     "t06_odd_a14_yes_fraction": [0.0, 0.0, 0.9, 0.0],
    ... })
    >>> y = np.array([10, 20, 30, 40])
    >>> selector = GZ2Selector(fraction_kind="fraction", thresholds={"min_votes": 0})
    >>> X_kept, y_kept = selector.fit_resample(X, y)
    >>> y_kept
    array([20, 40])
    >>> selector.sample_indices_
    array([1, 3])
    """

    _parameter_constraints: dict = {
        "exclude": ["array-like", StrOptions(set(EXCLUDE_OPTIONS))],
        "keep_classes": ["array-like", None],
        "thresholds": [dict, None],
        "fraction_kind": [StrOptions(set(FRACTION_KINDS))],
    }

    def __init__(self, *, exclude=("edge_on", "odd"), keep_classes=None,
                 thresholds=None, fraction_kind="debiased"):
        self.exclude = exclude
        self.keep_classes = keep_classes
        self.thresholds = thresholds
        self.fraction_kind = fraction_kind

    def _mask(self, X):
        self._validate_params()
        if not hasattr(X, "columns"):
            msg = (
                f"GZ2Selector needs X as a pandas DataFrame (or astropy Table) carrying "
                f"the GZ2 vote-fraction columns, got {type(X).__name__}. Put the "
                f"catalog columns beside the image / path columns and select the model's "
                f"columns with a ColumnTransformer after this step."
            )
            raise TypeError(msg)
        if not isinstance(X, pd.DataFrame):
            X = X.to_pandas()
        _check_names(self.exclude, EXCLUDE_OPTIONS, "exclude")
        _check_thresholds(self.thresholds)
        mask = gz2_selection_mask(X, exclude=self.exclude, thresholds=self.thresholds,
                                  fraction_kind=self.fraction_kind)
        if self.keep_classes is not None:
            labels = gz2_morphology(X, thresholds=self.thresholds,
                                    fraction_kind=self.fraction_kind)
            mask &= np.isin(labels, np.asarray(self.keep_classes, dtype=object))
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return X, mask

    def fit(self, X, y=None):
        """Check the parameters and the columns of ``X``; compute the selection.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_samples, n_columns)
            Must carry the GZ2 columns the selection needs.
        y : array-like of shape (n_samples,), default=None
            Ignored.

        Returns
        -------
        self : object
        """
        self.fit_resample(X, y)
        return self

    def fit_resample(self, X, y=None):
        """Return the kept rows of ``X`` and ``y``.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_samples, n_columns)
            Must carry the GZ2 columns the selection needs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Target, sliced with ``X``. A pandas ``y`` must share ``X``'s index.

        Returns
        -------
        X_resampled : pandas.DataFrame of shape (n_kept, n_columns)
            The kept rows, original index kept.
        y_resampled : same type as ``y``, or None
        """
        X, mask = self._mask(X)
        if y is not None:
            n_y = len(y)
            if n_y != len(X):
                msg = (
                    f"y has {n_y} rows but X has {len(X)}: they must describe the same "
                    f"galaxies in the same order."
                )
                raise ValueError(msg)
            if isinstance(y, pd.Series | pd.DataFrame) and not y.index.equals(X.index):
                msg = (
                    "y's index differs from X's index: GZ2Selector will not realign "
                    "them. Reset both indexes or reorder y to match X "
                    "(y = y.loc[X.index])."
                )
                raise ValueError(msg)
        self.sample_indices_ = np.flatnonzero(mask)
        X_out = X.iloc[self.sample_indices_]
        y_out = None if y is None else _safe_indexing(y, self.sample_indices_)
        return X_out, y_out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.target_tags.required = False
        tags.requires_fit = False
        return tags
