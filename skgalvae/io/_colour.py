"""8-bit colour cutouts (Galaxy Zoo's JPEG/PNG subject images) as g, r, i bands.

.. warning::
   These pixels are **not fluxes**. SDSS colour composites (the Galaxy Zoo subject
   images, SkyServer's ``ImgCutout``) were made from the g, r and i frames with an
   **asinh stretch** (Lupton et al. 2004, PASP 116, 133), colour-balanced, clipped and
   quantised to 8 bits, then JPEG-compressed. The stretch is not invertible from the
   file: fluxes, magnitudes and colours in physical units cannot be recovered, and the
   sky is already subtracted and compressed. A :class:`~skgalvae.preprocessing.LogScaler`
   or a background subtraction has no physical meaning on them: use the pixels as they
   are (scaled to [0, 1]) and compare such latents only with latents of images made the
   same way.

Channel mapping: the composite's red, green and blue are SDSS i, r and g, so the bands
come out in wavelength order, ``bands="gri"``: channel 0 = blue = g, channel 1 = green =
r, channel 2 = red = i. Pillow (a dependency of matplotlib) reads the files.
"""

import os
from numbers import Integral
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from ..utils._images import normalise_shape
from ..utils._progress import progress
from ..utils._resample import resize_images
from ._fits import _as_paths
from ._rows import PathLoaderMixin, stack_rows

#: The RGB channel (0 red, 1 green, 2 blue) of each SDSS band in a gri colour composite.
RGB_CHANNEL = {"i": 0, "r": 1, "g": 2}
#: Pillow modes converted to RGB (colour, with or without alpha, or another colour model).
_COLOUR_MODES = {"RGB", "RGBA", "RGBa", "RGBX", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV"}


class ColourImageError(ValueError):
    """A colour image could not be read or is not a colour image; names the file."""


def _colour_bands(bands):
    names = list(bands) if isinstance(bands, str) else [str(b) for b in bands]
    if not names or len(set(names)) != len(names) or not set(names) <= set(RGB_CHANNEL):
        msg = (
            f"bands={bands!r} must name some of the bands of a gri colour composite, "
            "each once: 'g' (blue), 'r' (green), 'i' (red), e.g. 'gri' (all three, in "
            "wavelength order) or 'i' (the red channel alone)."
        )
        raise ValueError(msg)
    return names


def _select(rgb, names):
    """``(..., h, w, 3)`` uint8 -> ``(..., c, h, w)`` float32 in [0, 1], band order."""
    planes = [rgb[..., RGB_CHANNEL[b]] for b in names]
    return np.stack(planes, axis=-3).astype(np.float32) / np.float32(255)


@validate_params(
    {"images": ["array-like"], "bands": [str, list, tuple]},
    prefer_skip_nested_validation=True,
)
def colour_images_to_bands(images, *, bands="gri"):
    """8-bit RGB colour images ``(n, h, w, 3)`` as g, r, i bands ``(n, c, h, w)``.

    Red, green and blue are SDSS i, r and g: with ``bands="gri"`` channel 0 is the blue
    channel (g), 1 the green (r), 2 the red (i). Values are float32 in [0, 1]
    (``uint8 / 255``). An alpha channel (``(n, h, w, 4)``, RGBA) is dropped.

    .. warning::
       The pixels are **already asinh-stretched 8-bit** display values (Lupton et al.
       2004), not fluxes: fluxes are not recoverable, and a ``LogScaler`` or a
       background subtraction is not physically meaningful on them.

    Parameters
    ----------
    images : array-like of shape (n, h, w, 3) or (n, h, w, 4), uint8
        Colour images, channels last (as Pillow and matplotlib give them), e.g. the
        ``images`` of a Galaxy Zoo colour set.
    bands : str or list of str, default="gri"
        The bands to return, in this order: ``"i"`` gives the red channel alone.

    Returns
    -------
    ndarray of shape (n, c, h, w), or (n, h, w) for one band, float32
        Flatten with ``.reshape(len(images), -1)`` for rows of ``c * h * w`` pixels
        (``image_shape = (c, h, w)``).

    Raises
    ------
    ValueError
        For another shape (a single image, greyscale stacks) or a dtype other than
        uint8.

    Examples
    --------
    >>> import numpy as np
    >>> from skgalvae.io import colour_images_to_bands
    >>> rgb = np.zeros((1, 2, 2, 3), np.uint8)
    >>> rgb[..., 0] = 255  # red: the i band
    >>> bands = colour_images_to_bands(rgb)
    >>> bands.shape, bands[0, :, 0, 0].tolist()  # g, r, i
    ((1, 3, 2, 2), [0.0, 0.0, 1.0])
    >>> colour_images_to_bands(rgb, bands="i").shape
    (1, 2, 2)
    """
    names = _colour_bands(bands)
    arr = np.asarray(images)
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):
        msg = (
            f"images has shape {arr.shape}: one colour image (h, w, channels); pass a "
            "stack (n, h, w, 3), e.g. images[None]."
        )
        raise ValueError(msg)
    if arr.ndim != 4 or arr.shape[-1] not in (3, 4):
        msg = (
            f"images must be 8-bit colour images of shape (n, h, w, 3) (RGB) or "
            f"(n, h, w, 4) (RGBA, alpha dropped), channels last; got shape {arr.shape}. "
            "Greyscale images have no colour to map to g, r, i."
        )
        raise ValueError(msg)
    if arr.dtype != np.uint8:
        msg = (
            f"images must be 8-bit (dtype uint8), as read from JPEG/PNG files; got "
            f"dtype {arr.dtype}. Convert integer values in 0-255 with "
            ".astype(np.uint8); other data are not 8-bit colour composites."
        )
        raise ValueError(msg)
    out = _select(arr[..., :3], names)
    return out[:, 0] if len(names) == 1 else out


