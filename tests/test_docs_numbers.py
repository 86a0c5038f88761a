"""Every number on the front page and the runtime page matches the file it comes from.

- ``docs/runtime.rst`` quotes measurements only through ``:measured:`KEY``` (and ``..
  measured-table::``), which the documentation build reads from ``benchmarks/results/*.md`` or
  from the shipped weights' manifest (``docs/_ext/causalmix_numbers.py``). Each key must still be
  found in its file, and every other number of a section -- a setting such as "1000 rows x 20
  features", a command-line option -- must appear in a file that the section cites.
- ``docs/index.rst`` has no measurement typed by hand (the model's quality is generated from the
  manifest and ``benchmarks/results/backbone.md``); its other numbers are the citation (as on
  ``docs/citation.rst``), the Python requirement (``pyproject.toml``) and, in code, parameters of
  the examples.

Fast: no Sphinx build; the values are read as the build reads them.
"""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

numbers = pytest.importorskip("causalmix_numbers", reason="docs/_ext is part of the checkout")
docutils = pytest.importorskip("docutils", reason="the docs extension imports docutils (docs extra)")

NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?")
#: Values computed from a file's values rather than copied from it (a ratio, a count, a unit).
DERIVED = {
    "augmenter.auto_slowdown",
    "context_length.auc_4096",
    "finetune.seconds_per_step",
    "ratio_study.methods",
    "ratio_study.seeds",
    "ratio_study.r05_effect",
    "ratio_study.r1_effect",
    "ratio_study.r1_logloss",
    "ratio_study.finetune_vs_zero_shot",
    "ratio_study.paper_finetune",
    "ratio_study.paper_r1",
    "ratio_study_arms.noise_r05",
    "ratio_study_arms.smote_r05",
    "ratio_study_arms.copula_r05",
    "ratio_study_arms.noise_logloss",
    "ratio_study_ctgan.ctgan_r05",
    "ratio_study_domain_feature.do_r05",
    "ratio_study_ctgan.ece",
    "ratio_study_controls.random_graph_r05",
    "ratio_study_controls.independence_r1",
    "ratio_study_iid.r05_effect",
    "ratio_study_iid.r1_effect",
    "ratio_study_iid.finetune_vs_zero_shot",
    "finetune_gain.auc_median",
    "finetune_gain.auc_mean",
    "finetune_gain.logloss_mean",
    "finetune_gain.brier_mean",
    "finetune_gain.vs_old_auc",
    "finetune_gain_large.auc_mean",
    "finetune_gain_bagged.auc_mean",
    "finetune_gain_bagged.auc_median",
    "finetune_gain_shifted.auc_mean",
    "finetune_gain_shifted.ece_mean",
    "finetune_gain_shifted.old_ece_mean",
    "quality.seeds",
    "quality.ratios",
    "weights.parameters",
    "weights.steps",
    "weights.wall_hours",
    "weights.cpu_hours",
    "weights.sessions",
}


def _normal(text):
    """Numbers compared without thousands separators: ``1,000`` is ``1000``."""
    return re.sub(r"(?<=\d),(?=\d{3})", "", text)


def _prose(rst):
    """The text of a page without its code blocks (examples' parameters are not results)."""
    out, skipping, indent = [], False, 0
    for line in rst.splitlines():
        stripped = line.strip()
        if skipping:
            if stripped and len(line) - len(line.lstrip()) <= indent:
                skipping = False
            else:
                continue
        if re.match(r"\.\. (code-block|code|sourcecode|literalinclude|toctree)::", stripped) or stripped.endswith("::") and not stripped.startswith(".."):
            skipping, indent = True, len(line) - len(line.lstrip())
            if not stripped.startswith(".."):
                out.append(line[:-1])
            continue
        out.append(line)
    return "\n".join(out)


def _sections(text):
    """``[(title, body)]`` of an reST page, split at its section titles."""
    parts = re.split(r"\n([^\n]+)\n([=\-~^]{3,})\n", "\n" + text)
    sections = [("", parts[0])]
    for i in range(1, len(parts), 3):
        sections.append((parts[i], parts[i + 2] if i + 2 < len(parts) else ""))
    return sections


def _resolve(text):
    """Replace ``:measured:`KEY``` by its value (derived ones by nothing); return the text and the
    files the keys read."""
    files = set()

    def value(match):
        files.add(numbers.source(match.group(1)))
        # derived values are computed from the file's numbers, not written in it
        return " " if match.group(1) in DERIVED else numbers.measured(match.group(1))

    return re.sub(r":measured:`([^`]+)`", value, text), files


def _cited(text):
    """Results files a section links (``:doc:`... </benchmarks/NAME>```) or shows (``measured-table``)."""
    files = set()
    for stem in re.findall(r"</benchmarks/([\w]+)>`", text):
        page = (DOCS / "benchmarks" / f"{stem}.rst").read_text(encoding="utf-8")
        files.add(numbers.RESULTS / re.search(r"results-file:: (\S+)", page).group(1))
    for key in re.findall(r"^\.\. measured-table:: (\S+)", text, flags=re.M):
        files.add(numbers.RESULTS / numbers.TABLES[key][0])
    if "default.json" in text:
        files.add(numbers.MANIFEST)
    if ":ref:`benchmark_files`" in text:  # the page's introduction speaks of all of them
        files.update(numbers.RESULTS.glob("*.md"))
    return files


