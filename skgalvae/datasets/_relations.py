"""Scaling relations that give simulated galaxies physical properties.

Every relation cites its source next to its numbers. The numbers are our reading of the
sources' published fits or tables, rounded, written down without access to the papers
at the time (the Zahid et al. 2016 slope and break were checked against its abstract):
check a number against its source before quoting it as the source's. The scatter terms
are the sources' where they give one, otherwise a stated choice of ours. They are meant to give
the simulated population the *correlations* the study measures (early types older, more
metal-rich, with higher dispersion and lower sSFR; size growing with mass), not to
reproduce any catalog to the percent.

Units: masses in log10 solar masses (Kroupa/Chabrier IMF as in the sources), radii in
kpc, sSFR in log10 yr^-1, age in Gyr, metallicity in log10(Z/Zsun), velocity dispersion
in km/s, magnitudes AB.
"""

import functools

import numpy as np


@functools.cache
def cosmology():
    """Cosmology of the simulator: flat LCDM, H0 = 70, Om0 = 0.3 (h = 0.7, as the
    scaling relations below assume). Built on first use (astropy.cosmology is slow to
    import)."""
    from astropy.cosmology import FlatLambdaCDM

    return FlatLambdaCDM(H0=70.0, Om0=0.3)

#: AB absolute magnitude of the Sun in SDSS i (Willmer 2018, ApJS 236, 47, Table 3).
M_SUN_I = 4.53

# Morphological classes, and which are "early" (spheroid dominated).
CLASSES = ("spiral", "elliptical", "edge_on", "merger", "irregular")


def size_mass_kpc(log_mass, early, rng):
    """Half-light radius [kpc] from the mass-size relation of Shen et al. (2003).

    Shen et al. 2003, MNRAS 343, 978, eqs. (17)-(18), (16) and Table 1, r-band Sersic
    half-light radii of SDSS galaxies:

    - early types: ``R = b M^a`` with a = 0.56, b = 2.88e-6 kpc;
    - late types: ``R = gamma M^alpha (1 + M / M0)^(beta - alpha)`` with alpha = 0.14,
      beta = 0.39, gamma = 0.10 kpc, M0 = 3.98e10 Msun;
    - scatter in ln R: ``sigma2 + (sigma1 - sigma2) / (1 + (M / M0)^2)`` with
      sigma1 = 0.47, sigma2 = 0.34 (late types; we use it for both, a choice).
    """
    log_mass = np.asarray(log_mass, dtype=float)
    mass = 10.0**log_mass
    m0 = 3.98e10
    log_r_early = 0.56 * log_mass + np.log10(2.88e-6)
    log_r_late = (
        0.14 * log_mass + (0.39 - 0.14) * np.log10(1 + mass / m0) + np.log10(0.10)
    )
    log_r = np.where(early, log_r_early, log_r_late)
    sigma_ln = 0.34 + (0.47 - 0.34) / (1 + (mass / m0) ** 2)
    return 10.0 ** (log_r + rng.normal(0.0, 1.0, log_mass.shape) * sigma_ln / np.log(10))


def star_forming_sequence(log_mass):
    """Median log sSFR [yr^-1] of star-forming galaxies at ``log_mass``.

    Salim et al. 2007, ApJS 173, 267 (their fit to pure star-forming galaxies,
    GALEX/SDSS; our reading of it): ``log SSFR = -0.35 (log M - 10) - 9.83``.
    """
    return -0.35 * (np.asarray(log_mass) - 10.0) - 9.83


def log_ssfr(log_mass, bulge_fraction, klass, rng):
    """log sSFR [yr^-1]: the Salim et al. (2007) main sequence for discs, lowered with the
    bulge fraction; a quiescent cloud at -11.8 +- 0.4 dex for ellipticals (the red
    sequence of Brinchmann et al. 2004, MNRAS 351, 1151, Fig. 24 / Salim et al. 2007
    Fig. 6). Irregulars and gas-rich mergers sit 0.2-0.3 dex above the sequence.
    Offsets with B/T (-1.2 dex at B/T = 1) and the scatter of non-ellipticals (0.3 dex)
    are our choices."""
    ms = star_forming_sequence(log_mass)
    out = ms - 1.2 * bulge_fraction + rng.normal(0, 0.3, ms.shape)
    quiescent = -11.8 + rng.normal(0, 0.4, ms.shape)
    out = np.where(klass == "elliptical", quiescent, out)
    out = np.where(klass == "irregular", ms + 0.2 + rng.normal(0, 0.25, ms.shape), out)
    return out


