"""Eigengalaxies: the linear baseline, built on scikit-learn's PCA."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..utils._images import validate_images
from ._score import MeanLikelihoodScoreMixin

_FLOAT_DTYPES = (np.float64, np.float32)
#: Headroom kept below a dtype's largest (and above its smallest normal) value for the
#: sums of squares that PCA computes (variances, SVD, scores).
_HEADROOM = 1e4
_F32_MAX = float(np.finfo(np.float32).max)
_FORWARDED = ("components_", "explained_variance_", "explained_variance_ratio_",
              "singular_values_", "mean_", "n_components_", "noise_variance_",
              "n_samples_seen_")


class EigengalaxyPCA(MeanLikelihoodScoreMixin, ClassNamePrefixFeaturesOutMixin,
                     TransformerMixin, BaseEstimator):
    """Principal components of galaxy images ("eigengalaxies", Uzeirbegovic et al. 2020).

    A thin layer over :class:`sklearn.decomposition.PCA` (or
    :class:`~sklearn.decomposition.IncrementalPCA` with ``incremental=True``, for data
    that does not fit in memory, e.g. a ``numpy.memmap``) with the interface of the
    latent models: images in, ``(n_samples, n_components)`` out, ``image_shape_``,
    the components as images, probabilistic-PCA scores and decoding, so that a
    Pipeline's ``"latent"`` step can be swapped between :class:`GalaxyVAE` and this.

    Parameters
    ----------
    n_components : int, float or None, default=0.96
        An int keeps that many components; a float in (0, 1) keeps the fewest components
        that explain that fraction of the variance (0.96: the paper's 12 components on
        CANDELS); None keeps ``min(n_samples, n_features)``. A float needs
        ``incremental=False``.
    incremental : bool, default=False
        Use :class:`~sklearn.decomposition.IncrementalPCA` (fitting by batches of
        ``batch_size`` rows, and :meth:`partial_fit`).
    batch_size : int or None, default=None
        Rows per batch with ``incremental=True`` (None: ``5 * n_features``).
    whiten : bool, default=False
        Scale the components to unit variance (see :class:`~sklearn.decomposition.PCA`).
    svd_solver : {"auto", "full", "covariance_eigh", "arpack", "randomized"}, \
