"""Tests of the GalSim survey simulator (skgalvae.datasets.make_galaxies)."""

import hashlib

import galsim
import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from skgalvae.datasets import _relations as rel
from skgalvae.datasets import make_galaxies
from skgalvae.datasets._render import petrosian_radii, render_galaxy
from skgalvae.datasets._simulate import DEFAULT_CLASS_FRACTIONS, draw_truth
from skgalvae.datasets._votes import GZ2_TASKS

FAST = {"image_size": 32, "random_state": 0}


@pytest.fixture(scope="module")
def small():
    return make_galaxies(24, image_size=48, random_state=3, return_noiseless=True)


def _truth(n, classes, seed=0, **kwargs):
    opts = {"image_size": 64, "pixel_scale": 0.396, "mag_limit": 17.0,
            "companion_fraction": 0.0, "star_fraction": 0.0}
    opts.update(kwargs)
    return draw_truth(n, np.random.default_rng(seed), class_fractions=classes, **opts)


def test_bunch_shapes_and_row_alignment(small):
    n = 24
    assert small.images.shape == (n, 48, 48) and small.images.dtype == np.float32
    assert small.data.shape == (n, 48 * 48)
    np.testing.assert_array_equal(small.data[3], small.images[3].ravel())
    assert small.image_shape == (48, 48) and len(small.catalog) == n
    assert set(small.catalog["class"]) <= set(DEFAULT_CLASS_FRACTIONS)
    assert "Shen et al." in small.DESCR and "Willett et al. 2013" in small.DESCR
    # row i of the catalog describes image i: the noiseless flux follows the catalog's
    cat = small.catalog
    alone = (~cat.has_companion & ~cat.has_star & (cat["class"] != "merger")).to_numpy()
    ratio = small.images_noiseless.sum(axis=(1, 2))[alone] / cat["flux"].to_numpy()[alone]
    assert np.all(ratio < 1.02) and np.median(ratio) > 0.6
    # the noise is sky-like far from the galaxy (0.044 nanomaggies per pixel)
    resid = (small.images - small.images_noiseless)[:, :6, :6]
    assert 0.03 < resid.std() < 0.06


def test_determinism_and_n_jobs():
    a = make_galaxies(6, **FAST)
    b = make_galaxies(6, **FAST)
    c = make_galaxies(6, n_jobs=2, **FAST)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.images, c.images)
    assert a.catalog.equals(c.catalog)
    d = make_galaxies(6, image_size=32, random_state=1)
    assert not np.array_equal(a.images, d.images)


def test_half_light_radius_matches_unconvolved_render():
    # Noiseless, unconvolved renders (no PSF, no pixel response) of the bulge + disc,
    # drawn face-on on a fine grid; GalSim's calculateHLR (circular apertures, true
    # total flux) against the catalog's half_light_radius_arcsec (circularised HLR).
    truth = _truth(12, {"elliptical": 1, "spiral": 1}, seed=1)
    scale = 0.1
    for p in truth.to_dict("records"):
        p.update(axis_ratio=1.0, bulge_axis_ratio=1.0, arm_fraction=0.0,
                 knot_fraction=0.0, bar_fraction=0.0, has_dust_lane=False,
                 centre_dx=0.0, centre_dy=0.0)
        size = int(np.ceil(12 * p["half_light_radius_arcsec"] / scale)) // 2 * 2 + 64
        _, clean, _, _ = render_galaxy(p, image_size=size, pixel_scale=scale,
                                       psf_fwhm=1.3, sky_noise=0.0, noise=False,
                                       seed=0, psf=False)
        image = galsim.Image(clean.astype(np.float64), scale=scale)
        hlr = image.calculateHLR(flux=p["flux"])
        assert hlr == pytest.approx(p["half_light_radius_arcsec"], rel=0.1), p["class"]


def test_axis_ratio_matches_unconvolved_render():
    # Adaptive moments of the unconvolved disc / spheroid recover the catalog's q.
    truth = _truth(10, {"elliptical": 1, "edge_on": 1, "irregular": 1}, seed=2)
    scale = 0.1
    for p in truth.to_dict("records"):
        q_true = p["axis_ratio"]
        p.update(bulge_fraction=1.0 if p["class"] == "elliptical" else 0.0,
                 arm_fraction=0.0, knot_fraction=0.0, bar_fraction=0.0,
                 has_dust_lane=False, centre_dx=0.0, centre_dy=0.0)
        size = int(np.ceil(16 * p["half_light_radius_arcsec"] / scale)) // 2 * 2 + 64
        _, clean, _, _ = render_galaxy(p, image_size=size, pixel_scale=scale,
                                       psf_fwhm=1.3, sky_noise=0.0, noise=False,
                                       seed=0, psf=False)
        moments = galsim.hsm.FindAdaptiveMom(
            galsim.Image(clean, scale=scale),
            guess_sig=p["half_light_radius_arcsec"] / scale)
        assert moments.observed_shape.q == pytest.approx(q_true, rel=0.1), p["class"]


def test_edge_on_signature():
    sim = make_galaxies(6, image_size=48, random_state=4, return_noiseless=True,
                        class_fractions={"edge_on": 1}, companion_fraction=0,
                        star_fraction=0)
    cat = sim.catalog
    assert (cat["class"] == "edge_on").all()
    assert (cat["inclination"] >= 80).all() and (cat["axis_ratio"] < 0.3).all()
    for image in sim.images_noiseless:
        # PSF-convolved images are rounder than the disc, but still clearly elongated
        q = galsim.hsm.FindAdaptiveMom(galsim.Image(image, scale=0.396),
                                       guess_sig=3.0).observed_shape.q
        assert q < 0.75


