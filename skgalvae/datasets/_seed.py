"""fetch_seed_sample: the seed study's population in one call (needs the internet)."""

import os
from numbers import Integral, Real

import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, validate_params

from ._catalogs import fetch_gswlc, fetch_gz2_catalog, fetch_rcsed
from ._crossmatch import crossmatch
from ._skyview import fetch_sdss_cutouts


def default_selection(gz2):
    """Boolean mask of plain vote-fraction cuts, used when no ``selection`` is given.

    A documented stand-in for the GZ2 clean-sample thresholds (Willett et al. 2013,
    Table 3): pass a mask function of ``skgalvae.selection`` as ``selection`` to use
    those.

    A galaxy is kept when ``t06_odd_a15_no_fraction >= 0.5``, the star/artifact
    fraction is below 0.5, and it is either smooth (``t01_..._a01_smooth_fraction >=
    0.5``) or a disc volunteers did not call edge-on (``t02_edgeon_a05_no_fraction >=
    0.5``).
    """
    smooth = gz2["t01_smooth_or_features_a01_smooth_fraction"] >= 0.5
    not_edge = gz2["t02_edgeon_a05_no_fraction"] >= 0.5
    not_odd = gz2["t06_odd_a15_no_fraction"] >= 0.5
    not_star = gz2["t01_smooth_or_features_a03_star_or_artifact_fraction"] < 0.5
    return (not_odd & not_star & (smooth | not_edge)).to_numpy()


@validate_params(
    {
        "selection": [callable, None],
        "n_samples": [Interval(Integral, 1, None, closed="left"), None],
        "gz2": [pd.DataFrame, None],
        "data_home": [str, os.PathLike, None],
        "n_jobs": [Integral, None],
        "max_sep": [Interval(Real, 0, None, closed="left")],
        "return_images": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_seed_sample(*, selection=None, n_samples=None, gz2=None, data_home=None,
                      n_jobs=None, max_sep=2.0, return_images=False, random_state=0,
                      verbose=1):
    """Reproduce the seed study's dataset: GZ2 -> selection -> cutouts -> properties.

    1. the GZ2 main-sample votes (:func:`fetch_gz2_catalog`, Hart et al. 2016);
    2. the population: ``selection(gz2)`` (a boolean mask; e.g. a function of
       ``skgalvae.selection``), or :func:`default_selection`'s plain cuts;
    3. optionally ``n_samples`` galaxies drawn at random (the seed kept 12,539);
    4. i-band 150x150 cutouts from SkyView (:func:`fetch_sdss_cutouts`, cached);
    5. properties matched by position within ``max_sep`` arcsec: GSWLC-X2
       (``LOGMSTAR``, ``LOGSFRSED``...) and RCSED (ages, metallicities, dispersions).

    Needs the internet (hours for the cutouts the first time; every step is cached and
    resumable) and the ``fetch`` extra (``pip install "skgalvae[fetch]"``). Two of the
    downloaded files are **unverified**: the GZ2 main-sample table and GSWLC-X2 have no
    recorded SHA-256, so their integrity is not checked (only their length) and their
    download raises an ``UnverifiedDownloadWarning`` (see :func:`fetch_gz2_catalog`,
    :func:`fetch_gswlc`).

    Parameters
    ----------
    selection : callable, default=None
        ``selection(gz2) -> boolean mask`` defining the population; None uses
        :func:`default_selection`.
    n_samples : int, default=None
        Keep this many selected galaxies, drawn at random (None keeps all).
    gz2 : DataFrame, default=None
        A GZ2 table to start from; None downloads it with :func:`fetch_gz2_catalog`.
    data_home : str or path-like, default=None
        Cache folder of every step.
    n_jobs : int, default=None
        Concurrent cutout downloads.
    max_sep : float, default=2.0
        Largest separation of a property match, arcsec.
    return_images : bool, default=False
        Also read the cutouts into arrays.
    random_state : int, RandomState instance or None, default=0
        Seeds the draw of ``n_samples``.
    verbose : int, default=1
        Progress bars when > 0.

    Returns
    -------
    sklearn.utils.Bunch
        ``catalog`` (GZ2 columns, then the matched GSWLC and RCSED columns with suffixes
        ``_gswlc`` / ``_rcsed`` on clashes, and ``path``), ``paths``; with
        ``return_images`` also ``images``, ``data``, ``image_shape``.
    """
    if gz2 is None:
        gz2 = fetch_gz2_catalog(data_home=data_home, verbose=verbose)
    mask = default_selection(gz2) if selection is None else selection(gz2)
    sample = gz2[pd.Series(mask, index=gz2.index).astype(bool)]
    if n_samples is not None and n_samples < len(sample):
        sample = sample.sample(n=n_samples, random_state=random_state).sort_index()
    cutouts = fetch_sdss_cutouts(sample[["ra", "dec"]], data_home=data_home,
                                 n_jobs=n_jobs, return_images=return_images,
                                 verbose=verbose)
    catalog, _ = crossmatch(sample, fetch_gswlc(data_home=data_home, verbose=verbose),
                            max_sep=max_sep, how="left", suffixes=("", "_gswlc"))
    catalog = catalog.rename(columns={"index_b": "index_gswlc",
                                      "separation_arcsec": "separation_gswlc"})
    catalog, _ = crossmatch(catalog, fetch_rcsed(data_home=data_home, verbose=verbose),
                            max_sep=max_sep, how="left", suffixes=("", "_rcsed"))
    catalog = catalog.rename(columns={"index_b": "index_rcsed",
                                      "separation_arcsec": "separation_rcsed"})
    if return_images:
        catalog["path"] = cutouts.catalog["path"].to_numpy()
        return Bunch(catalog=catalog, paths=list(cutouts.catalog["path"]),
                     images=cutouts.images, data=cutouts.data,
                     image_shape=cutouts.image_shape)
    catalog["path"] = [str(p) for p in cutouts]
    return Bunch(catalog=catalog, paths=cutouts)
