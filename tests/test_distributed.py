"""Data-parallel training (``distributed=True``) through Accelerate, on the CPU with gloo.

The two-process tests launch this very scenario with ``torch.distributed.run`` (torchrun):
2 ranks with ``batch_size=b`` train a GalaxyAutoencoder on a memory-mapped ``.npy`` and
must end with the weights of 1 process with ``batch_size=2b`` on the same data.

Why the order is deterministic, with the training shuffle on: every rank draws the epoch's
permutation from torch's global random state (``BlockBatchSampler``), which the shared seed
sets and accelerate re-synchronises from rank 0 at each epoch; accelerate's
``BatchSamplerShard`` then gives rank ``r`` batches ``r, r + 2, ...`` of it, so the two ranks'
batches of one step are exactly the one process's batch of ``2b`` images, and
DistributedDataParallel's gradient average is that batch's gradient (the loss is a batch
mean). The autoencoder with the fixed-variance ``"mse"`` loss is used because the
``"analytic"`` likelihood's variance is each rank's own batch MSE and a VAE's sampling noise
differs per rank: both would differ from one process by design. 64 images, batches of 8
per rank: 4 steps an epoch, no padded batch.
"""

import importlib.util
import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from skgalvae.models import GalaxyAutoencoder, GalaxyVAE

pytestmark = pytest.mark.skipif(importlib.util.find_spec("accelerate") is None,
                                reason="needs accelerate (the distributed extra)")

#: Weights of 2 ranks (batch b) against 1 process (batch 2b): float32 reduction order
#: and thread counts only (measured: 3.6e-7 after 12 Adam steps).
WEIGHT_ATOL = 1e-5

N_IMAGES, SIDE, BATCH = 64, 16, 8
PARAMS = {"latent_dim": 2, "channels": (4, 8), "hidden_dim": 16, "loss": "mse", "lr": 1e-2,
          "random_state": 0, "device": "cpu"}

WORKER = textwrap.dedent("""
    import json, os, pickle, sys
    import numpy as np
    from skgalvae.models import GalaxyAutoencoder

    out, params, results = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    rank = int(os.environ["RANK"])
    X = np.load(os.path.join(out, "X.npy"), mmap_mode="r")
    ae = GalaxyAutoencoder(max_epochs=3, validation_fraction=None, distributed=True,
                           **params).fit(X)
    if rank == 0:  # the user's script saves once
        with open(os.path.join(out, "model.pkl"), "wb") as f:
            pickle.dump(ae, f)
    es = GalaxyAutoencoder(max_epochs=30, validation_fraction=0.25, patience=1,
                           checkpoint_dir=os.path.join(out, "ckpt"), distributed=True,
                           **params).fit(X)
    # one file per rank (two ranks printing to one pipe can interleave their lines)
    with open(os.path.join(results, f"rank-{rank}.json"), "w") as f:
        json.dump({
            "rank": rank, "world": int(os.environ["WORLD_SIZE"]),
            "valid_loss": es.history_.valid_loss.tolist(), "n_epochs": es.n_epochs_,
            "transform": es.transform(X[:4]).tolist()}, f)
""")


def _images(seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:SIDE, :SIDE] - (SIDE - 1) / 2
    width = rng.uniform(1.5, 4.0, (N_IMAGES, 1, 1))
    blobs = np.exp(-(xx**2 + yy**2) / (2 * width**2))
    return (blobs + 0.05 * rng.random((N_IMAGES, SIDE, SIDE))).astype(np.float32)


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    """Run the worker on 2 gloo processes; return its folder and each rank's result."""
    out = tmp_path_factory.mktemp("distributed")
    results_dir = tmp_path_factory.mktemp("distributed_results")
    np.save(out / "X.npy", _images())
    (out / "worker.py").write_text(WORKER)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
           "--standalone", str(out / "worker.py"), str(out),
           json.dumps({**PARAMS, "batch_size": BATCH}), str(results_dir)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = [json.loads(path.read_text())
               for path in sorted(results_dir.glob("rank-*.json"))]
    assert len(results) == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, sorted(results, key=lambda r: r["rank"])


