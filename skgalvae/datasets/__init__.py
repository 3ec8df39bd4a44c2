"""Data sets (layer 1): the bundled SDSS sample, the simulator and the fetchers.

Loaders return an :class:`sklearn.utils.Bunch` with ``images`` (n, h, w), ``data``
(n, h*w), ``catalog`` (a DataFrame, one row per galaxy), ``image_shape`` and ``DESCR``.
"""

from ._sample import load_sdss_sample

__all__ = ["load_sdss_sample"]
