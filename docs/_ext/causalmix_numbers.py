"""Measured numbers quoted in the documentation, read from the committed results at build time.

A page writes ``:measured:`finetune.steps_per_s``` where it quotes a measurement; the build
replaces it with the value read from its results file (``benchmarks/results/*.md``) or from the
manifest of the shipped weights, and fails when the file no longer holds it. ``.. measured-table::
KEY`` renders a whole table of a results file. Nothing on the runtime page is typed by hand, so it
cannot drift from the files; ``tests/test_docs_numbers.py`` checks the rest of the page's numbers.

Every value is a string exactly as the file writes it, except the few marked *derived* (a ratio,
a count of columns, a unit conversion), which are computed from values of the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
MANIFEST = ROOT / "sklearn_causalmix" / "backbones" / "embedded" / "weights" / "default.json"


class MissingMeasurement(LookupError):
    """A results file no longer holds the number a page quotes."""


# ------------------------------------------------------------------------------------ markdown tables
@dataclass
class Table:
    """One pipe table of a markdown file, under the headings it follows."""

    headings: tuple  # the headings above it, outermost first
    columns: list
    rows: list

    def row(self, first):
        """The row whose first cell contains ``first`` (the first such row)."""
        for row in self.rows:
            if first in row[0]:
                return row
        raise MissingMeasurement(f"no row starting with {first!r} in table {self.columns}")

    def column(self, part):
        """The name of the first column whose name contains ``part``."""
        for name in self.columns:
            if part in name:
                return name
        raise MissingMeasurement(f"no column {part!r} in {self.columns}")

    def cell(self, first, column):
        """The cell of the row starting with ``first`` in the first column containing ``column``."""
        return self.row(first)[self.columns.index(self.column(column))]

    def find(self, match, what):
        """The first row, as ``{column: cell}``, for which ``match(cells)`` is true."""
        for row in self.rows:
            cells = dict(zip(self.columns, row))
            if match(cells):
                return cells
        raise MissingMeasurement(f"no row of {what} in table {self.columns}")


def _cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


@lru_cache(maxsize=None)
def tables(name):
    """Every pipe table of ``benchmarks/results/<name>``, in order."""
    path = RESULTS / name
    if not path.is_file():
        raise MissingMeasurement(f"benchmarks/results/{name} does not exist")
    lines = path.read_text(encoding="utf-8").splitlines()
    out, headings, i = [], [], 0
    while i < len(lines):
        line = lines[i]
        heading = re.match(r"^(#+) (.*)$", line)
        if heading:
            level = len(heading.group(1))
            headings = headings[: level - 1] + [heading.group(2).strip()]
        elif line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-:| ]+\|$", lines[i + 1].strip()):
            columns, rows = _cells(line), []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            out.append(Table(tuple(headings), columns, rows))
            continue
        i += 1
    return out


def table(name, *, heading="", columns="", last=False):
    """The first (or ``last``) table of a file under a heading containing ``heading`` whose
    header contains ``columns``."""
    found = [
        t
        for t in tables(name)
        if any(heading in h for h in t.headings or ("",)) and any(columns in c for c in t.columns)
    ]
    if not found:
        raise MissingMeasurement(f"benchmarks/results/{name}: no table under {heading!r} with column {columns!r}")
    return found[-1] if last else found[0]


def text(name):
    path = RESULTS / name
    if not path.is_file():
        raise MissingMeasurement(f"benchmarks/results/{name} does not exist")
    return path.read_text(encoding="utf-8")


def search(name, pattern, group=1):
    """A regular expression's group in a results file."""
    match = re.search(pattern, text(name), flags=re.M)
    if not match:
        raise MissingMeasurement(f"benchmarks/results/{name}: no match for {pattern!r}")
    return match.group(group)


@lru_cache(maxsize=None)
def manifest():
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def bare(value):
    """A cell without markdown emphasis: ``**0.023**`` -> ``0.023``."""
    return value.replace("*", "").strip()


# ------------------------------------------------------------------------------------ the values
def _finetune_latest():
    """The last ``--parts fit`` run of finetune.md on 1,500 x 20 (the default whole-table recipe)."""
    return table("finetune.md", heading="100 fine-tuning steps on 1500 rows", columns="steps/s", last=True)


