"""preprocess_with_dask: preprocessing on a Dask cluster into a resumable zarr store, and
``skgalvae preprocess --dask-scheduler``.

One module-scoped LocalCluster (2 worker processes, 1 thread each) serves the cluster
tests; its client is not the default one, so ``client=None`` runs on local threads unless a
test makes it current.
"""

import json
import logging
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from skgalvae.io import FITSLoader
from skgalvae.preprocessing import (
    make_preprocessing_pipeline,
    preprocess_to_store,
    preprocess_with_dask,
)
from skgalvae.preprocessing._store import progress_path
from skgalvae.study import main

from .conftest import gaussian_galaxy

distributed = pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")

N, SIDE, OUT = 200, 24, 12
CHUNK = 32  # 200 rows: 6 chunks of 32 and one of 8
N_CHUNKS = 7
#: The bad files: row -> (kind, what the reason says)
BAD = {5: ("truncated", "could not be read"), 77: ("not FITS", "could not be read"),
       150: ("NaN only", "no finite pixel"), 199: ("wrong shape", "has shape (20, 20)")}


def _pipe(output_shape=OUT, **kw):
    return make_preprocessing_pipeline(output_shape=output_shape, mask_companions=False, **kw)


def _images(n=N, seed=0):
    rng = np.random.default_rng(seed)
    stack = np.stack([
        gaussian_galaxy((SIDE, SIDE), angle_deg=7.0 * i, sigma_major=3 + i % 3,
                        sigma_minor=2.0,
                        centre=(11.5 + rng.uniform(-2, 2), 11.5 + rng.uniform(-2, 2)))
        for i in range(n)])
    return (stack + rng.normal(0, 0.002, stack.shape)).astype(np.float32)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.CRITICAL)
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def images():
    return _images()


@pytest.fixture(scope="module")
def survey(tmp_path_factory, images):
    """200 FITS files, 4 of them bad; ``(paths, expected rows of the good files)``."""
    folder = tmp_path_factory.mktemp("cutouts")
    paths = []
    for i, image in enumerate(images):
        path = folder / f"g{i:03d}.fits"
        if BAD.get(i, ("",))[0] == "NaN only":
            image = np.full_like(image, np.nan)
        elif BAD.get(i, ("",))[0] == "wrong shape":
            image = image[:20, :20]
        fits.PrimaryHDU(image).writeto(path)
        if BAD.get(i, ("",))[0] == "truncated":
            path.write_bytes(path.read_bytes()[:3000])
        elif BAD.get(i, ("",))[0] == "not FITS":
            path.write_bytes(b"this is not a FITS file\n" * 50)
        paths.append(str(path))
    good = [p for i, p in enumerate(paths) if i not in BAD]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy's truncation warning
        expected = _pipe().fit_transform(FITSLoader().fit_transform(good))
    return paths, expected.astype(np.float32)


@pytest.fixture(scope="module")
def expected(images):
    return _pipe().fit_transform(images).astype(np.float32)


def _state(store):
    return json.loads(progress_path(store).read_text())


def _raw_zarr(path, images):
    z = zarr.open_array(store=str(path), mode="w", shape=images.shape, dtype="float32",
                        chunks=(CHUNK, SIDE, SIDE))
    z[:] = images
    return z


def _chunk_files(store):
    """{chunk file: modification time} of a zarr store (rows chunked only)."""
    return {p.relative_to(store).as_posix(): p.stat().st_mtime_ns
            for p in (store / "c").rglob("*") if p.is_file()}