@validate_params(
    {"path": [str, os.PathLike], "bands": [str, list, tuple]},
    prefer_skip_nested_validation=True,
)
def read_colour_image(path, *, bands="gri"):
    """Read an 8-bit colour JPEG/PNG cutout as g, r, i bands ``(c, h, w)`` in [0, 1].

    Red, green and blue are SDSS i, r and g (channel 0 = blue = g with
    ``bands="gri"``); see :func:`colour_images_to_bands`. RGBA images lose their
    alpha channel; palette (``P``) and other colour modes are converted to RGB by Pillow;
    greyscale images (modes ``L``, ``LA``, ``1``, ``I``, ``F``...) are rejected: they
    have no colour to map to three bands.

    .. warning::
       The pixels are **already asinh-stretched 8-bit** display values, not fluxes:
       fluxes are not recoverable, and a ``LogScaler`` or a background subtraction is
       not physically meaningful on them.

    Parameters
    ----------
    path : str or path-like
    bands : str or list of str, default="gri"

    Returns
    -------
    ndarray of shape (c, h, w), or (h, w) for one band, float32

    Raises
    ------
    ColourImageError
        Naming the file: missing, a directory, not an image Pillow can read, truncated,
        or greyscale.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from PIL import Image
    >>> from skgalvae.io import read_colour_image
    >>> path = os.path.join(tempfile.mkdtemp(), "galaxy.png")
    >>> Image.fromarray(np.full((4, 4, 3), [255, 0, 51], np.uint8)).save(path)
    >>> image = read_colour_image(path)
    >>> image.shape, image[:, 0, 0].round(2).tolist()  # g (blue), r (green), i (red)
    ((3, 4, 4), [0.2, 0.0, 1.0])
    """
    names = _colour_bands(bands)
    image = _select(_read_rgb(Path(path)), names)
    return image[0] if len(names) == 1 else image


def _read_rgb(path):
    """The ``(h, w, 3)`` uint8 RGB pixels of a colour image file."""
    from PIL import Image, UnidentifiedImageError

    if path.is_dir():
        msg = f"image path {str(path)!r} is a directory, not a JPEG/PNG file."
        raise ColourImageError(msg)
    if not path.is_file():
        msg = f"image file {str(path)!r} does not exist."
        raise ColourImageError(msg)
    try:
        with Image.open(path) as img:
            mode = img.mode
            if mode not in _COLOUR_MODES:
                msg = (
                    f"image file {str(path)!r} is greyscale (Pillow mode {mode!r}): it "
                    "has no red, green and blue channels to map to i, r and g. Pass "
                    "colour (RGB) composites, or read a one-band image yourself."
                )
                raise ColourImageError(msg)
            if mode == "PA" or (mode == "P" and "transparency" in img.info):
                img = img.convert("RGBA")
            rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
    except ColourImageError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        msg = f"image file {str(path)!r} could not be read as a JPEG/PNG image: {exc}"
        raise ColourImageError(msg) from exc
    return rgb


def _load_colour(path, names, output_shape):
    try:
        image = _select(_read_rgb(Path(path)), names)
    except ColourImageError as exc:
        return None, str(exc)
    if output_shape is not None and image.shape[-2:] != tuple(output_shape):
        # display values, not fluxes: keep the pixel values (mean), not the sum
        image = resize_images(image, output_shape, preserve_flux=False)
        image = image.astype(np.float32)
    return (image[0] if len(names) == 1 else image), None


