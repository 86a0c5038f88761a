"""Guards for the documentation: numpydoc docstrings of public names, and a complete API page.

Fast (no Sphinx build): every name listed in a sub-package's ``__all__`` must

- have a numpydoc docstring with a summary line and an ``Examples`` section (CONTRIBUTING: every
  public name has a runnable example; pytest runs them as doctests), whose documented parameters
  exist in the signature (and, for functions and estimators, cover it);
- appear in an ``autosummary`` table of ``docs/api.rst``, and no name listed there may be missing
  from ``__all__``.

The documentation build itself (``cd docs && make html``) runs the gallery; it is not run here.
"""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from sklearn.base import BaseEstimator

import sklearn_causalmix

numpydoc_validate = pytest.importorskip("numpydoc.validate", reason="numpydoc is in the [docs] extra")

ROOT = Path(__file__).resolve().parents[1]
API_RST = ROOT / "docs" / "api.rst"


def _subpackages():
    """Public sub-packages that exist and declare ``__all__``."""
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
DOCUMENTED = [
    (sub, name, obj) for sub, name, obj in PUBLIC if inspect.isclass(obj) or inspect.isfunction(obj)
]
# Module-level data (a dict of scorers, a scorer instance) cannot all carry a docstring of their own;
# they are checked for a listing in api.rst only.


def _import_path(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


def test_subpackages_declare_all():
    assert SUBPACKAGES, "no public sub-package found"
    for sub in SUBPACKAGES:
        module = importlib.import_module(f"sklearn_causalmix.{sub}")
        assert isinstance(getattr(module, "__all__", None), list), (
            f"sklearn_causalmix.{sub} has no __all__ list; re-export its public names and list them there."
        )


@pytest.mark.parametrize(
    "obj", [o for _, _, o in DOCUMENTED], ids=[f"{s}.{n}" for s, n, _ in DOCUMENTED]
)
def test_public_name_has_numpydoc_docstring_with_examples(obj):
    result = numpydoc_validate.validate(_import_path(obj))
    codes = {code: message for code, message in result["errors"]}
    wanted = ["GL08", "SS01", "EX01", "PR02"]
    # Parameters must cover the signature for functions and estimators (not for dataclasses,
    # exceptions or torch modules, whose constructors are generated or inherited).
    if inspect.isfunction(obj) or (inspect.isclass(obj) and issubclass(obj, BaseEstimator)):
        wanted.append("PR01")
    problems = [f"{code}: {codes[code]}" for code in wanted if code in codes]
    assert not problems, f"{_import_path(obj)}: " + "; ".join(problems)


def _estimator_methods():
    items = []
    for sub, name, obj in DOCUMENTED:
        if not (inspect.isclass(obj) and issubclass(obj, BaseEstimator)):
            continue
        for meth_name, meth in vars(obj).items():
            if meth_name.startswith("_") or not inspect.isfunction(meth):
                continue
            items.append((f"{sub}.{name}.{meth_name}", f"{_import_path(obj)}.{meth_name}"))
    return items


ESTIMATOR_METHODS = _estimator_methods()


@pytest.mark.parametrize("path", [p for _, p in ESTIMATOR_METHODS], ids=[i for i, _ in ESTIMATOR_METHODS])
def test_estimator_methods_are_documented(path):
    result = numpydoc_validate.validate(path)
    codes = {code: message for code, message in result["errors"]}
    problems = [f"{code}: {codes[code]}" for code in ("GL08", "SS01", "PR01", "PR02") if code in codes]
    assert not problems, f"{path}: " + "; ".join(problems)


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

    for role in ("class", "func", "meth", "attr", "mod", "data", "obj", "term", "ref", "exc", "doc", "math"):
        roles.register_local_role(role, inert_role)
    for directive in ("autosummary", "only", "plot", "seealso", "versionadded", "versionchanged", "deprecated"):
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


def _docstring_targets():
    items = []
    for sub, name, obj in DOCUMENTED:
        items.append((f"{sub}.{name}", obj))
        if inspect.isclass(obj):
            for meth_name, meth in vars(obj).items():
                if not meth_name.startswith("_") and inspect.isfunction(meth):
                    items.append((f"{sub}.{name}.{meth_name}", meth))
    return items


DOCSTRING_TARGETS = _docstring_targets()


@pytest.mark.parametrize("obj", [o for _, o in DOCSTRING_TARGETS], ids=[i for i, _ in DOCSTRING_TARGETS])
def test_docstring_is_valid_restructuredtext(obj):
    messages = _RST_CHECK(obj)
    assert not messages, (
        f"The docstring of {obj.__module__}.{obj.__qualname__} breaks the documentation build:\n{messages}\n"
        "(names ending in '_' need backticks in reST: ``n_features_in_``)"
    )


_RST_CHECK = _rst_checker()


def _api_listing():
    """``{module: {names}}`` from the autosummary tables of docs/api.rst."""
    listing = {}
    module = None
    in_autosummary = False
    for line in API_RST.read_text(encoding="utf-8").splitlines():
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
                listing.setdefault(module, set()).add(stripped)
                continue
            in_autosummary = False
    return listing


def test_api_reference_lists_every_public_name():
    listing = _api_listing()
    for sub in SUBPACKAGES:
        module_name = f"sklearn_causalmix.{sub}"
        exported = set(importlib.import_module(module_name).__all__)
        listed = listing.get(module_name, set())
        missing = sorted(exported - listed)
        extra = sorted(listed - exported)
        assert not missing, f"docs/api.rst does not list {missing} of {module_name}.__all__"
        assert not extra, f"docs/api.rst lists {extra} under {module_name}, which are not in its __all__"
    documented_modules = {m for m in listing if m and m.startswith("sklearn_causalmix.")}
    unknown = sorted(documented_modules - {f"sklearn_causalmix.{s}" for s in SUBPACKAGES})
    assert not unknown, f"docs/api.rst documents modules that do not exist (yet): {unknown}"


def test_top_level_names_are_documented_in_a_subpackage():
    documented = {name for _, name, _ in PUBLIC}
    top = [n for n in sklearn_causalmix.__all__ if not n.startswith("__")]
    missing = sorted(set(top) - documented)
    assert not missing, f"top-level names {missing} are not exported by any documented sub-package"