def _finetune_date():
    sections = re.split(r"^## ", text("finetune.md"), flags=re.M)
    fits = [s for s in sections if s.startswith("`python benchmarks/bench_finetune.py --parts fit")]
    return re.search(r"date: (\S+)", fits[-1]).group(1)


def _cache_table(augmenter):
    return table("finetune.md", heading=f"augmenter {augmenter}", columns="augmenter fits")


def _inference_summary():
    return table("inference.md", heading="Summary (", columns="target")


def _augmenter(mechanisms, features, rows, column):
    main = table("augmenter.md", columns="mechanisms")
    for row in main.rows:
        if row[:3] == [mechanisms, str(features), str(rows)]:
            return row[main.columns.index(column)]
    raise MissingMeasurement(f"augmenter.md: no row {mechanisms} {features} x {rows}")


def _auto_slowdown():
    """*Derived*: how many times slower ``mechanisms="auto"`` is than ``"fast"``, smallest-largest."""
    main = table("augmenter.md", columns="mechanisms")
    fast = {(r[1], r[2]): float(r[main.columns.index("fit + sample (s)")]) for r in main.rows if r[0] == "fast"}
    ratios = [
        float(r[main.columns.index("fit + sample (s)")]) / fast[(r[1], r[2])]
        for r in main.rows
        if r[0] == "auto" and (r[1], r[2]) in fast
    ]
    return f"{min(ratios):.0f} to {max(ratios):.0f}"


def _quality_ratios():
    """*Derived*: the number of ratio columns of quality.md's medians table."""
    medians = table("quality.md", heading="Medians over tables", columns="zero-shot")
    return str(sum(c.startswith("ratio ") for c in medians.columns))


def _steps_per_second(value):
    return f"{1 / float(value):.2f}"


def _gain(comparison, metric, column, suite="iid", name="finetune_gain.md", test=None):
    """A cell of a fine-tuning gain file's summary over tables: ``comparison`` x ``metric``, in ``column``
    (``test``: which test set of a suite that has several, e.g. the shifted suite's ``"shifted"``)."""
    scope = f"{suite} suite" if test is None else f"{suite} suite, {test} test"
    summary = table(name, heading=f"{scope}: summary over tables", columns="comparison")
    cells = summary.find(lambda c: c["comparison"] == comparison and c["metric"] == metric,
                         f"{name} {comparison!r} {metric!r}")
    return cells[summary.column(column)]


def _gain_interval(comparison, metric, column, name="finetune_gain.md", **where):
    """*Derived* wording of a ``mean [low, high]`` cell: ``mean (95% interval low to high)``."""
    value, low, high = re.fullmatch(r"(\S+) \[(\S+), (\S+)\]", _gain(comparison, metric, column,
                                                                    name=name, **where)).groups()
    return f"{value} (95% interval {low} to {high})"


def _context_effect(context):
    """'+0.0109 [+0.0068, +0.0151]': the mean ROC-AUC difference against a 1,024-row context, with its interval."""
    cells = table("context_length.md", heading="Against a 1,024-row context", columns="Δ mean").find(
        lambda c: c["context"] == context and c["metric"] == "auc", f"context {context}")
    return f"{float(cells['Δ mean']):+.4f} [{float(cells['CI low']):+.4f}, {float(cells['CI high']):+.4f}]"


def _study_median(method, ratio, column):
    """A median of ratio_study.md's 'Medians over datasets x seeds' table (``ratio`` "" for none)."""
    medians = table("ratio_study.md", heading="Medians over datasets", columns="median")

    def match(cells):
        found = cells["ratio"]
        return cells["method"] == method and (
            found == ratio or bool(ratio and found and float(found) == float(ratio)))

    return medians.find(match, f"ratio_study.md median of {method} r={ratio!r}")[medians.column(column)]


def _study_effect_cells(run, metric="auc_shifted", baseline="finetune", name="ratio_study.md"):
    """The row of a ratio study's paired effects of ``run`` against ``baseline``, as {column: cell}."""
    effects = table(name, heading=f"Paired effects against {baseline}", columns="CI low")
    return effects.find(lambda c: c.get("metric") == metric and c.get("run") == run,
                        f"{name} paired effect {metric} of {run!r} against {baseline}")


