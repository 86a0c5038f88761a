"""Write the Sphinx inventories (``objects.inv``) that intersphinx reads in this folder.

The documentation links to scikit-learn, numpy, pandas, joblib and PyTorch. Intersphinx normally
downloads each project's ``objects.inv`` at build time; the build machines of this project have no
network, so the inventories are written here instead, from the *installed* packages' public names
and each project's documented URL scheme, and committed. Only the name -> page mapping is ours:
every URL points into the project's own published documentation (the ``stable`` pages).

Regenerate after upgrading one of these packages (from the repository root)::

    python docs/_inventories/make_inventories.py

It needs ``sphobjinv`` (``pip install sphobjinv``). The inventory records the installed version of
each package; names removed upstream later would give dead links, names added later no link.
"""

import importlib
import inspect
import pkgutil
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _public(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    out = []
    for name in names:
        try:  # lazily loaded or experimental names can raise on access
            if not name.startswith("_") and hasattr(module, name):
                out.append(name)
        except Exception:
            continue
    return out


def _methods(cls):
    out = []
    for name, member in inspect.getmembers(cls):
        if name.startswith("_"):
            continue
        if (
            inspect.isfunction(member)
            or inspect.ismethoddescriptor(member)
            or inspect.ismethod(member)
        ):
            out.append((name, "method"))
        elif isinstance(member, property):
            out.append((name, "attribute"))
    return out


def _role(obj):
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return None


# ------------------------------------------------------------------------------------ projects
def sklearn_entries():
    """scikit-learn: ``modules/generated/<full name>.html`` per class/function, ``api/<module>.html``."""
    import sklearn

    entries = [("sklearn", "module", "api/index.html")]
    modules = sorted(
        m.name
        for m in pkgutil.iter_modules(sklearn.__path__, "sklearn.")
        if not m.name.split(".")[-1].startswith("_") and "tests" not in m.name
    )
    modules += ["sklearn.utils.validation", "sklearn.utils.multiclass", "sklearn.metrics.pairwise"]
    for modname in modules:
        try:
            module = importlib.import_module(modname)
        except Exception:  # an optional dependency missing: skip the module
            continue
        entries.append((modname, "module", f"api/{modname}.html"))
        for name in _public(module):
            obj = getattr(module, name)
            role = _role(obj)
            if role is None or not getattr(obj, "__module__", "").startswith("sklearn"):
                continue
            full = f"{modname}.{name}"
            page = f"modules/generated/{full}.html"
            entries.append((full, role, page + "#$"))
            if role == "class":
                for meth, mrole in _methods(obj):
                    entries.append((f"{full}.{meth}", mrole, f"{page}#$"))
    entries.append(("glossary", "std:doc", "glossary.html"))
    return entries


def numpy_entries():
    """numpy: ``reference/generated/numpy.<name>.html``; the random API on its own pages."""
    import numpy as np

    entries = [("numpy", "module", "reference/index.html#module-numpy")]
    for name in _public(np):
        obj = getattr(np, name)
        role = _role(obj)
        if role is None or inspect.ismodule(obj):
            continue
        full = f"numpy.{name}"
        entries.append((full, role, f"reference/generated/{full}.html#$"))
        if role == "class" and name in ("ndarray", "dtype"):
            for meth, mrole in _methods(obj):
                entries.append(
                    (f"{full}.{meth}", mrole, f"reference/generated/{full}.{meth}.html#$")
                )
    entries += [
        ("numpy.random", "module", "reference/random/index.html#module-numpy.random"),
        ("numpy.random.Generator", "class", "reference/random/generator.html#$"),
        ("numpy.random.default_rng", "function", "reference/random/generator.html#$"),
        ("numpy.random.RandomState", "class", "reference/random/legacy.html#$"),
        (
            "numpy.random.SeedSequence",
            "class",
            "reference/random/bit_generators/generated/$.html#$",
        ),
    ]
    return entries


def pandas_entries():
    """pandas: ``reference/api/pandas.<name>.html``, methods on pages of their own."""
    import pandas as pd

    entries = [("pandas", "module", "reference/index.html#module-pandas")]
    for name in _public(pd):
        obj = getattr(pd, name)
        role = _role(obj)
        if role is None or inspect.ismodule(obj):
            continue
        full = f"pandas.{name}"
        entries.append((full, role, f"reference/api/{full}.html#$"))
        if name in ("DataFrame", "Series", "Categorical", "CategoricalDtype", "Index"):
            for meth, mrole in _methods(obj):
                entries.append((f"{full}.{meth}", mrole, f"reference/api/{full}.{meth}.html#$"))
    return entries


def joblib_entries():
    """joblib: ``generated/joblib.<name>.html`` for the names of ``joblib.__all__``."""
    import joblib

    entries = [("joblib", "module", "index.html#module-joblib")]
    for name in _public(joblib):
        obj = getattr(joblib, name)
        role = _role(obj)
        if role is None or inspect.ismodule(obj):
            continue
        full = f"joblib.{name}"
        entries.append((full, role, f"generated/{full}.html#$"))
        if role == "class":
            for meth, mrole in _methods(obj):
                entries.append((f"{full}.{meth}", mrole, f"generated/joblib.{name}.html#$"))
    return entries


def torch_entries():
    """PyTorch: ``generated/<full name>.html`` for functions and classes of the main namespaces;
    ``torch.Tensor`` on ``tensors.html``, ``torch.device``/``torch.dtype`` on ``tensor_attributes.html``.
    """
    import torch

    entries = [
        ("torch", "module", "torch.html#module-torch"),
        ("torch.Tensor", "class", "tensors.html#$"),
        ("torch.device", "class", "tensor_attributes.html#$"),
        ("torch.dtype", "class", "tensor_attributes.html#$"),
        ("torch.nn", "module", "nn.html#module-torch.nn"),
        ("torch.optim", "module", "optim.html#module-torch.optim"),
        ("torch.cuda", "module", "cuda.html#module-torch.cuda"),
    ]
    for name, _ in _methods(torch.Tensor):
        entries.append((f"torch.Tensor.{name}", "method", f"generated/torch.Tensor.{name}.html#$"))
    special = {"Tensor", "device", "dtype"}
    for modname in ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.cuda"):
        module = importlib.import_module(modname)
        names = getattr(module, "__all__", None) or _public(module)
        for name in names:
            if (
                name.startswith("_")
                or (modname == "torch" and name in special)
                or not hasattr(module, name)
            ):
                continue
            obj = getattr(module, name)
            role = _role(obj)
            if role is None or inspect.ismodule(obj):
                continue
            full = f"{modname}.{name}"
            page = f"generated/{full}.html"
            entries.append((full, role, page + "#$"))
            if (
                role == "class"
                and modname in ("torch.nn", "torch.optim")
                and name in ("Module", "Parameter", "AdamW", "Adam", "SGD", "Optimizer")
            ):
                for meth, mrole in _methods(obj):
                    entries.append((f"{full}.{meth}", mrole, page + "#$"))
    entries.append(("torch.Generator", "class", "generated/torch.Generator.html#$"))
    return entries


PROJECTS = {
    # key: (project name, distribution to read the version of, entries)
    "sklearn": ("scikit-learn", "scikit-learn", sklearn_entries),
    "numpy": ("NumPy", "numpy", numpy_entries),
    "pandas": ("pandas", "pandas", pandas_entries),
    "joblib": ("joblib", "joblib", joblib_entries),
    "torch": ("PyTorch", "torch", torch_entries),
}


def write_inventory(key):
    import importlib.metadata

    import sphobjinv as soi

    project, dist, entries_fn = PROJECTS[key]
    inv = soi.Inventory()
    inv.project = project
    inv.version = importlib.metadata.version(dist).split("+")[0]
    seen = set()
    for name, role, uri in sorted(entries_fn()):  # sorted: the same bytes on every run
        domain, role = role.split(":") if ":" in role else ("py", role)
        if (name, role) in seen:
            continue
        seen.add((name, role))
        dispname = "-"
        if domain == "std":
            dispname = name.capitalize()
        inv.objects.append(
            soi.DataObjStr(
                name=name, domain=domain, role=role, priority="1", uri=uri, dispname=dispname
            )
        )
    path = HERE / f"{key}.inv"
    soi.writebytes(path, soi.compress(inv.data_file(contract=True)))
    return path, len(inv.objects), inv.version


def main():
    for key in PROJECTS:
        path, n, version = write_inventory(key)
        print(f"{path.name}: {n} names ({PROJECTS[key][0]} {version})")


if __name__ == "__main__":
    main()
