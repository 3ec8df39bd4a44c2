"""make_galaxies: a GalSim survey simulator of SDSS-like cutouts (i, or several of ugriz)
with ground truth."""

import hashlib
import json
import os
from numbers import Integral, Real

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from scipy.special import gammainc, gammaincinv
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from .._version import __version__
from ..utils._atomic import atomic_path
from ..utils._data_home import get_data_home
from ..utils._optional import import_optional
from ..utils._progress import progress
from . import _conditions as cond
from . import _relations as rel
from ._votes import simulate_votes

#: Default population mix (fractions of the sample). GZ2-based selections remove
#: edge-on discs, mergers and irregulars ("odd"), which is why they are here.
DEFAULT_CLASS_FRACTIONS = {
    "spiral": 0.45, "elliptical": 0.30, "edge_on": 0.10, "merger": 0.08,
    "irregular": 0.07,
}
#: Sersic indices are drawn from small grids: GalSim builds a table per index, so a
#: random non-integer index per galaxy would be about 20x slower.
# Ellipticals: SDSS single-Sersic n mostly 4-6 (Simard et al. 2011; Meert et al. 2015);
# GalSim's Sersic profile is limited to n <= 6.2.
ELLIPTICAL_N = (3.0, 4.0, 5.0, 6.0)
ELLIPTICAL_N_P = (0.15, 0.35, 0.3, 0.2)
BULGE_N = (1.5, 2.0, 3.0, 4.0)
# Spirals are isotropically inclined up to this angle [deg]; edge_on discs lie beyond.
MAX_SPIRAL_INCLINATION = 80.0
INTRINSIC_THICKNESS = 0.2  # disc thickness c/a (Hubble 1926 / Holmberg 1958 formula)

DESCR = """\
Simulated SDSS-like galaxy cutouts with ground truth (skgalvae.make_galaxies)
============================================================================

Images: GalSim renders of a Sersic bulge (n from {1.5, 2, 3, 4}) plus an exponential
disc, or a single Sersic spheroid (n from {3, 4, 5, 6}, weights 0.15, 0.35, 0.3, 0.2)
for ellipticals, sheared to the axis ratio given by the inclination
(q^2 = cos^2 i (1 - q0^2) + q0^2, q0 = 0.2) and turned to the position angle;
optional bar (an elongated Gaussian in the disc plane);
logarithmic spiral arms and star-forming knots (rendered with numpy in the disc plane
and convolved with the same PSF); a Moffat PSF (beta 3.5, FWHM psf_fwhm, 1.3 arcsec by
default, the median SDSS i-band seeing); flux in nanomaggies (m = 22.5 - 2.5 log10 f);
sky + Poisson noise (GalSim CCDNoise) with a sky noise of 0.044 nanomaggies per pixel by
default, the median sigma-clipped background noise of the 100 real SDSS i-band cutouts
bundled with skgalvae, and 700 photo-electrons per nanomaggy (SDSS i gain x counts).

Morphology. Ellipticals: single-Sersic fits of SDSS early types mostly have n = 4-6
(Simard et al. 2011, ApJS 196, 11; Meert et al. 2015, MNRAS 446, 3943; GalSim's Sersic
stops at n = 6.2), which gives PSF-convolved Petrosian concentrations R90/R50 of about
2.9-3.1, the early-type range of Strateva et al. 2001 (AJ 122, 1861; C > 2.6) and
Shimasaku et al. 2001 (AJ 122, 1238). Spirals: B/T ~ Beta(1.2, 3.6) (median ~0.2,
most below 0.4) plus 0.15 (log M - 10.3), clipped to [0, 0.8]: disc galaxies' B/T from
bulge + disc decompositions are mostly below 0.3-0.4 (Gadotti 2009, MNRAS 393, 1531:
pseudo-bulges ~0.1, classical bulges ~0.3; Simard et al. 2011 and Meert et al. 2015:
late types peak at B/T ~0.1-0.2), rising with mass; their concentrations are about
2.3-2.4 (late-type SDSS discs: 2.2-2.4). Disc inclinations are isotropic (uniform in
cos i) up to MAX_SPIRAL_INCLINATION = 80 deg for spirals and 80-90 deg for edge-on
discs, so disc axis ratios run from ~0.25 to 1 like those of randomly oriented thin
discs (q0 = 0.2: Holmberg 1958; Guthrie 1992, A&AS 93, 255; Padilla & Strauss 2008,
MNRAS 388, 1321 find mean intrinsic disc thickness ~0.2); the near-edge-on spirals are
the ones GZ2 voters call edge-on. Ellipticals: q = 0.3 + 0.7 Beta(3, 1.5) (mean ~0.77;
Padilla & Strauss 2008). Spiral arms carry 15-35% of the disc light in a
(1 + cos)^3 / 8 logarithmic pattern: an arm-interarm contrast of about 1.6-2.7
(0.5-1.1 mag), the range of red / near-infrared contrasts of grand-design and
intermediate spirals (Rix & Zaritsky 1995, ApJ 447, 82; Elmegreen et al. 2011, ApJ 737,
32); after the PSF they are visible only in well-resolved discs.

Populations (column ``class``): spiral, elliptical, edge_on (discs at i > 80 deg, some
with a dust lane), merger (two galaxies of mass ratio 1-3 whose centres are 1-2 sums of
half-light radii apart, at least 3 arcsec: the image has two peaks; mildly sheared by
tides), irregular (no bulge, 30-50% of the light in off-centre clumps). Any galaxy may
also have an unrelated smaller companion (``has_companion``) or a foreground star
(``has_star``) in the frame, with positions in pixels (x = column, y = row, 0-based).

Physical sizes and fluxes come from stellar mass and redshift: the mass-size relation
of Shen et al. (2003, MNRAS 343, 978); i-band luminosity from the mass-to-light ratio of
Bell et al. (2003, ApJS 149, 289) given a g - r colour set by sSFR; redshift uniform in
comoving volume up to where the galaxy is brighter than ``mag_limit`` (flux-limited, no
k-correction), with a flat LCDM cosmology (H0 = 70, Om0 = 0.3, astropy). Angular sizes
follow from the angular-diameter distance.

Properties (scaling relations with scatter, see skgalvae.datasets._relations):
log_stellar_mass [log10 Msun]; log_ssfr [log10 /yr] (Salim et al. 2007 star-forming
sequence, lowered with B/T; quiescent at -11.8 for ellipticals, cf. Brinchmann et al.
2004); age [Gyr] and metallicity [log10 Z/Zsun] (Gallazzi et al. 2005 medians, early
types older and more metal-rich); velocity_dispersion [km/s] (Zahid et al. 2016
stellar-mass Faber-Jackson relation, lowered for discs); petro_r50 and petro_r90
[arcsec]: SDSS Petrosian radii MEASURED on the noiseless, PSF-convolved image of the
target galaxy alone (see petrosian_radii).

Ground truth: class, bulge_fraction (B/T), half_light_radius_arcsec (circularised
half-light radius of the intrinsic bulge + disc profile, before the PSF),
half_light_radius_kpc, bulge_hlr / disk_hlr [arcsec], sersic_n (of the spheroid or the
bulge), axis_ratio (of the disc, or of the spheroid), bulge_axis_ratio, inclination
[deg] (NaN for ellipticals and irregulars), position_angle [deg, counter-clockwise from
+x with origin="lower"], redshift, magnitude (apparent AB i), abs_magnitude, flux
[nanomaggies], has_bar, arm_fraction (= arm_strength), n_arms, pitch_angle [deg],
knot_fraction, has_dust_lane, centre_x / centre_y [pixels].

Several bands (``bands``, e.g. "gri"; "i" alone is the model above, bit for bit). The
i band is the anchor: its fluxes, bulge fraction and images are those of bands="i". The
galaxy's rest-frame g_r is the one set by its sSFR (the mapping above, after Baldry et
al. 2004, ApJ 600, 681). Each component has the colour of its own stellar population:
the bulge that of a spheroid, the disc (with its bar, arms and knots) that of a pure
disc at the galaxy's mass, whose B/T-weighted means are the catalog's age and
metallicity (log age +0.25 (1 - B/T) and -0.25 B/T, log Z +0.20 (1 - B/T) and -0.20
B/T: the spheroid-disc offsets of the age and metallicity relations), each coloured as
a simple stellar population of that age and metallicity (Bruzual & Charlot 2003, MNRAS
344, 1000, the 2016 MILES update, through the SDSS responses; the table is
data/ssp_bc03_sdss_colours.csv); the two are shifted together, keeping their
difference, so that bulge + disc has the galaxy's colours exactly. The galaxy's other
colours (u-g, r-i, i-z) lie on the galaxy locus of the Coleman, Wu & Weedman (1980,
ApJS 43, 393) E, Sbc, Scd and Im templates: a flux mix of the two templates that
bracket the g - r, with the templates' SDSS colours computed through the SDSS
responses of Doi et al. (2010, AJ 139, 1628). Each
component is k-corrected to the galaxy's redshift with the polynomials of Chilingarian,
Melchior & Zolotukhin (2010, MNRAS 405, 1409) and Chilingarian & Zolotukhin (2012,
MNRAS 419, 1727) in the observed colours (solved by iteration). Merger partners get
colours in the same way; unrelated companions a rest-frame g - r uniform in 0.40-0.78
k-corrected at the galaxy's redshift and stars a blackbody of 4000-7000 K (our
choices). PSF FWHM per band ~ lambda^-0.3 (Xin et al. 2018, AJ 156, 222) from the
i-band psf_fwhm; sky noise per band from the i-band sky_noise scaled by the SDSS 5-sigma
limiting magnitudes (York et al. 2000, AJ 120, 1579); 700 photo-electrons per
nanomaggy in every band (our choice; it only sets the sources' Poisson noise).
Columns: mag_<b> and flux_<b> (apparent AB, nanomaggies) for every band; rest-frame
u_g, r_i, i_z of the galaxy; bulge_g_r, disk_g_r, bulge_r_i, disk_r_i (rest frame,
NaN without that component). The i-band ``magnitude`` has no k-correction (as in the
one-band model); the other bands are set by the k-corrected colours relative to it.

Preset "sdss" (``make_galaxies(n, preset="sdss")``; the default, preset=None, is the
model above unchanged): cutouts like the 100 real SDSS i-band cutouts bundled with
skgalvae (the seed study's NASA SkyView downloads). Measured on those cutouts
(scripts/measure_skyview_conditions.py): a PSF FWHM per galaxy drawn from the 21 point
sources of the real cutouts (0.54-0.84 arcsec) with Moffat beta 2.15 (their median:
the strong wings of the SDSS PSF); a sky noise per galaxy from the real cutouts'
corners (0.032-0.068 nanomaggies, median 0.0395); SkyView's nearest-neighbour
resampling: each galaxy is drawn on an SDSS frame (0.396 arcsec pixels) turned by an
angle drawn from the measured distribution (mostly 28-45 deg) and resampled onto cutout
pixels of 0.372 arcsec (0.94 times the frame's), which copies about 10% of the
pixels into their neighbour as in the real cutouts (noise lag-1 correlation 0.08).
From the seed's selection: an i-band limit of 16.6 (GZ2's r < 17.0, Willett et al.
2013, with the simulator's observed r - i of 0.37-0.40) applied, as SDSS does, to the
Petrosian magnitude (the flux inside 2 R_P of the intrinsic profile: about 80% of a
de Vaucouleurs profile's, all of an exponential's; Blanton et al. 2001, AJ 121, 2358),
so that early types are seen to smaller distances; the class mix is the default one
(spirals and ellipticals alone matched the real cutouts worse). Field sources:
the stars and galaxies that surround the targets of the real cutouts (6.5 per cutout,
counts per magnitude measured on them from i = 14.5 to 23; half stars, half small
exponential discs: our choice; in several bands the stars have the foreground stars'
colours and the galaxies those of the companions k-corrected from z = 0.05-0.5, our
choice) replace the companion and star of the default model. Every Sersic profile of
n != 1 is cut at 8 half-light radii (sersic_truncation), as SDSS's de Vaucouleurs
model is at 7-8 r_e (SDSS DR7 algorithms, "The model magnitude").
Catalog columns psf_fwhm [arcsec], sky_noise [nanomaggies], resampling_angle [deg] and
n_field_sources give each galaxy's conditions. Each setting has its own keyword
(psf_fwhm, psf_beta, sky_noise, resampling, mag_limit, petrosian_limit, field_sources,
companion_fraction, star_fraction, lenticular_fraction, early_spiral_fraction,
lopsided_discs, sersic_truncation) that overrides the preset's.

Early-type discs (``lenticular_fraction``, ``early_spiral_fraction``; 0 by default, 0.25
and 0.34 in the preset): those shares of the spiral class become lenticulars (S0: B/T uniform in
0.40-0.75, no arms or knots) and early spirals (Sa-Sab: B/T uniform in 0.24-0.40, arms
and knots kept), both with n = 4 bulges: the median r-band B/T of S0, Sab and Sbc
galaxies in Kent (1985, ApJS 59, 115), tabulated by Fukugita, Hogan & Peebles (1998,
ApJ 503, 518, Table 1), whose luminosity-density mix of discs is S0 0.25, Sab 0.34.
Catalog booleans ``lenticular`` and ``early_spiral``.

Lopsided discs (``lopsided_discs``; False by default, True in the preset): half of each
spiral-class disc's light in a copy offset in the disc plane by A1 h / 0.5, which gives
the face-on disc the m = 1 Fourier amplitude A1 about the centred bulge; A1 log-normal
with median 0.11 and 20% above 0.19 (Rudnick & Rix 1998, AJ 116, 1163; Zaritsky & Rix
1997, ApJ 477, 118), capped at 0.5. Catalog column ``lopsidedness``.

GZ2-style votes (Willett et al. 2013 tree and column names): for each of the 37 answers
``<task>_<answer>_count``, ``_fraction``, ``_weighted_fraction`` (equal to
``_fraction``: no volunteer weighting) and ``_debiased``, plus total_classifications and
total_votes. Each simulated volunteer walks the decision tree, so each question's
fractions sum to 1 whenever it was reached. Volunteers see features (T01) and arms (T04)
only in resolved, bright enough galaxies: the raw fractions carry GZ2's redshift bias
(a logit penalty growing as the half-light radius shrinks below 2.5 PSF FWHM and as the
mean surface brightness inside it falls below 20.5 i mag/arcsec^2; Bamford et al. 2009,
Willett et al. 2013 Sect. 3). ``_debiased`` corrects T01 and T04, from observables only,
to the appearance of the same galaxy at z = 0.03 (after Willett et al. 2013, Sect. 3): the
mean trend is removed, but a galaxy that is small or faint even nearby stays smooth. See
skgalvae.datasets._votes for the model and its numbers.
"""


