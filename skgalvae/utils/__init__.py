"""Low-level helpers shared by every skgalvae package (layer 0).

Public here: :func:`show_versions` and :func:`get_data_home`. The image-shape, validation,
parallel and progress helpers live in private modules and are imported by the packages that
need them; they are not part of the public API.
"""

from ._data_home import clear_data_home, get_data_home
from ._show_versions import show_versions

__all__ = ["clear_data_home", "get_data_home", "show_versions"]