# Gallazzi et al. 2005, MNRAS 362, 41, Table 2: 50th percentiles of the r-band
# light-weighted age (log yr) and stellar metallicity (log Z/Zsun) in bins of log M*
# (values read from the table and rounded to 0.05 dex).
_GALLAZZI_LOGM = np.array([8.9, 9.5, 10.0, 10.5, 11.0, 11.5])
_GALLAZZI_LOGAGE = np.array([9.00, 9.15, 9.40, 9.65, 9.85, 9.95])
_GALLAZZI_LOGZ = np.array([-0.60, -0.45, -0.20, -0.05, 0.05, 0.10])


def age_gyr(log_mass, early_score, rng):
    """Light-weighted stellar age [Gyr] from the age-mass relation of Gallazzi et al.
    (2005), shifted by +0.15 dex for spheroids and -0.1 dex for discs
    (``early_score`` in [0, 1], e.g. the bulge fraction), with 0.12 dex scatter (the
    offsets and scatter are our choices, in the spirit of their Fig. 8: early types
    older at fixed mass). Capped at 13.5 Gyr."""
    base = np.interp(log_mass, _GALLAZZI_LOGM, _GALLAZZI_LOGAGE)
    log_age = base - 0.10 + 0.25 * early_score + rng.normal(0, 0.12, base.shape)
    return np.minimum(10.0 ** (log_age - 9.0), 13.5)


def metallicity(log_mass, early_score, rng):
    """Stellar metallicity log10(Z/Zsun) from Gallazzi et al. (2005)'s relation, shifted
    by +0.1 dex for spheroids and -0.1 dex for discs, 0.15 dex scatter (our choices)."""
    base = np.interp(log_mass, _GALLAZZI_LOGM, _GALLAZZI_LOGZ)
    return base - 0.10 + 0.20 * early_score + rng.normal(0, 0.15, base.shape)


def velocity_dispersion(log_mass, bulge_fraction, rng):
    """Central stellar velocity dispersion [km/s].

    Zahid et al. 2016, ApJ 832, 203 (SDSS and SHELS quiescent galaxies): sigma is
    proportional to M^0.3 above about 10^10.3 Msun (their abstract) and steeper below;
    we use ``log sigma = 2.07 + 0.293 (log M - 10.26)`` above the break and slope 0.403
    below it, with 0.07 dex scatter (our reading of their broken power law: the
    Faber-Jackson relation in stellar mass). Disc-dominated galaxies, whose 3-arcsec
    fibre dispersion is lowered by rotation seen in projection, get ``-0.15 (1 - B/T)``
    dex (our choice).
    """
    log_mass = np.asarray(log_mass, dtype=float)
    d = log_mass - 10.26
    log_sigma = 2.07 + np.where(d > 0, 0.293, 0.403) * d
    log_sigma = log_sigma - 0.15 * (1 - bulge_fraction) + rng.normal(0, 0.07, d.shape)
    return 10.0**log_sigma


def g_minus_r(log_ssfr_values):
    """Rest-frame g - r colour from sSFR: 0.78 for quiescent (log sSFR <= -11.5) to 0.40
    for strongly star-forming (>= -9.5) galaxies, linear between (a simple mapping
    consistent with the colour bimodality of Baldry et al. 2004, ApJ 600, 681)."""
    t = np.clip((np.asarray(log_ssfr_values) + 11.5) / 2.0, 0.0, 1.0)
    return 0.78 - 0.38 * t


def log_mass_to_light_i(g_r):
    """log10 of the i-band stellar mass-to-light ratio from g - r (Bell et al. 2003,
    ApJS 149, 289, Table 7: a_i = -0.152, b_i = 0.518; diet Salpeter IMF, which we shift
    by -0.093 dex to a Kroupa IMF as they recommend)."""
    return -0.152 + 0.518 * np.asarray(g_r) - 0.093


def absolute_magnitude_i(log_mass, g_r):
    """AB absolute i magnitude of a galaxy of stellar mass 10**log_mass and colour g_r."""
    log_lum = np.asarray(log_mass) - log_mass_to_light_i(g_r)
    return M_SUN_I - 2.5 * log_lum


def apparent_magnitude(abs_mag, redshift):
    """Apparent AB magnitude (no k-correction) at ``redshift`` in :func:`cosmology`."""
    return np.asarray(abs_mag) + cosmology().distmod(np.asarray(redshift)).value


