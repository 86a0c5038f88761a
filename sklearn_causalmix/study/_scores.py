"""Scores of one fitted model on its test sets: ROC-AUC, ECE, Brier score, log-loss, raw and after temperature."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import log_loss

from sklearn_causalmix.evaluation import (
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    multiclass_brier_score,
    multiclass_roc_auc,
)

__all__ = ["TEMPERATURE_COLUMNS", "score_proba", "temperature_scores"]


def _ovr_auc(y_true, proba, classes):
    """:func:`~sklearn_causalmix.evaluation.multiclass_roc_auc`; NaN, silently, for one class."""
    if np.isin(classes, y_true).sum() < 2:
        return float("nan")
    return multiclass_roc_auc(y_true, proba, labels=classes)


def score_proba(y_true, proba, classes, suffix):
    """ROC-AUC, top-label ECE (15 bins), Brier score and log-loss of ``proba``.

    ROC-AUC is :func:`~sklearn_causalmix.evaluation.multiclass_roc_auc` (one-vs-rest, macro over
    the classes present in ``y_true``; binary: the usual AUC).

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
        Labels, all among ``classes``.
    proba : ndarray of shape (n_samples, n_classes)
        ``predict_proba`` output, columns in the order of ``classes``.
    classes : ndarray of shape (n_classes,)
        The estimator's ``classes_``.
    suffix : str
        Appended to each key (``"shifted"`` gives ``auc_shifted``, ...).

    Returns
    -------
    scores : dict of str to float
        ``auc_<suffix>``, ``ece_<suffix>``, ``brier_<suffix>``, ``log_loss_<suffix>``; NaN for an
        empty test set.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.study._scores import score_proba
    >>> proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    >>> scores = score_proba(np.array([0, 1, 0, 1]), proba, np.array([0, 1]), "test")
    >>> scores["auc_test"], round(scores["brier_test"], 3)
    (1.0, 0.075)
    """
    keys = [f"{name}_{suffix}" for name in ("auc", "ece", "brier", "log_loss")]
    if len(y_true) == 0:
        return dict.fromkeys(keys, float("nan"))
    proba = np.asarray(proba, dtype=np.float64)
    return dict(zip(keys, (
        _ovr_auc(y_true, proba, classes),
        float(expected_calibration_error(y_true, proba, labels=classes)),
        float(multiclass_brier_score(y_true, proba, labels=classes)),
        # float32 model outputs can miss a row sum of 1 by ~1e-7, which log_loss warns about.
        float(log_loss(y_true, proba / proba.sum(axis=1, keepdims=True), labels=classes)),
    )))


#: Columns of :func:`temperature_scores`.
TEMPERATURE_COLUMNS = ("temperature", "ece_in_domain_ts", "brier_in_domain_ts",
                       "log_loss_in_domain_ts", "ece_shifted_ts", "brier_shifted_ts",
                       "log_loss_shifted_ts")


def _codes(y, classes):
    lookup = {label: k for k, label in enumerate(np.asarray(classes).tolist())}
    return np.array([lookup[label] for label in np.asarray(y).tolist()], dtype=np.int64)


def _calibration(y, proba, classes):
    scores = score_proba(y, proba, classes, "x")
    return scores["ece_x"], scores["brier_x"], scores["log_loss_x"]


def temperature_scores(y_test, proba_test, y_shift, proba_shift, classes, seed):
    """ECE, Brier score and log-loss after temperature scaling fitted on in-domain test rows.

    One temperature per run, fitted (:func:`~sklearn_causalmix.evaluation.fit_temperature`,
    by log-loss) on the *in-domain test* rows, i.e. held-out source-domain rows the model never
    trained on -- the same for every method, references included, so that methods are compared
    calibrated alike and the shifted test never informs the temperature:

    - ``*_shifted_ts``: the temperature fitted on all in-domain test rows, applied to the
      shifted test;
    - ``*_in_domain_ts``: cross-fitted, since those rows also fitted it: the in-domain test is
      split into two seeded halves (stratified by class), a temperature fitted on each half
      scores the other, and the two halves' scores are averaged;
    - ``temperature``: the temperature fitted on all in-domain test rows.

    Parameters
    ----------
    y_test, proba_test : ndarray
        In-domain test labels and ``predict_proba``.
    y_shift, proba_shift : ndarray
        Shifted test labels and ``predict_proba``.
    classes : ndarray
        The estimator's ``classes_``.
    seed : int
        Seed of the halves.

    Returns
    -------
    scores : dict of str to float
        The :data:`TEMPERATURE_COLUMNS`; NaN where a test set has fewer than 4 rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.study._scores import temperature_scores
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 400)
    >>> sure = np.where(rng.uniform(size=400) < 0.75, y, 1 - y)  # right 75 %, always 95 % sure
    >>> proba = np.eye(2)[sure] * 0.9 + 0.05
    >>> scores = temperature_scores(y[:200], proba[:200], y[200:], proba[200:], np.array([0, 1]), 0)
    >>> scores["temperature"] > 1, scores["ece_shifted_ts"] < 0.05
    (True, True)
    """
    scores = dict.fromkeys(TEMPERATURE_COLUMNS, float("nan"))
    if len(y_test) < 4:
        return scores
    codes = _codes(y_test, classes)
    temperature = fit_temperature(codes, proba_test)
    scores["temperature"] = temperature
    if len(y_shift):
        scored = _calibration(y_shift, apply_temperature(proba_shift, temperature), classes)
        scores.update(zip(TEMPERATURE_COLUMNS[4:], scored))
    rng = np.random.RandomState(seed)
    first = np.zeros(len(codes), dtype=bool)
    for k in np.unique(codes):
        rows = rng.permutation(np.flatnonzero(codes == k))
        first[rows[: len(rows) // 2]] = True
    halves = [(first, ~first), (~first, first)]
    if min(first.sum(), (~first).sum()) < 2:
        return scores
    parts = [_calibration(y_test[score], apply_temperature(
        proba_test[score], fit_temperature(codes[fit], proba_test[fit])), classes)
        for fit, score in halves]
    scores.update(zip(TEMPERATURE_COLUMNS[1:4], np.mean(parts, axis=0).tolist()))
    return scores
