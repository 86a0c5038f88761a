"""The benchmark's names for the package's paired statistics over tables (one definition).

The statistics live in :mod:`sklearn_causalmix.study` (``table_deltas``, ``summarize_deltas``,
``bootstrap_interval``); this module only keeps the benchmark's vocabulary: its frames name the
table column ``table`` and the arm column ``recipe``.
"""

from __future__ import annotations

from functools import partial

from sklearn_causalmix.study import bootstrap_interval as bootstrap_ci
from sklearn_causalmix.study import summarize_deltas
from sklearn_causalmix.study import table_deltas as _table_deltas

__all__ = ["bootstrap_ci", "summarize_deltas", "table_deltas"]

#: ``table_deltas(frame, metric, recipe, baseline)`` over the benchmark's ``table`` / ``recipe`` columns.
table_deltas = partial(_table_deltas, by="table", pair="seed", arm="recipe")
