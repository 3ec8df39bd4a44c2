"""The torch modules behind the latent models: encoders, decoders and the loss.

Plain :class:`torch.nn.Module` classes with no training logic (skorch trains them, see
``_base.py``). The network takes flat rows ``(batch, h*w)`` and returns flat
reconstructions, so it never needs to know how the Pipeline stores images.

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

_HALF_LOG_PI = 0.5 * math.log(math.pi)


def uses_conv(image_shape, channels):
    """Whether images of ``image_shape`` are large enough for the convolutional body."""
    return min(image_shape) >= 2 ** len(channels)


def _conv_out(size, kernel_size, n_layers):
    pad = (kernel_size - 1) // 2
    for _ in range(n_layers):
        size = (size + 2 * pad - kernel_size) // 2 + 1
    return size


class ConvEncoder(nn.Module):
    """Stride-2 convolutions, then a dense layer to ``hidden_dim`` features."""

    def __init__(self, image_shape, channels, kernel_size, hidden_dim):
        super().__init__()
        self.image_shape = tuple(image_shape)
        pad = (kernel_size - 1) // 2
        layers, c_in = [], 1
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
        return self.dense(self.conv(x.view(-1, 1, *self.image_shape)))


class ConvDecoder(nn.Module):
    """Mirror of :class:`ConvEncoder`, cropped (or resized) to the exact image shape."""

    def __init__(self, image_shape, channels, kernel_size, hidden_dim, latent_dim,
                 in_shape):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.in_shape = tuple(in_shape)
        pad = (kernel_size - 1) // 2
        out_pad = 2 - kernel_size + 2 * pad  # makes each layer double the size exactly
        self.dense = nn.Sequential(nn.Linear(latent_dim, hidden_dim), nn.LeakyReLU(0.1),
                                   nn.Linear(hidden_dim, math.prod(in_shape)),
                                   nn.LeakyReLU(0.1))
        chans = [*reversed(channels), 1]
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
    """Encoder, latent layer and decoder; ``forward`` returns ``(recon, mu, logvar)``.

    Parameters
    ----------
    image_shape : tuple of int
        ``(height, width)`` of the images (flat rows of ``height * width`` pixels).
    latent_dim : int
    channels : tuple of int
        Channels of the stride-2 convolutions, outermost first.
    kernel_size : int
    hidden_dim : int
        Width of the dense layer between the convolutions and the latent layer.
    variational : bool
        A VAE samples ``z = mu + exp(logvar / 2) * eps`` in training; an autoencoder
        uses ``z = mu`` and returns a zero ``logvar`` (no KL term).

    Notes
    -----
    ``recon`` is unbounded: the logits of a Bernoulli likelihood or the mean of a
    Gaussian one (see :func:`reconstruction_nll`).
    """

    def __init__(self, image_shape, latent_dim=2, channels=(4, 8, 16, 32, 64),
                 kernel_size=3, hidden_dim=256, variational=True):
        super().__init__()
        self.image_shape = tuple(int(s) for s in image_shape)
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

    def encode(self, x):
        """Posterior mean and log-variance (zeros for an autoencoder)."""
        h = self.encoder(x)
        mu = self.mu(h)
        logvar = self.logvar(h) if self.variational else torch.zeros_like(mu)
        return mu, logvar

    def decode(self, z):
        """Decoder output (logits or Gaussian mean), flat ``(batch, h*w)``."""
        return self.decoder(z)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu
        if self.variational and self.training:
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decode(z), mu, logvar


def reconstruction_nll(recon, x, likelihood, *, constant=False):
    """Per-sample negative log-likelihood of ``x`` under the decoder output.

    ``"mse"``: Gaussian with variance 1/2 per pixel, so the loss is the summed squared
    error (plus ``n_pixels * log(pi) / 2`` when ``constant``). ``"bce"``: Bernoulli with
    ``recon`` as logits, the summed binary cross-entropy (exact log-likelihood for
    binary pixels; for grey levels in [0, 1] it is the usual continuous relaxation).
    """
    if likelihood == "bce":
        return F.binary_cross_entropy_with_logits(recon, x, reduction="none").sum(1)
    nll = (recon - x).pow(2).sum(1)
    if constant:
        nll = nll + x.shape[1] * _HALF_LOG_PI
    return nll


def kl_divergence(mu, logvar):
    """Per-sample KL divergence of ``N(mu, exp(logvar))`` from ``N(0, I)``."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)


def decoder_mean(recon, likelihood):
    """Map the decoder output to pixel values (sigmoid of the logits for ``"bce"``)."""
    return torch.sigmoid(recon) if likelihood == "bce" else recon
