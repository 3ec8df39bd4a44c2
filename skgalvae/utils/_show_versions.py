"""Print the versions of skgalvae's dependencies, like :func:`sklearn.show_versions`."""

import platform
import sys
from importlib.metadata import PackageNotFoundError, version

_DEPENDENCIES = (
    "skgalvae", "numpy", "scipy", "pandas", "scikit-learn", "torch", "skorch", "astropy",
    "photutils", "scikit-image", "matplotlib", "tqdm", "imbalanced-learn", "galsim",
    "astroquery", "pooch", "joblib",
)


def _versions():
    info = {}
    for name in _DEPENDENCIES:
        try:
            info[name] = version(name)
        except PackageNotFoundError:
            info[name] = None
    return info


def show_versions():
    """Print system information and the versions of skgalvae's dependencies.

    Examples
    --------
    >>> import skgalvae
    >>> skgalvae.show_versions()  # doctest: +SKIP
    """
    print("\nSystem:")
    print(f"    python: {sys.version.replace(chr(10), ' ')}")
    print(f"   machine: {platform.platform()}")
    print("\nPython dependencies:")
    for name, ver in _versions().items():
        print(f"{name:>17}: {ver}")