def _study_effect(run, metric="auc_shifted", baseline="finetune", name="ratio_study.md"):
    """*Derived* wording of a paired effect of a ratio study: ``mean (95% interval low to high)``."""
    cells = _study_effect_cells(run, metric, baseline, name)
    return f"{cells['Δ mean']} (95% interval {cells['CI low']} to {cells['CI high']})"


def _study_paper_cells(run, name="ratio_study.md"):
    """The row of a ratio study's table beside the paper for ``run``, as {column: cell}."""
    beside = table(name, heading="Beside the CausalMixFT paper", columns="paper gap")
    return beside.find(lambda c: c.get("run") == run, f"{name} paper row of {run!r}")


def _study_paper_improvement(run, name="ratio_study.md"):
    """*Derived* wording of a median improvement beside the paper: ``median (95% interval ...)``."""
    cells = _study_paper_cells(run, name)
    return f"{cells['improvement median']} (95% interval {cells['CI low']} to {cells['CI high']})"


def _study_profile_cell(run, column, name):
    """A cell of a ratio study's table of the arms beside their effects."""
    profile = table(name, heading="The arms beside their effects", columns="TSTR AUC")
    return profile.find(lambda c: c.get("run") == run, f"{name} arm profile of {run!r}")[column]


def _study_weights():
    """The first 12 hex digits of the weights the ratio study ran with."""
    return search("ratio_study.md", r"weights sha256 `?([0-9a-f]{12})")


