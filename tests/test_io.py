"""FITSLoader and check_fits_files on the real bundled files and on bad files."""

import gzip
import warnings

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from skgalvae.datasets import load_sdss_sample
from skgalvae.io import (
    ColourImageError,
    ColourImageLoader,
    FITSLoader,
    FITSReadError,
    check_fits_files,
    colour_images_to_bands,
    read_colour_image,
    read_fits_image,
)

from .conftest import shared_data


@pytest.fixture(scope="module")
def sample():
    return load_sdss_sample()


def _write(path, data, **kw):
    fits.PrimaryHDU(data).writeto(path, **kw)
    return str(path)


@pytest.fixture
def bad_files(tmp_path):
    good = _write(tmp_path / "good.fits", np.ones((8, 8), np.float32))
    files = {
        "good": good,
        "missing": str(tmp_path / "missing.fits"),
        "corrupt": str(tmp_path / "corrupt.fits"),
        "empty": str(tmp_path / "empty.fits"),
        "cube": _write(tmp_path / "cube.fits", np.ones((3, 8, 8), np.float32)),
        "allnan": _write(tmp_path / "allnan.fits", np.full((8, 8), np.nan, np.float32)),
        "somenan": str(tmp_path / "somenan.fits"),
        "small": _write(tmp_path / "small.fits", np.ones((4, 4), np.float32)),
    }
    (tmp_path / "corrupt.fits").write_bytes(b"SIMPLE  = this is not a FITS file" * 10)
    fits.PrimaryHDU().writeto(files["empty"])
    some = np.ones((8, 8), np.float32)
    some[2, 2] = np.nan
    _write(files["somenan"], some)
    return files


def test_reads_bundled_fits_like_the_npz(sample):
    npz = np.load(shared_data("sdss_iband", "images.npz"))
    np.testing.assert_array_equal(sample.images, npz["images"])
    assert list(sample.catalog.name) == list(npz["names"])


def test_loader_paths_types_and_parallel(sample):
    paths = sample.catalog["path"][:5]
    loader = FITSLoader()
    out = loader.fit_transform(list(paths))
    assert out.shape == (5, 22500) and out.dtype == np.float32
    assert loader.image_shape_ == (150, 150)
    np.testing.assert_array_equal(out, sample.data[:5])
    np.testing.assert_array_equal(FITSLoader(n_jobs=2).fit_transform(paths.to_frame()), out)
    np.testing.assert_array_equal(FITSLoader().fit_transform(paths.to_numpy()[:, None]), out)
    assert FITSLoader().fit(paths).get_feature_names_out()[0] == "fitsloader0"


def test_loader_resamples_to_output_shape(sample, tmp_path):
    paths = list(sample.catalog["path"][:2])
    paths.append(_write(tmp_path / "big.fits.gz", np.ones((300, 300), np.float32)))
    out = FITSLoader(output_shape=(50, 50)).fit_transform(paths)
    assert out.shape == (3, 2500)
    assert out[2].sum() == pytest.approx(300 * 300, rel=1e-4)  # flux kept
    with pytest.raises(FITSReadError, match=r"big.fits.gz.*has shape \(300, 300\)"):
        FITSLoader().fit(paths[:2]).transform(paths)


@pytest.mark.parametrize(
    "kind, message",
    [
        ("missing", "does not exist"),
        ("corrupt", "could not be read"),
        ("empty", "has no image data"),
        ("cube", "3-D array"),
        ("allnan", "no finite pixel"),
        ("somenan", "1 NaN/inf pixels"),
        ("small", r"shape \(4, 4\)"),
    ],
)
def test_bad_file_errors_name_the_file(bad_files, kind, message):
    loader = FITSLoader().fit([bad_files["good"]])
    with pytest.raises(FITSReadError, match=message) as err:
        loader.transform([bad_files["good"], bad_files[kind]])
    assert bad_files[kind] in str(err.value)


