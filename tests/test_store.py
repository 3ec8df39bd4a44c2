"""preprocess_to_store: chunked, resumable preprocessing into zarr / .npy stores, and the
``skgalvae preprocess`` command."""

import json
import sys
import warnings

import numpy as np
import pytest
from astropy.io import fits
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skgalvae.io import FITSLoader, FITSReadError
from skgalvae.preprocessing import Resizer, make_preprocessing_pipeline, preprocess_to_store
from skgalvae.preprocessing._store import progress_path
from skgalvae.study import main

from .conftest import gaussian_galaxy

N, SIDE, OUT = 10, 32, 16
CHUNK = 3  # 10 rows: chunks of 3, 3, 3, 1


def _images(n=N, seed=0):
    rng = np.random.default_rng(seed)
    stack = [gaussian_galaxy((SIDE, SIDE), angle_deg=15.0 * i, sigma_major=4 + i % 3,
                             centre=(15.5 + rng.uniform(-2, 2), 15.5 + rng.uniform(-2, 2)))
             for i in range(n)]
    stack = np.stack(stack) + rng.normal(0, 0.002, (n, SIDE, SIDE)).astype(np.float32)
    return stack.reshape(n, -1).astype(np.float32)


@pytest.fixture(scope="module")
def images():
    return _images()


def _pipe(output_shape=OUT, **kw):
    return make_preprocessing_pipeline(output_shape=output_shape, mask_companions=False, **kw)


@pytest.fixture(scope="module")
def expected(images):
    return _pipe().fit_transform(images).astype(np.float32)


def _write_fits(folder, images):
    folder.mkdir(exist_ok=True)
    paths = []
    for i, image in enumerate(images):
        path = folder / f"g{i:03d}.fits"
        fits.PrimaryHDU(image.reshape(SIDE, SIDE)).writeto(path)
        paths.append(str(path))
    return paths


@pytest.fixture
def count_resizes(monkeypatch):
    """Count Resizer.transform calls (once per chunk); raise KeyboardInterrupt on call
    number ``calls["fail_at"]`` when set."""
    calls = {"n": 0, "fail_at": None}
    original = Resizer.transform

    def transform(self, X):
        calls["n"] += 1
        if calls["n"] == calls["fail_at"]:
            raise KeyboardInterrupt
        return original(self, X)

    monkeypatch.setattr(Resizer, "transform", transform)
    return calls


def _read(store):
    if store.suffix == ".npy":
        return np.load(store)
    import zarr

    return zarr.open_array(store=str(store), mode="r")[:]


def _state(store):
    return json.loads(progress_path(store).read_text())


# ------------------------------------------------------------------ the store's content
@pytest.mark.parametrize("fmt, name", [("zarr", "X.zarr"), ("npy", "X.npy")])
def test_store_equals_fit_transform(tmp_path, images, expected, fmt, name):
    pipe = _pipe()
    X = preprocess_to_store(pipe, images, tmp_path / name, chunk_size=CHUNK, verbose=0)
    assert X.shape == (N, OUT * OUT) and X.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(X[:]), expected)
    with pytest.raises(NotFittedError):  # a clone was fitted, not the pipeline passed
        check_is_fitted(pipe)
    state = _state(tmp_path / name)
    assert state["complete"] and state["done"] == [0, 1, 2, 3] and state["format"] == fmt
    if fmt == "npy":
        assert isinstance(X, np.memmap) and not X.flags.writeable
    else:
        assert X.chunks == (CHUNK, OUT * OUT)
        with pytest.raises(Exception):  # noqa: B017 - zarr's read-only error type varies
            X[0] = 0


def test_format_auto_and_explicit(tmp_path, images, expected):
    X = preprocess_to_store(_pipe(), images, tmp_path / "plain", chunk_size=4, verbose=0)
    assert (tmp_path / "plain" / "zarr.json").exists() or (tmp_path / "plain" / ".zarray").exists()
    Y = preprocess_to_store(_pipe(), images, tmp_path / "X.bin", format="npy", verbose=0)
    np.testing.assert_array_equal(X[:], expected)
    np.testing.assert_array_equal(np.load(tmp_path / "X.bin"), expected)
    assert Y.shape == expected.shape


