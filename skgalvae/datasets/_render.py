"""Render one simulated galaxy (GalSim for the smooth profiles, numpy for arms/knots).

Conventions: images are indexed ``[row, column]`` = ``[y, x]``; angles are degrees
counter-clockwise from the +x (column) axis when the image is shown with
``origin="lower"`` (GalSim's convention); offsets are in arcsec.
"""

import functools

import numpy as np
from scipy import ndimage
from scipy.signal import fftconvolve

from ..utils._optional import import_optional

# GalSim is the ``simulate`` extra: this module is imported only when make_galaxies
# renders, so ``import skgalvae.datasets`` works without it.
galsim = import_optional("galsim", purpose="make_galaxies (the GalSim simulator)")

#: Relaxed GalSim accuracy (defaults: folding 5e-3, maxk 1e-3): about 2x faster FFT
#: draws, with flux errors well below the sky noise.
GSPARAMS = galsim.GSParams(folding_threshold=1e-2, maxk_threshold=3e-3)

#: Photo-electrons per nanomaggy in SDSS i (gain about 4.8 e-/DN times about 146 DN per
#: nanomaggy): sets the Poisson noise of the sources.
GAIN_E_PER_NMGY = 700.0


@functools.lru_cache(maxsize=128)
def make_psf(fwhm, beta=3.5):
    """SDSS-like PSF: a Moffat profile (beta = 3.5 by default) of the given FWHM [arcsec]."""
    return galsim.Moffat(beta=beta, fwhm=fwhm, gsparams=GSPARAMS)


@functools.lru_cache(maxsize=128)
def _psf_kernel(fwhm, pixel_scale, beta=3.5):
    size = int(np.ceil(6 * fwhm / pixel_scale)) | 1
    kernel = make_psf(fwhm, beta).drawImage(nx=size, ny=size, scale=pixel_scale).array
    return (kernel / kernel.sum()).astype(np.float64)


def _sersic(n, hlr, flux, trunc=0.0):
    """A Sersic profile of half-light radius ``hlr``; for n != 1 cut at ``trunc`` times
    ``hlr`` when ``trunc`` > 0 (``hlr`` is then the truncated profile's: GalSim's
    ``flux_untruncated=False``)."""
    if n == 1:
        return galsim.Exponential(half_light_radius=hlr, flux=flux, gsparams=GSPARAMS)
    # GalSim's trunc=0 is no truncation
    return galsim.Sersic(n, half_light_radius=hlr, flux=flux, trunc=trunc * hlr,
                         gsparams=GSPARAMS)


#: Share of a lopsided disc's light in its offset copy (``lopsidedness``): our choice;
#: only the product share x offset sets the m = 1 amplitude (see _lopsided_part).
LOPSIDED_SHARE = 0.5


def _lopsided_part(disk_hlr, flux, a1, angle, q, pa):
    """The offset copy of a lopsided exponential disc (GalSim profile).

    A share ``s`` of the disc light in a copy of the same exponential shifted by ``d``
    in the disc plane (towards ``angle`` [deg] from the major axis) adds to the
    face-on surface brightness at radius r >> d the m = 1 term
    ``s (d / h) cos(phi - angle)`` relative to the m = 0 one (exp(-|r - d| / h) ~
    exp(-r / h) (1 + (d / h) cos phi)): the Fourier amplitude A1 = a1 / a0 of Zaritsky &
    Rix (1997, ApJ 477, 118) and Rudnick & Rix (1998, AJ 116, 1163). So ``d = a1 h / s``
    with h the scale length; the measured A1 at 1.5-2.5 h of the face-on disc matches
    ``a1`` (tests/test_simulator.py). The copy is sheared and turned with the disc.
    """
    h = disk_hlr / 1.678  # exponential: hlr = 1.678 h
    d = a1 * h / LOPSIDED_SHARE
    psi = np.radians(angle)
    part = _sersic(1, disk_hlr, flux).shift(d * np.cos(psi), d * np.sin(psi))
    return part.shear(q=q, beta=0 * galsim.degrees).rotate(pa)


