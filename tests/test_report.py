"""The study report: its structure (read with an HTML parser), its header, its tables.

Two tiny studies are rendered: the simulated one (every model, every section filled) and
one on the bundled sample (no votes, no properties: the sections say so in one line).
The folding, the seed table and the header sentences are also tested on small inputs.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skgalvae.study import main
from skgalvae.study._document import (
    Section,
    Table,
    fold_columns,
    interval_cell,
    render_html,
    render_markdown,
)
from skgalvae.study._population import label_population
from skgalvae.study._sections import selection_sentence, source_sentence
from skgalvae.study._seed_table import (
    SEED_CLASS_MEANS,
    SEED_CORRELATIONS,
    best_abs_correlation,
    seed_class_means,
    seed_correlation_rows,
)

from .test_study import TINY, shared_gri_run

#: One section per question, in order.
SECTIONS = ["summary", "seed", "morphology", "properties", "structure", "outliers",
            "reconstructions", "training", "realism"]


class ReportParser(HTMLParser):
    """The parts of report.html the tests check: sections, tables, links, header."""

    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.images = [], [], []
        self.sections = {}  # id -> {"tables": [...], "notes": [...], "text": str}
        self.header, self.findings, self.toc = [], [], []
        self._stack = []  # open elements: (tag, attrs)
        self._section = None
        self._table = None
        self._row = None
        self._li = None

    def _inside(self, tag, id_=None):
        return any(t == tag and (id_ is None or a.get("id") == id_) for t, a in self._stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.hrefs.append(attrs["href"][1:])
            if self._li is not None:
                self._li["links"].append(attrs["href"][1:])
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "section":
            self._section = {"tables": [], "notes": [], "text": ""}
            self.sections[attrs["id"]] = self._section
        if tag == "table":
            self._table = {"caption": "", "head": [], "rows": [], "grey": [],
                           "block": next((a.get("id") for t, a in reversed(self._stack)
                                          if t == "div" and "id" in a), None)}
            if self._section is not None:
                self._section["tables"].append(self._table)
        if tag == "tr" and self._table is not None and self._inside("tbody"):
            self._row = []
            self._table["rows"].append(self._row)
        if tag == "td" and self._row is not None:
            self._row.append("")
            self._table["grey"].append("ci0" in attrs.get("class", ""))
        if tag == "li":
            self._li = {"text": "", "links": []}
            if self._inside("ul", "header"):
                self.header.append(self._li)
            elif self._inside("ul", "findings"):
                self.findings.append(self._li)
            elif self._inside("ol", "toc"):
                self.toc.append(self._li)
        if tag == "p" and "note" in attrs.get("class", "") and self._section is not None:
            self._section["notes"].append("")
        if tag not in ("img", "meta", "br"):
            self._stack.append((tag, attrs))

    def handle_endtag(self, tag):
        while self._stack:
            t, _ = self._stack.pop()
            if t == tag:
                break
        if tag == "section":
            self._section = None
        if tag == "table":
            self._table = None
        if tag == "tr":
            self._row = None
        if tag == "li":
            self._li = None

    def handle_data(self, data):
        if self._li is not None:
            self._li["text"] += data
        if self._section is not None:
            self._section["text"] += data
            if self._stack and self._stack[-1][0] == "p" and "note" in \
                    self._stack[-1][1].get("class", ""):
                self._section["notes"][-1] += data
        if self._table is not None:
            if self._inside("caption"):
                self._table["caption"] += data
            elif self._row is not None and self._stack[-1][0] == "td":
                self._row[-1] += data


def parse(path):
    parser = ReportParser()
    parser.feed(Path(path).read_text())
    parser.close()
    return parser


def tables_of(parser, block):
    return [t for s in parser.sections.values() for t in s["tables"] if t["block"] == block]


# ------------------------------------------------------------------------ tiny studies


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert main(["study", *TINY, "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report_sample")
    argv = ["study", "--source", "sample", "--model", "pca", "--image-size", "16",
            "--stretch", "5", "--n-jobs", "1", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    return out


@pytest.fixture(scope="module")
def tiny_html(tiny_run):
    return parse(tiny_run / "report.html")


@pytest.fixture(scope="module")
def gri_run(tmp_path_factory):
    return shared_gri_run(tmp_path_factory)  # one gri study for test_study and this


@pytest.fixture(scope="module")
def gri_html(gri_run):
    return parse(gri_run / "report.html")


def test_report_has_header_contents_summary_and_one_section_per_question(tiny_html):
    page = tiny_html
    assert list(page.sections) == SECTIONS
    assert [li["links"][0] for li in page.toc] == SECTIONS
    header = [li["text"] for li in page.header]
    assert header[0].startswith("Source: 120 galaxies simulated with "
                                "skgalvae.datasets.make_galaxies")
    assert header[1].startswith("Selection: 84 of 120 galaxies kept by their simulated "
                                "Galaxy Zoo 2 votes")
    assert header[2].startswith("Held out: 21 of the 84 clean galaxies")
    assert "Every table and figure is computed on the 21 held-out galaxies" in header[3]
    assert "Images 16x16, asinh stretch 5.0" in header[4]
    # every section shows something; every link and image resolves
    for name, section in page.sections.items():
        assert section["text"].strip(), name
    assert set(page.hrefs) <= set(page.ids)
    assert len(page.ids) == len(set(page.ids))


def test_report_has_no_empty_table_and_folds_wide_ones(tiny_run, tiny_html):
    tables = [t for s in tiny_html.sections.values() for t in s["tables"]]
    assert len(tables) >= 15
    for table in tables:
        assert table["rows"], table["caption"]
        assert all(row and all(cell.strip() for cell in row) for row in table["rows"]), \
            table["caption"]
    # the 18 latents of the structure table (2 + 2 + 2 + 12) are folded into parts
    parts = tables_of(tiny_html, "tab-structure")
    assert len(parts) > 1 and all("(part " in t["caption"] for t in parts)
    for path in tiny_html.images:
        assert not Path(path).is_absolute() and (tiny_run / path).is_file(), path


def test_summary_sentences_come_from_the_tables_and_link_to_them(tiny_run, tiny_html):
    findings = tiny_html.findings
    assert len(findings) >= 5
    assert all(li["links"] for li in findings)  # each sentence links to its table
    text = "\n".join(li["text"] for li in findings)
    comp = pd.read_csv(tiny_run / "tables" / "model_comparison.csv", index_col=0)
    accuracy = comp.loc["spiral/elliptical bal. acc."].sort_values(ascending=False)
    assert (f"{accuracy.index[0]} separates spirals from ellipticals best: balanced "
            f"accuracy {accuracy.iloc[0]:.2f}") in text
    diag = pd.read_csv(tiny_run / "tables" / "latent_diagnostics_vae.csv", index_col=0)
    assert f"VAE: {int(diag['active'].sum())} of 2 latents active" in text
    r2 = comp.loc[[i for i in comp.index if i.startswith("R2 ")]].mean()
    assert f"{r2['VAE']:.2f} against {r2['PCA']:.2f}" in text
    ood = pd.read_csv(tiny_run / "tables" / "ood_auroc.csv", index_col=0)
    best = ood.loc["irregular"].idxmax()
    assert f"{best} tells irregular galaxies from held-out clean ones best: AUROC " \
           f"{ood.loc['irregular', best]:.2f}" in text
    report = (tiny_run / "report.md").read_text()
    assert report.index("## Summary") < report.index("## The seed beside this run") \
        < report.index("## Morphology")


def test_seed_table_stands_beside_this_run_sign_free(tiny_run, tiny_html):
    section = tiny_html.sections["seed"]
    assert "compares absolute values" in section["text"]
    (table,) = tables_of(tiny_html, "tab-seed-correlations")
    rows = {row[0]: row for row in table["rows"]}  # first cell: this run's column
    assert "petro_r50" in rows and rows["petro_r50"][1] == "0.72 (Feat. 1)"
    corr = pd.read_csv(tiny_run / "tables" / "correlations_vae.csv", header=[0, 1],
                       index_col=0)
    expected = corr["r"].loc["petro_r50"].abs().max()
    assert rows["petro_r50"][2].startswith(f"{expected:.2f} [")
    (means,) = tables_of(tiny_html, "tab-seed-classes")
    assert means["rows"][-1][:2] == ["0.26", "0.34"]  # the seed's |spiral - elliptical|


def test_correlation_cells_show_the_interval_and_grey_those_containing_zero(tiny_run,
                                                                             tiny_html):
    parts = tables_of(tiny_html, "tab-property-correlations")
    cells = [c for t in parts for row in t["rows"] for c in row]
    grey = [g for t in parts for g in t["grey"]]
    assert len(cells) == len(grey)
    pattern = re.compile(r"^(-?\d\.\d\d) \[(-?\d\.\d\d), (-?\d\.\d\d)\](°?)$")
    for cell, flagged in zip(cells, grey, strict=True):
        match = pattern.match(cell)
        assert match, cell
        low, high = float(match.group(2)), float(match.group(3))
        assert flagged == bool(match.group(4)) == (low <= 0 <= high), cell
    corr = pd.read_csv(tiny_run / "tables" / "correlations_vae.csv", header=[0, 1],
                       index_col=0)
    r, lo, hi = (corr[s].loc["petro_r50"].iloc[0] for s in ("r", "ci_low", "ci_high"))
    assert f"{r:.2f} [{lo:.2f}, {hi:.2f}]" in cells


def test_report_sections_show_models_side_by_side(tiny_html):
    (r2,) = tables_of(tiny_html, "tab-cv-r2")
    assert len(r2["rows"][0]) == 4  # VAE, AE, PCA, PCA-12
    assert all(re.match(r"^-?\d\.\d\d ± \d\.\d\d$", c) for row in r2["rows"] for c in row)
    page = (tiny_html.sections["outliers"]["tables"][0])
    assert page["block"] == "tab-ood"
    for section, block in (("morphology", "tab-class-means"), ("training",
                                                               "tab-latent-activity")):
        assert any(t["block"] == block for t in tiny_html.sections[section]["tables"])


def test_report_describes_the_population_not_its_own_command_line(tiny_run):
    # moved from test_study.py (the header's wording changed with issue 19):
    # stage 1 ran with --stretch 5; a report run without it still says 5
    assert main(["report", "--out", str(tiny_run), "--quiet"]) == 0
    report = (tiny_run / "report.md").read_text()
    assert "Images 16x16, asinh stretch 5.0" in report
    assert "Held out: 21 of the 84 clean galaxies" in report
    assert "the models were trained on the other 63 only" in report
    assert "Every table and figure is computed on the 21 held-out galaxies" in report


def test_sample_report_says_what_is_missing_in_one_line(sample_run):
    page = parse(sample_run / "report.html")
    assert list(page.sections) == SECTIONS
    header = [li["text"] for li in page.header]
    assert header[0].startswith("Source: the 100 real SDSS i-band cutouts bundled")
    assert header[1].startswith("No selection: the source has no votes")
    assert "Galaxy Zoo 2 votes" not in header[1] and "selected" not in header[1]
    assert header[2].startswith("Held out: 25 of the 100 galaxies")
    for name in ("morphology", "properties", "realism"):
        section = page.sections[name]
        assert not section["tables"] and len(section["notes"]) == 1, name
    assert len(page.sections["seed"]["notes"]) == 2
    assert not page.sections["seed"]["tables"]
    for table in (t for s in page.sections.values() for t in s["tables"]):
        assert table["rows"] and all(row for row in table["rows"])
    (comparison,) = tables_of(page, "tab-comparison")
    assert [row for row in comparison["rows"]]  # the MSE row, not an empty table
    assert any("No latent traversal" in n for n in page.sections["reconstructions"]["notes"])
    assert "no selection: the source has no votes" in (sample_run / "report.md").read_text(
    ).lower()


def test_gri_report_compares_colour_with_the_i_band_alone(gri_run, gri_html):
    page = gri_html
    assert list(page.sections) == ["summary", "bands", *SECTIONS[1:]]
    assert [li["links"][0] for li in page.toc] == list(page.sections)
    header = [li["text"] for li in page.header]
    assert "Images 16x16, asinh stretch 5.0" in header[4]
    assert header[5].startswith("Bands: g, r, i (images 3x16x16, one geometry per galaxy "
                                "measured on the i band")
    assert "VAE (i), PCA (i) on the i band alone of the same galaxies" in header[5]
    # the comparison table: gri, i and gri - i per model, the numbers of the CSV
    bands = pd.read_csv(gri_run / "tables" / "bands_comparison.csv", header=[0, 1],
                        index_col=0)
    (table,) = tables_of(page, "tab-bands")
    assert len(table["rows"]) == len(bands) == 8  # 7 properties, spiral/elliptical
    for row, (_, values) in zip(table["rows"], bands.iterrows(), strict=True):
        assert len(row) == 6
        for k, (pair, part) in enumerate((("VAE", "bands"), ("VAE", "i"),
                                          ("VAE", "difference"), ("PCA", "bands"),
                                          ("PCA", "i"), ("PCA", "difference"))):
            assert float(row[k]) == pytest.approx(values[(pair, part)], abs=0.0051), row
            if part == "difference":
                assert row[k][0] in "+-"
    # one summary sentence per pair, from those numbers, linked to the table
    findings = {li["text"]: li["links"] for li in page.findings}
    for pair in ("VAE", "PCA"):
        (text,) = [t for t in findings if t.startswith(f"Colour: {pair} on gri against "
                                                       f"{pair} on the i band alone")]
        assert "tab-bands" in findings[text]
        r2 = bands.drop(index="spiral/elliptical bal. acc.")
        assert (f"mean CV R^2 over 7 properties {r2[(pair, 'bands')].mean():.2f} against "
                f"{r2[(pair, 'i')].mean():.2f}") in text
        acc = bands.loc["spiral/elliptical bal. acc."]
        assert (f"spiral/elliptical {acc[(pair, 'bands')]:.2f} against "
                f"{acc[(pair, 'i')]:.2f}") in text
    text = "\n".join(findings)
    assert "VAE (i) against PCA (i):" in text and "VAE (gri) against PCA (gri):" in text
    # no empty table, every image in place, both arms side by side
    for table in (t for s in page.sections.values() for t in s["tables"]):
        assert table["rows"] and all(all(c.strip() for c in row) for row in table["rows"])
    for path in page.images:
        assert (gri_run / path).is_file(), path
    recon = [p for p in page.images if "reconstructions_" in p]
    assert len(recon) == 6 and "figures/reconstructions_vae_i.png" in recon
    (r2,) = tables_of(page, "tab-cv-r2")
    assert len(r2["rows"][0]) == 6
    # what is measured on the i band only says so
    assert "on the i band alone (the real sample has no other band)" in \
        page.sections["realism"]["text"]
    assert "only the models of the i band project it" in page.sections["outliers"]["text"]


# ---------------------------------------------------------------- header, unit-sized


def _info(catalog, source):
    catalog, selection = label_population(catalog, test_size=0.25, random_state=0,
                                          log=lambda *_: None)
    return {"population": {"provenance": {"source": source}, "n_galaxies": len(catalog),
                           "n_clean": int(catalog["clean"].sum()), **selection}}


def test_selection_sentence_for_simulated_sample_and_catalog_sources(tmp_path):
    from skgalvae.datasets import make_galaxies

    pytest.importorskip("galsim")
    simulated = make_galaxies(40, image_size=32, random_state=0).catalog
    info = _info(simulated, "simulated")
    n_clean = info["population"]["n_clean"]
    assert selection_sentence(info).startswith(
        f"Selection: {n_clean} of 40 galaxies kept by their simulated Galaxy Zoo 2 votes "
        "(GZ2 debiased votes")
    assert source_sentence(info).startswith("Source: 40 galaxies simulated")
    # a catalog with the GZ2 votes (the simulated columns, as a survey's would be)
    info = _info(simulated.drop(columns=["class"]), str(tmp_path / "cat.csv"))
    assert selection_sentence(info).startswith(
        f"Selection: {n_clean} of 40 galaxies kept by their Galaxy Zoo 2 votes")
    assert source_sentence(info) == f"Source: 40 galaxies from the FITS files of " \
                                    f"{tmp_path / 'cat.csv'}."
    # the bundled sample and a catalog without votes: no selection
    plain = pd.DataFrame({"path": [f"g{i}.fits" for i in range(30)]})
    for source in ("bundled SDSS i-band sample", str(tmp_path / "cat.csv")):
        info = _info(plain, source)
        assert selection_sentence(info) == (
            "No selection: the source has no votes; all 30 galaxies are used and none has "
            "a morphology label.")
    assert source_sentence(_info(plain, "bundled SDSS i-band sample")).startswith(
        "Source: the 30 real SDSS i-band cutouts bundled with skgalvae")


# -------------------------------------------------------------- document, unit-sized


def test_fold_columns_fits_the_budget_keeps_models_together_and_balances():
    columns = pd.MultiIndex.from_tuples([("VAE", "Feat. 1"), ("VAE", "Feat. 2"),
                                         ("AE", "Feat. 1"), ("AE", "Feat. 2"),
                                         *[("PCA-12", f"Feat. {k}") for k in range(1, 13)]])
    cell = "-0.05 [-0.40, 0.33]°"  # 20 characters
    frame = pd.DataFrame([[cell] * 16] * 3, columns=columns, index=["a", "b", "c"])
    parts = fold_columns(frame, budget=120)
    assert [c for part in parts for c in part] == list(columns)  # order kept, none lost
    for part in parts:
        assert 4 + 23 * len(part) <= 120
    assert parts[0] == list(columns[:4])  # VAE and AE whole, PCA-12 split
    sizes = [len(p) for p in parts[1:]]
    assert max(sizes) - min(sizes) <= 1  # no lone column at the end


def test_a_table_is_transposed_when_that_folds_it_less_and_never_printed_empty():
    columns = pd.MultiIndex.from_tuples([("PCA-12", f"Feat. {k}") for k in range(1, 13)])
    frame = pd.DataFrame([["0.10 [0.01, 0.20]"] * 12] * 2, columns=columns,
                         index=pd.Index(["spiral", "elliptical"], name="class"))
    page = render_html("t", [], [Section("s", "S", [Table("tab-x", "X", frame)])])
    parsed = ReportParser()
    parsed.feed(page)
    (table,) = parsed.sections["s"]["tables"]  # one table of 12 rows, not 3 parts
    assert len(table["rows"]) == 12 and len(table["rows"][0]) == 2
    empty = Table("tab-empty", "Nothing", pd.DataFrame())
    page = render_html("t", [], [Section("s", "S", [empty])])
    assert "<table" not in page and "Nothing: nothing to show." in page
    assert "|" not in render_markdown("t", [], [Section("s", "S", [empty])])


def test_interval_cells_and_links_in_both_renderings():
    assert interval_cell(0.5, -0.1, 0.8) == ("0.50 [-0.10, 0.80]°", True)
    assert interval_cell(-0.5, -0.8, -0.1) == ("-0.50 [-0.80, -0.10]", False)
    from skgalvae.study._document import Paragraph

    sections = [Section("a", "A", [Paragraph("see [the table](#tab-a) & more")])]
    assert '<a href="#tab-a">the table</a> &amp; more' in render_html("t", [], sections)
    assert "see [the table](#tab-a) & more" in render_markdown("t", [], sections)


# ------------------------------------------------------------------ seed, unit-sized


def test_seed_numbers_are_the_presentations():
    labels = [label for label, _, _ in SEED_CORRELATIONS]
    assert len(labels) == 15 and len(set(labels)) == 15
    values = dict((label, v) for label, v, _ in SEED_CORRELATIONS)
    assert values["Petrosian R50 (arcsec)"] == (0.717488, -0.033900)
    assert values["GZ2: has smooth profile"] == (-0.123796, 0.563262)
    assert SEED_CLASS_MEANS["elliptical"] == (0.282897, -0.045579)


def _corr(r, low, high, rows):
    names = [f"f{k}" for k in range(len(r[0]))]
    data = {}
    for stat, values in (("r", r), ("ci_low", low), ("ci_high", high)):
        for k, name in enumerate(names):
            data[(stat, name)] = [row[k] for row in values]
    return pd.DataFrame(data, index=rows)


def test_seed_comparison_is_sign_free_and_matched_by_property():
    corr = _corr([[0.1, -0.7]], [[-0.2, -0.85]], [[0.3, -0.5]], ["petro_r50"])
    assert best_abs_correlation(corr, "petro_r50") == (0.7, 0.5, 0.85, 1)
    assert best_abs_correlation(corr, "age") is None
    rows = seed_correlation_rows({"VAE": corr, "PCA": None})
    by_label = {r["label"]: r for r in rows}
    assert by_label["Petrosian R50 (arcsec)"]["column"] == "petro_r50"
    assert by_label["Petrosian R50 (arcsec)"]["ours"] == {"VAE": (0.7, 0.5, 0.85, 1),
                                                           "PCA": None}
    assert by_label["Age (SSP, Myr)"]["column"] is None
    # an interval of r that contains 0 bounds |r| below by 0
    corr = _corr([[-0.2]], [[-0.5]], [[0.1]], ["age"])
    assert best_abs_correlation(corr, "age") == (0.2, 0.0, 0.5, 0)
    summary = pd.DataFrame({("mean", "f0"): [1.0, -1.0], ("mean", "f1"): [0.1, 0.3]},
                           index=["spiral", "elliptical"])
    means = seed_class_means({"VAE": summary, "AE": None})
    assert list(means.columns) == [("seed", "Feat. 1"), ("seed", "Feat. 2"),
                                   ("VAE", "Feat. 1")]
    assert means.loc["|spiral - elliptical|", ("VAE", "Feat. 1")] == 2.0
    assert np.isnan(means.loc["uncertain", ("VAE", "Feat. 1")])
    assert seed_class_means({"VAE": None}) is None