# ------------------------------------------------------------------ FITS on the cluster
@pytest.mark.filterwarnings("ignore:File may have been truncated")
def test_fits_survey_on_cluster(tmp_path, client, survey):
    paths, expected = survey
    store = tmp_path / "X.zarr"
    with pytest.warns(UserWarning, match=r"4 of 200 rows .* are NaN.*bad_files"):
        result = preprocess_with_dask(_pipe(), paths, store, client=client,
                                      chunk_size=CHUNK, verbose=0)
    X = result.store
    assert X.shape == (N, OUT * OUT) and X.dtype == np.float32 and X.chunks == (CHUNK, 144)
    assert result.chunks_run == list(range(N_CHUNKS))
    X = X[:]
    bad_rows = sorted(BAD)
    assert np.isnan(X[bad_rows]).all()
    np.testing.assert_allclose(np.delete(X, bad_rows, axis=0), expected, rtol=0, atol=1e-6)
    table = result.bad_files
    assert list(table.columns) == ["row", "path", "reason"]
    assert table["row"].tolist() == bad_rows
    assert table["path"].tolist() == [paths[i] for i in bad_rows]
    for row, reason in zip(table["row"], table["reason"]):
        assert BAD[row][1] in reason and paths[row] in reason, (BAD[row][0], reason)
    state = _state(store)
    assert state["complete"] and state["nan_rows"] == bad_rows
    assert [b["row"] for b in state["bad_files"]] == bad_rows
    # complete: returned at once, with the same table, without any cluster
    again = preprocess_with_dask(_pipe(), paths, store, chunk_size=CHUNK, verbose=0)
    assert again.chunks_run == [] and again.bad_files.equals(table)


# ------------------------------------------------------------------ arrays (map_blocks)
def test_array_sources_on_cluster(tmp_path, client, images, expected):
    h5py = pytest.importorskip("h5py")
    np.save(tmp_path / "raw.npy", images)
    with h5py.File(tmp_path / "raw.h5", "w") as f:
        f["images"] = images
    with h5py.File(tmp_path / "raw.h5", "r") as f:
        sources = {
            "zarr array": _raw_zarr(tmp_path / "raw.zarr", images),
            "zarr path": tmp_path / "raw.zarr",
            "memmap": np.load(tmp_path / "raw.npy", mmap_mode="r"),  # reopened by path
            "h5py": f["images"],  # reopened by path
            "flat in memory": images.reshape(N, -1),
        }
        for i, (what, source) in enumerate(sources.items()):
            result = preprocess_with_dask(_pipe(), source, tmp_path / f"X{i}.zarr",
                                          client=client, chunk_size=CHUNK, verbose=0)
            np.testing.assert_allclose(result.store[:], expected, rtol=0, atol=1e-6,
                                       err_msg=what)
            assert result.bad_files.empty and result.chunks_run == list(range(N_CHUNKS))


def test_default_client_and_local_threads(tmp_path, client, images, expected):
    with client.as_current():  # client=None: the current client
        on_cluster = preprocess_with_dask(_pipe(), images, tmp_path / "A.zarr",
                                          chunk_size=CHUNK, verbose=0)
    on_threads = preprocess_with_dask(_pipe(), images, tmp_path / "B.zarr",
                                      chunk_size=CHUNK, verbose=0)  # no client at all
    for result in (on_cluster, on_threads):
        np.testing.assert_allclose(result.store[:], expected, rtol=0, atol=1e-6)
    # one kind of store: preprocess_to_store finds the Dask store complete
    X = preprocess_to_store(_pipe(), images, tmp_path / "B.zarr", chunk_size=CHUNK,
                            verbose=0)
    np.testing.assert_array_equal(X[:], on_threads.store[:])


def test_multiband_cubes_on_local_threads(tmp_path, images):
    # an (n, c, h, w) source: each block of cubes goes through the multi-band pipeline
    cubes = np.stack([images[:40], 2 * images[:40]], axis=1)
    pipe = _pipe(image_shape=(2, SIDE, SIDE))
    expected = pipe.fit_transform(cubes)
    result = preprocess_with_dask(pipe, cubes, tmp_path / "X.zarr", chunk_size=CHUNK,
                                  verbose=0)
    assert result.store.shape == (40, 2 * OUT * OUT)
    np.testing.assert_allclose(result.store[:], expected, rtol=0, atol=1e-6)