def kpc_to_arcsec(size_kpc, redshift):
    """Angular size [arcsec] of a physical size [kpc] at ``redshift``."""
    scale = cosmology().kpc_proper_per_arcmin(np.asarray(redshift)).value / 60.0
    return np.asarray(size_kpc) / scale


def max_redshift(abs_mag, mag_limit, z_min=0.01, z_max=0.25):
    """Largest redshift at which a galaxy of ``abs_mag`` is brighter than ``mag_limit``
    (flux-limited survey, no k-correction), clipped to [z_min, z_max]."""
    grid = np.linspace(z_min, z_max, 400)
    dm = cosmology().distmod(grid).value
    zmax = np.interp(mag_limit - np.asarray(abs_mag), dm, grid, left=z_min, right=z_max)
    return zmax


def truncated_sersic_scale(n, trunc):
    """Half-light radius of the untruncated Sersic ``n`` profile whose cut at ``trunc``
    times the cut profile's half-light radius has that half-light radius, in units of
    it (> 1; GalSim's ``Sersic(n, half_light_radius, trunc)``). An array like ``n``.

    >>> truncated_sersic_scale([4.0, 6.0], 8.0).round(3).tolist()
    [1.136, 1.386]
    """
    from scipy.optimize import brentq
    from scipy.special import gammainc, gammaincinv

    n = np.atleast_1d(np.asarray(n, dtype=float))
    out = np.ones_like(n)
    for value in np.unique(n):
        b = gammaincinv(2 * value, 0.5)

        def enclosed(y, value=value, b=b):  # light inside y untruncated half-light radii
            return gammainc(2 * value, b * y ** (1 / value))

        out[n == value] = brentq(
            lambda u, value=value: enclosed(1 / u) / enclosed(trunc / u) - 0.5, 1.0, 1e4)
    return out


def petrosian_flux_fraction(bulge_fraction, n_bulge, bulge_to_disk_hlr=0.3, eta=0.2,
                            trunc=0.0):
    """Fraction of the total flux inside twice the Petrosian radius (SDSS's Petrosian flux)
    of an intrinsic, circular bulge (Sersic ``n_bulge``) + exponential disc profile.

    SDSS's definition (Blanton et al. 2001, AJ 121, 2358; Strauss et al. 2002, AJ 124,
    1810): the Petrosian radius R_P is where the mean surface brightness in the annulus
    0.8-1.25 r falls to ``eta`` = 0.2 times the mean inside r; the Petrosian flux is the
    flux inside 2 R_P. It holds nearly all of an exponential disc's light and about 80%
    of a de Vaucouleurs profile's (Blanton et al. 2001; Graham et al. 2005, AJ 130, 1535):
    SDSS's and GZ2's magnitude limits select on that flux. ``bulge_to_disk_hlr`` is the
    bulge's half-light radius over the disc's (the simulator draws 0.15-0.45; the mean
    is the default); a pure spheroid (B/T = 1) does not depend on it. ``trunc`` > 0
    cuts the bulge (n != 1) at that many of its half-light radii, as the simulator's
    ``sersic_truncation`` does. No PSF.

    >>> f = petrosian_flux_fraction(np.array([0.0, 1.0]), np.array([1.0, 4.0]))
    >>> f.round(2).tolist()
    [0.99, 0.82]
    """
    from scipy.special import gammainc, gammaincinv

    bt = np.clip(np.atleast_1d(np.asarray(bulge_fraction, dtype=float)), 0.0, 1.0)[:, None]
    n = np.atleast_1d(np.asarray(n_bulge, dtype=float))[:, None]
    r_b = np.where(bt >= 1.0, 1.0, bulge_to_disk_hlr)  # radii in disc half-light radii
    b_n, b_1 = gammaincinv(2 * n, 0.5), gammaincinv(2.0, 0.5)
    r = np.geomspace(0.02, 60.0, 1500)[None, :]

    if trunc > 0:  # the cut profile: its own half-light radius r_b, no light beyond
        u = np.where(n == 1, 1.0, truncated_sersic_scale(n[:, 0], trunc)[:, None])
        inside = np.where(n == 1, 1.0, gammainc(2 * n, b_n * (trunc / u) ** (1 / n)))
    else:
        u = inside = 1.0

    def enclosed(radius):  # u = inside = 1 leave an untruncated bulge as it is
        bulge = np.minimum(gammainc(2 * n, b_n * (radius / (u * r_b)) ** (1 / n)) / inside,
                           1.0)
        return bt * bulge + (1 - bt) * gammainc(2.0, b_1 * radius)

    ring = (enclosed(1.25 * r) - enclosed(0.8 * r)) / (1.25**2 - 0.8**2)
    ratio = ring / np.maximum(enclosed(r), 1e-300)
    below = ratio < eta
    k = np.where(below.any(axis=1), below.argmax(axis=1), r.shape[1] - 1)
    r_p = r[0, k]
    return enclosed(2 * r_p[:, None])[:, 0]


