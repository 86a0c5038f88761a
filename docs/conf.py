"""Sphinx configuration of the sklearn-causalmix documentation.

Build with ``make html`` (in this folder). The gallery runs every ``examples/plot_*.py`` in *fast
mode*: ``CAUSALMIX_FAST=1`` is set in the environment before the examples execute, and each example
then uses small settings (few rows, bootstrap resamples and fine-tuning steps). Set
``CAUSALMIX_FULL=1`` to run them with their full settings instead. Cross-references to other
projects' documentation (intersphinx) need network access and are off unless
``CAUSALMIX_INTERSPHINX=1``.
"""

import importlib.util
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

# The gallery's fast mode: examples read CAUSALMIX_FAST and shrink their settings.
if os.environ.get("CAUSALMIX_FULL", "") == "1":
    os.environ.pop("CAUSALMIX_FAST", None)
else:
    os.environ.setdefault("CAUSALMIX_FAST", "1")
# Examples draw figures off-screen.
os.environ.setdefault("MPLBACKEND", "Agg")

import sklearn_causalmix  # noqa: E402

# -- Project information ------------------------------------------------------------------------
project = "sklearn-causalmix"
author = "sklearn-causalmix developers"
copyright = "2026, sklearn-causalmix developers"
release = sklearn_causalmix.__version__
version = ".".join(release.split(".")[:2])

# -- General configuration ----------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "gallery_header.rst",
    "generated/datasets_table.rst",
    "generated/weights_table.rst",
    "sg_execution_times.rst",
    "Thumbs.db",
    ".DS_Store",
]
root_doc = "index"
default_role = "literal"

# autodoc / autosummary
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"

# numpydoc
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# intersphinx: needs network, so only on request.
intersphinx_mapping = {}
if os.environ.get("CAUSALMIX_INTERSPHINX", "") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable/", None),
        "pandas": ("https://pandas.pydata.org/docs/", None),
        "sklearn": ("https://scikit-learn.org/stable/", None),
        "torch": ("https://docs.pytorch.org/docs/stable/", None),
        "networkx": ("https://networkx.org/documentation/stable/", None),
        "imblearn": ("https://imbalanced-learn.org/stable/", None),
        "joblib": ("https://joblib.readthedocs.io/en/stable/", None),
    }

# sphinx-gallery
# The gallery needs a header file (GALLERY_HEADER.rst or README.txt) in the examples folder. While
# ``examples/`` has none, the examples are staged with the header of this folder
# (``gallery_header.rst``) into ``_build/gallery_src`` and the gallery is built from there; the
# scripts themselves are copied unchanged.
EXAMPLES = ROOT / "examples"
_HEADERS = ("GALLERY_HEADER.rst", "GALLERY_HEADER.txt", "README.rst", "README.txt")


def _gallery_source():
    if any((EXAMPLES / name).is_file() for name in _HEADERS):
        return "../examples"
    import shutil

    staged = DOCS / "_build" / "gallery_src"
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    shutil.copyfile(DOCS / "gallery_header.rst", staged / "GALLERY_HEADER.rst")
    for script in sorted(EXAMPLES.glob("*.py")) if EXAMPLES.is_dir() else []:
        shutil.copyfile(script, staged / script.name)
    return str(staged.relative_to(DOCS))


sphinx_gallery_conf = {
    "examples_dirs": _gallery_source(),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("sklearn_causalmix",),
    "abort_on_example_error": False,
    "matplotlib_animations": False,
    "show_memory": False,
}

# -- HTML output --------------------------------------------------------------------------------
if importlib.util.find_spec("pydata_sphinx_theme") is not None:
    html_theme = "pydata_sphinx_theme"
    html_theme_options = {
        "navigation_with_keys": False,
        "show_toc_level": 2,
        "header_links_before_dropdown": 6,
    }
else:
    html_theme = "alabaster"
    html_theme_options = {}
html_title = f"sklearn-causalmix {release}"
html_static_path = []
html_show_sourcelink = False


# -- Generated tables ---------------------------------------------------------------------------
def _write_datasets_table():
    """``generated/datasets_table.rst``: the catalogue of shifted datasets, for the user guide."""
    from sklearn_causalmix.datasets import list_shifted_datasets

    catalogue = list_shifted_datasets()
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 14 8 8 8 10 40 12",
        "",
        "   * - name",
        "     - rows",
        "     - features",
        "     - classes",
        "     - source / target rows",
        "     - shift (source -> target)",
        "     - package",
    ]
    for row in catalogue.itertuples(index=False):
        lines += [
            f"   * - ``{row.name}``",
            f"     - {row.n_rows}",
            f"     - {row.n_features}",
            f"     - {row.n_classes}",
            f"     - {row.n_source} / {row.n_target}",
            f"     - {row.shift}",
            f"     - ``{row.package}``",
        ]
    out = DOCS / "generated" / "datasets_table.rst"
    out.parent.mkdir(exist_ok=True)
    text = "\n".join(lines) + "\n"
    if not out.is_file() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")