#: key -> (results file, or "manifest", function returning the value as a string)
MEASURED = {
    # augmenter.md
    "augmenter.fast_20x1000": ("augmenter.md", lambda: _augmenter("fast", 20, 1000, "fit + sample (s)")),
    "augmenter.auto_slowdown": ("augmenter.md", _auto_slowdown),
    "augmenter.smote_5000_wall": ("augmenter.md", lambda: table("augmenter.md", heading="SMOTEAugmenter", columns="traced").cell("5000", "wall")),
    "augmenter.smote_5000_traced": ("augmenter.md", lambda: table("augmenter.md", heading="SMOTEAugmenter", columns="traced").cell("5000", "traced")),
    "augmenter.smote_5000_rss": ("augmenter.md", lambda: table("augmenter.md", heading="SMOTEAugmenter", columns="traced").cell("5000", "peak RSS")),
    # finetune.md: the newest 100-step fit
    "finetune.date": ("finetune.md", _finetune_date),
    "finetune.fit_total": ("finetune.md", lambda: _finetune_latest().rows[0][0]),
    "finetune.fit_cpu": ("finetune.md", lambda: _finetune_latest().rows[0][1]),
    "finetune.steps_s": ("finetune.md", lambda: _finetune_latest().rows[0][2]),
    "finetune.steps_per_s": ("finetune.md", lambda: _finetune_latest().rows[0][3]),
    "finetune.seconds_per_step": ("finetune.md", lambda: _steps_per_second(_finetune_latest().rows[0][3])),
    "finetune.peak_mib": ("finetune.md", lambda: _finetune_latest().rows[0][4]),
    "finetune.predict_1": ("finetune.md", lambda: _finetune_latest().rows[0][5]),
    "finetune.predict_1000": ("finetune.md", lambda: _finetune_latest().rows[0][6]),
    "finetune.cache_fits_before": ("finetune.md", lambda: _cache_table("CausalSCMAugmenter()").cell("no cache", "augmenter fits")),
    "finetune.cache_fits_after": ("finetune.md", lambda: _cache_table("CausalSCMAugmenter()").cell("memory=", "augmenter fits")),
    "finetune.cache_fast_before": ("finetune.md", lambda: _cache_table("CausalSCMAugmenter()").cell("no cache", "wall")),
    "finetune.cache_fast_after": ("finetune.md", lambda: _cache_table("CausalSCMAugmenter()").cell("memory=", "wall")),
    "finetune.cache_auto_before": ("finetune.md", lambda: _cache_table('CausalSCMAugmenter(mechanisms="auto")').cell("no cache", "wall")),
    "finetune.cache_auto_after": ("finetune.md", lambda: _cache_table('CausalSCMAugmenter(mechanisms="auto")').cell("memory=", "wall")),
    # inference.md: its summary table
    "inference.date": ("inference.md", lambda: search("inference.md", r"^## Summary \((\d{4}-\d\d-\d\d)")),
    "inference.one_row": ("inference.md", lambda: bare(_inference_summary().cell("1 row", "row model, idle").split("/")[0])),
    "inference.thousand_rows": ("inference.md", lambda: bare(_inference_summary().cell("1,000 rows", "row model, idle").split("/")[0])),
    "inference.forward": ("inference.md", lambda: bare(_inference_summary().cell("backbone forward", "row model, idle").split("/")[0])),
    "inference.cache": ("inference.md", lambda: bare(_inference_summary().cell("cache held", "row model, idle"))),
    "inference.quick_wall": ("inference.md", lambda: bare(_inference_summary().cell("causalmix study --quick", "row model, idle").split("/")[0])),
    "inference.quick_cpu": ("inference.md", lambda: bare(_inference_summary().cell("causalmix study --quick", "row model, idle").split("/")[1])),
    "inference.quick_contended": ("inference.md", lambda: bare(_inference_summary().cell("causalmix study --quick", "under contention"))),
    "inference.spin_slowdown": ("inference.md", lambda: search("inference.md", r"spinning threads are (\S+) slower").rstrip("x")),
    # finetune_gain.md: the current recipe against zero-shot on the i.i.d. suite
    "finetune_gain.weights": ("finetune_gain.md", lambda: search("finetune_gain.md", r"^- Weights sha256: ([0-9a-f]{12})")),
    "finetune_gain.date": ("finetune_gain.md", lambda: search("finetune_gain.md", r"^- Written: (\d{4}-\d{2}-\d{2})")),
    "finetune_gain.tables": ("finetune_gain.md", lambda: search("finetune_gain.md", r"then over the (\d+) tables")),
    "finetune_gain.seeds": ("finetune_gain.md", lambda: search("finetune_gain.md", r"^\| \w+ \| (\d+) \| 0\.\d+ \|")),
    "finetune_gain.auc_median": ("finetune_gain.md", lambda: _gain_interval("new - zero-shot", "ΔROC-AUC", "median")),
    "finetune_gain.auc_mean": ("finetune_gain.md", lambda: _gain_interval("new - zero-shot", "ΔROC-AUC", "mean")),
    "finetune_gain.auc_detectable": ("finetune_gain.md", lambda: _gain("new - zero-shot", "ΔROC-AUC", "detectable")),
    "finetune_gain.logloss_mean": ("finetune_gain.md", lambda: _gain_interval("new - zero-shot", "Δlog-loss", "mean")),
    "finetune_gain.brier_mean": ("finetune_gain.md", lambda: _gain_interval("new - zero-shot", "ΔBrier", "mean")),
    "finetune_gain.vs_old_auc": ("finetune_gain.md", lambda: _gain_interval("new - old", "ΔROC-AUC", "mean")),
    "finetune_gain.hpc_jobs": ("finetune_gain.md", lambda: table("finetune_gain.md", heading="iid suite: ROC-AUC per table", columns="new - zero-shot").cell("hpc_jobs", "new - zero-shot")),
    "finetune_gain.digits": ("finetune_gain.md", lambda: table("finetune_gain.md", heading="iid suite: ROC-AUC per table", columns="new - zero-shot").cell("digits", "new - zero-shot")),
    # finetune_gain_large.md: the default recipe on the five tables whose training set grows past 1,500 rows
    "finetune_gain_large.tables": ("finetune_gain_large.md", lambda: search("finetune_gain_large.md", r"then over the (\d+) tables")),
    "finetune_gain_large.auc_mean": ("finetune_gain_large.md", lambda: _gain_interval("new - zero-shot", "ΔROC-AUC", "mean", name="finetune_gain_large.md")),
    "finetune_gain_large.auc_median": ("finetune_gain_large.md", lambda: _gain("new - zero-shot", "ΔROC-AUC", "median", name="finetune_gain_large.md").split()[0]),
    # finetune_gain_shifted.md: old and new recipe on the 17 shifted tables (shifted test)
    "finetune_gain_shifted.tables": ("finetune_gain_shifted.md", lambda: _gain("new - zero-shot", "ΔROC-AUC", "tables", suite="shifted", test="shifted", name="finetune_gain_shifted.md")),
    "finetune_gain_shifted.auc_mean": ("finetune_gain_shifted.md", lambda: _gain_interval("new - zero-shot", "ΔROC-AUC", "mean", suite="shifted", test="shifted", name="finetune_gain_shifted.md")),
    "finetune_gain_shifted.wins": ("finetune_gain_shifted.md", lambda: _gain("new - zero-shot", "ΔROC-AUC", "win/tie/loss", suite="shifted", test="shifted", name="finetune_gain_shifted.md")),
    "finetune_gain_shifted.ece_mean": ("finetune_gain_shifted.md", lambda: _gain_interval("new - zero-shot", "ΔECE", "mean", suite="shifted", test="shifted", name="finetune_gain_shifted.md")),
    "finetune_gain_shifted.old_ece_mean": ("finetune_gain_shifted.md", lambda: _gain_interval("old - zero-shot", "ΔECE", "mean", suite="shifted", test="shifted", name="finetune_gain_shifted.md")),
    # finetune_gain_bagged.md: fine-tuning with bagged contexts, all i.i.d. tables at up to half the table
    "finetune_gain_bagged.auc_mean": ("finetune_gain_bagged.md", lambda: _gain_interval("new-bagged - zero-shot", "ΔROC-AUC", "mean", name="finetune_gain_bagged.md")),
    "finetune_gain_bagged.auc_median": ("finetune_gain_bagged.md", lambda: _gain_interval("new-bagged - zero-shot", "ΔROC-AUC", "median", name="finetune_gain_bagged.md")),
    "finetune_gain_bagged.wins": ("finetune_gain_bagged.md", lambda: _gain("new-bagged - zero-shot", "ΔROC-AUC", "win/tie/loss", name="finetune_gain_bagged.md")),
    "finetune_gain_large.churn": ("finetune_gain_large.md", lambda: table("finetune_gain_large.md", heading="iid suite: ROC-AUC per table", columns="new - zero-shot").cell("churn", "new - zero-shot")),
    # context_length.md: zero-shot with longer contexts than the pretraining episodes
    "context_length.auc_4096": ("context_length.md", lambda: _context_effect("4096")),
    "context_length.time_4096": ("context_length.md", lambda: table("context_length.md", heading="Predict time", columns="predict_s").cell("context 4096", "predict_s")),
    "context_length.time_1024": ("context_length.md", lambda: table("context_length.md", heading="Predict time", columns="predict_s").cell("context 1024", "predict_s")),
    # ratio_study.md: medians over tables x seeds, and the weights it ran with
    "ratio_study.weights": ("ratio_study.md", _study_weights),
    "ratio_study.date": ("ratio_study.md", lambda: search("ratio_study.md", r"Written by hand on (\d{4}-\d{2}-\d{2})")),
    "ratio_study.seeds": ("ratio_study.md", lambda: str(len(search("ratio_study.md", r"^- seeds: (.+)$").split(",")))),
    "ratio_study.zero_shot_auc": ("ratio_study.md", lambda: _study_median("zero-shot", "", "median auc_shifted")),
    "ratio_study.finetune_auc": ("ratio_study.md", lambda: _study_median("finetune", "0", "median auc_shifted")),
    "ratio_study.r1_delta": ("ratio_study.md", lambda: _study_median("causalmix", "1", "median Δauc_shifted")),
    "ratio_study.r05_delta": ("ratio_study.md", lambda: _study_median("causalmix", "0.5", "median Δauc_shifted")),
    "ratio_study.rf_auc": ("ratio_study.md", lambda: _study_median("rf", "", "median auc_shifted")),
    "ratio_study.r05_effect": ("ratio_study.md", lambda: _study_effect("causalmix r=0.5")),
    "ratio_study.r1_effect": ("ratio_study.md", lambda: _study_effect("causalmix r=1")),
    "ratio_study.r1_detectable": ("ratio_study.md", lambda: _study_effect_cells("causalmix r=1")["detectable Δ"]),
    "ratio_study.r1_logloss": ("ratio_study.md", lambda: _study_effect("causalmix r=1", "log_loss_shifted")),
    "ratio_study.finetune_vs_zero_shot": ("ratio_study.md", lambda: _study_effect("finetune", baseline="zero-shot")),
    # ratio_study_arms.md: the other augmenters at r = 0.5 against plain fine-tuning
    "ratio_study_arms.runs": ("ratio_study_arms.md", lambda: search("ratio_study_arms.md", r"^- runs: (\d+)")),
    "ratio_study_arms.noise_r05": ("ratio_study_arms.md", lambda: _study_effect("noise r=0.5", name="ratio_study_arms.md")),
    "ratio_study_arms.smote_r05": ("ratio_study_arms.md", lambda: _study_effect("smote r=0.5", name="ratio_study_arms.md")),
    "ratio_study_arms.copula_r05": ("ratio_study_arms.md", lambda: _study_effect("copula r=0.5", name="ratio_study_arms.md")),
    "ratio_study_arms.noise_logloss": ("ratio_study_arms.md", lambda: _study_effect("noise r=0.5", metric="log_loss_shifted", name="ratio_study_arms.md")),
    # ratio_study_domain_feature.md: the domain column kept as a feature; interventional rows
    "ratio_study_domain_feature.do_r05": ("ratio_study_domain_feature.md", lambda: _study_effect("causalmix-do r=0.5", name="ratio_study_domain_feature.md")),
    "ratio_study_domain_feature.do_tables": ("ratio_study_domain_feature.md", lambda: _study_effect_cells("causalmix-do r=0.5", name="ratio_study_domain_feature.md")["tables"]),
    # ratio_study_ctgan.md: the paper's GAN control at r = 0.5
    "ratio_study_ctgan.runs": ("ratio_study_ctgan.md", lambda: search("ratio_study_ctgan.md", r"^- runs: (\d+)")),
    "ratio_study_ctgan.ctgan_r05": ("ratio_study_ctgan.md", lambda: _study_effect("ctgan r=0.5", name="ratio_study_ctgan.md")),
    "ratio_study_ctgan.ece": ("ratio_study_ctgan.md", lambda: _study_effect("ctgan r=0.5", metric="ece_shifted", name="ratio_study_ctgan.md")),
    "ratio_study_ctgan.detection": ("ratio_study_ctgan.md", lambda: _study_profile_cell("ctgan r=0.5", "fidelity detection AUC", "ratio_study_ctgan.md")),
    "ratio_study_ctgan.tstr": ("ratio_study_ctgan.md", lambda: _study_profile_cell("ctgan r=0.5", "TSTR AUC", "ratio_study_ctgan.md")),
    # ratio_study_controls.md: the graph controls against CausalMixFT at the same ratio
    "ratio_study_controls.runs": ("ratio_study_controls.md", lambda: search("ratio_study_controls.md", r"^- runs: (\d+)")),
    "ratio_study_controls.random_graph_r05": ("ratio_study_controls.md", lambda: _study_effect("random-graph r=0.5", baseline="causalmix", name="ratio_study_controls.md")),
    "ratio_study_controls.independence_r1": ("ratio_study_controls.md", lambda: _study_effect("independence r=1", baseline="causalmix", name="ratio_study_controls.md")),
    "ratio_study_controls.independence_r1_detectable": ("ratio_study_controls.md", lambda: _study_effect_cells("independence r=1", baseline="causalmix", name="ratio_study_controls.md")["detectable Δ"]),
    "ratio_study_controls.tstr_random_graph": ("ratio_study_controls.md", lambda: _study_profile_cell("random-graph r=0.5", "TSTR AUC", "ratio_study_controls.md")),
    "ratio_study_controls.tstr_independence": ("ratio_study_controls.md", lambda: _study_profile_cell("independence r=0.5", "TSTR AUC", "ratio_study_controls.md")),
    "ratio_study_controls.trtr": ("ratio_study_controls.md", lambda: _study_profile_cell("independence r=0.5", "TRTR AUC", "ratio_study_controls.md")),
    # ratio_study_iid.md: the same comparisons under the i.i.d. protocol (held-out fold)
    "ratio_study_iid.tables": ("ratio_study_iid.md", lambda: search("ratio_study_iid.md", r"^- datasets \((\d+)\)")),
    "ratio_study_iid.runs": ("ratio_study_iid.md", lambda: search("ratio_study_iid.md", r"^- runs: (\d+)")),
    "ratio_study_iid.r05_effect": ("ratio_study_iid.md", lambda: _study_effect("causalmix r=0.5", "auc_in_domain", name="ratio_study_iid.md")),
    "ratio_study_iid.r1_effect": ("ratio_study_iid.md", lambda: _study_effect("causalmix r=1", "auc_in_domain", name="ratio_study_iid.md")),
    "ratio_study_iid.r1_detectable": ("ratio_study_iid.md", lambda: _study_effect_cells("causalmix r=1", "auc_in_domain", name="ratio_study_iid.md")["detectable Δ"]),
    "ratio_study_iid.finetune_vs_zero_shot": ("ratio_study_iid.md", lambda: _study_effect("finetune", "auc_in_domain", "zero-shot", name="ratio_study_iid.md")),
    "ratio_study_iid.gap_finetune": ("ratio_study_iid.md", lambda: _study_paper_cells("finetune", "ratio_study_iid.md")["val-test gap median"]),
    "ratio_study_iid.gap_r1": ("ratio_study_iid.md", lambda: _study_paper_cells("causalmix r=1", "ratio_study_iid.md")["val-test gap median"]),
    "ratio_study.paper_finetune": ("ratio_study.md", lambda: _study_paper_improvement("finetune")),
    "ratio_study.paper_r1": ("ratio_study.md", lambda: _study_paper_improvement("causalmix r=1")),
    "ratio_study.gap_finetune": ("ratio_study.md", lambda: _study_paper_cells("finetune")["val-test gap median"]),
    "ratio_study.gap_r1": ("ratio_study.md", lambda: _study_paper_cells("causalmix r=1")["val-test gap median"]),
    # ratio_study.md
    "ratio_study.tables": ("ratio_study.md", lambda: search("ratio_study.md", r"^- datasets \((\d+)\)")),
    "ratio_study.runs": ("ratio_study.md", lambda: search("ratio_study.md", r"^- runs: (\d+)")),
    "ratio_study.methods": ("ratio_study.md", lambda: str(len(search("ratio_study.md", r"^- methods: (.+)$").split(",")))),
    "ratio_study.minutes": ("ratio_study.md", lambda: search("ratio_study.md", r"took (\d+) min")),
    "ratio_study.n_train": ("ratio_study.md", lambda: search("ratio_study.md", r"^- training rows per run \(median\): (\d+)")),
    # study_cost.md: CPU-seconds per unit, by arm, and the default grid
    "study_cost.zero_shot": ("study_cost.md", lambda: table("study_cost.md", columns="mean").cell("zero-shot", "mean")),
    "study_cost.finetune": ("study_cost.md", lambda: table("study_cost.md", columns="mean").cell("finetune (r = 0)", "mean")),
    "study_cost.cv": ("study_cost.md", lambda: table("study_cost.md", columns="units").cell("causalmix-cv (derived)", "CPU-s")),
    "study_cost.shift_hours": ("study_cost.md", lambda: table("study_cost.md", columns="CPU-hours").cell("shift", "CPU-hours")),
    "study_cost.iid_hours": ("study_cost.md", lambda: table("study_cost.md", columns="CPU-hours").cell("iid", "CPU-hours")),
    "study_cost.date": ("study_cost.md", lambda: search("study_cost.md", r"(\d{4}-\d\d-\d\d) \d\d:\d\d UTC")),
    # quality.md
    "quality.tables": ("quality.md", lambda: search("quality.md", r"^Tables \((\d+)\)")),
    "quality.seeds": ("quality.md", lambda: str(len(search("quality.md", r"seeds \[([^\]]*)\]").split(",")))),
    "quality.ratios": ("quality.md", _quality_ratios),
    "quality.minutes": ("quality.md", lambda: search("quality.md", r"fit time of the reported runs ([0-9.]+) min")),
    # pretrain.md: throughput on a GPU
    "pretrain.device": ("pretrain.md", lambda: bare(table("pretrain.md", columns="steps/s").rows[0][0])),
    "pretrain.params": ("pretrain.md", lambda: table("pretrain.md", columns="steps/s").cell("cuda", "params")),
    "pretrain.steps_per_s": ("pretrain.md", lambda: table("pretrain.md", columns="steps/s").cell("cuda", "steps/s")),
    "pretrain.tasks_per_s": ("pretrain.md", lambda: table("pretrain.md", columns="steps/s").cell("cuda", "tasks/s")),
    "pretrain.torch": ("pretrain.md", lambda: search("pretrain.md", r"torch (\S+)$")),
    # the manifest of the shipped weights
    "weights.parameters": ("manifest", lambda: f"{manifest()['n_parameters']:,}"),
    "weights.steps": ("manifest", lambda: f"{manifest().get('steps_total', manifest().get('steps')):,}"),
    "weights.wall_hours": ("manifest", lambda: f"{manifest().get('wall_time_total_s', manifest().get('wall_time_s')) / 3600:.1f}"),
    "weights.cpu_hours": ("manifest", lambda: f"{manifest()['cpu_time_s'] / 3600:.1f}"),
    "weights.sessions": ("manifest", lambda: str(len(manifest().get("commands") or []))),
}


