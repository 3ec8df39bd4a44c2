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


def draw_redshift(z_upper, rng, z_min=0.01):
    """Redshift uniform in comoving volume between z_min and ``z_upper`` (a flux-limited
    sample: each galaxy is placed where the survey could see it)."""
    grid = np.linspace(z_min, max(float(np.max(z_upper)), z_min + 1e-3), 400)
    vol = cosmology().comoving_volume(grid).value
    vmax = np.interp(z_upper, grid, vol)
    u = rng.uniform(vol[0], vmax)
    return np.interp(u, vol, grid)
