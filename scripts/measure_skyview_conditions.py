"""Measure the observing conditions of the bundled real cutouts (run once; not in the package).

Prints the numbers that ``skgalvae/datasets/_conditions.py`` stores for
``make_galaxies(preset="sdss")``, each measured on the 100 SDSS i-band cutouts of
``load_sdss_sample()`` (the seed study's SkyView downloads; the real sample that
``compare_to_real`` and ``benchmarks/bench_simulator_realism.py`` use):

1. **SkyView resampling.** About 10% of horizontally (and vertically) adjacent pixel pairs
   of the real cutouts hold exactly the same float value: SkyView's nearest-neighbour
   sampler copied one SDSS pixel into two cutout pixels. Nearest-neighbour resampling of
   white noise onto a grid rotated by ``theta`` whose pixels are ``scale`` times the frame's
   duplicates a fraction of the pairs that grows with ``theta`` and ``1 - scale``. The
   script simulates that fraction on a (scale, theta) grid (``scipy.ndimage.
   affine_transform``, ``order=0``), takes the scale that best explains all 100 cutouts
   and, at that scale, each cutout's angle.
2. **Sky noise.** Per cutout, the normalised median absolute deviation of the four 20x20
   corner patches (robust to the odd star), in the cutout's units (nanomaggies).
3. **PSF.** Isolated point sources: local maxima at least 100 sky sigma above the sky,
   20 pixels or more from the centre, each fitted with a pixel-integrated Moffat profile
   (free flux, centre, FWHM and beta; Poisson + sky weights, 700 e-/nanomaggy). Sources
   with a fitted FWHM under 2.4 cutout pixels are taken as stars (resolved galaxies are
   broader; the compact sources cluster at 1.5-2.3 pixels); FWHM in arcsec at the measured
   cutout pixel scale.
4. **Noise correlation.** Median lag-1 autocorrelation (along rows) of the sky in the
   25x25 corner patches free of sources: what the resampling leaves in the noise.
5. **Field sources.** Every source other than the target in each cutout (photutils
   segmentation of the image smoothed with a 3-pixel Gaussian, 1 sky sigma of the
   unsmoothed image, 10 connected pixels; the segment at the centre is the target): their
   number per square degree per magnitude (segment flux as i magnitude) in 0.5 mag bins.
   Stars and galaxies together, companions included; incomplete fainter than about 23.

Run::

    python scripts/measure_skyview_conditions.py
"""

import warnings

import numpy as np
from astropy.convolution import convolve
from astropy.modeling.models import Moffat2D
from photutils.segmentation import detect_sources, make_2dgaussian_kernel
from scipy import ndimage, optimize

from skgalvae.datasets import load_sdss_sample
from skgalvae.datasets._render import _grid_map

SDSS_PIXEL = 0.396  # arcsec, the SDSS frames' pixel
QUANTILES = np.linspace(0, 100, 11)


def resample(src, theta, scale, n=150):
    """Nearest-neighbour resampling of the square ``src`` onto an n x n grid rotated by
    theta [deg] whose pixels are ``scale`` times the source's: the grid map the
    simulator's ``resampling="skyview"`` uses (``_render._grid_map``)."""
    matrix, offset = _grid_map(theta, scale, n, src.shape[0])
    return ndimage.affine_transform(src, matrix, offset=offset, output_shape=(n, n),
                                    order=0)


def duplicate_fraction(images):
    x = (images[..., :, 1:] == images[..., :, :-1]).mean(axis=(-2, -1))
    y = (images[..., 1:, :] == images[..., :-1, :]).mean(axis=(-2, -1))
    return (x + y) / 2


def resampling(real):
    rng = np.random.default_rng(0)
    src = rng.standard_normal((260, 260)).astype(np.float32)
    measured = duplicate_fraction(real)
    thetas = np.arange(0.0, 45.5, 1.0)
    best = None
    for scale in np.round(np.arange(0.90, 1.001, 0.01), 2):
        curve = np.array([duplicate_fraction(resample(src, t, scale)) for t in thetas])
        gap = np.abs(curve[None, :] - measured[:, None])
        misfit = gap.min(axis=1).mean()
        print(f"  scale {scale:.2f}: duplicate fraction {curve.min():.3f}-{curve.max():.3f}, "
              f"mean misfit {misfit:.4f}")
        if best is None or misfit < best[0]:
            best = (misfit, scale, thetas[gap.argmin(axis=1)])
    _, scale, angles = best
    print(f"measured duplicate fraction: quantiles {np.percentile(measured, QUANTILES).round(4)}")
    print(f"best scale {scale:.2f} (cutout pixel {scale * SDSS_PIXEL:.4f} arcsec); angle "
          f"quantiles 0-100% [deg]: {np.percentile(angles, QUANTILES).round(1).tolist()}")
    return scale


def corners(image, size):
    return (image[:size, :size], image[:size, -size:], image[-size:, :size],
            image[-size:, -size:])


