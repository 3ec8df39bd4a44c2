"""Behaviour of the preprocessing transformers: values, shapes, round trips, errors."""

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from skgalvae.preprocessing import (
    BackgroundSubtractor,
    CentreCrop,
    CompanionMasker,
    LogScaler,
    MajorAxisRotator,
    Recentre,
    Resizer,
    make_preprocessing_pipeline,
)

from .conftest import gaussian_galaxy


def test_background_subtractor_removes_sky(galaxy_stack):
    images, _ = galaxy_stack
    out = BackgroundSubtractor().fit_transform(images).reshape(images.shape)
    border = np.concatenate([out[:, :5].ravel(), out[:, -5:].ravel()])
    assert abs(np.median(border)) < 2e-3
    # the galaxy itself is untouched apart from the constant
    assert np.allclose(images - out, (images - out)[:, :1, :1], atol=1e-6)


@pytest.mark.parametrize("offset", [(3.3, -2.7), (-5.0, 4.25), (0.4, 0.0)])
@pytest.mark.parametrize("method", ["centroid", "peak"])
def test_recentre_recovers_known_offset(offset, method):
    shape = (64, 64)
    centre = (31.5 + offset[0], 31.5 + offset[1])
    image = gaussian_galaxy(shape, centre=centre, sigma_major=4, sigma_minor=3, angle_deg=20)
    rc = Recentre(method=method).fit(image[None])
    found = rc.centroids(image[None])[0]
    tol = 0.5 if method == "centroid" else 1.0  # the peak is a whole pixel
    assert np.all(np.abs(found - centre) < tol)
    moved = rc.transform(image[None])
    after = Recentre().fit(moved).centroids(moved)[0]
    assert np.all(np.abs(after - 31.5) < tol)


@pytest.mark.parametrize("angle", [-75.0, -30.0, 12.5, 45.0, 88.0])
def test_rotator_recovers_known_angle(angle):
    image = gaussian_galaxy((64, 64), sigma_major=8, sigma_minor=3, angle_deg=angle)
    rot = MajorAxisRotator().fit(image[None])
    measured = rot.orientations(image[None])[0]
    diff = (measured - angle + 90) % 180 - 90
    assert abs(diff) < 2.0
    rotated = rot.transform(image[None])
    assert abs(rot.orientations(rotated)[0]) < 2.0
    # the rotated galaxy is horizontal: its variance along x (columns) is the larger
    img = rotated.reshape(64, 64)
    yy, xx = np.indices(img.shape)
    var_x = (img * (xx - 31.5) ** 2).sum() / img.sum()
    var_y = (img * (yy - 31.5) ** 2).sum() / img.sum()
    assert var_x / var_y == pytest.approx((8 / 3) ** 2, rel=0.1)


def test_rotator_with_noise_and_sky(galaxy_stack):
    images, angles = galaxy_stack
    images = BackgroundSubtractor().fit_transform(images)
    rot = MajorAxisRotator().fit(images)
    diff = (rot.orientations(images) - angles + 90) % 180 - 90
    assert np.all(np.abs(diff) < 2.0)


@pytest.mark.parametrize("out_shape", [(32, 32), (50, 50), (20, 30), (96, 96)])
def test_resizer_preserves_flux(out_shape):
    image = gaussian_galaxy((64, 64), sigma_major=5, sigma_minor=2.5, angle_deg=30)
    out = Resizer(output_shape=out_shape).fit_transform(image[None])
    assert out.shape == (1, out_shape[0] * out_shape[1])
    assert out.sum() == pytest.approx(image.sum(), rel=0.01)
    sb = Resizer(output_shape=out_shape, preserve_flux=False).fit_transform(image[None])
    assert sb.max() == pytest.approx(image.max(), rel=0.25)


def test_resizer_feature_names_and_dtype():
    X = np.ones((2, 16, 16), dtype=np.float32)
    rs = Resizer(output_shape=4).fit(X)
    assert rs.transform(X).dtype == np.float32
    names = rs.get_feature_names_out()
    assert len(names) == 16 and names[0] == "resizer0"