def test_merger_has_two_peaks():
    sim = make_galaxies(6, image_size=64, random_state=5, return_noiseless=True,
                        class_fractions={"merger": 1}, companion_fraction=0,
                        star_fraction=0)
    cat = sim.catalog
    assert (cat["partner_separation_arcsec"] >= 3).all()
    for image, (_, row) in zip(sim.images_noiseless, cat.iterrows(), strict=True):
        peaks = (image == ndimage.maximum_filter(image, size=5)) & (
            image > 0.02 * image.max())
        ys, xs = np.nonzero(peaks)
        d_centre = np.hypot(xs - row.centre_x, ys - row.centre_y)
        d_partner = np.hypot(xs - row.partner_x, ys - row.partner_y)
        assert d_centre.min() < 3 and d_partner.min() < 3


def test_companions_and_stars_are_labelled():
    sim = make_galaxies(8, image_size=64, random_state=6, return_noiseless=True,
                        class_fractions={"elliptical": 1}, companion_fraction=1.0,
                        star_fraction=1.0)
    cat = sim.catalog
    assert cat["has_companion"].all() and cat["has_star"].all()
    for image, (_, row) in zip(sim.images_noiseless, cat.iterrows(), strict=True):
        x, y = int(round(row.star_x)), int(round(row.star_y))
        local = image[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3]
        ring = image[max(y - 8, 0):y + 9, max(x - 8, 0):x + 9]
        assert local.max() >= ring.max() * 0.999  # the star peak is at star_x, star_y


def test_votes_are_fractions_with_tree_sums(small):
    cat = small.catalog
    for task, answers in GZ2_TASKS:
        fracs = cat[[f"{task}_{a}_fraction" for a in answers]].to_numpy()
        assert ((fracs >= 0) & (fracs <= 1)).all()
        sums = fracs.sum(axis=1)
        counts = cat[[f"{task}_{a}_count" for a in answers]].to_numpy().sum(axis=1)
        np.testing.assert_allclose(sums[counts > 0], 1.0)
        assert (sums[counts == 0] == 0).all()
        for suffix in ("weighted_fraction", "debiased"):
            assert f"{task}_{answers[0]}_{suffix}" in cat
    # the tree: edge-on question asked of those who answered "features or disk"
    t02 = cat["t02_edgeon_a04_yes_count"] + cat["t02_edgeon_a05_no_count"]
    np.testing.assert_array_equal(t02, cat["t01_smooth_or_features_a02_features_or_disk_count"])
    t01 = sum(cat[f"t01_smooth_or_features_{a}_count"] for a in GZ2_TASKS[0][1])
    np.testing.assert_array_equal(t01, cat["total_classifications"])


def test_truth_supports_the_study():
    # property relations only (no rendering): early types older, more metal-rich,
    # higher dispersion, lower sSFR; sizes span SDSS's range and grow with mass
    truth = _truth(3000, {"spiral": 0.5, "elliptical": 0.5}, seed=7, image_size=150)
    ell = truth[truth["class"] == "elliptical"]
    spi = truth[truth["class"] == "spiral"]
    assert ell.age.median() > spi.age.median()
    assert ell.metallicity.median() > spi.metallicity.median()
    assert ell.velocity_dispersion.median() > spi.velocity_dispersion.median()
    assert ell.log_ssfr.median() < spi.log_ssfr.median() - 1
    # SDSS-like spread (the real GZ: Quench controls: Petrosian R50 5-95% 1.2-4.4")
    lo, hi = np.percentile(truth.half_light_radius_arcsec, [5, 95])
    assert lo < 1.5 and hi > 4.5 and truth.half_light_radius_arcsec.max() > 10
    assert np.corrcoef(truth.log_stellar_mass, np.log(truth.half_light_radius_kpc))[
        0, 1] > 0.3
    assert (truth.magnitude <= 17.0 + 1e-6).all()


def test_votes_follow_the_truth():
    sim = make_galaxies(40, image_size=64, random_state=8,
                        class_fractions={"spiral": 1, "elliptical": 1})
    cat = sim.catalog
    smooth = cat.groupby("class")["t01_smooth_or_features_a01_smooth_fraction"].mean()
    assert smooth["elliptical"] > smooth["spiral"] + 0.3
    # Petrosian R50 (measured on the noiseless image) follows the true size
    assert np.corrcoef(cat.petro_r50, cat.half_light_radius_arcsec)[0, 1] > 0.8


def test_petrosian_radii_of_a_gaussian():
    # For a Gaussian, R50 of the Petrosian flux is close to the true HLR (the
    # Petrosian aperture holds ~99% of the flux).
    g = galsim.Gaussian(half_light_radius=3.0, flux=100).drawImage(
        nx=101, ny=101, scale=0.2, method="no_pixel").array
    r50, r90 = petrosian_radii(g, (50, 50), 0.2)
    assert r50 == pytest.approx(3.0, rel=0.03) and r90 > r50


def test_cache(tmp_path):
    a = make_galaxies(4, cache=True, data_home=tmp_path, **FAST)
    files = list((tmp_path / "simulations").glob("*.npz"))
    assert len(files) == 1
    b = make_galaxies(4, cache=True, data_home=tmp_path, **FAST)
    np.testing.assert_array_equal(a.images, b.images)
    assert list(a.catalog.columns) == list(b.catalog.columns)
    np.testing.assert_array_equal(a.catalog["class"], b.catalog["class"])
    np.testing.assert_allclose(a.catalog["redshift"], b.catalog["redshift"])
    make_galaxies(4, image_size=32, cache=True, data_home=tmp_path)  # no seed: no cache
    assert len(list((tmp_path / "simulations").glob("*.npz"))) == 1