def _smooth_profile(p, prefix="", trunc=0.0):
    """GalSim profile of the bulge + disc (+ bar) of the galaxy described by ``p``; the
    bulge (n != 1) cut at ``trunc`` half-light radii when ``trunc`` > 0."""
    g = lambda key: p[prefix + key]  # noqa: E731
    flux = g("flux")
    bt = g("bulge_fraction")
    pa = g("position_angle") * galsim.degrees
    disk_flux = flux * (1 - bt) * (1 - g("arm_fraction") - g("knot_fraction"))
    parts = []
    if bt > 0:
        bulge = _sersic(g("sersic_n"), g("bulge_hlr"), flux * bt, trunc)
        parts.append(bulge.shear(q=g("bulge_axis_ratio"), beta=pa))
    if bt < 1:
        bar_flux = flux * g("bar_fraction")
        disk_flux = max(disk_flux - bar_flux, 0.0)
        a1 = p.get(prefix + "lopsidedness", 0.0)
        if a1 > 0:  # lopsided disc: a share of its light in an offset copy
            shifted = disk_flux * LOPSIDED_SHARE
            disk_flux -= shifted
            parts.append(_lopsided_part(g("disk_hlr"), shifted, a1,
                                        p[prefix + "lopsided_angle"],
                                        g("axis_ratio"), pa))
        disk = _sersic(1, g("disk_hlr"), disk_flux)
        parts.append(disk.shear(q=g("axis_ratio"), beta=pa))
        if bar_flux > 0:
            # the bar lies in the disc plane: elongate it there, then project and turn
            bar = galsim.Gaussian(half_light_radius=g("bar_hlr"), flux=bar_flux,
                                  gsparams=GSPARAMS)
            bar = bar.shear(q=g("bar_axis_ratio"), beta=g("bar_angle") * galsim.degrees)
            bar = bar.shear(q=g("axis_ratio"), beta=0 * galsim.degrees).rotate(pa)
            parts.append(bar)
    obj = parts[0] if len(parts) == 1 else galsim.Add(parts)
    tidal = p.get(prefix + "tidal_shear", 0.0)
    if tidal:
        obj = obj.shear(g=tidal, beta=p[prefix + "tidal_angle"] * galsim.degrees)
    return obj


def _box(centre, radius_pix, shape):
    """Integer bounds (y0, y1, x0, x1) of a square of half-side radius_pix, clipped."""
    h, w = shape
    x0 = max(int(np.floor(centre[0] - radius_pix)), 0)
    x1 = min(int(np.ceil(centre[0] + radius_pix)) + 1, w)
    y0 = max(int(np.floor(centre[1] - radius_pix)), 0)
    y1 = min(int(np.ceil(centre[1] + radius_pix)) + 1, h)
    return y0, y1, x0, x1


