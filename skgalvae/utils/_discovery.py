"""Discover skgalvae's public estimators and functions from the packages' ``__all__``.

The pattern of :mod:`sklearn.utils.discovery`: the tests run the estimator checks and the
parameter-validation checks over what these return, so a new public estimator or function
cannot escape them.
"""

import importlib
import inspect

from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import validate_params

#: The public subpackages, in layer order (see the architecture notes).
PUBLIC_PACKAGES = (
    "skgalvae.io", "skgalvae.preprocessing", "skgalvae.selection", "skgalvae.datasets",
    "skgalvae.models", "skgalvae.analysis", "skgalvae.plotting", "skgalvae.utils",
    "skgalvae.study",
)


def _public_objects(packages):
    seen = {}
    for package in packages:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            seen.setdefault(id(obj), (f"{package}.{name}", obj))
    return sorted(seen.values(), key=lambda item: item[0])


@validate_params({"packages": [tuple, list]}, prefer_skip_nested_validation=True)
def all_estimators(packages=PUBLIC_PACKAGES):
    """Every public skgalvae estimator class, as ``(qualified name, class)`` pairs.

    A class counts when a package's ``__all__`` exports it and it subclasses
    :class:`sklearn.base.BaseEstimator`.

    Parameters
    ----------
    packages : tuple of str, default=PUBLIC_PACKAGES
        The packages whose ``__all__`` is read.

    Returns
    -------
    estimators : list of (str, type)
        Sorted by qualified name, e.g. ``("skgalvae.models.GalaxyVAE", GalaxyVAE)``.

    Examples
    --------
    >>> from skgalvae.utils import all_estimators
    >>> [cls.__name__ for _, cls in all_estimators(("skgalvae.models",))]
    ['EigengalaxyPCA', 'GalaxyAutoencoder', 'GalaxyVAE']
    """
    return [
        (name, obj) for name, obj in _public_objects(packages)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator)
    ]


@validate_params({"packages": [tuple, list]}, prefer_skip_nested_validation=True)
def all_functions(packages=PUBLIC_PACKAGES):
    """Every public skgalvae function, as ``(qualified name, function)`` pairs.

    Parameters
    ----------
    packages : tuple of str, default=PUBLIC_PACKAGES
        The packages whose ``__all__`` is read.

    Returns
    -------
    functions : list of (str, callable)
        Sorted by qualified name.

    Examples
    --------
    >>> from skgalvae.utils import all_functions
    >>> [name for name, _ in all_functions(("skgalvae.selection",))]
    ['skgalvae.selection.gz2_morphology', 'skgalvae.selection.gz2_selection_mask']
    """
    return [
        (name, obj) for name, obj in _public_objects(packages) if inspect.isfunction(obj)
    ]
