"""Reading galaxy images (layer 1) into ``(n_samples, n_pixels)`` arrays.

- :class:`FITSLoader`, :func:`read_fits_image`, :func:`check_fits_files`: FITS cutouts,
  one band per file or several bands per galaxy (``bands="gri"``: per-band files, path
  templates with ``{band}``, cubes or multi-extension files).
- :class:`ColourImageLoader`, :func:`read_colour_image`, :func:`colour_images_to_bands`:
  8-bit colour JPEG/PNG composites (Galaxy Zoo subject images) as g, r, i bands; their
  pixels are already asinh-stretched display values, not fluxes.
"""

from ._colour import (
    ColourImageError,
    ColourImageLoader,
    colour_images_to_bands,
    read_colour_image,
)
from ._fits import FITSLoader, FITSReadError, check_fits_files, read_fits_image

__all__ = [
    "ColourImageError",
    "ColourImageLoader",
    "FITSLoader",
    "FITSReadError",
    "check_fits_files",
    "colour_images_to_bands",
    "read_colour_image",
    "read_fits_image",
]
