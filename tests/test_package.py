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


#: The optional packages: a core install (``pip install skgalvae``) has none of them.
OPTIONAL = ("galsim", "photutils", "skimage", "astroquery", "pooch", "requests", "imblearn",
            "zarr", "h5py")

_CORE_INSTALL = f"""
import sys
for name in {OPTIONAL!r}:
    sys.modules[name] = None  # as if not installed: importing it raises ImportError
import numpy as np
import skgalvae, skgalvae.io, skgalvae.preprocessing, skgalvae.selection
import skgalvae.analysis, skgalvae.plotting, skgalvae.datasets, skgalvae.models
from skgalvae.datasets import load_sdss_sample
from skgalvae.preprocessing import make_preprocessing_pipeline
sample = load_sdss_sample()
pipe = make_preprocessing_pipeline(output_shape=16, mask_companions=False)
X = pipe.fit_transform(sample.images[:24]).astype(np.float32)
vae = skgalvae.GalaxyVAE(latent_dim=2, max_epochs=1, batch_size=8, channels=(4, 8),
                         hidden_dim=8, random_state=0, verbose=0).fit(X)
print("fitted", vae.transform(X).shape)
def fails(call):
    try:
        call()
    except ImportError as exc:
        print(str(exc).splitlines()[0])
    else:
        print("no ImportError")
fails(lambda: skgalvae.datasets.make_galaxies(2))
fails(lambda: skgalvae.preprocessing.CompanionMasker().fit(X))
"""


def test_core_install_without_extras():
    # pip install skgalvae (no extras): everything but the extras' functions works, and
    # those say which extra to install, in one line.
    out = subprocess.run([sys.executable, "-c", _CORE_INSTALL], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "fitted (24, 2)"
    assert "make_galaxies" in lines[1] and 'pip install "skgalvae[simulate]"' in lines[1]
    assert "CompanionMasker" in lines[2] and 'pip install "skgalvae[masking]"' in lines[2]


def test_import_optional_names_the_extra(monkeypatch):
    from skgalvae.utils._optional import import_optional

    monkeypatch.setitem(sys.modules, "pooch", None)
    with pytest.raises(ImportError, match=r'pooch is needed by the fetchers.*"skgalvae\[fetch\]"'):
        import_optional("pooch", purpose="the fetchers")
    assert import_optional("numpy", purpose="arrays").__name__ == "numpy"


def test_extras_in_the_metadata():
    # one pyproject: the core dependencies lack the extras' packages; dev includes docs
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    project = tomllib.loads(pyproject.read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    core = " ".join(project["dependencies"])
    for name in ("galsim", "photutils", "scikit-image", "astroquery", "pooch", "requests",
                 "zarr", "h5py",
                 "imbalanced-learn"):
        assert name not in core
    extras = project["optional-dependencies"]
    assert {"simulate", "masking", "fetch", "scale", "all", "docs", "dev"} <= set(extras)
    assert "skgalvae[all,docs]" in extras["dev"]
    assert not (pyproject.parent / "setup.cfg").exists()


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