_write_datasets_table()


def _fmt(value):
    return f"{value:.4f}" if isinstance(value, float) else value


def _total_and_last(manifest, total_key, last_key):
    """``"2101 (934 in the last run)"`` for continued runs, else the single value."""
    last = manifest.get(last_key)
    total = manifest.get(total_key)
    if total is None or total == last:
        return last
    return f"{total} in total ({last} in the last run)"


def _prior_sizes(prior):
    keys = ("min_rows", "max_rows", "min_features", "max_features", "max_classes")
    if not all(k in prior for k in keys):
        return None
    return (
        f"{prior['min_rows']}-{prior['max_rows']} rows, {prior['min_features']}-{prior['max_features']} "
        f"features, up to {prior['max_classes']} classes (last run)"
    )


def _write_weights_table():
    """``generated/weights_table.rst``: facts from the manifest of the shipped weights."""
    import json

    manifest_path = ROOT / "sklearn_causalmix" / "backbones" / "weights" / "default.json"
    out = DOCS / "generated" / "weights_table.rst"
    out.parent.mkdir(exist_ok=True)
    if not manifest_path.is_file():
        text = (
            ".. note::\n\n   This build of the package holds no shipped weights "
            "(``sklearn_causalmix/backbones/weights/default.json`` is missing).\n"
        )
    else:
        m = json.loads(manifest_path.read_text(encoding="utf-8"))
        arch = m.get("architecture", {})
        facts = [
            ("parameters", f"{m['n_parameters']:,}" if "n_parameters" in m else None),
            (
                "architecture",
                ", ".join(f"{k}={arch[k]}" for k in ("d_model", "n_layers", "n_heads", "mlp_ratio") if k in arch),
            ),
            (
                "limits",
                ", ".join(
                    f"{k}={arch[k]}" for k in ("max_classes", "max_features", "max_context_rows") if k in arch
                ),
            ),
            ("hardware", m.get("hardware")),
            ("device / precision", " / ".join(str(m[k]) for k in ("device", "mixed_precision") if k in m)),
            ("pretraining steps", _total_and_last(m, "steps_total", "steps")),
            ("wall time (s)", _total_and_last(m, "wall_time_total_s", "wall_time_s")),
            ("steps per second", m.get("steps_per_s")),
            ("prior tasks seen (last run)", f"{m['tasks_seen']:,}" if "tasks_seen" in m else None),
            ("prior rows seen (last run)", f"{m['rows_seen']:,}" if "rows_seen" in m else None),
            ("prior task sizes", _prior_sizes(m.get("prior") or {})),
            (
                "prior version",
                m.get("prior_version", "1 (the manifest predates the prior_version field)"),
            ),
            ("seed", m.get("seed")),
            ("held-out prior ROC-AUC", _fmt(m.get("val_auc"))),
            ("held-out prior loss", _fmt(m.get("val_loss"))),
            ("torch", m.get("torch_version")),
            ("sha256 of the weights", f"``{m['sha256']}``" if "sha256" in m else None),
        ]
        commands = m.get("command")
        if isinstance(commands, str):
            commands = [commands]
        if commands:
            facts.append(("command", " then ".join(f"``{c}``" for c in commands)))
        lines = [".. list-table::", "   :widths: 30 70", ""]
        for key, value in facts:
            if value in (None, ""):
                continue
            lines += [f"   * - {key}", f"     - {value}"]
        text = "\n".join(lines) + "\n" + _backbone_benchmark_note(m.get("sha256", ""))
    if not out.is_file() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")


def _backbone_benchmark_note(sha256):
    """A sentence on the zero-shot benchmark, when ``benchmarks/results/backbone.md`` measured these weights."""
    import re

    path = ROOT / "benchmarks" / "results" / "backbone.md"
    if not path.is_file() or not sha256:
        return ""
    report = path.read_text(encoding="utf-8")
    measured = re.search(r"Weights sha256 `([0-9a-f]+)", report)
    if not measured or not sha256.startswith(measured.group(1)):
        return (
            "\n``benchmarks/results/backbone.md`` was measured with other weights than these; rerun "
            "``benchmarks/bench_backbone.py``.\n"
        )
    medians = re.search(
        r"\| shifted domain \| \*\*median\*\* \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \|", report
    )
    if not medians:
        return ""
    zero_shot, logreg, rf, hgb = medians.groups()
    return (
        "\nMeasured zero-shot with these weights (``benchmarks/results/backbone.md``, at most 512 "
        "source-domain training rows, test on the shifted domain of the real tables): median ROC-AUC "
        f"**{zero_shot}**, against {logreg} for logistic regression, {rf} for a random forest and {hgb} "
        "for histogram gradient boosting on the same splits.\n"
    )


_write_weights_table()


# -- Hooks --------------------------------------------------------------------------------------
def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    """Leave out the ``set_*_request`` methods scikit-learn generates for metadata routing.

    They are scikit-learn machinery documented there, and their generated docstrings link to
    labels of scikit-learn's own documentation.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)
