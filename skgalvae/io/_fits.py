"""Reading FITS cutouts into the Pipeline's ``(n_samples, height * width)`` arrays."""

import os
import warnings
from functools import partial
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
from astropy.io import fits
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from ..utils._progress import progress
from ..utils._resample import resize_images


class FITSReadError(ValueError):
    """A FITS file could not be read as a usable 2-D image; the message names the file."""


def _as_paths(X):
    """Return a list of path strings from a sequence, a 1-column array or DataFrame."""
    if isinstance(X, (str, Path)):
        msg = (
            "X must be a sequence of FITS paths, not a single path: wrap it in a list, "
            f"e.g. [{str(X)!r}]."
        )
        raise TypeError(msg)
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            msg = (
                f"X is a DataFrame with {X.shape[1]} columns ({list(X.columns)}); "
                "FITSLoader needs exactly one column of paths: select it, e.g. "
                "df[['path']], or use a ColumnTransformer."
            )
            raise ValueError(msg)
        X = X.iloc[:, 0]
    arr = np.asarray(X, dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        msg = f"X must be 1-D or a single column of paths; got shape {arr.shape}."
        raise ValueError(msg)
    if len(arr) == 0:
        msg = "X is empty: FITSLoader needs at least one FITS path."
        raise ValueError(msg)
    return [str(p) for p in arr]


_HDU = [Interval(Integral, 0, None, closed="left"), str]


@validate_params(
    {"path": [str, os.PathLike], "hdu": _HDU, "fill_value": [Real, None]},
    prefer_skip_nested_validation=True,
)
def read_fits_image(path, *, hdu=0, fill_value=None):
    """Read the 2-D image of one FITS file (``.fits`` or ``.fits.gz``) as float32.

    Parameters
    ----------
    path : str or path-like
    hdu : int or str, default=0
        Index or EXTNAME of the HDU. With ``"auto"``, the first HDU holding 2-D data.
    fill_value : float, default=None
        Replacement for NaN/inf pixels; None raises on any such pixel.

    Returns
    -------
    ndarray of shape (h, w), float32

    Raises
    ------
    FITSReadError
        Naming the file: missing, a directory, unreadable/corrupt, without data in the
        HDU, not 2-D, all non-finite, or with non-finite pixels when ``fill_value`` is
        None.

    Examples
    --------
    >>> from skgalvae.datasets import load_sdss_sample
    >>> from skgalvae.io import read_fits_image
    >>> path = load_sdss_sample().catalog["path"][0]
    >>> image = read_fits_image(path)
    >>> image.shape, image.dtype
    ((150, 150), dtype('float32'))
    """
    path = Path(path)
    if path.is_dir():
        msg = (
            f"FITS path {str(path)!r} is a directory, not a FITS file: pass the path of "
            "one .fits or .fits.gz file (for a folder of cutouts, pass its files, e.g. "
            "sorted(Path(folder).glob('*.fits*')))."
        )
        raise FITSReadError(msg)
    if not path.is_file():
        msg = f"FITS file {str(path)!r} does not exist."
        raise FITSReadError(msg)
    try:
        with fits.open(path, memmap=False) as hdul:
            if hdu == "auto":
                data = next((h.data for h in hdul if h.data is not None
                             and np.squeeze(h.data).ndim == 2), None)
            else:
                data = hdul[hdu].data
            data = None if data is None else np.array(data)
    except (OSError, ValueError, TypeError, IndexError, KeyError, EOFError) as exc:
        msg = f"FITS file {str(path)!r} could not be read (hdu={hdu!r}): {exc}"
        raise FITSReadError(msg) from exc
    if data is None or data.size == 0:
        msg = f"FITS file {str(path)!r} has no image data in HDU {hdu!r}."
        raise FITSReadError(msg)
    data = np.squeeze(data)
    if data.ndim != 2:
        msg = (
            f"FITS file {str(path)!r} holds a {data.ndim}-D array of shape {data.shape} "
            f"in HDU {hdu!r}; a 2-D image is needed (select a plane or another HDU)."
        )
        raise FITSReadError(msg)
    data = data.astype(np.float32)
    finite = np.isfinite(data)
    if not finite.any():
        msg = f"FITS file {str(path)!r} has no finite pixel (all NaN/inf)."
        raise FITSReadError(msg)
    if not finite.all():
        if fill_value is None:
            msg = (
                f"FITS file {str(path)!r} has {int((~finite).sum())} NaN/inf pixels; "
                "pass fill_value=<float> to replace them."
            )
            raise FITSReadError(msg)
        data[~finite] = fill_value
    return data


def _load_one(path, *, hdu, fill_value, output_shape):
    """Return ``(image or None, error message or None)`` for one path."""
    try:
        image = read_fits_image(path, hdu=hdu, fill_value=fill_value)
    except FITSReadError as exc:
        return None, str(exc)
    if output_shape is not None and image.shape != tuple(output_shape):
        image = resize_images(image, output_shape).astype(np.float32)
    return image, None


class FITSLoader(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Read FITS cutouts, one galaxy per file, into a ``(n_samples, h*w)`` float32 array.

    ``X`` is a sequence of paths (``.fits``, ``.fits.gz``), or a 1-column array or
    DataFrame of them; row ``i`` of the output is the image of file ``i``: rows never
    vanish. Files are read with :mod:`astropy.io.fits`.

    Parameters
    ----------
    hdu : int, str or "auto", default=0
        HDU index or EXTNAME holding the image; ``"auto"``: the first 2-D HDU.
    output_shape : tuple of int, default=None
        Resample every image to this shape (flux-conserving, see :class:`Resizer`). When
        None, all files must have the shape of the first readable one.
    fill_value : float, default=None
        Replacement for NaN/inf pixels; None treats any such pixel as an error.
    on_error : {"raise", "nan"}, default="raise"
        ``"raise"``: a bad file raises a :class:`FITSReadError` naming it. ``"nan"``: its
        row becomes NaN and one warning lists every bad file with the reason.
    n_jobs : int, default=None
        Number of threads reading files in parallel.
    verbose : int, default=0
        Show a progress bar over the files when > 0.

    Attributes
    ----------
    image_shape_ : tuple of int
        Shape of the output images.
    n_features_in_ : int
        Always 1 (one path per row).

    See Also
    --------
    check_fits_files : table of the bad files in a list, with reasons.

    Examples
    --------
    >>> from skgalvae.datasets import load_sdss_sample
    >>> paths = load_sdss_sample().catalog["path"][:3]
    >>> from skgalvae.io import FITSLoader
    >>> FITSLoader().fit_transform(paths).shape
    (3, 22500)
    """

    _parameter_constraints: dict = {
        "hdu": [Interval(Integral, 0, None, closed="left"), str],
        "output_shape": ["array-like", None],
        "fill_value": [Real, None],
        "on_error": [StrOptions({"raise", "nan"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(self, *, hdu=0, output_shape=None, fill_value=None, on_error="raise",
                 n_jobs=None, verbose=0):
        self.hdu = hdu
        self.output_shape = output_shape
        self.fill_value = fill_value
        self.on_error = on_error
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _read(self, paths, output_shape):
        func = partial(_load_one, hdu=self.hdu, fill_value=self.fill_value,
                       output_shape=output_shape)
        items = progress(paths, verbose=self.verbose, total=len(paths),
                         desc="Reading FITS", unit="file")
        if effective_n_jobs(self.n_jobs) == 1:
            return [func(p) for p in items]
        return Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(func)(p) for p in items
        )

    def fit(self, X, y=None):
        """Record the output image shape (reading the first readable file if needed).

        Parameters
        ----------
        X : sequence of str or path-like, or 1-column array / DataFrame
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._validate_params()
        paths = _as_paths(X)
        self.n_features_in_ = 1
        if self.output_shape is not None:
            self.image_shape_ = tuple(int(s) for s in self.output_shape)
            return self
        errors = []
        for path in paths:
            image, error = _load_one(path, hdu=self.hdu, fill_value=self.fill_value,
                                     output_shape=None)
            if image is not None:
                self.image_shape_ = image.shape
                return self
            if self.on_error == "raise":
                raise FITSReadError(error)
            errors.append(error)
        msg = "No FITS file in X could be read:\n" + "\n".join(errors)
        raise FITSReadError(msg)

    def transform(self, X):
        """Read the images.

        Parameters
        ----------
        X : sequence of str or path-like, or 1-column array / DataFrame

        Returns
        -------
        images : ndarray of shape (n_files, h*w), float32
            Row ``i`` is file ``i``; NaN rows for bad files when ``on_error="nan"``.
        """
        check_is_fitted(self)
        paths = _as_paths(X)
        results = self._read(paths, self.output_shape)
        out = np.full((len(paths), int(np.prod(self.image_shape_))), np.nan, np.float32)
        bad = []
        for i, (path, (image, error)) in enumerate(zip(paths, results)):
            if image is not None and image.shape != tuple(self.image_shape_):
                error = (
                    f"FITS file {path!r} has shape {image.shape}, not "
                    f"{tuple(self.image_shape_)} like the others; pass output_shape= to "
                    "resample every image to one shape."
                )
                image = None
            if image is None:
                if self.on_error == "raise":
                    raise FITSReadError(error)
                bad.append(error)
            else:
                out[i] = image.ravel()
        if bad:
            msg = f"{len(bad)} of {len(paths)} FITS files gave NaN rows:\n" + "\n".join(bad)
            warnings.warn(msg, UserWarning, stacklevel=2)
        return out

    @property
    def _n_features_out(self):
        return int(np.prod(self.image_shape_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags


@validate_params(
    {
        "paths": "no_validation",  # _as_paths checks it, with a message that helps
        "hdu": _HDU,
        "fill_value": [Real, None],
        "expected_shape": ["array-like", None],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def check_fits_files(paths, *, hdu=0, fill_value=None, expected_shape=None, n_jobs=None):
    """Check FITS files and return a table of the bad ones with the reason.

    Parameters
    ----------
    paths : sequence of str or path-like
    hdu : int, str or "auto", default=0
    fill_value : float, default=None
        When None, files with NaN/inf pixels are reported as bad.
    expected_shape : tuple of int, default=None
        When given, files of another shape are reported as bad.
    n_jobs : int, default=None

    Returns
    -------
    pandas.DataFrame
        Columns ``path`` and ``reason``, one row per bad file (empty when all are good).

    Examples
    --------
    >>> from skgalvae.io import check_fits_files
    >>> check_fits_files(["missing.fits"]).reason.str.contains("does not exist").all()
    np.True_
    """
    paths = _as_paths(paths)
    func = partial(_load_one, hdu=hdu, fill_value=fill_value, output_shape=None)
    results = Parallel(n_jobs=n_jobs, prefer="threads")(delayed(func)(p) for p in paths)
    rows = []
    for path, (image, error) in zip(paths, results):
        if image is not None and expected_shape is not None \
                and image.shape != tuple(expected_shape):
            error = f"shape {image.shape} differs from expected {tuple(expected_shape)}"
        if error is not None:
            rows.append({"path": path, "reason": error})
    return pd.DataFrame(rows, columns=["path", "reason"])
