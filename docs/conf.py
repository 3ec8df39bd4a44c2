"""Sphinx configuration of the skgalvae documentation.

Build with ``make -C docs html`` or ``sphinx-build -W --keep-going -b html docs
docs/_build/html``. The gallery in ``../examples`` is executed during the build.

Intersphinx links to the scikit-learn, astropy, skorch, numpy, ... documentation need the
network to fetch their inventories, so they are opt-in: set ``SKGALVAE_DOCS_INTERSPHINX=1``
(CI and offline machines leave it unset and the build touches no network). Set
``SKGALVAE_DOCS_PLOT_GALLERY=0`` to build without executing the examples.
"""

import os
import re
import warnings
from pathlib import Path

# One OpenMP / torch thread for the examples unless the builder says otherwise: the
# examples are tiny, and on a busy 2-core machine two torch threads spin-waiting for each
# other made single examples take minutes instead of seconds. Set before torch and
# scikit-learn's OpenMP code are loaded; ``OMP_NUM_THREADS=2 make html`` overrides it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import skgalvae  # noqa: E402

HERE = Path(__file__).resolve().parent

# -- Project -------------------------------------------------------------------------------
project = "skgalvae"
author = "skgalvae developers"
copyright = "skgalvae developers (BSD-3-Clause)"  # noqa: A001
version = release = skgalvae.__version__

# -- General -------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb",
                    "auto_examples/**/*.ipynb", "auto_examples/**/*.py", "auto_examples/*.py"]
default_role = "literal"
nitpicky = False
suppress_warnings = []

# -- autodoc / autosummary / numpydoc ----------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Types in "Parameters", "Returns" and "Attributes": the aliases below become
# cross-references (resolved when intersphinx is on; nitpicky is off, so an unresolved
# one is not a warning), every other word stays plain text.
numpydoc_xref_param_type = True
numpydoc_xref_aliases = {
    "Pipeline": "sklearn.pipeline.Pipeline",
    "Bunch": "sklearn.utils.Bunch",
    "DataFrame": "pandas.DataFrame",
    "Series": "pandas.Series",
    "ndarray": "numpy.ndarray",
    "Figure": "matplotlib.figure.Figure",
    "SubFigure": "matplotlib.figure.SubFigure",
    "Axes": "matplotlib.axes.Axes",
    "SkyCoord": "astropy.coordinates.SkyCoord",
    "Table": "astropy.table.Table",
    "NeuralNet": "skorch.NeuralNet",
    "Path": "pathlib.Path",
    "RandomState": "numpy.random.RandomState",
}
# numpydoc's own defaults write Python's and NumPy's basic types as "python:int",
# glossary terms (":term:`numpy:array_like`") and labels that render as literal
# "python:..." text or warn when intersphinx is off. Plain names instead: linked when
# intersphinx is on, plain text when it is off.
numpydoc_xref_aliases.update({
    name: name for name in ("None", "True", "False", "bool", "int", "float", "str",
                            "list", "tuple", "dict", "callable")
})
numpydoc_xref_aliases.update({
    "boolean": "bool",
    "string": "str",
    "array": "numpy.ndarray",
    "np.ndarray": "numpy.ndarray",
    "array-like": "numpy.typing.ArrayLike",
    "array_like": "numpy.typing.ArrayLike",
    "iterable": "collections.abc.Iterable",
    "sequence": "collections.abc.Sequence",
    "generator": "collections.abc.Generator",
    "scalar": "numpy.generic",
    "np.random.RandomState": "numpy.random.RandomState",
    "np.inf": "numpy.inf",
    "np.nan": "numpy.nan",
    "numpy": "numpy",
    "contextmanager": "contextlib.contextmanager",
    "namedtuple": "collections.namedtuple",
})
# Words that are not aliases stay plain text (rather than unresolved ``:obj:`` literals).
numpydoc_xref_ignore = "all"

# -- intersphinx (opt-in: it needs the network) -------------------------------------------
_INTERSPHINX = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", None),
    "pandas": ("https://pandas.pydata.org/docs/", None),
    "matplotlib": ("https://matplotlib.org/stable/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "astropy": ("https://docs.astropy.org/en/stable/", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable/", None),
    "torch": ("https://docs.pytorch.org/docs/stable/", None),
    "imblearn": ("https://imbalanced-learn.org/stable/", None),
    "galsim": ("https://galsim-developers.github.io/GalSim/_build/html/", None),
}
if os.environ.get("SKGALVAE_DOCS_INTERSPHINX", "0") == "1":
    intersphinx_mapping = _INTERSPHINX
else:
    intersphinx_mapping = {}

# -- sphinx-gallery ----------------------------------------------------------------------
os.environ.setdefault("MPLBACKEND", "Agg")
# Examples write their caches (simulated sets, ...) into a throw-away data home unless the
# builder chose one.
os.environ.setdefault("SKGALVAE_DATA", str(HERE / "_build" / "skgalvae_data"))
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")

sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "plot_gallery": os.environ.get("SKGALVAE_DOCS_PLOT_GALLERY", "1") != "0",
    "doc_module": ("skgalvae",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"skgalvae": None},
    # Topics in the order of the study; "*" places any new topic folder last.
    "subsection_order": ["../examples/preprocessing", "../examples/selection",
                         "../examples/models", "../examples/analysis",
                         "../examples/datasets", "*"],
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "min_reported_time": 1,
    "show_memory": False,
    "matplotlib_animations": False,
    "download_all_examples": False,
}

# -- HTML ---------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skgalvae {release}"
html_static_path = ["_static"]
html_css_files = ["skgalvae.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "api": []}
html_show_sourcelink = True
html_copy_source = True


_SHAPE = re.compile(r"shape \(([^)]*)\)")


def _escape_shape_names(app, what, name, obj, options, lines):
    """Escape trailing underscores in ``of shape (n_components_,)`` type descriptions.

    A fitted attribute named in a shape tuple (``n_components_``) would otherwise be read
    by reStructuredText as a link to an undefined target. Runs before numpydoc.
    """
    for i, line in enumerate(lines):
        if "shape (" in line and "_" in line:
            lines[i] = _SHAPE.sub(
                lambda m: "shape (" + re.sub(r"(?<=\w)_(?=[,) ]|$)", r"\\_", m.group(1)) + ")",
                line,
            )


def _skip_member(app, what, name, obj, skip, options):
    """Hide the metadata-routing setters scikit-learn generates on every estimator."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-docstring", _escape_shape_names, priority=100)
