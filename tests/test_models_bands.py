"""Multi-band (g, r, i) images through the latent models.

Images of ``image_shape_ = (3, 16, 16)`` travel as flat rows of ``3 * 16 * 16`` pixels
(band-major) or as ``(n, 3, 16, 16)`` cubes; one band behaves bit for bit as before
multi-band support. Tiny networks, 2 epochs, one thread.
"""

import math

import numpy as np
import pytest
import torch

from skgalvae.models import EigengalaxyPCA, GalaxyAutoencoder, GalaxyVAE, latent_traversal
from skgalvae.models._likelihoods import make_likelihood
from skgalvae.models._nets import LatentNet, uses_conv

pytestmark = [pytest.mark.filterwarnings("ignore::skgalvae.models.InactiveLatentWarning"),
              pytest.mark.usefixtures("one_thread")]

NET = {"channels": (4, 8), "hidden_dim": 16, "batch_size": 8, "max_epochs": 2,
       "random_state": 0, "device": "cpu"}
SHAPE = (3, 16, 16)
N_PIXELS = math.prod(SHAPE)


def _models():
    return [GalaxyVAE(latent_dim=3, **NET), GalaxyAutoencoder(latent_dim=3, **NET),
            EigengalaxyPCA(n_components=3, random_state=0)]


@pytest.fixture(params=["GalaxyVAE", "GalaxyAutoencoder", "EigengalaxyPCA"])
def model(request):
    return next(m for m in _models() if type(m).__name__ == request.param)


# ------------------------------------------------------------------ shapes, round trips
def test_gri_shapes_through_every_method(model, gri_galaxies):
    X, _ = gri_galaxies
    model.fit(X)
    assert model.image_shape_ == SHAPE and model.n_features_in_ == N_PIXELS
    Z = model.transform(X)
    assert Z.shape == (len(X), 3) and np.isfinite(Z).all()
    assert model.inverse_transform(Z).shape == (len(X), N_PIXELS)
    assert model.reconstruct(X[:5]).shape == (5, N_PIXELS)
    assert model.sample(4, random_state=0).shape == (4, N_PIXELS)
    assert model.score_samples(X[:5]).shape == (5,)
    grid = latent_traversal(model, dims=[0, 2], values=[-1.0, 0.0, 1.0])
    assert grid.shape == (2, 3, *SHAPE)
    # the traversal's images are the decoder's flat rows, reshaped band-major
    Z0 = np.zeros((3, 3), np.float32)
    Z0[:, 0] = [-1.0, 0.0, 1.0]
    np.testing.assert_allclose(grid[0].reshape(3, -1), model.inverse_transform(Z0),
                               rtol=1e-6, atol=1e-6)


def test_flat_rows_with_image_shape_equal_cubes(model, gri_galaxies):
    X, _ = gri_galaxies
    flat = X.reshape(len(X), -1)
    a = model.fit(X).transform(X)
    b = type(model)(**{**model.get_params(), "image_shape": SHAPE}).fit(flat)
    assert b.image_shape_ == SHAPE
    np.testing.assert_array_equal(b.transform(flat), a)
    np.testing.assert_array_equal(b.transform(X), a)  # cubes into a model fitted flat


def test_wrong_band_count_is_rejected(model, gri_galaxies):
    X, _ = gri_galaxies
    model.fit(X)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(3, 16, 16\)"):
        model.transform(X[:, :2])
    with pytest.raises(ValueError, match="features"):
        model.transform(X[:, 0].reshape(len(X), -1))


def test_pca_round_trip_and_components_per_band(gri_galaxies):
    X, _ = gri_galaxies
    flat = X.reshape(len(X), -1).astype(np.float64)
    pca = EigengalaxyPCA(n_components=None).fit(X.astype(np.float64))
    np.testing.assert_allclose(pca.reconstruct(X.astype(np.float64)), flat, atol=1e-10)
    comps = pca.components_as_images()
    assert comps.shape == (len(X), *SHAPE)
    np.testing.assert_array_equal(comps[1, 2], pca.components_[1].reshape(SHAPE)[2])
    assert pca.mean_image_.shape == SHAPE
    np.testing.assert_allclose(pca.mean_image_, X.mean(0), rtol=1e-5, atol=1e-6)
    # channels are flattened: PCA on the cubes is PCA on band-major rows
    flat_pca = EigengalaxyPCA(n_components=None, image_shape=SHAPE).fit(flat)
    np.testing.assert_allclose(np.abs(flat_pca.components_), np.abs(pca.components_),
                               atol=1e-8)


