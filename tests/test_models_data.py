"""Tests of on-disk input to the latent models (skgalvae.models._data).

Memory-mapped ``.npy``, zarr and HDF5 input must give what the same images in memory
give (CPU, same seed), read batches lazily, and never load the whole array: the last test
measures the anonymous memory of a fit over a 200 MB memmap in a subprocess.
"""

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import BatchSampler, DataLoader, RandomSampler

from skgalvae.models import GalaxyAutoencoder, GalaxyVAE, _data
from skgalvae.models._data import (
    BlockBatchSampler,
    LazyImages,
    RowsDataset,
    _sample_rows,
    _Source,
    fits_on_gpu,
    is_lazy,
    make_loader,
    training_data,
    validate_lazy_images,
)

zarr = pytest.importorskip("zarr")
h5py = pytest.importorskip("h5py")

# tiny fits on random pixels: collapsed latents are expected and beside the point here
pytestmark = [pytest.mark.filterwarnings("ignore::skgalvae.models.InactiveLatentWarning"),
              pytest.mark.usefixtures("one_thread")]

KW = {"channels": (8, 16), "hidden_dim": 32, "batch_size": 16, "max_epochs": 2,
      "random_state": 0, "device": "cpu"}




@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((60, 16, 16), dtype=np.float32)


@pytest.fixture(scope="module")
def on_disk(images, tmp_path_factory):
    """The same 60 images as a memmap (3-D), a zarr array (3-D, chunks of 7 rows) and
    an HDF5 dataset (4-D, chunks of 5 rows)."""
    root = tmp_path_factory.mktemp("on_disk")
    np.save(root / "X.npy", images)
    z = zarr.create_array(store=str(root / "X.zarr"), shape=images.shape, dtype="f4",
                          chunks=(7, 16, 16))
    z[:] = images
    with h5py.File(root / "X.h5", "w") as f:
        f.create_dataset("images", data=images[:, None], chunks=(5, 1, 16, 16))
    h5 = h5py.File(root / "X.h5", "r")
    yield {"memmap": np.load(root / "X.npy", mmap_mode="r"), "zarr": z,
           "h5py": h5["images"], "root": root}
    h5.close()


def _same_fit(a, b, X):
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    for col in ("train_loss", "valid_loss"):
        np.testing.assert_array_equal(a.history_[col], b.history_[col])
    np.testing.assert_array_equal(a.latent_std_, b.latent_std_)


# ------------------------------------------------------------------ fit equals in memory
def test_memmap_fit_equals_in_memory(images, on_disk):
    mm = on_disk["memmap"]
    assert is_lazy(mm) and not is_lazy(images)
    ref = GalaxyVAE(**KW).fit(images)
    vae = GalaxyVAE(shuffle_blocks=1, **KW).fit(mm)
    assert vae.image_shape_ == (16, 16) and vae.n_features_in_ == 256
    assert np.isfinite(vae.history_["valid_loss"]).all()  # a lazy validation split
    _same_fit(ref, vae, images)
    # "auto" is one row per block for a memmap: the same fit again
    _same_fit(ref, GalaxyVAE(**KW).fit(mm), images)


def test_flat_and_int_memmaps_equal_in_memory(images, tmp_path):
    flat = np.lib.format.open_memmap(tmp_path / "flat.npy", mode="w+", dtype=np.uint8,
                                     shape=(60, 256))
    flat[:] = (images.reshape(60, -1) * 255).astype(np.uint8)
    flat.flush()
    mm = np.load(tmp_path / "flat.npy", mmap_mode="r")
    in_memory = np.asarray(mm).astype(np.float32)
    ref = GalaxyAutoencoder(validation_fraction=None, **KW).fit(in_memory)
    ae = GalaxyAutoencoder(validation_fraction=None, **KW).fit(mm)
    np.testing.assert_array_equal(ref.transform(in_memory), ae.transform(mm))
    np.testing.assert_array_equal(ref.score_samples(in_memory), ae.score_samples(mm))


def test_memmap_slice_is_reopened_at_its_offset(images, on_disk):
    part = on_disk["memmap"][10:50]  # a view: offset within the file
    source = pickle.loads(pickle.dumps(_Source(part, "memmap")))
    np.testing.assert_array_equal(source.read(np.array([0, 3, 39])),
                                  images[[10, 13, 49]].reshape(3, -1))