def _structure(p, shape, pixel_scale, centre, rng, prefix=""):
    """Intrinsic (unconvolved) image of spiral arms and star-forming knots.

    Returns ``(array, y0, x0)``, a box of the stamp starting at row y0, column x0, or
    None when the galaxy has neither arms nor knots.
    """
    g = lambda key: p[prefix + key]  # noqa: E731
    flux = g("flux") * (1 - g("bulge_fraction"))
    arm_flux = flux * g("arm_fraction")
    knot_flux = flux * g("knot_fraction")
    if arm_flux <= 0 and knot_flux <= 0:
        return None
    scale_length = g("disk_hlr") / 1.678  # exponential: hlr = 1.678 h
    shift = np.hypot(g("knot_shift_x"), g("knot_shift_y"))
    y0, y1, x0, x1 = _box(centre, (7 * scale_length + shift) / pixel_scale, shape)
    if y0 >= y1 or x0 >= x1:
        return None
    y, x = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    x = (x - centre[0]) * pixel_scale
    y = (y - centre[1]) * pixel_scale
    pa = np.radians(g("position_angle"))
    q = g("axis_ratio")
    out = np.zeros(x.shape)
    if arm_flux > 0:
        u = x * np.cos(pa) + y * np.sin(pa)  # along the major axis
        v = (-x * np.sin(pa) + y * np.cos(pa)) / q  # deprojected minor axis
        r = np.hypot(u, v) + 1e-6
        theta = np.arctan2(v, u)
        m = g("n_arms")
        tan_pitch = np.tan(np.radians(g("pitch_angle")))
        phase = m * (theta - np.log(r / scale_length) / tan_pitch) + g("arm_phase")
        pattern = (1 + np.cos(phase)) / 2
        arms = np.exp(-r / scale_length) * pattern**3 * (
            1 - np.exp(-((r / (0.7 * scale_length)) ** 2)))
        total = arms.sum()
        if total > 0:
            out += arm_flux * arms / total
    n_knots = int(g("n_knots"))
    if knot_flux > 0 and n_knots > 0:
        rk = rng.gamma(2.0, scale_length, n_knots)
        if g("arm_fraction") > 0:  # knots along the arms
            m = g("n_arms")
            tan_pitch = np.tan(np.radians(g("pitch_angle")))
            arm = rng.integers(0, m, n_knots)
            tk = (np.log(rk / scale_length) / tan_pitch + (2 * np.pi * arm
                  - g("arm_phase")) / m + rng.normal(0, 0.15, n_knots))
        else:
            tk = rng.uniform(0, 2 * np.pi, n_knots)
        uk = rk * np.cos(tk) + g("knot_shift_x")
        vk = rk * np.sin(tk) * q + g("knot_shift_y")
        xk = (uk * np.cos(pa) - vk * np.sin(pa)) / pixel_scale + centre[0] - x0
        yk = (uk * np.sin(pa) + vk * np.cos(pa)) / pixel_scale + centre[1] - y0
        fk = rng.dirichlet(np.ones(n_knots)) * knot_flux
        sk = rng.uniform(0.3, 0.6, n_knots) / pixel_scale
        bh, bw = out.shape
        for xi, yi, fi, si in zip(xk, yk, fk, sk, strict=True):
            by0, by1, bx0, bx1 = _box((xi, yi), 4 * si, (bh, bw))
            if by0 >= by1 or bx0 >= bx1:
                continue
            gx = np.exp(-0.5 * ((np.arange(bx0, bx1) - xi) / si) ** 2)
            gy = np.exp(-0.5 * ((np.arange(by0, by1) - yi) / si) ** 2)
            blob = np.outer(gy, gx)
            s = blob.sum()
            if s > 0:
                out[by0:by1, bx0:bx1] += fi * blob / s
    return out, y0, x0


def _add_structure(image, structure, kernel):
    """Convolve a structure box with the PSF kernel (if any) and add it to image."""
    if structure is None:
        return
    box, y0, x0 = structure
    if kernel is not None:
        box = fftconvolve(box, kernel, mode="full")
        half = kernel.shape[0] // 2
        y0, x0 = y0 - half, x0 - half
    h, w = image.shape
    by0, bx0 = max(-y0, 0), max(-x0, 0)
    y0c, x0c = max(y0, 0), max(x0, 0)
    y1c = min(y0 + box.shape[0], h)
    x1c = min(x0 + box.shape[1], w)
    if y1c > y0c and x1c > x0c:
        image[y0c:y1c, x0c:x1c] += box[by0:by0 + y1c - y0c,
                                       bx0:bx0 + x1c - x0c].astype(image.dtype)


def petrosian_radii(image, centre, pixel_scale, eta=0.2):
    """Petrosian R50 and R90 [arcsec] of a noiseless image, SDSS's definition.

    The Petrosian radius R_P is where the surface brightness in the annulus
    0.8-1.25 r falls to ``eta`` (0.2) times the mean surface brightness inside r; the
    Petrosian flux is the flux inside 2 R_P; R50 and R90 enclose 50% and 90% of it
    (Blanton et al. 2001, AJ 121, 2358; Strauss et al. 2002, AJ 124, 1810). Circular
    apertures about ``centre`` (x, y in pixels); the growth curve is sampled in steps
    of 0.25 pixel (pixels counted whole at their centre's radius). When R_P is not
    reached inside the stamp, 2 R_P is capped at the largest circle that fits.
    """
    h, w = image.shape
    step = 0.25
    y, x = np.ogrid[:h, :w]
    r = np.sqrt((x - centre[0]) ** 2 + (y - centre[1]) ** 2)
    r_max = min(centre[0] + 0.5, w - centre[0] - 0.5, centre[1] + 0.5,
                h - centre[1] - 0.5)
    bins = np.minimum((r / step).astype(np.int64), int(r_max / step) + 1).ravel()
    prof = np.bincount(bins, weights=image.ravel().astype(np.float64))
    edges = np.arange(1, len(prof) + 1) * step
    cum = np.cumsum(prof)
    edges, cum = np.concatenate([[0.0], edges]), np.concatenate([[0.0], cum])

    def enclosed(rr):
        return np.interp(rr, edges, cum)

    radii = np.arange(1.0, r_max / 1.25, step)
    if len(radii) == 0:
        return np.nan, np.nan
    f = enclosed(radii)
    ring = (enclosed(1.25 * radii) - enclosed(0.8 * radii)) / (
        np.pi * (1.25**2 - 0.8**2) * radii**2)
    mean = f / (np.pi * radii**2)
    ratio = np.divide(ring, mean, out=np.zeros_like(ring), where=mean > 0)
    below = np.nonzero(ratio < eta)[0]
    if len(below):
        k = below[0]
        if k == 0:
            r_p = radii[0]
        else:  # linear interpolation of the crossing
            r0, r1, e0, e1 = radii[k - 1], radii[k], ratio[k - 1], ratio[k]
            r_p = r0 + (eta - e0) * (r1 - r0) / (e1 - e0)
    else:
        r_p = r_max / 2
    r_ap = min(2 * r_p, r_max)
    f_p = enclosed(r_ap)
    fine = np.linspace(0, r_ap, 400)
    cf = np.maximum.accumulate(enclosed(fine))
    r50 = np.interp(0.5 * f_p, cf, fine)
    r90 = np.interp(0.9 * f_p, cf, fine)
    return r50 * pixel_scale, r90 * pixel_scale


