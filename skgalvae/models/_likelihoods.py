"""Decoder likelihoods ``p(x | z)``: small torch modules the latent network holds.

A likelihood turns the decoder output into a per-galaxy negative log-likelihood in nats
(:meth:`nll`), into pixel values (:meth:`mean`) and into noisy draws (:meth:`sample`).
It is a submodule of :class:`~skgalvae.models._nets.LatentNet`, so its state (a learned
or calibrated noise level) is trained, pickled and moved to a device with the network,
and a fitted model keeps the likelihood it was trained with whatever its ``loss``
parameter says later.

The Gaussian likelihoods differ only in where the noise level ``sigma`` comes from:

``"gaussian"``
    one global ``log sigma``, learned with the weights (Rybkin, Daniilidis & Levine
    2021, "Simple and Effective VAE Training with Calibrated Decoders").
``"gaussian_pixel"``
    one learned ``log sigma`` per pixel, shared by all galaxies (noisier sky, brighter
    centres).
``"analytic"``
    the optimal global ``sigma^2``, the batch's mean squared error (Rybkin et al.'s
    "sigma-VAE"); after training it is fixed to the training set's mean squared error.
``"mse"``
    a fixed ``sigma^2 = 1/2`` (the summed squared error; the classic, uncalibrated
    VAE loss).

``"bce"`` is a Bernoulli likelihood on the decoder logits (the continuous relaxation for
grey levels in [0, 1]).

Bands. With ``c > 1`` bands (rows of ``c * h * w`` pixels, band-major), the noise levels
estimated from the data are estimated **per band**: ``"analytic"`` uses each band's own
batch mean squared error (and is calibrated to each band's training-set mean squared
error), ``"gaussian"`` learns one ``log sigma`` per band, and a learned or analytic sigma
starts from each band's own pixel spread. The bands of a survey have different noise
and surface brightness (SDSS g is noisier than r and i), and one global sigma would
weigh the bands by their brightness instead of their noise. ``"gaussian_pixel"`` is per
pixel already (so per band); ``"mse"`` and ``"bce"`` estimate nothing. One band is
exactly the global sigma of before.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

_LOG_2PI = math.log(2.0 * math.pi)
#: Bounds of a learned or calibrated ``log sigma`` (sigma from 1e-4 to 10).
_LOG_SIGMA_RANGE = (math.log(1e-4), math.log(10.0))


class Likelihood(nn.Module):
    """Base class: the decoder output ``recon`` is a flat ``(batch, n_pixels)`` tensor."""

    #: name of the ``loss`` option that builds this likelihood
    name = None

    def nll(self, recon, x):
        """Per-sample negative log-likelihood in nats, shape ``(batch,)``."""
        raise NotImplementedError

    def mean(self, recon):
        """Pixel values: the mean of ``p(x | z)``."""
        return recon

    def sample(self, recon, generator=None):
        """One draw from ``p(x | z)`` per row."""
        raise NotImplementedError

    def noise_std(self):
        """Decoder noise standard deviation (a float, or an array per pixel); None."""
        return None

    def epoch_noise_std(self):
        """The noise level during the epoch just trained."""
        return self.noise_std()

    def calibrate(self, mse):
        """Set a calibrated noise level from the training set's mean squared error."""