def draw_redshift(z_upper, rng, z_min=0.01):
    """Redshift uniform in comoving volume between z_min and ``z_upper`` (a flux-limited
    sample: each galaxy is placed where the survey could see it)."""
    grid = np.linspace(z_min, max(float(np.max(z_upper)), z_min + 1e-3), 400)
    vol = cosmology().comoving_volume(grid).value
    vmax = np.interp(z_upper, grid, vol)
    u = rng.uniform(vol[0], vmax)
    return np.interp(u, vol, grid)


# ---------------------------------------------------------------------------------------
# Several bands: colours, k-corrections, PSF widths and sky noise per SDSS band
# ---------------------------------------------------------------------------------------

#: SDSS bands in wavelength order.
SDSS_BANDS = "ugriz"

#: Effective wavelengths of the SDSS filters [Angstrom] (the SDSS survey constants,
#: ``SDSSConstants`` table of the SDSS Catalog Archive Server: effectiveLambda_u ... _z).
EFFECTIVE_WAVELENGTH = {"u": 3540.0, "g": 4760.0, "r": 6280.0, "i": 7690.0, "z": 9250.0}

#: 5-sigma point-source limiting magnitudes of the SDSS imaging at equal (1 arcsec)
#: seeing (``SDSSConstants`` table: limitingMagnitudes_u ... _z; York et al. 2000, AJ
#: 120, 1579, Table 1). At equal seeing a sky-limited point-source limit is
#: proportional to the sky noise per pixel, so these scale the measured i-band noise
#: to the other bands; they fold in each band's sky brightness and the camera's
#: throughput.
LIMITING_MAGNITUDE = {"u": 22.3, "g": 23.3, "r": 23.1, "i": 22.3, "z": 20.8}

#: Exponent of the seeing's wavelength dependence, FWHM ~ lambda**alpha, measured on
#: SDSS ugriz images (Xin et al. 2018, AJ 156, 222: alpha ~ -0.3, a von Karman
#: turbulence law; the Kolmogorov value would be -0.2).
SEEING_EXPONENT = -0.3


def psf_fwhm_band(fwhm_i, band):
    """Median PSF FWHM [arcsec] in ``band`` given the i-band FWHM: ``FWHM_b = FWHM_i
    (lambda_b / lambda_i)**-0.3`` (Xin et al. 2018). With the default i-band 1.3 arcsec
    the r band gets 1.38 arcsec, close to the SDSS DR7 median r-band PSF width of 1.43
    arcsec (sdss.org/dr7, "Seeing and sky brightness").

    >>> round(psf_fwhm_band(1.3, "g"), 2), round(psf_fwhm_band(1.3, "i"), 2)
    (1.5, 1.3)
    """
    ratio = EFFECTIVE_WAVELENGTH[band] / EFFECTIVE_WAVELENGTH["i"]
    return float(fwhm_i) * ratio**SEEING_EXPONENT


def sky_noise_band(sigma_i, band):
    """Sky noise per pixel [nanomaggies] in ``band`` given the i-band one:
    ``sigma_b = sigma_i 10**(-0.4 (m_lim,b - m_lim,i))`` with the SDSS limiting
    magnitudes :data:`LIMITING_MAGNITUDE` (York et al. 2000). The i-band value (0.044
    by default) is the one measured on the bundled real cutouts.

    >>> round(sky_noise_band(0.044, "g"), 4), round(sky_noise_band(0.044, "r"), 4)
    (0.0175, 0.0211)
    """
    return float(sigma_i) * 10 ** (-0.4 * (LIMITING_MAGNITUDE[band]
                                           - LIMITING_MAGNITUDE["i"]))