def test_centre_crop():
    X = np.arange(2 * 10 * 10, dtype=float).reshape(2, 10, 10)
    out = CentreCrop(size=(4, 6)).fit_transform(X).reshape(2, 4, 6)
    np.testing.assert_array_equal(out, X[:, 3:7, 2:8])
    with pytest.raises(ValueError, match="larger than the images"):
        CentreCrop(size=12).fit(X)


def test_log_scaler_round_trip():
    rng = np.random.default_rng(1)
    X = rng.uniform(0.0, 50.0, size=(5, 64))
    for method in ("asinh", "log"):
        scaler = LogScaler(method=method, normalize="global", percentile=100).fit(X)
        Xt = scaler.transform(X)
        assert Xt.min() >= 0 and Xt.max() <= 1
        np.testing.assert_allclose(scaler.inverse_transform(Xt), X, rtol=1e-6, atol=1e-9)
        unscaled = LogScaler(method=method, normalize=None).fit(X)
        np.testing.assert_allclose(unscaled.inverse_transform(unscaled.transform(X)), X,
                                   rtol=1e-6, atol=1e-9)


def test_log_scaler_per_image_and_floor():
    X = np.array([[-1.0, 0.0, 0.05, 1.0], [0.0, 2.0, 20.0, 200.0]])
    Xt = LogScaler().fit_transform(X)
    assert np.allclose(Xt.max(axis=1), 1.0)
    assert Xt[0, 0] == 0.0  # below the floor
    assert np.all(np.diff(Xt, axis=1) >= 0)  # monotonic
    with pytest.raises(ValueError, match="cannot be inverted"):
        LogScaler().fit(X).inverse_transform(Xt)


def test_shape_inputs_agree(galaxy_stack):
    images, _ = galaxy_stack
    bg = BackgroundSubtractor()
    a = bg.fit_transform(images)
    b = bg.fit_transform(images[:, None])
    c = BackgroundSubtractor(image_shape=(48, 48)).fit_transform(images.reshape(12, -1))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    assert bg.image_shape_ == (48, 48)


def test_non_square_needs_image_shape():
    X = np.ones((3, 6 * 4))
    with pytest.warns(UserWarning, match="not a perfect square"):
        assert Recentre().fit(X).image_shape_ == (1, 24)
    assert Recentre(image_shape=(6, 4)).fit(X).image_shape_ == (6, 4)
    with pytest.raises(ValueError, match="does not match the 24 features"):
        Recentre(image_shape=(5, 5)).fit(X)