def measured(key):
    """The value of a measured number, as the page shows it."""
    if key not in MEASURED:
        raise MissingMeasurement(f"unknown measured number {key!r}; add it to MEASURED in docs/_ext/causalmix_numbers.py")
    return MEASURED[key][1]()


def source(key):
    """The file a measured number comes from: ``benchmarks/results/<name>`` or the weights' manifest."""
    name = MEASURED[key][0]
    return MANIFEST if name == "manifest" else RESULTS / name


# ------------------------------------------------------------------------------------ tables on pages
#: key -> (file, function returning (columns, rows)) for ``.. measured-table::``
TABLES = {
    "augmenter": (
        "augmenter.md",
        lambda: _select(table("augmenter.md", columns="mechanisms"),
                        ["mechanisms", "features", "rows", "fit + sample (s)", "CPU time (s)", "load (1 min)"]),
    ),
    "smote": (
        "augmenter.md",
        lambda: _select(table("augmenter.md", heading="SMOTEAugmenter", columns="traced"),
                        ["rows", "features", "traced peak (MiB)", "peak RSS (MiB)", "wall (s)", "CPU (s)"]),
    ),
    "finetune": ("finetune.md", lambda: (_finetune_latest().columns, _finetune_latest().rows)),
    "inference": ("inference.md", lambda: (_inference_summary().columns, _inference_summary().rows)),
}


