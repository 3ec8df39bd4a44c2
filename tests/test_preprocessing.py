"""Behaviour of the preprocessing transformers: values, shapes, round trips, errors."""

import pickle

import numpy as np
import pytest
from scipy import ndimage
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

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

from .conftest import gaussian_galaxy, gaussian_galaxy_cube


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


def test_centroid_and_angle_share_the_weights_and_match_the_separate_calls(rng):
    from skgalvae.preprocessing._moments import (
        _grid,
        central_centroid,
        centroid_and_angle,
        orientation_angle,
    )

    image = gaussian_galaxy((40, 50), centre=(22.25, 23.5), sigma_major=6,
                            sigma_minor=2, angle_deg=-35) * 50
    image = image + rng.normal(0, 0.05, image.shape).astype(np.float32)
    centre, angle = centroid_and_angle(image, radius=12)
    assert centre == central_centroid(image, radius=12)
    assert angle == orientation_angle(image, centre=centre, radius=12)
    assert centre == pytest.approx((22.25, 23.5), abs=0.1)
    assert angle == pytest.approx(-35.0, abs=1.0)
    yy, xx = _grid((40, 50))
    assert _grid((40, 50))[0] is yy and not yy.flags.writeable
    np.testing.assert_array_equal(np.stack([yy, xx]), np.indices((40, 50)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_median_from_one_partition_is_numpys_median(rng, dtype):
    from skgalvae.preprocessing._moments import median, middle_values

    for n in [1, 2, 3, 10, 11, 1024, 22500, 22501]:
        x = rng.normal(size=n).astype(dtype)
        for values in (x, np.round(x, 1), np.abs(x) * 0.0):  # ties, all zero
            got, want = median(values), np.median(values)
            assert got == want and type(got) is type(want)
    x = rng.normal(size=101).astype(dtype)
    x[7] = np.nan
    assert np.isnan(median(x))
    x[7] = np.inf
    assert median(x) == np.median(x)
    before = x.copy()
    value, part = middle_values(x, 49, 50)
    np.testing.assert_array_equal(x, before)  # the input is not partitioned
    assert value == np.mean(np.sort(x)[49:51]) and part[50] == np.sort(x)[50]


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
    with pytest.raises(ValueError, match="method"):
        Recentre(method="median").fit(images)


def test_n_jobs_gives_same_result(galaxy_stack):
    images, _ = galaxy_stack
    with threadpool_limits(1):  # as the workers' BLAS (see the next test)
        one = make_preprocessing_pipeline(output_shape=24, n_jobs=1).fit_transform(images)
    two = make_preprocessing_pipeline(output_shape=24, n_jobs=2).fit_transform(images)
    np.testing.assert_array_equal(one, two)


def test_pipeline_in_worker_processes_is_exactly_the_sequential_pipeline():
    from skgalvae.datasets import load_sdss_sample
    from skgalvae.preprocessing._pipeline import PreprocessingPipeline

    X = load_sdss_sample().images[:7]  # 7 rows: chunks of 3 and 4
    one = make_preprocessing_pipeline(output_shape=32)
    two = make_preprocessing_pipeline(output_shape=32, n_jobs=2)
    assert isinstance(two, PreprocessingPipeline) and isinstance(two, Pipeline)
    # the workers run their BLAS on one thread: bit for bit the sequential pipeline
    # with one BLAS thread (multi-threaded, the Resizer's matrix products round
    # differently, by about one float32 ulp)
    with threadpool_limits(1):
        expected = one.fit_transform(X)
    np.testing.assert_allclose(one.fit_transform(X), expected, rtol=0, atol=3e-7)
    np.testing.assert_array_equal(two.fit_transform(X), expected)
    np.testing.assert_array_equal(two.transform(X[::-1]), expected[::-1])  # row order
    np.testing.assert_array_equal(two.fit(X[:2]).transform(X), expected)
    assert two.named_steps["mask"].n_jobs == 2  # the workers' copies ran with None
    assert two[:3].n_jobs == 2 and two[:3].transform(X).shape == (7, 150 * 150)
    # a data-dependent last step is fitted here, on all the rows
    glob = {"output_shape": 32, "normalize": "global"}
    g_one = make_preprocessing_pipeline(**glob).fit(X)
    g_two = make_preprocessing_pipeline(**glob, n_jobs=2)
    with threadpool_limits(1):
        g_expected = g_one.transform(X)
    np.testing.assert_array_equal(g_two.fit_transform(X), g_expected)
    assert g_two.named_steps["log"].scale_ == g_one.named_steps["log"].scale_
    # sequential fallbacks give the same rows
    with threadpool_limits(1):  # the fallback runs here, sequentially
        frame = make_preprocessing_pipeline(output_shape=32, n_jobs=2).set_output(
            transform="pandas").fit_transform(X)
    np.testing.assert_array_equal(frame.to_numpy(), expected)
    assert clone(two).get_params()["n_jobs"] == 2
    with pytest.raises(ValueError, match="NaN"):
        bad = X.copy()
        bad[5, 3, 3] = np.nan
        two.transform(bad)


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


# --------------------------------------------------------------------- several bands
def _band_alone(estimator, cube_stack, k):
    """What ``estimator`` makes of band ``k`` of each galaxy given as one-band images."""
    band = np.ascontiguousarray(cube_stack[:, k])
    return clone(estimator).fit(band).transform(band).reshape(len(band), -1)


def _bands_of(out, n, c):
    return out.reshape(n, c, -1)


def test_multiband_images_are_accepted_and_one_band_is_unchanged(galaxy_stack,
                                                                multiband_galaxy_stack):
    # was: test_shape_mismatch_and_bad_values expected "Multi-band" images to be
    # rejected; (n, c, h, w) now works and (n, 1, h, w) is the one-band case
    cubes, _ = multiband_galaxy_stack
    images, _ = galaxy_stack
    for est in (BackgroundSubtractor(), CompanionMasker(), Recentre(),
                MajorAxisRotator(), CentreCrop(size=20), Resizer(output_shape=12),
                LogScaler()):
        fitted = clone(est).fit(cubes)
        assert tuple(fitted.image_shape_) == (3, 48, 48)
        assert fitted.n_features_in_ == 3 * 48 * 48
        one = clone(est).fit_transform(images)
        np.testing.assert_array_equal(clone(est).fit_transform(images[:, None]), one)
        np.testing.assert_array_equal(
            clone(est).fit_transform(images.reshape(len(images), -1)), one)


@pytest.mark.parametrize("est", [BackgroundSubtractor(), CentreCrop(size=(20, 30)),
                                 Resizer(output_shape=(12, 16)),
                                 Resizer(output_shape=96, preserve_flux=False)],
                         ids=["background", "crop", "resize", "upsample"])
def test_per_band_steps_treat_each_band_as_a_one_band_image(est, multiband_galaxy_stack):
    cubes, _ = multiband_galaxy_stack
    out = clone(est).fit(cubes)
    bands = _bands_of(out.transform(cubes), len(cubes), 3)
    for k in range(3):  # bit for bit the one-band transformer on that band
        np.testing.assert_array_equal(bands[:, k], _band_alone(est, cubes, k))
    if hasattr(out, "output_shape_"):
        assert out.output_shape_[0] == 3
        assert len(out.get_feature_names_out()) == bands[0].size


def test_background_subtractor_removes_each_bands_own_sky(multiband_galaxy_stack):
    cubes, _ = multiband_galaxy_stack  # skies 0.1, 0.2, 0.3
    out = BackgroundSubtractor().fit_transform(cubes).reshape(cubes.shape)
    levels = (cubes - out)[:, :, 0, 0]
    # (the extended g band leaves a little galaxy light in its clipped sky)
    np.testing.assert_allclose(levels, np.broadcast_to([0.1, 0.2, 0.3], levels.shape),
                               atol=5e-3)


def _offset_cube(offset, angle=20.0):
    centre = (31.5 + offset[0], 31.5 + offset[1])
    return gaussian_galaxy_cube((64, 64), centre=centre, angle_deg=angle)


@pytest.mark.parametrize("reference_band", [-1, 0, "sum"])
def test_recentre_shifts_every_band_by_the_same_offset(reference_band):
    cube = _offset_cube((3, -2))[None]  # shifted by (3, -2) pixels in every band
    rc = Recentre(reference_band=reference_band).fit(cube)
    shift = 31.5 - rc.centroids(cube)[0]
    np.testing.assert_allclose(shift, (-3, 2), atol=0.05)
    out = rc.transform(cube).reshape(3, 64, 64)
    for k in range(3):  # one and the same shift in each band
        expected = ndimage.shift(cube[0, k], shift, order=1, mode="constant", cval=0.0)
        np.testing.assert_array_equal(out[k], expected)
        centred = Recentre().fit(out[k][None]).centroids(out[k][None])[0]
        np.testing.assert_allclose(centred, 31.5, atol=0.1)


def test_recentre_measures_on_the_reference_band_only():
    # band g holds an off-centre knot: its own centroid is elsewhere, the shift is i's
    cube = _offset_cube((3, -2))
    cube[0] += gaussian_galaxy((64, 64), centre=(40.0, 36.0), sigma_major=2,
                               sigma_minor=2, flux=40)
    cubes = cube[None]
    i_only = Recentre().fit(cubes[:, 2]).centroids(cubes[:, 2])
    g_only = Recentre().fit(cubes[:, 0]).centroids(cubes[:, 0])
    np.testing.assert_array_equal(Recentre().fit(cubes).centroids(cubes), i_only)
    np.testing.assert_array_equal(
        Recentre(reference_band=0).fit(cubes).centroids(cubes), g_only)
    assert np.abs(g_only - i_only).max() > 0.5
    summed = cubes.sum(axis=1)
    np.testing.assert_array_equal(
        Recentre(reference_band="sum").fit(cubes).centroids(cubes),
        Recentre().fit(summed).centroids(summed))
    # the reference band comes out as the one-band Recentre makes it, bit for bit
    out = Recentre(reference_band=0).fit(cubes).transform(cubes).reshape(3, 64, 64)
    np.testing.assert_array_equal(out[0], _band_alone(Recentre(), cubes, 0)[0].reshape(64, 64))


@pytest.mark.parametrize("reference_band", [-1, 1, "sum"])
def test_rotator_derotates_every_band_identically(reference_band):
    cube = gaussian_galaxy_cube((64, 64), angle_deg=35.0)[None]
    rot = MajorAxisRotator(reference_band=reference_band).fit(cube)
    assert rot.orientations(cube)[0] == pytest.approx(35.0, abs=0.5)
    out = rot.transform(cube).reshape(1, 3, 64, 64)
    # the same rotation, about the same centre, in every band
    from skgalvae.preprocessing._geometry import _major_axis_transform

    ref = {-1: cube[0, 2], 1: cube[0, 1], "sum": cube[0].sum(axis=0)}[reference_band]
    matrix, offset = _major_axis_transform(ref, radius=None)
    for k in range(3):
        expected = ndimage.affine_transform(cube[0, k], matrix, offset=offset, order=1,
                                            mode="constant", cval=0.0)
        np.testing.assert_array_equal(out[0, k], expected)
        band = out[:, k]
        assert MajorAxisRotator().fit(band).orientations(band)[0] == pytest.approx(
            0.0, abs=0.5)


def test_rotator_uses_the_reference_bands_angle_for_all_bands():
    # g drawn at 60 degrees, r and i at 20: every band turns by i's 20 degrees
    cube = gaussian_galaxy_cube((64, 64), angle_deg=20.0)
    cube[0] = gaussian_galaxy((64, 64), sigma_major=7, sigma_minor=3.5, angle_deg=60,
                              flux=40)
    out = MajorAxisRotator().fit(cube[None]).transform(cube[None]).reshape(3, 64, 64)
    angles = [MajorAxisRotator().fit(b[None]).orientations(b[None])[0] for b in out]
    np.testing.assert_allclose(angles, [40.0, 0.0, 0.0], atol=0.7)
    np.testing.assert_array_equal(
        out[2], _band_alone(MajorAxisRotator(), cube[None], 2)[0].reshape(64, 64))


def _companion_cube(rng, *, companion_bands=(0, 1, 2)):
    shape = (64, 64)
    cube = gaussian_galaxy_cube(shape, angle_deg=30.0, fluxes=(200.0, 300.0, 400.0))
    for k, flux in zip(companion_bands, (30.0, 45.0, 60.0)):
        cube[k] += gaussian_galaxy(shape, centre=(10.0, 52.0), sigma_major=1.5,
                                   sigma_minor=1.5, flux=flux)
    cube += np.array([0.1, 0.2, 0.3], np.float32)[:, None, None]
    return cube + rng.normal(0, 0.02, cube.shape).astype(np.float32)


@pytest.mark.parametrize("fill", ["symmetric", "noise", "median"])
def test_companion_masker_masks_the_same_pixels_in_every_band(rng, fill):
    cubes = _companion_cube(rng)[None]
    masker = CompanionMasker(fill=fill, random_state=0).fit(cubes)
    mask = masker.companion_masks(cubes)[0]
    assert mask.shape == (64, 64) and mask[10, 52] and not mask[32, 32]
    out = masker.transform(cubes).reshape(3, 64, 64)
    box = (slice(5, 16), slice(47, 58))
    for k, sky in enumerate((0.1, 0.2, 0.3)):
        np.testing.assert_array_equal(out[k][~mask], cubes[0, k][~mask])
        # each band filled from its own sky: the companion's light is gone
        assert abs((out[k][box] - sky).mean()) < 0.05
        if fill == "median":
            assert len(np.unique(out[k][mask])) == 1
    # the reference band is masked as the one-band masker masks it, bit for bit
    alone = _band_alone(CompanionMasker(fill=fill, random_state=0), cubes, 2)
    np.testing.assert_array_equal(out[2].ravel(), alone[0])


def test_companion_masker_detects_on_the_reference_band(rng):
    # a blue companion, in g only: invisible in i (the default), found in g or the sum
    cubes = _companion_cube(rng, companion_bands=(0,))[None]
    assert not CompanionMasker().fit(cubes).companion_masks(cubes)[0, 10, 52]
    for reference_band in (0, "sum"):
        masks = CompanionMasker(reference_band=reference_band).fit(cubes).companion_masks(
            cubes)
        assert masks[0, 10, 52] and not masks[0, 32, 32]


def test_log_scaler_joint_keeps_colours_per_band_fills_each_band(multiband_galaxy_stack):
    cubes, _ = multiband_galaxy_stack
    cubes = BackgroundSubtractor().fit_transform(cubes).reshape(cubes.shape)
    n = len(cubes)
    joint = _bands_of(LogScaler(stretch=1.0).fit_transform(cubes), n, 3)
    per_band = _bands_of(LogScaler(stretch=1.0, channels="per_band").fit_transform(cubes),
                         n, 3)
    np.testing.assert_allclose(per_band.max(axis=2), 1.0)
    # joint: one reference for the galaxy, so the fainter g band stays fainter than i
    np.testing.assert_allclose(joint.max(axis=(1, 2)), 1.0)
    assert np.all(joint[:, 0].max(axis=1) < joint[:, 2].max(axis=1))
    stretched = np.arcsinh(np.maximum(cubes, 0).reshape(n, 3, -1))
    ratio = joint / np.where(stretched > 0, stretched, np.nan)  # the same in every band
    np.testing.assert_allclose(np.nanmax(ratio, axis=2), np.nanmin(ratio, axis=2),
                               rtol=1e-5)


@pytest.mark.parametrize("channels", ["joint", "per_band"])
@pytest.mark.parametrize("normalize", ["global", None])
def test_log_scaler_multiband_round_trip(multiband_galaxy_stack, channels, normalize):
    cubes, _ = multiband_galaxy_stack
    cubes = cubes.astype(np.float64)
    scaler = LogScaler(normalize=normalize, percentile=100, channels=channels).fit(cubes)
    if channels == "per_band":
        assert scaler.scale_.shape == (3,)
        if normalize == "global":
            stretched = np.arcsinh(cubes / 0.05)
            np.testing.assert_allclose(scaler.scale_, stretched.max(axis=(0, 2, 3)))
    Xt = scaler.transform(cubes)
    np.testing.assert_allclose(scaler.inverse_transform(Xt), cubes.reshape(len(cubes), -1),
                               rtol=1e-6, atol=1e-9)
    flat = LogScaler(normalize=normalize, percentile=100, channels=channels,
                     image_shape=(3, 48, 48)).fit(cubes.reshape(len(cubes), -1))
    np.testing.assert_array_equal(flat.transform(cubes.reshape(len(cubes), -1)), Xt)


def test_log_scaler_per_band_on_one_band_is_joint(galaxy_stack):
    images, _ = galaxy_stack
    for normalize in ("per_image", "global"):
        joint = LogScaler(normalize=normalize).fit_transform(images)
        np.testing.assert_allclose(
            LogScaler(normalize=normalize, channels="per_band").fit_transform(images),
            joint, rtol=1e-6)


def test_pipeline_on_identical_bands_repeats_the_one_band_output():
    from skgalvae.datasets import load_sdss_sample

    X = load_sdss_sample().images[:4]
    cubes = np.stack([X, X, X], axis=1)
    kw = {"output_shape": 24, "crop": 96}
    one = make_preprocessing_pipeline(**kw).fit_transform(X)
    pipe = make_preprocessing_pipeline(**kw, image_shape=cubes.shape[1:])
    with threadpool_limits(1):  # as the workers' BLAS, compared below
        out = pipe.fit_transform(cubes.reshape(4, -1))
    assert out.shape == (4, 3 * 24 * 24) and out.dtype == np.float32
    np.testing.assert_array_equal(out.reshape(4, 3, -1), np.stack([one] * 3, axis=1))
    np.testing.assert_array_equal(pipe.transform(cubes), out)  # (n, c, h, w) input too
    two = make_preprocessing_pipeline(**kw, image_shape=cubes.shape[1:], n_jobs=2)
    np.testing.assert_array_equal(two.fit_transform(cubes.reshape(4, -1)), out)  # workers
    np.testing.assert_array_equal(two.transform(cubes), out)


def test_pipeline_passes_reference_band_and_log_channels():
    pipe = make_preprocessing_pipeline(reference_band="sum", log_channels="per_band",
                                       image_shape=(3, 80, 80), crop=60, output_shape=32)
    for name in ("mask", "recentre", "rotate"):
        assert pipe.named_steps[name].reference_band == "sum"
        assert pipe.named_steps[name].image_shape == (3, 80, 80)
    assert pipe.named_steps["resize"].image_shape == (3, 60, 60)
    assert pipe.named_steps["log"].channels == "per_band"
    assert pipe.named_steps["log"].image_shape == (3, 32, 32)
    with pytest.raises(ValueError, match="log_channels"):
        make_preprocessing_pipeline(log_channels="colour")


def test_band_of_another_shape_or_count_is_rejected(multiband_galaxy_stack):
    cubes, _ = multiband_galaxy_stack
    rc = Recentre().fit(cubes)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(3, 48, 48\) but "
                                         r"got images of shape \(2, 48, 48\)"):
        rc.transform(cubes[:, :2])
    with pytest.raises(ValueError, match=r"fitted on images of shape \(3, 48, 48\) but "
                                         r"got images of shape \(3, 40, 40\)"):
        rc.transform(cubes[:, :, :40, :40])
    # flat rows that are not bands * height * width of the image_shape
    with pytest.raises(ValueError, match=r"image_shape=\(3, 48, 40\) does not match"):
        Recentre(image_shape=(3, 48, 40)).fit(cubes.reshape(len(cubes), -1))
    with pytest.raises(ValueError, match="inhomogeneous"):  # bands of unequal shapes
        Recentre().fit([[np.zeros((8, 8)), np.zeros((8, 6))]])
    for est in (Recentre(reference_band=3), MajorAxisRotator(reference_band=-4),
                CompanionMasker(reference_band=5)):
        with pytest.raises(ValueError, match=r"reference_band=-?\d\) names no band of "
                                             r"images with 3 band"):
            est.fit(cubes)
    with pytest.raises(ValueError, match="reference_band"):
        Recentre(reference_band="i").fit(cubes)
    with pytest.raises(ValueError, match="names no band of images with 1 band"):
        Recentre(reference_band=1).fit(cubes[:, 0])


@pytest.mark.parametrize("est", [
    BackgroundSubtractor(), CompanionMasker(fill="noise", random_state=0),
    Recentre(reference_band="sum"), MajorAxisRotator(), CentreCrop(size=10),
    Resizer(output_shape=8), LogScaler(channels="per_band", normalize="global"),
    LogScaler()], ids=lambda est: type(est).__name__)
def test_multiband_estimator_contract(est, multiband_galaxy_stack):
    # sklearn's estimator checks feed rows that are no images (one band); this is the
    # part of their contract that matters on real (n, 3, h, w) galaxies
    cubes, _ = multiband_galaxy_stack
    cubes = cubes[:, :, 8:40, 8:40].copy()  # (8, 3, 32, 32)
    flat = cubes.reshape(len(cubes), -1)
    fitted = clone(est).fit(cubes)
    out = fitted.transform(cubes)
    assert out.dtype == np.float32 and len(out) == len(cubes)
    np.testing.assert_array_equal(clone(est).fit_transform(cubes), out)
    on_flat = clone(est).set_params(image_shape=(3, 32, 32)).fit(flat)
    np.testing.assert_array_equal(on_flat.transform(flat), out)
    np.testing.assert_array_equal(fitted.transform(cubes[[5, 2]]), out[[5, 2]])
    np.testing.assert_array_equal(fitted.transform(cubes[::-1]), out[::-1])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).transform(cubes), out)
    assert fitted.n_features_in_ == 3 * 32 * 32
    assert len(fitted.get_feature_names_out()) == out.shape[1]
    assert fitted.transform(cubes.astype(np.float64)).dtype == np.float64
