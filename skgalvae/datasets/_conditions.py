"""Presets of :func:`make_galaxies`: observing conditions and population settings.

``preset="sdss"`` makes the simulated cutouts look like the 100 real SDSS i-band cutouts
bundled with skgalvae (:func:`load_sdss_sample`, the seed study's downloads from NASA
SkyView): the observing conditions measured on those cutouts and the population the
seed selected. Each number says where it comes from; the measured ones are printed by
``python scripts/measure_skyview_conditions.py`` (run on ``load_sdss_sample()``).

Without a preset (``preset=None``) every setting keeps the value :func:`make_galaxies`
had before presets existed, so the default simulator is unchanged bit for bit.
"""

import numpy as np

#: The presets :func:`make_galaxies` knows.
PRESETS = ("sdss",)

#: Settings without a preset: the simulator's historical defaults.
DEFAULTS = {
    "psf_fwhm": 1.3,  # arcsec, median SDSS i-band seeing (docstring of make_galaxies)
    "psf_beta": 3.5,
    "sky_noise": 0.044,  # nanomaggies per pixel
    "resampling": "none",
    "mag_limit": 17.0,
    "petrosian_limit": False,
    "field_sources": "none",
    "companion_fraction": 0.15,
    "star_fraction": 0.1,
    "class_fractions": None,  # DEFAULT_CLASS_FRACTIONS
    "lenticular_fraction": 0.0,
    "early_spiral_fraction": 0.0,
    "lopsided_discs": False,
    "sersic_truncation": 0.0,  # no truncation
}

# --- measured on the 100 bundled real cutouts (scripts/measure_skyview_conditions.py) ---

#: Cutout pixel over SDSS frame pixel. About 10% of adjacent pixel pairs of the real
#: cutouts are exact copies (SkyView's nearest-neighbour sampler); nearest-neighbour
#: resampling of white noise explains that fraction best with cutout pixels 0.94 times
#: the frame's (0.372 arcsec; the frame's 0.396) on a grid rotated by the angles below.
SKYVIEW_SCALE = 0.94
#: Quantiles (0, 10, ..., 100%) of the rotation [deg] between the SDSS frame and the
#: north-up cutout grid, one angle per real cutout at that scale.
SKYVIEW_ANGLE_QUANTILES = (0.0, 27.9, 29.0, 31.0, 32.0, 33.0, 35.0, 38.3, 43.2, 45.0, 45.0)
#: Quantiles (0, 10, ..., 100%) of the sky noise [nanomaggies per pixel]: normalised MAD of
#: the four 20x20 corners of each real cutout.
SKY_NOISE_QUANTILES = (0.0321, 0.0381, 0.0384, 0.0386, 0.0388, 0.0395, 0.0413, 0.0459,
                       0.0472, 0.0476, 0.0676)
#: Quantiles (0, 10, ..., 100%) of the PSF FWHM [arcsec] of the 21 point sources of the
#: real cutouts (pixel-integrated Moffat fits, FWHM at the cutout pixel of 0.372 arcsec).
PSF_FWHM_QUANTILES = (0.543, 0.552, 0.646, 0.654, 0.662, 0.708, 0.711, 0.77, 0.783, 0.804,
                      0.835)
#: Median Moffat beta of those fits (quartiles 1.8-2.4): wings far stronger than beta
#: 3.5, as SDSS's double-Gaussian-plus-power-law PSF has (Stoughton et al. 2002, AJ 123,
#: 485, Sect. 4.4).
PSF_BETA = 2.15

#: Sources other than the target in the real cutouts (stars and galaxies, companions
#: included: photutils segmentation, 1 sigma after a 3-pixel smoothing, 10 pixels): number
#: per deg^2 per i magnitude in 0.5 mag bins from FIELD_MAG_EDGES[0] to [1]; 6.5 per
#: cutout. (At i ~ 20 the sum, 4,500 per deg^2 per mag, is that of SDSS star + galaxy
#: counts at high latitude: Yasuda et al. 2001, AJ 122, 1104.)
FIELD_MAG_EDGES = (14.5, 23.0)
FIELD_COUNTS = (250, 170, 420, 250, 500, 750, 580, 1080, 1500, 2410, 4910, 4160, 4410,
                7320, 7230, 8480, 7980)
