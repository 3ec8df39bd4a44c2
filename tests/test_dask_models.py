"""Models on Dask: dask_transform, Dask-ML's Incremental and GridSearchCV on a cluster.

One module-scoped LocalCluster (2 worker processes, 1 thread each) serves the cluster
tests; the others run on Dask's default (threaded) scheduler. torch runs on one thread
here (as on the workers), so in-process and cluster results agree to float rounding.
"""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skgalvae.models import GalaxyVAE, dask_transform
from skgalvae.utils._reopen import ReopenableArray

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

SHAPE = (16, 16)
N = 48


def _vae(**params):
    return GalaxyVAE(channels=(4, 8), hidden_dim=16, batch_size=8, max_epochs=2,
                     random_state=0, **params)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    yy, xx = np.indices(SHAPE) - 7.5
    widths = rng.uniform(2, 5, (N, 1, 1))
    images = np.exp(-0.5 * (xx**2 + yy**2) / widths**2)
    images += rng.normal(0, 0.02, images.shape)
    return np.clip(images, 0, 1).reshape(N, -1).astype(np.float32)


@pytest.fixture(scope="module")
def vae(X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _vae().fit(X)


@pytest.fixture(scope="module")
def cluster():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                           processes=True, dashboard_address=None)
    yield cluster
    cluster.close()


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster) as client:
        yield client


def _expected(model, X, method):
    return getattr(model, method)(X)


def _check_equal(got, expected, method):
    if method == "transform":
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-6)


# -------------------------------------------------------------------- dask_transform
@pytest.mark.parametrize("method", ["transform", "score_samples"])
def test_threaded_scheduler_equals_in_process(vae, X, method):
    dX = da.from_array(X, chunks=(10, 8 * 16))  # feature axis split: rechunked to rows
    result = dask_transform(vae, dX, method=method)
    assert isinstance(result, da.Array)
    assert result.chunks[0] == (10, 10, 10, 10, 8)
    expected = _expected(vae, X, method)
    assert result.shape == expected.shape
    assert result.dtype == expected.dtype
    _check_equal(result.compute(scheduler="threads"), expected, method)


@pytest.mark.parametrize("method", ["transform", "score_samples"])
def test_cluster_equals_in_process_and_model_sent_once(vae, X, client, monkeypatch, method):
    pickled = []
    getstate = GalaxyVAE.__getstate__

    def counting(self):
        pickled.append(1)
        return getstate(self)

    monkeypatch.setattr(GalaxyVAE, "__getstate__", counting)
    dX = da.from_array(X.reshape(N, *SHAPE), chunks=(4, 8, 16))  # 12 chunks of rows
    result = dask_transform(vae, dX, method=method)
    assert result.numblocks[0] == 12
    got = result.compute()
    monkeypatch.undo()
    _check_equal(got, _expected(vae, X, method), method)
    assert len(pickled) == 1, "the model was serialised more than once for 12 chunks"
    # the model went to the workers as one scattered key (how many replicas remain after
    # the compute is up to distributed's Active Memory Manager, which drops extra copies)
    scattered = [key for key in client.who_has() if str(key).startswith("GalaxyVAE")]
    assert scattered


def test_zarr_output_threaded(vae, X, tmp_path):
    zarr = pytest.importorskip("zarr")
    dX = da.from_array(X, chunks=(20, -1))
    out = tmp_path / "Z.zarr"
    Z = dask_transform(vae, dX, out=out)
    assert isinstance(Z, zarr.Array)
    assert Z.shape == (N, 2) and Z.chunks == (20, 2)
    _check_equal(Z[:], vae.transform(X), "transform")
    with pytest.raises(ValueError, match="out=.*already exists.*overwrite=True"):
        dask_transform(vae, dX, out=out)
    irregular = da.from_array(X, chunks=((10, 20, 18), (256,)))
    Z = dask_transform(vae, irregular, out=str(out), overwrite=True)
    assert Z.chunks == (20, 2)
    _check_equal(Z[:], vae.transform(X), "transform")


def test_zarr_in_zarr_out_on_cluster(vae, X, tmp_path, client):
    zarr = pytest.importorskip("zarr")
    store = zarr.create_array(tmp_path / "X.zarr", shape=X.shape, chunks=(16, 256),
                              dtype="f4")
    store[:] = X
    scores = dask_transform(vae, zarr.open_array(tmp_path / "X.zarr", mode="r"),
                            method="score_samples", out=tmp_path / "scores.zarr")
    assert scores.shape == (N,) and scores.chunks == (16,)  # one chunk per input chunk
    _check_equal(scores[:], vae.score_samples(X), "score_samples")