def test_on_error_nan_keeps_rows_and_warns(bad_files):
    order = ["good", "missing", "good", "corrupt", "somenan"]
    paths = [bad_files[k] for k in order]
    loader = FITSLoader(on_error="nan").fit(paths)
    with pytest.warns(UserWarning, match="3 of 5 FITS files gave NaN rows") as rec:
        out = loader.transform(paths)
    message = str(rec[0].message)
    assert bad_files["missing"] in message and bad_files["corrupt"] in message
    assert out.shape == (5, 64)
    assert np.isnan(out[[1, 3, 4]]).all() and np.isfinite(out[[0, 2]]).all()
    filled = FITSLoader(fill_value=0.0).fit_transform([bad_files["somenan"]])
    assert filled[0, 2 * 8 + 2] == 0.0 and np.isfinite(filled).all()


def test_check_fits_files_table(bad_files):
    table = check_fits_files(list(bad_files.values()), expected_shape=(8, 8))
    assert isinstance(table, pd.DataFrame) and list(table.columns) == ["path", "reason"]
    assert set(table.path) == {v for k, v in bad_files.items() if k != "good"}
    assert check_fits_files([bad_files["good"]]).empty


def test_read_fits_image_hdu_selection(tmp_path):
    path = tmp_path / "ext.fits"
    hdul = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((5, 5)), name="SCI")])
    hdul.writeto(path)
    assert read_fits_image(path, hdu="SCI").shape == (5, 5)
    assert read_fits_image(path, hdu="auto").shape == (5, 5)
    with pytest.raises(FITSReadError, match="has no image data"):
        read_fits_image(path, hdu=0)
    with pytest.raises(FITSReadError, match="could not be read"):
        read_fits_image(path, hdu=7)
    gz = tmp_path / "plain.fits.gz"
    with gzip.open(gz, "wb") as f:
        fits.PrimaryHDU(np.zeros((3, 3), np.float32)).writeto(f)
    assert read_fits_image(gz).shape == (3, 3)


def test_bad_x_inputs(bad_files):
    with pytest.raises(TypeError, match="single path"):
        FITSLoader().fit(bad_files["good"])
    with pytest.raises(ValueError, match="exactly one column"):
        FITSLoader().fit(pd.DataFrame({"a": [1], "b": [2]}))
    with pytest.raises(ValueError, match="X is empty"):
        FITSLoader().fit([])


# The loaders take paths, not numeric arrays, so their tags (two_d_array=False) make
# parametrize_with_checks yield only check_estimator_cloneable for them (their
# configurations are in tests/test_estimator_checks.py); run the API checks that apply.
LOADER_CONFIGS = [
    (FITSLoader, {}),
    (FITSLoader, {"bands": "gri", "hdu": [1, 2, 3]}),
    (ColourImageLoader, {}),
    (ColourImageLoader, {"bands": "i", "output_shape": (8, 8)}),
]


@pytest.mark.parametrize("cls, params", LOADER_CONFIGS,
                         ids=[f"{c.__name__}-{p}" for c, p in LOADER_CONFIGS])
def test_loader_sklearn_api_checks(cls, params):
    est = cls(**params)
    name = cls.__name__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_parameters_default_constructible(name, est)
        check_no_attributes_set_in_init(name, est)
        check_get_params_invariance(name, est)
        check_set_params(name, est)
    assert clone(est).get_params() == est.get_params()
    assert clone(FITSLoader(hdu=1)).hdu == 1


def test_a_directory_is_named_as_such(tmp_path, bad_files):
    folder = tmp_path / "cutouts"
    folder.mkdir()
    with pytest.raises(FITSReadError, match="is a directory, not a FITS file") as err:
        read_fits_image(folder)
    assert str(folder) in str(err.value) and ".fits" in str(err.value)
    assert "does not exist" not in str(err.value)
    with pytest.raises(FITSReadError, match="is a directory") as err:
        FITSLoader().fit([str(folder)])
    assert str(folder) in str(err.value)
    loader = FITSLoader(on_error="nan").fit([bad_files["good"]])
    with pytest.warns(UserWarning, match="is a directory, not a FITS file"):
        out = loader.transform([bad_files["good"], str(folder)])
    assert np.isnan(out[1]).all() and np.isfinite(out[0]).all()
    table = check_fits_files([str(folder)])
    assert table.reason.str.contains("is a directory").all()


