"""Rewrite sections of a committed ratio-study report from its results.csv, without rerunning it.

After a change to how the report aggregates runs (not to what a run measures), the committed
``benchmarks/results/<name>/results.csv`` holds everything those sections are computed from; the
study cache that `benchmarks/run_ratio_study.sh` would need may be on another machine. This script
regenerates the report from the CSV with :func:`sklearn_causalmix.study.write_report` (same
command and title), checks that every section it does not replace comes out as committed (so the
CSV does reproduce the report), and replaces the named sections in ``<name>/report.md`` and in
``<name>.md`` (the report with its hand-written reading).

    python benchmarks/rebuild_study_section.py ratio_study ratio_study_arms \
        --section "The arms beside their effects"
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import pandas as pd

from sklearn_causalmix.study import write_report

RESULTS = Path(__file__).resolve().parent / "results"
#: Sections the CSV cannot reproduce: the settings name the model object, which is not in it.
UNCHECKED = {"Settings"}


def split_sections(text):
    """``{heading: body}`` of the ``## `` sections of a markdown report, in order."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def _without_figures(body):
    return "\n".join(line for line in body.splitlines() if not line.startswith("![")).strip()


def regenerate(folder):
    """The report of ``folder/results.csv`` with the committed report's command and title."""
    old = (folder / "report.md").read_text()
    command = re.search(r"```\n(.*?)\n```", old, re.S).group(1)
    title = old.splitlines()[0].removeprefix("# ")
    results = pd.read_csv(folder / "results.csv")
    for column in ("error", "note"):
        results[column] = results[column].astype(object).where(results[column].notna(), "")
    with tempfile.TemporaryDirectory() as scratch:
        return write_report(results, Path(scratch) / "report.md", command=command,
                            title=title).read_text()


def rebuild(name, sections):
    """Replace ``sections`` of ``name``'s report and results file; returns the replaced headings."""
    folder = RESULTS / name
    old = (folder / "report.md").read_text()
    new_sections = split_sections(regenerate(folder))
    old_sections = split_sections(old)
    for heading, body in old_sections.items():
        if heading in sections or heading in UNCHECKED or heading not in new_sections:
            continue
        if _without_figures(body) != _without_figures(new_sections[heading]):
            raise SystemExit(f"{name}: section {heading!r} does not come out of results.csv as "
                             "committed; rerun the study instead (benchmarks/run_ratio_study.sh)")
    replaced = [heading for heading in sections if heading in old_sections]
    for path in (folder / "report.md", RESULTS / f"{name}.md"):
        text = path.read_text()
        current = split_sections(text)
        for heading in replaced:
            text = text.replace(f"## {heading}{current[heading]}",
                                f"## {heading}{new_sections[heading]}", 1)
        path.write_text(text)
    return replaced


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", help="results folders under benchmarks/results")
    parser.add_argument("--section", action="append", default=None,
                        help="heading of a section to replace (repeatable; default: "
                             "'The arms beside their effects')")
    args = parser.parse_args(argv)
    sections = args.section or ["The arms beside their effects"]
    for name in args.names:
        print(f"{name}: replaced {rebuild(name, sections)}")


if __name__ == "__main__":
    sys.exit(main())
