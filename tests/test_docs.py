"""The documentation: every public name is in the API reference, and the docs build.

The build test runs ``sphinx-build -W`` (warnings are errors) in a subprocess on a copy of
``docs/`` and ``examples/`` in a temporary folder, so the gallery's examples are executed
and nothing is written into the working tree. It is skipped when Sphinx or one of the
extensions is not installed (``pip install -e ".[docs]"``).
"""

import importlib
import importlib.util
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import skgalvae

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
API = DOCS / "api.rst"

_DOCS_REQUIREMENTS = ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme")


def _packages():
    """``skgalvae`` and every public subpackage, with their ``__all__``."""
    names = ["skgalvae"] + [
        f"skgalvae.{m.name}" for m in pkgutil.iter_modules(skgalvae.__path__)
        if m.ispkg and not m.name.startswith("_")
    ]
    return {name: list(importlib.import_module(name).__all__) for name in names}


def _api_entries(text):
    """Names listed in api.rst: ``{module: set of names}`` from the autosummary tables
    under each ``.. currentmodule::``, plus the fully qualified ``skgalvae.x`` names
    written anywhere (the top-level re-exports are listed that way)."""
    entries = {}
    module = None
    in_autosummary = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(".. currentmodule::"):
            module = stripped.split("::", 1)[1].strip()
            in_autosummary = False
        elif stripped.startswith(".. autosummary::"):
            in_autosummary = True
        elif in_autosummary:
            if not stripped or stripped.startswith(":"):
                continue
            if not line.startswith(" "):
                in_autosummary = False
                continue
            entries.setdefault(module, set()).add(stripped)
    qualified = set(re.findall(r"\bskgalvae(?:\.\w+)+", text))
    return entries, qualified


def test_api_reference_lists_every_public_name():
    text = API.read_text()
    entries, qualified = _api_entries(text)
    missing = []
    for module, names in _packages().items():
        for name in names:
            if name in entries.get(module, set()) or f"{module}.{name}" in qualified:
                continue
            missing.append(f"{module}.{name}")
    assert not missing, (
        f"Public names missing from {API.relative_to(ROOT)} (add them to the "
        f"autosummary table of their package): {missing}"
    )


def test_api_reference_lists_only_public_names():
    # An autosummary entry that is not in __all__ is either a typo or private API.
    entries, _ = _api_entries(API.read_text())
    packages = _packages()
    extra = [f"{module}.{name}" for module, names in entries.items()
             for name in names if name not in packages.get(module, [])]
    assert not extra, f"api.rst lists names not in their package's __all__: {extra}"


def test_every_package_has_a_section():
    text = API.read_text()
    for module in _packages():
        if module != "skgalvae":
            assert f".. currentmodule:: {module}\n" in text, module


def test_gallery_layout():
    # sphinx-gallery needs a README in the gallery root and in every topic folder, and
    # runs only files matching plot_*.py.
    assert (EXAMPLES / "README.txt").exists() or (EXAMPLES / "README.rst").exists()
    topics = [p for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert topics
    for topic in topics:
        assert any((topic / n).exists() for n in ("README.txt", "README.rst")), topic
        assert list(topic.glob("plot_*.py")), f"{topic} has no plot_*.py example"


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    missing = [m for m in _DOCS_REQUIREMENTS if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the docs extra is not installed (missing {missing}); "
                    f"pip install -e '.[docs]'")
    src = tmp_path / "docs"
    ignore = shutil.ignore_patterns("_build", "gen_modules", "auto_examples",
                                    "sg_execution_times.rst", "__pycache__")
    shutil.copytree(DOCS, src, ignore=ignore)
    shutil.copytree(EXAMPLES, tmp_path / "examples", ignore=ignore)
    env = dict(os.environ)
    env.pop("SKGALVAE_DOCS_INTERSPHINX", None)   # no network
    env.pop("SKGALVAE_DOCS_PLOT_GALLERY", None)  # run the examples
    env["SKGALVAE_DATA"] = str(tmp_path / "skgalvae_data")
    env["MPLBACKEND"] = "Agg"
    # The suite runs on 2 cores beside another pytest worker: one torch thread avoids
    # oversubscription (which made the examples several times slower).
    env.setdefault("OMP_NUM_THREADS", "1")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           str(src), str(tmp_path / "html")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900,
                          cwd=tmp_path)
    log = (proc.stdout + proc.stderr)[-8000:]
    assert proc.returncode == 0, f"sphinx-build failed:\n{log}"
    html = tmp_path / "html"
    assert (html / "index.html").exists()
    assert (html / "api.html").exists()
    examples = list((html / "auto_examples").rglob("plot_*.html"))
    assert len(examples) == len(list(EXAMPLES.rglob("plot_*.py")))
    for name in _packages()["skgalvae.models"]:
        assert (html / "gen_modules" / f"skgalvae.models.{name}.html").exists(), name
