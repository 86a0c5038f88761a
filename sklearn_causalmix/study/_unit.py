"""One unit of work of the ratio study: split one dataset for one seed, fit one method, score it."""

from __future__ import annotations

import logging
import tempfile
import time
import traceback
from dataclasses import dataclass

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_causalmix.evaluation import roc_auc_scorer, validation_test_gap
from sklearn_causalmix.study._cache import augmenter_name
from sklearn_causalmix.study._data import load, make_split
from sklearn_causalmix.study._methods import (
    METHODS,
    configure,
    fit_accepts,
    has_param,
    make_reference,
)
from sklearn_causalmix.study._scores import score_proba

__all__ = ["StudyUnit", "run_unit"]

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

    Examples
    --------
    >>> from sklearn_causalmix.study import StudyUnit
    >>> StudyUnit("penguins", 0, "causalmix", 0.5).label
    'penguins/causalmix/r=0.5/seed=0'
    """

    dataset: str
    seed: int
    method: str
    ratio: float | None

    @property
    def label(self):
        """str : Human-readable name of the unit."""
        ratio = "" if self.ratio is None else f"/r={self.ratio:g}"
        return f"{self.dataset}/{self.method}{ratio}/seed={self.seed}"


def _history(estimator):
    history = getattr(estimator, "history_", None)
    if history is None:
        return None
    frame = pd.DataFrame(list(history)) if not isinstance(history, pd.DataFrame) else history
    if not {"val_score", "monitor_score"} <= set(frame.columns):
        return None
    return frame


def _fit(estimator, X, y, monitor):
    if monitor is not None and fit_accepts(estimator, "monitor"):
        return estimator.fit(X, y, monitor=monitor)
    return estimator.fit(X, y)


def _build_and_fit(unit, split, settings, workdir):
    """Build the unit's estimator, fit it on the training rows, return (estimator, extras)."""
    spec = METHODS.get(unit.method)
    kind = spec.kind if spec is not None else "augmented"
    seed = int(unit.seed)
    monitor = (split.X_shift, split.y_shift) if settings["monitor"] else None
    extras = {"chosen_ratio": float("nan")}
    if kind == "reference":
        est = make_reference(unit.method, split.X_train, seed)
        return est.fit(split.X_train, split.y_train), extras

    model = settings["model"]
    optional = {"random_state": seed}
    if settings["max_steps"] is not None:
        optional["max_steps"] = settings["max_steps"]
    if kind == "zero-shot":
        est = configure(model, unit.method, required={"max_steps": 0},
                        optional={"random_state": seed, "synthetic_ratio": 0.0, "augmenter": None})
        return est.fit(split.X_train, split.y_train), extras
    if kind == "finetune":
        est = configure(model, unit.method, required={"synthetic_ratio": 0.0},
                        optional={**optional, "augmenter": None})
        return _fit(est, split.X_train, split.y_train, monitor), extras

    augmenter = clone(settings["augmenters"][augmenter_name(unit.method)])
    if has_param(augmenter, "random_state"):
        augmenter.set_params(random_state=seed)
    memory = joblib.Memory(str(workdir), verbose=0) if workdir is not None else None
    optional["memory"] = memory
    if kind == "augmented":
        est = configure(model, unit.method,
                        required={"synthetic_ratio": float(unit.ratio), "augmenter": augmenter},
                        optional=optional)
        return _fit(est, split.X_train, split.y_train, monitor), extras

    # kind == "cv": GridSearchCV over the synthetic ratio on the training rows, then a refit at
    # the chosen ratio (with the monitor set, which never influences the choice or the training).
    base = configure(model, unit.method, required={"augmenter": augmenter, "synthetic_ratio": 0.0},
                     optional=optional)
    smallest_class = np.bincount(np.unique(split.y_train, return_inverse=True)[1]).min()
    folds = int(min(settings["cv"], smallest_class))
    if folds < 2:
        raise ValueError(
            f"{unit.label}: a class has a single training row, so no inner cross-validation is "
            "possible; raise n_train or leave out causalmix-cv."
        )
    # Inner validation folds can hold categorical levels their training folds lack: the model
    # predicts through them as missing values, as on the test sets (handle_unknown="missing").
    search = GridSearchCV(
        base,
        {"synthetic_ratio": [float(r) for r in settings["method_ratios"][unit.method]]},
        scoring=roc_auc_scorer,
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed), refit=False, n_jobs=1,
        error_score="raise",
    )
    search.fit(split.X_train, split.y_train)
    chosen = float(search.best_params_["synthetic_ratio"])
    extras["chosen_ratio"] = chosen
    est = clone(base).set_params(synthetic_ratio=chosen)
    return _fit(est, split.X_train, split.y_train, monitor), extras


