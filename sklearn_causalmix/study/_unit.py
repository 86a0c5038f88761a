"""One unit of work of the ratio study: split one dataset for one seed, fit one method, score it."""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sklearn_causalmix.evaluation import validation_test_gap
from sklearn_causalmix.study._data import load, make_split
from sklearn_causalmix.study._iid import make_iid_split
from sklearn_causalmix.study._scores import score_proba, temperature_scores
from sklearn_causalmix.study._specs import NotApplicable

__all__ = ["StudyUnit", "base_row", "failed_result", "run_unit"]

logger = logging.getLogger("sklearn_causalmix.study")


@dataclass(frozen=True)
class StudyUnit:
    """One run of the study: a method (at a ratio) on one dataset and seed.

    Parameters
    ----------
    dataset : str
        Dataset name.
    seed : int
        Seed of the split and of the estimators.
    method : str
        Method name (see :data:`~sklearn_causalmix.study.METHODS`).
    ratio : float or None
        Synthetic ratio; None for methods that do not take one (NaN in the result frame).
    protocol : {"shift", "iid"}, default="shift"
        The data protocol: train on the source domain and test on it and on the shifted domain,
        or the i.i.d. protocol, where ``seed`` also picks the fold (see :ref:`study`).

    Examples
    --------
    >>> from sklearn_causalmix.study import StudyUnit
    >>> StudyUnit("penguins", 0, "causalmix", 0.5).label
    'penguins/causalmix/r=0.5/seed=0'
    >>> StudyUnit("wells", 3, "finetune", 0.0, protocol="iid").label
    'wells/iid/finetune/r=0/seed=3'
    """

    dataset: str
    seed: int
    method: str
    ratio: float | None
    protocol: str = "shift"

    @property
    def label(self):
        """str : Human-readable name of the unit."""
        ratio = "" if self.ratio is None else f"/r={self.ratio:g}"
        protocol = "" if self.protocol == "shift" else f"/{self.protocol}"
        return f"{self.dataset}{protocol}/{self.method}{ratio}/seed={self.seed}"


def _history(estimator):
    history = getattr(estimator, "history_", None)
    if history is None:
        return None
    frame = pd.DataFrame(list(history)) if not isinstance(history, pd.DataFrame) else history
    if not {"val_score", "monitor_score"} <= set(frame.columns):
        return None
    return frame


def run_unit(unit, entry, settings):
    """Run one unit: split the data, fit, score. Returns ``{"row": dict, "predictions": dict}``.

    Parameters
    ----------
    unit : StudyUnit
        What to run.
    entry : str or Bunch
        The dataset (a table name is loaded here, in the worker).
    settings : StudySettings
        Study settings (built by :func:`ratio_study`).

    Returns
    -------
    result : dict
        ``row`` (one row of the result frame) and ``predictions`` on the shifted test (the
        held-out fold under the i.i.d. protocol: ``y_true``, ``proba``, ``classes``), or None
        when the unit failed.
    """
    row = base_row(unit)
    try:
        split = unit_split(load(entry), unit, settings)
        row.update(n_train=len(split.y_train), n_test_in_domain=len(split.y_test),
                   n_test_shifted=len(split.y_shift) if unit.protocol == "shift" else np.nan,
                   n_masked_levels=split.n_masked_levels, note=split.note)
        start = time.perf_counter()
        est, extras = settings.spec(unit.method).fit(unit, split, settings)
        row["fit_time_s"] = time.perf_counter() - start
        row.update({"chosen_ratio": float("nan"), **extras})
        predictions = _score(est, split, row, int(unit.seed))
        history = _history(est)
        row["n_evaluations"] = 0 if history is None else len(history)
        for column, attribute in (("best_step", "best_step_"), ("n_steps", "n_steps_"),
                                  ("n_synthetic", "n_synthetic_")):
            value = getattr(est, attribute, None)
            row[column] = float("nan") if value is None else int(value)
        row["val_test_gap"] = (float("nan") if history is None
                               else validation_test_gap(history, nan_policy="omit"))
    except NotApplicable as exc:  # not a failure: NaN scores and the reason
        row["note"] = str(exc)
        return {"row": row, "predictions": None}
    except Exception as exc:
        if settings.errors == "raise":
            raise
        return failed_result(unit, exc, row=row, details=traceback.format_exc())
    return {"row": row, "predictions": predictions}


def _score(estimator, split, row, seed):
    """Score both tests into ``row`` (the shifted one only under the shift protocol), raw and after a
    temperature fitted on the in-domain test; the predictions on the split's main test."""
    classes = np.asarray(estimator.classes_)
    proba = {"in_domain": estimator.predict_proba(split.X_test)}
    if split.protocol == "shift":
        proba["shifted"] = estimator.predict_proba(split.X_shift)
    row.update(score_proba(split.y_test, proba["in_domain"], classes, "in_domain"))
    if split.protocol == "shift":
        row.update(score_proba(split.y_shift, proba["shifted"], classes, "shifted"))
    y_shift = np.asarray(split.y_shift) if split.protocol == "shift" else np.array([])
    proba_shift = proba.get("shifted", np.empty((0, len(classes))))
    row.update(temperature_scores(split.y_test, proba["in_domain"], y_shift, proba_shift, classes, seed))
    main = "shifted" if split.protocol == "shift" else "in_domain"
    return {"y_true": np.asarray(split.main_test[1]), "proba": np.asarray(proba[main]),
            "classes": classes}


def unit_split(data, unit, settings):
    """The :class:`~sklearn_causalmix.study._data.StudySplit` of ``unit``'s protocol and seed."""
    if unit.protocol == "iid":
        return make_iid_split(data, int(unit.seed), n_folds=settings.n_folds,
                              n_train=settings.n_train, max_test=settings.max_test)
    return make_split(data, int(unit.seed), n_train=settings.n_train, max_test=settings.max_test,
                      in_domain_fraction=settings.in_domain_fraction)


def base_row(unit):
    """The columns of ``unit``'s result row that do not depend on running it."""
    return {"dataset": unit.dataset, "protocol": unit.protocol, "seed": int(unit.seed),
            "method": unit.method,
            "ratio": float("nan") if unit.ratio is None else float(unit.ratio), "cached": False,
            "error": "", "note": ""}


def failed_result(unit, exc, *, row=None, details="", hint=""):
    """The result of a unit that failed with ``exc`` (``errors="record"``): its row names it."""
    row = base_row(unit) if row is None else row
    row["error"] = f"{type(exc).__name__}: {exc}{hint}"
    logger.warning("Unit %s failed: %s\n%s", unit.label, row["error"], details)
    return {"row": row, "predictions": None}


def run_unit_with_its_key(unit, entry, settings):
    """``(unit, run_unit(...))``: parallel results arrive unordered, so each names its unit."""
    return unit, run_unit(unit, entry, settings)