@pytest.mark.parametrize("call, culprit", [
    (lambda p: read_fits_image(p, hdu=-1), "hdu"),
    (lambda p: read_fits_image(p, fill_value="zero"), "fill_value"),
    (lambda p: read_fits_image(None), "path"),
    (lambda p: check_fits_files([p], n_jobs="2"), "n_jobs"),
    (lambda p: check_fits_files([p], hdu=1.5), "hdu"),
])
def test_io_function_parameters_are_validated(bad_files, call, culprit):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=f"'{culprit}' parameter"):
        call(bad_files["good"])


# ------------------------------------------------------------------ several bands
BANDS = "gri"


def _wcs_header(crpix_shift=(0.0, 0.0), shape=(8, 10)):
    from astropy.wcs import WCS

    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [229.46686, 33.63632]
    wcs.wcs.crpix = [shape[1] / 2 + crpix_shift[0], shape[0] / 2 + crpix_shift[1]]
    wcs.wcs.cdelt = [-0.396 / 3600, 0.396 / 3600]
    return wcs.to_header()


@pytest.fixture
def galaxies(tmp_path):
    """Two galaxies of three 8x10 bands, written in every layout FITSLoader reads."""
    rng = np.random.default_rng(0)
    cubes = rng.normal(size=(2, 3, 8, 10)).astype(np.float32)
    layouts = {"files": [], "template": [], "cube": [], "mef": []}
    for k, cube in enumerate(cubes):
        row = []
        for band, plane in zip(BANDS, cube):
            path = tmp_path / f"sdss_{band}_{k}.fits"
            fits.PrimaryHDU(plane, header=_wcs_header()).writeto(path)
            row.append(str(path))
        layouts["files"].append(row)
        layouts["template"].append(str(tmp_path / f"sdss_{{band}}_{k}.fits"))
        layouts["cube"].append(_write(tmp_path / f"cube_{k}.fits.gz", cube))
        hdul = fits.HDUList([fits.PrimaryHDU()] + [
            fits.ImageHDU(plane, header=_wcs_header(), name=band.upper())
            for band, plane in zip(BANDS, cube)])
        hdul.writeto(tmp_path / f"mef_{k}.fits")
        layouts["mef"].append(str(tmp_path / f"mef_{k}.fits"))
    return cubes, layouts


def test_per_band_files_templates_cubes_and_extensions_load_the_same(galaxies):
    cubes, layouts = galaxies
    expected = cubes.reshape(2, -1)
    files = np.array(layouts["files"])
    shuffled = pd.DataFrame({"i": files[:, 2], "g": files[:, 0], "r": files[:, 1]})
    cases = {
        "2-D array": (FITSLoader(bands="gri"), files),
        "DataFrame by band name": (FITSLoader(bands="gri"), shuffled),
        "list of band names": (FITSLoader(bands=["g", "r", "i"]), files.tolist()),
        "template": (FITSLoader(bands="gri"), layouts["template"]),
        "template, one column": (FITSLoader(bands="gri"),
                                 pd.DataFrame({"path": layouts["template"]})),
        "cube": (FITSLoader(bands="gri"), layouts["cube"]),
        "cube, hdu auto": (FITSLoader(bands="gri", hdu="auto"), layouts["cube"]),
        "extensions by name": (FITSLoader(bands="gri", hdu=["G", "R", "I"]),
                               layouts["mef"]),
        "extensions by index": (FITSLoader(bands="gri", hdu=[1, 2, 3], n_jobs=2),
                                layouts["mef"]),
    }
    for case, (loader, X) in cases.items():
        out = loader.fit_transform(X)
        assert loader.image_shape_ == (3, 8, 10), case
        assert out.dtype == np.float32 and out.shape == (2, 240), case
        np.testing.assert_array_equal(out, expected, err_msg=case)
    # band-major rows: row.reshape(c, h, w)[k] is band k
    np.testing.assert_array_equal(out[1].reshape(3, 8, 10)[2], cubes[1, 2])
    names = FITSLoader(bands="gri").fit(files).get_feature_names_out()
    assert len(names) == 240 and names[0] == "fitsloader0"
    # columns named by the bands are picked by name, also for one band
    i_only = FITSLoader(bands="i").fit_transform(shuffled)
    np.testing.assert_array_equal(i_only, cubes[:, 2].reshape(2, -1))
    # a sub-selection of the bands, in any order the caller names
    two = FITSLoader(bands="ri", hdu=[2, 3]).fit_transform(layouts["mef"])
    np.testing.assert_array_equal(two, cubes[:, 1:].reshape(2, -1))


