"""Training controls of the neural models: partial_fit, checkpoints and resumption,
precision, channels-last and torch.compile (issue 15)."""

import os
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skgalvae.models import GalaxyAutoencoder, GalaxyVAE

KW = {"channels": (4, 8), "hidden_dim": 16, "batch_size": 8, "random_state": 0}


@pytest.fixture
def X():
    return np.random.default_rng(0).random((48, 16 * 16), dtype=np.float32)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # collapse / undertrained warnings of tiny fits
        yield


class StopAt(Callback):
    """Raise KeyboardInterrupt (a Ctrl-C) at the end of epoch ``epoch``."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


# --- partial_fit -------------------------------------------------------------------

@pytest.mark.parametrize("cls", [GalaxyVAE, GalaxyAutoencoder])
def test_partial_fit_twice_equals_fit_with_two_epochs(cls, X):
    fitted = cls(max_epochs=2, validation_fraction=None, **KW).fit(X)
    stepped = cls(**KW).partial_fit(X).partial_fit(X)
    np.testing.assert_array_equal(stepped.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(stepped.history_["train_loss"],
                                  fitted.history_["train_loss"])
    assert stepped.n_epochs_ == 2 and list(stepped.history_["epoch"]) == [1, 2]


def test_partial_fit_blocks_keep_optimizer_state_and_check_shape(X):
    vae = GalaxyVAE(**KW)
    for block in np.array_split(X, 3):
        vae.partial_fit(block)
    assert vae.n_epochs_ == 3
    assert vae.net_.optimizer_.state  # Adam's moments carried across the calls
    assert vae.transform(X).shape == (48, 2)
    with pytest.raises(ValueError, match="features"):
        vae.partial_fit(X[:, :100])
    assert vae.n_epochs_ == 3  # the failed call changed nothing
    # fit starts afresh
    vae.set_params(max_epochs=1, validation_fraction=None).fit(X)
    assert vae.n_epochs_ == 1


def test_partial_fit_continues_a_fit(X):
    vae = GalaxyVAE(max_epochs=1, validation_fraction=None, **KW).fit(X)
    weights = [p.detach().clone() for p in vae.net_.module_.parameters()]
    vae.partial_fit(X)
    assert vae.n_epochs_ == 2
    assert any(not torch.equal(a, b)
               for a, b in zip(weights, vae.net_.module_.parameters()))


# --- checkpoints and resumption ----------------------------------------------------

@pytest.mark.parametrize("validation_fraction", [None, 0.25])
def test_resume_after_interruption_equals_uninterrupted(X, tmp_path, validation_fraction):
    kw = {**KW, "max_epochs": 5, "validation_fraction": validation_fraction}
    reference = GalaxyVAE(**kw).fit(X)
    vae = GalaxyVAE(checkpoint_dir=tmp_path, callbacks=[StopAt(3)], **kw)
    with pytest.raises(KeyboardInterrupt):
        vae.fit(X)
    assert not hasattr(vae, "net_")  # nothing of the interrupted fit is kept ...
    assert (tmp_path / "LATEST").read_text() == "epoch-2"  # ... but its checkpoint
    assert sorted(os.listdir(tmp_path)) == ["LATEST", "epoch-2"]
    assert sorted(os.listdir(tmp_path / "epoch-2")) == [
        "history.json", "optimizer.pt", "params.pt", "state.pt"]
    vae.set_params(callbacks=None).fit(X, resume=True)
    np.testing.assert_allclose(vae.transform(X), reference.transform(X), atol=1e-6)
    np.testing.assert_allclose(vae.history_["train_loss"], reference.history_["train_loss"],
                               rtol=1e-6)
    assert vae.n_epochs_ == reference.n_epochs_ == 5


def test_resume_after_early_stopping_matches(X, tmp_path):
    kw = {**KW, "max_epochs": 40, "validation_fraction": 0.25, "patience": 1,
          "lr": 3e-2}
    reference = GalaxyVAE(**kw).fit(X)
    assert reference.n_epochs_ < 40  # early stopping ended it
    stop = max(reference.n_epochs_ - 1, 1)
    vae = GalaxyVAE(checkpoint_dir=tmp_path, callbacks=[StopAt(stop)], **kw)
    with pytest.raises(KeyboardInterrupt):
        vae.fit(X)
    vae.set_params(callbacks=None).fit(X, resume=True)
    assert vae.n_epochs_ == reference.n_epochs_
    np.testing.assert_allclose(vae.transform(X), reference.transform(X), atol=1e-6)


def test_resume_of_a_finished_fit_trains_nothing_more(X, tmp_path):
    kw = {**KW, "max_epochs": 2, "validation_fraction": None, "checkpoint_dir": tmp_path}
    done = GalaxyVAE(**kw).fit(X)
    again = GalaxyVAE(**kw).fit(X, resume=True)
    assert again.n_epochs_ == 2
    np.testing.assert_array_equal(again.transform(X), done.transform(X))
    more = GalaxyVAE(**{**kw, "max_epochs": 3}).fit(X, resume=True)  # a longer budget
    assert more.n_epochs_ == 3


def test_resume_refuses_another_fit_and_needs_a_folder(X, tmp_path):
    kw = {**KW, "max_epochs": 1, "validation_fraction": None}
    GalaxyVAE(checkpoint_dir=tmp_path, **kw).fit(X)
    with pytest.raises(ValueError, match="other parameters or data") as err:
        GalaxyVAE(checkpoint_dir=tmp_path, **{**kw, "lr": 0.01}).fit(X, resume=True)
    assert str(tmp_path) in str(err.value)
    with pytest.raises(ValueError, match="other parameters or data"):
        GalaxyVAE(checkpoint_dir=tmp_path, **kw).fit(X[:40], resume=True)
    with pytest.raises(ValueError, match="needs checkpoint_dir"):
        GalaxyVAE(**kw).fit(X, resume=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        GalaxyVAE(checkpoint_dir=tmp_path / "file", **kw).fit(X)
    # without a checkpoint, resume=True starts afresh; a fresh fit replaces the old one
    fresh = GalaxyVAE(checkpoint_dir=tmp_path / "new", **kw).fit(X, resume=True)
    assert fresh.n_epochs_ == 1 and (tmp_path / "new" / "LATEST").read_text() == "epoch-1"


def test_checkpoint_commit_is_atomic(X, tmp_path, monkeypatch):
    # a crash while a checkpoint is written leaves LATEST on the last complete one
    kw = {**KW, "max_epochs": 3, "validation_fraction": None, "checkpoint_dir": tmp_path}
    real_save = torch.save
    calls = {"n": 0}

    def failing_save(obj, f, *args, **kwargs):
        if str(f).endswith("state.pt"):
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError("disk full")
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        GalaxyVAE(**kw).fit(X)
    monkeypatch.setattr(torch, "save", real_save)
    assert (tmp_path / "LATEST").read_text() == "epoch-1"
    assert (tmp_path / "epoch-1" / "state.pt").is_file()
    resumed = GalaxyVAE(**kw).fit(X, resume=True)
    reference = GalaxyVAE(**{**kw, "checkpoint_dir": None}).fit(X)
    np.testing.assert_allclose(resumed.transform(X), reference.transform(X), atol=1e-6)


# --- precision, channels-last, compile ---------------------------------------------

def test_precision_is_float32_on_the_cpu(X):
    reference = GalaxyVAE(max_epochs=1, **KW).fit(X)
    for precision in ("bf16", "16"):
        with pytest.warns(UserWarning, match=f"precision='{precision}' applies to "
                          "training on a GPU"):
            vae = GalaxyVAE(max_epochs=1, precision=precision, device="cpu", **KW).fit(X)
        assert vae.net_.grad_scaler_ is None
        np.testing.assert_array_equal(vae.transform(X), reference.transform(X))
    with pytest.raises(ValueError, match="precision"):
        GalaxyVAE(precision="64").fit(X)


def test_channels_last_trains_the_same_network(X):
    reference = GalaxyVAE(max_epochs=2, **KW).fit(X)
    vae = GalaxyVAE(max_epochs=2, channels_last=True, **KW).fit(X)
    conv = next(m for m in vae.net_.module_.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    np.testing.assert_allclose(vae.transform(X), reference.transform(X), atol=1e-5)


def test_compile_compiles_the_network(X, monkeypatch):
    compiled = []

    def fake_compile(module, **kwargs):  # torch.compile takes ~40 s on this CPU
        compiled.append(type(module).__name__)
        return module

    monkeypatch.setattr(torch, "compile", fake_compile)
    GalaxyVAE(max_epochs=1, compile=True, **KW).fit(X)
    assert "LatentNet" in compiled
    compiled.clear()
    GalaxyVAE(max_epochs=1, **KW).fit(X)
    assert "LatentNet" not in compiled


def test_partial_fit_on_a_memmap_equals_in_memory(X, tmp_path):
    np.save(tmp_path / "X.npy", X)
    on_disk = np.load(tmp_path / "X.npy", mmap_mode="r")
    a = GalaxyVAE(**KW).partial_fit(X[:24]).partial_fit(X[24:])
    b = GalaxyVAE(**KW).partial_fit(on_disk[:24]).partial_fit(on_disk[24:])
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    with pytest.raises(ValueError, match="another kind"):
        b.partial_fit(X[:24])  # blocks of one kind: all in memory or all on disk


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "4"])
def test_sample_validates_n_samples(X, bad):
    from skgalvae.models import EigengalaxyPCA

    vae = GalaxyVAE(max_epochs=1, **KW).fit(X)
    pca = EigengalaxyPCA(n_components=2).fit(X)
    for model in (vae, pca):
        with pytest.raises(ValueError, match=r"n_samples must be an integer >= 1"):
            model.sample(bad)
        assert model.sample(3, random_state=0).shape == (3, X.shape[1])
