"""Run every gallery example (``examples/plot_*.py``) as a script in fast mode.

Each example runs in its own subprocess with ``CAUSALMIX_FAST=1`` (the examples then use small
settings, as in the documentation build) and ``MPLBACKEND=Agg``, in a temporary working folder, and
must exit with code 0 within ``CAUSALMIX_EXAMPLE_TIMEOUT`` seconds (default 900: the fine-tuning
examples take minutes on a busy 2-core machine even in fast mode). The documentation build runs the
examples in its own process before autodoc documents the library, so an example must leave every
public class and function of the package as it found it: the run checks that too.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))
TIMEOUT = float(os.environ.get("CAUSALMIX_EXAMPLE_TIMEOUT", "900"))


def _tail(text, n_chars=4000):
    text = text or ""
    return text if len(text) <= n_chars else "...\n" + text[-n_chars:]


def test_examples_folder_has_examples():
    assert EXAMPLES, (
        f"No gallery example found: {EXAMPLES_DIR} holds no plot_*.py file. The gallery and "
        f"tests/test_examples.py expect at least one."
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_has_gallery_header(example):
    """The script starts with the docstring sphinx-gallery turns into the page's title and text."""
    doc = ast.get_docstring(ast.parse(example.read_text(encoding="utf-8")), clean=False)
    assert doc, f"{example.name} has no module docstring; sphinx-gallery needs a title in it."
    lines = [line.strip() for line in doc.strip("\n").splitlines()]
    if lines and lines[0] and set(lines[0]) == {"="}:  # title with an overline
        overline, lines = lines[0], lines[1:]
    else:
        overline = None
    assert (
        len(lines) >= 2
    ), f"{example.name}: the docstring must start with a title and its underline."
    title, underline = lines[0], lines[1]
    assert title and set(underline) == {"="} and len(underline) >= len(title), (
        f"{example.name}: the docstring must start with a title underlined by '=' at least as long "
        f"as the title, got {title!r} / {underline!r}."
    )
    assert (
        overline is None or overline == underline
    ), f"{example.name}: the title's overline and underline must be identical."


# Runs an example as __main__ between two snapshots of the package's public classes and functions.
_GUARDED_RUN = """
import importlib, inspect, pkgutil, runpy, sys
import sklearn_causalmix

def snapshot():
    state = {}
    modules = [sklearn_causalmix] + [
        importlib.import_module("sklearn_causalmix." + m.name)
        for m in pkgutil.iter_modules(sklearn_causalmix.__path__)
        if m.ispkg and not m.name.startswith("_")
    ]
    for module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            # __slotnames__ is cached on a class by copyreg the first time it is pickled or copied
            members = None
            if inspect.isclass(obj):
                members = {k: v for k, v in vars(obj).items() if k != "__slotnames__"}
            state[module.__name__ + "." + name] = (id(obj), members)
    return state

before = snapshot()
runpy.run_path(sys.argv[1], run_name="__main__")
after = snapshot()
changed = sorted(
    name for name in before
    if before[name][0] != after[name][0]
    or (before[name][1] is not None and (
        before[name][1].keys() != after[name][1].keys()
        or any(before[name][1][k] is not after[name][1][k] for k in before[name][1])
    ))
)
if changed:
    sys.exit("the example changed library objects (monkeypatching): " + ", ".join(changed))
"""


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_states_fast_mode_and_thumbnail(example):
    """The text says what the fast mode changes, and the gallery thumbnail is a chosen figure."""
    source = example.read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(source)) or ""
    assert (
        "CAUSALMIX_FAST" in doc
    ), f"{example.name}: the docstring must say what the fast mode (CAUSALMIX_FAST=1) changes"
    assert (
        "sphinx_gallery_thumbnail_number" in source
    ), f"{example.name}: choose the thumbnail figure with '# sphinx_gallery_thumbnail_number = N'"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_in_fast_mode(example, tmp_path):
    env = dict(os.environ)
    env.pop("CAUSALMIX_FULL", None)
    env.update(
        CAUSALMIX_FAST="1",
        MPLBACKEND="Agg",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # Under `pytest -n 2` the examples run beside another worker: one BLAS / OpenMP / torch
        # thread each, as conftest.py sets for in-process tests (oversubscribed cores make fits
        # many times slower).
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _GUARDED_RUN, str(example)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr
        pytest.fail(
            f"{example.name} did not finish within {TIMEOUT:.0f} s in fast mode "
            f"(CAUSALMIX_FAST=1).\n--- stdout ---\n{_tail(out)}\n--- stderr ---\n{_tail(err)}"
        )
    assert proc.returncode == 0, (
        f"{example.name} exited with code {proc.returncode} in fast mode (CAUSALMIX_FAST=1).\n"
        f"--- stdout ---\n{_tail(proc.stdout)}\n--- stderr ---\n{_tail(proc.stderr)}"
    )
