"""The study end to end on a tiny configuration, and the command line's errors."""

import json

import numpy as np
import pandas as pd
import pytest

from skgalvae.study import main


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    status = main(["study", "--n-galaxies", "120", "--image-size", "16", "--epochs", "2",
                   "--stretch", "5", "--out", str(out), "--quiet", "--n-jobs", "1"])
    assert status == 0
    return out


def test_study_writes_every_output(tiny_run):
    out = tiny_run
    for name in ("report.html", "report.md", "run.json", "data/catalog.csv",
                 "data/images.npy", "tables/model_comparison.csv", "tables/ood_auroc.csv"):
        assert (out / name).is_file(), name
    models = sorted(p.stem for p in (out / "models").glob("*.pkl"))
    assert models == ["ae", "pca", "pca_12", "vae"]
    run = json.loads((out / "run.json").read_text())
    assert run["parameters"]["n_galaxies"] == 120 and run["parameters"]["stretch"] == 5
    assert "asinh stretch 5.0" in (out / "report.md").read_text()
    assert set(run["timings_s"]) >= {"simulate", "train", "analyse", "report"}
    assert run["versions"]["torch"] and run["population"]["n_galaxies"] == 120


def test_report_describes_the_population_not_its_own_command_line(tiny_run):
    # stage 1 ran with --stretch 5; a report run without it still says 5
    assert main(["report", "--out", str(tiny_run), "--quiet"]) == 0
    report = (tiny_run / "report.md").read_text()
    assert "images 16x16, asinh stretch 5.0" in report
    run = json.loads((tiny_run / "run.json").read_text())
    assert run["population"]["preprocessing"] == {"image_size": 16, "crop": 100,
                                                  "stretch": 5.0}


def test_study_tables_have_expected_shape(tiny_run):
    tables = tiny_run / "tables"
    comp = pd.read_csv(tables / "model_comparison.csv", index_col=0)
    assert list(comp.columns) == ["VAE", "AE", "PCA", "PCA-12"]
    assert "R2 log_petro_r50" in comp.index and "spiral/elliptical bal. acc." in comp.index
    ood = pd.read_csv(tables / "ood_auroc.csv", index_col=0)
    assert [f"OOD AUROC {k}" for k in ood.index] == list(comp.index[-len(ood):])
    assert ((ood >= 0) & (ood <= 1)).all().all()
    corr = pd.read_csv(tables / "correlations_vae.csv", header=[0, 1], index_col=0)
    assert list(corr["r"].columns) == ["galaxyvae0", "galaxyvae1"]
    assert {"petro_r50", "log_ssfr", "Has smooth profile"} <= set(corr.index)
    assert np.all(np.abs(corr["r"].to_numpy()) <= 1)
    latents = np.load(tiny_run / "latents" / "vae.npy")
    catalog = pd.read_csv(tiny_run / "data" / "catalog.csv")
    assert latents.shape == (len(catalog), 2)


def test_study_figures_are_png(tiny_run):
    figures = sorted((tiny_run / "figures").glob("*.png"))
    names = {p.stem for p in figures}
    assert {"examples", "traversal_vae", "latent_classes_vae", "outliers_vae",
            "correlations_vae", "model_comparison", "eigengalaxies_pca_12",
            "training_vae", "reconstructions_vae"} <= names
    for path in figures:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 2000
    html = (tiny_run / "report.html").read_text()
    assert all(f"figures/{p.name}" in html for p in figures)


def test_study_resumes_from_existing_results(tiny_run, capsys):
    assert main(["study", "--out", str(tiny_run), "--n-galaxies", "120"]) == 0
    assert capsys.readouterr().out.count("skipped") == 4


@pytest.mark.parametrize(
    "argv, message",
    [
        (["study", "--source", "nowhere/at/all.csv"], "neither 'simulated'"),
        (["study", "--image-size", "4"], "--image-size must be between"),
        (["study", "--stretch", "0"], "--stretch must be positive"),
        (["train", "--out", "{tmp}/empty"], "has no population yet"),
        (["report", "--out", "{tmp}/empty"], "has no population yet"),
    ],
)
def test_bad_inputs_exit_nonzero_with_one_line(tmp_path, capsys, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    assert main(argv + ["--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_catalog_source_errors_name_file_and_column(tmp_path, capsys):
    csv = tmp_path / "cat.csv"
    csv.write_text("name,ra\nA,1.0\n")
    assert main(["study", "--source", str(csv), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "cat.csv" in err and "'path'" in err
    csv.write_text("name,path\nA,missing_1.fits\n")
    assert main(["study", "--source", str(csv), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "line 2" in err and "missing_1.fits" in err


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for sub in ("study", "simulate", "train", "analyse", "report", "demo"):
        assert sub in out


def test_fetch_writes_a_catalog_the_study_reads(tmp_path, monkeypatch, capsys):
    # No network in tests: stand in for fetch_seed_sample with the bundled cutouts.
    from sklearn.utils import Bunch

    from skgalvae.datasets import load_sdss_sample
    from skgalvae.study import _fetch

    calls = {}

    def fake_fetch_seed_sample(**kwargs):
        calls.update(kwargs)
        catalog = load_sdss_sample().catalog.head(kwargs["n_samples"])
        return Bunch(catalog=catalog, paths=list(catalog["path"]))

    monkeypatch.setattr(_fetch, "fetch_seed_sample", fake_fetch_seed_sample)
    out = tmp_path / "seed"
    assert main(["fetch", "--n-galaxies", "12", "--out", str(out)]) == 0
    assert calls["n_samples"] == 12 and callable(calls["selection"])
    catalog = pd.read_csv(out / "seed_catalog.csv")
    assert len(catalog) == 12 and "path" in catalog.columns
    assert "next: skgalvae study --source" in capsys.readouterr().out
    assert main(["simulate", "--source", str(out / "seed_catalog.csv"), "--out", str(out),
                 "--image-size", "16", "--quiet"]) == 0
    assert np.load(out / "data" / "images.npy").shape == (12, 256)
