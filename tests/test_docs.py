"""Guards for the documentation: numpydoc docstrings of public names, and a complete API page.

Fast (no Sphinx build). Every name listed in a public sub-package's ``__all__`` must

- have a numpydoc docstring with a summary line and an ``Examples`` section holding a doctest
  (CONTRIBUTING: every public name has a runnable example; pytest runs them as doctests);
- document only parameters its signature has (and, for functions and estimators, all of them);
  public methods of estimators likewise;
- appear, once, in an ``autosummary`` table of its sub-package's page ``docs/api/<sub>.rst``,
  which lists nothing else.

These checks parse docstrings here, so they run with the test extra alone. Where the docs extra is
installed (numpydoc, docutils), each docstring is also rendered as numpydoc renders it for Sphinx
and parsed as reStructuredText, which catches what breaks ``make html`` (e.g. ``n_features_in_``
without backticks). With the docs extra, the whole documentation is also built -- nitpicky, every
warning an error, without executing the gallery (tests/test_examples.py runs the examples) -- and
the built site is checked for offline math and for the API pages' methods. ``bash docs/ci_build.sh``
builds it with the gallery executed in fast mode.
"""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from sklearn.base import BaseEstimator

import sklearn_causalmix

ROOT = Path(__file__).resolve().parents[1]
API_DIR = ROOT / "docs" / "api"


def _subpackages():
    """Public sub-packages that exist (a folder without ``__init__.py`` is not one yet)."""
    names = []
    for info in pkgutil.iter_modules(sklearn_causalmix.__path__):
        if info.name.startswith("_") or not info.ispkg:
            continue
        module = importlib.import_module(f"sklearn_causalmix.{info.name}")
        if getattr(module, "__file__", None) is None:  # a namespace package: nothing written yet
            continue
        names.append(info.name)
    return sorted(names)


SUBPACKAGES = _subpackages()


def _public_objects():
    items = []
    for sub in SUBPACKAGES:
        module = importlib.import_module(f"sklearn_causalmix.{sub}")
        for name in getattr(module, "__all__", []):
            items.append((sub, name, getattr(module, name)))
    return items


PUBLIC = _public_objects()
# Classes and functions carry their own docstrings. Module-level data (a dict of scorers, a list of
# column names, a version number) cannot; they are checked for a listing in docs/api/ only.
DOCUMENTED = [
    (sub, name, obj) for sub, name, obj in PUBLIC if inspect.isclass(obj) or inspect.isfunction(obj)
]


def _public_methods(cls):
    return [
        (name, member)
        for name, member in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(member)
    ]


def _path(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


# ------------------------------------------------------------------------------ docstring parsing
def _sections(doc):
    """``{section name: lines}`` of a numpydoc docstring; the summary part is under ``""``."""
    lines = inspect.cleandoc(doc).splitlines()
    sections = {"": []}
    current = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            line.strip()
            and not line.startswith(" ")
            and re.fullmatch(r"-{3,}", nxt.strip())
            and len(nxt.strip()) >= len(line.strip())
        ):
            current = line.strip()
            sections[current] = []
            i += 2
            continue
        sections[current].append(line)
        i += 1
    return sections


def _documented_parameters(lines):
    """Names declared in a Parameters section (``a, b : int`` declares ``a`` and ``b``)."""
    names = []
    for line in lines:
        if not line.strip() or line.startswith(" "):
            continue
        head = line.split(" : ", 1)[0].strip()
        names += [part.strip().lstrip("*") for part in head.split(",") if part.strip()]
    return names