#: Rest-frame SDSS colours (AB) of the four empirical galaxy templates of Coleman, Wu &
#: Weedman (1980, ApJS 43, 393), the spectra of real E, Sbc, Scd and Im galaxies, as
#: shipped with GalSim (``galsim/share/SEDs/CWW_*_ext.sed``, extended by Bolzonella et
#: al. 2000), computed by us through the SDSS 2.5 m reference responses at airmass 1.3
#: (Doi et al. 2010, AJ 139, 1628, as shipped with the ``speclite`` package):
#: ``tests/test_simulator.py::test_cww_template_colours`` recomputes them when speclite
#: is installed. Columns: u-g, g-r, r-i, i-z; rows ordered by g-r. They give the galaxy
#: colour-colour locus (r-i, u-g, i-z as functions of g-r).
CWW_TEMPLATES = ("Im", "Scd", "Sbc", "E")
CWW_REST_COLOURS = np.array([
    [0.601, 0.175, 0.217, 0.219],   # Im
    [0.922, 0.376, 0.204, 0.156],   # Scd
    [1.084, 0.500, 0.340, 0.317],   # Sbc
    [1.744, 0.802, 0.355, 0.306],   # E
])


def _template_fluxes():
    """Band fluxes of the CWW templates relative to r, rows as CWW_REST_COLOURS,
    columns u, g, r, i, z."""
    ug, gr, ri, iz = CWW_REST_COLOURS.T
    mags = np.stack([ug + gr, gr, 0 * gr, -ri, -ri - iz], axis=1)  # m_X - m_r
    return 10 ** (-0.4 * mags)


def rest_colours(g_r):
    """Rest-frame colours ``m_X - m_i`` (X in ugriz; 0 for i) of a population of
    rest-frame colour ``g_r``, on the galaxy locus of the CWW templates.

    The population is a mix (in flux, normalised at r) of the two templates whose g - r
    bracket ``g_r``, with the weight that gives ``g_r`` exactly; its other colours are
    those of the mix. Returns a dict band -> array. Beyond the templates' range
    (0.175-0.802) the nearest template's colours are used.

    >>> c = rest_colours([0.802, 0.5])
    >>> [round(float(v), 3) for v in c["g"] - c["r"]], [round(float(v), 3) for v in c["r"]]
    ([0.802, 0.5], [0.355, 0.34])
    """
    g_r = np.atleast_1d(np.asarray(g_r, dtype=float))
    flux = _template_fluxes()
    grid = CWW_REST_COLOURS[:, 1]
    k = np.clip(np.searchsorted(grid, g_r) - 1, 0, len(grid) - 2)
    a, b = flux[k], flux[k + 1]  # the bluer and the redder template
    target = 10 ** (-0.4 * np.clip(g_r, grid[0], grid[-1]))  # F_g / F_r
    w = np.clip((target - b[:, 1]) / (a[:, 1] - b[:, 1]), 0.0, 1.0)
    mix = w[:, None] * a + (1 - w[:, None]) * b
    mags = -2.5 * np.log10(mix / mix[:, [3]])  # m_X - m_i
    return {band: mags[:, j] for j, band in enumerate(SDSS_BANDS)}


# Chilingarian, Melchior & Zolotukhin 2010 (MNRAS 405, 1409) k-corrections, extended to
# z = 0.5 by Chilingarian & Zolotukhin 2012 (MNRAS 419, 1727): K(z, c) = sum_xy
# a_xy z^x c^y with c an OBSERVED colour. Coefficients as published by the authors
# (the K-corrections calculator, kcor.sai.msu.ru; the same arrays are in STILTS /
# Starlink's KCorrections, co-written by the authors). Rows: powers of z, columns:
# powers of the colour.
KCORRECTION_COEFFS = {
    "u": ("ur", [[0, 0, 0, 0],
                 [10.3686, -6.12658, 2.58748, -0.299322],
                 [-138.069, 45.0511, -10.8074, 0.95854],
                 [540.494, -43.7644, 3.84259, 0],
                 [-1005.28, 10.9763, 0, 0],
                 [710.482, 0, 0, 0]]),
    "g": ("gr", [[0, 0, 0, 0],
                 [-2.45204, 4.10188, 10.5258, -13.5889],
                 [56.7969, -140.913, 144.572, 57.2155],
                 [-466.949, 222.789, -917.46, -78.0591],
                 [2906.77, 1500.8, 1689.97, 30.889],
                 [-10453.7, -4419.56, -1011.01, 0],
                 [17568, 3236.68, 0, 0],
                 [-10820.7, 0, 0, 0]]),
    "r": ("gr", [[0, 0, 0, 0],
                 [1.83285, -2.71446, 4.97336, -3.66864],
                 [-19.7595, 10.5033, 18.8196, 6.07785],
                 [33.6059, -120.713, -49.299, 0],
                 [144.371, 216.453, 0, 0],
                 [-295.39, 0, 0, 0]]),
    "i": ("gi", [[0, 0, 0, 0],
                 [-2.21853, 3.94007, 0.678402, -1.24751],
                 [-15.7929, -19.3587, 15.0137, 2.27779],
                 [118.791, -40.0709, -30.6727, 0],
                 [-134.571, 125.799, 0, 0],
                 [-55.4483, 0, 0, 0]]),
    "z": ("rz", [[0, 0, 0, 0],
                 [0.669031, -3.08016, 9.87081, -7.07135],
                 [-18.6165, 8.24314, -14.2716, 13.8663],
                 [94.1113, 11.2971, -11.9588, 0],
                 [-225.428, -17.8509, 0, 0],
                 [197.505, 0, 0, 0]]),
}


