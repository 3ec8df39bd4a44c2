"""Tests of the GalSim survey simulator (skgalvae.datasets.make_galaxies)."""

import galsim
import numpy as np
import pytest
from scipy import ndimage

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
    ({"band": "r"}, "band"),
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
