"""Shared by the benchmark scripts: writing a results file without losing the reading written into it by
hand, and the ``--feature-subset-size`` option."""

from __future__ import annotations

from pathlib import Path

READING = "\n## Reading"


def write_keeping_reading(path, text: str) -> None:
    """Write ``text`` to ``path``, keeping the file's hand-written ``## Reading`` section (and all after it).

    Parameters
    ----------
    path : str or Path
        The results file (markdown); created with its parent folder if missing.
    text : str
        The measured sections, which replace everything above the reading.
    """
    path = Path(path)
    old = path.read_text() if path.is_file() else ""
    reading = old.find(READING)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + (old[reading:] if reading >= 0 else ""))


def home_relative(path) -> str:
    """``path`` with the home folder written ``~``: a results file names no user's home.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
        ``~/...`` for a path under the home folder, else ``path`` unchanged.
    """
    try:
        return str(Path("~") / Path(path).expanduser().resolve().relative_to(Path.home().resolve()))
    except ValueError:
        return str(path)


def write_section(path, header: str, text: str) -> None:
    """Replace the section of ``path`` that starts with ``header`` (up to the next ``## `` header), or append it.

    For results files that several scripts write a part of: each replaces its own section only.

    Parameters
    ----------
    path : str or Path
    header : str
        The section's first line (a ``## `` markdown header).
    text : str
        The new section, starting with ``header``.
    """
    path = Path(path)
    old = path.read_text() if path.is_file() else ""
    start = old.find(header)
    if start < 0:
        path.write_text(old.rstrip("\n") + "\n\n" + text)
        return
    end = old.find("\n## ", start + len(header))
    path.write_text(old[:start] + text + (old[end + 1:] if end >= 0 else ""))


def feature_subset_size_arg(text: str):
    """``--feature-subset-size``: "auto", "none" (None) or a positive int (argparse ``type=``)."""
    text = text.lower()
    if text in ("auto", "none"):
        return None if text == "none" else text
    return int(text)
