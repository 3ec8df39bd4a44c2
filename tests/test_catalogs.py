"""Readers of the real catalogs in ../shared/data, and crossmatch on real positions."""

import astropy.units as u
import numpy as np
import pandas as pd
import pytest

from skgalvae.datasets import (
    crossmatch,
    read_gswlc,
    read_gz2_table,
    read_gz_mergers,
    read_gz_quench,
)

from .conftest import shared_data


@pytest.fixture(scope="module")
def gz2():
    return read_gz2_table(shared_data("gz2_stripe82", "gz2_table5_stripe82.csv.gz"))


@pytest.fixture(scope="module")
def quench():
    return read_gz_quench(shared_data("gz_quench", "gz_quench_sample_control.csv.gz"))


def test_read_gz2_table(gz2):
    assert gz2.shape == (19761, 228)
    frac = gz2["t01_smooth_or_features_a01_smooth_fraction"]
    assert frac.between(0, 1).all()
    t01 = gz2[[c for c in gz2.columns if c.startswith("t01") and
               c.endswith("_fraction") and "weighted" not in c]].sum(axis=1)
    np.testing.assert_allclose(t01, 1.0, atol=1e-3)


def test_read_gz_quench_sentinels(quench):
    assert len(quench) == 6004
    assert quench["LOG_MASS"].isna().sum() == 117
    assert quench["SFR"].isna().sum() == 144
    assert quench["V_DISP"].isna().sum() == 122 + 18  # 0 and the 850 cap
    assert (quench["V_DISP_ERR"].dropna() >= 0).all()
    assert quench["LUMINOSITY_DISTANCE"].isna().sum() == 2
    assert quench["LOG_MASS"].min() > 6 and quench["PETRO_R50"].notna().all()


def test_read_gz_mergers_sentinels():
    df = read_gz_mergers(shared_data("gz_mergers", "mergers_mpajhu_bpt.csv.gz"))
    assert len(df) == 2978
    assert df["specz2"].isna().sum() >= 2305 and (df["specz2"].dropna() > -1).all()
    assert df["u_abs_2"].min() > -100 and df["ra2"].notna().all()
    assert df["SPECOBJID"].isna().sum() == 36
    with_gz2 = read_gz_mergers(shared_data("gz_mergers", "mergers_gz2.csv.gz"))
    assert "t06_odd_a14_yes_fraction" in with_gz2 and len(with_gz2) == 1786


def test_crossmatch_quench_with_gz2(gz2, quench):
    joined, sep = crossmatch(quench, gz2, max_sep=2.0)
    assert 215 <= len(joined) <= 240  # the data README: about 227
    assert (sep <= 2.0).all() and len(sep) == len(joined)
    assert {"LOG_MASS", "t01_smooth_or_features_a01_smooth_fraction",
            "separation_arcsec", "index_b"} <= set(joined.columns)
    # rows line up: the GZ2 row at index_b is the one joined
    first = joined.iloc[0]
    np.testing.assert_allclose(gz2.iloc[int(first.index_b)]["ra"], first["ra"])
    np.testing.assert_allclose(first["RA"], first["ra"], atol=2 / 3600 / np.cos(
        np.radians(first["DEC"])))
    wider, _ = crossmatch(quench, gz2, max_sep=10 * u.arcsec)
    assert len(wider) >= len(joined)
    left, sep_left = crossmatch(quench, gz2, how="left")
    assert len(left) == len(quench) and np.isnan(sep_left).sum() == len(quench) - len(
        joined)
    assert left.index.equals(quench.index)


def test_crossmatch_errors():
    a = pd.DataFrame({"ra": [1.0], "dec": [2.0]})
    with pytest.raises(KeyError, match="ra/dec"):
        crossmatch(a, pd.DataFrame({"x": [1.0]}))
    with pytest.raises(ValueError, match="how"):
        crossmatch(a, a, how="outer")
    joined, _ = crossmatch(a.rename(columns={"ra": "lon", "dec": "lat"}), a,
                           columns_a=("lon", "lat"))
    assert len(joined) == 1


def test_read_gswlc_rejects_other_formats(tmp_path):
    bad = tmp_path / "x.dat"
    bad.write_text("1 2 3\n")
    with pytest.raises(ValueError, match="24"):
        read_gswlc(bad)
    with pytest.raises(FileNotFoundError):
        read_gswlc(tmp_path / "missing.dat")
    with pytest.raises(KeyError):
        notgz2 = tmp_path / "t.csv"
        notgz2.write_text("a,b\n1,2\n")
        read_gz2_table(notgz2)
