"""Tests of skgalvae.models: GalaxyVAE, GalaxyAutoencoder, EigengalaxyPCA, traversals.

Small images (16x16-32x32), few epochs and one thread for torch and BLAS (the suite
runs several processes on two cores; oversubscribed threads are many times slower) keep
this fast.
"""

import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback, EarlyStopping
from skorch.exceptions import DeviceWarning

from skgalvae.models import (
    LIKELIHOODS,
    EigengalaxyPCA,
    GalaxyAutoencoder,
    GalaxyVAE,
    InactiveLatentWarning,
    UndertrainedWarning,
    latent_traversal,
    traversal_effect,
)
from skgalvae.models._base import BaseLatentModel, _blame_scale
from skgalvae.preprocessing import LogScaler, Resizer

SMALL = {"channels": (8, 16), "hidden_dim": 64, "batch_size": 32}

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py




def make_two_populations(n=240, size=16, seed=0):
    """Round compact blobs (y=0) and extended, inclined exponential discs (y=1).

    Alternating labels; images scaled to a peak of 1, with Gaussian noise, float32.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    y = np.arange(n) % 2
    X = np.empty((n, size, size), np.float32)
    for i in range(n):
        dx, dy = rng.normal(0, 0.7, 2)
        if y[i] == 0:
            s = rng.uniform(1.2, 2.0)
            img = np.exp(-((xx - dx) ** 2 + (yy - dy) ** 2) / (2 * s**2))
        else:
            th, q, h = rng.uniform(0, np.pi), rng.uniform(0.4, 0.9), rng.uniform(3.5, 6)
            u = (xx - dx) * np.cos(th) + (yy - dy) * np.sin(th)
            v = -(xx - dx) * np.sin(th) + (yy - dy) * np.cos(th)
            img = np.exp(-np.sqrt(u**2 + (v / q) ** 2) / h)
        img = img + rng.normal(0, 0.03, img.shape)
        X[i] = np.clip(img / img.max(), 0, 1)
    return X, y


@pytest.fixture(scope="module")
def two_pop():
    X, y = make_two_populations()
    return train_test_split(X, y, test_size=1 / 3, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def fitted_vae(two_pop):
    X_train = two_pop[0]
    return GalaxyVAE(latent_dim=2, max_epochs=15, random_state=0, **SMALL).fit(X_train)


# ---------------------------------------------------------------- science-level checks
def test_vae_separates_two_populations(two_pop, fitted_vae):
    X_train, X_test, y_train, y_test = two_pop
    assert fitted_vae.conv_  # the convolutional path, not the dense fallback
    clf = LogisticRegression().fit(fitted_vae.transform(X_train), y_train)
    score = balanced_accuracy_score(y_test, clf.predict(fitted_vae.transform(X_test)))
    assert score >= 0.9


def test_reconstruction_loss_falls(fitted_vae):
    hist = fitted_vae.history_
    assert isinstance(hist, pd.DataFrame)
    assert len(hist) == fitted_vae.n_epochs_ <= 15
    for col in ["train_loss", "train_recon", "train_kl", "valid_loss", "valid_recon",
                "valid_kl"]:
        assert np.isfinite(hist[col]).all(), col
    assert hist["train_recon"].iloc[-1] < 0.7 * hist["train_recon"].iloc[0]
    assert hist["valid_recon"].iloc[-1] < hist["valid_recon"].iloc[0]
    np.testing.assert_allclose(hist["train_loss"], hist["train_recon"] + hist["train_kl"],
                               rtol=1e-5)


def test_ood_score_flags_unseen_population(two_pop):
    # trained on blobs only, discs are out of distribution
    X_train, X_test, y_train, y_test = two_pop
    vae = GalaxyVAE(max_epochs=10, random_state=0, **SMALL).fit(X_train[y_train == 0])
    scores = vae.score_samples(X_test)
    assert scores.dtype == np.float64 and scores.shape == (len(X_test),)
    assert scores[y_test == 0].mean() > scores[y_test == 1].mean()
    assert vae.score(X_test) == pytest.approx(scores.mean())


# ---------------------------------------------------------------- reproducibility
def test_same_random_state_identical_latents(two_pop):
    X = two_pop[0][:64]
    state = torch.random.get_rng_state()
    Z1 = GalaxyVAE(max_epochs=2, random_state=3, **SMALL).fit_transform(X)
    Z2 = GalaxyVAE(max_epochs=2, random_state=3, **SMALL).fit_transform(X)
    Z3 = GalaxyVAE(max_epochs=2, random_state=4, **SMALL).fit_transform(X)
    assert torch.equal(state, torch.random.get_rng_state())  # global RNG untouched
    assert Z1.dtype == np.float32
    np.testing.assert_array_equal(Z1, Z2)
    assert not np.array_equal(Z1, Z3)


def test_transform_is_deterministic(fitted_vae, two_pop):
    X = two_pop[1]
    np.testing.assert_array_equal(fitted_vae.transform(X), fitted_vae.transform(X))


@pytest.mark.parametrize("Model", [GalaxyVAE, GalaxyAutoencoder])
def test_pickle_round_trip(Model, two_pop):
    X = two_pop[0][:40]
    model = Model(max_epochs=1, random_state=0, **SMALL).fit(X)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(model.transform(X), clone.transform(X))
    np.testing.assert_array_equal(model.score_samples(X), clone.score_samples(X))


# ---------------------------------------------------------------- failure modes
def test_nan_loss_raises_clear_error():
    X = np.full((8, 16, 16), 1e30, dtype=np.float32)  # squared error overflows to inf
    vae = GalaxyVAE(max_epochs=2, random_state=0, **SMALL)
    with pytest.raises(FloatingPointError, match="Lower lr"):
        vae.fit(X)
    with pytest.raises(NotFittedError):
        vae.transform(X)


def test_bce_needs_unit_range():
    X = np.random.default_rng(0).normal(size=(8, 16, 16)).astype(np.float32)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        GalaxyVAE(loss="bce", max_epochs=1, **SMALL).fit(X)


def test_keyboard_interrupt_propagates_and_keeps_the_previous_fit(two_pop):
    class Interrupt(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise KeyboardInterrupt

    X = two_pop[0][:40]
    vae = GalaxyVAE(max_epochs=10, random_state=0, callbacks=[Interrupt()], **SMALL)
    with pytest.raises(KeyboardInterrupt):
        vae.fit(X)
    with pytest.raises(NotFittedError):  # nothing of the interrupted training is kept
        vae.transform(X)
    vae.set_params(callbacks=None, max_epochs=1).fit(X)
    Z = vae.transform(X)
    with pytest.raises(KeyboardInterrupt):
        vae.set_params(callbacks=[Interrupt()], max_epochs=5).fit(X[:, :8, :8])
    assert vae.image_shape_ == (16, 16) and vae.n_epochs_ == 1
    np.testing.assert_array_equal(Z, vae.transform(X))


def test_failed_refit_leaves_the_fitted_model_untouched(two_pop):
    X = two_pop[0][:40]
    vae = GalaxyVAE(max_epochs=1, random_state=0, **SMALL).fit(X)
    Z, net = vae.transform(X), vae.net_
    bad = np.full((8, 32, 32), 1e30, dtype=np.float32)  # another size, and diverges
    with pytest.raises(FloatingPointError):
        vae.fit(bad)
    assert vae.net_ is net and vae.image_shape_ == (16, 16) and vae.n_features_in_ == 256
    np.testing.assert_array_equal(Z, vae.transform(X))


def test_small_images_warn_and_use_dense_network():
    X = np.random.default_rng(0).random((10, 16, 16), dtype=np.float32)
    with pytest.warns(UserWarning, match="dense network"):
        vae = GalaxyVAE(max_epochs=1, random_state=0).fit(X)  # default: 5 layers
    assert not vae.conv_


# ---------------------------------------------------------------- shapes and interface
@pytest.mark.filterwarnings("ignore::skgalvae.models.UndertrainedWarning")  # 1 batch
@pytest.mark.parametrize("shape, channels", [((50, 50), (4, 8, 16)),
                                             ((64, 48), (4, 8, 16)),
                                             ((100, 100), (4, 8, 16)),
                                             ((150, 150), (4, 8, 16, 32, 64))])
def test_non_power_of_two_shapes(shape, channels):
    X = np.random.default_rng(0).random((6, *shape), dtype=np.float32)
    vae = GalaxyVAE(latent_dim=3, channels=channels, max_epochs=1, hidden_dim=32,
                    validation_fraction=None, random_state=0).fit(X)
    assert vae.conv_ and vae.image_shape_ == shape
    assert vae.transform(X).shape == (6, 3)
    assert vae.reconstruct(X).shape == (6, shape[0] * shape[1])
    flat = X.reshape(6, -1)  # flat rows need image_shape when not square
    vae2 = GalaxyVAE(latent_dim=3, channels=channels, max_epochs=1, hidden_dim=32,
                     image_shape=shape, random_state=0).fit(flat)
    assert vae2.image_shape_ == shape


def test_inverse_transform_sample_and_encode(fitted_vae):
    h, w = fitted_vae.image_shape_
    Z = np.random.default_rng(0).normal(size=(5, 2))
    assert fitted_vae.inverse_transform(Z).shape == (5, h * w)
    assert fitted_vae.inverse_transform(Z).dtype == np.float32
    with pytest.raises(ValueError, match=r"\(n_samples, 2\) \(the fitted latent_dim_\)"):
        fitted_vae.inverse_transform(np.zeros((5, 3)))
    s1 = fitted_vae.sample(4, random_state=0)
    assert s1.shape == (4, h * w)
    np.testing.assert_array_equal(s1, fitted_vae.sample(4, random_state=0))
    X = fitted_vae.inverse_transform(Z)
    mean, std = fitted_vae.encode(X)
    np.testing.assert_array_equal(mean, fitted_vae.transform(X))
    assert std.shape == (5, 2) and (std > 0).all()
    assert fitted_vae.get_feature_names_out().tolist() == ["galaxyvae0", "galaxyvae1"]


def test_input_layouts_and_dtypes(fitted_vae, two_pop):
    X = two_pop[1][:10]
    Z = fitted_vae.transform(X)
    np.testing.assert_array_equal(Z, fitted_vae.transform(X.reshape(10, -1)))
    np.testing.assert_array_equal(Z, fitted_vae.transform(X[:, None]))
    np.testing.assert_array_equal(Z, fitted_vae.transform(X.astype(np.float64)))
    ro = X.reshape(10, -1).copy()
    ro.flags.writeable = False
    np.testing.assert_array_equal(Z, fitted_vae.transform(ro))
    with pytest.raises(ValueError, match="fitted on images of shape"):
        fitted_vae.transform(np.zeros((2, 8, 32), np.float32))


def test_set_output_pandas(fitted_vae, two_pop):
    out = fitted_vae.set_output(transform="pandas").transform(two_pop[1][:3])
    fitted_vae.set_output(transform="default")
    assert list(out.columns) == ["galaxyvae0", "galaxyvae1"]


def test_autoencoder_interface(two_pop):
    X = two_pop[0][:60]
    ae = GalaxyAutoencoder(latent_dim=3, max_epochs=3, random_state=0, loss="bce",
                           **SMALL).fit(X)
    mean, std = ae.encode(X)
    assert mean.shape == (60, 3) and not std.any()
    assert (ae.history_["train_kl"] == 0).all()
    rec = ae.reconstruct(X)
    assert rec.min() >= 0 and rec.max() <= 1  # Bernoulli means
    assert ae.score_samples(X).shape == (60,)
    assert ae.get_feature_names_out()[0] == "galaxyautoencoder0"
    assert ae.sample(2, random_state=0).shape == (2, 256)


def test_verbose_and_callbacks(two_pop, capsys):
    class Count(Callback):
        def initialize(self):
            self.n = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.n += 1

    X = two_pop[0][:40]
    counter = Count()
    vae = GalaxyVAE(max_epochs=2, random_state=0, callbacks=[("count", counter)],
                    **SMALL).fit(X)
    assert capsys.readouterr().out == ""
    assert dict(vae.net_.callbacks_)["count"].n == 2  # a copy of the callback ran
    GalaxyVAE(max_epochs=1, random_state=0, verbose=1, **SMALL).fit(X)
    assert "train_loss" in capsys.readouterr().out


def test_validation_split_is_shuffled_and_optional(two_pop):
    model = GalaxyVAE(validation_fraction=0.25)
    train, valid = model._split(100, np.random.RandomState(0))
    assert len(valid) == 25 and len(train) == 75
    assert not np.array_equal(valid, np.arange(25))  # not skorch's first block
    assert np.array_equal(np.sort(np.r_[train, valid]), np.arange(100))
    X = two_pop[0][:30]
    vae = GalaxyVAE(max_epochs=2, validation_fraction=0, random_state=0, **SMALL).fit(X)
    assert vae.history_["valid_loss"].isna().all()
    assert vae.n_epochs_ == 2


def test_early_stopping(two_pop):
    X = two_pop[0][:60]
    # lr so small that the validation loss cannot improve by skorch's 1e-4 threshold
    vae = GalaxyVAE(max_epochs=20, patience=2, lr=1e-12, random_state=0, **SMALL).fit(X)
    assert vae.n_epochs_ == 3
    # a fixed likelihood: only the weights could change the validation loss
    vae = GalaxyVAE(max_epochs=20, patience=2, lr=1e-12, loss="mse", random_state=0,
                    **SMALL).fit(X)
    assert vae.n_epochs_ == 3


@pytest.mark.filterwarnings("ignore::skgalvae.models.UndertrainedWarning")  # 1 batch
def test_device_auto_resolves_to_cpu(two_pop):
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    X = two_pop[0][:20]
    vae = GalaxyVAE(max_epochs=1, random_state=0, **SMALL).fit(X)
    assert vae.device_ == "cpu"
    Z = vae.transform(X)
    assert vae.to_device("cpu") is vae
    np.testing.assert_array_equal(Z, vae.transform(X))
    with pytest.raises(ValueError, match="not a torch device"):
        vae.to_device("nonsense")


# ---------------------------------------------------------------- model selection
def test_grid_search_in_pipeline_and_pca_swap():
    X, _ = make_two_populations(n=48, size=24, seed=1)
    X = X.reshape(48, -1) * 100.0  # "flux"
    pipe = Pipeline([
        ("resize", Resizer(output_shape=16)),
        ("scale", LogScaler()),
        ("latent", GalaxyVAE(max_epochs=2, random_state=0, **SMALL)),
    ])
    search = GridSearchCV(pipe, param_grid={"latent__latent_dim": [2, 4]}, cv=2)
    search.fit(X)
    assert search.best_params_["latent__latent_dim"] in (2, 4)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.transform(X).shape[1] == search.best_params_["latent__latent_dim"]

    pipe.set_params(latent=EigengalaxyPCA(n_components=3))
    assert pipe.fit_transform(X).shape == (48, 3)
    search = GridSearchCV(pipe, param_grid={"latent__n_components": [2, 4]}, cv=2)
    search.fit(X)
    assert search.best_params_["latent__n_components"] in (2, 4)
    names = search.best_estimator_.get_feature_names_out()
    assert names[0] == "eigengalaxypca0"


# ---------------------------------------------------------------- PCA
@pytest.fixture(scope="module")
def pca_data():
    X, y = make_two_populations(n=120, size=16, seed=2)
    return X, y


def test_pca_threshold_selection(pca_data):
    X, _ = pca_data
    flat = X.reshape(len(X), -1)
    model = EigengalaxyPCA(n_components=0.96).fit(X)
    ref = PCA(n_components=0.96).fit(flat)
    assert model.n_components_ == ref.n_components_
    cum = np.cumsum(model.explained_variance_ratio_)
    assert cum[-1] >= 0.96 and (model.n_components_ == 1 or cum[-2] < 0.96)
    np.testing.assert_allclose(model.transform(X), ref.transform(flat), rtol=1e-4,
                               atol=1e-4)
    assert model.transform(X).dtype == np.float32
    assert model.components_as_images().shape == (model.n_components_, 16, 16)
    assert model.mean_image_.shape == (16, 16)
    assert model.image_shape_ == (16, 16)
    assert model.get_feature_names_out()[0] == "eigengalaxypca0"


def test_pca_scores_match_sklearn(pca_data):
    X, y = pca_data
    flat = X.reshape(len(X), -1).astype(np.float64)
    model = EigengalaxyPCA(n_components=5).fit(flat)
    ref = PCA(n_components=5).fit(flat)
    np.testing.assert_allclose(model.score_samples(flat), ref.score_samples(flat),
                               rtol=1e-6)
    assert model.score(flat) == pytest.approx(ref.score(flat))


def test_pca_inverse_reconstruct_encode_sample(pca_data):
    X, _ = pca_data
    model = EigengalaxyPCA(n_components=4, random_state=0).fit(X)
    Z = model.transform(X)
    assert model.inverse_transform(Z).shape == (len(X), 256)
    np.testing.assert_allclose(model.reconstruct(X), model.inverse_transform(Z))
    mean, std = model.encode(X)
    np.testing.assert_array_equal(mean, Z)
    assert not std.any()
    assert model.sample(3, random_state=0).shape == (3, 256)
    with pytest.raises(ValueError, match="n_components_=4"):
        model.inverse_transform(np.zeros((2, 3)))
    full = EigengalaxyPCA(n_components=None).fit(X)
    np.testing.assert_allclose(full.reconstruct(X), X.reshape(len(X), -1), atol=1e-4)


def test_incremental_pca(pca_data):
    X, _ = pca_data
    inc = EigengalaxyPCA(n_components=4, incremental=True, batch_size=40).fit(X)
    ref = EigengalaxyPCA(n_components=4).fit(X)
    np.testing.assert_allclose(np.abs(inc.components_), np.abs(ref.components_),
                               atol=0.05)
    assert np.isfinite(inc.score_samples(X)).all()
    part = EigengalaxyPCA(n_components=4, incremental=True)
    for chunk in np.array_split(X, 3):
        part.partial_fit(chunk)
    assert part.n_samples_seen_ == len(X)
    with pytest.raises(ValueError, match="incremental=False"):
        EigengalaxyPCA(n_components=0.9, incremental=True).fit(X)
    assert not hasattr(EigengalaxyPCA(), "partial_fit")


# ---------------------------------------------------------------- traversal
def test_latent_traversal(fitted_vae, pca_data):
    grid = latent_traversal(fitted_vae)
    assert grid.shape == (2, 7, 16, 16)
    grid = latent_traversal(fitted_vae, dims=[1], values=[-1, 0, 1], base=[0.5, 0.0])
    assert grid.shape == (1, 3, 16, 16)
    # the middle image is the decoded base
    np.testing.assert_allclose(
        grid[0, 1].ravel(), fitted_vae.inverse_transform([[0.5, 0.0]])[0], atol=1e-6)
    pca = EigengalaxyPCA(n_components=3).fit(pca_data[0])
    grid = latent_traversal(pca, values=[0.0])
    np.testing.assert_allclose(grid[0, 0], pca.mean_image_, atol=1e-6)
    with pytest.raises(ValueError, match="dims"):
        latent_traversal(fitted_vae, dims=[2])
    with pytest.raises(ValueError, match="base"):
        latent_traversal(fitted_vae, base=[0.0])


# ---------------------------------------------------------------- packaging
def test_shared_base_class():
    assert issubclass(GalaxyVAE, BaseLatentModel)
    assert issubclass(GalaxyAutoencoder, BaseLatentModel)
    assert "beta" in GalaxyVAE().get_params()
    assert "beta" not in GalaxyAutoencoder().get_params()



# ---------------------------------------------------------------- likelihoods and collapse
@pytest.mark.filterwarnings("ignore::skgalvae.models.InactiveLatentWarning")  # 2 epochs
@pytest.mark.parametrize("loss", LIKELIHOODS)
def test_every_likelihood_trains_scores_and_reports_its_noise(loss, two_pop):
    X = two_pop[0][:60]
    vae = GalaxyVAE(loss=loss, max_epochs=2, random_state=0, **SMALL).fit(X)
    assert vae.likelihood_ == loss
    scores = vae.score_samples(X)
    assert scores.shape == (60,) and np.isfinite(scores).all()
    assert np.isfinite(vae.history_["train_loss"]).all()
    noise = vae.noise_std_
    if loss == "bce":
        assert noise is None and vae.history_["decoder_std"].isna().all()
    elif loss == "mse":
        assert noise == pytest.approx(np.sqrt(0.5))
    elif loss == "analytic":  # calibrated to the training set's mean squared error
        assert noise == pytest.approx(np.sqrt(vae.reconstruction_mse_), rel=1e-4)
    elif loss == "gaussian_pixel":
        assert noise.shape == (256,) and (noise > 0).all()
    else:
        assert 1e-3 < noise < 1


@pytest.mark.filterwarnings("ignore::skgalvae.models.InactiveLatentWarning")
@pytest.mark.parametrize("loss", ["analytic", "gaussian"])
def test_calibrated_score_samples_is_the_hand_computed_elbo(loss):
    rng = np.random.default_rng(0)
    X = rng.random((12, 4), dtype=np.float32)  # 2x2 images: the dense network
    vae = GalaxyVAE(latent_dim=2, hidden_dim=3, max_epochs=3, batch_size=4, loss=loss,
                    validation_fraction=None, random_state=0).fit(X)
    module = vae.net_.module_
    params = {k: v.detach().double().numpy() for k, v in module.state_dict().items()}

    def leaky(a):
        return np.where(a > 0, a, 0.1 * a)

    x = X.astype(np.float64)
    h = leaky(x @ params["encoder.0.weight"].T + params["encoder.0.bias"])
    mu = h @ params["mu.weight"].T + params["mu.bias"]
    logvar = h @ params["logvar.weight"].T + params["logvar.bias"]
    d = leaky(mu @ params["decoder.0.weight"].T + params["decoder.0.bias"])
    recon = d @ params["decoder.2.weight"].T + params["decoder.2.bias"]
    log_sigma = float(params["likelihood.log_sigma"])
    sigma2 = np.exp(2 * log_sigma)
    log_lik = -0.5 * ((x - recon) ** 2 / sigma2 + np.log(2 * np.pi * sigma2)).sum(1)
    kl = 0.5 * (mu**2 + np.exp(logvar) - 1 - logvar).sum(1)
    np.testing.assert_allclose(vae.score_samples(X), log_lik - kl, rtol=1e-4, atol=1e-4)
    assert vae.noise_std_ == pytest.approx(np.exp(log_sigma), rel=1e-5)
    if loss == "analytic":  # sigma^2 is the training images' reconstruction MSE
        mse = np.mean((vae.reconstruct(X) - X) ** 2)
        assert np.exp(2 * log_sigma) == pytest.approx(mse, rel=1e-4)


def test_collapse_guard_warns_on_overregularised_fit_only(two_pop):
    X = two_pop[0]
    with pytest.warns(InactiveLatentWarning, match=r"latent\(s\) 0, 1"):
        vae = GalaxyVAE(beta=100, max_epochs=8, random_state=0, **SMALL).fit(X)
    assert vae.n_active_latents_ == 0 and not vae.active_latents_.any()
    assert (vae.latent_std_ < 0.1).all()


def test_default_fit_keeps_every_latent_active(two_pop, recwarn):
    vae = GalaxyVAE(latent_dim=2, max_epochs=30, random_state=0, **SMALL).fit(two_pop[0])
    assert not [w for w in recwarn if issubclass(w.category, InactiveLatentWarning)]
    assert vae.n_active_latents_ == 2 and vae.active_latents_.all()
    assert (vae.latent_std_ > 0.3).all() and (vae.kl_per_latent_ > 0.5).all()
    hist = vae.history_
    per_latent = hist[["train_kl_0", "train_kl_1"]].to_numpy()
    np.testing.assert_allclose(per_latent.sum(1), hist["train_kl"], rtol=1e-4)
    # the analytic noise level follows the reconstructions as they improve
    assert (hist["decoder_std"] > 0).all()
    assert hist["decoder_std"].iloc[-1] < 0.5 * hist["decoder_std"].iloc[0]
    assert vae.noise_std_ == pytest.approx(np.sqrt(vae.reconstruction_mse_), rel=1e-4)


def test_autoencoder_reports_spread_but_no_kl(two_pop):
    ae = GalaxyAutoencoder(max_epochs=2, random_state=0, **SMALL).fit(two_pop[0][:60])
    assert ae.latent_std_.shape == (2,) and np.isnan(ae.kl_per_latent_).all()
    assert "train_kl_0" in ae.history_ and (ae.history_["train_kl_0"] == 0).all()


def test_fitted_model_keeps_its_likelihood_and_latent_dim(fitted_vae, two_pop):
    X = two_pop[1][:10]
    vae = pickle.loads(pickle.dumps(fitted_vae))
    scores, rec = vae.score_samples(X), vae.reconstruct(X)
    vae.set_params(loss="bce", latent_dim=5)  # affects the next fit only
    np.testing.assert_array_equal(scores, vae.score_samples(X))
    np.testing.assert_array_equal(rec, vae.reconstruct(X))
    assert vae.get_feature_names_out().tolist() == ["galaxyvae0", "galaxyvae1"]
    assert vae.inverse_transform(np.zeros((1, 2))).shape == (1, 256)
    assert latent_traversal(vae, values=[-1, 1]).shape == (2, 2, 16, 16)
    assert vae.set_output(transform="pandas").transform(X).shape == (10, 2)


def test_sample_with_and_without_likelihood_noise(fitted_vae):
    smooth = fitted_vae.sample(3, random_state=0)
    noisy = fitted_vae.sample(3, random_state=0, noise=True)
    np.testing.assert_array_equal(noisy, fitted_vae.sample(3, random_state=0, noise=True))
    resid = noisy - smooth
    assert resid.std() == pytest.approx(fitted_vae.noise_std_, rel=0.2)


def test_traversal_effect_flags_a_dead_latent(fitted_vae, pca_data):
    table = traversal_effect(fitted_vae)
    assert list(table.index) == ["galaxyvae0", "galaxyvae1"]
    assert table["relative"].max() == 1.0 and (table["relative"] > 0.2).all()
    dead = pickle.loads(pickle.dumps(fitted_vae))
    with torch.no_grad():  # the decoder ignores latent 1
        dead.net_.module_.decoder.dense[0].weight[:, 1] = 0
    effect = traversal_effect(dead)
    assert effect.loc["galaxyvae1", "effect"] == 0 and effect["relative"].tolist() == [1, 0]
    # PCA: steps of sqrt(explained_variance_) along each component, 4 in all
    pca = EigengalaxyPCA(n_components=3).fit(pca_data[0])
    expected = 4 * np.sqrt(pca.explained_variance_) * np.abs(pca.components_).mean(1)
    np.testing.assert_allclose(traversal_effect(pca)["effect"], expected, rtol=1e-4)


# ---------------------------------------------------------------- hardening
@pytest.mark.filterwarnings("ignore::skgalvae.models.InactiveLatentWarning")
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps"])
def test_unavailable_device_raises_before_any_work(device, two_pop):
    if torch.cuda.is_available() or (device == "mps" and torch.backends.mps.is_available()):
        pytest.skip(f"{device} is available here")
    name = "MPS" if device == "mps" else "CUDA"
    # the device is checked before the data: the NaN images are never looked at
    bad = np.full((4, 16, 16), np.nan, np.float32)
    vae = GalaxyVAE(max_epochs=1, device=device, **SMALL)
    with pytest.raises(ValueError, match=rf"device='{device}' asks for .*{name}.* not "
                                         r"available.*device='cpu'"):
        vae.fit(bad)
    assert not hasattr(vae, "net_") and not hasattr(vae, "device_")
    X = two_pop[0][:40]
    vae = GalaxyVAE(max_epochs=2, random_state=0, **SMALL).fit(X)
    Z = vae.transform(X)
    with pytest.raises(ValueError, match=rf"device='{device}' asks for .*{name}"):
        vae.to_device(device)
    assert vae.device_ == "cpu" and str(vae.net_.device) == "cpu"  # nothing moved
    np.testing.assert_array_equal(Z, vae.transform(X))


@pytest.mark.filterwarnings("ignore::skgalvae.models.InactiveLatentWarning")
@pytest.mark.filterwarnings("ignore:Requested to load data to CUDA")  # skorch's 2nd
def test_gpu_trained_model_unpickles_onto_the_cpu(two_pop):
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    X = two_pop[0][:40]
    vae = GalaxyVAE(max_epochs=2, random_state=0, **SMALL).fit(X)
    Z = vae.transform(X)
    vae.device_ = vae.net_.device = "cuda"  # as if trained on a GPU
    with pytest.warns(DeviceWarning, match=r"\(cuda\) is not available"):  # to the CPU
        clone = pickle.loads(pickle.dumps(vae))
    assert clone.device_ == "cpu"
    np.testing.assert_array_equal(Z, clone.transform(X))


@pytest.mark.parametrize("fraction, n, counts, advice", [
    (0.99, 20, "leaves 0 training and 20 validation images", r"in \(0.05, 0.9\]"),
    (0.9, 20, "leaves 2 training and 18 validation", None),  # the largest that works
    (0.95, 20, "leaves 1 training and 19 validation images", r"in \(0.05, 0.9\]"),
    (0.05, 20, "leaves 19 training and 1 validation images", r"in \(0.05, 0.9\]"),
    (0.5, 3, "leaves 1 training and 2 validation images", "validation_fraction=None"),
])
def test_validation_fraction_must_leave_two_images_each_side(fraction, n, counts, advice):
    X = np.random.default_rng(0).random((n, 16, 16), dtype=np.float32)
    vae = GalaxyVAE(max_epochs=1, validation_fraction=fraction, random_state=0, **SMALL)
    if advice is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InactiveLatentWarning)
            warnings.simplefilter("ignore", UndertrainedWarning)  # 2 training images
            vae.fit(X)
        train, valid = vae._split(n, np.random.RandomState(0))
        assert (len(train), len(valid)) == (2, 18)
        assert np.isfinite(vae.history_["valid_loss"]).all()
        return
    with pytest.raises(ValueError, match=rf"validation_fraction={fraction} of {n} images "
                                         rf"{counts}; each needs at least 2.*{advice}"):
        vae.fit(X)
    assert not hasattr(vae, "net_")


@pytest.mark.filterwarnings("ignore::skgalvae.models.InactiveLatentWarning")
@pytest.mark.filterwarnings("ignore::skgalvae.models.UndertrainedWarning")
def test_auto_validation_fraction_skips_validation_on_tiny_data():
    assert GalaxyVAE().validation_fraction == "auto"
    assert GalaxyAutoencoder().validation_fraction == "auto"
    model = GalaxyVAE()
    rng = np.random.RandomState(0)
    assert [len(part) for part in model._split(10, rng)] == [10, 0]  # 1 would validate
    assert [len(part) for part in model._split(11, rng)] == [9, 2]
    assert [len(part) for part in model._split(200, rng)] == [180, 20]
    X = np.random.default_rng(0).random((6, 16, 16), dtype=np.float32)
    vae = GalaxyVAE(max_epochs=2, random_state=0, **SMALL).fit(X)
    assert vae.history_["valid_loss"].isna().all() and vae.n_epochs_ == 2


def test_diverged_fit_on_unscaled_data_blames_the_scale_first():
    rng = np.random.default_rng(0)
    X = (rng.random((8, 16, 16)) * 1e30).astype(np.float32)  # squares overflow float32
    vae = GalaxyVAE(max_epochs=2, random_state=0, validation_fraction=None, **SMALL)
    with pytest.raises(FloatingPointError) as info:
        vae.fit(X)
    msg = str(info.value)
    assert "max |x| = 1e+30" in msg and "far from the [0, 1] range" in msg
    assert "LogScaler" in msg and "StandardScaler" in msg
    assert msg.index("Scale X first") < msg.index("Lower lr")  # the scale first
    assert not hasattr(vae, "net_")
    # on data of the usual scale, the divergence error keeps its lr advice
    exc = FloatingPointError("The training loss became nan ... Lower lr (e.g. by 10x)")
    assert _blame_scale(exc, np.ones((2, 4), np.float32), 1e-3) is exc
    assert _blame_scale(exc, np.full((2, 4), 999.0, np.float32), 1e-3) is exc
    blamed = _blame_scale(exc, np.full((2, 4), -2e3, np.float32), 1e-3)
    assert "max |x| = 2e+03" in str(blamed) and "(now 0.001)" in str(blamed)


@pytest.mark.filterwarnings("ignore::skgalvae.models.InactiveLatentWarning")
def test_single_batch_fit_warns_undertrained(two_pop):
    X = two_pop[0][:20]
    with pytest.warns(UndertrainedWarning, match=r"single gradient step: 1 batch of 20 "
                                                 r"training images.*max_epochs=1, "
                                                 r"batch_size=32.*Raise max_epochs"):
        vae = GalaxyVAE(max_epochs=1, validation_fraction=None, random_state=0,
                        **SMALL).fit(X)
    assert vae.n_epochs_ == 1  # fitted, with the warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndertrainedWarning)
        GalaxyVAE(max_epochs=2, validation_fraction=None, random_state=0, **SMALL).fit(X)
        GalaxyVAE(max_epochs=1, validation_fraction=None, random_state=0,
                  **{**SMALL, "batch_size": 10}).fit(X)


@pytest.mark.filterwarnings("ignore::skgalvae.models.InactiveLatentWarning")
def test_fit_stopped_inside_an_epoch_warns_undertrained(two_pop):
    class StopMidEpoch(EarlyStopping):
        """Ends training inside epoch 2, the way skorch lets EarlyStopping stop."""

        def on_epoch_end(self, net, **kwargs):
            pass

        def on_batch_end(self, net, training=False, **kwargs):
            if training and len(net.history) == 2:
                self.misses_ = self.patience
                raise KeyboardInterrupt

    X = two_pop[0][:60]
    vae = GalaxyVAE(max_epochs=5, random_state=0, callbacks=[StopMidEpoch()], **SMALL)
    with pytest.warns(UndertrainedWarning, match=r"stopped inside epoch 2 of max_epochs=5"
                                                 r".*train_loss and valid_loss NaN.*"
                                                 r"on_epoch_end"):
        vae.fit(X)
    assert vae.n_epochs_ == 2 and vae.history_["train_loss"].isna().tolist() == [False, True]
    assert np.isfinite(vae.transform(X)).all()


@pytest.mark.filterwarnings("ignore::skgalvae.models.InactiveLatentWarning")
def test_early_stopping_at_an_epoch_end_does_not_warn(two_pop):
    X = two_pop[0][:60]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndertrainedWarning)
        vae = GalaxyVAE(max_epochs=20, patience=2, lr=1e-12, random_state=0,
                        **SMALL).fit(X)
    assert vae.n_epochs_ == 3 and np.isfinite(vae.history_["valid_loss"]).all()


def test_undertrained_warning_is_exported():
    from sklearn.exceptions import ConvergenceWarning

    import skgalvae.models

    assert "UndertrainedWarning" in skgalvae.models.__all__
    assert issubclass(UndertrainedWarning, ConvergenceWarning)
    assert issubclass(UndertrainedWarning, UserWarning)


@pytest.mark.parametrize("scale", [3e19, 1e38, 1e-25])
@pytest.mark.parametrize("incremental", [False, True])
def test_pca_on_extreme_float32_scales_stays_finite(scale, incremental):
    base = np.random.default_rng(0).random((30, 8, 8))
    X = (base * scale).astype(np.float32)
    ref = EigengalaxyPCA(n_components=3, incremental=incremental).fit(base)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow escapes
        model = EigengalaxyPCA(n_components=3, incremental=incremental).fit(X)
        Z = model.transform(X)
        rec = model.inverse_transform(Z)
        scores = model.score_samples(X)
        score = model.score(X)
        sample = model.sample(2, random_state=0)
    np.testing.assert_allclose(model.explained_variance_ratio_,
                               ref.explained_variance_ratio_, rtol=1e-4)
    assert Z.dtype == rec.dtype == sample.dtype == np.float32
    np.testing.assert_allclose(Z / scale, ref.transform(base), atol=1e-5)
    np.testing.assert_allclose(rec / scale, ref.reconstruct(base), atol=1e-5)
    # the log-likelihood of x * scale is that of x minus n_features * log(scale)
    np.testing.assert_allclose(scores, ref.score_samples(base) - 64 * np.log(scale),
                               rtol=1e-6)
    assert score == pytest.approx(scores.mean()) and np.isfinite(sample).all()


def test_pca_on_data_beyond_float64_range_raises():
    base = np.random.default_rng(0).random((30, 8, 8))
    for scale, text in [(1e200, "1e+200"), (1e-200, "1e-200")]:
        with pytest.raises(ValueError, match=rf"max \|x\| = {re.escape(text)}.*float64.*"
                                             r"Divide the "
                                             r"images by a constant"):
            EigengalaxyPCA(n_components=3).fit(base * scale)
    model = EigengalaxyPCA(n_components=3).fit(base)
    with pytest.raises(ValueError, match=r"max \|x\| = 1e\+200"):
        model.transform(base * 1e200)


def test_traversal_parameters_are_validated(pca_data):
    pca = EigengalaxyPCA(n_components=3).fit(pca_data[0])
    for kwargs, name in [({"model": object()}, "model"), ({"dims": 1.5}, "dims"),
                         ({"dims": "a"}, "dims"), ({"values": "abc"}, "values"),
                         ({"base": 3.0}, "base")]:
        call = {"model": pca, **kwargs}
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of "
                                                        f"latent_traversal"):
            latent_traversal(**call)
    with pytest.raises(InvalidParameterError, match="'model' parameter of traversal_effect"):
        traversal_effect(PCA(n_components=2).fit(pca_data[0].reshape(120, -1)).components_)
    with pytest.raises(InvalidParameterError, match="'values' parameter of traversal_effect"):
        traversal_effect(pca, values=1.0)
    assert latent_traversal(pca, dims=1, values=[0.0]).shape == (1, 1, 16, 16)
    assert latent_traversal(pca, dims=[-1], values=[0.0]).shape == (1, 1, 16, 16)
    with pytest.raises(ValueError, match=r"dims must be latent indices in \[-3, 3\)"):
        latent_traversal(pca, dims=[3])
    with pytest.raises(ValueError, match="values must be one or more finite numbers"):
        latent_traversal(pca, values=[])
    with pytest.raises(ValueError, match="values must be one or more finite numbers"):
        latent_traversal(pca, values=[0.0, np.nan])
    with pytest.raises(ValueError, match="base must be 3 finite numbers"):
        latent_traversal(pca, base=[0.0, np.inf, 0.0])