def test_two_ranks_equal_one_process_with_twice_the_batch(two_ranks):
    out, results = two_ranks
    assert [r["world"] for r in results] == [2, 2]
    X = np.load(out / "X.npy", mmap_mode="r")
    with open(out / "model.pkl", "rb") as f:
        dist = pickle.load(f)  # pickled by rank 0, loaded in this single CPU process
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        ref = GalaxyAutoencoder(max_epochs=3, validation_fraction=None,
                                batch_size=2 * BATCH, **PARAMS).fit(X)
    finally:
        torch.set_num_threads(threads)
    assert type(dist.net_).__name__ == "_ELBONet"  # unwrapped, no accelerator left
    assert not hasattr(dist.net_, "accelerator")
    assert dist.device_ == "cpu" and dist.n_epochs_ == 3
    got, want = dist.net_.module_.state_dict(), ref.net_.module_.state_dict()
    assert list(got) == list(want)  # no "module." prefix of DistributedDataParallel
    for key in want:
        np.testing.assert_allclose(got[key].numpy(), want[key].numpy(), rtol=0,
                                   atol=WEIGHT_ATOL, err_msg=key)
    np.testing.assert_allclose(dist.history_.train_loss, ref.history_.train_loss,
                               rtol=1e-5)
    np.testing.assert_allclose(dist.transform(X), ref.transform(X), atol=1e-4)


def test_ranks_agree_on_validation_and_early_stopping(two_ranks):
    _, (r0, r1) = two_ranks
    assert r0["valid_loss"] == r1["valid_loss"]  # the gathered history: bit for bit
    assert r0["n_epochs"] == r1["n_epochs"] < 30  # stopped early, at the same epoch
    np.testing.assert_allclose(r0["transform"], r1["transform"], atol=1e-6)


def test_rank_zero_alone_writes(two_ranks):
    out, (r0, _) = two_ranks
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    # a checkpoint is written after each epoch early stopping judged (not the last)
    epoch = f"ckpt/epoch-{r0['n_epochs'] - 1}"
    assert written == sorted(["X.npy", "worker.py", "model.pkl", "ckpt/LATEST",
                              *(f"{epoch}/{name}" for name in
                                ("history.json", "optimizer.pt", "params.pt",
                                 "state.pt"))])
    assert (out / "ckpt" / "LATEST").read_text() == epoch.split("/")[1]


@pytest.mark.filterwarnings("ignore::skgalvae.models.InactiveLatentWarning")
@pytest.mark.parametrize("cls", [GalaxyAutoencoder, GalaxyVAE])
def test_one_process_equals_not_distributed(cls, tmp_path):
    """Without a launcher, distributed=True trains exactly as distributed=False."""
    X = _images(1)
    params = {**PARAMS, "loss": "analytic", "max_epochs": 3, "batch_size": BATCH}
    models = [cls(distributed=d, **params).fit(X) for d in (False, True)]
    plain, dist = models
    assert type(dist.net_) is type(plain.net_)
    for key, value in plain.net_.module_.state_dict().items():
        torch.testing.assert_close(dist.net_.module_.state_dict()[key], value, rtol=0,
                                   atol=0)
    np.testing.assert_array_equal(dist.history_.valid_loss, plain.history_.valid_loss)
    loaded = pickle.loads(pickle.dumps(dist))
    np.testing.assert_array_equal(loaded.transform(X), plain.transform(X))
    # a later partial_fit trains the plain net in this process
    loaded.partial_fit(X)
    assert loaded.n_epochs_ == 4


def test_one_process_checkpoint_and_resume(tmp_path):
    X = _images(2)
    params = {**PARAMS, "max_epochs": 3, "batch_size": BATCH, "distributed": True,
              "checkpoint_dir": tmp_path / "ckpt"}
    full = GalaxyAutoencoder(**params).fit(X)
    assert (tmp_path / "ckpt" / "LATEST").read_text() == "epoch-3"
    resumed = GalaxyAutoencoder(**{**params, "max_epochs": 5}).fit(X, resume=True)
    assert resumed.n_epochs_ == 5
    assert np.isfinite(resumed.history_.train_loss).all()
    assert full.n_epochs_ == 3


def test_distributed_parameter_is_validated():
    X = _images(3)
    with pytest.raises(ValueError, match="distributed"):
        GalaxyAutoencoder(distributed="yes", **PARAMS).fit(X)
