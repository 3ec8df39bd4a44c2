"""Print the versions of skgalvae's dependencies, like :func:`sklearn.show_versions`."""

import platform
import sys
from importlib.metadata import PackageNotFoundError, version

from sklearn.utils._param_validation import validate_params

_DEPENDENCIES = (
    "skgalvae", "numpy", "scipy", "pandas", "scikit-learn", "torch", "skorch", "astropy",
    "photutils", "scikit-image", "matplotlib", "tqdm", "imbalanced-learn", "galsim",
    "astroquery", "pooch", "requests", "joblib",
)


def _versions():
    info = {}
    for name in _DEPENDENCIES:
        try:
            info[name] = version(name)
        except PackageNotFoundError:
            info[name] = None
    return info


@validate_params({}, prefer_skip_nested_validation=True)
def show_versions():
    """Print system information and the versions of skgalvae's dependencies.

    Examples
    --------
    >>> import skgalvae
    >>> skgalvae.show_versions()
    <BLANKLINE>
    System:
        python: ...
    <BLANKLINE>
    Python dependencies:
     ...skgalvae: ...
    """
    print("\nSystem:")
    print(f"    python: {sys.version.replace(chr(10), ' ')}")
    print(f"   machine: {platform.platform()}")
    print("\nPython dependencies:")
    for name, ver in _versions().items():
        print(f"{name:>17}: {ver}")
