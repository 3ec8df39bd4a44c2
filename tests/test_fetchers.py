"""Tests of the download helper and the fetchers, offline: a local HTTP server and a
fake SkyView / VizieR client stand in for the internet."""

import gzip
import hashlib
import http.server
import inspect
import io
import subprocess
import sys
import textwrap
import threading
import warnings
from functools import partial
from urllib.parse import parse_qs

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from astropy.table import MaskedColumn, Table

from skgalvae.datasets import (
    _catalogs,
    _seed,
    fetch_gswlc,
    fetch_gz2_catalog,
    fetch_rcsed,
    fetch_sdss_cutouts,
    fetch_seed_sample,
)
from skgalvae.datasets._download import (
    IncompleteDownloadError,
    UnverifiedDownloadWarning,
    download_file,
    download_many,
)
from skgalvae.datasets._skyview import cutout_name
from skgalvae.io import FITSLoader

from .conftest import shared_data


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        server.requests.append(self.path)
        route, _, query = self.path.partition("?")
        if route in server.routes:  # a dynamic page: body from the query's parameters
            body = server.routes[route](parse_qs(query))
        else:
            body = server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        if server.fail.get(self.path, 0) > 0:
            server.fail[self.path] -= 1
            self.send_error(503)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path in server.truncate:
            self.wfile.write(body[: len(body) // 2])  # then hang up
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files, httpd.fail, httpd.truncate, httpd.requests = {}, {}, set(), []
    httpd.routes = {}
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _sha(data):
    return hashlib.sha256(data).hexdigest()


PAYLOAD = b"ra,dec\n1.0,2.0\n" * 1000


def test_download_and_cache_hit(server, tmp_path):
    server.files["/a.csv"] = PAYLOAD
    path = download_file(f"{server.url}/a.csv", tmp_path / "a.csv",
                         known_hash=_sha(PAYLOAD), backoff=0)
    assert path.read_bytes() == PAYLOAD
    download_file(f"{server.url}/a.csv", tmp_path / "a.csv", known_hash=_sha(PAYLOAD))
    download_file(f"{server.url}/a.csv", tmp_path / "a.csv")  # no hash: trusted
    assert server.requests == ["/a.csv"]


def test_stale_cached_file_is_replaced(server, tmp_path):
    server.files["/a.csv"] = PAYLOAD
    (tmp_path / "a.csv").write_bytes(b"old")
    download_file(f"{server.url}/a.csv", tmp_path / "a.csv",
                  known_hash=f"sha256:{_sha(PAYLOAD)}", backoff=0)
    assert (tmp_path / "a.csv").read_bytes() == PAYLOAD


def test_checksum_mismatch_raises_and_keeps_nothing(server, tmp_path):
    server.files["/a.csv"] = PAYLOAD
    with pytest.raises(ValueError, match="(?i)hash"):
        download_file(f"{server.url}/a.csv", tmp_path / "a.csv", known_hash="0" * 64,
                      retries=1, backoff=0)
    assert list(tmp_path.iterdir()) == []
    assert len(server.requests) == 2  # one retry


def test_interrupted_download_leaves_no_partial_file(server, tmp_path):
    # the server announces Content-Length N, sends N/2 and hangs up; no hash is known
    server.files["/big.bin"] = PAYLOAD
    server.truncate.add("/big.bin")
    with pytest.raises(IncompleteDownloadError,
                       match=rf"big\.bin.*announced {len(PAYLOAD)} \(Content-Length\)"
                       ".*closed early") as err:
        download_file(f"{server.url}/big.bin", tmp_path / "big.bin", retries=1,
                      backoff=0)
    assert f"{server.url}/big.bin" in str(err.value)
    assert isinstance(err.value, OSError)  # retried like the network errors
    assert len(server.requests) == 2  # one retry
    assert list(tmp_path.iterdir()) == []  # nothing under the final name


def test_retries_with_backoff(server, tmp_path):
    server.files["/a.csv"] = PAYLOAD
    server.fail["/a.csv"] = 2
    download_file(f"{server.url}/a.csv", tmp_path / "a.csv", retries=3, backoff=0.01)
    assert len(server.requests) == 3
    server.fail["/b.csv"] = 5
    server.files["/b.csv"] = PAYLOAD
    with pytest.raises(Exception, match="503"):
        download_file(f"{server.url}/b.csv", tmp_path / "b.csv", retries=1, backoff=0)
    assert not (tmp_path / "b.csv").exists()


def test_download_many_resumes(server, tmp_path):
    items = []
    for k in range(3):
        body = PAYLOAD + bytes([k])
        server.files[f"/f{k}"] = body
        items.append((f"{server.url}/f{k}", f"f{k}.csv", _sha(body)))
    paths = download_many(items, tmp_path, backoff=0)
    assert [p.name for p in paths] == ["f0.csv", "f1.csv", "f2.csv"]
    paths[1].unlink()  # an interrupted batch
    server.requests.clear()
    download_many(items, tmp_path, backoff=0)
    assert server.requests == ["/f1"]


# ----------------------------------------------------------------------- SkyView
#: What the fake SkyView adds to the RA in each band's pixels (the i band: nothing).
BAND_OFFSET = {"SDSSg": 1000.0, "SDSSr": 2000.0, "SDSSi": 0.0}


class FakeSkyView:
    """Stands in for astroquery.skyview.SkyView: records calls, can fail at first.

    Its pixels are the position's RA plus BAND_OFFSET of the survey."""

    def __init__(self, fail_first=0):
        self.calls = []
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def get_images(self, position, survey, **kwargs):
        with self.lock:
            self.calls.append((position, survey, kwargs))
            if self.fail_first > 0:
                self.fail_first -= 1
                raise OSError("SkyView is busy")
        n = int(kwargs["pixels"])
        ra = position.icrs.ra.deg  # a SkyCoord: never a string astroquery cannot parse
        data = np.full((n, n), ra + BAND_OFFSET[survey[0]], dtype=np.float32)
        return [fits.HDUList([fits.PrimaryHDU(data)])]


POSITIONS = pd.DataFrame({"ra": [229.466862, 230.52248, 10.0],
                          "dec": [33.636321, 33.14859, -1.25]})


def test_fetch_sdss_cutouts_names_cache_and_resume(tmp_path):
    client = FakeSkyView()
    paths = fetch_sdss_cutouts(POSITIONS, size=16, data_home=tmp_path, client=client,
                               verbose=0)
    assert paths[0].name == "sdss_i_229.46686+33.63632.fits.gz"
    assert paths[2].name == cutout_name(10.0, -1.25) + ".fits.gz"
    assert paths[0].parent == tmp_path / "sdss_cutouts"
    position, survey, kwargs = client.calls[0]
    assert survey == ["SDSSi"] and kwargs["pixels"] == "16"
    with fits.open(paths[1]) as hdul:
        assert hdul[0].header["BAND"] == "i"
        assert hdul[0].header["RA"] == pytest.approx(230.52248)
    # a second call is served from the cache; a lost file is the only one fetched
    paths[1].unlink()
    client.calls.clear()
    bunch = fetch_sdss_cutouts(POSITIONS, size=16, data_home=tmp_path, client=client,
                               verbose=0, return_images=True)
    assert len(client.calls) == 1
    assert client.calls[0][0].icrs.ra.deg == pytest.approx(230.52248)
    assert bunch.images.shape == (3, 16, 16)
    np.testing.assert_allclose(bunch.images[:, 0, 0], POSITIONS.ra, rtol=1e-6)
    assert list(bunch.catalog.name) == [p.name[:-8] for p in paths]
    assert not list((tmp_path / "sdss_cutouts").glob("*.part"))


def test_fetch_sdss_cutouts_retries_and_threads(tmp_path, monkeypatch):
    monkeypatch.setenv("SKGALVAE_DATA", str(tmp_path))
    client = FakeSkyView(fail_first=2)
    paths = fetch_sdss_cutouts(POSITIONS.to_numpy(), size=8, client=client, n_jobs=2,
                               backoff=0.0, verbose=0)
    assert all(p.exists() for p in paths) and paths[0].parent.parent == tmp_path
    assert len(client.calls) == 5  # 3 cutouts + 2 failures retried
    with pytest.raises(OSError, match="busy"):
        fetch_sdss_cutouts([[1.0, 2.0]], size=8, client=FakeSkyView(fail_first=9),
                           retries=1, backoff=0.0, verbose=0)
    assert not (tmp_path / "sdss_cutouts" / f"{cutout_name(1.0, 2.0)}.fits.gz").exists()


def test_fetch_sdss_cutouts_rejects_bad_coordinates(tmp_path):
    with pytest.raises(ValueError, match="coordinates"):
        fetch_sdss_cutouts(np.zeros((2, 3)), data_home=tmp_path, client=FakeSkyView())
    with pytest.raises(KeyError, match="ra/dec"):
        fetch_sdss_cutouts(pd.DataFrame({"x": [1]}), data_home=tmp_path,
                           client=FakeSkyView())


def test_fetch_sdss_cutouts_gri_one_cached_file_per_band(tmp_path):
    client = FakeSkyView()
    i_only = fetch_sdss_cutouts(POSITIONS, size=16, data_home=tmp_path, client=client,
                                verbose=0)
    assert len(client.calls) == 3
    client.calls.clear()
    paths = fetch_sdss_cutouts(POSITIONS, size=16, bands="gri", data_home=tmp_path,
                               client=client, verbose=0)
    # the i band was cached: only g and r are fetched, one query per galaxy and band
    assert sorted(c[1][0] for c in client.calls) == ["SDSSg"] * 3 + ["SDSSr"] * 3
    assert isinstance(paths, pd.DataFrame) and list(paths.columns) == ["g", "r", "i"]
    assert list(paths["i"]) == i_only
    assert paths.loc[0, "g"].name == "sdss_g_229.46686+33.63632.fits.gz"
    for band in "gri":
        with fits.open(paths.loc[1, band]) as hdul:
            assert hdul[0].header["BAND"] == band
            assert hdul[0].header["SURVEY"] == f"SDSS{band}"
    # FITSLoader reads the table as one path column per band
    X = FITSLoader(bands="gri").fit_transform(paths)
    cubes = X.reshape(3, 3, 16, 16)
    for k, survey in enumerate(["SDSSg", "SDSSr", "SDSSi"]):
        np.testing.assert_allclose(cubes[:, k, 0, 0], POSITIONS.ra + BAND_OFFSET[survey],
                                   rtol=1e-6)
    # a lost band is the only file fetched again; return_images reads all bands
    paths.loc[2, "r"].unlink()
    client.calls.clear()
    bunch = fetch_sdss_cutouts(POSITIONS, size=16, bands="gri", data_home=tmp_path,
                               client=client, verbose=0, return_images=True)
    assert [c[1] for c in client.calls] == [["SDSSr"]]
    assert bunch.images.shape == (3, 3, 16, 16) and bunch.image_shape == (3, 16, 16)
    np.testing.assert_array_equal(bunch.data, X)
    assert bunch.bands == "gri" and "path_r" in bunch.catalog
    assert bunch.catalog.name[0] == "sdss_gri_229.46686+33.63632"
    assert list(bunch.catalog.path_g) == [str(p) for p in paths["g"]]


def test_fetch_sdss_cutouts_band_alias_and_bad_bands(tmp_path):
    client = FakeSkyView()
    paths = fetch_sdss_cutouts(POSITIONS, size=8, data_home=tmp_path, client=client,
                               verbose=0)
    with pytest.warns(FutureWarning, match="band= is deprecated.*bands="):
        again = fetch_sdss_cutouts(POSITIONS, size=8, band="i", data_home=tmp_path,
                                   client=client, verbose=0)
    assert again == paths and len(client.calls) == 3
    with pytest.raises(ValueError, match="bands='gri' and band='g' disagree"):
        fetch_sdss_cutouts(POSITIONS, bands="gri", band="g", client=client)
    with pytest.raises(ValueError, match="must name SDSS bands, each once"):
        fetch_sdss_cutouts(POSITIONS, bands="gx", client=client)
    with pytest.raises(ValueError, match="survey='SDSSi' names one SkyView survey"):
        fetch_sdss_cutouts(POSITIONS, bands="gr", survey="SDSSi", client=client)
    client.calls.clear()
    fetch_sdss_cutouts(POSITIONS[:1], size=8, bands="gr", survey="SDSS{band}",
                       data_home=tmp_path / "t", client=client, verbose=0)
    assert [c[1] for c in client.calls] == [["SDSSg"], ["SDSSr"]]


#: The parts of NASA SkyView's web form that astroquery.skyview reads (its basic form:
#: a <form> whose action runs the query, the survey <select>s with an id).
SKYVIEW_FORM = b"""<html><body>
<form action="runquery.pl" method="get">
<input type="text" name="Position" value="">
<select name="survey" id="sdss" multiple>
<option>SDSSg</option><option>SDSSr</option><option>SDSSi</option></select>
<input type="text" name="pixels" value="300">
<input type="submit" value="Submit">
</form></body></html>"""


def _skyview_server(server):
    """Route a local server like SkyView: the form, the query page, the FITS files."""
    from astropy.wcs import WCS

    def runquery(params):
        survey = params["survey"][0]
        ra, dec = (float(v) for v in params["Position"][0].split())
        n = int(params["pixels"][0])
        side = float(params["size"][0].split(",")[0])  # degrees
        wcs = WCS(naxis=2)
        wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
        wcs.wcs.crval = [ra, dec]
        wcs.wcs.crpix = [(n + 1) / 2, (n + 1) / 2]
        wcs.wcs.cdelt = [-side / n, side / n]
        data = np.full((n, n), ra + BAND_OFFSET[survey], np.float32)
        name = f"/tempspace/fits/skv{len(server.files)}_{survey}.fits"
        buffer = io.BytesIO()
        fits.PrimaryHDU(data, header=wcs.to_header()).writeto(buffer)
        server.files[name] = buffer.getvalue()
        return f'<html><body><a href="{name}">FITS</a></body></html>'.encode()

    server.routes["/basicform.pl"] = lambda params: SKYVIEW_FORM
    server.routes["/runquery.pl"] = runquery


def test_fetch_sdss_cutouts_gri_through_astroquery_against_a_local_server(server,
                                                                           tmp_path):
    skyview = pytest.importorskip("astroquery.skyview")
    from astroquery import cache_conf

    _skyview_server(server)
    client = skyview.SkyViewClass()
    client.URL = f"{server.url}/basicform.pl"
    with cache_conf.set_temp("cache_active", False), warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        bunch = fetch_sdss_cutouts(POSITIONS[:2], size=16, bands="gri",
                                   data_home=tmp_path, client=client, verbose=0,
                                   return_images=True)
    queries = [parse_qs(r.partition("?")[2]) for r in server.requests
               if r.startswith("/runquery.pl")]
    assert sorted(q["survey"][0] for q in queries) == sorted(["SDSSg", "SDSSr",
                                                              "SDSSi"] * 2)
    assert {q["pixels"][0] for q in queries} == {"16"}
    assert {q["projection"][0] for q in queries} == {"Tan"}
    # the position arrives as coordinates, never through a name resolver
    sent = {tuple(float(v) for v in q["Position"][0].split()) for q in queries}
    assert sent == {(229.467, 33.6363), (230.522, 33.1486)}
    assert bunch.images.shape == (2, 3, 16, 16)
    for k, survey in enumerate(["SDSSg", "SDSSr", "SDSSi"]):
        np.testing.assert_allclose(bunch.images[:, k, 0, 0],
                                   np.array([229.467, 230.522]) + BAND_OFFSET[survey],
                                   rtol=1e-6)
    with fits.open(bunch.catalog.path_r[0]) as hdul:  # SkyView's WCS is kept
        assert hdul[0].header["CTYPE1"] == "RA---TAN" and hdul[0].header["BAND"] == "r"
    # the bands share one pixel grid (FITSLoader checked their WCS); cached afterwards
    server.requests.clear()
    fetch_sdss_cutouts(POSITIONS[:2], size=16, bands="gri", data_home=tmp_path,
                       client=client, verbose=0)
    assert server.requests == []


# ----------------------------------------------------------------------- catalogs
def test_fetch_gz2_stripe82_checks_registered_hash(server, tmp_path, monkeypatch):
    source = shared_data("gz2_stripe82", "gz2_table5_stripe82.csv.gz")
    server.files["/table5.csv.gz"] = source.read_bytes()
    entry = dict(_catalogs.REGISTRY["gz2_stripe82"], url=f"{server.url}/table5.csv.gz")
    monkeypatch.setitem(_catalogs.REGISTRY, "gz2_stripe82", entry)
    gz2 = fetch_gz2_catalog(sample="stripe82", data_home=tmp_path, verbose=0)
    assert gz2.shape == (19761, 228)
    assert (tmp_path / "catalogs" / "gz2_table5_stripe82.csv.gz").exists()
    # a corrupted server copy fails the registered hash
    server.files["/table5.csv.gz"] = b"not the table"
    (tmp_path / "catalogs" / "gz2_table5_stripe82.csv.gz").unlink()
    with pytest.raises(ValueError):
        fetch_gz2_catalog(sample="stripe82", data_home=tmp_path, retries=0, verbose=0)
    with pytest.raises(ValueError, match="sample"):
        fetch_gz2_catalog(sample="dr17")


GSWLC_ROWS = (
    "1237648702966988820 6374883083117625669 266 51630 7 146.71421 -1.04128 0.0214 "
    "1.07 9.4 0.04 -0.05 0.1 1.5 0.3 0.6 0.1 0.3 0.1 0 2 -0.1 -0.2 1\n"
    "1237648702967120000 -99 267 51608 8 146.9 -1.0 0.08 -99 -99.0 -99.0 -99.0 -99.0 "
    "-99 -99 -99 -99 -99 -99 1 0 -99 -99 1\n"
)


def test_fetch_gswlc_sentinels(server, tmp_path, monkeypatch):
    body = GSWLC_ROWS.encode()
    server.files["/GSWLC-X2.dat"] = body
    entry = dict(_catalogs.REGISTRY["gswlc_x2"], url=f"{server.url}/GSWLC-X2.dat",
                 filename="GSWLC-X2.dat")
    monkeypatch.setitem(_catalogs.REGISTRY, "gswlc_x2", entry)
    df = fetch_gswlc(data_home=tmp_path, known_hash=_sha(body), verbose=0)
    assert list(df.columns[:3]) == ["OBJID", "GLXID", "PLATE"]
    assert df.loc[0, "LOGMSTAR"] == pytest.approx(9.4)
    assert np.isnan(df.loc[1, "LOGMSTAR"]) and np.isnan(df.loc[1, "LOGSFRSED"])
    assert df["DEC"].tolist() == df["DECL"].tolist()


class FakeVizier:
    calls = 0

    def __init__(self, columns, row_limit):
        self.columns = columns

    def get_catalogs(self, catalog):
        type(self).calls += 1
        table = Table({"_RAJ2000": [1.0, 2.0], "_DEJ2000": [0.5, 0.6],
                       "Age": MaskedColumn([3.2, 0.0], mask=[False, True])})
        return [table]


def test_fetch_rcsed_from_vizier_is_cached(tmp_path):
    df = fetch_rcsed(data_home=tmp_path, vizier=FakeVizier, verbose=0)
    assert np.isnan(df.loc[1, "Age"]) and df.loc[0, "Age"] == 3.2
    again = fetch_rcsed(data_home=tmp_path, vizier=FakeVizier, verbose=0)
    assert FakeVizier.calls == 1
    pd.testing.assert_frame_equal(df, again, check_dtype=False)


def test_fetch_seed_sample_chain(tmp_path, monkeypatch):
    gz2 = pd.DataFrame({
        "ra": [10.0, 11.0, 12.0], "dec": [0.0, 0.1, 0.2],
        "t01_smooth_or_features_a01_smooth_fraction": [0.8, 0.1, 0.2],
        "t01_smooth_or_features_a03_star_or_artifact_fraction": [0.0, 0.0, 0.0],
        "t02_edgeon_a05_no_fraction": [0.0, 0.9, 0.1],
        "t06_odd_a15_no_fraction": [0.9, 0.8, 0.9],
    })
    gswlc = pd.DataFrame({"RA": [10.0002, 11.0], "DECL": [0.0, 0.1],
                          "LOGMSTAR": [10.5, 9.8]})
    rcsed = pd.DataFrame({"_RAJ2000": [11.0], "_DEJ2000": [0.1], "Age": [5.0]})
    monkeypatch.setattr(_seed, "fetch_gswlc", lambda **kw: gswlc)
    monkeypatch.setattr(_seed, "fetch_rcsed", lambda **kw: rcsed)
    monkeypatch.setattr(_seed, "fetch_sdss_cutouts",
                        partial(fetch_sdss_cutouts, client=FakeSkyView(), size=8))
    seed = fetch_seed_sample(gz2=gz2, data_home=tmp_path, verbose=0)
    cat = seed.catalog
    assert cat.ra.tolist() == [10.0, 11.0]  # the edge-on third galaxy is cut
    assert cat.LOGMSTAR.tolist() == [10.5, 9.8]
    assert np.isnan(cat.Age.iloc[0]) and cat.Age.iloc[1] == 5.0
    assert all(p.exists() for p in seed.paths)
    only_first = fetch_seed_sample(gz2=gz2, data_home=tmp_path, verbose=0,
                                   selection=lambda t: t.ra < 10.5)
    assert len(only_first.catalog) == 1


@pytest.mark.remote_data
def test_fetch_sdss_cutout_from_skyview(tmp_path):
    paths = fetch_sdss_cutouts([[229.46686, 33.63632]], data_home=tmp_path, verbose=0)
    with fits.open(paths[0]) as hdul:
        assert hdul[0].data.shape == (150, 150)


@pytest.mark.remote_data
def test_fetch_gz2_stripe82_from_github(tmp_path):
    gz2 = fetch_gz2_catalog(sample="stripe82", data_home=tmp_path, verbose=0)
    assert gz2.shape == (19761, 228)


# ------------------------------------------------------------ registry and hashes
def test_every_registry_entry_has_a_sha256_or_is_marked_unverified():
    _catalogs.check_registry()
    for key, entry in _catalogs.REGISTRY.items():
        if entry["known_hash"] is None:
            assert entry["verified"] is False, key
        else:
            assert entry["known_hash"].startswith("sha256:"), key
            assert len(entry["known_hash"]) == len("sha256:") + 64, key
    with pytest.raises(ValueError, match="'mystery'.*no known_hash"):
        _catalogs.check_registry({"mystery": {"url": "u", "filename": "f",
                                              "known_hash": None}})
    with pytest.raises(ValueError, match="'short'.*64"):
        _catalogs.check_registry({"short": {"url": "u", "filename": "f",
                                            "known_hash": "sha256:abc"}})
    # the fetchers of the unverified files say so in their docstrings
    for fetcher in (fetch_gz2_catalog, fetch_gswlc, fetch_seed_sample):
        doc = " ".join(inspect.getdoc(fetcher).split())
        assert "unverified" in doc.lower() and "integrity is not checked" in doc, fetcher


GZ2_TINY = (b"ra,dec,t01_smooth_or_features_a01_smooth_fraction\n"
            b"10.0,0.5,0.7\n11.0,0.6,0.2\n")


def test_unverified_download_warns_that_integrity_is_not_checked(server, tmp_path,
                                                                  monkeypatch):
    body = gzip.compress(GZ2_TINY)
    server.files["/gz2_hart16.csv.gz"] = body
    entry = dict(_catalogs.REGISTRY["gz2_hart16"], url=f"{server.url}/gz2_hart16.csv.gz")
    monkeypatch.setitem(_catalogs.REGISTRY, "gz2_hart16", entry)
    with pytest.warns(UnverifiedDownloadWarning,
                      match=r"'gz2_hart16\.csv\.gz'.*integrity is not checked") as rec:
        gz2 = fetch_gz2_catalog(data_home=tmp_path, verbose=0)
    assert issubclass(rec[0].category, UserWarning)
    assert "gz2_hart16" in str(rec[0].message) and "known_hash" in str(rec[0].message)
    assert gz2.shape == (2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # served from the cache: no new download
        fetch_gz2_catalog(data_home=tmp_path, verbose=0)
        # a known hash checks the file: no warning either
        fetch_gz2_catalog(data_home=tmp_path / "other", known_hash=_sha(body), verbose=0)
    assert server.requests == ["/gz2_hart16.csv.gz"] * 2


# ------------------------------------------------------- optional dependencies
def test_datasets_and_io_import_without_the_optional_packages():
    code = textwrap.dedent("""
        import sys, tempfile
        for name in ("galsim", "pooch", "requests", "astroquery"):
            sys.modules[name] = None  # as if not installed: importing it fails
        import skgalvae.datasets, skgalvae.io
        from skgalvae.datasets import (fetch_gz2_catalog, fetch_rcsed,
                                       fetch_sdss_cutouts, load_sdss_sample,
                                       make_galaxies)
        assert load_sdss_sample().images.shape == (100, 150, 150)
        home = tempfile.mkdtemp()
        calls = {
            "galsim": lambda: make_galaxies(2),
            "pooch": lambda: fetch_gz2_catalog(data_home=home, verbose=0),
            "astroquery": lambda: fetch_rcsed(data_home=home, verbose=0),
            "astroquery ": lambda: fetch_sdss_cutouts([[1.0, 2.0]], data_home=home),
        }
        for name, call in calls.items():
            try:
                call()
            except ImportError as exc:
                print(name.strip(), "|", exc)
            else:
                raise SystemExit(f"no ImportError for {name}")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" | ", 1) for line in result.stdout.strip().splitlines()
                 if " | " in line)
    assert "make_galaxies" in lines["galsim"] and 'pip install "skgalvae[simulate]"' \
        in lines["galsim"]
    for name in ("pooch", "astroquery"):
        assert 'pip install "skgalvae[fetch]"' in lines[name] and name in lines[name]
    assert len(result.stdout.strip().splitlines()) == 4


# --------------------------------------------------------- parameter validation
def _constraints(func):
    """The constraints dict sklearn's validate_params closed over for ``func``."""
    cells = [c.cell_contents for c in func.__closure__ or ()]
    dicts = [c for c in cells if isinstance(c, dict)]
    assert len(dicts) == 1, f"{func.__name__} is not decorated with validate_params"
    return dicts[0]


def test_public_functions_constrain_every_parameter():
    import skgalvae.datasets
    import skgalvae.io

    functions = [getattr(skgalvae.datasets, n) for n in skgalvae.datasets.__all__]
    functions += [skgalvae.io.read_fits_image, skgalvae.io.check_fits_files]
    for func in functions:
        params = set(inspect.signature(inspect.unwrap(func)).parameters)
        assert set(_constraints(func)) == params, func.__name__


@pytest.mark.parametrize("call, culprit", [
    (lambda: fetch_gz2_catalog(sample="dr17"), "sample"),
    (lambda: fetch_gz2_catalog(sample="stripe82", retries=-1), "retries"),
    (lambda: fetch_gz2_catalog(known_hash=123), "known_hash"),
    (lambda: fetch_gswlc(verbose="loud"), "verbose"),
    (lambda: fetch_rcsed(row_limit=0), "row_limit"),
    (lambda: fetch_rcsed(columns="Age"), "columns"),
    (lambda: fetch_sdss_cutouts([[1.0, 2.0]], size=0), "size"),
    (lambda: fetch_sdss_cutouts([[1.0, 2.0]], pixel_scale=-1.0), "pixel_scale"),
    (lambda: fetch_sdss_cutouts([[1.0, 2.0]], backoff=-1), "backoff"),
    (lambda: fetch_seed_sample(n_samples=0), "n_samples"),
    (lambda: fetch_seed_sample(selection="smooth"), "selection"),
    (lambda: fetch_seed_sample(max_sep=-2.0), "max_sep"),
    (lambda: _catalogs.read_gz2_table(3), "path"),
    (lambda: _catalogs.read_gswlc(None), "path"),
])
def test_fetcher_parameters_are_validated_before_any_download(call, culprit):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=f"'{culprit}' parameter") as err:
        call()
    assert isinstance(err.value, ValueError)


def test_crossmatch_parameters_are_validated():
    import astropy.units as u

    from skgalvae.datasets import crossmatch

    a = pd.DataFrame({"ra": [1.0], "dec": [2.0]})
    with pytest.raises(ValueError, match="'how' parameter"):
        crossmatch(a, a, how="outer")
    with pytest.raises(ValueError, match="'max_sep' parameter"):
        crossmatch(a, a, max_sep=-1.0)
    with pytest.raises(ValueError, match="max_sep must be a non-negative angle"):
        crossmatch(a, a, max_sep=2 * u.kpc)
    with pytest.raises(ValueError, match="columns_a must be a pair"):
        crossmatch(a, a, columns_a=("ra",))
    with pytest.raises(ValueError, match="suffixes must be a pair"):
        crossmatch(a, a, suffixes=("", 1))
