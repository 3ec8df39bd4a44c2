"""Package-level behaviour: version, show_versions, light import, data home, atomic writes."""

import subprocess
import sys

import pytest

import skgalvae
from skgalvae.utils import get_data_home
from skgalvae.utils._atomic import atomic_path


def test_version_and_show_versions(capsys):
    assert skgalvae.__version__.count(".") >= 2
    skgalvae.show_versions()
    out = capsys.readouterr().out
    for name in ("skgalvae", "numpy", "scikit-learn", "torch", "skorch", "astropy"):
        assert f"{name}:" in out


def test_import_does_not_load_torch():
    code = (
        "import sys, skgalvae, skgalvae.preprocessing, skgalvae.io; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


def test_data_home_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("SKGALVAE_DATA", str(tmp_path / "cache"))
    assert get_data_home() == tmp_path / "cache"
    assert (tmp_path / "cache").is_dir()
    assert get_data_home(tmp_path / "other") == tmp_path / "other"


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