def test_on_disk_and_3d_sources(tmp_path, images, expected):
    import h5py
    import zarr

    np.save(tmp_path / "raw.npy", images.reshape(N, SIDE, SIDE))
    z = zarr.open_array(store=str(tmp_path / "raw.zarr"), mode="w", shape=images.shape,
                        chunks=(4, images.shape[1]), dtype="float32")
    z[:] = images
    with h5py.File(tmp_path / "raw.h5", "w") as f:
        f["images"] = images
    with h5py.File(tmp_path / "raw.h5", "r") as f:
        sources = {
            "memmap": np.load(tmp_path / "raw.npy", mmap_mode="r"),
            "npy path": str(tmp_path / "raw.npy"),
            "zarr": zarr.open_array(store=str(tmp_path / "raw.zarr"), mode="r"),
            "zarr path": tmp_path / "raw.zarr",
            "h5py": f["images"],
            "4-D": images.reshape(N, 1, SIDE, SIDE),
        }
        for i, (what, source) in enumerate(sources.items()):
            X = preprocess_to_store(_pipe(), source, tmp_path / f"out{i}.npy",
                                    chunk_size=CHUNK, verbose=0)
            np.testing.assert_array_equal(X, expected, err_msg=what)


def test_multiband_sources(tmp_path, images):
    # (n, c, h, w) sources (c > 1) were rejected as "rows are not images"; now each
    # chunk goes through the multi-band pipeline as it would in memory
    cubes = np.stack([images, 2 * images, 3 * images], axis=1).reshape(N, 3, SIDE, SIDE)
    pipe = _pipe(image_shape=(3, SIDE, SIDE))
    expected = pipe.fit_transform(cubes).astype(np.float32)
    assert expected.shape == (N, 3 * OUT * OUT)
    np.save(tmp_path / "cubes.npy", cubes)
    for i, source in enumerate([cubes, np.load(tmp_path / "cubes.npy", mmap_mode="r")]):
        X = preprocess_to_store(pipe, source, tmp_path / f"out{i}.npy", chunk_size=CHUNK,
                                verbose=0)
        np.testing.assert_array_equal(X, expected)


def test_integer_images_are_cast(tmp_path):
    counts = (_images() * 1e4).astype(np.int32)
    X = preprocess_to_store(_pipe(), counts, tmp_path / "X.npy", chunk_size=4, verbose=0)
    np.testing.assert_allclose(X, _pipe().fit_transform(counts.astype(np.float32)),
                               atol=1e-6)


def test_fits_sources(tmp_path, images):
    paths = _write_fits(tmp_path / "cutouts", images[:7])
    expected = _pipe().fit_transform(FITSLoader().fit_transform(paths))
    (tmp_path / "list.txt").write_text("# cutouts\n" + "\n".join(
        f"cutouts/g{i:03d}.fits" for i in range(7)) + "\n")
    for i, source in enumerate([paths, str(tmp_path / "cutouts"), tmp_path / "list.txt"]):
        X = preprocess_to_store(_pipe(), source, tmp_path / f"X{i}.zarr", chunk_size=CHUNK,
                                verbose=0)
        np.testing.assert_array_equal(X[:], expected)
    # a folder and the same files listed are one source: the store is reused as is
    state = _state(tmp_path / "X1.zarr")
    assert state["source"] == _state(tmp_path / "X2.zarr")["source"]


# ------------------------------------------------------------------ resumption
@pytest.mark.parametrize("name", ["X.zarr", "X.npy"])
def test_resume_after_interruption(tmp_path, images, expected, count_resizes, name):
    store = tmp_path / name
    count_resizes["fail_at"] = 3  # the third chunk
    with pytest.raises(KeyboardInterrupt):
        preprocess_to_store(_pipe(), images, store, chunk_size=CHUNK, verbose=0)
    state = _state(store)
    assert state["done"] == [0, 1] and not state["complete"]
    np.testing.assert_array_equal(_read(store)[:6], expected[:6])  # committed rows
    count_resizes.update(n=0, fail_at=None)
    X = preprocess_to_store(_pipe(n_jobs=2), images, store, chunk_size=CHUNK, verbose=0)
    assert count_resizes["n"] == 2  # chunks 2 and 3 only; n_jobs changes no result
    np.testing.assert_array_equal(np.asarray(X[:]), expected)
    count_resizes["n"] = 0
    preprocess_to_store(_pipe(), images, store, chunk_size=CHUNK, verbose=0)
    assert count_resizes["n"] == 0  # complete: returned at once