#: Our choices for what the measurement does not separate: half of the field sources are
#: stars (star and galaxy counts are comparable at i ~ 20 at high latitude; Yasuda et al.
#: 2001), the others exponential discs of half-light radius 0.3-1.2 arcsec and axis
#: ratio 0.3-1 (uniform).
FIELD_STAR_FRACTION = 0.5
FIELD_GALAXY_HLR = (0.3, 1.2)

# --- the seed's population ---

#: i-band limit of the GZ2 main sample's r < 17.0 (Willett et al. 2013, MNRAS 435, 2835,
#: Sect. 2): r - i of 0.37 (spirals) and 0.40 (ellipticals) in the simulator's own
#: observed colours (user guide, "Several bands") puts r = 17.0 at i = 16.6.
MAG_LIMIT = 16.6
#: ... applied to the Petrosian magnitude, as SDSS's target selection and GZ2 do
#: (Strauss et al. 2002, AJ 124, 1810; Willett et al. 2013).
#: The population mix stays the default one: the seed removed edge-on and odd galaxies
#: with GZ2 vote cuts (seed presentation, "Filtering by Galaxy Morphology"), but spirals
#: and ellipticals alone ({"spiral": 0.6, "elliptical": 0.4}) matched the real cutouts
#: worse (asymmetry KS 0.18 -> 0.25 on 300 galaxies; user guide):
#: the cuts leave some disturbed galaxies in, in a proportion nobody measured.
CLASS_FRACTIONS = None
#: Lenticular (S0) and early-spiral (Sa-Sab) discs (``lenticular_fraction``,
#: ``early_spiral_fraction``): the published Hubble-type mix of disc galaxies (S0 0.25,
#: Sab 0.34 of the discs' luminosity density; Fukugita, Hogan & Peebles 1998, ApJ 503,
#: 518, Table 1), with lopsided discs (``lopsided_discs``: A1 from Rudnick & Rix 1998,
#: AJ 116, 1163). Together they bring all five structural KS statistics under 0.2 on
#: 500 galaxies (C 0.227 -> 0.150, A 0.186 -> 0.143, M20 0.245 -> 0.181; the same on a
#: second sample); the disc mix alone raised C and M20 but broke the asymmetry (KS
#: 0.226), the lopsided discs alone left C and M20 over the goal. The size-matched PCA-12
#: is 0.477 with them, 0.487 without (real 0.460; user guide, "What each change moved").
LENTICULAR_FRACTION = 0.25
EARLY_SPIRAL_FRACTION = 0.34
LOPSIDED_DISCS = True

# --- the profiles ---

#: Every Sersic profile of n != 1 (bulges, ellipticals) cut at 8 half-light radii, as
#: SDSS's own de Vaucouleurs model is (truncated beyond 7 r_e to reach zero at 8 r_e;
#: SDSS DR7 algorithms, "The model magnitude"; Stoughton et al. 2002, AJ 123, 485).
#: Without a cut, an n = 4-6 profile holds 6-10% of its light beyond 8 r_e, and the
#: GalSim FFTs that draw its wings through the sharp preset PSF reach 4,000-9,000
#: pixels a side (1.8 GB for one galaxy). With it, on 500 galaxies (seed 0): KS C
#: 0.150 -> 0.118, M20 0.181 -> 0.144, R50 0.148 -> 0.123, A 0.143 -> 0.162 (seed 1:
#: every one lower), rendering 1.4x faster (user guide, "Truncated Sersic profiles").
SERSIC_TRUNCATION = 8.0

