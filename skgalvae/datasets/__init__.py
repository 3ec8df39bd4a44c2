"""Data sets (layer 1): the bundled SDSS sample, the simulator and the fetchers.

Loaders return an :class:`sklearn.utils.Bunch` with ``images`` (n, h, w), ``data``
(n, h*w), ``catalog`` (a DataFrame, one row per galaxy), ``image_shape`` and ``DESCR``.

- :func:`load_sdss_sample`: 100 real SDSS i-band cutouts bundled with skgalvae.
- :func:`make_galaxies`: GalSim simulator of SDSS-like cutouts with ground truth,
  physical properties and GZ2-style votes.
- :func:`fetch_sdss_cutouts`, :func:`fetch_gz2_catalog`, :func:`fetch_gswlc`,
  :func:`fetch_rcsed`, :func:`fetch_seed_sample`: cached downloads (internet needed).
- :func:`read_gz2_table`, :func:`read_gz_quench`, :func:`read_gz_mergers`,
  :func:`read_gswlc`: readers of the published files (sentinels -> NaN).
- :func:`crossmatch`: join catalogs by sky position.
"""

from ._catalogs import (
    fetch_gswlc,
    fetch_gz2_catalog,
    fetch_rcsed,
    read_gswlc,
    read_gz2_table,
    read_gz_mergers,
    read_gz_quench,
)
from ._crossmatch import crossmatch
from ._sample import load_sdss_sample
from ._seed import fetch_seed_sample
from ._simulate import make_galaxies
from ._skyview import fetch_sdss_cutouts

__all__ = [
    "crossmatch",
    "fetch_gswlc",
    "fetch_gz2_catalog",
    "fetch_rcsed",
    "fetch_sdss_cutouts",
    "fetch_seed_sample",
    "load_sdss_sample",
    "make_galaxies",
    "read_gswlc",
    "read_gz2_table",
    "read_gz_mergers",
    "read_gz_quench",
]