def test_interrupted_before_any_chunk_restarts(tmp_path, images, expected, count_resizes):
    store = tmp_path / "X.npy"
    count_resizes["fail_at"] = 1
    with pytest.raises(KeyboardInterrupt):
        preprocess_to_store(_pipe(), images, store, chunk_size=CHUNK, verbose=0)
    count_resizes.update(n=0, fail_at=None)
    X = preprocess_to_store(_pipe(), images, store, chunk_size=CHUNK, verbose=0)
    assert count_resizes["n"] == 4
    np.testing.assert_array_equal(X, expected)


def test_other_pipeline_source_or_chunks_refuse(tmp_path, images, expected):
    store = tmp_path / "X.zarr"
    preprocess_to_store(_pipe(), images, store, chunk_size=CHUNK, verbose=0)
    for kwargs in [dict(pipeline=_pipe(output_shape=8), source=images),
                   dict(pipeline=_pipe(stretch=1.0), source=images),
                   dict(pipeline=_pipe(), source=images[::-1].copy()),
                   dict(pipeline=_pipe(), source=images[:9])]:
        with pytest.raises(ValueError, match=r"X\.zarr.*another.*overwrite=True"):
            preprocess_to_store(store=store, chunk_size=CHUNK, verbose=0, **kwargs)
    with pytest.raises(ValueError, match=r"chunk_size=3, not 4.*overwrite=True"):
        preprocess_to_store(_pipe(), images, store, chunk_size=4, verbose=0)
    np.testing.assert_array_equal(preprocess_to_store(
        _pipe(), images, store, chunk_size=CHUNK, verbose=0)[:], expected)
    X = preprocess_to_store(_pipe(output_shape=8), images, store, chunk_size=4,
                            overwrite=True, verbose=0)
    np.testing.assert_array_equal(X[:], _pipe(output_shape=8).fit_transform(images))
    assert X.chunks == (4, 64)


def test_plain_pipeline_of_the_same_steps_has_the_same_fingerprint(tmp_path, images,
                                                                   expected, count_resizes):
    # make_preprocessing_pipeline returns a Pipeline subclass that only runs faster: a
    # store begun with a plain Pipeline of the same steps (as before) resumes with it
    from sklearn.pipeline import Pipeline

    store = tmp_path / "X.npy"
    count_resizes["fail_at"] = 3
    with pytest.raises(KeyboardInterrupt):
        preprocess_to_store(Pipeline(_pipe().steps), images, store, chunk_size=CHUNK,
                            verbose=0)
    count_resizes.update(n=0, fail_at=None)
    X = preprocess_to_store(_pipe(n_jobs=2), images, store, chunk_size=CHUNK, verbose=0)
    assert count_resizes["n"] == 2  # chunks 2 and 3 only
    np.testing.assert_array_equal(np.asarray(X[:]), expected)


@pytest.mark.parametrize("name", ["X.zarr", "X.npy"])
def test_existing_foreign_store_refuses(tmp_path, images, expected, name):
    store = tmp_path / name
    if name.endswith("npy"):
        np.save(store, np.zeros((5, 5), np.float32))
    else:
        import zarr

        zarr.open_array(store=str(store), mode="w", shape=(5, 5), dtype="float32")
    with pytest.raises(ValueError, match=r"already exists \(a store of shape \(5, 5\)\).*"
                                         "overwrite=True"):
        preprocess_to_store(_pipe(), images, store, verbose=0)
    X = preprocess_to_store(_pipe(), images, store, overwrite=True, verbose=0)
    np.testing.assert_array_equal(X[:], expected)


def test_store_changed_behind_its_progress_file(tmp_path, images):
    store = tmp_path / "X.npy"
    preprocess_to_store(_pipe(), images, store, chunk_size=CHUNK, verbose=0)
    np.save(store, np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match=r"shape \(3, 3\), not the \(10, 256\).*overwrite"):
        preprocess_to_store(_pipe(), images, store, chunk_size=CHUNK, verbose=0)


def test_overwrite_keeps_folders_that_are_not_stores(tmp_path, images):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a zarr array"):
        preprocess_to_store(_pipe(), images, folder, overwrite=True, verbose=0)
    assert (folder / "precious.txt").exists()