# ------------------------------------------------------------------ resumption
def test_resume_after_a_failing_chunk(tmp_path, client, images, expected):
    source = tmp_path / "raw.zarr"
    _raw_zarr(source, images)
    chunk_file = source / "c" / "3" / "0" / "0"  # rows 96-127 of the source
    original = chunk_file.read_bytes()
    chunk_file.write_bytes(b"\x00garbage" * 10)  # a worker fails to decode it
    store = tmp_path / "X.zarr"
    with pytest.raises(Exception) as excinfo:  # noqa: PT011 - the codec's error type varies
        preprocess_with_dask(_pipe(), source, store, client=client, chunk_size=CHUNK,
                             verbose=0)
    note = " ".join(getattr(excinfo.value, "__notes__", []))
    assert "rows 96-127" in note and "rerun to resume" in note
    state = _state(store)
    assert state["done"] == [0, 1, 2, 4, 5, 6] and not state["complete"]
    before = _chunk_files(store)
    assert "c/3/0" not in before
    chunk_file.write_bytes(original)
    result = preprocess_with_dask(_pipe(), source, store, client=client, chunk_size=CHUNK,
                                  verbose=0)
    assert result.chunks_run == [3]
    after = _chunk_files(store)
    assert {k: after[k] for k in before} == before  # the chunks done were not rewritten
    np.testing.assert_allclose(result.store[:], expected, rtol=0, atol=1e-6)
    assert _state(store)["complete"]


@pytest.mark.filterwarnings("ignore:File may have been truncated")
def test_resume_after_an_interrupted_run(tmp_path, survey, monkeypatch):
    from skgalvae.preprocessing import _dask

    paths, expected = survey
    store = tmp_path / "X.zarr"
    commits = {"n": 0}
    original = _dask._commit

    def commit(*args, **kwargs):
        commits["n"] += 1
        if commits["n"] == 3:
            raise KeyboardInterrupt  # Ctrl-C after two chunks were committed
        return original(*args, **kwargs)

    monkeypatch.setattr(_dask, "_commit", commit)
    with pytest.raises(KeyboardInterrupt):  # on local threads (no client)
        preprocess_with_dask(_pipe(), paths, store, chunk_size=CHUNK, verbose=0)
    done = _state(store)["done"]
    assert len(done) == 2
    monkeypatch.setattr(_dask, "_commit", original)
    with pytest.warns(UserWarning, match="4 of 200 rows"):
        result = preprocess_with_dask(_pipe(), paths, store, chunk_size=CHUNK, verbose=0)
    assert result.chunks_run == [i for i in range(N_CHUNKS) if i not in done]
    X = result.store[:]
    np.testing.assert_allclose(np.delete(X, sorted(BAD), axis=0), expected, rtol=0,
                               atol=1e-6)
    assert result.bad_files["row"].tolist() == sorted(BAD)  # from both runs


def test_other_pipeline_or_store_refuses(tmp_path, images, expected):
    store = tmp_path / "X.zarr"
    preprocess_with_dask(_pipe(), images[:40], store, chunk_size=CHUNK, verbose=0)
    with pytest.raises(ValueError, match=r"X\.zarr.*another pipeline.*overwrite=True"):
        preprocess_with_dask(_pipe(output_shape=8), images[:40], store, chunk_size=CHUNK,
                             verbose=0)
    with pytest.raises(ValueError, match=r"X\.zarr.*another source.*overwrite=True"):
        preprocess_with_dask(_pipe(), images[1:41], store, chunk_size=CHUNK, verbose=0)
    with pytest.raises(ValueError, match=r"chunk_size=32, not 8"):
        preprocess_with_dask(_pipe(), images[:40], store, chunk_size=8, verbose=0)
    result = preprocess_with_dask(_pipe(output_shape=8), images[:40], store, chunk_size=8,
                                  overwrite=True, verbose=0)
    assert result.store.shape == (40, 64) and result.store.chunks == (8, 64)
    with pytest.raises(ValueError, match=r"ends in \.npy.*X\.zarr.*preprocess_to_store"):
        preprocess_with_dask(_pipe(), images, tmp_path / "X.npy", verbose=0)
    with pytest.raises(ValueError, match=r"step 'log'.*random sample"):
        preprocess_with_dask(_pipe(normalize="global"), images, tmp_path / "G.zarr",
                             verbose=0)
    fitted = _pipe(normalize="global").fit(images[:50])  # fitted on a sample: transforms
    result = preprocess_with_dask(fitted, images[:40], tmp_path / "G.zarr",
                                  chunk_size=CHUNK, verbose=0)
    np.testing.assert_allclose(result.store[:], fitted.transform(images[:40]), atol=1e-6)


