"""structural_parameters: statmorph's Sersic fit, radii and CAS beside the latents."""

import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from astropy.modeling.models import Sersic2D
from scipy.signal import fftconvolve

from skgalvae.analysis import (
    STRUCTURAL_PARAMETERS,
    gaussian_psf,
    latent_correlations,
    property_scores,
    structural_parameters,
)

pytest.importorskip("statmorph")

_YY, _XX = np.mgrid[:64, :64]


def _sersic(n, r_eff, *, psf=None, noise=1e-4, ellip=0.2, seed=0):
    """A 64x64 single Sersic galaxy (amplitude 1 at r_eff), PSF-convolved, with noise."""
    image = Sersic2D(amplitude=1.0, r_eff=r_eff, n=n, x_0=31.5, y_0=31.5, ellip=ellip,
                     theta=0.7)(_XX, _YY)
    if psf is not None:
        image = fftconvolve(image, psf, mode="same")
    return image + np.random.default_rng(seed).normal(0.0, noise, image.shape)


@pytest.mark.parametrize("n", [1.0, 4.0])
def test_a_sersic_profile_is_recovered(n):
    psf = gaussian_psf(2.5)
    image = _sersic(n, 6.0, psf=psf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # statmorph's warnings never escape
        table = structural_parameters(image[None], psf=psf, sky=0.0)
    row = table.iloc[0]
    assert row["sersic_n"] == pytest.approx(n, rel=0.05)
    assert row["sersic_rhalf"] == pytest.approx(6.0, rel=0.05)
    assert row["sersic_ellip"] == pytest.approx(0.2, abs=0.02)
    assert row["status"] == "ok" and row["flag"] < 4 and row["flag_sersic"] <= 1
    assert 0 < row["r20"] < row["r50"] < row["r80"]
    assert row["concentration"] == pytest.approx(5 * np.log10(row["r80"] / row["r20"]))
    # a more concentrated profile: higher C and Gini
    assert (row["concentration"] > 3.0) == (n == 4.0)
    # warnings are counted, per galaxy and for the batch
    assert row["n_warnings"] == sum(table.attrs["warnings"].values())


def test_columns_units_and_psf_as_a_fwhm():
    image = _sersic(1.0, 5.0, noise=1e-3)
    table = structural_parameters(image.ravel()[None], psf=2.0, pixel_scale=0.5)
    assert list(table.columns[:3]) == ["sersic_n", "sersic_rhalf", "sersic_rhalf_arcsec"]
    assert set(STRUCTURAL_PARAMETERS) <= set(table.columns)
    assert {"flag", "flag_sersic", "sn_per_pixel", "n_warnings", "status"} <= set(
        table.columns)
    for radius in ("sersic_rhalf", "r20", "r50", "r80", "rpetro_circ"):
        assert table[f"{radius}_arcsec"].iloc[0] == pytest.approx(
            0.5 * table[radius].iloc[0])
    assert table["flag"].dtype.kind == "i" and table["flag_sersic"].dtype.kind == "i"


def test_blank_images_give_nan_and_a_flag_in_a_mixed_batch(monkeypatch):
    good = _sersic(1.0, 5.0, noise=1e-2)
    noise = np.random.default_rng(1).normal(0.0, 1e-2, good.shape)
    nan = np.full(good.shape, np.nan)
    images = np.stack([good, np.zeros_like(good), good, nan, noise])
    table = structural_parameters(images)
    assert len(table) == 5 and list(table.index) == list(range(5))
    assert table.loc[[0, 2], "status"].eq("ok").all()
    assert table.loc[0, "sersic_n"] == pytest.approx(table.loc[2, "sersic_n"])
    for i in (1, 3):  # nothing to measure
        assert table.loc[i, list(STRUCTURAL_PARAMETERS)].isna().all()
        assert table.loc[i, "flag"] == 4 and table.loc[i, "flag_sersic"] == 4
        assert table.loc[i, "status"] == "blank image"
    assert table.loc[4, "flag"] >= 1  # pure noise: no galaxy, or a bad measurement

    # statmorph raising on one galaxy: NaN, flag 4 and the reason, never an exception
    import statmorph

    real = statmorph.SourceMorphology

    def flaky(image, *args, **kwargs):
        if image.max() < 0.1:
            raise RuntimeError("boom")
        return real(image, *args, **kwargs)

    monkeypatch.setattr(statmorph, "SourceMorphology", flaky)
    faint = _sersic(1.0, 5.0, noise=1e-3) * 1e-3
    table = structural_parameters(np.stack([good, faint]))
    assert table.loc[0, "status"] == "ok"
    assert table.loc[1, "flag"] == 4 and np.isnan(table.loc[1, "sersic_n"])
    assert table.loc[1, "status"] == "statmorph raised RuntimeError: boom"


def test_parallel_equals_serial():
    images = np.stack([_sersic(1.0, 4.0, noise=1e-2, seed=s) for s in range(2)])
    serial = structural_parameters(images, n_jobs=1)
    parallel = structural_parameters(images, n_jobs=2)
    pd.testing.assert_frame_equal(serial, parallel)


def test_the_table_goes_into_latent_correlations_and_property_scores():
    rng = np.random.default_rng(0)
    r_eff = rng.uniform(3.0, 8.0, 12)
    n = rng.choice([1.0, 2.0, 4.0], 12)
    images = np.stack([_sersic(ni, ri, noise=1e-2, seed=i)
                       for i, (ni, ri) in enumerate(zip(n, r_eff, strict=True))])
    table = structural_parameters(images, sky=0.0)
    Z = np.column_stack([r_eff + rng.normal(0, 0.2, 12), rng.normal(size=12)])
    corr = latent_correlations(Z, table, n_bootstrap=0, feature_names=["size", "noise"])
    assert set(STRUCTURAL_PARAMETERS) <= set(corr.index)
    assert "status" not in corr.index  # text: left out
    assert corr.loc["sersic_rhalf", ("r", "size")] > 0.9
    corr = latent_correlations(Z, table, columns=list(STRUCTURAL_PARAMETERS),
                               method="spearman", n_bootstrap=0)
    assert list(corr.index) == list(STRUCTURAL_PARAMETERS)
    scores = property_scores(Z, None, table, ["sersic_rhalf", "r50"], cv=3, random_state=0)
    assert scores.loc["sersic_rhalf", ("r2", "linear")] > 0.8


def test_segmentation_maps_can_be_given():
    image = _sersic(1.0, 5.0, noise=1e-2)
    labels = np.zeros(image.shape, dtype=int)
    labels[12:52, 12:52] = 1
    labels[:5, :5] = 2  # another source: masked
    table = structural_parameters(image[None], segmentation=labels[None])
    assert table.loc[0, "status"] == "ok"
    table = structural_parameters(image[None], segmentation=np.zeros((1, 64, 64), int))
    assert table.loc[0, "status"] == "no source in the segmentation"
    with pytest.raises(ValueError, match="segmentation has shape"):
        structural_parameters(image[None], segmentation=labels)


def test_bad_psf_is_refused():
    with pytest.raises(ValueError, match="psf must be a 2-D image of odd sides"):
        structural_parameters(np.zeros((1, 16, 16)), psf=np.ones((4, 4)))


def test_gaussian_psf():
    psf = gaussian_psf(4.0, size=20)
    assert psf.shape == (21, 21) and psf.sum() == pytest.approx(1.0)
    assert np.unravel_index(psf.argmax(), psf.shape) == (10, 10)
    # half maximum at fwhm / 2 from the centre
    profile = psf[10] / psf[10, 10]
    assert np.interp(2.0, np.arange(11), profile[10:]) == pytest.approx(0.5, abs=0.01)


def test_missing_statmorph_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "statmorph", None)  # as if not installed
    with pytest.raises(ImportError, match=r'pip install "skgalvae\[morphology\]"'):
        structural_parameters(np.zeros((1, 16, 16)))
