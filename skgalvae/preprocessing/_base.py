"""The base class every image transformer of :mod:`skgalvae.preprocessing` shares."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._images import as_images, validate_images
from ..utils._parallel import apply_per_image

_FLOAT_DTYPES = (np.float64, np.float32)


class BaseImageTransformer(TransformerMixin, BaseEstimator):
    """Base class for transformers that map each image to an image.

    Subclasses add ``OneToOneFeatureMixin`` when the image shape is kept, or
    ``ClassNamePrefixFeaturesOutMixin`` with ``_n_features_out`` when it changes.

    Subclasses implement ``_transform_one(image) -> image`` for one ``(h, w)`` image, or
    override ``_transform_images(images)`` to vectorise over the stack. ``fit`` only
    validates the input and records ``image_shape_`` and ``n_features_in_``: the
    transformers are stateless (each image is processed on its own), which their tags say.

    Input may be ``(n, h*w)``, ``(n, h, w)`` or ``(n, 1, h, w)``; output is always
    ``(n, h*w)`` in the input's float dtype (float32 stays float32). Rows are never dropped
    or reordered.
    """

    _parameter_constraints: dict = {
        "image_shape": ["array-like", None],
        "n_jobs": [Integral, None],
    }

    def _validate(self, X, *, reset):
        return validate_images(self, X, reset=reset, dtype=_FLOAT_DTYPES)

    def fit(self, X, y=None):
        """Validate ``X`` and record the image shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, h*w), (n, h, w) or (n, 1, h, w)
            Images.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._validate_params()
        self._validate(X, reset=True)
        return self

    def transform(self, X):
        """Process each image.

        Parameters
        ----------
        X : array-like of shape (n_samples, h*w), (n, h, w) or (n, 1, h, w)
            Images of the shape seen in ``fit``.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            Processed images, flattened, in the input's float dtype.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        out = self._transform_images(as_images(X, self.image_shape_))
        return out.reshape(len(X), -1)

    def _transform_images(self, images):
        return apply_per_image(self._transform_one, images, n_jobs=self.n_jobs)

    def _transform_one(self, image):  # pragma: no cover - abstract
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