def kcorrection(band, redshift, colour):
    """K-correction [mag] in SDSS ``band`` at ``redshift`` for the OBSERVED colour of
    :data:`KCORRECTION_COEFFS` (u: u-r, g and r: g-r, i: g-i, z: r-z), the polynomials
    of Chilingarian et al. (2010) and Chilingarian & Zolotukhin (2012).

    >>> round(float(kcorrection("g", 0.16, -0.8)), 3)  # the STILTS documentation's example
    3.593
    """
    from numpy.polynomial.polynomial import polyval2d

    _, coeffs = KCORRECTION_COEFFS[band]
    return polyval2d(np.asarray(redshift, dtype=float), np.asarray(colour, dtype=float),
                     np.asarray(coeffs, dtype=float))


def observed_colours(rest, redshift, n_iter=10):
    """Observed colours ``m_X - m_i`` at ``redshift`` from rest-frame ones (dicts band ->
    array, as :func:`rest_colours` returns): ``(X - i)_obs = (X - i)_rest + K_X - K_i``,
    with the Chilingarian et al. (2010) K's, which take the observed colour, solved by
    fixed-point iteration from the rest-frame colours (it converges in a few steps
    since dK/dcolour is small at z < 0.3)."""
    z = np.asarray(redshift, dtype=float)
    obs = {b: np.asarray(v, dtype=float) for b, v in rest.items()}
    for _ in range(n_iter):
        colour = {name: obs[name[0]] - obs[name[1]]
                  for name in {c for c, _ in KCORRECTION_COEFFS.values()}}
        k = {b: kcorrection(b, z, colour[KCORRECTION_COEFFS[b][0]]) for b in SDSS_BANDS}
        obs = {b: rest[b] + k[b] - k["i"] for b in SDSS_BANDS}
    return obs


def split_colours(total, bulge_pop, disk_pop, bulge_fraction):
    """Colours ``m_X - m_i`` of the bulge and the disc whose sum has colour ``total``.

    ``bulge_pop`` and ``disk_pop`` are the colours of the two components' own
    populations; their difference ``D = bulge_pop - disk_pop`` is kept and both are
    shifted so that the i-normalised fluxes add up to the total exactly: with bulge
    fraction ``B`` (in i), ``disk = total + 2.5 log10(B 10**(-0.4 D) + 1 - B)`` and
    ``bulge = disk + D``. Works per band on dicts of arrays; returns (bulge, disk).
    """
    bt = np.clip(np.asarray(bulge_fraction, dtype=float), 0.0, 1.0)
    bulge, disk = {}, {}
    for band, tot in total.items():
        d = bulge_pop[band] - disk_pop[band]
        disk[band] = tot + 2.5 * np.log10(bt * 10 ** (-0.4 * d) + 1 - bt)
        bulge[band] = disk[band] + d
    return bulge, disk


#: Spheroid-minus-disc offsets of the age and metallicity relations above
#: (:func:`age_gyr`: +0.25 dex in age per unit early score; :func:`metallicity`: +0.20
#: dex): the bulge of a galaxy is given the population of a spheroid, its disc that of
#: a pure disc, at the galaxy's mass and scatter.
BULGE_DISC_LOG_AGE = 0.25
BULGE_DISC_LOG_Z = 0.20