_PRESET_SETTINGS = {
    "sdss": {
        "psf_fwhm": "per_galaxy",
        "psf_beta": PSF_BETA,
        "sky_noise": "per_galaxy",
        "resampling": "skyview",
        "mag_limit": MAG_LIMIT,
        "petrosian_limit": True,
        "field_sources": "skyview",
        # the measured field sources hold the real cutouts' companions and stars
        "companion_fraction": 0.0,
        "star_fraction": 0.0,
        "class_fractions": CLASS_FRACTIONS,
        "lenticular_fraction": LENTICULAR_FRACTION,
        "early_spiral_fraction": EARLY_SPIRAL_FRACTION,
        "lopsided_discs": LOPSIDED_DISCS,
        "sersic_truncation": SERSIC_TRUNCATION,
    },
}


def check_preset(preset):
    if preset is not None and preset not in PRESETS:
        msg = (f"preset must be None (the default simulator) or one of {list(PRESETS)}, "
               f"got {preset!r}.")
        raise ValueError(msg)


def resolve(preset, **given):
    """The settings of ``preset`` (or the defaults), overridden by every ``given`` value
    that is not None. "per_galaxy" marks values drawn for each galaxy."""
    check_preset(preset)
    base = DEFAULTS if preset is None else _PRESET_SETTINGS[preset]
    return {key: base[key] if given.get(key) is None else given[key] for key in DEFAULTS}


def _from_quantiles(quantiles, n, rng):
    """Draws from the distribution whose evenly spaced quantiles are ``quantiles``
    (inverse-CDF interpolation)."""
    q = np.asarray(quantiles, dtype=float)
    return np.interp(rng.uniform(size=n), np.linspace(0.0, 1.0, len(q)), q)


def draw_field(n, image_size, pixel_scale, rng):
    """Field sources of ``n`` cutouts of ``image_size`` pixels of ``pixel_scale`` arcsec:
    a dict of per-galaxy arrays (positions in cutout pixels, fluxes in nanomaggies,
    half-light radius [arcsec; 0 for a star], axis ratio, position angle [deg]) and the
    count ``n_field_sources``."""
    lo, hi = FIELD_MAG_EDGES
    counts = np.asarray(FIELD_COUNTS, dtype=float)
    edges = np.linspace(lo, hi, len(counts) + 1)
    per_bin = counts * np.diff(edges)  # per deg^2
    area = (image_size * pixel_scale / 3600.0) ** 2
    number = rng.poisson(per_bin.sum() * area, n)
    out = {key: [] for key in ("field_x", "field_y", "field_flux", "field_hlr",
                               "field_q", "field_pa")}
    for k in number:
        b = rng.choice(len(per_bin), k, p=per_bin / per_bin.sum())
        mag = rng.uniform(edges[b], edges[b + 1])
        star = rng.uniform(size=k) < FIELD_STAR_FRACTION
        out["field_x"].append(rng.uniform(-0.5, image_size - 0.5, k))
        out["field_y"].append(rng.uniform(-0.5, image_size - 0.5, k))
        out["field_flux"].append(10 ** (-0.4 * (mag - 22.5)))
        out["field_hlr"].append(np.where(star, 0.0, rng.uniform(*FIELD_GALAXY_HLR, k)))
        out["field_q"].append(rng.uniform(0.3, 1.0, k))
        out["field_pa"].append(rng.uniform(0.0, 180.0, k))
    out["n_field_sources"] = number
    return out


def draw_conditions(n, settings, rng):
    """Per-galaxy observing conditions as a dict of arrays (catalog columns): the i-band
    ``psf_fwhm`` [arcsec] and ``sky_noise`` [nanomaggies per pixel] where ``settings``
    says "per_galaxy", the SkyView ``resampling_angle`` [deg] where it resamples.
    Empty when everything is fixed."""
    out = {}
    if settings["psf_fwhm"] == "per_galaxy":
        # rounded to 0.01 arcsec: the renderer caches one PSF per FWHM
        out["psf_fwhm"] = np.round(_from_quantiles(PSF_FWHM_QUANTILES, n, rng), 2)
    if settings["sky_noise"] == "per_galaxy":
        out["sky_noise"] = _from_quantiles(SKY_NOISE_QUANTILES, n, rng)
    if settings["resampling"] == "skyview":
        out["resampling_angle"] = _from_quantiles(SKYVIEW_ANGLE_QUANTILES, n, rng)
    return out