def test_one_band_is_bit_for_bit_as_before(sample, tmp_path):
    paths = list(sample.catalog["path"][:4])
    before = FITSLoader().fit_transform(paths)
    np.testing.assert_array_equal(before, sample.data[:4])
    one = FITSLoader(bands="i")
    out = one.fit_transform(paths)
    assert one.image_shape_ == (150, 150) and out.dtype == before.dtype
    assert out.tobytes() == before.tobytes()
    templates = [p.replace("sdss_i_", "sdss_{band}_") for p in paths]
    assert FITSLoader(bands="i").fit_transform(templates).tobytes() == before.tobytes()
    resampled = FITSLoader(output_shape=(40, 40)).fit_transform(paths)
    assert FITSLoader(bands="i", output_shape=(40, 40)).fit_transform(paths).tobytes() \
        == resampled.tobytes()
    assert check_fits_files(paths, bands="i").empty


def test_multi_band_output_shape_resamples_every_band(galaxies):
    cubes, layouts = galaxies
    loader = FITSLoader(bands="gri", output_shape=(4, 5))
    out = loader.fit_transform(layouts["cube"])
    assert loader.image_shape_ == (3, 4, 5) and out.shape == (2, 60)
    sums = out.reshape(2, 3, -1).sum(axis=2)
    np.testing.assert_allclose(sums, cubes.sum(axis=(2, 3)), rtol=1e-4, atol=1e-4)
    same = FITSLoader(bands="gri", output_shape=(3, 4, 5)).fit_transform(layouts["cube"])
    np.testing.assert_array_equal(same, out)


def test_band_of_another_shape_is_named_with_its_file_and_band(galaxies, tmp_path):
    cubes, layouts = galaxies
    files = [list(row) for row in layouts["files"]]
    odd = _write(tmp_path / "odd_r_1.fits", np.ones((4, 4), np.float32))
    files[1][1] = odd
    loader = FITSLoader(bands="gri").fit(files[:1])
    with pytest.raises(FITSReadError, match=r"galaxy 1: band 'r'") as err:
        loader.transform(files)
    message = str(err.value)
    assert odd in message and r"(4, 4)" in message and "(8, 10)" in message
    assert files[1][0] in message  # the band it disagrees with
    # on_error="nan": the galaxy's row is NaN, the warning names the file and band
    with pytest.warns(UserWarning, match=r"1 of 2 galaxies gave NaN rows") as rec:
        out = FITSLoader(bands="gri", on_error="nan").fit(files).transform(files)
    assert odd in str(rec[0].message) and "band 'r'" in str(rec[0].message)
    assert np.isnan(out[1]).all()
    np.testing.assert_array_equal(out[0], cubes[0].ravel())
    table = check_fits_files(files, bands="gri")
    assert list(table.columns) == ["row", "band", "path", "reason"]
    assert table[["row", "band", "path"]].to_numpy().tolist() == [[1, "r", odd]]
    assert "share one pixel grid" in table.reason[0]
    # a galaxy of other (consistent) shape: named as a galaxy, like a one-band file
    big = [_write(tmp_path / f"big_{b}.fits", np.ones((6, 6), np.float32)) for b in BANDS]
    with pytest.raises(FITSReadError, match=r"galaxy 1 .*big_g.*has shape \(3, 6, 6\)"):
        loader.transform([files[0], big])
    assert check_fits_files([files[0], big], bands="gri",
                            expected_shape=(8, 10)).row.tolist() == [1]