def run_unit(unit, entry, settings):
    """Run one unit: split the data, fit, score. Returns ``{"row": dict, "predictions": dict}``.

    Parameters
    ----------
    unit : StudyUnit
        What to run.
    entry : str or Bunch
        The dataset (a table name is loaded here, in the worker).
    settings : dict
        Study settings (built by :func:`ratio_study`).

    Returns
    -------
    result : dict
        ``row`` (one row of the result frame) and ``predictions`` on the shifted test
        (``y_true``, ``proba``, ``classes``), or None when the unit failed.
    """
    row = {"dataset": unit.dataset, "seed": int(unit.seed), "method": unit.method,
           "ratio": float("nan") if unit.ratio is None else float(unit.ratio), "cached": False,
           "error": ""}
    try:
        split = make_split(load(entry), int(unit.seed), n_train=settings["n_train"],
                           max_test=settings["max_test"],
                           in_domain_fraction=settings["in_domain_fraction"])
        row.update(n_train=len(split.y_train), n_test_in_domain=len(split.y_test),
                   n_test_shifted=len(split.y_shift), n_masked_levels=split.n_masked_levels)
        workdir = settings["augmenter_cache"]
        scratch = None
        if workdir is None and METHODS.get(unit.method, METHODS["causalmix"]).kind == "cv":
            scratch = tempfile.TemporaryDirectory(prefix="causalmix-augmenters-")
            workdir = scratch.name
        try:
            start = time.perf_counter()
            est, extras = _build_and_fit(unit, split, settings, workdir)
            row["fit_time_s"] = time.perf_counter() - start
        finally:
            if scratch is not None:
                scratch.cleanup()
        row.update(extras)
        classes = np.asarray(est.classes_)
        proba_test = est.predict_proba(split.X_test)
        proba_shift = est.predict_proba(split.X_shift)
        row.update(score_proba(split.y_test, proba_test, classes, "in_domain"))
        row.update(score_proba(split.y_shift, proba_shift, classes, "shifted"))
        history = _history(est)
        row["n_evaluations"] = 0 if history is None else len(history)
        for column, attribute in (("best_step", "best_step_"), ("n_steps", "n_steps_"),
                                  ("n_synthetic", "n_synthetic_")):
            value = getattr(est, attribute, None)
            row[column] = float("nan") if value is None else int(value)
        row["val_test_gap"] = (float("nan") if history is None
                               else validation_test_gap(history, nan_policy="omit"))
        predictions = {"y_true": np.asarray(split.y_shift), "proba": np.asarray(proba_shift),
                       "classes": classes}
    except Exception as exc:
        if settings["errors"] == "raise":
            raise
        row["error"] = f"{type(exc).__name__}: {exc}"
        logger.warning("Unit %s failed: %s\n%s", unit.label, row["error"], traceback.format_exc())
        return {"row": row, "predictions": None}
    return {"row": row, "predictions": predictions}


def run_unit_with_its_key(unit, entry, settings):
    """``(unit, run_unit(...))``: parallel results arrive unordered, so each names its unit."""
    return unit, run_unit(unit, entry, settings)