@pytest.mark.parametrize("key", sorted(numbers.MEASURED))
def test_measured_number_is_in_its_file(key):
    value = numbers.measured(key)
    assert value, f"{key}: empty value"
    if key in DERIVED:
        return
    source = numbers.source(key).read_text(encoding="utf-8")
    assert value in source or _normal(value) in _normal(source), (
        f":measured:`{key}` = {value!r} is not written in {numbers.source(key).name}"
    )


def _blocks(body):
    """Paragraphs and list items of a section."""
    return [b for b in re.split(r"\n\s*\n|\n(?=- )", body) if b.strip()]


def test_runtime_page_numbers_come_from_results_files():
    """Each number of a paragraph is in a file the paragraph (else its section) cites."""
    text = _prose((DOCS / "runtime.rst").read_text(encoding="utf-8"))
    problems = []
    for title, body in _sections(text):
        body = body.replace("|ratio-study-weights|", "")
        section_files = _resolve(body)[1] | _cited(body)
        for block in _blocks(body):
            resolved, read = _resolve(block)
            files = (read | _cited(block)) or section_files
            # roles' targets and references are names, not numbers
            words = re.sub(r":\w+:`[^`]*`|<[^>]*>`", " ", resolved)
            tokens = NUMBER.findall(words)
            if not tokens:
                continue
            if not files:
                problems.append(f"section {title!r} quotes {tokens} but cites no results file")
                continue
            corpus = _normal("\n".join(f.read_text(encoding="utf-8") for f in files))
            for token in tokens:
                if _normal(token) not in corpus:
                    problems.append(
                        f"section {title!r}: {token} is in none of {sorted(f.name for f in files)}"
                    )
    assert not problems, "docs/runtime.rst:\n" + "\n".join(problems)


def test_runtime_page_has_no_measurement_typed_by_hand():
    """Decimal numbers (times, rates, sizes) on the runtime page come through :measured: only."""
    text = _prose((DOCS / "runtime.rst").read_text(encoding="utf-8"))
    text = re.sub(r":measured:`[^`]*`|``[^`]*``|<[^>]*>`", " ", text)
    typed = re.findall(r"(?<![\w.])\d+\.\d+", text)
    assert not typed, f"docs/runtime.rst types measurements by hand: {typed}; use :measured:`KEY`"


def test_front_page_numbers_have_a_source():
    text = _prose((DOCS / "index.rst").read_text(encoding="utf-8"))
    text = re.sub(r":\w+:`[^`]*`", " ", text)
    text = re.sub(r"^\.\. .*$", " ", text, flags=re.M)  # directives name blocks, files, labels
    citation = (DOCS / "citation.rst").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    python = re.search(r'requires-python = ">=([\d.]+)"', pyproject).group(1)
    problems = []
    for token in NUMBER.findall(text):
        if token == python or token in citation:
            continue
        problems.append(token)
    assert not problems, (
        f"docs/index.rst types numbers {problems} that are neither the citation (docs/citation.rst) "
        "nor the Python requirement (pyproject.toml): generate them from a results file in "
        "docs/conf.py, or use :measured:`KEY` (docs/_ext/causalmix_numbers.py)"
    )


def test_every_results_file_has_a_page():
    shown = {
        re.search(r"results-file:: (\S+)", page.read_text(encoding="utf-8")).group(1)
        for page in (DOCS / "benchmarks").glob("*.rst")
        if "results-file::" in page.read_text(encoding="utf-8")
    }
    committed = {
        p.relative_to(numbers.RESULTS).as_posix()
        for p in numbers.RESULTS.rglob("*")
        if p.suffix in (".md", ".txt") and "cache" not in p.parts
    }
    missing = sorted(committed - shown)
    assert not missing, (
        f"benchmarks/results files without a page in docs/benchmarks/: {missing} (add a page with "
        "'.. results-file:: NAME' and list it in docs/benchmarks/index.rst)"
    )


def test_quick_study_duration_is_not_stale():
    """The study page once said ``--quick`` takes "about 3 minutes"; it is a minute or two now."""
    study = (DOCS / "user_guide" / "study.rst").read_text(encoding="utf-8")
    assert "about 3 minutes" not in study


def test_quick_start_outputs_belong_to_the_code():
    """The recorded outputs shown on the front page were printed by the quick start as it is now."""
    import json

    quickstart = pytest.importorskip("causalmix_quickstart")
    data = json.loads(quickstart.OUTPUTS.read_text(encoding="utf-8"))
    blocks = quickstart.quick_start_blocks()
    assert len(data["blocks"]) == len(blocks), "rerun python docs/_ext/causalmix_quickstart.py"
    for number, (entry, code) in enumerate(zip(data["blocks"], blocks), start=1):
        assert entry["code_sha256"] == quickstart.code_hash(code), (
            f"quick-start block {number} changed since its output was recorded: "
            "rerun python docs/_ext/causalmix_quickstart.py"
        )
    shown = re.findall(r"^\.\. quickstart-output:: (\d+)", (DOCS / "index.rst").read_text(encoding="utf-8"), flags=re.M)
    printing = [str(n) for n, entry in enumerate(data["blocks"], start=1) if entry["output"].strip()]
    assert shown == printing, f"the front page shows the output of blocks {shown}; blocks {printing} print"