@pytest.mark.parametrize("kwargs, match", [
    ({"bands": "x"}, "bands"),
    ({"bands": "gg"}, "bands"),
    ({"bands": ""}, "bands"),
    ({"bands": 3}, "'bands' parameter"),
    ({"bands": "gr", "psf_fwhm": {"g": 1.0}}, "psf_fwhm"),
    ({"bands": "gr", "sky_noise": {"g": 0.01, "r": -1}}, "sky_noise"),
    ({"psf_fwhm": "wide"}, "'psf_fwhm' parameter"),
    ({"image_size": 8}, "image_size"),
    ({"class_fractions": {"lenticular": 1}}, "class_fractions"),
    ({"class_fractions": {"spiral": -1}}, "class_fractions"),
    ({"class_fractions": {"spiral": float("nan")}}, "class_fractions"),
    ({"n_samples": 0}, "'n_samples' parameter"),
    ({"n_samples": 2.5}, "'n_samples' parameter"),
    ({"pixel_scale": 0}, "'pixel_scale' parameter"),
    ({"psf_fwhm": -1.0}, "'psf_fwhm' parameter"),
    ({"sky_noise": -0.1}, "'sky_noise' parameter"),
    ({"companion_fraction": 1.5}, "'companion_fraction' parameter"),
    ({"star_fraction": -0.1}, "'star_fraction' parameter"),
    ({"n_volunteers": 0}, "'n_volunteers' parameter"),
    ({"mag_limit": float("nan")}, "'mag_limit' parameter"),
    ({"noise": "yes"}, "'noise' parameter"),
    ({"cache": 1.0}, "'cache' parameter"),
    ({"random_state": "seed"}, "'random_state' parameter"),
    ({"data_home": 3}, "'data_home' parameter"),
])
def test_invalid_parameters(kwargs, match):
    kwargs = {"n_samples": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_galaxies(**kwargs)


def test_noiseless_option():
    sim = make_galaxies(3, noise=False, return_noiseless=True, **FAST)
    np.testing.assert_array_equal(sim.images, sim.images_noiseless)
    noisy = make_galaxies(3, **FAST)
    assert "images_noiseless" not in noisy
    assert noisy.catalog.equals(sim.catalog)  # the truth does not depend on the noise


def test_spiral_and_elliptical_structure():
    # isotropic disc inclinations (cos i uniform up to 80 deg), disc-dominated spirals,
    # concentrated ellipticals (SDSS single-Sersic n >= 3)
    truth = _truth(3000, {"spiral": 0.5, "elliptical": 0.5}, seed=10)
    spi = truth[truth["class"] == "spiral"]
    ell = truth[truth["class"] == "elliptical"]
    cos_i = np.cos(np.radians(spi.inclination))
    assert cos_i.min() >= np.cos(np.radians(80.0)) - 1e-9
    assert np.median(cos_i) == pytest.approx((1 + np.cos(np.radians(80.0))) / 2, abs=0.03)
    assert spi.axis_ratio.min() < 0.3 and np.percentile(spi.axis_ratio, 25) < 0.5
    assert 0.12 < spi.bulge_fraction.median() < 0.3
    assert (ell.sersic_n >= 3).all() and ell.sersic_n.median() >= 4


def test_concentration_separates_spirals_from_ellipticals():
    # Petrosian R90/R50 of noiseless, PSF-convolved renders: SDSS early types ~3,
    # late-type discs ~2.2-2.4 (Strateva et al. 2001; Shimasaku et al. 2001)
    sim = make_galaxies(24, image_size=64, noise=False, random_state=11,
                        class_fractions={"spiral": 1, "elliptical": 1},
                        companion_fraction=0, star_fraction=0)
    cat = sim.catalog
    conc = (cat.petro_r90 / cat.petro_r50).groupby(cat["class"]).median()
    assert conc["elliptical"] > 2.75 and conc["spiral"] < 2.6


def test_votes_resolvability_bias_is_debiased():
    # raw "features" fractions of the same kind of discs fall with redshift and with
    # apparent size (GZ2's redshift bias); the debiased ones correct it from observables
    from skgalvae.datasets._votes import simulate_votes

    truth = _truth(3000, {"spiral": 1}, seed=12)
    votes = simulate_votes(truth, np.random.default_rng(0))
    z = truth["redshift"].to_numpy()
    near, far = z < np.quantile(z, 1 / 3), z > np.quantile(z, 2 / 3)
    col = "t01_smooth_or_features_a02_features_or_disk_"
    raw, deb = votes[col + "fraction"], votes[col + "debiased"]
    raw_drop = raw[near].mean() - raw[far].mean()
    assert raw_drop > 0.1
    assert abs(deb[near].mean() - deb[far].mean()) < 0.5 * raw_drop
    assert (deb >= raw - 1e-12).all()  # the correction only adds features
    # debiased fractions of a task still sum to what the raw ones sum to
    for task, answers in GZ2_TASKS:
        for kind in ("fraction", "debiased"):
            sums = votes[[f"{task}_{a}_{kind}" for a in answers]].sum(axis=1)
            if kind == "fraction":
                raw_sums = sums
        np.testing.assert_allclose(sums, raw_sums, atol=1e-12)
    hlr = truth["half_light_radius_arcsec"].to_numpy()
    small, large = hlr < np.quantile(hlr, 1 / 3), hlr > np.quantile(hlr, 2 / 3)
    assert raw[large].mean() - raw[small].mean() > 0.15


# ---------------------------------------------------------------------------------------
# Several bands
# ---------------------------------------------------------------------------------------

#: make_galaxies(8, image_size=48, random_state=0).images measured on main before the
#: multi-band simulator: bands="i" (the default) must reproduce it bit for bit.
GOLDEN_I_SHA256 = "f31732969958a4b444dd7da8585d6dcd4f7d4fe931170d6079ac85f3be0bfbed"
ISOLATED = {"companion_fraction": 0.0, "star_fraction": 0.0}


def test_default_i_band_is_bit_for_bit_as_before():
    images = make_galaxies(8, image_size=48, random_state=0).images
    assert images.shape == (8, 48, 48) and images.dtype == np.float32
    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest()
    assert digest == GOLDEN_I_SHA256


@pytest.fixture(scope="module")
def gri():
    return make_galaxies(8, image_size=48, random_state=0, bands="gri",
                         return_noiseless=True)


def test_gri_shapes_and_the_same_galaxies(gri):
    n = 8
    assert gri.images.shape == (n, 3, 48, 48) and gri.images.dtype == np.float32
    assert gri.images_noiseless.shape == (n, 3, 48, 48)
    assert gri.images_noiseless.dtype == np.float32
    assert gri.image_shape == (3, 48, 48) and gri.bands == "gri"
    assert gri.data.shape == (n, 3 * 48 * 48)
    np.testing.assert_array_equal(gri.data[2].reshape(3, 48, 48)[1], gri.images[2, 1])
    # the i channel is the i-only image, and the truth does not depend on the bands
    alone = make_galaxies(8, image_size=48, random_state=0)
    np.testing.assert_array_equal(gri.images[:, 2], alone.images)
    shared = list(alone.catalog.columns)
    assert gri.catalog[shared].equals(alone.catalog)
    for band in "gri":
        assert f"mag_{band}" in gri.catalog and f"flux_{band}" in gri.catalog
    np.testing.assert_allclose(gri.catalog["mag_i"], gri.catalog["magnitude"])
    # the noise of the bands is independent
    resid = (gri.images - gri.images_noiseless)[:, :, :8, :8].reshape(n, 3, -1)
    corr = np.corrcoef(resid[:, 0].ravel(), resid[:, 2].ravel())[0, 1]
    assert abs(corr) < 0.1


def test_bands_order_and_determinism():
    a = make_galaxies(3, image_size=32, random_state=2, bands="ri", noise=False)
    b = make_galaxies(3, image_size=32, random_state=2, bands="ir", noise=False, n_jobs=2)
    np.testing.assert_array_equal(a.images[:, 0], b.images[:, 1])
    np.testing.assert_array_equal(a.images[:, 1], b.images[:, 0])
    # bands without i: the same galaxies (the i band is rendered for the radii only)
    c = make_galaxies(3, image_size=32, random_state=2, bands="gr", noise=False)
    assert c.image_shape == (2, 32, 32)
    np.testing.assert_array_equal(c.images[:, 1], a.images[:, 0])
    np.testing.assert_allclose(c.catalog["petro_r50"], a.catalog["petro_r50"])


def test_catalog_magnitudes_match_the_images():
    # isolated, noiseless galaxies in large stamps: the flux drawn in each band is the
    # catalog's (22.5 - 2.5 log10 f), up to the light beyond the stamp
    sim = make_galaxies(12, image_size=128, random_state=13, bands="gri", noise=False,
                        class_fractions={"spiral": 1, "elliptical": 1}, **ISOLATED)
    cat = sim.catalog
    small = (cat["half_light_radius_arcsec"] < 4).to_numpy()
    assert small.sum() >= 6
    sums = sim.images.sum(axis=(2, 3))
    for k, band in enumerate("gri"):
        mag_img = 22.5 - 2.5 * np.log10(sums[:, k])
        np.testing.assert_allclose(mag_img[small], cat[f"mag_{band}"][small], atol=0.1)
    # colours agree more tightly (the lost light is nearly the same fraction)
    gr_img = -2.5 * np.log10(sums[:, 0] / sums[:, 1])
    np.testing.assert_allclose(gr_img[small], (cat.mag_g - cat.mag_r)[small], atol=0.03)


def test_quiescent_galaxies_are_redder_in_the_images():
    sim = make_galaxies(30, image_size=64, random_state=14, bands="gri", noise=False,
                        class_fractions={"spiral": 1, "elliptical": 1}, **ISOLATED)
    cat = sim.catalog
    sums = sim.images.sum(axis=(2, 3))
    gr = -2.5 * np.log10(sums[:, 0] / sums[:, 1])
    ri = -2.5 * np.log10(sums[:, 1] / sums[:, 2])
    ell = (cat["class"] == "elliptical").to_numpy()
    assert gr[ell].mean() > gr[~ell].mean() + 0.15
    assert ri[ell].mean() > ri[~ell].mean()
    # among the discs, the more star-forming the bluer
    ssfr = cat["log_ssfr"].to_numpy()[~ell]
    assert np.corrcoef(ssfr, gr[~ell])[0, 1] < -0.3
    # the rest-frame truth: bulges (older, more metal-rich) redder than discs
    disc = cat[cat["class"] == "spiral"]
    assert (disc["bulge_g_r"] >= disc["disk_g_r"] - 1e-12).all()
    assert (disc["bulge_g_r"] - disc["disk_g_r"]).mean() > 0.05


def test_bulges_are_redder_than_discs_in_the_images():
    # the same PSF in every band, so that any colour gradient is the galaxy's: the
    # centre (bulge) of a spiral is redder in g - r than its outskirts (disc); an
    # elliptical (one population) has no such gradient
    same_psf = {"g": 1.3, "r": 1.3, "i": 1.3}
    sim = make_galaxies(16, image_size=64, random_state=15, bands="gri", noise=False,
                        psf_fwhm=same_psf, class_fractions={"spiral": 1, "elliptical": 1},
                        **ISOLATED)
    cat = sim.catalog
    y, x = np.indices((64, 64))
    gradients = {"spiral": [], "elliptical": []}
    for image, (_, row) in zip(sim.images, cat.iterrows(), strict=True):
        r = np.hypot(x - row.centre_x, y - row.centre_y) * 0.396
        hlr = row.half_light_radius_arcsec
        inner, outer = r < 0.5 * hlr + 0.5, (r > 1.5 * hlr) & (r < 3 * hlr)
        colour = [-2.5 * np.log10(image[0][m].sum() / image[1][m].sum())
                  for m in (inner, outer)]
        if row["class"] == "spiral" and row.bulge_fraction > 0.15:
            gradients["spiral"].append(colour[0] - colour[1])
        elif row["class"] == "elliptical":
            gradients["elliptical"].append(colour[0] - colour[1])
    assert len(gradients["spiral"]) >= 3 and len(gradients["elliptical"]) >= 3
    assert min(gradients["spiral"]) > 0.01 and np.median(gradients["spiral"]) > 0.03
    assert np.max(np.abs(gradients["elliptical"])) < 0.01


def test_band_psf_and_sky_noise_follow_sdss():
    sim = make_galaxies(6, image_size=64, random_state=16, bands="gri",
                        return_noiseless=True, star_fraction=1.0, companion_fraction=0,
                        class_fractions={"elliptical": 1})
    # seeing ~ lambda^-0.3 (Xin et al. 2018), anchored on the i-band 1.3 arcsec
    lam = rel.EFFECTIVE_WAVELENGTH
    for band in "gr":
        assert sim.psf_fwhm[band] == pytest.approx(1.3 * (lam[band] / lam["i"]) ** -0.3)
    assert sim.psf_fwhm["g"] > sim.psf_fwhm["r"] > sim.psf_fwhm["i"] == 1.3
    # the sky noise scales with the SDSS limiting magnitudes (York et al. 2000)
    assert sim.sky_noise["i"] == 0.044
    assert sim.sky_noise["g"] == pytest.approx(0.044 * 10 ** (-0.4 * (23.3 - 22.3)))
    assert sim.sky_noise["r"] == pytest.approx(0.044 * 10 ** (-0.4 * (23.1 - 22.3)))
    resid = (sim.images - sim.images_noiseless)[:, :, :6, :6]
    for k, band in enumerate("gri"):
        assert resid[:, k].std() == pytest.approx(sim.sky_noise[band], rel=0.2)
    # the star is broader in g than in i: a smaller share of its light in the peak
    peak_share = np.empty((len(sim.images), 3))
    for j, (_, row) in enumerate(sim.catalog.iterrows()):
        x, y = int(round(row.star_x)), int(round(row.star_y))
        for k in range(3):
            box = sim.images_noiseless[j, k, y - 4:y + 5, x - 4:x + 5]
            peak_share[j, k] = box.max() / box.sum()
    assert (peak_share[:, 0] < peak_share[:, 2]).mean() >= 5 / 6


def test_colour_relations():
    # the bulge / disc split keeps the galaxy's colour exactly and the difference D
    total = rel.rest_colours([0.55, 0.7])
    bulge_pop, disk_pop = rel.component_populations(
        np.array([3.0, 6.0]), np.array([-0.2, 0.0]), np.array([0.3, 0.6]))
    bulge, disk = rel.split_colours(total, bulge_pop, disk_pop, np.array([0.3, 0.6]))
    for band in "ugrz":
        flux = 0.3 * 10 ** (-0.4 * bulge[band][0]) + 0.7 * 10 ** (-0.4 * disk[band][0])
        assert -2.5 * np.log10(flux) == pytest.approx(total[band][0], abs=1e-12)
        np.testing.assert_allclose(bulge[band] - disk[band],
                                   bulge_pop[band] - disk_pop[band])
    assert (bulge["g"] - bulge["r"] > disk["g"] - disk["r"]).all()
    # SSP colours (BC03): older and more metal-rich is redder
    ssp = rel.ssp_colours([9.5, 10.0, 10.0], [0.0, 0.0, 0.3])
    gr = ssp["g"] - ssp["r"]
    assert gr[0] < gr[1] < gr[2] and 0.75 < gr[1] < 0.85
    # k-corrections redden a red galaxy's g - r with redshift (an E at z = 0.1 is
    # observed ~0.15-0.2 mag redder: Chilingarian et al. 2010)
    red = rel.rest_colours([0.78])
    obs = rel.observed_colours(red, np.array([0.1]))
    shift = (obs["g"] - obs["r"]) - (red["g"] - red["r"])
    assert 0.1 < shift[0] < 0.25
    assert rel.kcorrection("g", 0.16, -0.8) == pytest.approx(3.593, abs=1e-3)
    # stars: hotter is bluer
    bb = rel.blackbody_colours(np.array([4000.0, 7000.0]))
    assert bb["g"][0] - bb["r"][0] > bb["g"][1] - bb["r"][1] > 0


def test_cww_template_colours():
    # the rest-frame template colours of _relations: the CWW SEDs shipped with GalSim
    # through the SDSS responses shipped with speclite (Doi et al. 2010)
    speclite_filters = pytest.importorskip("speclite.filters")
    import pathlib

    import astropy.units as u

    sdss = speclite_filters.load_filters(*(f"sdss2010-{b}" for b in "ugriz"))
    seds = pathlib.Path(galsim.__file__).parent / "share" / "SEDs"
    for name, expected in zip(rel.CWW_TEMPLATES, rel.CWW_REST_COLOURS, strict=True):
        wave, flam = np.loadtxt(seds / f"CWW_{name}_ext.sed", unpack=True)
        mags = sdss.get_ab_magnitudes(flam * u.erg / u.s / u.cm**2 / u.AA,
                                      wave * u.AA)
        m = np.array([float(mags[c][0]) for c in mags.colnames])
        np.testing.assert_allclose(-np.diff(m), expected, atol=1.5e-3)


def test_cache_of_several_bands(tmp_path):
    kwargs = {"image_size": 32, "random_state": 0, "bands": "gri", "cache": True,
              "data_home": tmp_path}
    a = make_galaxies(3, **kwargs)
    b = make_galaxies(3, **kwargs)
    assert len(list((tmp_path / "simulations").glob("*.npz"))) == 1
    assert b.images.shape == (3, 3, 32, 32) and b.image_shape == (3, 32, 32)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_allclose(a.catalog["mag_g"], b.catalog["mag_g"])
    make_galaxies(3, **{**kwargs, "bands": "i"})  # another key
    assert len(list((tmp_path / "simulations").glob("*.npz"))) == 2


# ---------------------------------------------------------------------------------------
# Presets: make_galaxies(preset="sdss")
# ---------------------------------------------------------------------------------------

SDSS = {"image_size": 32, "preset": "sdss", "random_state": 0}


def _lag1(noise):
    d = noise - noise.mean(axis=(-2, -1), keepdims=True)
    return float((d[..., :, 1:] * d[..., :, :-1]).mean() / (d * d).mean())


@pytest.fixture(scope="module")
def sdss():
    return make_galaxies(6, return_noiseless=True, **SDSS)


def test_sdss_preset_shapes_conditions_and_determinism(sdss):
    assert sdss.images.shape == (6, 32, 32) and sdss.images.dtype == np.float32
    assert sdss.images_noiseless.dtype == np.float32 and sdss.data.shape == (6, 1024)
    assert sdss.pixel_scale == pytest.approx(0.396 * 0.94)
    assert set(sdss.catalog["class"]) <= set(DEFAULT_CLASS_FRACTIONS)
    cat = sdss.catalog
    assert cat["psf_fwhm"].between(0.54, 0.84).all()
    assert cat["sky_noise"].between(0.032, 0.068).all()
    assert cat["resampling_angle"].between(0.0, 45.0).all()
    np.testing.assert_array_equal(sdss.psf_fwhm["i"], cat["psf_fwhm"])
    # the field's stars and galaxies replace the single companion and star
    assert not cat["has_companion"].any() and not cat["has_star"].any()
    assert cat["n_field_sources"].dtype.kind == "i" and "field_x" not in cat
    again = make_galaxies(6, return_noiseless=True, **SDSS)
    np.testing.assert_array_equal(again.images, sdss.images)
    assert not np.array_equal(make_galaxies(6, **{**SDSS, "random_state": 1}).images,
                              sdss.images)


def test_sdss_preset_noise_is_correlated_as_skyview_resamples(sdss):
    # the real cutouts: ~10% of adjacent pixel pairs are copies, lag-1 correlation 0.08
    noise = sdss.images.astype(np.float64) - sdss.images_noiseless
    copies = (sdss.images[:, :, 1:] == sdss.images[:, :, :-1]).mean()
    assert 0.06 < copies < 0.14
    assert 0.04 < _lag1(noise) < 0.15
    white = make_galaxies(6, return_noiseless=True, image_size=32, random_state=0)
    assert abs(_lag1(white.images - white.images_noiseless.astype(np.float64))) < 0.03
    assert (white.images[:, :, 1:] == white.images[:, :, :-1]).mean() < 0.01
    # per pixel, the sky noise is the catalog's
    sky = np.array([np.std(n[:6, :6]) for n in noise])
    np.testing.assert_allclose(np.median(sky / sdss.catalog["sky_noise"]), 1.0, atol=0.25)


def test_sdss_preset_keeps_positions_and_angles_on_the_cutout_grid():
    sim = make_galaxies(4, image_size=64, preset="sdss", noise=False, star_fraction=1.0,
                        companion_fraction=0.0, random_state=3)
    yy, xx = np.mgrid[:64, :64]
    for image, (_, row) in zip(sim.images, sim.catalog.iterrows(), strict=True):
        near = np.hypot(xx - row["star_x"], yy - row["star_y"]) < 4
        y, x = np.unravel_index(np.argmax(np.where(near, image, -1.0)), image.shape)
        assert np.hypot(x - row["star_x"], y - row["star_y"]) <= 1.0
        core = np.hypot(xx - row["centre_x"], yy - row["centre_y"]) < 10
        w = np.where(core & ~near, image, 0.0)
        cx, cy = (w * xx).sum() / w.sum(), (w * yy).sum() / w.sum()
        assert np.hypot(cx - row["centre_x"], cy - row["centre_y"]) < 0.5


def test_preset_settings_are_overridable_and_explicit_defaults_are_the_default():
    sim = make_galaxies(3, psf_fwhm=1.0, resampling="none", **SDSS)
    assert "psf_fwhm" not in sim.catalog and "resampling_angle" not in sim.catalog
    assert sim.psf_fwhm == {"i": 1.0} and sim.pixel_scale == 0.396
    assert "sky_noise" in sim.catalog
    explicit = make_galaxies(8, image_size=48, random_state=0, psf_fwhm=1.3,
                             psf_beta=3.5, sky_noise=0.044, resampling="none",
                             mag_limit=17.0, petrosian_limit=False,
                             field_sources="none", companion_fraction=0.15,
                             star_fraction=0.1)
    digest = hashlib.sha256(np.ascontiguousarray(explicit.images).tobytes()).hexdigest()
    assert digest == GOLDEN_I_SHA256


def test_sdss_preset_in_several_bands_keeps_the_i_band():
    gri = make_galaxies(3, bands="gri", **SDSS)
    assert gri.images.shape == (3, 3, 32, 32)
    np.testing.assert_array_equal(gri.images[:, 2], make_galaxies(3, **SDSS).images)
    assert gri.psf_fwhm["g"] == pytest.approx(gri.psf_fwhm["i"] * 1.5 / 1.3, rel=1e-2)


def test_sersic_truncation_cuts_the_profile_and_keeps_its_half_light_radius():
    from skgalvae.datasets._render import _smooth_profile

    record = {"flux": 100.0, "bulge_fraction": 1.0, "position_angle": 0.0,
              "arm_fraction": 0.0, "knot_fraction": 0.0, "sersic_n": 4.0,
              "bulge_hlr": 1.0, "bulge_axis_ratio": 1.0}
    cut = _smooth_profile(record, trunc=8.0)
    whole = _smooth_profile(record)
    assert cut.xValue(galsim.PositionD(7.9, 0)) > 0 == cut.xValue(galsim.PositionD(8.1, 0))
    assert whole.xValue(galsim.PositionD(8.1, 0)) > 0
    assert cut.flux == pytest.approx(100.0)
    assert cut.original.calculateHLR() == pytest.approx(1.0, rel=1e-3)
    # the untruncated profile with the same scale has a larger half-light radius
    for n in (2.0, 4.0, 6.0):
        u = rel.truncated_sersic_scale(n, 8.0)[0]
        assert u > 1
        assert galsim.Sersic(n, half_light_radius=u).scale_radius == pytest.approx(
            galsim.Sersic(n, half_light_radius=1.0, trunc=8.0).scale_radius, rel=1e-6)


def test_petrosian_fraction_of_a_truncated_profile():
    bt, n = np.array([0.0, 1.0, 1.0, 0.4]), np.array([1.0, 4.0, 6.0, 4.0])
    whole = rel.petrosian_flux_fraction(bt, n)
    cut = rel.petrosian_flux_fraction(bt, n, trunc=8.0)
    assert cut[0] == whole[0]  # a pure disc has no Sersic bulge to cut
    assert (cut[1:] > whole[1:]).all() and (cut <= 1).all()
    np.testing.assert_allclose(rel.petrosian_flux_fraction(bt, n, trunc=1e4), whole,
                               atol=1e-4)


def test_sdss_preset_cuts_sersic_profiles_and_zero_means_no_cut():
    kwargs = {"image_size": 32, "preset": "sdss", "random_state": 3, "noise": False}
    preset = make_galaxies(6, **kwargs)
    explicit = make_galaxies(6, sersic_truncation=8.0, **kwargs)
    uncut = make_galaxies(6, sersic_truncation=0.0, **kwargs)
    np.testing.assert_array_equal(preset.images, explicit.images)
    assert not np.array_equal(preset.images, uncut.images)
    with pytest.raises(ValueError, match="sersic_truncation"):
        make_galaxies(2, image_size=32, sersic_truncation=-1.0)


def test_sdss_preset_field_sources_have_their_own_colours(monkeypatch):
    from skgalvae.datasets import _simulate

    kwargs = {"bands": "gri", "image_size": 64, "preset": "sdss", "noise": False,
              "random_state": 0}
    coloured = make_galaxies(4, **kwargs)
    assert coloured.catalog["n_field_sources"].sum() > 0
    truth = pd.DataFrame({"field_flux": [np.array([1.0, 2.0]), np.array([])],
                          "field_hlr": [np.array([0.0, 0.5]), np.array([])]})
    fluxes = _simulate._field_band_fluxes(truth, "gri", np.random.default_rng(0))
    assert sorted(fluxes) == ["field_flux__g", "field_flux__r"]
    assert [len(f) for f in fluxes["field_flux__g"]] == [2, 0]
    # the star (hlr 0) is a blackbody of 4000-7000 K: g - i between those colours
    g_i = -2.5 * np.log10(fluxes["field_flux__g"][0][0])
    hot, cool = (rel.blackbody_colours(t)["g"] for t in (7000.0, 4000.0))
    assert hot <= g_i <= cool
    # the same sources with the i-band flux in every band: g and r change, i does not
    monkeypatch.setattr(_simulate, "_field_band_fluxes", lambda truth, bands, rng: {
        f"field_flux__{b}": list(truth["field_flux"]) for b in bands if b != "i"})
    grey = make_galaxies(4, **kwargs)
    np.testing.assert_array_equal(coloured.images[:, 2], grey.images[:, 2])
    assert not np.allclose(coloured.images[:, 0], grey.images[:, 0])


@pytest.mark.parametrize("kwargs, match", [
    ({"preset": "hst"}, "preset"),
    ({"preset": "SDSS"}, "preset"),
    ({"resampling": "bilinear"}, "resampling"),
    ({"psf_beta": 1.0}, "psf_beta"),
    ({"field_sources": "many"}, "field_sources"),
    ({"petrosian_limit": "yes"}, "petrosian_limit"),
])
def test_bad_preset_values_say_what_is_allowed(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_galaxies(2, image_size=32, **kwargs)


def test_field_sources_follow_the_measured_counts():
    from skgalvae.datasets import _conditions as cond

    field = cond.draw_field(400, 150, 0.372, np.random.default_rng(0))
    assert field["n_field_sources"].mean() == pytest.approx(6.5, abs=0.4)
    mags = 22.5 - 2.5 * np.log10(np.concatenate(field["field_flux"]))
    assert mags.min() >= 14.5 and mags.max() <= 23.0
    assert 0.4 < np.mean(np.concatenate(field["field_hlr"]) == 0) < 0.6  # stars
    x = np.concatenate(field["field_x"])
    assert x.min() >= -0.5 and x.max() <= 149.5
    sim = make_galaxies(3, field_sources="none", **SDSS)
    assert "n_field_sources" not in sim.catalog


def test_petrosian_limit_sees_spheroids_less_far():
    f = rel.petrosian_flux_fraction(np.array([0.0, 1.0, 1.0]), np.array([1.0, 4.0, 6.0]))
    assert f[0] > 0.98 and 0.78 < f[1] < 0.85 and f[2] < f[1]  # Blanton et al. 2001
    total = _truth(300, {"elliptical": 1}, mag_limit=16.6)
    petro = _truth(300, {"elliptical": 1}, mag_limit=16.6, petrosian_limit=True)
    ratio = np.median(petro["redshift"]) / np.median(total["redshift"])
    assert 0.8 < ratio < 0.95  # ~0.2-0.3 mag fainter: seen to ~88% of the distance


def test_lenticular_fraction_turns_spirals_into_s0_discs_only():
    classes = {"spiral": 0.6, "elliptical": 0.4}
    plain = _truth(200, classes, seed=1)
    s0 = _truth(200, classes, seed=1, lenticular_fraction=1.0,
                lenticular_rng=np.random.default_rng(5))
    spiral = (s0["class"] == "spiral").to_numpy()
    assert spiral.sum() > 80 and s0["lenticular"].to_numpy().tolist() == spiral.tolist()
    bt = s0.loc[spiral, "bulge_fraction"]
    assert bt.between(0.40, 0.75).all() and bt.median() == pytest.approx(0.575, abs=0.05)
    assert (s0.loc[spiral, "sersic_n"] == 4.0).all()
    assert (s0.loc[spiral, ["arm_fraction", "knot_fraction", "n_arms", "n_knots"]]
            == 0).all().all()
    # the other galaxies are drawn exactly as without lenticulars
    cols = ["bulge_fraction", "sersic_n", "redshift", "magnitude", "half_light_radius_kpc"]
    pd_equal = plain.loc[~spiral, cols].to_numpy() == s0.loc[~spiral, cols].to_numpy()
    assert pd_equal.all()
    assert "lenticular" not in plain
    sab = _truth(200, classes, seed=1, early_spiral_fraction=1.0,
                 lenticular_rng=np.random.default_rng(5))
    assert sab["early_spiral"].to_numpy().tolist() == spiral.tolist()
    assert sab.loc[spiral, "bulge_fraction"].between(0.24, 0.40).all()
    assert (sab.loc[spiral, "sersic_n"] == 4.0).all()
    np.testing.assert_array_equal(sab.loc[spiral, "arm_fraction"],
                                  plain.loc[spiral, "arm_fraction"])  # arms kept


def test_lenticular_fraction_keyword_default_and_bad_value():
    zero = make_galaxies(8, image_size=48, random_state=0, lenticular_fraction=0.0)
    digest = hashlib.sha256(np.ascontiguousarray(zero.images).tobytes()).hexdigest()
    assert digest == GOLDEN_I_SHA256 and "lenticular" not in zero.catalog
    some = make_galaxies(12, lenticular_fraction=1.0, **FAST)
    spiral = some.catalog["class"] == "spiral"
    assert some.catalog.loc[spiral, "lenticular"].all()
    assert not some.catalog.loc[~spiral, "lenticular"].any()
    with pytest.raises(ValueError, match="lenticular_fraction"):
        make_galaxies(2, image_size=32, lenticular_fraction=1.5)
    with pytest.raises(ValueError, match="early_spiral_fraction"):
        make_galaxies(2, image_size=32, early_spiral_fraction=-0.1)
    with pytest.raises(ValueError, match="at most 1"):
        make_galaxies(2, image_size=32, lenticular_fraction=0.6,
                      early_spiral_fraction=0.5)


def _face_on_disc(a1, angle=30.0, hlr=3.0, scale=0.1, n=301):
    from skgalvae.datasets._render import _smooth_profile

    p = {"flux": 1.0, "bulge_fraction": 0.0, "position_angle": 20.0, "arm_fraction": 0.0,
         "knot_fraction": 0.0, "bar_fraction": 0.0, "disk_hlr": hlr, "axis_ratio": 1.0,
         "lopsidedness": a1, "lopsided_angle": angle}
    return _smooth_profile(p).drawImage(nx=n, ny=n, scale=scale, method="no_pixel").array


@pytest.mark.parametrize("a1", [0.05, 0.11, 0.19, 0.3])
def test_lopsided_disc_has_the_asked_m1_amplitude_at_1p5_to_2p5_scale_lengths(a1):
    n, scale, hlr = 301, 0.1, 3.0
    img = _face_on_disc(a1, hlr=hlr, scale=scale, n=n)
    y, x = (np.indices(img.shape) - (n - 1) / 2) * scale
    r, phi = np.hypot(x, y) / (hlr / 1.678), np.arctan2(y, x)
    ring = (r > 1.5) & (r < 2.5)
    c = (img[ring] * np.exp(1j * phi[ring])).mean() / img[ring].mean()
    assert 2 * abs(c) == pytest.approx(a1, rel=0.03)  # A1 = a1 / a0 (cosine amplitude)
    assert np.degrees(np.angle(c)) == pytest.approx(20.0 + 30.0, abs=0.1)  # PA + angle
    assert img.sum() == pytest.approx(_face_on_disc(0.0).sum(), rel=1e-4)  # flux kept


def test_lopsided_discs_keyword_default_bad_value_and_asymmetry():
    plain = make_galaxies(8, image_size=48, random_state=0, lopsided_discs=False)
    digest = hashlib.sha256(np.ascontiguousarray(plain.images).tobytes()).hexdigest()
    assert digest == GOLDEN_I_SHA256 and "lopsidedness" not in plain.catalog
    with pytest.raises(ValueError, match="lopsided_discs"):
        make_galaxies(2, image_size=32, lopsided_discs="yes")
    kwargs = {"image_size": 64, "random_state": 2, "noise": False,
              "class_fractions": {"spiral": 0.5, "elliptical": 0.5}, **ISOLATED}
    base = make_galaxies(16, **kwargs)
    lop = make_galaxies(16, lopsided_discs=True, **kwargs)
    spiral = (lop.catalog["class"] == "spiral").to_numpy()
    a1 = lop.catalog["lopsidedness"].to_numpy()
    assert spiral.sum() >= 4 and (a1[spiral] > 0).all() and (a1[~spiral] == 0).all()
    assert np.median(a1[spiral]) == pytest.approx(0.11, rel=0.6)
    # every other draw is as without it: ellipticals identical, same truth columns
    np.testing.assert_array_equal(lop.images[~spiral], base.images[~spiral])
    np.testing.assert_array_equal(lop.catalog["redshift"], base.catalog["redshift"])

    def asym(img, centre=None):  # rotational asymmetry about centre (else the centroid)
        n = img.shape[0]
        cy, cx = ndimage.center_of_mass(img) if centre is None else centre
        c = ndimage.shift(img, ((n - 1) / 2 - cy, (n - 1) / 2 - cx), order=1)
        return np.abs(c - c[::-1, ::-1]).sum() / np.abs(c).sum()

    # the spirals' bulges, bars, arms and knots stay centred on the offset disc
    assert (np.mean([asym(i) for i in lop.images[spiral]])
            > np.mean([asym(i) for i in base.images[spiral]]) + 0.005)
    # the smooth disc alone, about the centre of the bulge it would have: A ~ 1.2 A1
    discs = {a: asym(_face_on_disc(a, scale=0.2, n=151), (75, 75)) for a in (0, 0.11, 0.3)}
    assert discs[0] < 1e-3 and 0.1 < discs[0.11] < 0.16 < 0.3 < discs[0.3] < 0.45