# ------------------------------------------------------------------ fitting
def test_data_dependent_steps_need_a_fitted_pipeline(tmp_path, images):
    pipe = _pipe(normalize="global")
    with pytest.raises(ValueError, match=r"step 'log'.*random sample.*fitted pipeline"):
        preprocess_to_store(pipe, images, tmp_path / "X.npy", verbose=0)
    pipe.fit(images[:6])  # fitted on a sample: it only transforms
    X = preprocess_to_store(pipe, images, tmp_path / "X.npy", chunk_size=CHUNK, verbose=0)
    np.testing.assert_array_equal(X, pipe.transform(images))
    other = clone(pipe).fit(images[4:])  # other learned scale: another pipeline
    assert other[-1].scale_ != pipe[-1].scale_
    with pytest.raises(ValueError, match="another pipeline"):
        preprocess_to_store(other, images, tmp_path / "X.npy", chunk_size=CHUNK, verbose=0)
    with pytest.raises(ValueError, match="fit=False"):
        preprocess_to_store(_pipe(), images, tmp_path / "Y.npy", fit=False, verbose=0)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("source, match", [
    (np.zeros((0, 256), np.float32), "source is empty"),
    ([], "source is empty"),
    (np.zeros(256, np.float32), "rows are not images"),
    (np.zeros((4, 2, 2, 16, 16), np.float32), "rows are not images"),
    (np.zeros((4, 16, 16), np.complex64), "rows are not images"),
])
def test_bad_sources(tmp_path, source, match):
    with pytest.raises(ValueError, match=match):
        preprocess_to_store(_pipe(), source, tmp_path / "X.npy", verbose=0)
    assert not (tmp_path / "X.npy").exists()