def sky_noise(real):
    noise = []
    for image in real:
        patch = np.concatenate([c.ravel() for c in corners(image, 20)])
        noise.append(1.4826 * np.median(np.abs(patch - np.median(patch))))
    noise = np.array(noise)
    print(f"sky noise [nanomaggies/pixel] quantiles 0-100%: "
          f"{np.percentile(noise, QUANTILES).round(4).tolist()}")
    return noise


def moffat_image(params, n, sub=5):
    flux, dx, dy, fwhm, beta = params
    grid = (np.arange(n * sub) + 0.5) / sub - n / 2
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    gamma = fwhm / (2 * np.sqrt(2 ** (1 / beta) - 1))
    amplitude = flux * (beta - 1) / (np.pi * gamma**2)
    model = Moffat2D(amplitude=amplitude, x_0=dx, y_0=dy, gamma=gamma, alpha=beta)
    return model(xx, yy).reshape(n, sub, n, sub).mean(axis=(1, 3))


def point_sources(real, noise, cutout_pixel):
    half = 12
    fits = []
    for image, sd in zip(real, noise, strict=True):
        patch = np.concatenate([c.ravel() for c in corners(image, 20)])
        data = image - np.median(patch)
        peaks = (data == ndimage.maximum_filter(data, size=15)) & (data > 100 * sd)
        kept = []
        for y, x in np.argwhere(peaks):
            if (np.hypot(y - 74.5, x - 74.5) < 20 or min(y, x) < half
                    or max(y, x) >= 150 - half
                    or any(abs(y - yk) + abs(x - xk) < 4 for yk, xk in kept)):
                continue  # (a peak copied into two pixels by the resampling counts once)
            kept.append((y, x))
            cut = data[y - half:y + half + 1, x - half:x + half + 1]
            sigma = np.sqrt(sd**2 + np.maximum(cut, 0) / 700.0)

            def residual(p, cut=cut, sigma=sigma):
                return ((moffat_image(p, cut.shape[0]) - cut) / sigma).ravel()

            best = min((optimize.least_squares(
                residual, [cut.sum(), 0.0, 0.0, 2.5, beta0],
                bounds=([0, -2, -2, 0.5, 1.2], [np.inf, 2, 2, 12, 10]))
                for beta0 in (2.0, 3.5)), key=lambda r: r.cost)
            fits.append(best.x[3:])
    fits = np.array(fits)
    stars = fits[fits[:, 0] < 2.4]
    fwhm = stars[:, 0] * cutout_pixel
    print(f"{len(fits)} isolated bright sources, {len(stars)} point-like (FWHM < 2.4 px)")
    print("PSF FWHM [arcsec] quantiles 0-100%: "
          f"{np.percentile(fwhm, QUANTILES).round(3).tolist()}")
    print(f"Moffat beta: median {np.median(stars[:, 1]):.2f}, quartiles "
          f"{np.percentile(stars[:, 1], [25, 75]).round(2).tolist()}")


def lag1(real, noise):
    values = []
    for image, sd in zip(real, noise, strict=True):
        for patch in corners(image, 25):
            d = patch - patch.mean()
            if np.abs(d).max() > 8 * sd:
                continue
            values.append((d[:, 1:] * d[:, :-1]).mean() / (d * d).mean())
    print(f"sky noise lag-1 autocorrelation: median {np.median(values):.3f} "
          f"({len(values)} source-free corner patches)")


def field_sources(real, noise, cutout_pixel):
    kernel = make_2dgaussian_kernel(3.0, size=7)
    mags = []
    for image, sd in zip(real, noise, strict=True):
        patch = np.concatenate([c.ravel() for c in corners(image, 20)])
        data = image - np.median(patch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            segments = detect_sources(convolve(data, kernel), sd, 10)
        if segments is None:
            continue
        labels = segments.data
        target = labels[75, 75]
        flux = np.bincount(labels.ravel(), weights=data.ravel())
        mags += [22.5 - 2.5 * np.log10(f) for k, f in enumerate(flux)
                 if k not in (0, target) and f > 0]
    edges = np.arange(14.5, 23.01, 0.5)
    counts, _ = np.histogram(mags, bins=edges)
    area = len(real) * (150 * cutout_pixel / 3600) ** 2  # deg^2
    print(f"field sources: {len(mags) / len(real):.2f} per cutout; per deg^2 per mag in "
          f"0.5 mag bins from {edges[0]} to {edges[-1]}:")
    print(f"  {np.round(counts / area / 0.5, -1).astype(int).tolist()}")


def main():
    real = load_sdss_sample().images.astype(np.float64)
    scale = resampling(real)
    noise = sky_noise(real)
    point_sources(real, noise, scale * SDSS_PIXEL)
    lag1(real, noise)
    field_sources(real, noise, scale * SDSS_PIXEL)


if __name__ == "__main__":
    main()
