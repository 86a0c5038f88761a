"""The code a user copies first runs as written: README's "A first look" and the quick start.

The Python blocks of README.md's "A first look" section and of the quick start on the front page of
the documentation (docs/index.rst) are extracted and run, in order, in a fresh Python process (in a
temporary folder, so the ``memory=`` cache folder they create lands there). Both load the
two-class ``anes96`` table (where the fine-tuned candidates score differently; on ``penguins`` every
candidate scores 1.0) and say in a comment that ``penguins`` has three classes; each is run as
written and once more with ``penguins`` in place of ``anes96``, so the same code is checked on a
binary and on a multiclass table. The numbers the README quotes about the shipped backbone are
checked against the weights' manifest.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
INDEX = ROOT / "docs" / "index.rst"
TIMEOUT = float(os.environ.get("CAUSALMIX_README_TIMEOUT", "900"))


def readme_blocks():
    """The ```python blocks of README.md's "A first look" section."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## A first look\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, 'README.md has no "## A first look" section'
    return re.findall(r"^```python\n(.*?)^```", match.group(1), flags=re.M | re.S)


def quick_start_blocks():
    """The ``.. code-block:: python`` blocks of the "Quick start" section of docs/index.rst."""
    text = INDEX.read_text(encoding="utf-8")
    match = re.search(r"^Quick start\n=+\n(.*?)(?=^\S[^\n]*\n=+\n|\Z)", text, flags=re.M | re.S)
    assert match, 'docs/index.rst has no "Quick start" section'
    blocks = []
    for block in re.findall(
        r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)", match.group(1), flags=re.M
    ):
        lines = [line[4:] for line in block.rstrip("\n").splitlines()]
        blocks.append("\n".join(lines) + "\n")
    return blocks


def _run(code, tmp_path):
    env = dict(os.environ)
    env.update(
        MPLBACKEND="Agg",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    if os.environ.get("PYTEST_XDIST_WORKER"):
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, (
        f"The snippet failed (exit code {proc.returncode}).\n--- code ---\n{code}\n"
        f"--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-5000:]}"
    )
    return proc.stdout


def _on_table(blocks, table):
    code = "\n".join(blocks)
    assert (
        code.count('load_shifted_dataset("anes96")') == 1
    ), 'the snippet should load "anes96" exactly once (the test swaps in "penguins")'
    return code if table == "anes96" else code.replace('"anes96"', f'"{table}"', 1)


def test_snippets_are_found():
    assert len(readme_blocks()) >= 2
    assert len(quick_start_blocks()) >= 3


@pytest.mark.parametrize("table", ["anes96", "penguins"], ids=["binary", "multiclass"])
def test_readme_first_look_runs(table, tmp_path):
    pytest.importorskip("palmerpenguins", reason="the snippet needs the [datasets] extra")
    out = _run(_on_table(readme_blocks(), table), tmp_path)
    assert "synthetic_ratio" in out  # the printed best_params_
    assert (tmp_path / "causalmix_cache").is_dir()  # memory= was used


@pytest.mark.parametrize("table", ["anes96", "penguins"], ids=["binary", "multiclass"])
def test_quick_start_runs(table, tmp_path):
    pytest.importorskip("palmerpenguins", reason="the snippet needs the [datasets] extra")
    out = _run(_on_table(quick_start_blocks(), table), tmp_path)
    assert "synthetic_ratio" in out and "test_roc_auc" in out


def test_readme_quotes_the_shipped_weights():
    """The README's numbers on the shipped backbone are those of its manifest's validation suite."""
    import json

    manifest = json.loads(
        (ROOT / "sklearn_causalmix" / "backbones" / "embedded" / "weights" / "default.json").read_text(
            encoding="utf-8"
        )
    )
    suite = manifest.get("validation_suite")
    assert suite, "the shipped weights' manifest has no validation_suite; README.md quotes one"
    text = " ".join(README.read_text(encoding="utf-8").split())
    quoted = (
        f"its mean ROC-AUC on the 13 real tables of its validation suite is {suite['mean_auc']:.3f} "
        f"against {suite['random_forest_mean_auc']:.3f} for a random forest"
    )
    assert (
        quoted in text
    ), f"README.md's 'A first look' should quote the shipped weights' validation suite: {quoted!r}"
    assert "over 13 real tables" in suite["what"]
