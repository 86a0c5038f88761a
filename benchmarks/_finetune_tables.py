"""Real tables for measuring what fine-tuning gains over zero-shot: an i.i.d. suite and a development suite.

The tables are the package's i.i.d. tables (:func:`sklearn_causalmix.datasets.list_iid_datasets`, which documents
where each comes from, why it is in the suite and how it is cleaned): ``IID_TABLES`` (the ``"iid"`` suite) measure
the gain; ``DEV_TABLES`` (the ``"dev"`` suite, disjoint) are for choosing the recipe's learning rate and number of
steps, so that the measurement is not made on the tables the recipe was tuned on.

Run ``python benchmarks/_finetune_tables.py`` to load every table and print its size.
"""

from __future__ import annotations

import pandas as pd

from sklearn_causalmix.datasets import list_iid_datasets, load_iid_dataset

__all__ = ["DEV_TABLES", "IID_TABLES", "TABLES", "describe_tables", "load_table"]

_CATALOGUE = list_iid_datasets().set_index("name")
IID_TABLES = tuple(_CATALOGUE.index[_CATALOGUE["suite"] == "iid"])
DEV_TABLES = tuple(_CATALOGUE.index[_CATALOGUE["suite"] == "dev"])
TABLES = IID_TABLES + DEV_TABLES


def load_table(name: str) -> tuple[pd.DataFrame, pd.Series]:
    """``(X, y)`` of one table of ``TABLES`` (fresh copies, so callers may change them).

    Examples
    --------
    >>> X, y = load_table("wells")
    >>> X.shape, sorted(y.unique())
    ((3020, 4), ['no', 'yes'])
    """
    if name not in TABLES:
        raise KeyError(f"Unknown table {name!r}; the tables are {sorted(TABLES)}.")
    data = load_iid_dataset(name)
    return data.X, data.y


def describe_tables(names=None) -> pd.DataFrame:
    """One row per table: suite, source, target, rows, features (of which strings), classes, minority share."""
    rows = []
    for name in names or TABLES:
        entry = _CATALOGUE.loc[name]
        X, y = load_table(name)
        counts = y.value_counts()
        rows.append({
            "table": name, "suite": entry["suite"], "source": entry["source"],
            "target": f"`{entry['target']}`: {entry['task']}", "rows": len(y), "features": X.shape[1],
            "string": int(sum(X[c].dtype == object or pd.api.types.is_string_dtype(X[c]) for c in X)),
            "missing cells": int(X.isna().sum().sum()), "classes": y.nunique(),
            "minority": round(counts.min() / len(y), 3), "why": entry["why"],
        })
    return pd.DataFrame(rows)


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore")
    frame = describe_tables()
    with pd.option_context("display.width", 200, "display.max_colwidth", 40):
        print(frame.drop(columns=["target", "why"]).to_string(index=False))
    bad = frame[(frame.rows < 1000) | (frame.rows > 5000) | (frame.features > 100) | (frame.classes > 10)]
    print("all tables within 1,000-5,000 rows, <= 100 features, <= 10 classes" if bad.empty
          else f"OUT OF RANGE:\n{bad}")