def test_vae_learns_gri_galaxies_and_their_band_noise(gri_galaxies):
    X, _ = gri_galaxies
    flat = X.reshape(len(X), -1)
    vae = GalaxyVAE(latent_dim=2, **{**NET, "max_epochs": 60, "lr": 3e-3,
                                     "validation_fraction": None}).fit(X)
    err = np.mean((vae.reconstruct(X) - flat) ** 2)
    baseline = np.mean((flat - flat.mean(0)) ** 2)  # the mean image's error
    assert err < baseline / 2  # measured: 0.0011 vs 0.0067
    # g carries twice the pixel noise of r and i: its fitted sigma is the largest
    assert vae.noise_std_[0] > max(vae.noise_std_[1:])


# ------------------------------------------------------------------ the networks
def test_networks_take_their_channels_from_the_bands():
    net = LatentNet(SHAPE, latent_dim=2, channels=(4, 8), hidden_dim=16)
    first, last = net.encoder.conv[0], net.decoder.conv[-1]
    assert (first.in_channels, last.out_channels) == (3, 3)
    x = torch.rand(5, N_PIXELS)
    nll, kl, recon, mu, logvar = net(x)
    assert recon.shape == (5, N_PIXELS) and nll.shape == (5,) and mu.shape == (5, 2)
    # the convolution is chosen on the spatial size, not on the band count
    assert uses_conv((3, 16, 16), (4, 8)) and not uses_conv((3, 16, 16), (4, 8, 16, 32, 64))
    assert uses_conv((16, 16), (4, 8))
    # band k of a flat band-major row is input channel k of the first convolution
    rows = torch.zeros(1, N_PIXELS)
    rows[0, 256:512] = 1.0  # band 1 (r) only
    enc = net.encoder.conv[0]
    with torch.no_grad():
        only_r = torch.nn.functional.conv2d(torch.ones(1, 1, 16, 16), enc.weight[:, 1:2],
                                            enc.bias, stride=2, padding=1)
        np.testing.assert_allclose(enc(rows.view(1, *SHAPE)), only_r, atol=1e-6)
        assert torch.equal(net.encoder(rows), net.encoder(rows.view(1, *SHAPE)))


def test_one_band_is_the_model_of_before_bit_for_bit():
    """A one-band fit on (n, h, w), (n, 1, h, w) and (n, h*w) input is one model, with
    the architecture, parameters and latents of the code before multi-band support
    (golden values measured on it: one torch thread, CPU)."""
    X = np.random.default_rng(0).random((24, 16, 16), dtype=np.float32)
    fits = [GalaxyVAE(**NET).fit(x) for x in (X, X[:, None], X.reshape(24, -1))]
    states = [f.net_.module_.state_dict() for f in fits]
    for other in (fits[1], fits[2]):
        assert other.image_shape_ == (16, 16)
        np.testing.assert_array_equal(other.transform(X), fits[0].transform(X))
    for state in states[1:]:
        assert all(torch.equal(state[k], states[0][k]) for k in states[0])
    shapes = [(k, tuple(v.shape)) for k, v in states[0].items()]
    assert shapes == [
        ("encoder.conv.0.weight", (4, 1, 3, 3)), ("encoder.conv.0.bias", (4,)),
        ("encoder.conv.2.weight", (8, 4, 3, 3)), ("encoder.conv.2.bias", (8,)),
        ("encoder.dense.1.weight", (16, 128)), ("encoder.dense.1.bias", (16,)),
        ("decoder.dense.0.weight", (16, 2)), ("decoder.dense.0.bias", (16,)),
        ("decoder.dense.2.weight", (128, 16)), ("decoder.dense.2.bias", (128,)),
        ("decoder.conv.0.weight", (8, 4, 3, 3)), ("decoder.conv.0.bias", (4,)),
        ("decoder.conv.2.weight", (4, 1, 3, 3)), ("decoder.conv.2.bias", (1,)),
        ("mu.weight", (2, 16)), ("mu.bias", (2,)), ("logvar.weight", (2, 16)),
        ("logvar.bias", (2,)), ("likelihood.log_sigma", ()),
    ]
    golden = [[-0.03581182286143303, -0.28017109632492065],
              [-0.05487314239144325, -0.2787929177284241],
              [-0.04879678413271904, -0.2652680575847626]]
    np.testing.assert_allclose(fits[0].transform(X[:3]), golden, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fits[0].history_["train_loss"],
                               [108.60820661272321, 106.05948166620163], rtol=1e-5)
    assert isinstance(fits[0].noise_std_, float)
    assert fits[0].noise_std_ == pytest.approx(0.3643084466457367, rel=1e-5)
    assert not hasattr(fits[0], "reconstruction_mse_per_band_")