def _field_profile(p, image_size, pixel_scale):
    """The field sources of ``p`` (stars and small exponential galaxies at their frame
    positions) as one GalSim profile, before the PSF."""
    c = (image_size - 1) / 2
    parts = []
    for x, y, flux, hlr, q, pa in zip(p["field_x"], p["field_y"], p["field_flux"],
                                      p["field_hlr"], p["field_q"], p["field_pa"],
                                      strict=True):
        if hlr > 0:
            obj = galsim.Exponential(half_light_radius=hlr, flux=flux, gsparams=GSPARAMS)
            obj = obj.shear(q=q, beta=pa * galsim.degrees)
        else:
            obj = galsim.DeltaFunction(flux=flux, gsparams=GSPARAMS)
        parts.append(obj.shift((x - c) * pixel_scale, (y - c) * pixel_scale))
    return parts[0] if len(parts) == 1 else galsim.Add(parts)


def render_galaxy(p, *, image_size, pixel_scale, psf_fwhm, sky_noise, noise, seed,
                  psf=True, noise_rng=None, psf_beta=3.5, sersic_trunc=0.0):
    """Render the galaxy described by the catalog row ``p`` (a dict).

    Returns ``(image, noiseless, petro_r50, petro_r90)``: float32 images in
    nanomaggies (``image`` is None when ``noise`` is False), the Petrosian radii
    [arcsec] measured on the noiseless, PSF-convolved image of the target galaxy alone
    (no companion, partner or star). With ``psf=False`` the intrinsic profile is drawn
    (no PSF, no pixel response, no structure convolution): for tests.

    The knots are drawn from a generator seeded with ``seed``, so every band of a
    galaxy rendered with the same seed has the same knots; the noise continues that
    generator (the i band, as always) or comes from ``noise_rng`` (the other bands, so
    that their noise is independent). ``psf_beta`` is the Moffat index of the PSF;
    ``sersic_trunc`` > 0 cuts every Sersic profile of n != 1 (bulges, ellipticals,
    the partner's bulge, the companion) at that many half-light radii.
    """
    rng = np.random.default_rng(seed)
    shape = (image_size, image_size)
    centre = ((image_size - 1) / 2 + p["centre_dx"], (image_size - 1) / 2 + p["centre_dy"])
    offset = galsim.PositionD(p["centre_dx"], p["centre_dy"])
    psf_obj = make_psf(psf_fwhm, psf_beta)

    def draw(obj, image=None, offset=offset):
        if psf:
            obj = galsim.Convolve(obj, psf_obj)
            method = "auto"
        else:
            method = "no_pixel"
        kwargs = {"offset": offset, "method": method}
        if image is None:
            return obj.drawImage(nx=image_size, ny=image_size, scale=pixel_scale,
                                 **kwargs)
        return obj.drawImage(image=image, add_to_image=True, **kwargs)

    img = draw(_smooth_profile(p, trunc=sersic_trunc))
    kernel = _psf_kernel(psf_fwhm, pixel_scale, psf_beta) if psf else None
    _add_structure(img.array, _structure(p, shape, pixel_scale, centre, rng), kernel)
    if p["has_dust_lane"]:
        pa = np.radians(p["position_angle"])
        y, x = np.indices(shape, dtype=np.float64)
        dist = (-(x - centre[0]) * np.sin(pa) + (y - centre[1]) * np.cos(pa)) * pixel_scale
        img.array[:] *= (1 - 0.5 * np.exp(-0.5 * (dist / 0.35) ** 2)).astype(np.float32)
    if psf:
        r50, r90 = petrosian_radii(img.array, centre, pixel_scale)
    else:
        r50 = r90 = np.nan
    if p["class"] == "merger":
        partner = _smooth_profile(p, prefix="partner_", trunc=sersic_trunc)
        draw(partner, img, offset=galsim.PositionD(
            p["partner_x"] - (image_size - 1) / 2, p["partner_y"] - (image_size - 1) / 2))
        _add_structure(img.array, _structure(
            p, shape, pixel_scale, (p["partner_x"], p["partner_y"]), rng,
            prefix="partner_"), kernel)
    if p["has_companion"]:
        comp = _sersic(p["companion_sersic_n"], p["companion_hlr"], p["companion_flux"],
                       sersic_trunc)
        comp = comp.shear(q=p["companion_axis_ratio"],
                          beta=p["companion_position_angle"] * galsim.degrees)
        draw(comp, img, offset=galsim.PositionD(
            p["companion_x"] - (image_size - 1) / 2,
            p["companion_y"] - (image_size - 1) / 2))
    if p["has_star"] and psf:
        star = psf_obj.withFlux(p["star_flux"])
        star.drawImage(image=img, add_to_image=True, offset=galsim.PositionD(
            p["star_x"] - (image_size - 1) / 2, p["star_y"] - (image_size - 1) / 2))
    if psf and len(p.get("field_flux", ())):
        draw(_field_profile(p, image_size, pixel_scale), img,
             offset=galsim.PositionD(0.0, 0.0))
    noiseless = img.array.astype(np.float32, copy=True)
    image = None
    if noise:
        # sky + Poisson noise: Gaussian with variance (sky + source) / gain, the
        # normal limit of GalSim's CCDNoise (the sky alone gives ~950 e- per pixel)
        variance = sky_noise**2 + np.maximum(noiseless, 0) / GAIN_E_PER_NMGY
        draws = (rng if noise_rng is None else noise_rng).standard_normal(shape)
        image = (noiseless + np.sqrt(variance) * draws).astype(np.float32)
    return image, noiseless, r50, r90


