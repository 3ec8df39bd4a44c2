"""Image preprocessing transformers (layer 1).

Every transformer takes images as ``(n_samples, height * width)`` float arrays (the
Pipeline convention), or ``(n, h, w)`` / ``(n, 1, h, w)``, and returns
``(n_samples, n_pixels_out)``; the image shape is the ``image_shape`` parameter (inferred
for square images) and the fitted ``image_shape_`` attribute. No transformer drops or
reorders rows.

Several bands (g, r, i): rows of ``c * h * w`` pixels with ``image_shape=(c, h, w)``, or
``(n, c, h, w)`` input. The sky, the crop and the resampling are per band; the centre,
the major axis and the companions are measured once per galaxy on ``reference_band``
(default -1, the reddest band: i in g, r, i; or ``"sum"``) and applied to every band, so
the bands stay aligned; :class:`LogScaler` scales the bands jointly (keeps colours) or
per band. One band is processed exactly as before.

:func:`preprocess_to_store` runs such a pipeline over a survey larger than memory (FITS
files or an on-disk array), chunk by chunk, into a zarr or ``.npy`` store; it resumes
where an interrupted run stopped; :func:`preprocess_with_dask` does the same on a Dask
cluster (the ``distributed`` extra), into a zarr store, listing the FITS files that could
not be read.
"""

from ._background import BackgroundSubtractor
from ._companions import CompanionMasker
from ._dask import preprocess_with_dask
from ._geometry import CentreCrop, MajorAxisRotator, Recentre, Resizer
from ._log_scaler import LogScaler
from ._pipeline import make_preprocessing_pipeline
from ._store import preprocess_to_store

__all__ = [
    "BackgroundSubtractor",
    "CentreCrop",
    "CompanionMasker",
    "LogScaler",
    "MajorAxisRotator",
    "Recentre",
    "Resizer",
    "make_preprocessing_pipeline",
    "preprocess_to_store",
    "preprocess_with_dask",
]