@pytest.mark.parametrize("store,block", [("zarr", 7), ("h5py", 5)])
def test_chunked_store_fit_equals_in_memory_same_blocks(images, on_disk, store, block):
    X = on_disk[store]
    assert is_lazy(X)
    ref = GalaxyVAE(shuffle_blocks=block, **KW).fit(images)
    vae = GalaxyVAE(**KW).fit(X)  # "auto": the chunk length
    assert vae.net_.iterator_train__block_rows == block
    _same_fit(ref, vae, images)
    np.testing.assert_allclose(vae.transform(X), ref.transform(images), rtol=0, atol=0)


def test_inference_on_disk_equals_in_memory(images, on_disk):
    vae = GalaxyVAE(**KW).fit(images)
    Z = vae.transform(images)
    for store in ("memmap", "zarr", "h5py"):
        X = on_disk[store]
        np.testing.assert_array_equal(vae.transform(X), Z)
        np.testing.assert_array_equal(vae.encode(X)[1], vae.encode(images)[1])
        np.testing.assert_array_equal(vae.score_samples(X), vae.score_samples(images))
        np.testing.assert_array_equal(vae.reconstruct(X), vae.reconstruct(images))
    z = zarr.create_array(store=str(on_disk["root"] / "Z.zarr"), shape=Z.shape, dtype="f4")
    z[:] = Z
    np.testing.assert_array_equal(vae.inverse_transform(z), vae.inverse_transform(Z))


def test_num_workers_give_the_same_fit(images, on_disk):
    ref = GalaxyVAE(**KW).fit(on_disk["memmap"])
    vae = GalaxyVAE(num_workers=2, **KW).fit(on_disk["memmap"])
    _same_fit(ref, vae, images)
    assert vae.net_.iterator_train__num_workers == 2


def test_in_memory_input_keeps_todays_path(images):
    vae = GalaxyVAE(**KW).fit(images)
    assert vae.net_.iterator_train is DataLoader  # skorch's default, untouched
    assert "iterator_train__block_rows" not in vae.net_.get_params()
    data = training_data(images.reshape(60, -1), np.arange(60), np.array([], int),
                         device="cpu")
    assert isinstance(data.fit_X, torch.Tensor) and data.net_kwargs == {}
    assert data.valid is None
    blocks = GalaxyVAE(shuffle_blocks=4, **KW).fit(images)
    assert blocks.net_.iterator_train is make_loader


# ------------------------------------------------------------------ validation
def test_nan_in_a_checked_row_names_the_row(images, tmp_path):
    X = images.copy()
    X[37, 3, 4] = np.nan
    np.save(tmp_path / "nan.npy", X)
    mm = np.load(tmp_path / "nan.npy", mmap_mode="r")
    with pytest.raises(ValueError, match=r"NaN or infinity in row 37 .*sample"):
        GalaxyVAE(**KW).fit(mm)
    fitted = GalaxyVAE(**KW).fit(images)
    with pytest.raises(ValueError, match="row 37"):
        fitted.transform(mm)