@pytest.mark.parametrize("kind, message", [
    ("missing", "does not exist"),
    ("corrupt", "could not be read"),
    ("somenan", "1 NaN/inf pixels"),
    ("allnan", "no finite pixel"),
    ("cube", "3-D array"),
])
def test_a_bad_band_is_named_with_its_file(galaxies, bad_files, kind, message):
    _, layouts = galaxies
    files = [list(row) for row in layouts["files"]]
    files[0][2] = bad_files[kind]  # the i band of galaxy 0
    with pytest.raises(FITSReadError, match=rf"galaxy 0: band 'i': .*{message}") as err:
        FITSLoader(bands="gri").fit(files)
    assert bad_files[kind] in str(err.value)
    table = check_fits_files(files, bands="gri")
    assert table[["row", "band", "path"]].to_numpy().tolist() == [[0, "i",
                                                                    bad_files[kind]]]
    assert table.reason.str.contains(message).all()


def test_missing_extension_and_cube_errors_name_the_band(galaxies, tmp_path):
    _, layouts = galaxies
    with pytest.raises(FITSReadError, match=r"band 'i': .*could not be read \(hdu='Z'\)"):
        FITSLoader(bands="gri", hdu=["G", "R", "Z"]).fit(layouts["mef"])
    two = _write(tmp_path / "two.fits", np.ones((2, 8, 10), np.float32))
    with pytest.raises(FITSReadError, match="cube of 2 planes.*names 3") as err:
        FITSLoader(bands="gri").fit([two])
    assert two in str(err.value)
    flat = _write(tmp_path / "flat.fits", np.ones((8, 10), np.float32))
    with pytest.raises(FITSReadError, match=r"2-D array.*a 3-D cube of 3 planes"):
        FITSLoader(bands="gri").fit([flat])
    filled = FITSLoader(bands="gri", fill_value=0.0)
    nan_cube = np.ones((3, 8, 10), np.float32)
    nan_cube[1, 2, 3] = np.nan
    path = _write(tmp_path / "nan_cube.fits", nan_cube)
    assert filled.fit_transform([path])[0].reshape(3, 8, 10)[1, 2, 3] == 0.0


def test_bands_on_other_pixel_grids_are_reported(galaxies, tmp_path):
    cubes, layouts = galaxies
    files = [list(row) for row in layouts["files"]]
    shifted = tmp_path / "shifted_g.fits"
    fits.PrimaryHDU(cubes[0, 0], header=_wcs_header((1.0, 0.0))).writeto(shifted)
    files[0][0] = str(shifted)  # the reference band g is off by one pixel
    with pytest.raises(FITSReadError, match=r"band 'r'.*not on the pixel grid of band "
                       r"'g'.*differ by up to 1 pixels"):
        FITSLoader(bands="gri").fit(files)
    nearly = tmp_path / "nearly_g.fits"
    fits.PrimaryHDU(cubes[0, 0], header=_wcs_header((0.01, 0.0))).writeto(nearly)
    files[0][0] = str(nearly)
    out = FITSLoader(bands="gri").fit_transform(files)
    np.testing.assert_array_equal(out, cubes.reshape(2, -1))
    # a band without WCS is not compared; the others still are, with each other
    files[0][0] = _write(tmp_path / "nowcs_g.fits", cubes[0, 0])
    np.testing.assert_array_equal(FITSLoader(bands="gri").fit_transform(files), out)
    fits.PrimaryHDU(cubes[0, 2], header=_wcs_header((0.0, -2.0))).writeto(
        tmp_path / "shifted_i.fits")
    files[0][2] = str(tmp_path / "shifted_i.fits")
    with pytest.raises(FITSReadError, match=r"shifted_i.*band 'i'.*not on the pixel "
                       r"grid of band 'r'.*up to 2 pixels"):
        FITSLoader(bands="gri").fit(files)