def _signature_parameters(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    return [name for name in signature.parameters if name not in ("self", "cls")]


def _docstring_problems(obj, *, need_examples, need_all_parameters):
    doc = inspect.getdoc(obj)
    if not doc or not doc.strip():
        return ["no docstring"]
    problems = []
    sections = _sections(doc)
    summary = [line for line in sections[""] if line.strip()]
    if not summary:
        problems.append("no summary line")
    if need_examples:
        examples = sections.get("Examples")
        if examples is None:
            problems.append("no Examples section")
        elif not any(line.lstrip().startswith(">>>") for line in examples):
            problems.append("the Examples section holds no doctest (>>>)")
    documented = _documented_parameters(sections.get("Parameters", []))
    in_signature = _signature_parameters(obj)
    if in_signature is not None:
        unknown = [name for name in documented if name not in in_signature]
        if unknown:
            problems.append(f"documents parameters {unknown} that the signature does not have")
        if need_all_parameters:
            missing = [name for name in in_signature if name not in documented]
            if missing:
                problems.append(f"parameters {missing} are not documented")
    return problems


def _wants_all_parameters(obj):
    # Functions and estimators document their whole signature; dataclasses, exceptions and torch
    # modules have generated or inherited constructors and document fields or attributes instead.
    return inspect.isfunction(obj) or (inspect.isclass(obj) and issubclass(obj, BaseEstimator))


# ------------------------------------------------------------------------------ tests
def test_subpackages_declare_all():
    assert SUBPACKAGES, "no public sub-package found"
    for sub in SUBPACKAGES:
        module = importlib.import_module(f"sklearn_causalmix.{sub}")
        assert isinstance(
            getattr(module, "__all__", None), list
        ), f"sklearn_causalmix.{sub} has no __all__ list; re-export its public names and list them there."


@pytest.mark.parametrize(
    "obj", [o for _, _, o in DOCUMENTED], ids=[f"{s}.{n}" for s, n, _ in DOCUMENTED]
)
def test_public_name_has_numpydoc_docstring_with_examples(obj):
    problems = _docstring_problems(
        obj, need_examples=True, need_all_parameters=_wants_all_parameters(obj)
    )
    assert not problems, f"{_path(obj)}: " + "; ".join(problems)


ESTIMATOR_METHODS = [
    (f"{sub}.{name}.{meth_name}", meth)
    for sub, name, obj in DOCUMENTED
    if inspect.isclass(obj) and issubclass(obj, BaseEstimator)
    for meth_name, meth in _public_methods(obj)
]


@pytest.mark.parametrize(
    "meth", [m for _, m in ESTIMATOR_METHODS], ids=[i for i, _ in ESTIMATOR_METHODS]
)
def test_estimator_methods_are_documented(meth):
    problems = _docstring_problems(meth, need_examples=False, need_all_parameters=True)
    assert not problems, f"{_path(meth)}: " + "; ".join(problems)


def test_docstring_parser_reads_numpydoc_sections():
    def f(a, b, *args, c=1, **kwargs):
        """Do it.

        Parameters
        ----------
        a, b : int
            Numbers.
        *args : tuple
        c : int, default=1
        **kwargs : dict

        Examples
        --------
        >>> f(1, 2)
        """

    sections = _sections(f.__doc__)
    assert _documented_parameters(sections["Parameters"]) == ["a", "b", "args", "c", "kwargs"]
    assert _docstring_problems(f, need_examples=True, need_all_parameters=True) == []

    def g(a, d):
        """Do it.

        Parameters
        ----------
        a : int
        e : int
        """

    assert _docstring_problems(g, need_examples=True, need_all_parameters=True) == [
        "no Examples section",
        "documents parameters ['e'] that the signature does not have",
        "parameters ['d'] are not documented",
    ]


# ------------------------------------------------------------------------------ reST (docs extra)
def _rst_checker():
    """``check(obj) -> messages``: parse an object's numpydoc rendering with docutils.

    Sphinx's roles and directives are replaced by inert stand-ins, so what is reported is a
    reStructuredText error of the docstring itself -- e.g. ``(n_features_in_,)`` written without
    backticks, which reST reads as a link to a target ``n_features_in`` and Sphinx reports as
    'Unknown target name'.
    """
    import io

    import docutils.core
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives, roles
    from numpydoc.docscrape_sphinx import get_doc_object

    def inert_role(name, rawtext, text, lineno, inliner, options=None, content=None):
        return [nodes.literal(rawtext, text)], []

    class AnyOption(dict):
        def __getitem__(self, key):
            return directives.unchanged

        def __contains__(self, key):
            return True

    class InertDirective(Directive):
        has_content = True
        optional_arguments = 10
        final_argument_whitespace = True
        option_spec = AnyOption()

        def run(self):
            return []

    for role in (
        "class",
        "func",
        "meth",
        "attr",
        "mod",
        "data",
        "obj",
        "term",
        "ref",
        "exc",
        "doc",
        "math",
    ):
        roles.register_local_role(role, inert_role)
    for directive in (
        "autosummary",
        "only",
        "plot",
        "seealso",
        "versionadded",
        "versionchanged",
        "deprecated",
    ):
        directives.register_directive(directive, InertDirective)

    def check(obj):
        text = str(get_doc_object(obj, config={"show_class_members": False}))
        stream = io.StringIO()
        docutils.core.publish_doctree(
            text,
            settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": stream},
        )
        return stream.getvalue().strip()

    return check


DOCSTRING_TARGETS = [
    target
    for sub, name, obj in DOCUMENTED
    for target in [(f"{sub}.{name}", obj)]
    + (
        [(f"{sub}.{name}.{m}", meth) for m, meth in _public_methods(obj)]
        if inspect.isclass(obj)
        else []
    )
]


@pytest.fixture(scope="module")
def rst_check():
    pytest.importorskip("numpydoc", reason='numpydoc is in the docs extra (pip install ".[docs]")')
    pytest.importorskip("docutils", reason='docutils is in the docs extra (pip install ".[docs]")')
    return _rst_checker()


@pytest.mark.parametrize(
    "obj", [o for _, o in DOCSTRING_TARGETS], ids=[i for i, _ in DOCSTRING_TARGETS]
)
def test_docstring_is_valid_restructuredtext(obj, rst_check):
    messages = rst_check(obj)
    assert not messages, (
        f"The docstring of {_path(obj)} breaks the documentation build:\n{messages}\n"
        "(names ending in '_' need backticks in reST: ``n_features_in_``)"
    )


# ------------------------------------------------------------------------------ api.rst
def _api_listing():
    """``{module: [names]}`` from the autosummary tables of the pages in docs/api/ (with repeats)."""
    listing = {}
    for page in sorted(API_DIR.glob("*.rst")):
        module = None
        in_autosummary = False
        for line in page.read_text(encoding="utf-8").splitlines():
            match = re.match(r"\.\. currentmodule:: (\S+)", line.strip())
            if match:
                module = match.group(1)
                continue
            if line.startswith(".. autosummary::"):
                in_autosummary = True
                continue
            if in_autosummary:
                stripped = line.strip()
                if not stripped or stripped.startswith(":"):
                    continue
                if line.startswith("   "):
                    assert page.stem == module.rpartition(".")[2], (
                        f"docs/api/{page.name} lists {module}.{stripped}: each sub-package's names "
                        f"belong on its own page, docs/api/{module.rpartition('.')[2]}.rst"
                    )
                    listing.setdefault(module, []).append(stripped)
                    continue
                in_autosummary = False
    return listing


def test_api_reference_lists_every_public_name():
    listing = _api_listing()
    for sub in SUBPACKAGES:
        module_name = f"sklearn_causalmix.{sub}"
        exported = set(importlib.import_module(module_name).__all__)
        repeated = sorted({n for n in listing.get(module_name, []) if listing[module_name].count(n) > 1})
        assert not repeated, f"docs/api/{sub}.rst lists {repeated} more than once"
        listed = set(listing.get(module_name, []))
        missing = sorted(exported - listed)
        extra = sorted(listed - exported)
        assert not missing, f"docs/api/{sub}.rst does not list {missing} of {module_name}.__all__"
        assert (
            not extra
        ), f"docs/api/{sub}.rst lists {extra} under {module_name}, which are not in its __all__"
    documented_modules = {m for m in listing if m and m.startswith("sklearn_causalmix.")}
    unknown = sorted(documented_modules - {f"sklearn_causalmix.{s}" for s in SUBPACKAGES})
    assert not unknown, f"docs/api/ documents modules that do not exist (yet): {unknown}"
    toctree = (API_DIR / "index.rst").read_text(encoding="utf-8")
    unlisted = [s for s in SUBPACKAGES if not re.search(rf"^   (\S+ <)?{s}>?$", toctree, flags=re.M)]
    assert not unlisted, f"docs/api/index.rst's toctree does not list the pages of {unlisted}"


def test_top_level_names_are_documented_in_a_subpackage():
    documented = {id(obj) for _, _, obj in PUBLIC}
    top = [n for n in sklearn_causalmix.__all__ if not n.startswith("__")]
    missing = sorted(n for n in top if id(getattr(sklearn_causalmix, n)) not in documented)
    assert not missing, f"top-level names {missing} are not exported by any documented sub-package"


# ------------------------------------------------------------------------------ Sphinx build (docs extra)
@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    """``make html-noplot`` with ``-W -n --keep-going`` into a temporary folder."""
    import importlib.util
    import os
    import subprocess
    import sys

    for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme"):
        pytest.importorskip(
            module, reason='the documentation build needs the docs extra (pip install ".[docs]")'
        )
    assert (
        importlib.util.find_spec("sphinx-mathjax-offline") is not None
    ), "sphinx-mathjax-offline (docs extra) is missing: formulas would need MathJax from the network"
    out = tmp_path_factory.mktemp("docs_build")
    env = dict(os.environ, MPLBACKEND="Agg", CAUSALMIX_FAST="1")
    env.pop("CAUSALMIX_FULL", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "-n",
            "--keep-going",
            "-q",
            "-D",
            "plot_gallery=0",
            "-b",
            "html",
            str(ROOT / "docs"),
            str(out / "html"),
        ],
        cwd=ROOT / "docs",
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, (
        "The documentation build (sphinx -W -n, gallery not executed) failed:\n"
        f"{proc.stderr[-6000:]}\n{proc.stdout[-2000:]}"
    )
    return out / "html"


def test_built_site_loads_nothing_from_the_network(built_docs):
    """No page loads a script, a style sheet, a font or an image from another host (no CDN)."""
    remote = re.compile(
        r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//[^\"']*", re.I
    )
    found = {}
    for page in built_docs.rglob("*.html"):
        hits = remote.findall(page.read_text(encoding="utf-8", errors="replace"))
        if hits:
            found[str(page.relative_to(built_docs))] = hits[:3]
    assert not found, f"pages that load from the network: {found}"
    styles = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in built_docs.rglob("*.css"))
    assert not re.search(r"@import\s+url\([\"']?https?:", styles), "a style sheet imports a remote file"