def test_sample_rows_are_bounded_sorted_and_spread():
    assert np.array_equal(_sample_rows(50, 1), np.arange(50))
    rows = _sample_rows(10**6, 1)
    assert len(rows) == 1000 and rows[0] == 0 and rows[-1] == 10**6 - 1
    assert np.all(np.diff(rows) > 0)
    rows = _sample_rows(10**6, 1000)  # chunked: at most 64 chunks touched
    assert len(rows) <= 1000 and np.all(np.diff(rows) > 0)
    assert len(np.unique(rows // 1000)) <= 64 and rows[-1] // 1000 == 999


def test_bad_on_disk_input_is_answered_clearly(images, on_disk, tmp_path):
    np.save(tmp_path / "c.npy", np.zeros((4, 16), np.complex64))
    with pytest.raises(ValueError, match="floats or integers"):
        GalaxyVAE(**KW).fit(np.load(tmp_path / "c.npy", mmap_mode="r"))
    vae = GalaxyVAE(**KW).fit(images)
    np.save(tmp_path / "big.npy", np.zeros((4, 8, 32), np.float32))
    with pytest.raises(ValueError, match=r"fitted on images of shape \(16, 16\)"):
        vae.transform(np.load(tmp_path / "big.npy", mmap_mode="r"))
    np.save(tmp_path / "wide.npy", np.zeros((4, 100), np.float32))
    with pytest.raises(ValueError, match="X has 100 features"):
        vae.transform(np.load(tmp_path / "wide.npy", mmap_mode="r"))
    assert not hasattr(vae, "feature_names_in_")


@pytest.mark.parametrize("store", ["memmap", "zarr", "h5py"])
def test_multi_band_on_disk_input_trains_like_in_memory(store, tmp_path):
    """A 4-D (n, 3, h, w) store of g, r, i cubes is read lazily, band-major, and gives
    the model the same cubes in memory give (this replaces the test that on-disk
    multi-band input was rejected)."""
    cubes = np.random.default_rng(1).random((30, 3, 16, 16), dtype=np.float32)
    if store == "memmap":
        np.save(tmp_path / "gri.npy", cubes)
        X = np.load(tmp_path / "gri.npy", mmap_mode="r")
    elif store == "zarr":
        X = zarr.create_array(store=str(tmp_path / "gri.zarr"), shape=cubes.shape,
                              dtype="f4", chunks=(7, 3, 16, 16))
        X[:] = cubes
    else:
        f = h5py.File(tmp_path / "gri.h5", "w")
        X = f.create_dataset("images", data=cubes, chunks=(5, 3, 16, 16))
    ref = GalaxyVAE(**KW).fit(cubes)
    lazy = GalaxyVAE(**KW).fit(X)
    assert lazy.image_shape_ == (3, 16, 16) and lazy.n_features_in_ == 768
    assert lazy.net_.module_.encoder.conv[0].in_channels == 3
    if store == "memmap":  # one row per block: the very batches of the in-memory fit
        _same_fit(lazy, ref, cubes)
    else:  # shuffled in blocks of the store's chunks: another batch order
        np.testing.assert_allclose(lazy.history_["train_loss"], ref.history_["train_loss"],
                                   rtol=0.05)
    np.testing.assert_array_equal(lazy.transform(X), lazy.transform(cubes))
    assert lazy.inverse_transform(lazy.transform(X)).shape == (30, 768)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(3, 16, 16\)"):
        lazy.transform(np.asarray(cubes[:, :2]))
    if store == "h5py":
        X.file.close()


def test_validate_lazy_images_matches_validate_images(images, on_disk):
    from skgalvae.utils._images import validate_images

    for store in ("memmap", "zarr", "h5py"):
        lazy, eager = GalaxyVAE(), GalaxyVAE()
        out = validate_lazy_images(lazy, on_disk[store], reset=True)
        validate_images(eager, images, reset=True, dtype=np.float32)
        assert (lazy.image_shape_, lazy.n_features_in_) == (eager.image_shape_, 256)
        assert out.shape == (60, 256) and out.sample.shape == (60, 256)
        np.testing.assert_array_equal(out[:], images.reshape(60, -1))
        with pytest.raises(ValueError, match="disagrees"):  # as validate_images says
            validate_lazy_images(GalaxyVAE(image_shape=(8, 32)), on_disk[store],
                                 reset=True)
    flat = on_disk["memmap"].reshape(60, 256)
    assert is_lazy(flat)
    est = GalaxyVAE(image_shape=(8, 32))
    validate_lazy_images(est, flat, reset=True)
    assert est.image_shape_ == (8, 32)


# ------------------------------------------------------------------ batches
def test_block_sampler_with_blocks_of_one_is_torchs_random_sampler():
    torch.manual_seed(3)
    ours = [b.tolist() for b in BlockBatchSampler(23, 5, shuffle=True)]
    torch.manual_seed(3)
    theirs = list(BatchSampler(RandomSampler(range(23)), 5, drop_last=False))
    assert ours == theirs


def test_blocks_keep_chunks_together():
    row_ids = np.setdiff1d(np.arange(40), [3, 17, 18, 30])  # validation rows removed
    ds = RowsDataset(LazyImages(_Source(np.zeros((36, 4)), "memory")), row_ids=row_ids)
    torch.manual_seed(0)
    order = np.concatenate(list(make_loader(ds, 7, shuffle=True, block_rows=8)
                                .batch_sampler))
    assert sorted(order) == list(range(len(row_ids)))
    chunks = row_ids[order] // 8
    assert np.count_nonzero(np.diff(chunks)) == 4  # 5 chunks, each read in one run
    assert np.all(np.diff(order)[np.diff(chunks) == 0] == 1)  # consecutive inside


def test_each_batch_is_one_sorted_read(on_disk, monkeypatch):
    reads = []
    read = _Source.read

    def spy(self, rows):
        reads.append(np.asarray(rows).copy())
        return read(self, rows)

    monkeypatch.setattr(_Source, "read", spy)
    images = LazyImages(_Source(on_disk["h5py"], "h5py")).subset(np.arange(0, 60, 2))
    torch.manual_seed(0)
    batches = [X for X, _ in make_loader(RowsDataset(images), 8, shuffle=True)]
    assert len(reads) == len(batches) == 4
    assert all(np.all(np.diff(r) > 0) for r in reads)
    X = np.concatenate([b.numpy() for b in batches])
    assert sorted(X[:, 0].tolist()) == sorted(images[:][:, 0].tolist())


def test_datasets_pickle_without_their_data(on_disk, images):
    for store in ("memmap", "h5py"):
        ds = RowsDataset(LazyImages(_Source(on_disk[store], store)))
        blob = pickle.dumps(ds)
        assert len(blob) < 2000  # a file name and a layout, not 60 KB of pixels
        X, y = pickle.loads(blob).__getitems__([5, 2])
        np.testing.assert_array_equal(X.numpy(), images[[5, 2]].reshape(2, -1))
        assert tuple(y.shape) == (2, 1)


def test_resident_decision_uses_half_the_free_gpu_memory(monkeypatch):
    calls = []

    def info(device):
        calls.append(device)
        return 8 * 2**30, 80 * 2**30

    assert fits_on_gpu(4 * 2**30 - 1, "cuda", mem_get_info=info)
    assert not fits_on_gpu(4 * 2**30, "cuda:0", mem_get_info=info)
    assert not fits_on_gpu(1, "cpu", mem_get_info=info)
    assert len(calls) == 2
    monkeypatch.setattr(_data, "fits_on_gpu", lambda *a, **k: False)
    data = training_data(np.zeros((10, 4), np.float32), np.arange(10), np.array([], int),
                         device="cpu")
    assert isinstance(data.fit_X, torch.Tensor)


# ------------------------------------------------------------------ memory
_MEMORY_SCRIPT = """
import sys, threading, time
import numpy as np, torch
from skgalvae.models import GalaxyVAE

torch.set_num_threads(1)
path, n = sys.argv[1], int(sys.argv[2])
out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, 32, 32))
rng = np.random.default_rng(0)
for start in range(0, n, 4096):
    out[start:start + 4096] = rng.random((min(4096, n - start), 32, 32), np.float32)
out.flush()
del out
X = np.load(path, mmap_mode="r")

def rss_anon():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("RssAnon"))

vae = GalaxyVAE(channels=(4, 8), hidden_dim=16, batch_size=512, max_epochs=1,
                random_state=0, device="cpu")
vae.fit(X[:2048])  # warm up torch's allocator and kernels
base, peak, done = rss_anon(), [0], threading.Event()

def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss_anon())
        time.sleep(0.02)

thread = threading.Thread(target=sample)
thread.start()
vae.fit(X)
done.set()
thread.join()
peak[0] = max(peak[0], rss_anon())
print(X.nbytes, peak[0] - base)
"""


def test_fit_on_a_memmap_does_not_load_it(tmp_path):
    status = Path("/proc/self/status")
    if not status.exists() or "RssAnon" not in status.read_text():
        pytest.skip("needs /proc/self/status with RssAnon (Linux)")
    n = 200 * 2**20 // (32 * 32 * 4)  # 200 MB of 32x32 float32 images
    # glibc raises its mmap threshold as torch frees batch-sized buffers and then keeps
    # freed heap pages (measured: +114 MB RssAnon at defaults, +38 MB with a fixed
    # threshold, for this fit): fix it, to measure what the fit holds, not the allocator
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(_MEMORY_SCRIPT),
                           str(tmp_path / "big.npy"), str(n)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nbytes, grown = map(int, proc.stdout.split()[-2:])
    assert grown < 0.5 * nbytes, f"RssAnon grew {grown / 2**20:.0f} MB in fit"
