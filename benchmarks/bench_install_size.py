"""Install size of skgalvae with and without its extras (issue 14's packaging report).

Builds three fresh virtual environments from the package registry, each starting with the
CPU wheel ``torch==2.13.0`` (as the README says), and prints the size of each
``site-packages``:

- ``torch``: torch alone (the baseline every install pays);
- ``core``: ``pip install <repo>`` (the estimators, preprocessing, analysis, plots);
- ``all``: ``pip install "<repo>[all]"`` (adds GalSim, photutils, scikit-image, astroquery,
  pooch, requests, imbalanced-learn).

Then checks, in the core environment, that ``skgalvae.models`` fits a GalaxyVAE and that
the simulator names its extra. Needs the package registry (not the internet at large);
takes a few minutes. Run::

    python benchmarks/bench_install_size.py [--python python3.11] [--workdir /tmp/sz]
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _machine import machine_summary

REPO = Path(__file__).resolve().parents[1]
TORCH = "torch==2.13.0"

CORE_CHECK = """
import numpy as np, skgalvae, skgalvae.models, skgalvae.datasets
from skgalvae.datasets import load_sdss_sample
from skgalvae.preprocessing import make_preprocessing_pipeline
X = make_preprocessing_pipeline(output_shape=16, mask_companions=False).fit_transform(
    load_sdss_sample().images[:40]).astype(np.float32)
vae = skgalvae.GalaxyVAE(latent_dim=2, max_epochs=2, batch_size=8, channels=(4, 8),
                         random_state=0, verbose=0).fit(X)
print("core: GalaxyVAE fitted, latents", vae.transform(X).shape)
try:
    skgalvae.datasets.make_galaxies(2)
except ImportError as exc:
    print("core: make_galaxies ->", exc)
"""


def _site_packages_mb(venv):
    site = next((venv / "lib").glob("python3*/site-packages"))
    total = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    return total / 2**20


def _venv(python, path, *requirements):
    subprocess.run([python, "-m", "venv", str(path)], check=True)
    pip = [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    for requirement in requirements:
        subprocess.run([*pip, requirement], check=True)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="python3.11")
    parser.add_argument("--workdir", default=None, help="kept when given")
    args = parser.parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="skgalvae-size-"))
    work.mkdir(parents=True, exist_ok=True)
    print(machine_summary())
    sizes = {}
    try:
        sizes["torch"] = _site_packages_mb(_venv(args.python, work / "torch", TORCH))
        core = _venv(args.python, work / "core", TORCH, str(REPO))
        sizes["core"] = _site_packages_mb(core)
        sizes["all"] = _site_packages_mb(
            _venv(args.python, work / "all", TORCH, f"{REPO}[all]"))
        out = subprocess.run([str(core / "bin" / "python"), "-c", CORE_CHECK],
                             capture_output=True, text=True, check=True, cwd=work)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(out.stdout.strip())
    print(f"{'install':<28}{'site-packages (MiB)':>20}{'over torch':>12}")
    labels = {"torch": "torch==2.13.0 alone", "core": "pip install skgalvae",
              "all": 'pip install "skgalvae[all]"'}
    for key, label in labels.items():
        print(f"{label:<28}{sizes[key]:>20.0f}{sizes[key] - sizes['torch']:>12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