def _select(t, names):
    index = [t.columns.index(n) for n in names]
    return names, [[row[j] for j in index] for row in t.rows]


def _inline(cell, state, lineno):
    """A markdown cell as inline reST nodes (code spans and bold only)."""
    out = []
    for part in re.split(r"(`[^`]+`|\*\*[^*]+\*\*)", cell):
        if not part:
            continue
        if part.startswith("`"):
            out.append(nodes.literal(part[1:-1], part[1:-1]))
        elif part.startswith("**"):
            out.append(nodes.strong(part[2:-2], part[2:-2]))
        else:
            out.append(nodes.Text(part))
    return out


class MeasuredTable(Directive):
    """``.. measured-table:: KEY``: a table of a results file, as a reST table."""

    required_arguments = 1

    def run(self):
        env = self.state.document.settings.env
        key = self.arguments[0]
        if key not in TABLES:
            raise self.error(f"measured-table: unknown table {key!r} (TABLES in docs/_ext/causalmix_numbers.py)")
        name, make = TABLES[key]
        env.note_dependency(str(RESULTS / name))
        try:
            columns, rows = make()
        except MissingMeasurement as exc:
            raise self.error(f"measured-table {key}: {exc}") from exc
        tbl = nodes.table()
        group = nodes.tgroup(cols=len(columns))
        tbl += group
        for _ in columns:
            group += nodes.colspec(colwidth=1)
        head, body = nodes.thead(), nodes.tbody()
        for cells, part in (([columns], head), (rows, body)):
            for values in cells:
                row = nodes.row()
                for value in values:
                    entry = nodes.entry()
                    paragraph = nodes.paragraph()
                    paragraph += _inline(value, self.state, self.lineno)
                    entry += paragraph
                    row += entry
                part += row
        group += head
        group += body
        return [tbl]


def measured_role(name, rawtext, key, lineno, inliner, options=None, content=None):
    """``:measured:`KEY```: the value of a measured number (see :data:`MEASURED`)."""
    env = inliner.document.settings.env
    try:
        value = measured(key)
    except (MissingMeasurement, KeyError, IndexError, ValueError) as exc:
        message = inliner.reporter.error(f":measured:`{key}`: {exc}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    env.note_dependency(str(source(key)))
    return [nodes.Text(value)], []


def setup(app):
    app.add_role("measured", measured_role)
    app.add_directive("measured-table", MeasuredTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
