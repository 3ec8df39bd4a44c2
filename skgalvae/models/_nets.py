"""The torch modules behind the latent models: encoders, decoders and the loss.

Plain :class:`torch.nn.Module` classes with no training logic (skorch trains them, see
``_base.py``). The network takes flat rows ``(batch, c*h*w)`` and returns flat
reconstructions, so it never needs to know how the Pipeline stores images. The bands
(``image_shape = (c, h, w)``, band-major rows) are the input channels of the first
convolution and the output channels of the last transposed one; one band
(``image_shape = (h, w)``) is one channel, the very network of before multi-band support
(same layers, same parameters, same initialisation under the same seed).

Two bodies share one interface:

- a convolutional one for images, ``len(channels)`` stride-2 convolutions down and as
  many stride-2 transposed convolutions up, then a centre crop (odd kernels: the
  decoder output is at least the input size) or a bilinear resize (even kernels) to the
  exact input size, so any image size works (50x50, 150x150, 64x48...);
- a dense (MLP) one for rows too small to be convolved (fewer than
  ``2 ** len(channels)`` pixels a side, e.g. scikit-learn's estimator checks).

No BatchNorm: it breaks fits on a single sample.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from ..utils._images import n_channels, normalise_shape, spatial_shape
from ._likelihoods import make_likelihood


def uses_conv(image_shape, channels):
    """Whether images of ``image_shape`` (``(h, w)`` or ``(c, h, w)``) are large enough
    for the convolutional body: ``min(h, w) >= 2 ** len(channels)``."""
    return min(spatial_shape(image_shape)) >= 2 ** len(channels)


def _conv_out(size, kernel_size, n_layers):
    pad = (kernel_size - 1) // 2
    for _ in range(n_layers):
        size = (size + 2 * pad - kernel_size) // 2 + 1
    return size


class ConvEncoder(nn.Module):
    """Stride-2 convolutions, then a dense layer to ``hidden_dim`` features.

    ``image_shape`` is ``(h, w)`` (one input channel) or ``(c, h, w)`` (``c`` input
    channels, one per band).
    """

    def __init__(self, image_shape, channels, kernel_size, hidden_dim):
        super().__init__()
        image_shape = normalise_shape(image_shape)
        self.n_bands = n_channels(image_shape)
        self.image_shape = spatial_shape(image_shape)
        pad = (kernel_size - 1) // 2
        layers, c_in = [], self.n_bands
        for c_out in channels:
            layers += [nn.Conv2d(c_in, c_out, kernel_size, stride=2, padding=pad),
                       nn.LeakyReLU(0.1)]
            c_in = c_out
        self.conv = nn.Sequential(*layers)
        self.out_shape = (c_in, *(_conv_out(s, kernel_size, len(channels))
                                  for s in self.image_shape))
        self.dense = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(self.out_shape),
                                                           hidden_dim), nn.LeakyReLU(0.1))

    def forward(self, x):
        return self.dense(self.conv(x.view(-1, self.n_bands, *self.image_shape)))


class ConvDecoder(nn.Module):
    """Mirror of :class:`ConvEncoder`, cropped (or resized) to the exact image shape,
    with one output channel per band."""

    def __init__(self, image_shape, channels, kernel_size, hidden_dim, latent_dim,
                 in_shape):
        super().__init__()
        image_shape = normalise_shape(image_shape)
        self.n_bands = n_channels(image_shape)
        self.image_shape = spatial_shape(image_shape)
        self.in_shape = tuple(in_shape)
        pad = (kernel_size - 1) // 2
        out_pad = 2 - kernel_size + 2 * pad  # makes each layer double the size exactly
        self.dense = nn.Sequential(nn.Linear(latent_dim, hidden_dim), nn.LeakyReLU(0.1),
                                   nn.Linear(hidden_dim, math.prod(in_shape)),
                                   nn.LeakyReLU(0.1))
        chans = [*reversed(channels), self.n_bands]
        layers = []
        for i, (c_in, c_out) in enumerate(zip(chans[:-1], chans[1:])):
            layers.append(nn.ConvTranspose2d(c_in, c_out, kernel_size, stride=2,
                                             padding=pad, output_padding=out_pad))
            if i < len(chans) - 2:
                layers.append(nn.LeakyReLU(0.1))
        self.conv = nn.Sequential(*layers)

    def forward(self, z):
        x = self.conv(self.dense(z).view(-1, *self.in_shape))
        (h, w), (H, W) = self.image_shape, x.shape[-2:]
        if H >= h and W >= w:  # centre crop: cheaper than resampling
            top, left = (H - h) // 2, (W - w) // 2
            x = x[..., top:top + h, left:left + w]
        else:
            x = F.interpolate(x, size=self.image_shape, mode="bilinear",
                              align_corners=False)
        return x.flatten(1)


class LatentNet(nn.Module):
    """Encoder, latent layer, decoder and likelihood.

    ``forward(x)`` returns the ELBO terms of :func:`elbo_terms` (sampling ``z`` in
    training mode, the posterior mean in evaluation mode), so the training loss,
    :meth:`~skgalvae.models.GalaxyVAE.score_samples` and the diagnostics all come from
    one function.

    Parameters
    ----------
    image_shape : tuple of int
        ``(height, width)`` of one-band images (flat rows of ``height * width``
        pixels) or ``(bands, height, width)`` (band-major rows of
        ``bands * height * width`` pixels, one input and output channel per band).
    latent_dim : int
    channels : tuple of int
        Channels of the stride-2 convolutions, outermost first.
    kernel_size : int
    hidden_dim : int
        Width of the dense layer between the convolutions and the latent layer.
    variational : bool
        A VAE samples ``z = mu + exp(logvar / 2) * eps`` in training; an autoencoder
        uses ``z = mu`` and returns a zero ``logvar`` (no KL term).
    likelihood : str, default="analytic"
        A ``loss`` option of :data:`~skgalvae.models._likelihoods.LIKELIHOODS`.
    init_sigma : float, default=0.1
        Starting noise level of a learned or analytic Gaussian likelihood.

    Notes
    -----
    The decoder output is unbounded: the logits of a Bernoulli likelihood or the mean
    of a Gaussian one; ``likelihood.mean`` maps it to pixel values.
    """

    def __init__(self, image_shape, latent_dim=2, channels=(4, 8, 16, 32, 64),
                 kernel_size=3, hidden_dim=256, variational=True, likelihood="analytic",
                 init_sigma=0.1):
        super().__init__()
        self.image_shape = normalise_shape(image_shape)
        self.variational = variational
        n_pixels = math.prod(self.image_shape)
        if uses_conv(self.image_shape, channels):
            self.encoder = ConvEncoder(self.image_shape, channels, kernel_size, hidden_dim)
            self.decoder = ConvDecoder(self.image_shape, channels, kernel_size, hidden_dim,
                                       latent_dim, self.encoder.out_shape)
        else:
            self.encoder = nn.Sequential(nn.Linear(n_pixels, hidden_dim), nn.LeakyReLU(0.1))
            self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden_dim),
                                         nn.LeakyReLU(0.1), nn.Linear(hidden_dim, n_pixels))
        self.mu = nn.Linear(hidden_dim, latent_dim)
        self.logvar = nn.Linear(hidden_dim, latent_dim) if variational else None
        self.likelihood = make_likelihood(likelihood, n_pixels, init_sigma=init_sigma,
                                          n_bands=n_channels(self.image_shape))

    def encode(self, x):
        """Posterior mean and log-variance (zeros for an autoencoder)."""
        h = self.encoder(x)
        mu = self.mu(h)
        logvar = self.logvar(h) if self.variational else torch.zeros_like(mu)
        return mu, logvar

    def decode(self, z):
        """Decoder output (logits or Gaussian mean), flat ``(batch, c*h*w)``."""
        return self.decoder(z)

    def forward(self, x):
        return elbo_terms(self, x, sample=self.training)


def elbo_terms(module, x, *, sample=False):
    """The terms of the evidence lower bound of each row of ``x``, in nats.

    ``ELBO = -nll - kl.sum(1)``, with ``nll = -log p(x | z)`` under the module's
    likelihood and ``kl`` the KL divergence of ``q(z_j | x)`` from ``N(0, 1)`` per latent
    dimension (zeros for an autoencoder).

    Parameters
    ----------
    module : LatentNet
    x : torch.Tensor of shape (batch, n_pixels)
    sample : bool, default=False
        Decode ``z ~ q(z | x)`` (one reparameterised draw, as in training) instead of
        the posterior mean (deterministic scores).

    Returns
    -------
    nll : torch.Tensor of shape (batch,)
    kl : torch.Tensor of shape (batch, latent_dim)
    recon : torch.Tensor of shape (batch, n_pixels)
        The decoder output (see ``module.likelihood.mean``).
    mu, logvar : torch.Tensor of shape (batch, latent_dim)
    """
    mu, logvar = module.encode(x)
    z = mu
    if sample and module.variational:
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    recon = module.decode(z)
    nll = module.likelihood.nll(recon, x)
    kl = kl_per_latent(mu, logvar) if module.variational else torch.zeros_like(mu)
    return nll, kl, recon, mu, logvar


def kl_per_latent(mu, logvar):
    """KL divergence of ``N(mu, exp(logvar))`` from ``N(0, 1)`` per sample and latent."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)