class ColourImageLoader(PathLoaderMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                        BaseEstimator):
    """Read 8-bit colour JPEG/PNG cutouts into rows of g, r, i bands in [0, 1].

    For Galaxy Zoo style subject images (SDSS gri composites): the red, green and blue
    channels are SDSS i, r and g, so row ``i`` is file ``i`` as a ``(c, h, w)`` cube in
    band-major order, channel 0 = blue = g, 1 = green = r, 2 = red = i
    (``image_shape_ = (3, h, w)`` with ``bands="gri"``; ``(h, w)`` for one band), float32
    ``uint8 / 255``. RGBA images lose their alpha channel; palette and other colour
    modes are converted to RGB (Pillow); greyscale images are rejected as bad files.

    .. warning::
       The pixels are **already asinh-stretched 8-bit** display values (Lupton et al.
       2004), colour-balanced and JPEG-compressed, not fluxes: fluxes (and physical
       colours) are not recoverable, and a :class:`~skgalvae.preprocessing.LogScaler`
       or a background subtraction is not physically meaningful on them. For fluxes,
       read the FITS frames with :class:`FITSLoader` (e.g. from
       :func:`~skgalvae.datasets.fetch_sdss_cutouts` with ``bands="gri"``).

    Parameters
    ----------
    bands : str or list of str, default="gri"
        The bands to keep, in this order; ``"i"``: the red channel alone.
    output_shape : tuple of int, default=None
        Resample every image to this ``(h, w)`` keeping pixel values (not flux: these
        are display values). When None, all images must share the first one's shape.
    on_error : {"raise", "nan"}, default="raise"
        ``"raise"``: a bad file raises a :class:`ColourImageError` naming it. ``"nan"``:
        its row becomes NaN and one warning lists every bad file with the reason.
    n_jobs : int, default=None
        Number of threads reading files in parallel.
    verbose : int, default=0
        Show a progress bar over the files when > 0.

    Attributes
    ----------
    image_shape_ : tuple of int
        ``(c, h, w)`` of the output images (``(h, w)`` for one band).
    n_features_in_ : int
        Always 1 (one path per row).

    See Also
    --------
    read_colour_image : one file.
    colour_images_to_bands : arrays ``(n, h, w, 3)`` of uint8 images.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from PIL import Image
    >>> from skgalvae.io import ColourImageLoader
    >>> path = os.path.join(tempfile.mkdtemp(), "galaxy.png")
    >>> Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    >>> loader = ColourImageLoader().fit([path])
    >>> loader.transform([path, path]).shape, loader.image_shape_
    ((2, 192), (3, 8, 8))
    """

    _parameter_constraints: dict = {
        "bands": [str, list, tuple],
        "output_shape": ["array-like", None],
        "on_error": [StrOptions({"raise", "nan"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(self, *, bands="gri", output_shape=None, on_error="raise", n_jobs=None,
                 verbose=0):
        self.bands = bands
        self.output_shape = output_shape
        self.on_error = on_error
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _settings(self):
        names = _colour_bands(self.bands)
        shape = None
        if self.output_shape is not None:
            shape = tuple(int(s) for s in self.output_shape)
            if len(shape) == 3 and shape[0] == len(names):
                shape = shape[1:]
            if len(shape) != 2:
                msg = (f"output_shape={tuple(self.output_shape)!r} must be (height, "
                       "width).")
                raise ValueError(msg)
        return names, shape

    def _paths(self, X):
        return _as_paths(X, who="ColourImageLoader", what="image")

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
        names, shape = self._settings()
        paths = self._paths(X)
        self.n_features_in_ = 1
        if shape is not None:
            self.image_shape_ = normalise_shape((len(names), *shape))
            return self
        errors = []
        for path in paths:
            image, error = _load_colour(path, names, None)
            if image is not None:
                self.image_shape_ = tuple(int(s) for s in image.shape)
                return self
            if self.on_error == "raise":
                raise ColourImageError(error)
            errors.append(error)
        msg = "No image in X could be read:\n" + "\n".join(errors)
        raise ColourImageError(msg)

    def transform(self, X):
        """Read the images.

        Parameters
        ----------
        X : sequence of str or path-like, or 1-column array / DataFrame

        Returns
        -------
        images : ndarray of shape (n_files, c*h*w), float32 in [0, 1]
            Row ``i`` is file ``i``, band-major (g, r, i); NaN rows for bad files when
            ``on_error="nan"``.
        """
        check_is_fitted(self)
        names, shape = self._settings()
        paths = self._paths(X)
        items = progress(paths, verbose=self.verbose, total=len(paths),
                         desc="Reading images", unit="file")
        if effective_n_jobs(self.n_jobs) == 1:
            results = [_load_colour(p, names, shape) for p in items]
        else:
            results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(_load_colour)(p, names, shape) for p in items)
        return stack_rows(paths, results, self.image_shape_, on_error=self.on_error,
                          error_class=ColourImageError,
                          describe=lambda i, path: f"image file {path!r}", what="images")

