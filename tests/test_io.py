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
from skgalvae.io import FITSLoader, FITSReadError, check_fits_files, read_fits_image

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


def test_loader_sklearn_api_checks():
    # FITSLoader takes paths, not numeric arrays, so its tags (two_d_array=False) make
    # parametrize_with_checks yield no check for it; run the API checks that apply.
    est = FITSLoader()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_parameters_default_constructible("FITSLoader", est)
        check_no_attributes_set_in_init("FITSLoader", est)
        check_get_params_invariance("FITSLoader", est)
        check_set_params("FITSLoader", est)
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