class GaussianLikelihood(Likelihood):
    """Diagonal Gaussian ``N(recon, sigma^2)`` with a fixed, learned or analytic sigma.

    Parameters
    ----------
    n_pixels : int
        Pixels per row, all bands together (``c * h * w``).
    variance : {"fixed", "learned", "analytic"}
    per_pixel : bool, default=False
        One learned ``sigma`` per pixel (``variance="learned"`` only).
    init_sigma : float or sequence of float, default=0.1
        Starting noise level of a learned or analytic sigma (the fixed one is
        ``sqrt(1/2)``); one value per band, or one for all.
    n_bands : int, default=1
        Bands of the rows: a learned (not per-pixel) or analytic sigma is one value per
        band (a scalar for one band).
    """

    def __init__(self, n_pixels, variance="learned", *, per_pixel=False, init_sigma=0.1,
                 n_bands=1):
        super().__init__()
        self.variance = variance
        self.per_pixel = per_pixel
        self.n_bands = 1 if variance == "fixed" or per_pixel else int(n_bands)
        self.name = {"fixed": "mse", "analytic": "analytic"}.get(
            variance, "gaussian_pixel" if per_pixel else "gaussian")
        if variance == "fixed":
            value = torch.tensor(0.5 * math.log(0.5))
        elif self.n_bands > 1:
            sigma = torch.as_tensor(init_sigma, dtype=torch.float64).expand(self.n_bands)
            value = torch.log(sigma).to(torch.float32).clone()
        elif per_pixel and n_bands > 1:  # each band's pixels start at its own sigma
            sigma = torch.as_tensor(init_sigma, dtype=torch.float64).expand(int(n_bands))
            value = torch.log(sigma).to(torch.float32).repeat_interleave(
                n_pixels // int(n_bands))
        else:
            value = torch.full((n_pixels,) if per_pixel else (), math.log(init_sigma))
        #: the training batches' mean squared errors since the last epoch's end, as a
        #: running sum and count (a list of one tensor per batch fragmented the heap:
        #: +580 MiB over an epoch of 10^5 images)
        self._mse_sum, self._mse_count = 0.0, 0
        if variance == "learned":
            self.log_sigma = nn.Parameter(value)
        else:
            self.register_buffer("log_sigma", value)

    #: While True (set by the estimator for the whole of ``fit``, validation included),
    #: an ``"analytic"`` likelihood uses each batch's own optimal variance; afterwards
    #: the calibrated one of :meth:`calibrate`, so a galaxy's score does not depend on
    #: its batch.
    fitting = False

    def _per_band(self, x):
        """``(batch, c, pixels per band)`` view of flat band-major rows."""
        return x.reshape(x.shape[0], self.n_bands, -1)

    def _to_pixels(self, log_sigma, n_pixels):
        """A per-band ``log sigma`` repeated over each band's pixels (scalars as they are)."""
        if self.n_bands == 1:
            return log_sigma
        return log_sigma.repeat_interleave(n_pixels // self.n_bands)

    def _log_sigma(self, recon, x):
        if self.variance == "analytic" and (self.training or self.fitting):
            # sigma^2 = batch MSE (per band), the value that maximises the likelihood.
            # Its gradient term vanishes at the optimum (envelope theorem), so detaching
            # it changes nothing but the cost.
            sq = (recon - x).detach().pow(2)
            mse = (sq.mean() if self.n_bands == 1
                   else self._per_band(sq).mean((0, 2))).clamp_min(1e-8)
            if self.training:
                self._mse_sum = self._mse_sum + mse.double()
                self._mse_count += 1
            return (0.5 * torch.log(mse)).clamp(*_LOG_SIGMA_RANGE)
        return self.log_sigma.clamp(*_LOG_SIGMA_RANGE)

    def nll(self, recon, x):
        log_sigma = self._to_pixels(self._log_sigma(recon, x), x.shape[1])
        sq = (recon - x).pow(2) * torch.exp(-2.0 * log_sigma)
        per_pixel = 0.5 * sq + log_sigma + 0.5 * _LOG_2PI
        return per_pixel.sum(1)

    def sample(self, recon, generator=None):
        log_sigma = self._to_pixels(self.log_sigma.clamp(*_LOG_SIGMA_RANGE),
                                    recon.shape[1])
        std = torch.exp(log_sigma)
        noise = torch.randn(recon.shape, generator=generator, device=recon.device,
                            dtype=recon.dtype)
        return recon + std * noise

    def noise_std(self):
        std = torch.exp(self.log_sigma.detach().clamp(*_LOG_SIGMA_RANGE)).cpu().numpy()
        return float(std) if std.ndim == 0 else std

    def epoch_noise_std(self):
        """The noise level of the epoch just trained (and reset the record)."""
        if self.variance == "analytic" and self._mse_count:
            if self.n_bands == 1:
                std = float(math.sqrt(float(self._mse_sum) / self._mse_count))
            else:
                std = torch.sqrt(self._mse_sum / self._mse_count).cpu().numpy()
            self._mse_sum, self._mse_count = 0.0, 0
            return std
        return self.noise_std()

    def calibrate(self, mse):
        """Fix an analytic sigma to the training set's mean squared error (one value, or
        one per band)."""
        self._mse_sum, self._mse_count = 0.0, 0
        if self.variance == "analytic":
            with torch.no_grad():
                if self.n_bands == 1:
                    self.log_sigma.fill_(0.5 * math.log(max(float(mse), 1e-8)))
                else:
                    mse = torch.as_tensor(mse, dtype=torch.float64).clamp_min(1e-8)
                    self.log_sigma.copy_(0.5 * torch.log(mse.expand(self.n_bands)))


class BernoulliLikelihood(Likelihood):
    """Bernoulli on the decoder logits: the summed binary cross-entropy."""

    name = "bce"

    def nll(self, recon, x):
        return F.binary_cross_entropy_with_logits(recon, x, reduction="none").sum(1)

    def mean(self, recon):
        return torch.sigmoid(recon)

    def sample(self, recon, generator=None):
        p = torch.sigmoid(recon)
        u = torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype)
        return (u < p).to(p.dtype)


#: The ``loss`` options of the latent models, the default first.
LIKELIHOODS = ("analytic", "gaussian", "gaussian_pixel", "mse", "bce")


def make_likelihood(name, n_pixels, *, init_sigma=0.1, n_bands=1):
    """Build the likelihood module named by a ``loss`` option (see :data:`LIKELIHOODS`).

    ``n_pixels`` counts all bands (``c * h * w``); with ``n_bands > 1`` a noise level
    estimated from the data is one per band, starting from ``init_sigma`` (one value per
    band or one for all).

    Examples
    --------
    >>> from skgalvae.models._likelihoods import make_likelihood
    >>> make_likelihood("analytic", 3 * 16, n_bands=3, init_sigma=[0.1, 0.2, 0.3]).noise_std()
    array([0.1, 0.2, 0.3], dtype=float32)
    """
    if name == "bce":
        return BernoulliLikelihood()
    if name == "mse":
        return GaussianLikelihood(n_pixels, "fixed")
    if name in ("gaussian", "gaussian_pixel"):
        return GaussianLikelihood(n_pixels, "learned", per_pixel=name == "gaussian_pixel",
                                  init_sigma=init_sigma, n_bands=n_bands)
    if name == "analytic":
        return GaussianLikelihood(n_pixels, "analytic", init_sigma=init_sigma,
                                  n_bands=n_bands)
    msg = f"loss={name!r} is not a likelihood: choose from {LIKELIHOODS}."
    raise ValueError(msg)
