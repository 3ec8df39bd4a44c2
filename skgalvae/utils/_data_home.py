"""Where downloaded and generated data sets are cached."""

import os
import shutil
from pathlib import Path

from sklearn.utils._param_validation import validate_params


@validate_params({"data_home": [str, os.PathLike, None]},
                 prefer_skip_nested_validation=True)
def get_data_home(data_home=None):
    """Return the folder where skgalvae caches data, creating it if needed.

    The folder is, in order: ``data_home`` when given, the ``SKGALVAE_DATA`` environment
    variable, else ``~/skgalvae_data`` (the convention of
    :func:`sklearn.datasets.get_data_home`).

    Parameters
    ----------
    data_home : str or path-like, default=None

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> from skgalvae.utils import get_data_home
    >>> get_data_home(tempfile.mkdtemp()).is_dir()
    True
    """
    if data_home is None:
        data_home = os.environ.get("SKGALVAE_DATA", Path("~") / "skgalvae_data")
    path = Path(data_home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


@validate_params({"data_home": [str, os.PathLike, None]},
                 prefer_skip_nested_validation=True)
def clear_data_home(data_home=None):
    """Delete the data home and everything in it (see :func:`get_data_home`).

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder; None means :func:`get_data_home`'s default.

    Examples
    --------
    >>> import tempfile
    >>> from skgalvae.utils import clear_data_home, get_data_home
    >>> home = get_data_home(tempfile.mkdtemp())
    >>> clear_data_home(home)
    >>> home.exists()
    False
    """
    shutil.rmtree(get_data_home(data_home))