@functools.cache
def _ssp_table():
    """The BC03 SSP colour grid (``data/ssp_bc03_sdss_colours.csv``) as
    (log ages, log Z, {band: m_X - m_i on the (age, Z) grid})."""
    from importlib.resources import files

    import pandas as pd

    path = files("skgalvae.datasets") / "data" / "ssp_bc03_sdss_colours.csv"
    with path.open() as fh:
        table = pd.read_csv(fh, comment="#")
    ages = np.unique(table["log_age_yr"].to_numpy())
    zs = np.unique(table["log_z_zsun"].to_numpy())
    table = table.sort_values(["log_age_yr", "log_z_zsun"])

    def grid(values):
        return values.to_numpy().reshape(len(ages), len(zs))

    to_i = {"u": grid(table.u_g + table.g_r + table.r_i), "g": grid(table.g_r + table.r_i),
            "r": grid(table.r_i), "i": np.zeros((len(ages), len(zs))),
            "z": grid(-table.i_z)}
    return ages, zs, to_i


def ssp_colours(log_age_yr, log_z):
    """Rest-frame colours ``m_X - m_i`` of simple stellar populations of ``log_age_yr``
    [log10 yr] and ``log_z`` [log10 Z/Zsun]: Bruzual & Charlot (2003, MNRAS 344, 1000)
    models (the 2016 MILES update) through the SDSS responses (Doi et al. 2010),
    bilinear in log age and log Z, clamped to the grid (10^8-10^10.1 yr, 0.2-2.5 Zsun).

    >>> c = ssp_colours([10.0, 9.5], [0.0, 0.0])
    >>> [round(float(v), 3) for v in c["g"] - c["r"]]
    [0.807, 0.699]
    """
    from scipy.interpolate import RegularGridInterpolator

    ages, zs, to_i = _ssp_table()
    points = np.stack([np.clip(np.atleast_1d(log_age_yr), ages[0], ages[-1]),
                       np.clip(np.atleast_1d(log_z), zs[0], zs[-1])], axis=-1)
    return {band: RegularGridInterpolator((ages, zs), values)(points)
            for band, values in to_i.items()}


def component_populations(age, log_z, bulge_fraction):
    """Rest-frame colours ``m_X - m_i`` of the bulge's and the disc's own populations.

    The catalog's ``age`` [Gyr] and ``log_z`` are light-weighted over the galaxy; the
    bulge gets the population of a spheroid and the disc that of a pure disc at the same
    mass and scatter (:data:`BULGE_DISC_LOG_AGE`, :data:`BULGE_DISC_LOG_Z`), whose
    B/T-weighted mean is the galaxy's: ``log t_bulge = log t + 0.25 (1 - B/T)``,
    ``log t_disc = log t - 0.25 B/T`` (likewise for Z with 0.20). Each is coloured as a
    simple stellar population of that age and metallicity (:func:`ssp_colours`, a
    choice: a disc forming stars is bluer than an SSP of its light-weighted age, but only
    the bulge-disc *difference* is used, by :func:`split_colours`). Returns (bulge,
    disc) dicts band -> array.
    """
    bt = np.clip(np.asarray(bulge_fraction, dtype=float), 0.0, 1.0)
    log_age = np.log10(np.asarray(age, dtype=float)) + 9.0
    log_z = np.asarray(log_z, dtype=float)
    bulge = ssp_colours(log_age + BULGE_DISC_LOG_AGE * (1 - bt),
                        log_z + BULGE_DISC_LOG_Z * (1 - bt))
    disc = ssp_colours(log_age - BULGE_DISC_LOG_AGE * bt, log_z - BULGE_DISC_LOG_Z * bt)
    return bulge, disc


def blackbody_colours(temperature):
    """Colours ``m_X - m_i`` (AB) of a blackbody of ``temperature`` [K] at the SDSS
    effective wavelengths (a monochromatic approximation): the colours of the simulated
    foreground stars."""
    from astropy import constants as const

    t = np.asarray(temperature, dtype=float)
    h, c, k = const.h.cgs.value, const.c.cgs.value, const.k_B.cgs.value

    def log_fnu(band):
        nu = c / (EFFECTIVE_WAVELENGTH[band] * 1e-8)
        return np.log10(nu**3) - np.log10(np.expm1(h * nu / (k * t)))

    ref = log_fnu("i")
    return {b: -2.5 * (log_fnu(b) - ref) for b in SDSS_BANDS}