def test_shape_mismatch_and_bad_values(galaxy_stack):
    images, _ = galaxy_stack
    rot = MajorAxisRotator().fit(images)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(48, 48\)"):
        rot.transform(np.ones((2, 40, 40)))
    bad = images.copy()
    bad[0, 3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        rot.transform(bad)
    with pytest.raises(ValueError, match="Multi-band"):
        rot.fit(np.ones((2, 3, 8, 8)))
    with pytest.raises(ValueError, match="method"):
        Recentre(method="median").fit(images)


def test_n_jobs_gives_same_result(galaxy_stack):
    images, _ = galaxy_stack
    one = make_preprocessing_pipeline(output_shape=24, n_jobs=1).fit_transform(images)
    two = make_preprocessing_pipeline(output_shape=24, n_jobs=2).fit_transform(images)
    np.testing.assert_array_equal(one, two)


def test_pipeline_on_real_sample_and_set_output():
    from skgalvae.datasets import load_sdss_sample

    X = load_sdss_sample().images[:6]
    pipe = make_preprocessing_pipeline(output_shape=32, crop=96)
    assert isinstance(pipe, Pipeline)
    assert [name for name, _ in pipe.steps] == [
        "background", "mask", "recentre", "rotate", "crop", "resize", "log"]
    out = pipe.fit_transform(X)
    assert out.shape == (6, 1024) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    assert np.allclose(out.max(axis=1), 1)
    # rows are never dropped or reordered
    np.testing.assert_array_equal(pipe.transform(X[::-1]), out[::-1])
    pandas_pipe = make_preprocessing_pipeline(output_shape=32, crop=96)
    frame = pandas_pipe.set_output(transform="pandas").fit_transform(X)
    assert list(frame.columns[:2]) == ["resizer0", "resizer1"]
    np.testing.assert_array_equal(frame.to_numpy(), out)


def _galaxy_with_companion(rng, *, companion_at=(10.0, 52.0), companion_flux=60.0):
    shape = (64, 64)
    galaxy = gaussian_galaxy(shape, sigma_major=5, sigma_minor=3, angle_deg=30, flux=400)
    companion = gaussian_galaxy(shape, centre=companion_at, sigma_major=1.5,
                                sigma_minor=1.5, flux=companion_flux)
    noise = rng.normal(0, 0.02, shape).astype(np.float32)
    return galaxy + noise, galaxy + companion + noise


@pytest.mark.parametrize("fill", ["symmetric", "noise", "median"])
def test_companion_masker_removes_companion_keeps_target(rng, fill):
    without, with_companion = _galaxy_with_companion(rng)
    masker = CompanionMasker(fill=fill).fit(with_companion[None])
    out = masker.transform(with_companion[None]).reshape(64, 64)
    box = (slice(5, 16), slice(47, 58))
    # the companion's 60 units of flux are gone: what is left is sky-level noise
    assert abs(out[box].sum()) < 1.5 and with_companion[box].sum() > 50
    mask = masker.companion_masks(with_companion[None])[0]
    assert mask[10, 52] and not mask[32, 32]
    # every pixel outside the mask is untouched, the target's included
    np.testing.assert_array_equal(out[~mask], with_companion[~mask])
    if fill == "median":
        assert len(np.unique(out[mask])) == 1


def test_companion_masker_symmetric_fill_restores_target_light(rng):
    # a companion on the target's major axis, 12 px out: the point-symmetric pixels carry
    # the target's light under it, sky noise leaves a hole
    shape = (64, 64)
    target = gaussian_galaxy(shape, sigma_major=8, sigma_minor=4, flux=400)
    target += rng.normal(0, 0.02, shape).astype(np.float32)
    image = target + gaussian_galaxy(shape, centre=(31.5, 43.5), sigma_major=1.5,
                                     sigma_minor=1.5, flux=40)
    mask = CompanionMasker().fit(image[None]).companion_masks(image[None])[0]
    assert mask[31, 43] and not mask[31, 31]
    err = {fill: np.abs(CompanionMasker(fill=fill).fit_transform(image[None])
                        .reshape(shape)[mask] - target[mask]).mean()
           for fill in ("symmetric", "noise")}
    assert err["symmetric"] < 0.1 and err["noise"] > 2.5 * err["symmetric"]


def test_companion_masker_leaves_lone_galaxy_alone(galaxy_stack):
    images, _ = galaxy_stack
    out = CompanionMasker().fit_transform(images).reshape(images.shape)
    np.testing.assert_array_equal(out, images)
    blank = np.zeros((2, 32, 32), dtype=np.float32)  # no sky noise, no source
    np.testing.assert_array_equal(CompanionMasker().fit_transform(blank), blank.reshape(2, -1))


def test_companion_masker_is_batch_invariant_and_reproducible(rng):
    stack = np.stack([_galaxy_with_companion(rng)[1] for _ in range(4)])
    masker = CompanionMasker(fill="noise", random_state=3).fit(stack)
    batch = masker.transform(stack)
    np.testing.assert_array_equal(masker.transform(stack[2:3]), batch[2:3])
    np.testing.assert_array_equal(masker.transform(stack), batch)
    np.testing.assert_array_equal(
        CompanionMasker(fill="noise", random_state=3, n_jobs=2).fit_transform(stack), batch)
    other = CompanionMasker(fill="noise", random_state=4).fit_transform(stack)
    assert not np.array_equal(other, batch)


def test_companion_masker_deblends_touching_companion(rng):
    # a companion close enough that the two share one detection segment
    _, blended = _galaxy_with_companion(rng, companion_at=(31.5, 44.0), companion_flux=80)
    split = CompanionMasker(deblend=True).fit(blended[None]).companion_masks(blended[None])
    joint = CompanionMasker(deblend=False).fit(blended[None]).companion_masks(blended[None])
    assert split[0, 31, 44] and not split[0, 31, 31]
    assert not joint.any()


def test_companion_masker_errors():
    with pytest.raises(ValueError, match="fill"):
        CompanionMasker(fill="zeros").fit(np.zeros((2, 16, 16)))
    with pytest.raises(ValueError, match="NaN|infinity"):
        CompanionMasker().fit(np.full((2, 16, 16), np.nan))


@pytest.mark.parametrize("case", ["lone", "companion", "blended", "two_blended", "offset"])
def test_companion_masker_fast_path_matches_straightforward_path(rng, case):
    # deblending only the target's segment, and only when it has a second peak, fast
    # statistics, separable smoothing and one-pass dilation mask exactly the same pixels
    from skgalvae.preprocessing._companions import companion_mask_one

    shape = (64, 64)
    image = gaussian_galaxy(shape, sigma_major=5, sigma_minor=3, angle_deg=30, flux=400)
    extra = {"lone": [], "companion": [((10.0, 52.0), 60.0)],
             "blended": [((31.5, 44.0), 80.0), ((8.0, 10.0), 30.0)],
             "two_blended": [((31.5, 44.0), 80.0), ((22.0, 24.0), 50.0)],
             "offset": [((48.0, 40.0), 40.0)]}[case]
    for centre, flux in extra:
        image = image + gaussian_galaxy(shape, centre=centre, sigma_major=1.5,
                                        sigma_minor=1.5, flux=flux)
    if case == "offset":  # the target is off the centre pixel: its nearest segment
        image = np.roll(image, (12, 12), axis=(0, 1))
    image = image + rng.normal(0, 0.02, shape).astype(np.float32)
    params = {"nsigma": 2.0, "n_pixels": 10, "deblend": True, "n_levels": 32,
              "contrast": 0.005, "kernel_fwhm": 3.0, "dilate": 2}
    fast = companion_mask_one(image, **params)
    slow = companion_mask_one(image, **params, _reference=True)
    np.testing.assert_array_equal(fast[0], slow[0])
    assert fast[1] == slow[1] and fast[2] == slow[2]  # the same sky statistics
    np.testing.assert_array_equal(fast[3] == fast[4], slow[3] == slow[4])  # target
    np.testing.assert_allclose(fast[5], slow[5], rtol=0, atol=1e-12)
    if case in ("companion", "blended", "two_blended"):
        assert fast[0].any()
    masker = CompanionMasker(random_state=0).fit(image[None])
    np.testing.assert_array_equal(masker.companion_masks(image[None])[0], slow[0])


def test_companion_masker_helpers_are_exact(rng):
    from astropy.stats import sigma_clipped_stats
    from scipy import ndimage

    from skgalvae.preprocessing._companions import _clipped_stats, _dilate

    for _ in range(20):
        values = rng.normal(rng.uniform(-1, 1), rng.uniform(0.01, 2), rng.integers(50, 5000))
        values[: rng.integers(0, 100)] += rng.exponential(20)
        assert _clipped_stats(values) == tuple(
            sigma_clipped_stats(values, sigma=3.0, maxiters=5)[1:])
        mask = rng.random((30, 41)) < 0.02
        mask[0, 0] = True
        for radius in (1, 2, 3):
            np.testing.assert_array_equal(
                _dilate(mask, radius), ndimage.binary_dilation(mask, iterations=radius))