def test_multi_band_configuration_errors(galaxies):
    _, layouts = galaxies
    with pytest.raises(ValueError, match=r"lists 2 HDUs but there are 3 bands"):
        FITSLoader(bands="gri", hdu=[1, 2]).fit(layouts["mef"])
    with pytest.raises(ValueError, match=r"there are no bands \(bands=None\)"):
        FITSLoader(hdu=[1, 2, 3]).fit(layouts["mef"])
    with pytest.raises(ValueError, match=r"template with '\{band\}' but bands is None"):
        FITSLoader().fit(layouts["template"])
    with pytest.raises(ValueError, match="must name at least one band, each once"):
        FITSLoader(bands="gg").fit(layouts["cube"])
    with pytest.raises(ValueError, match=r"shape \(2, 2\) but bands='gri' names 3"):
        FITSLoader(bands="gri").fit(np.array(layouts["files"])[:, :2])
    with pytest.raises(ValueError, match="2 columns.*names 3"):
        FITSLoader(bands="gri").fit(pd.DataFrame({"a": ["x"], "b": ["y"]}))
    with pytest.raises(ValueError, match="exactly one column.*bands="):
        FITSLoader().fit(pd.DataFrame(layouts["files"]))
    with pytest.raises(ValueError, match=r"output_shape=\(2, 4, 5\) must be"):
        FITSLoader(bands="gri", output_shape=(2, 4, 5)).fit(layouts["cube"])
    with pytest.raises(ValueError, match="lists 2 HDUs"):
        check_fits_files(layouts["mef"], bands="gri", hdu=[1, 2])