#: Record keys that differ from band to band (``<key>__<band>`` columns of the truth;
#: the i band uses the plain keys).
BAND_KEYS = ("flux", "bulge_fraction", "bar_fraction", "partner_flux",
             "partner_bulge_fraction", "partner_bar_fraction", "companion_flux",
             "star_flux")


def band_record(p, band):
    """The record ``p`` as seen in ``band``: its fluxes and bulge / bar fractions
    replaced by those of the band. The i band is ``p`` itself."""
    if band == "i":
        return p
    out = {**p, **{key: p[f"{key}__{band}"] for key in BAND_KEYS}}
    if f"field_flux__{band}" in p:  # field sources (presets), their own colours
        out["field_flux"] = p[f"field_flux__{band}"]
    return out


def render_bands(p, *, bands, image_size, pixel_scale, psf_fwhm, sky_noise, noise, seed,
                 psf_beta=3.5, sersic_trunc=0.0):
    """Render the galaxy ``p`` in each of ``bands`` (a string such as "gri").

    The same geometry, knots and centre in every band; each band has its own fluxes
    (:func:`band_record`), PSF FWHM and sky noise (dicts band -> value) and independent
    noise. The i band is rendered exactly as :func:`render_galaxy` renders it alone, and
    is rendered (noiseless) even when not asked for: the Petrosian radii are measured
    on it. Returns ``(images, noiseless, petro_r50, petro_r90)`` with images of shape
    (len(bands), h, w) (``images`` None without noise).
    """
    images = np.empty((len(bands), image_size, image_size), np.float32) if noise else None
    clean = np.empty((len(bands), image_size, image_size), np.float32)
    radii = None
    for band in bands if "i" in bands else bands + "i":
        noise_rng = (None if band == "i" else
                     np.random.default_rng([seed, 1 + "ugriz".index(band)]))
        image, noiseless, r50, r90 = render_galaxy(
            band_record(p, band), image_size=image_size, pixel_scale=pixel_scale,
            psf_fwhm=psf_fwhm[band], sky_noise=sky_noise.get(band, 0.0),
            noise=noise and band in bands, seed=seed, noise_rng=noise_rng,
            psf_beta=psf_beta, sersic_trunc=sersic_trunc)
        if band == "i":
            radii = r50, r90
        if band in bands:
            k = bands.index(band)
            clean[k] = noiseless
            if images is not None:
                images[k] = image
    return images, clean, radii[0], radii[1]


