"""Reading galaxy images (layer 1): FITS cutouts into ``(n_samples, h*w)`` arrays."""

from ._fits import FITSLoader, FITSReadError, check_fits_files, read_fits_image

__all__ = ["FITSLoader", "FITSReadError", "check_fits_files", "read_fits_image"]
