"""Optional dependencies: imported on first use, with an error that names the extra.

skgalvae's core (``pip install skgalvae``) holds the estimators, the preprocessing, the
selection, the analysis and the plots. The heavy parts that not every user needs are extras:

- ``simulate``: GalSim, for :func:`skgalvae.datasets.make_galaxies`;
- ``masking``: photutils and scikit-image, for
  :class:`skgalvae.preprocessing.CompanionMasker`;
- ``fetch``: astroquery, pooch and requests, for the ``fetch_*`` functions;
- ``scale``: zarr and h5py, for on-disk model input and preprocessing stores;
- ``distributed``: Accelerate, Dask and dask.distributed, for data-parallel training
  and preprocessing or inference on a cluster;
- ``morphology``: statmorph, for the structural parameters;
- ``all``: every extra above and imbalanced-learn: the study (``skgalvae study``) and
  the examples.
"""

import importlib

#: The extra that provides each optional top-level module.
EXTRAS = {
    "galsim": "simulate",
    "photutils": "masking",
    "skimage": "masking",
    "astroquery": "fetch",
    "pooch": "fetch",
    "requests": "fetch",
    "imblearn": "all",
    "zarr": "scale",
    "h5py": "scale",
    "accelerate": "distributed",
    "dask": "distributed",
    "distributed": "distributed",
    "dask_ml": "dev",
    "statmorph": "morphology",
}

#: The distribution name to pip-install, where it differs from the module name.
_DISTRIBUTIONS = {"skimage": "scikit-image", "imblearn": "imbalanced-learn",
                  "dask_ml": "dask-ml"}


def import_optional(name, *, purpose):
    """Import the optional module ``name``, or raise an ImportError naming its extra.

    Parameters
    ----------
    name : str
        The module to import, e.g. ``"galsim"`` or ``"photutils.segmentation"``.
    purpose : str
        What needs it, for the message, e.g. ``"make_galaxies (the simulator)"``.

    Returns
    -------
    module

    Raises
    ------
    ImportError
        When the module is not installed; the message names the extra to install.

    Examples
    --------
    >>> from skgalvae.utils._optional import import_optional
    >>> import_optional("numpy", purpose="arrays").__name__
    'numpy'
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        top = name.partition(".")[0]
        if exc.name is not None and exc.name.partition(".")[0] != top:
            raise  # the module is there but one of its own imports failed: show that
        extra = EXTRAS.get(top, "all")
        dist = _DISTRIBUTIONS.get(top, top)
        msg = (
            f"{dist} is needed by {purpose} but is not installed. Install it with "
            f'pip install "skgalvae[{extra}]" (or pip install {dist}).'
        )
        raise ImportError(msg, name=top) from exc
