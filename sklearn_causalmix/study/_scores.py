"""Scores of one fitted model on one test set: ROC-AUC, ECE, Brier score, log-loss."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import log_loss

from sklearn_causalmix.evaluation import (
    expected_calibration_error,
    multiclass_brier_score,
    multiclass_roc_auc,
)

__all__ = ["score_proba"]


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