def test_bad_paths(tmp_path, images):
    with pytest.raises(ValueError, match=r"folder of store .* does not exist"):
        preprocess_to_store(_pipe(), images, tmp_path / "nowhere" / "X.npy", verbose=0)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        preprocess_to_store(_pipe(), tmp_path / "missing", tmp_path / "X.npy", verbose=0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no FITS file"):
        preprocess_to_store(_pipe(), tmp_path / "empty", tmp_path / "X.npy", verbose=0)


@pytest.mark.filterwarnings("ignore:1 of 3 FITS files gave NaN rows")
def test_bad_fits_file(tmp_path, images):
    paths = _write_fits(tmp_path / "cutouts", images[:7])
    (tmp_path / "cutouts" / "g004.fits").write_bytes(b"not a FITS file" * 100)
    store = tmp_path / "X.npy"
    with pytest.raises(FITSReadError, match="g004.fits"):  # the default loader raises
        preprocess_to_store(_pipe(), paths, store, chunk_size=CHUNK, verbose=0)
    assert _state(store)["done"] == [0]  # the chunk before is kept
    with pytest.raises(ValueError, match="another source"):  # the loader is part of it
        preprocess_to_store(_pipe(), paths, store, chunk_size=CHUNK, verbose=0,
                            loader=FITSLoader(on_error="nan"))
    with pytest.warns(UserWarning, match=r"1 of 7 rows .* are NaN"):
        X = preprocess_to_store(_pipe(), paths, store, chunk_size=CHUNK, verbose=0,
                                loader=FITSLoader(on_error="nan"), overwrite=True)
    assert np.isnan(X[4]).all() and np.isfinite(np.delete(X, 4, axis=0)).all()
    good = [p for i, p in enumerate(paths) if i != 4]
    np.testing.assert_array_equal(np.delete(X, 4, axis=0),
                                  _pipe().fit_transform(FITSLoader().fit_transform(good)))
    assert _state(store)["nan_rows"] == [4]


def test_chunk_of_bad_files_only(tmp_path, images):
    paths = _write_fits(tmp_path / "cutouts", images[:7])
    for i in (0, 1, 2, 6):  # the whole first and last chunks
        (tmp_path / "cutouts" / f"g{i:03d}.fits").write_bytes(b"junk" * 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        X = preprocess_to_store(_pipe(), paths, tmp_path / "X.npy", chunk_size=CHUNK,
                                verbose=0, loader=FITSLoader(on_error="nan"))
    assert np.isnan(X[[0, 1, 2, 6]]).all() and np.isfinite(X[3:6]).all()
    assert _state(tmp_path / "X.npy")["nan_rows"] == [0, 1, 2, 6]


def test_zarr_missing_names_the_extra(tmp_path, images, expected, monkeypatch):
    monkeypatch.setitem(sys.modules, "zarr", None)
    with pytest.raises(ImportError, match=r"skgalvae\[scale\]"):
        preprocess_to_store(_pipe(), images, tmp_path / "X.zarr", verbose=0)
    X = preprocess_to_store(_pipe(), images, tmp_path / "X.npy", format="npy", verbose=0)
    np.testing.assert_array_equal(X, expected)


# ------------------------------------------------------------------ the command line
def test_cli_preprocess_folder(tmp_path, images, capsys):
    paths = _write_fits(tmp_path / "cutouts", images[:7])
    store = tmp_path / "X.zarr"
    argv = ["preprocess", str(tmp_path / "cutouts"), "--out", str(store), "--size", "16",
            "--chunk-size", "3", "--no-mask-companions"]
    assert main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    import zarr

    expected = _pipe().fit_transform(FITSLoader().fit_transform(paths))
    np.testing.assert_array_equal(zarr.open_array(str(store), mode="r")[:], expected)
    assert main([*argv, "-q"]) == 0  # complete: nothing to do
    assert capsys.readouterr().out == ""
    # other options refuse to mix, in one line
    assert main([*argv[:5], "8", *argv[6:], "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "overwrite" in err[0]
    assert main([*argv[:5], "8", *argv[6:], "-q", "--overwrite"]) == 0
    assert zarr.open_array(str(store), mode="r").shape == (7, 64)


def test_cli_npy_source_and_interruption(tmp_path, images, expected, count_resizes,
                                         capsys):
    np.save(tmp_path / "raw.npy", images)
    argv = ["preprocess", str(tmp_path / "raw.npy"), "--out", str(tmp_path / "X.npy"),
            "--size", "16", "--chunk-size", "3", "--no-mask-companions", "-q"]
    count_resizes["fail_at"] = 2
    assert main(argv) == 130
    assert "rerun" in capsys.readouterr().err
    count_resizes.update(n=0, fail_at=None)
    assert main(argv) == 0
    assert count_resizes["n"] == 3
    np.testing.assert_array_equal(np.load(tmp_path / "X.npy"), expected)


@pytest.mark.parametrize("options, match", [
    (["--size", "0"], "--size"),
    (["--chunk-size", "0"], "--chunk-size"),
    (["--n-jobs", "0"], "--n-jobs"),
    (["--source-is-missing"], "SOURCE"),
    (["--out-parent-missing"], "--out"),
    (["--empty-folder"], "no FITS file"),
])
def test_cli_bad_options(tmp_path, images, capsys, count_resizes, options, match):
    np.save(tmp_path / "raw.npy", images)
    source, out = str(tmp_path / "raw.npy"), str(tmp_path / "X.npy")
    if options == ["--source-is-missing"]:
        source, options = str(tmp_path / "missing"), []
    elif options == ["--out-parent-missing"]:
        out, options = str(tmp_path / "no" / "X.npy"), []
    elif options == ["--empty-folder"]:
        (tmp_path / "empty").mkdir()
        source, options = str(tmp_path / "empty"), []
    assert main(["preprocess", source, "--out", out, "--no-mask-companions", "-q",
                 *options]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("skgalvae preprocess: error:")
    assert match in err[0]
    assert count_resizes["n"] == 0  # checked before any work
    assert not (tmp_path / "X.npy").exists()


def test_cli_usage_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["preprocess", str(tmp_path), "--out", "X.npy", "--chunk-size", "many"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main(["preprocess", str(tmp_path)])  # --out is required


def test_cli_zarr_missing(tmp_path, images, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "zarr", None)
    np.save(tmp_path / "raw.npy", images)
    argv = ["preprocess", str(tmp_path / "raw.npy"), "--size", "16",
            "--no-mask-companions", "-q", "--out"]
    assert main([*argv, str(tmp_path / "X.zarr")]) == 1
    assert "skgalvae[scale]" in capsys.readouterr().err
    assert main([*argv, str(tmp_path / "X.npy")]) == 0
