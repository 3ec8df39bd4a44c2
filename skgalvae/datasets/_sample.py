"""The bundled sample of real SDSS i-band cutouts."""

from importlib import resources
from numbers import Integral

import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from ..io import FITSLoader

_SAMPLE = "data/sdss_iband"


def _sample_dir():
    return resources.files("skgalvae.datasets").joinpath(_SAMPLE)


@validate_params(
    {"return_X_y": ["boolean"], "n_jobs": [Integral, None]},
    prefer_skip_nested_validation=True,
)
def load_sdss_sample(*, return_X_y=False, n_jobs=None):
    """Load the 100 real SDSS i-band cutouts bundled with skgalvae (offline).

    Raw 150x150 cutouts (0.396 arcsec/pixel, flux in what look like nanomaggies, sky
    subtracted) of galaxies from the seed study, read from the bundled FITS files. They are
    not log-scaled, rotated, cropped or resized: pass them through
    :func:`skgalvae.preprocessing.make_preprocessing_pipeline`. See ``DESCR`` for the
    provenance and licence (SDSS public data; cite SDSS).

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, catalog)`` instead of a Bunch. The sample has no target: the
        catalog (positions and file paths) plays the part of ``y``'s table.
    n_jobs : int, default=None
        Threads for reading the files.

    Returns
    -------
    sklearn.utils.Bunch
        ``images`` (100, 150, 150) float32; ``data`` (100, 22500) float32, the same
        pixels flattened; ``catalog`` DataFrame with ``name``, ``ra``, ``dec`` (deg, ICRS)
        and ``path`` (the FITS file); ``image_shape`` (150, 150); ``pixel_scale`` 0.396
        (arcsec/pixel); ``DESCR``.
    (data, catalog) : tuple
        When ``return_X_y`` is True.

    Examples
    --------
    >>> from skgalvae.datasets import load_sdss_sample
    >>> sample = load_sdss_sample()
    >>> sample.images.shape, list(sample.catalog.columns)
    ((100, 150, 150), ['name', 'ra', 'dec', 'path'])
    """
    folder = _sample_dir()
    with resources.as_file(folder) as path:
        catalog = pd.read_csv(path / "positions.csv")[["name", "ra", "dec"]]
        catalog["path"] = [str(path / "fits" / f"{name}.fits.gz") for name in catalog.name]
        descr = (path / "SOURCE.txt").read_text()
        data = FITSLoader(n_jobs=n_jobs).fit_transform(catalog["path"])
    image_shape = (150, 150)
    if return_X_y:
        return data, catalog
    return Bunch(
        images=data.reshape(-1, *image_shape),
        data=data,
        catalog=catalog,
        image_shape=image_shape,
        pixel_scale=0.396,
        DESCR=descr,
    )
