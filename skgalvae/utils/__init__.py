"""Low-level helpers shared by every skgalvae package (layer 0).

Public here: :func:`show_versions`, :func:`get_data_home` (and :func:`clear_data_home`),
and :func:`all_estimators` / :func:`all_functions`, which list skgalvae's public API. The
image-shape, validation, parallel, optional-import and progress helpers live in private
modules and are imported by the packages that need them; they are not part of the public
API.
"""

from ._data_home import clear_data_home, get_data_home
from ._discovery import all_estimators, all_functions
from ._show_versions import show_versions

__all__ = ["all_estimators", "all_functions", "clear_data_home", "get_data_home",
           "show_versions"]