default="auto"
        Solver of :class:`~sklearn.decomposition.PCA` (ignored when incremental).
    random_state : int, RandomState instance or None, default=None
        For the randomized and arpack solvers, and :meth:`sample`'s default.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` of flat one-band rows or ``(bands, height, width)`` of flat
        multi-band rows (band-major); inferred from 3-D input ``(n, h, w)`` (one band),
        4-D input ``(n, bands, h, w)`` or for square one-band images.

    Attributes
    ----------
    pca_ : PCA or IncrementalPCA
        The fitted scikit-learn estimator.
    components_ : ndarray of shape (n_components_, n_features)
    explained_variance_ : ndarray of shape (n_components_,)
    explained_variance_ratio_ : ndarray of shape (n_components_,)
    singular_values_ : ndarray of shape (n_components_,)
    mean_ : ndarray of shape (n_features,)
    mean_image_ : ndarray of shape (height, width) or (bands, height, width)
    n_components_ : int
    noise_variance_ : float
        Probabilistic PCA's isotropic noise variance.
    image_shape_ : tuple of int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string feature names.

    See Also
    --------
    GalaxyVAE : the non-linear latent model with the same interface.

    Notes
    -----
    Multi-band images (``image_shape_ = (bands, h, w)``) are flattened band by band
    into rows of ``bands * h * w`` pixels: each component spans all bands, so it
    carries colour gradients (a blue disc around a red bulge) as well as shape, and
    :meth:`components_as_images` returns ``(k, bands, h, w)``. The bands are not
    rescaled: scale them first (:class:`~skgalvae.preprocessing.LogScaler`) if one band
    should not dominate the variance.

    A variance threshold (float ``n_components``) makes :class:`~sklearn.decomposition.PCA`
    compute the full SVD, whose cost grows with the square of the number of images. For
    large sets, choose the number on a subsample and pass it as an int (the randomized
    solver is then many times faster). ``score_samples`` needs ``noise_variance_ > 0``
    (fewer components than ``min(n_samples, n_features)``) to stay in low-rank form.

    float32 images whose squares would leave float32's range (values beyond about 1e15,
    or below about 1e-15) are handled in float64, so the variances and scores stay
    finite; outputs are float32 again where the values fit. Images whose squares
    overflow even float64 (about 1e150) raise a ``ValueError``: divide them by a
    constant first.

    References
    ----------
    Uzeirbegovic, Geach & Kaviraj (2020), "Eigengalaxies: describing galaxy morphology
    using principal components in image space", MNRAS 498, 3880.

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.models import EigengalaxyPCA
    >>> X = np.random.default_rng(0).random((50, 8, 8))
    >>> pca = EigengalaxyPCA(n_components=5).fit(X)
    >>> pca.transform(X).shape, pca.components_as_images().shape
    ((50, 5), (5, 8, 8))
    >>> pca.get_feature_names_out()[:2]
    array(['eigengalaxypca0', 'eigengalaxypca1'], dtype=object)
    >>> int(EigengalaxyPCA(n_components=0.96).fit(X).n_components_)  # white noise: many
    35
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"),
                         Interval(Real, 0, 1, closed="neither"), None],
        "incremental": ["boolean"],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "whiten": ["boolean"],
        "svd_solver": [StrOptions({"auto", "full", "covariance_eigh", "arpack",
                                   "randomized"})],
        "random_state": ["random_state"],
        "image_shape": ["array-like", None],
    }

    def __init__(self, n_components=0.96, *, incremental=False, batch_size=None,
                 whiten=False, svd_solver="auto", random_state=None, image_shape=None):
        self.n_components = n_components
        self.incremental = incremental
        self.batch_size = batch_size
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.random_state = random_state
        self.image_shape = image_shape

    def _validate_X(self, X, *, reset):
        """Validated images in the dtype to compute in, and the dtype outputs keep."""
        X = validate_images(self, X, reset=reset, dtype=_FLOAT_DTYPES)
        return _in_range(X, "X"), X.dtype

    def _make_pca(self):
        if not self.incremental:
            return PCA(n_components=self.n_components, whiten=self.whiten,
                       svd_solver=self.svd_solver, random_state=self.random_state)
        if isinstance(self.n_components, Real) and not isinstance(
                self.n_components, Integral):
            msg = (
                f"n_components={self.n_components} (a variance fraction) needs "
                f"incremental=False: IncrementalPCA keeps a fixed number of components. "
                f"Pass an int, or fit PCA on a subsample to choose it."
            )
            raise ValueError(msg)
        return IncrementalPCA(n_components=self.n_components, whiten=self.whiten,
                              batch_size=self.batch_size)

    def _copy_fitted(self):
        for name in _FORWARDED:
            if hasattr(self.pca_, name):
                setattr(self, name, getattr(self.pca_, name))
        self.mean_image_ = self.mean_.reshape(self.image_shape_)

    def fit(self, X, y=None):
        """Fit the principal components of the images ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._validate_params()
        X, self._dtype = self._validate_X(X, reset=True)
        self.pca_ = self._make_pca().fit(X)
        self._copy_fitted()
        return self

    @available_if(lambda self: self.incremental)
    def partial_fit(self, X, y=None):
        """Update the components with one batch of images (``incremental=True``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "pca_")
        if first:
            self._validate_params()
        X, dtype = self._validate_X(X, reset=first)
        if first:
            self._dtype = dtype
            self.pca_ = self._make_pca()
        self.pca_.partial_fit(X)
        self._copy_fitted()
        return self

    def transform(self, X):
        """Project images onto the eigengalaxies.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components_)
        """
        check_is_fitted(self)
        X, dtype = self._validate_X(X, reset=False)
        return _as_dtype(self.pca_.transform(X), dtype)

    def encode(self, X):
        """Latent coordinates and a zero spread (PCA is deterministic).

        For interface parity with :meth:`GalaxyVAE.encode`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)

        Returns
        -------
        mean : ndarray of shape (n_samples, n_components_)
        std : ndarray of shape (n_samples, n_components_)
            Zeros.
        """
        Z = self.transform(X)
        return Z, np.zeros_like(Z)

    def inverse_transform(self, Z):
        """Images from component coordinates: ``mean_ + Z @ components_``.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_components_)

        Returns
        -------
        X : ndarray of shape (n_samples, n_pixels)
        """
        check_is_fitted(self)
        Z = np.asarray(Z)
        if Z.ndim != 2 or Z.shape[1] != self.n_components_:
            msg = (
                f"Latent vectors must have shape (n_samples, {self.n_components_}) "
                f"(n_components_={self.n_components_}); got shape {Z.shape}."
            )
            raise ValueError(msg)
        # the dtype sklearn gives for Z and the fitted data's dtype
        dtype = np.result_type(Z.dtype, np.float32, getattr(self, "_dtype", np.float32))
        if Z.dtype != np.float64 and (
                self.components_.dtype == np.float64
                or _max_abs(Z) * self.n_components_ > _F32_MAX / _HEADROOM):
            Z = Z.astype(np.float64)  # Z @ components_ would overflow float32
        return _as_dtype(self.pca_.inverse_transform(Z), dtype)

    def reconstruct(self, X):
        """Project onto the components and back: ``inverse_transform(transform(X))``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)

        Returns
        -------
        X_rec : ndarray of shape (n_samples, n_pixels)
        """
        return self.inverse_transform(self.transform(X))

    def components_as_images(self):
        """The eigengalaxies: ``components_`` reshaped to images.

        Returns
        -------
        images : ndarray of shape (k, h, w) or (k, bands, h, w)
            One image per component (``k = n_components_``); ``(k, bands, h, w)`` for
            multi-band images (``image_shape_ = (bands, h, w)``).

        Examples
        --------
        >>> import numpy as np
        >>> from skgalvae.models import EigengalaxyPCA
        >>> X = np.random.default_rng(0).random((20, 3, 8, 8))  # g, r, i
        >>> pca = EigengalaxyPCA(n_components=4).fit(X)
        >>> pca.components_as_images().shape, pca.inverse_transform(pca.transform(X)).shape
        ((4, 3, 8, 8), (20, 192))
        """
        check_is_fitted(self)
        return self.components_.reshape(-1, *self.image_shape_)

    def sample(self, n_samples=1, random_state=None):
        """Draw images from the Gaussian model, without the isotropic noise.

        ``x = mean_ + sum_k sqrt(explained_variance_k) * eps_k * component_k``.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        X : ndarray of shape (n_samples, n_pixels)
        """
        check_is_fitted(self)
        rng = check_random_state(random_state)
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
            msg = f"n_samples must be an integer >= 1, got {n_samples!r}."
            raise ValueError(msg)
        eps = rng.standard_normal((int(n_samples), self.n_components_))
        ev = np.asarray(self.explained_variance_, dtype=np.float64)
        out = self.mean_ + (eps * np.sqrt(ev)) @ self.components_.astype(np.float64)
        return _as_dtype(out, getattr(self, "_dtype", self.components_.dtype))

    def score_samples(self, X):
        """Probabilistic-PCA log-likelihood of each image (Tipping & Bishop 1999).

        Equal to :meth:`sklearn.decomposition.PCA.score_samples` but computed in the
        low-rank form (the full ``n_features x n_features`` precision matrix that
        scikit-learn builds would take 4 GB for 150x150 images). Higher is more
        typical; low values flag unusual galaxies.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, c, h, w)

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X, _ = self._validate_X(X, reset=False)
        d, q = X.shape[1], self.n_components_
        noise = float(self.noise_variance_)
        if noise <= 0 or q >= d or self.whiten:
            if hasattr(self.pca_, "score_samples"):
                return self.pca_.score_samples(X)
            # IncrementalPCA has no score_samples: same formula as PCA's
            return PCA.score_samples(self.pca_, X)
        Xr = X.astype(np.float64) - self.mean_
        Z = Xr @ self.components_.T.astype(np.float64)
        ev = np.asarray(self.explained_variance_, dtype=np.float64)
        resid = np.einsum("ij,ij->i", Xr, Xr) - np.einsum("ij,ij->i", Z, Z)
        maha = (Z**2 / ev).sum(1) + resid / noise
        logdet = np.log(ev).sum() + (d - q) * np.log(noise)
        return -0.5 * (maha + logdet + d * np.log(2 * np.pi))

    @property
    def _n_features_out(self):
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _max_abs(X):
    return max(float(X.max()), -float(X.min())) if X.size else 0.0


def _in_range(X, name):
    """``X``, in float64 when the squares of its values would leave float32's range.

    Raises a ``ValueError`` naming the data's scale when they would leave float64's.
    """
    max_abs = _max_abs(X)
    if max_abs == 0:
        return X
    # log10 of a bound on every sum of squares PCA forms from X (centred values are at
    # most 2 max|x|), and of the smallest square
    big = 2 * math.log10(2 * max_abs) + math.log10(X.size) + math.log10(_HEADROOM)
    small = 2 * math.log10(max_abs) - math.log10(_HEADROOM)
    f64, f32 = np.finfo(np.float64), np.finfo(np.float32)
    if big > math.log10(f64.max) or small < math.log10(f64.tiny):
        msg = (
            f"The values of {name} reach max |x| = {max_abs:.3g}: the sums of their "
            f"squares that PCA computes leave even float64's range "
            f"({float(f64.tiny):.3g} to {float(f64.max):.3g}). Divide the images by a "
            f"constant (e.g. their maximum) or scale them (LogScaler) first."
        )
        raise ValueError(msg)
    if X.dtype == np.float32 and (big > math.log10(f32.max)
                                  or small < math.log10(f32.tiny)):
        return X.astype(np.float64)
    return X


def _as_dtype(out, dtype):
    """``out`` cast to ``dtype``, kept in float64 where its values exceed ``dtype``'s."""
    out = np.asarray(out)
    if out.dtype == dtype:
        return out
    if np.issubdtype(dtype, np.floating) and _max_abs(out) > float(np.finfo(dtype).max):
        return out.astype(np.float64, copy=False)
    return out.astype(dtype, copy=False)