def _combined_hlr_factor(bt, ratio, n_bulge):
    """Half-light radius of bulge (Sersic n_bulge, hlr = ratio) + exponential disc
    (hlr = 1), both circular, with bulge fraction bt; vectorised bisection."""
    bn = gammaincinv(2 * n_bulge, 0.5)
    b1 = gammaincinv(2.0, 0.5)
    lo = np.minimum(ratio, 1.0)
    hi = np.maximum(ratio, 1.0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        f = bt * gammainc(2 * n_bulge, bn * (mid / ratio) ** (1 / n_bulge)) + (
            1 - bt) * gammainc(2.0, b1 * mid)
        lo = np.where(f < 0.5, mid, lo)
        hi = np.where(f < 0.5, hi, mid)
    return 0.5 * (lo + hi)


def _axis_ratio(incl_deg, q0):
    c = np.cos(np.radians(incl_deg))
    return np.sqrt(c**2 * (1 - q0**2) + q0**2)


def _draw_components(n, klass, log_mass, rng, prefix=""):
    """Structural parameters (bulge, disc, bar, arms, knots) by class."""
    spiral = klass == "spiral"
    ell = klass == "elliptical"
    edge = klass == "edge_on"
    irr = klass == "irregular"
    disc = spiral | edge
    # disc B/T mostly below 0.3-0.4 (Gadotti 2009; Simard et al. 2011; Meert et al. 2015)
    bt = np.where(disc, rng.beta(1.2, 3.6, n), 0.0)
    # bulge-dominated discs are more massive (B/T rises with mass)
    bt = np.where(disc, np.clip(bt + 0.15 * (log_mass - 10.3), 0.0, 0.8), bt)
    bt = np.where(edge, np.minimum(bt, 0.35), bt)  # GZ2 edge-ons: thin, modest bulges
    bt = np.where(ell, 1.0, bt)
    n_bulge = np.where(ell, rng.choice(ELLIPTICAL_N, n, p=ELLIPTICAL_N_P),
                       rng.choice(BULGE_N, n))
    n_bulge = np.where(irr, 1.0, n_bulge)
    # isotropic orientations: cos i uniform (q of thin discs from ~0.25 to 1)
    incl = np.degrees(np.arccos(rng.uniform(np.cos(np.radians(MAX_SPIRAL_INCLINATION)),
                                            1.0, n)))
    incl = np.where(edge, rng.uniform(80.0, 90.0, n), incl)
    q = _axis_ratio(incl, INTRINSIC_THICKNESS)
    q_ell = 0.3 + 0.7 * rng.beta(3.0, 1.5, n)
    q_irr = rng.uniform(0.4, 1.0, n)
    q = np.where(ell, q_ell, np.where(irr, q_irr, q))
    incl = np.where(disc, incl, np.nan)
    q_bulge = np.where(ell, q, _axis_ratio(np.nan_to_num(incl), 0.6))
    has_bar = spiral & (rng.uniform(size=n) < 0.3)
    arm_fraction = np.where(disc, rng.uniform(0.15, 0.35, n), 0.0)
    n_arms = np.where(disc, rng.choice([1, 2, 3, 4], n, p=[0.05, 0.6, 0.2, 0.15]), 0)
    pitch = np.where(disc, rng.uniform(8.0, 35.0, n), np.nan)
    knot_fraction = np.where(disc, rng.uniform(0.03, 0.1, n), 0.0)
    knot_fraction = np.where(irr, rng.uniform(0.3, 0.5, n), knot_fraction)
    n_knots = np.where(disc, rng.integers(5, 16, n), 0)
    n_knots = np.where(irr, rng.integers(8, 21, n), n_knots)
    out = {
        "bulge_fraction": bt,
        "sersic_n": n_bulge,
        "axis_ratio": q,
        "bulge_axis_ratio": q_bulge,
        "inclination": incl,
        "position_angle": rng.uniform(0.0, 180.0, n),
        "has_bar": has_bar,
        "bar_fraction": np.where(has_bar, rng.uniform(0.05, 0.15, n), 0.0),
        "bar_axis_ratio": rng.uniform(0.25, 0.4, n),
        "bar_angle": rng.uniform(0.0, 180.0, n),
        "arm_fraction": arm_fraction,
        "n_arms": n_arms,
        "pitch_angle": pitch,
        "arm_phase": rng.uniform(0, 2 * np.pi, n),
        "knot_fraction": knot_fraction,
        "n_knots": n_knots,
        "has_dust_lane": edge & (rng.uniform(size=n) < 0.5),
    }
    return {prefix + k: v for k, v in out.items()}


#: Early-type discs, by Hubble type: B/T of lenticulars (S0, ``lenticular_fraction``)
#: uniform between the median r-band B/T of Sab and of S0 galaxies, and of early spirals
#: (Sa-Sab, ``early_spiral_fraction``) between those of Sbc and Sab, in Kent's (1985,
#: ApJS 59, 115) bulge + disc decompositions as tabulated by Fukugita, Hogan & Peebles
#: (1998, ApJ 503, 518, Table 1: S0 0.75, Sab 0.40, Sbc 0.24; the uniform spread between
#: neighbouring types is our choice); both with the de Vaucouleurs (n = 4) bulges those
#: decompositions fitted. Lenticulars have no spiral arms and no star-forming knots (the
#: definition of an S0: Sandage 1961, The Hubble Atlas of Galaxies); early spirals keep
#: the spirals' arms, knots and bars.
LENTICULAR_BT = (0.40, 0.75)
EARLY_SPIRAL_BT = (0.24, 0.40)
EARLY_DISC_N = 4.0


def _make_early_discs(comps, spiral, lenticular, early_spiral, rng):
    """Turn random fractions ``lenticular`` and ``early_spiral`` of the ``spiral`` discs
    into S0 and Sa-Sab discs (LENTICULAR_BT, EARLY_SPIRAL_BT, EARLY_DISC_N); adds the
    booleans ``lenticular`` and ``early_spiral``. Draws from its own ``rng`` only."""
    n = len(spiral)
    u = rng.uniform(size=n)
    s0 = spiral & (u < lenticular)
    sab = spiral & (u >= lenticular) & (u < lenticular + early_spiral)
    bt_s0 = rng.uniform(*LENTICULAR_BT, n)
    bt_sab = rng.uniform(*EARLY_SPIRAL_BT, n)
    out = dict(comps)
    out["bulge_fraction"] = np.where(s0, bt_s0, np.where(sab, bt_sab,
                                                         comps["bulge_fraction"]))
    out["sersic_n"] = np.where(s0 | sab, EARLY_DISC_N, comps["sersic_n"])
    for key in ("arm_fraction", "knot_fraction"):
        out[key] = np.where(s0, 0.0, comps[key])
    for key in ("n_arms", "n_knots"):
        out[key] = np.where(s0, 0, comps[key])
    out["pitch_angle"] = np.where(s0, np.nan, comps["pitch_angle"])
    out["lenticular"] = s0
    out["early_spiral"] = sab
    return out


#: Lopsided discs (``lopsided_discs``): the m = 1 Fourier amplitude A1 = a1 / a0 of each
#: spiral-class disc, log-normal with median 0.11 and the 80th percentile at 0.19: the
#: median and the "most lopsided 20% have A1 >= 0.19" of 54 face-on S0-Sab discs at
#: 1.5-2.5 scale lengths (Rudnick & Rix 1998, AJ 116, 1163), which they find as frequent
#: and strong as in late-type discs (Zaritsky & Rix 1997, ApJ 477, 118); capped at 0.5.
LOPSIDED_A1_MEDIAN = 0.11
LOPSIDED_A1_SIGMA = float(np.log(0.19 / 0.11) / 0.8416)  # z of the 80th percentile
LOPSIDED_A1_MAX = 0.5


def _make_lopsided(comps, spiral, rng):
    """Lopsidedness A1 (LOPSIDED_A1_*) and the direction [deg, from the major axis in
    the disc plane] of every ``spiral`` disc (0 for the others); its own ``rng``."""
    n = len(spiral)
    a1 = np.minimum(LOPSIDED_A1_MEDIAN * np.exp(LOPSIDED_A1_SIGMA * rng.standard_normal(n)),
                    LOPSIDED_A1_MAX)
    angle = rng.uniform(0.0, 360.0, n)
    return {**comps, "lopsidedness": np.where(spiral, a1, 0.0),
            "lopsided_angle": np.where(spiral, angle, 0.0)}


def _sizes(log_mass, klass, comps, redshift, rng, prefix=""):
    early = klass == "elliptical"
    r_kpc = rel.size_mass_kpc(log_mass, early, rng)
    r_arcsec = rel.kpc_to_arcsec(r_kpc, redshift)
    bt = comps[prefix + "bulge_fraction"]
    ratio = rng.uniform(0.15, 0.45, len(bt))
    factor = _combined_hlr_factor(np.clip(bt, 0, 1), ratio, comps[prefix + "sersic_n"])
    disk = r_arcsec / factor
    bulge = np.where(bt >= 1, r_arcsec, ratio * disk)
    disk = np.where(bt >= 1, np.nan, disk)
    return {
        prefix + "half_light_radius_kpc": r_kpc,
        prefix + "half_light_radius_arcsec": r_arcsec,
        prefix + "bulge_hlr": bulge,
        prefix + "disk_hlr": disk,
        prefix + "bar_hlr": 0.5 * np.nan_to_num(disk),
    }


def _luminosity(log_mass, klass, bt, redshift, rng):
    ssfr = rel.log_ssfr(log_mass, bt, klass, rng)
    gr = rel.g_minus_r(ssfr)
    abs_mag = rel.absolute_magnitude_i(log_mass, gr)
    return ssfr, gr, abs_mag


def _place(n, min_dist, extent, rng):
    """Offsets [arcsec] at distance >= min_dist from the centre inside the frame."""
    max_dist = 0.42 * extent
    d = np.minimum(rng.uniform(min_dist, np.maximum(min_dist, max_dist)), max_dist)
    phi = rng.uniform(0, 2 * np.pi, n)
    return d * np.cos(phi), d * np.sin(phi)


def draw_truth(n_samples, rng, *, class_fractions, image_size, pixel_scale,
               mag_limit, companion_fraction, star_fraction, petrosian_limit=False,
               sersic_truncation=0.0, lenticular_fraction=0.0, early_spiral_fraction=0.0,
               lenticular_rng=None, lopsided_rng=None):
    """Draw the ground-truth catalog (no images) of ``n_samples`` galaxies.

    ``mag_limit`` bounds the total magnitude, or with ``petrosian_limit`` the Petrosian
    one (the intrinsic profile's flux inside 2 R_P, rel.petrosian_flux_fraction).
    ``lenticular_fraction`` / ``early_spiral_fraction`` > 0 turn those fractions of the
    spiral class into S0 / Sa-Sab discs (_make_early_discs), drawn from
    ``lenticular_rng`` (a generator of their own, so that every other draw stays as
    without them). With ``lopsided_rng`` the spiral-class discs are lopsided
    (_make_lopsided, drawn from that generator alone)."""
    n = n_samples
    names = list(class_fractions)
    probs = np.array([class_fractions[k] for k in names], dtype=float)
    klass = rng.choice(np.array(names, dtype=object), n, p=probs / probs.sum())
    klass = klass.astype(str)
    # primary's morphology for mergers: a spiral (70%) or an elliptical
    merger = klass == "merger"
    base = np.where(merger, np.where(rng.uniform(size=n) < 0.7, "spiral", "elliptical"),
                    klass)
    mass_mu = {"spiral": 10.3, "elliptical": 10.8, "edge_on": 10.3, "irregular": 9.6}
    mass_sd = {"spiral": 0.45, "elliptical": 0.35, "edge_on": 0.45, "irregular": 0.4}
    mu = np.array([mass_mu[c] for c in base])
    sd = np.array([mass_sd[c] for c in base])
    log_mass = np.clip(rng.normal(mu, sd), 8.5, 11.9)
    comps = _draw_components(n, base, log_mass, rng)
    if lenticular_fraction + early_spiral_fraction > 0:
        comps = _make_early_discs(comps, klass == "spiral", lenticular_fraction,
                                  early_spiral_fraction, lenticular_rng)
    if lopsided_rng is not None:
        comps = _make_lopsided(comps, klass == "spiral", lopsided_rng)
    bt = comps["bulge_fraction"]
    ssfr, gr, abs_mag = _luminosity(log_mass, base, bt, np.zeros(n), rng)
    ssfr = np.where(merger & (base == "spiral"), ssfr + 0.3, ssfr)
    if petrosian_limit:  # SDSS / GZ2 select on Petrosian magnitudes
        abs_mag_limited = abs_mag - 2.5 * np.log10(rel.petrosian_flux_fraction(
            bt, comps["sersic_n"], trunc=sersic_truncation))
    else:
        abs_mag_limited = abs_mag
    z_upper = rel.max_redshift(abs_mag_limited, mag_limit)
    redshift = rel.draw_redshift(z_upper, rng)
    sizes = _sizes(log_mass, base, comps, redshift, rng)
    mag = rel.apparent_magnitude(abs_mag, redshift)
    early_score = np.where(base == "elliptical", 1.0, bt)
    cat = {
        "class": klass,
        "log_stellar_mass": log_mass,
        "redshift": redshift,
        "magnitude": mag,
        "abs_magnitude": abs_mag,
        "flux": 10 ** (-0.4 * (mag - 22.5)),
        "g_r": gr,
        **sizes,
        **comps,
        "arm_strength": comps["arm_fraction"],
        "log_ssfr": ssfr,
        "age": rel.age_gyr(log_mass, early_score, rng),
        "metallicity": rel.metallicity(log_mass, early_score, rng),
        "velocity_dispersion": rel.velocity_dispersion(log_mass, early_score, rng),
        "centre_dx": rng.uniform(-0.5, 0.5, n),
        "centre_dy": rng.uniform(-0.5, 0.5, n),
        "knot_shift_x": 0.0, "knot_shift_y": 0.0,
    }
    cat = pd.DataFrame(cat)
    extent = image_size * pixel_scale
    c0 = (image_size - 1) / 2
    r_arc = cat["half_light_radius_arcsec"].to_numpy()
    # irregulars: clumps off-centre
    irr = klass == "irregular"
    shift = rng.uniform(0.3, 0.7, n) * r_arc
    phi = rng.uniform(0, 2 * np.pi, n)
    cat["knot_shift_x"] = np.where(irr, shift * np.cos(phi), 0.0)
    cat["knot_shift_y"] = np.where(irr, shift * np.sin(phi), 0.0)

    # merger partners: same redshift, mass ratio 1-3
    p_base = np.where(rng.uniform(size=n) < 0.6, "spiral", "elliptical")
    p_mass = log_mass - np.log10(rng.uniform(1.0, 3.0, n))
    p_comps = _draw_components(n, p_base, p_mass, rng, prefix="partner_")
    _, p_gr, p_abs = _luminosity(p_mass, p_base, p_comps["partner_bulge_fraction"],
                                 redshift, rng)
    p_sizes = _sizes(p_mass, p_base, p_comps, redshift, rng, prefix="partner_")
    sep = np.maximum(rng.uniform(1.0, 2.0, n) * (
        r_arc + p_sizes["partner_half_light_radius_arcsec"]), 3.0)
    sep = np.minimum(sep, 0.4 * extent)
    phi = rng.uniform(0, 2 * np.pi, n)
    tidal = np.where(merger, rng.uniform(0.05, 0.2, n), 0.0)
    partner = pd.DataFrame({
        **p_comps, **p_sizes,
        "partner_class": np.where(merger, p_base, ""),
        "partner_log_stellar_mass": np.where(merger, p_mass, np.nan),
        "partner_flux": 10 ** (-0.4 * (rel.apparent_magnitude(p_abs, redshift) - 22.5)),
        "partner_g_r": p_gr, "partner_base": p_base,
        "partner_mass_ratio": 10 ** (log_mass - p_mass),
        "partner_separation_arcsec": np.where(merger, sep, np.nan),
        "partner_x": c0 + sep * np.cos(phi) / pixel_scale,
        "partner_y": c0 + sep * np.sin(phi) / pixel_scale,
        "partner_tidal_shear": tidal,
        "partner_tidal_angle": np.degrees(phi),
        "partner_knot_shift_x": 0.0, "partner_knot_shift_y": 0.0,
    })
    cat["tidal_shear"] = tidal
    cat["tidal_angle"] = np.degrees(phi)
    cat = pd.concat([cat, partner], axis=1)

    # companions and stars
    has_comp = rng.uniform(size=n) < companion_fraction
    cdx, cdy = _place(n, np.maximum(2.5 * r_arc, 6.0), extent, rng)
    cat["has_companion"] = has_comp
    cat["companion_x"] = np.where(has_comp, c0 + cdx / pixel_scale, np.nan)
    cat["companion_y"] = np.where(has_comp, c0 + cdy / pixel_scale, np.nan)
    cat["companion_magnitude"] = np.where(has_comp, mag + rng.uniform(1.0, 3.0, n),
                                          np.nan)
    cat["companion_flux"] = 10 ** (-0.4 * (cat["companion_magnitude"].fillna(99) - 22.5))
    cat["companion_hlr"] = rng.uniform(0.3, 0.7, n) * r_arc
    cat["companion_sersic_n"] = rng.choice([1.0, 4.0], n)
    cat["companion_axis_ratio"] = rng.uniform(0.3, 1.0, n)
    cat["companion_position_angle"] = rng.uniform(0, 180, n)
    has_star = rng.uniform(size=n) < star_fraction
    sdx, sdy = _place(n, np.maximum(2.0 * r_arc, 5.0), extent, rng)
    cat["has_star"] = has_star
    cat["star_x"] = np.where(has_star, c0 + sdx / pixel_scale, np.nan)
    cat["star_y"] = np.where(has_star, c0 + sdy / pixel_scale, np.nan)
    cat["star_magnitude"] = np.where(has_star, rng.uniform(14.0, 19.5, n), np.nan)
    cat["star_flux"] = 10 ** (-0.4 * (cat["star_magnitude"].fillna(99) - 22.5))
    cat["centre_x"] = c0 + cat["centre_dx"]
    cat["centre_y"] = c0 + cat["centre_dy"]
    return cat


#: Rest-frame g - r range of the unrelated companions (uniform: our choice, the range of
#: the sSFR mapping) and temperature range of the foreground stars [K] (uniform: our
#: choice; F-K dwarfs dominate high-latitude star counts at 14-19.5 mag).
COMPANION_G_R = (0.40, 0.78)
STAR_TEMPERATURE = (4000.0, 7000.0)
#: Redshift range of the field galaxies (``field_sources="skyview"``; uniform: our
#: choice, where most galaxies of i = 18-22 lie and within the 0-0.5 of the
#: Chilingarian et al. 2010 k-corrections). Their rest-frame g - r is that of the
#: companions, the field stars' temperatures those of the foreground stars.
FIELD_GALAXY_Z = (0.05, 0.5)


def _component_fluxes(flux_i, bulge_fraction, age, log_z, g_r, redshift):
    """Observed fluxes per band of a bulge + disc galaxy whose i-band flux, B/T (in i),
    age, metallicity and rest-frame g - r (set by its sSFR) are given: the galaxy's
    colours on the template locus (rel.rest_colours), the components' populations from
    its age and metallicity (rel.component_populations), split so that their sum has
    the galaxy's colour (rel.split_colours), k-corrected per component
    (rel.observed_colours). Returns dicts band -> (bulge flux, disc flux), and the
    rest-frame colours of the total, the bulge and the disc."""
    total = rel.rest_colours(g_r)
    bulge_pop, disk_pop = rel.component_populations(age, log_z, bulge_fraction)
    bulge_rest, disk_rest = rel.split_colours(total, bulge_pop, disk_pop, bulge_fraction)
    bulge_obs = rel.observed_colours(bulge_rest, redshift)
    disk_obs = rel.observed_colours(disk_rest, redshift)
    bt = np.clip(bulge_fraction, 0.0, 1.0)
    out = {}
    for band in rel.SDSS_BANDS:
        out[band] = (flux_i * bt * 10 ** (-0.4 * bulge_obs[band]),
                     flux_i * (1 - bt) * 10 ** (-0.4 * disk_obs[band]))
    return out, total, bulge_rest, disk_rest


def add_band_fluxes(truth, bands, rng):
    """Add to ``truth`` (in place) what renders the galaxies in ``bands``.

    Per band b other than i: ``<key>__b`` columns of the renderer (``_render.BAND_KEYS``:
    fluxes and bulge / bar fractions of the galaxy, its merger partner, companion and
    star); public ``mag_<b>`` / ``flux_<b>`` for every requested band (i included:
    equal to ``magnitude`` / ``flux``), the rest-frame colours ``u_g``, ``r_i``,
    ``i_z`` of the galaxy (``g_r`` is already there) and ``bulge_g_r``, ``disk_g_r``,
    ``bulge_r_i``, ``disk_r_i`` (rest frame; NaN where the component is absent). The
    i-band values are untouched: they are the anchor of every other band. Companion
    colours and star temperatures are drawn from ``rng``.
    """
    n = len(truth)
    z = truth["redshift"].to_numpy(float)
    bt = truth["bulge_fraction"].to_numpy(float)
    flux = truth["flux"].to_numpy(float)
    comps, total, bulge_rest, disk_rest = _component_fluxes(
        flux, bt, truth["age"].to_numpy(float), truth["metallicity"].to_numpy(float),
        truth["g_r"].to_numpy(float), z)
    # the merger partner's age and metallicity (not in the catalog): the same relations
    p_bt = truth["partner_bulge_fraction"].to_numpy(float)
    p_flux = truth["partner_flux"].to_numpy(float)
    p_mass = truth["log_stellar_mass"].to_numpy(float) - np.log10(
        truth["partner_mass_ratio"].to_numpy(float))
    p_early = np.where(truth["partner_base"].to_numpy() == "elliptical", 1.0, p_bt)
    p_comps, _, _, _ = _component_fluxes(
        p_flux, p_bt, rel.age_gyr(p_mass, p_early, rng),
        rel.metallicity(p_mass, p_early, rng), truth["partner_g_r"].to_numpy(float), z)
    comp_obs = rel.observed_colours(rel.rest_colours(rng.uniform(*COMPANION_G_R, n)), z)
    star = rel.blackbody_colours(rng.uniform(*STAR_TEMPERATURE, n))
    new = {}
    for band in bands:
        bulge, disk = comps[band]
        total_flux = bulge + disk
        new[f"mag_{band}"] = 22.5 - 2.5 * np.log10(total_flux)
        new[f"flux_{band}"] = total_flux
        if band == "i":
            continue
        p_bulge, p_disk = p_comps[band]
        disk_share = np.divide(disk, (1 - bt) * flux, out=np.zeros(n), where=bt < 1)
        p_disk_share = np.divide(p_disk, (1 - p_bt) * p_flux, out=np.zeros(n),
                                 where=p_bt < 1)
        new[f"flux__{band}"] = total_flux
        new[f"bulge_fraction__{band}"] = bulge / total_flux
        new[f"bar_fraction__{band}"] = truth["bar_fraction"].to_numpy(
            float) * flux * disk_share / total_flux
        new[f"partner_flux__{band}"] = p_bulge + p_disk
        new[f"partner_bulge_fraction__{band}"] = p_bulge / (p_bulge + p_disk)
        new[f"partner_bar_fraction__{band}"] = truth["partner_bar_fraction"].to_numpy(
            float) * p_flux * p_disk_share / (p_bulge + p_disk)
        new[f"companion_flux__{band}"] = truth["companion_flux"].to_numpy(
            float) * 10 ** (-0.4 * comp_obs[band])
        new[f"star_flux__{band}"] = truth["star_flux"].to_numpy(float) * 10 ** (
            -0.4 * star[band])
    has_bulge, has_disk = bt > 0, bt < 1
    new.update({
        "u_g": total["u"] - total["g"], "r_i": total["r"],
        "i_z": -total["z"],
        "bulge_g_r": np.where(has_bulge, bulge_rest["g"] - bulge_rest["r"], np.nan),
        "disk_g_r": np.where(has_disk, disk_rest["g"] - disk_rest["r"], np.nan),
        "bulge_r_i": np.where(has_bulge, bulge_rest["r"], np.nan),
        "disk_r_i": np.where(has_disk, disk_rest["r"], np.nan),
    })
    for key, values in new.items():
        truth[key] = values
    if "field_flux" in truth:  # drawn last: every draw above stays as without them
        for key, values in _field_band_fluxes(truth, bands, rng).items():
            truth[key] = pd.Series(values, index=truth.index, dtype=object)
    return truth


def _field_band_fluxes(truth, bands, rng):
    """``field_flux__<b>`` per band b other than i: for each galaxy the array of its
    field sources' fluxes in b. Stars (``field_hlr`` 0) have blackbody colours of
    STAR_TEMPERATURE, field galaxies the observed colours of a rest-frame g - r in
    COMPANION_G_R at a redshift in FIELD_GALAXY_Z (uniform draws from ``rng``)."""
    counts = [len(f) for f in truth["field_flux"]]
    flux = np.concatenate([np.asarray(f, float) for f in truth["field_flux"]] + [[]])
    star = np.concatenate([np.asarray(h, float) for h in truth["field_hlr"]] + [[]]) == 0
    m = len(flux)
    star_colours = rel.blackbody_colours(rng.uniform(*STAR_TEMPERATURE, m))
    galaxy_colours = rel.observed_colours(
        rel.rest_colours(rng.uniform(*COMPANION_G_R, m)), rng.uniform(*FIELD_GALAXY_Z, m))
    out = {}
    for band in bands:
        if band == "i":
            continue
        colour = np.where(star, star_colours[band], galaxy_colours[band])
        out[f"field_flux__{band}"] = np.split(flux * 10 ** (-0.4 * colour),
                                              np.cumsum(counts)[:-1])
    return out


#: Columns that only drive the renderer (not part of the returned catalog).
_INTERNAL = ("centre_dx", "centre_dy", "knot_shift_x", "knot_shift_y", "tidal_shear",
             "lopsided_angle",
             "tidal_angle", "arm_phase", "bar_axis_ratio", "bar_angle", "bar_hlr",
             "companion_flux", "star_flux", "field_x", "field_y", "field_flux",
             "field_hlr", "field_q", "field_pa")


SKYVIEW_SCALE = cond.SKYVIEW_SCALE


def _galaxy_options(p, options, bands):
    """The render options of galaxy ``p``: its own PSF FWHM and sky noise (i band,
    scaled to the other bands as the fixed values are) where the record has them."""
    if "psf_fwhm" not in p and "sky_noise" not in p:
        return options
    options = dict(options)
    one_band = bands == "i"
    if "psf_fwhm" in p:
        fwhm = p["psf_fwhm"]
        options["psf_fwhm"] = fwhm if one_band else {
            b: round(rel.psf_fwhm_band(fwhm, b), 3) for b in options["psf_fwhm"]}
    if "sky_noise" in p:
        sigma = p["sky_noise"]
        options["sky_noise"] = sigma if one_band else {
            b: rel.sky_noise_band(sigma, b) for b in options["sky_noise"]}
    return options


def _render_chunk(records, seeds, options, keep_noiseless):
    from ._render import render_bands, render_galaxy  # GalSim is imported on first use

    n = len(records)
    size = options["image_size"]
    shape = (size, size) if options["bands"] == "i" else (
        len(options["bands"]), size, size)
    images = np.empty((n, *shape), np.float32) if options["noise"] else None
    noiseless = np.empty((n, *shape), np.float32) if keep_noiseless else None
    radii = np.empty((n, 2))
    bands = options["bands"]
    if bands == "i":  # exactly the one-band renderer of before
        render = render_galaxy
        options = {**options, "psf_fwhm": options["psf_fwhm"]["i"],
                   "sky_noise": options["sky_noise"]["i"]}
        del options["bands"]
    else:
        render = render_bands
    for i, (p, seed) in enumerate(zip(records, seeds, strict=True)):
        kwargs = _galaxy_options(p, options, bands)
        if "resampling_angle" in p:  # SkyView's nearest-neighbour resampling
            from ._render import render_resampled

            image, clean, r50, r90 = render_resampled(
                render, p, seed=seed, scale=SKYVIEW_SCALE, angle=p["resampling_angle"],
                **kwargs)
        else:
            image, clean, r50, r90 = render(p, seed=seed, **kwargs)
        if images is not None:
            images[i] = image
        if noiseless is not None:
            noiseless[i] = clean
        radii[i] = r50, r90
    return images, noiseless, radii


def _cache_key(params):
    blob = json.dumps(params, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def _save(path, bunch_parts):
    images, noiseless, catalog = bunch_parts
    arrays = {}
    if noiseless is not None:
        arrays["noiseless"] = noiseless
    if images is not None:
        arrays["images"] = images
    for col in catalog.columns:
        values = catalog[col].to_numpy()
        if values.dtype == object:
            values = values.astype(str)
        arrays[f"catalog__{col}"] = values
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def _load(path):
    with np.load(path, allow_pickle=False) as f:
        images = f["images"] if "images" in f.files else None
        noiseless = f["noiseless"] if "noiseless" in f.files else None
        catalog = pd.DataFrame({k[len("catalog__"):]: f[k] for k in f.files
                                if k.startswith("catalog__")})
    return images, noiseless, catalog


def _check_bands(bands):
    if (not bands or any(b not in rel.SDSS_BANDS for b in bands)
            or len(set(bands)) != len(bands)):
        msg = (f"bands must be a string of distinct SDSS bands from {rel.SDSS_BANDS!r} "
               f"(e.g. 'gri' or 'i'), got {bands!r}.")
        raise ValueError(msg)


def _per_band(value, bands, scale, name):
    """A per-band dict from a number (the i-band value, scaled to the other bands by
    ``scale``) or from a dict (which must name every band)."""
    if not isinstance(value, dict):
        return {b: float(value) if b == "i" else scale(value, b) for b in bands}
    missing = [b for b in bands if b not in value]
    bad = [b for b in bands if b in value and not (
        isinstance(value[b], Real) and np.isfinite(value[b]) and value[b] >= 0)]
    if missing or bad:
        msg = (f"{name} as a dict must give a non-negative number for every band in "
               f"{bands!r}; missing {missing}, invalid {bad}.")
        raise ValueError(msg)
    return {b: float(value[b]) for b in bands}


def _check_class_fractions(class_fractions):
    """The one check the parameter constraints cannot express: the dict's content."""
    unknown = set(class_fractions) - set(rel.CLASSES)
    weights = list(class_fractions.values())
    if unknown or not class_fractions or not all(
            isinstance(w, Real) and np.isfinite(w) and w >= 0 for w in weights) or sum(
            weights) <= 0:
        msg = (f"class_fractions must map some of {list(rel.CLASSES)} to non-negative "
               f"weights with a positive sum, got {class_fractions!r}.")
        raise ValueError(msg)


_FRACTION = [Interval(Real, 0, 1, closed="both")]


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "image_size": [Interval(Integral, 16, None, closed="left")],
        "pixel_scale": [Interval(Real, 0, None, closed="neither")],
        "bands": [str],
        "psf_fwhm": [Interval(Real, 0, None, closed="neither"), dict, None],
        "sky_noise": [Interval(Real, 0, None, closed="left"), dict, None],
        "psf_beta": [Interval(Real, 1, None, closed="neither"), None],
        "resampling": [StrOptions({"none", "skyview"}), None],
        "preset": [StrOptions(set(cond.PRESETS)), None],
        "class_fractions": [dict, None],
        "companion_fraction": [*_FRACTION, None],
        "star_fraction": [*_FRACTION, None],
        "field_sources": [StrOptions({"none", "skyview"}), None],
        "mag_limit": [Interval(Real, None, None, closed="neither"), None],
        "petrosian_limit": ["boolean", None],
        "lenticular_fraction": [*_FRACTION, None],
        "early_spiral_fraction": [*_FRACTION, None],
        "lopsided_discs": ["boolean", None],
        "sersic_truncation": [Interval(Real, 0, None, closed="left"), None],
        "n_volunteers": [Interval(Integral, 1, None, closed="left")],
        "noise": ["boolean"],
        "return_noiseless": ["boolean"],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "cache": ["boolean"],
        "data_home": [str, os.PathLike, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def make_galaxies(n_samples=1000, *, image_size=150, pixel_scale=0.396, bands="i",
                  preset=None, psf_fwhm=None, psf_beta=None, sky_noise=None,
                  resampling=None, class_fractions=None,
                  companion_fraction=None, star_fraction=None, field_sources=None,
                  mag_limit=None, petrosian_limit=None, lenticular_fraction=None,
                  early_spiral_fraction=None, lopsided_discs=None,
                  sersic_truncation=None, n_volunteers=44, noise=True,
                  return_noiseless=False, random_state=None, n_jobs=None, cache=False,
                  data_home=None, verbose=0):
    """Simulate SDSS-like galaxy cutouts (i, or several bands) with GalSim and their truth.

    Each galaxy gets a morphology (spiral, elliptical, edge-on disc, merger, irregular),
    physical properties from published scaling relations with scatter, an image rendered
    with GalSim (bulge + disc + bar + spiral arms + knots, SDSS-like PSF, sky and
    Poisson noise) and Galaxy Zoo 2 style vote fractions drawn from the truth. See
    ``DESCR`` of the result for the model and the sources of every relation.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of galaxies.
    image_size : int, default=150
        Side of the square cutouts in pixels (the seed study's SkyView cutouts: 150).
    pixel_scale : float, default=0.396
        Arcsec per pixel (SDSS).
    bands : str, default="i"
        The SDSS bands to render, any distinct letters of "ugriz" in the order wanted
        in the output (the convention is wavelength order, e.g. "gri"). "i" renders
        exactly the images of the one-band simulator. With several bands each galaxy
        has the same shape, size, centre, orientation and knots in every band; the
        bulge, the disc (with its bar, arms and knots), the merger partner, the
        companion and the star each have their own colours (see ``DESCR``), and each
        band its own PSF and sky noise. The i band is always the anchor: its fluxes are
        those of ``bands="i"`` and the Petrosian radii are measured on it.
    preset : {None, "sdss"}, default=None
        A bundle of observing conditions and population settings. None is the
        simulator as it always was (every setting below at its own default).
        ``"sdss"`` makes cutouts like the 100 real SDSS i-band cutouts of
        :func:`load_sdss_sample` (the seed study's NASA SkyView downloads), with numbers
        measured on those cutouts (``scripts/measure_skyview_conditions.py``) or taken
        from the seed's selection: a PSF FWHM per galaxy from the 21 point sources of
        the real cutouts (0.54-0.84 arcsec, median 0.71) with Moffat wings of beta 2.15;
        a sky noise per galaxy from the real cutouts' distribution (0.032-0.068,
        median 0.0395 nanomaggies); SkyView's nearest-neighbour resampling
        (``resampling="skyview"``), ``mag_limit=16.6`` (GZ2's r < 17.0 in i) on the
        Petrosian magnitude (``petrosian_limit=True``); the field's stars and galaxies
        at the real cutouts' measured counts (``field_sources="skyview"``) in place of
        the single companion and star (``companion_fraction=star_fraction=0``); S0 and
        Sa-Sab discs (``lenticular_fraction=0.25``, ``early_spiral_fraction=0.34``) and
        lopsided discs (``lopsided_discs=True``); Sersic profiles cut at 8 half-light
        radii (``sersic_truncation=8``); the class mix stays the default one. Any of
        these keywords given explicitly overrides the preset's value. The catalog then also has ``psf_fwhm``,
        ``sky_noise``, ``resampling_angle`` and ``n_field_sources`` per galaxy. See
        ``skgalvae.datasets._conditions`` and the user guide's "Is the simulator
        realistic?" for the sources and the measured effect of each setting.
    psf_fwhm : float, dict or None, default=None
        FWHM of the Moffat PSF in arcsec; None means 1.3 (or, with a preset, the
        preset's per-galaxy draws). A number is the i-band FWHM of every galaxy (median
        SDSS i-band seeing is 1.2-1.3); the other bands get ``psf_fwhm (lambda_b /
        lambda_i)**-0.3`` (the wavelength dependence of the SDSS seeing, Xin et al.
        2018, AJ 156, 222: g 1.50, r 1.38 arcsec by default). A dict gives the FWHM
        of every band in ``bands`` (and of i).
    psf_beta : float or None, default=None
        Moffat index of the PSF (larger than 1; smaller values have stronger wings);
        None means 3.5 (or the preset's 2.15).
    sky_noise : float, dict or None, default=None
        Standard deviation of the sky noise in nanomaggies per pixel; None means 0.044
        (or, with a preset, the preset's per-galaxy draws). A number is the i-band value
        of every galaxy (measured on the bundled real cutouts); the other bands get
        ``sky_noise 10**(-0.4 (m_b - m_i))`` with the SDSS 5-sigma limiting magnitudes
        m (u 22.3, g 23.3, r 23.1, i 22.3, z 20.8; York et al. 2000, AJ 120, 1579):
        g 0.0175, r 0.0211 by default. A dict gives every band's value.
    resampling : {None, "none", "skyview"}, default=None
        ``"skyview"`` draws each galaxy on an SDSS frame of ``pixel_scale`` arcsec
        pixels turned by a per-galaxy angle (the measured distribution: mostly 28-45
        deg) and resamples it as NASA SkyView's nearest-neighbour sampler does onto
        the cutout grid, whose pixels are 0.94 times the frame's (0.372 arcsec: the
        value that explains the real cutouts' copied pixels, about 10% of adjacent
        pairs); ``images`` are then in cutout pixels and ``pixel_scale`` of the result
        is the cutout's. The copies correlate neighbouring noise pixels (lag 1: 0.08,
        as in the real cutouts) and jitter the galaxy's pixels. ``"none"`` draws on
        the cutout grid directly; None means "none" (or the preset's choice).
    class_fractions : dict, default=None
        Relative frequency of each class among "spiral", "elliptical", "edge_on",
        "merger", "irregular"; None means ``DEFAULT_CLASS_FRACTIONS`` (0.45, 0.30,
        0.10, 0.08, 0.07), with or without a preset.
    companion_fraction, star_fraction : float or None, default=None
        Probability that a frame holds an unrelated companion galaxy / a foreground
        star; None means 0.15 and 0.1 (or the preset's 0: its field sources hold
        them).
    field_sources : {None, "none", "skyview"}, default=None
        ``"skyview"`` adds to every frame the stars and galaxies of the field as the
        real cutouts show them: a Poisson number (6.5 on average at 150 x 150 cutout
        pixels) with the measured counts per magnitude (i = 14.5-23, rising from 250 to
        8,000 per deg^2 per mag), placed uniformly, half of them stars and half
        exponential discs of 0.3-1.2 arcsec (our choice); in several bands the stars
        have blackbody colours of 4000-7000 K and the galaxies those of a rest-frame
        g - r of 0.40-0.78 at a redshift of 0.05-0.5 (our choices); the catalog's
        ``n_field_sources`` counts them. None means "none" (or the preset's
        "skyview").
    mag_limit : float or None, default=None
        Apparent i magnitude limit of the flux-limited sample; None means 17.0 (GZ2's
        main sample is r < 17.0; Willett et al. 2013), or the preset's.
    petrosian_limit : bool or None, default=None
        Apply ``mag_limit`` to the Petrosian magnitude (the flux inside twice the
        Petrosian radius of the intrinsic profile: SDSS's and GZ2's selection, which
        misses about 20% of a de Vaucouleurs profile's light and almost none of an
        exponential disc's; Blanton et al. 2001, AJ 121, 2358) rather than to the total
        one, so that bulge-dominated galaxies are seen to a smaller distance. None
        means False (or the preset's True). The catalog's ``magnitude`` stays the total.
    lenticular_fraction, early_spiral_fraction : float or None, default=None
        Shares of the spiral class drawn as lenticular (S0) and early-spiral (Sa-Sab)
        discs instead of the default spirals (whose B/T, median ~0.2, are those of
        Sbc-Scd types); their sum is at most 1. Both have de Vaucouleurs (n = 4)
        bulges with B/T uniform in 0.40-0.75 (S0) and 0.24-0.40 (Sa-Sab), between the
        median r-band B/T of neighbouring Hubble types in Kent's (1985, ApJS 59, 115)
        decompositions (Fukugita, Hogan & Peebles 1998, ApJ 503, 518, Table 1);
        lenticulars have no arms or knots. The published disc mix is 0.25 and 0.34
        (the same table's luminosity-density fractions). None means 0 (and 0.25 and
        0.34 in the preset, with ``lopsided_discs``: together they bring C, A, Gini,
        M20 and R50 within the realism goal; user guide). With either
        above 0 the catalog has booleans ``lenticular`` and ``early_spiral``; the
        other galaxies are drawn as without them.
    lopsided_discs : bool or None, default=None
        Make the discs of the spiral class (S0 and Sa-Sab included) lopsided: half of
        each disc's light in a copy of it offset in the disc plane, by ``A1 h / 0.5``
        (h the scale length) towards a random direction, which gives the face-on disc
        an m = 1 Fourier amplitude A1 = a1 / a0; A1 is log-normal with median 0.11 and
        20% above 0.19 (Rudnick & Rix 1998, AJ 116, 1163, 1.5-2.5 scale lengths; as in
        late types, Zaritsky & Rix 1997, ApJ 477, 118), capped at 0.5. Bulge, bar,
        arms and knots stay centred. Drawn from a generator of its own (every other
        draw stays as without it); the catalog then has ``lopsidedness`` (A1, 0 for
        the other classes). None means False (and True in the preset: user guide,
        "Lopsided discs").
    sersic_truncation : float or None, default=None
        Cut every Sersic profile of n != 1 (bulges, ellipticals, a merger partner's
        bulge, companions) at this many half-light radii, keeping its half-light
        radius and flux (GalSim's ``Sersic(trunc=...)``); 0 means no cut. The Petrosian
        fraction of ``petrosian_limit`` takes the cut into account. None means 0 (or
        the preset's 8: SDSS's de Vaucouleurs model is cut at 7-8 r_e; SDSS DR7
        algorithms, "The model magnitude"). Without a cut an n = 4-6 profile holds
        6-10% of its light beyond 8 r_e and its GalSim FFT through a sharp PSF can
        reach thousands of pixels a side.
    n_volunteers : int, default=44
        Mean number of GZ2 classifications per galaxy (44 in the GZ2 main sample).
    noise : bool, default=True
        Add sky + Poisson noise. False returns the noiseless images as ``images``.
    return_noiseless : bool, default=False
        Also return the noiseless images as ``images_noiseless``.
    random_state : int, RandomState instance or None, default=None
        Seeds everything. Galaxy ``i`` is rendered from its own seed (derived from
        ``random_state`` and ``i``), so results do not depend on ``n_jobs``.
    n_jobs : int, default=None
        Number of joblib workers rendering the images (None means 1, -1 all cores).
        Processes by default (GalSim holds the GIL for much of its drawing, so
        processes scale better than threads; ``benchmarks/bench_simulator.py``
        measures both); ``joblib.parallel_config(backend="threading")`` switches to
        threads.
    cache : bool, default=False
        Keep the generated set in ``get_data_home(data_home)/simulations`` under a key
        made of every parameter (and the skgalvae / GalSim versions), and reload it on
        the next identical call. Only used when ``random_state`` is an int (otherwise
        the result is not reproducible). Off by default. Rendering 150x150 cutouts
        takes minutes for ten thousand galaxies on a few cores
        (``benchmarks/bench_simulator.py`` measures it on your machine).
    data_home : str or path-like, default=None
        Cache folder; see :func:`skgalvae.utils.get_data_home`.
    verbose : int, default=0
        Show a progress bar when > 0.

    Returns
    -------
    sklearn.utils.Bunch
        ``images`` float32 nanomaggies, (n, h, w) for one band or (n, c, h, w) for
        c bands in the order of ``bands``; ``data`` (n, c*h*w) the same pixels
        (band-major); ``catalog`` DataFrame (ground truth, properties and GZ2-style
        votes, one row per image, same order; with several bands also ``mag_<b>`` and
        ``flux_<b>`` per band and the rest-frame colours); ``image_shape`` ((h, w) or
        (c, h, w)); ``bands``; ``psf_fwhm`` and ``sky_noise`` (dicts band -> value);
        ``pixel_scale`` (of the cutouts: ``pixel_scale`` times 0.94 with
        ``resampling="skyview"``); ``DESCR``; and ``images_noiseless`` (same shape as
        ``images``) when ``return_noiseless`` is True. With per-galaxy conditions
        (a preset), ``psf_fwhm`` and ``sky_noise`` map each band to an array of the
        galaxies' values.

    Raises
    ------
    ImportError
        GalSim is not installed (``pip install "skgalvae[simulate]"``).
    ValueError
        An unknown ``preset`` or ``resampling``, or invalid bands, class fractions or
        per-band values.

    Examples
    --------
    >>> from skgalvae.datasets import make_galaxies
    >>> sim = make_galaxies(4, image_size=32, random_state=0)
    >>> sim.images.shape, sim.data.shape
    ((4, 32, 32), (4, 1024))
    >>> sim.catalog[["class", "half_light_radius_arcsec", "petro_r50"]].shape
    (4, 3)
    >>> gri = make_galaxies(4, image_size=32, bands="gri", random_state=0)
    >>> gri.images.shape, gri.image_shape, gri.data.shape
    ((4, 3, 32, 32), (3, 32, 32), (4, 3072))
    >>> bool((gri.images[:, 2] == sim.images).all())  # the i band is the i-only image
    True

    Cutouts like the bundled real SDSS ones (see ``preset``):

    >>> sdss = make_galaxies(4, image_size=32, preset="sdss", random_state=0)
    >>> sdss.images.shape, round(sdss.pixel_scale, 4)
    ((4, 32, 32), 0.3722)
    >>> sdss.catalog[["psf_fwhm", "sky_noise", "resampling_angle"]].shape
    (4, 3)
    """
    settings = cond.resolve(preset, psf_fwhm=psf_fwhm, psf_beta=psf_beta,
                            sky_noise=sky_noise, resampling=resampling,
                            mag_limit=mag_limit, petrosian_limit=petrosian_limit,
                            class_fractions=class_fractions,
                            companion_fraction=companion_fraction,
                            star_fraction=star_fraction, field_sources=field_sources,
                            lenticular_fraction=lenticular_fraction,
                            early_spiral_fraction=early_spiral_fraction,
                            lopsided_discs=lopsided_discs,
                            sersic_truncation=sersic_truncation)
    companion_fraction = settings["companion_fraction"]
    star_fraction = settings["star_fraction"]
    class_fractions = settings["class_fractions"]
    if class_fractions is None:
        class_fractions = DEFAULT_CLASS_FRACTIONS
    class_fractions = dict(class_fractions)
    _check_class_fractions(class_fractions)
    _check_bands(bands)
    render_bands = bands if "i" in bands else bands + "i"  # i: the Petrosian radii
    per_galaxy_psf = settings["psf_fwhm"] == "per_galaxy"
    per_galaxy_sky = settings["sky_noise"] == "per_galaxy"
    # per-galaxy values: the medians stand in for the checks (drawn later, per galaxy)
    psf_fwhm = 1.0 if per_galaxy_psf else settings["psf_fwhm"]
    sky_noise = 1.0 if per_galaxy_sky else settings["sky_noise"]
    psf = _per_band(psf_fwhm, render_bands, rel.psf_fwhm_band, "psf_fwhm")
    sky = _per_band(sky_noise, bands, rel.sky_noise_band, "sky_noise")
    if any(v <= 0 for v in psf.values()):
        msg = f"psf_fwhm must be positive in every band, got {psf}."
        raise ValueError(msg)
    resample = settings["resampling"] == "skyview"
    cutout_scale = float(pixel_scale) * (cond.SKYVIEW_SCALE if resample else 1.0)
    galsim = import_optional("galsim", purpose="make_galaxies (the GalSim simulator)")
    params = {
        "n_samples": int(n_samples), "image_size": int(image_size),
        "pixel_scale": float(pixel_scale), "band": bands,
        "psf_fwhm": psf_fwhm if isinstance(psf_fwhm, dict) else float(psf_fwhm),
        "sky_noise": sky_noise if isinstance(sky_noise, dict) else float(sky_noise),
        "class_fractions": class_fractions,
        "companion_fraction": float(companion_fraction),
        "star_fraction": float(star_fraction), "mag_limit": float(settings["mag_limit"]),
        "n_volunteers": int(n_volunteers), "noise": bool(noise),
        "random_state": random_state, "skgalvae": __version__,
        "keep_noiseless": bool(return_noiseless or not noise),
        "galsim": galsim.__version__,
    }
    conditions = {"preset": preset, "per_galaxy_psf": per_galaxy_psf,
                  "per_galaxy_sky": per_galaxy_sky,
                  "psf_beta": float(settings["psf_beta"]), "resampling": resample}
    if conditions != {"preset": None, "per_galaxy_psf": False, "per_galaxy_sky": False,
                      "psf_beta": cond.DEFAULTS["psf_beta"], "resampling": False}:
        # only then: the cache keys of the default simulator stay those of before
        params["conditions"] = conditions
    if settings["petrosian_limit"]:
        params["petrosian_limit"] = True
    if settings["field_sources"] == "skyview":
        params["field_sources"] = "skyview"
    early_discs = settings["lenticular_fraction"] + settings["early_spiral_fraction"]
    if early_discs > 1:
        msg = (f"lenticular_fraction + early_spiral_fraction is the share of the spiral "
               f"class turned into S0 and Sa-Sab discs and must be at most 1, got "
               f"{settings['lenticular_fraction']} + {settings['early_spiral_fraction']}; "
               f"lower one of them.")
        raise ValueError(msg)
    if early_discs > 0:  # only then: the cache keys stay those of before
        params["lenticular_fraction"] = float(settings["lenticular_fraction"])
        params["early_spiral_fraction"] = float(settings["early_spiral_fraction"])
    if settings["lopsided_discs"]:  # only then: the cache keys stay those of before
        params["lopsided_discs"] = True
    if settings["sersic_truncation"] > 0:  # only then: the cache keys stay those of before
        params["sersic_truncation"] = float(settings["sersic_truncation"])
    cache_path = None
    if cache and isinstance(random_state, Integral):
        cache_path = (get_data_home(data_home) / "simulations"
                      / f"make_galaxies_{_cache_key(params)}.npz")
    if cache_path is not None and cache_path.exists():
        images, noiseless, catalog = _load(cache_path)
    else:
        images, noiseless, catalog = _simulate(
            n_samples, random_state, n_jobs, verbose,
            {**params, "bands": bands, "psf": psf, "sky": sky, **conditions,
             "cutout_scale": cutout_scale})
        if cache_path is not None:
            _save(cache_path, (images, noiseless, catalog))
    if images is None:
        images = noiseless
    bunch = Bunch(
        images=images,
        data=images.reshape(len(images), -1),
        catalog=catalog,
        image_shape=tuple(int(d) for d in images.shape[1:]),
        bands=bands,
        psf_fwhm={b: psf[b] for b in bands},
        sky_noise=sky,
        pixel_scale=cutout_scale,
        DESCR=DESCR,
    )
    if per_galaxy_psf:  # each galaxy's own values, band by band
        fwhm_i = catalog["psf_fwhm"].to_numpy(float)
        bunch.psf_fwhm = {b: fwhm_i * rel.psf_fwhm_band(1.0, b) for b in bands}
    if per_galaxy_sky:
        sky_i = catalog["sky_noise"].to_numpy(float)
        bunch.sky_noise = {b: sky_i * rel.sky_noise_band(1.0, b) for b in bands}
    if return_noiseless:
        bunch.images_noiseless = noiseless
    return bunch


def _simulate(n_samples, random_state, n_jobs, verbose, params):
    rs = check_random_state(random_state)
    base_seed = int(rs.randint(0, 2**31 - 1))
    rng = np.random.default_rng(base_seed)
    truth = draw_truth(
        n_samples, rng, class_fractions=params["class_fractions"],
        image_size=params["image_size"], pixel_scale=params["cutout_scale"],
        mag_limit=params["mag_limit"], companion_fraction=params["companion_fraction"],
        star_fraction=params["star_fraction"],
        petrosian_limit=params.get("petrosian_limit", False),
        sersic_truncation=params.get("sersic_truncation", 0.0),
        lenticular_fraction=params.get("lenticular_fraction", 0.0),
        early_spiral_fraction=params.get("early_spiral_fraction", 0.0),
        lenticular_rng=np.random.default_rng(np.random.SeedSequence(
            base_seed, spawn_key=(4,))),
        lopsided_rng=np.random.default_rng(np.random.SeedSequence(
            base_seed, spawn_key=(5,))) if params.get("lopsided_discs") else None)
    # per-galaxy observing conditions (presets) from a child generator of their own:
    # the draws of the truth, images and votes are untouched by them
    conditions = cond.draw_conditions(n_samples, {
        "psf_fwhm": "per_galaxy" if params["per_galaxy_psf"] else None,
        "sky_noise": "per_galaxy" if params["per_galaxy_sky"] else None,
        "resampling": "skyview" if params["resampling"] else "none"},
        np.random.default_rng(np.random.SeedSequence(base_seed, spawn_key=(2,))))
    for key, values in conditions.items():
        truth[key] = values
    if params.get("field_sources") == "skyview":  # another child generator of its own
        field = cond.draw_field(n_samples, params["image_size"], params["cutout_scale"],
                                np.random.default_rng(np.random.SeedSequence(
                                    base_seed, spawn_key=(3,))))
        for key, values in field.items():
            truth[key] = pd.Series(list(values) if key != "n_field_sources" else values,
                                   index=truth.index, dtype=object
                                   if key != "n_field_sources" else int)
    # one independent seed per galaxy, from (base_seed, index): independent of n_jobs
    seeds = [int(np.random.SeedSequence([base_seed, i]).generate_state(1)[0])
             for i in range(n_samples)]
    bands = params["bands"]
    if bands != "i":
        # everything the other bands need comes from a child generator of its own, so
        # that the draws of the i-band truth, images and votes stay those of bands="i"
        colour_rng = np.random.default_rng(
            np.random.SeedSequence(base_seed, spawn_key=(1,)))
        add_band_fluxes(truth, bands, colour_rng)
    records = truth.to_dict("records")
    options = {
        "image_size": params["image_size"], "pixel_scale": params["cutout_scale"],
        "psf_fwhm": params["psf"], "sky_noise": params["sky"],
        "noise": params["noise"], "bands": bands, "psf_beta": params["psf_beta"],
        "sersic_trunc": params.get("sersic_truncation", 0.0),
    }
    n_workers = min(effective_n_jobs(n_jobs), n_samples)
    n_chunks = min(n_samples, max(n_workers * 8, 1) if n_workers > 1 else
                   max(1, n_samples // 50))
    bounds = np.linspace(0, n_samples, n_chunks + 1).astype(int)
    keep = params["keep_noiseless"]
    tasks = (delayed(_render_chunk)(records[a:b], seeds[a:b], options, keep)
             for a, b in zip(bounds[:-1], bounds[1:], strict=True))
    if n_workers > 1:
        # processes: GalSim's drawing holds the GIL for much of its time, so on an idle
        # 2-core machine loky processes render 2x faster than threads (200 vs 95
        # images/s for make_galaxies(1000, n_jobs=2) at 150x150)
        results = Parallel(n_jobs=n_workers, prefer="processes",
                           return_as="generator")(tasks)
    else:
        results = (task[0](*task[1], **task[2]) for task in tasks)
    results = list(progress(results, verbose=verbose, total=n_chunks,
                            desc="make_galaxies", unit="chunk"))
    noiseless = np.concatenate([r[1] for r in results]) if keep else None
    images = np.concatenate([r[0] for r in results]) if params["noise"] else None
    radii = np.concatenate([r[2] for r in results])
    truth["petro_r50"] = radii[:, 0]
    truth["petro_r90"] = radii[:, 1]
    votes = simulate_votes(truth, rng, n_volunteers=params["n_volunteers"],
                           psf_fwhm=truth["psf_fwhm"].to_numpy(float)
                           if params["per_galaxy_psf"] else params["psf"]["i"])
    keep = [c for c in truth.columns if c not in _INTERNAL and "__" not in c
            and not (c.startswith("partner_") and c not in (
                "partner_class", "partner_log_stellar_mass",
                "partner_separation_arcsec", "partner_x", "partner_y"))]
    catalog = pd.concat([truth[keep], votes], axis=1)
    merger = catalog["class"] == "merger"
    catalog.loc[~merger, ["partner_x", "partner_y"]] = np.nan
    catalog = catalog.rename(columns={"bulge_hlr": "bulge_hlr_arcsec",
                                      "disk_hlr": "disk_hlr_arcsec"})
    return images, noiseless, catalog