# ------------------------------------------------------------ 8-bit colour images
def _rgb(h=4, w=5, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def _save(path, array, mode=None):
    from PIL import Image

    Image.fromarray(array, mode=mode).save(path)
    return str(path)


def test_colour_png_maps_red_green_blue_to_i_r_g(tmp_path):
    rgb = _rgb()
    path = _save(tmp_path / "galaxy.png", rgb)
    image = read_colour_image(path)
    assert image.shape == (3, 4, 5) and image.dtype == np.float32
    # channel 0 = blue = g, 1 = green = r, 2 = red = i; uint8 / 255, exactly (PNG)
    for k, rgb_channel in enumerate([2, 1, 0]):
        np.testing.assert_array_equal(image[k], rgb[..., rgb_channel] / np.float32(255))
    assert 0.0 <= image.min() and image.max() <= 1.0
    np.testing.assert_array_equal(read_colour_image(path, bands="i"), image[2])
    np.testing.assert_array_equal(read_colour_image(path, bands="ig"), image[[2, 0]])
    # RGBA loses its alpha channel; a palette image is converted to its colours
    rgba = np.dstack([rgb, np.full((4, 5), 7, np.uint8)])
    np.testing.assert_array_equal(read_colour_image(_save(tmp_path / "a.png", rgba)),
                                  image)
    from PIL import Image

    palette = Image.fromarray(rgb).quantize(colors=256)
    palette.save(tmp_path / "p.png")
    expected = np.asarray(palette.convert("RGB"))
    np.testing.assert_array_equal(read_colour_image(tmp_path / "p.png")[2],
                                  expected[..., 0] / np.float32(255))


def test_colour_jpeg_maps_red_green_blue_to_i_r_g(tmp_path):
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[...] = [230, 120, 20]  # red (i) bright, green (r) mid, blue (g) faint
    path = _save(tmp_path / "galaxy.jpeg", rgb)
    image = read_colour_image(path)
    assert image.shape == (3, 16, 16)
    np.testing.assert_allclose(image.mean(axis=(1, 2)), [20 / 255, 120 / 255, 230 / 255],
                               atol=3 / 255)  # JPEG is lossy
    loader = ColourImageLoader()
    out = loader.fit_transform([path, path])
    assert loader.image_shape_ == (3, 16, 16) and out.shape == (2, 768)
    np.testing.assert_array_equal(out[0].reshape(3, 16, 16), image)


def test_colour_images_to_bands_on_arrays():
    rgb = np.stack([_rgb(seed=0), _rgb(seed=1)])
    bands = colour_images_to_bands(rgb)
    assert bands.shape == (2, 3, 4, 5) and bands.dtype == np.float32
    np.testing.assert_array_equal(bands[:, 0], rgb[..., 2] / np.float32(255))  # g = blue
    np.testing.assert_array_equal(bands[:, 2], rgb[..., 0] / np.float32(255))  # i = red
    np.testing.assert_array_equal(colour_images_to_bands(rgb, bands="i"), bands[:, 2])
    rgba = np.concatenate([rgb, np.zeros((2, 4, 5, 1), np.uint8)], axis=-1)
    np.testing.assert_array_equal(colour_images_to_bands(rgba), bands)
    with pytest.raises(ValueError, match=r"one colour image.*images\[None\]"):
        colour_images_to_bands(rgb[0])
    with pytest.raises(ValueError, match="dtype uint8.*float64"):
        colour_images_to_bands(rgb / 255.0)
    with pytest.raises(ValueError, match="Greyscale images have no colour"):
        colour_images_to_bands(rgb[..., 0])
    with pytest.raises(ValueError, match="'g' \\(blue\\), 'r' \\(green\\), 'i' \\(red\\)"):
        colour_images_to_bands(rgb, bands="gru")


def test_colour_images_to_bands_on_the_gz1_colour_set():
    npz = np.load(shared_data("gz1_sdss_colour", "images_rgb64.npz"))
    rgb = npz["images"][:8]
    bands = colour_images_to_bands(rgb)
    assert bands.shape == (8, 3, 64, 64)
    np.testing.assert_array_equal(bands[:, 1], rgb[..., 1] / np.float32(255))


def test_colour_loader_bad_files_and_options(tmp_path):
    good = _save(tmp_path / "good.png", _rgb(8, 8))
    grey = _save(tmp_path / "grey.png", _rgb(8, 8)[..., 0])
    junk = tmp_path / "junk.jpeg"
    junk.write_bytes(b"not an image" * 10)
    with pytest.raises(ColourImageError, match="greyscale \\(Pillow mode 'L'\\)") as err:
        read_colour_image(grey)
    assert grey in str(err.value)
    with pytest.raises(ColourImageError, match="could not be read as a JPEG/PNG"):
        read_colour_image(junk)
    with pytest.raises(ColourImageError, match="does not exist"):
        ColourImageLoader().fit([str(tmp_path / "missing.png")])
    loader = ColourImageLoader(on_error="nan").fit([good])
    with pytest.warns(UserWarning, match="2 of 3 images gave NaN rows") as rec:
        out = loader.transform([good, grey, str(junk)])
    assert grey in str(rec[0].message) and str(junk) in str(rec[0].message)
    assert np.isnan(out[1:]).all() and np.isfinite(out[0]).all()
    with pytest.raises(ColourImageError, match=r"has shape \(3, 4, 5\)"):
        ColourImageLoader().fit([good]).transform([_save(tmp_path / "s.png", _rgb())])
    # resampling keeps pixel values (display values, not fluxes); bands="i": red only
    flat = np.full((8, 8, 3), [200, 100, 50], np.uint8)
    red = ColourImageLoader(bands="i", output_shape=(4, 4))
    small = red.fit_transform([_save(tmp_path / "flat.png", flat)])
    assert red.image_shape_ == (4, 4)
    np.testing.assert_allclose(small, 200 / 255, rtol=1e-6)
    with pytest.raises(TypeError, match="single path"):
        ColourImageLoader().fit(good)
    assert ColourImageLoader().fit([good]).get_feature_names_out()[0] == \
        "colourimageloader0"


def test_colour_loader_docstrings_say_the_pixels_are_stretched():
    import inspect

    for obj in (ColourImageLoader, read_colour_image, colour_images_to_bands):
        doc = " ".join(inspect.getdoc(obj).split())
        assert "already asinh-stretched 8-bit" in doc, obj
        assert "not fluxes" in doc and "LogScaler" in doc, obj