def test_memmap_input_on_cluster(vae, X, tmp_path, client):
    path = tmp_path / "X.npy"
    np.save(path, X.reshape(N, *SHAPE))
    X_disk = np.load(path, mmap_mode="r")
    # the memmap travels to the workers as its file name, not as its data
    assert len(pickle.dumps(ReopenableArray(X_disk))) < X.nbytes / 10
    Z = dask_transform(vae, X_disk, chunk_size=16)
    assert Z.chunks[0] == (16, 16, 16)
    _check_equal(Z.compute(), vae.transform(X), "transform")


def test_sklearn_transformer(X):
    scaler = StandardScaler().fit(X)
    Z = dask_transform(scaler, X.astype(np.float64), chunk_size=7)
    np.testing.assert_allclose(Z.compute(scheduler="threads"), scaler.transform(X),
                               atol=1e-6)
    with pytest.raises(ValueError, match="method='score_samples'.*StandardScaler"):
        dask_transform(scaler, X, method="score_samples")


def test_unfitted_model_raises_before_any_work(X, tmp_path):
    read = []

    def chunk(block):
        read.append(1)
        return block

    meta = np.empty((0, 0), dtype=np.float32)  # else dask calls chunk to learn it
    dX = da.from_array(X, chunks=(16, -1)).map_blocks(chunk, meta=meta)
    out = tmp_path / "Z.zarr"
    for method in ["transform", "score_samples"]:
        with pytest.raises(NotFittedError):
            dask_transform(_vae(), dX, method=method, out=out)
    assert not read and not out.exists()


def test_wrong_number_of_features_raises_naming_it(vae, X, tmp_path):
    out = tmp_path / "Z.zarr"
    wrong = da.zeros((N, 15 * 15), chunks=(16, -1), dtype=np.float32)
    with pytest.raises(ValueError, match=r"X has 225 features .* fitted on 256 "
                                         r"\(n_features_in_\)"):
        dask_transform(vae, wrong, out=out)
    assert not out.exists()
    transposed = da.zeros((N, 8, 32), chunks=(16, 8, 32), dtype=np.float32)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(16, 16\)"):
        dask_transform(vae, transposed)
    with pytest.raises(ValueError, match="X has no rows"):
        dask_transform(vae, da.zeros((0, 256), chunks=(1, 256)))


# ------------------------------------------------------------- Dask-ML's Incremental
def test_incremental_trains_through_partial_fit(X):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    dX = da.from_array(X, chunks=(16, -1))  # 3 blocks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inc = wrappers.Incremental(_vae(), shuffle_blocks=False).fit(dX)
        assert inc.estimator_.n_epochs_ == 3  # one epoch per block
        inc.partial_fit(dX)  # a second pass continues the same model
        by_hand = _vae()
        for _ in range(2):
            for block in np.split(X, 3):
                by_hand.partial_fit(block)
    model = inc.estimator_
    assert model.n_epochs_ == by_hand.n_epochs_ == 6
    assert inc.n_epochs_ == 6  # Incremental copies the learned attributes
    np.testing.assert_allclose(model.transform(X), by_hand.transform(X), atol=1e-6)
    # dask-ml's own blockwise transform announces the input's shape (48, 256) unless
    # given transform_meta; its blocks hold the latents
    np.testing.assert_allclose(inc.transform(dX).compute(), by_hand.transform(X),
                               atol=1e-6)
    latents = dask_transform(model, dX)
    assert latents.shape == (N, 2)
    np.testing.assert_allclose(latents.compute(), by_hand.transform(X), atol=1e-6)


# ----------------------------------------------------- GridSearchCV on the cluster
def test_grid_search_on_the_cluster_with_joblib_dask(X, client):
    joblib = pytest.importorskip("joblib")
    grid = {"latent_dim": [2, 3]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        serial = GridSearchCV(_vae(), grid, cv=2).fit(X)
        with distributed.get_task_stream(client) as stream, \
                joblib.parallel_backend("dask"):
            search = GridSearchCV(_vae(), grid, cv=2).fit(X)
    ran_on = {task["worker"] for task in stream.data}
    assert len(stream.data) >= 4 and ran_on <= set(client.scheduler_info()["workers"])
    results = search.cv_results_
    assert [p["latent_dim"] for p in results["params"]] == [2, 3]
    for split in ["split0_test_score", "split1_test_score"]:
        assert np.isfinite(results[split]).all()
    best = int(np.argmax(results["mean_test_score"]))
    assert search.best_params_ == {"latent_dim": [2, 3][best]}
    assert search.best_estimator_.latent_dim_ == search.best_params_["latent_dim"]
    np.testing.assert_allclose(results["mean_test_score"],
                               serial.cv_results_["mean_test_score"], rtol=1e-5)
    assert search.best_params_ == serial.best_params_