# ------------------------------------------------------------------ the command line
@pytest.mark.filterwarnings("ignore:File may have been truncated")
def test_cli_on_the_cluster(tmp_path, client, survey, capsys):
    paths, expected = survey
    store = tmp_path / "X.zarr"
    folder = str(Path(paths[0]).parent)
    argv = ["preprocess", folder, "--out", str(store), "--size", str(OUT), "--chunk-size",
            str(CHUNK), "--no-mask-companions", "--dask-scheduler", client.scheduler.address]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "wrote" in captured.out
    assert "4 FITS files could not be read" in captured.err and "row 77" in captured.err
    X = zarr.open_array(str(store), mode="r")[:]
    np.testing.assert_allclose(np.delete(X, sorted(BAD), axis=0), expected, atol=1e-6)
    assert main([*argv, "-q"]) == 0  # complete: nothing to do


def test_cli_local_cluster(tmp_path, images, expected, capsys):
    np.save(tmp_path / "raw.npy", images)
    store = tmp_path / "X.zarr"
    assert main(["preprocess", str(tmp_path / "raw.npy"), "--out", str(store), "--size",
                 str(OUT), "--chunk-size", str(CHUNK), "--no-mask-companions", "-q",
                 "--dask-scheduler", "local", "--n-jobs", "1"]) == 0
    assert capsys.readouterr().err == ""
    np.testing.assert_allclose(zarr.open_array(str(store), mode="r")[:], expected,
                               atol=1e-6)
    assert _state(store)["complete"]


@pytest.mark.parametrize("options, match", [
    (["--dask-scheduler", "not an address"], "is not a scheduler address"),
    (["--dask-scheduler", "tcp://127.0.0.1:99999"], "is not a scheduler address"),
    (["--dask-scheduler", "tcp://127.0.0.1:1"], "no Dask scheduler answered"),
    (["--dask-scheduler", "local", "--format", "npy"], "zarr store"),
    (["--dask-scheduler", "local", "--on-error", "raise"], "--on-error raise"),
])
def test_cli_bad_dask_options(tmp_path, images, capsys, monkeypatch, options, match):
    from skgalvae.study import _preprocess_cli

    monkeypatch.setattr(_preprocess_cli, "CONNECT_TIMEOUT", 1)
    np.save(tmp_path / "raw.npy", images[:10])
    assert main(["preprocess", str(tmp_path / "raw.npy"), "--out", str(tmp_path / "X.zarr"),
                 "--no-mask-companions", "-q", *options]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("skgalvae preprocess: error:"), err
    assert match in err[0]
    assert not (tmp_path / "X.zarr").exists()


# ------------------------------------------------------------------ without Dask
def test_dask_missing_names_the_extra(tmp_path, images, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"skgalvae\[distributed\]"):
        preprocess_with_dask(_pipe(), images, tmp_path / "X.zarr", verbose=0)
    np.save(tmp_path / "raw.npy", images[:10])
    assert main(["preprocess", str(tmp_path / "raw.npy"), "--out", str(tmp_path / "X.zarr"),
                 "--no-mask-companions", "-q", "--dask-scheduler", "local"]) == 1
    assert "skgalvae[distributed]" in capsys.readouterr().err
    assert not (tmp_path / "X.zarr").exists()