#: Keys of a record holding pixel positions (x, y pairs) and position angles [deg]:
#: what a rotation of the pixel grid changes.
_POSITIONS = (("partner_x", "partner_y"), ("companion_x", "companion_y"),
              ("star_x", "star_y"))
_ANGLES = ("position_angle", "partner_position_angle", "companion_position_angle",
           "tidal_angle", "partner_tidal_angle")


def _grid_map(angle, scale, n_out, n_in):
    """Affine map of output pixel (row, col) to input pixel (row, col): the output grid
    turned by ``angle`` [deg, counter-clockwise with origin="lower"] on the input, its
    pixels ``scale`` times the input's, both centred."""
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    matrix = scale * np.array([[c, s], [-s, c]])  # (row, col) order of (x, y) rotation
    offset = (n_in - 1) / 2 - matrix @ np.full(2, (n_out - 1) / 2)
    return matrix, offset


def render_resampled(render, p, *, image_size, pixel_scale, scale, angle, **kwargs):
    """Render ``p`` on the grid of the survey frame, then resample it as NASA SkyView does.

    The galaxy, its noise and its neighbours are drawn by ``render`` (``render_galaxy``
    or ``render_bands``) on a frame of pixels ``pixel_scale / scale`` [arcsec] (the
    survey's) turned by ``angle`` [deg] against the cutout grid; each cutout pixel
    then takes the value of the nearest frame pixel (SkyView's nearest-neighbour
    sampler, ``scipy.ndimage.affine_transform`` with ``order=0``), which copies some
    frame pixels into two neighbours and drops others: the pixel pattern of the real
    cutouts. ``p``'s positions are cutout pixels and its angles are on the cutout grid;
    the returned images (noisy, noiseless: 2-D, or 3-D per band) are cutouts of
    ``image_size`` pixels of ``pixel_scale`` arcsec, and the Petrosian radii [arcsec] are
    measured on the noiseless frame.
    """
    n_in = int(np.ceil(image_size * scale * np.sqrt(2))) + 4
    matrix, offset = _grid_map(angle, scale, image_size, n_in)
    c_out = (image_size - 1) / 2

    def to_frame(x, y):  # cutout (x, y) -> frame (x, y), numbers or arrays
        row, col = np.tensordot(matrix, np.array([y, x], dtype=float), axes=1) + (
            offset.reshape(2, *([1] * np.ndim(x))))
        return col, row

    q = dict(p)
    cx, cy = to_frame(c_out + p["centre_dx"], c_out + p["centre_dy"])
    q["centre_dx"], q["centre_dy"] = cx - (n_in - 1) / 2, cy - (n_in - 1) / 2
    for kx, ky in _POSITIONS:
        if kx in q and np.isfinite(q[kx]) and np.isfinite(q[ky]):
            q[kx], q[ky] = to_frame(q[kx], q[ky])
    for key in _ANGLES:
        if key in q and np.isfinite(q[key]):
            q[key] = q[key] + angle
    if "field_x" in q:  # arrays, one value per field source
        q["field_x"], q["field_y"] = to_frame(np.asarray(q["field_x"], float),
                                              np.asarray(q["field_y"], float))
        q["field_pa"] = np.asarray(q["field_pa"], float) + angle
    image, clean, r50, r90 = render(q, image_size=n_in, pixel_scale=pixel_scale / scale,
                                    **kwargs)

    def resample(frame):
        if frame is None:
            return None
        frames = frame.reshape(-1, n_in, n_in)
        out = np.stack([ndimage.affine_transform(f, matrix, offset=offset,
                                                 output_shape=(image_size, image_size),
                                                 order=0) for f in frames])
        return out.reshape(*frame.shape[:-2], image_size, image_size)

    return resample(image), resample(clean), r50, r90