# ------------------------------------------------------------------ likelihoods per band
def test_analytic_noise_is_calibrated_per_band(gri_galaxies):
    X, _ = gri_galaxies
    vae = GalaxyVAE(**{**NET, "validation_fraction": None}).fit(X)
    per_band = vae.reconstruction_mse_per_band_
    assert per_band.shape == (3,)
    np.testing.assert_allclose(vae.noise_std_, np.sqrt(per_band), rtol=1e-5)
    assert per_band.mean() == pytest.approx(vae.reconstruction_mse_, rel=1e-9)
    rec = vae.reconstruct(X).reshape(len(X), *SHAPE)
    direct = ((rec - X) ** 2).mean(axis=(0, 2, 3))
    np.testing.assert_allclose(per_band, direct, rtol=1e-4)
    # the score uses each band's sigma: the Gaussian log-density summed over pixels
    sigma = np.repeat(vae.noise_std_.astype(np.float64), 16 * 16)
    resid = vae.reconstruct(X[:2]).astype(np.float64) - X[:2].reshape(2, -1)
    loglik = -(0.5 * (resid / sigma) ** 2 + np.log(sigma) + 0.5 * np.log(2 * np.pi)).sum(1)
    mean, std = vae.encode(X[:2])
    kl = 0.5 * (mean.astype(np.float64) ** 2 + std.astype(np.float64) ** 2 - 1
                - np.log(std.astype(np.float64) ** 2)).sum(1)
    np.testing.assert_allclose(vae.score_samples(X[:2]), loglik - kl, rtol=1e-4)


@pytest.mark.parametrize("loss", ["gaussian", "gaussian_pixel", "mse", "bce"])
def test_other_likelihoods_on_bands(loss, gri_galaxies):
    X, _ = gri_galaxies
    vae = GalaxyVAE(loss=loss, **NET).fit(X)
    shape = {"gaussian": (3,), "gaussian_pixel": (N_PIXELS,), "mse": ()}.get(loss)
    if shape is None:
        assert vae.noise_std_ is None
    else:
        assert np.shape(vae.noise_std_) == shape
    assert vae.sample(2, random_state=0, noise=True).shape == (2, N_PIXELS)
    assert np.isfinite(vae.score_samples(X[:3])).all()


def test_likelihood_per_band_nll_and_draws():
    lik = make_likelihood("gaussian", 3 * 4, n_bands=3, init_sigma=[0.1, 0.2, 0.4])
    np.testing.assert_allclose(lik.noise_std(), [0.1, 0.2, 0.4], rtol=1e-6)
    recon, x = torch.zeros(1, 12), torch.ones(1, 12)
    sigma = np.repeat([0.1, 0.2, 0.4], 4)
    expected = (0.5 / sigma**2 + np.log(sigma) + 0.5 * np.log(2 * np.pi)).sum()
    assert float(lik.nll(recon, x).detach()) == pytest.approx(expected, rel=1e-5)
    draws = lik.sample(torch.zeros(4000, 12), generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(draws.std(0).detach().numpy(), sigma, rtol=0.1)
    one = make_likelihood("gaussian", 16, init_sigma=0.1)  # one band: a scalar as before
    assert one.log_sigma.shape == () and isinstance(one.noise_std(), float)


def test_partial_fit_on_bands(gri_galaxies):
    X, _ = gri_galaxies
    vae = GalaxyVAE(**{**NET, "validation_fraction": None})
    for block in np.array_split(X, 2):
        vae.partial_fit(block)
    assert vae.image_shape_ == SHAPE and vae.transform(X).shape == (len(X), 2)
    with pytest.raises(ValueError, match="fitted on images of shape"):
        vae.partial_fit(X[:, :2])