def test_docs_build_is_nitpick_clean_and_offline(built_docs):
    page = (built_docs / "user_guide" / "shift_evaluation.html").read_text(encoding="utf-8")
    assert "_static/mathjax/tex-chtml.js" in page, "formulas must load the local MathJax copy"
    assert "cdn.jsdelivr.net" not in page
    assert (built_docs / "_static" / "mathjax" / "tex-chtml.js").is_file()
    api = (built_docs / "generated" / "sklearn_causalmix.augment.NoiseAugmenter.html").read_text(
        encoding="utf-8"
    )
    for method in ("fit", "sample", "fit_resample"):  # inherited from BaseAugmenter
        assert (
            f'id="sklearn_causalmix.augment.NoiseAugmenter.{method}"' in api
        ), f"the NoiseAugmenter API page does not document its inherited method {method}"
    cls = (
        built_docs / "generated" / "sklearn_causalmix.augment.CausalSCMAugmenter.html"
    ).read_text(encoding="utf-8")
    assert 'id="sklearn_causalmix.augment.CausalSCMAugmenter.fit"' in cls
    assert "https://scikit-learn.org/stable/modules/generated/" in (
        built_docs / "user_guide" / "synthetic_ratio.html"
    ).read_text(encoding="utf-8"), "intersphinx links to scikit-learn are missing"


def test_no_tracked_file_points_outside_the_checkout():
    """A reader of the repository or the site cannot open the "shared" folder that lies beside a
    developer's checkout: no text file of the package, tests, docs, benchmarks or examples names it."""
    folders = ("sklearn_causalmix", "tests", "docs", "benchmarks", "examples")
    suffixes = {".py", ".md", ".rst", ".txt", ".cfg", ".toml", ".json", ".sh", ".csv"}
    found = []
    for folder in folders:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in suffixes or "_build" in path.parts or not path.is_file():
                continue
            if "../" + "shared" in path.read_text(encoding="utf-8", errors="replace"):
                found.append(str(path.relative_to(ROOT)))
    for name in ("README.md", "setup.cfg", "pyproject.toml"):
        if "../" + "shared" in (ROOT / name).read_text(encoding="utf-8"):
            found.append(name)
    assert not found, f"files naming a path outside the checkout: {found}"
