"""Calibration metrics: top-label and class-wise expected calibration error, multiclass Brier."""

import numbers

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_consistent_length, column_or_1d

_PROBA_SUM_TOL = 1e-3


def _check_proba(y_true, y_prob, labels=None):
    """Validate labels and probabilities and map each label to its column of ``y_prob``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_prob : array-like of shape (n_samples,) or (n_samples, n_classes)
        Probabilities; a 1-D array is the probability of the positive (second) class of a binary
        task.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_prob``. ``None`` means the sorted distinct values of
        ``y_true``.

    Returns
    -------
    y_index : ndarray of shape (n_samples,)
        Column index of each row's true class.
    proba : ndarray of shape (n_samples, n_classes)
        Probabilities, two columns for a binary 1-D input.
    """
    y_true = column_or_1d(y_true, warn=True)
    y_prob = np.asarray(y_prob)
    if y_prob.dtype.kind not in "biuf":
        raise TypeError(
            f"y_prob must hold numbers (probabilities), got dtype {y_prob.dtype}; pass the output "
            "of predict_proba."
        )
    y_prob = y_prob.astype(np.float64, copy=False)
    if y_prob.ndim == 1:
        y_prob = np.column_stack([1.0 - y_prob, y_prob])
    elif y_prob.ndim != 2 or y_prob.shape[1] < 2:
        raise ValueError(
            f"y_prob must have shape (n_samples,) for a binary task or (n_samples, n_classes) with "
            f"n_classes >= 2; got shape {y_prob.shape}."
        )
    check_consistent_length(y_true, y_prob)
    if y_true.shape[0] == 0:
        raise ValueError("y_true is empty; a calibration error needs at least one row.")
    if not np.all(np.isfinite(y_prob)):
        raise ValueError("y_prob contains NaN or infinite values; pass finite probabilities.")
    if y_prob.min() < 0.0 or y_prob.max() > 1.0:
        raise ValueError(
            f"y_prob must lie in [0, 1]; got values in [{y_prob.min():.4g}, {y_prob.max():.4g}]. "
            "Pass probabilities (predict_proba), not decision scores."
        )
    deviation = np.abs(y_prob.sum(axis=1) - 1.0).max()
    if deviation > _PROBA_SUM_TOL:
        raise ValueError(
            f"each row of y_prob must sum to 1 (largest deviation {deviation:.3g}); pass the full "
            "predict_proba matrix, or the positive-class column alone for a binary task."
        )
    if pd.isna(y_true).any():
        raise ValueError("y_true contains missing values; drop those rows before scoring.")

    n_classes = y_prob.shape[1]
    if labels is None:
        classes = np.unique(y_true)
        if classes.shape[0] != n_classes:
            raise ValueError(
                f"y_true has {classes.shape[0]} distinct labels {classes.tolist()} but y_prob has "
                f"{n_classes} columns, so the column of each label is unknown; pass labels= "
                "listing the class of each column (for instance estimator.classes_)."
            )
    else:
        classes = column_or_1d(labels)
        if classes.shape[0] != n_classes:
            raise ValueError(
                f"labels has {classes.shape[0]} entries but y_prob has {n_classes} columns; give "
                "one label per column."
            )
        if np.unique(classes).shape[0] != classes.shape[0]:
            raise ValueError(f"labels must be distinct; got {classes.tolist()}.")
    order = np.argsort(classes, kind="stable")
    sorted_classes = classes[order]
    try:
        position = np.searchsorted(sorted_classes, y_true)
    except TypeError as exc:
        raise TypeError(
            f"y_true values cannot be compared with labels {classes.tolist()}: {exc}"
        ) from None
    position = np.clip(position, 0, n_classes - 1)
    unknown = sorted_classes[position] != y_true
    if np.any(unknown):
        raise ValueError(
            f"y_true contains labels {np.unique(y_true[unknown]).tolist()} that are not in labels "
            f"{classes.tolist()}."
        )
    return order[position], y_prob


def _bin_index(values, n_bins, strategy):
    """Assign each value to one of ``n_bins`` right-closed bins (the first bin also holds 0)."""
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        edges = np.quantile(values, np.linspace(0.0, 1.0, n_bins + 1))
    return np.searchsorted(edges[1:-1], values, side="left")


def _binned_gap(bins, outcome, confidence, n_bins):
    """Sum over bins of ``|sum(outcome) - sum(confidence)|`` divided by the number of rows.

    This equals ``sum_b (n_b / n) * |mean(outcome)_b - mean(confidence)_b|``.
    """
    outcome_sum = np.bincount(bins, weights=outcome, minlength=n_bins)
    confidence_sum = np.bincount(bins, weights=confidence, minlength=n_bins)
    return float(np.abs(outcome_sum - confidence_sum).sum() / bins.shape[0])


_BINNING_CONSTRAINTS = {
    "y_true": ["array-like"],
    "y_prob": ["array-like"],
    "n_bins": [Interval(numbers.Integral, 1, None, closed="left")],
    "strategy": [StrOptions({"uniform", "quantile"})],
    "labels": ["array-like", None],
}


@validate_params(_BINNING_CONSTRAINTS, prefer_skip_nested_validation=True)
def expected_calibration_error(y_true, y_prob, *, n_bins=15, strategy="uniform", labels=None):
    """Top-label expected calibration error (ECE).

    Each row's confidence is its largest predicted probability and its prediction the class of that
    column (the first one on ties). Rows are grouped into ``n_bins`` bins of confidence and

    ``ECE = sum_b (n_b / n) * |accuracy_b - mean confidence_b|``,

    where ``n_b / n`` is the share of rows in bin ``b``. Empty bins contribute nothing.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_prob : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities, as returned by ``predict_proba``. A 1-D array is the probability of
        the positive class of a binary task (the second label); it is expanded to the two columns
        ``[1 - p, p]`` so that the top-label confidence is ``max(p, 1 - p)``.
    n_bins : int, default=15
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        ``"uniform"``: equal-width bins ``(0, 1/n_bins], (1/n_bins, 2/n_bins], ...,
        ((n_bins-1)/n_bins, 1]`` (a confidence of exactly 0 falls into the first bin).
        ``"quantile"``: right-closed bins whose edges are the quantiles of the confidences, so that
        bins hold about equally many rows (tied confidences share a bin, which can leave other
        bins empty).
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_prob``, for instance ``estimator.classes_``. ``None``
        assumes the columns are the sorted distinct values of ``y_true`` (the order of
        ``classes_`` in scikit-learn); then every class must occur in ``y_true``.

    Returns
    -------
    ece : float
        Between 0 (perfectly calibrated) and 1.

    See Also
    --------
    classwise_calibration_error : Calibration error of every class's probability, averaged.
    sklearn.calibration.calibration_curve : Per-bin accuracy and confidence of a binary classifier.

    Examples
    --------
    >>> from sklearn_causalmix.evaluation import expected_calibration_error
    >>> y_true = [0, 1, 1, 0]
    >>> y_prob = [0.25, 0.65, 0.95, 0.55]   # probability of class 1
    >>> round(expected_calibration_error(y_true, y_prob, n_bins=5), 4)
    0.3
    """
    y_index, proba = _check_proba(y_true, y_prob, labels)
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y_index).astype(np.float64)
    bins = _bin_index(confidence, n_bins, strategy)
    return _binned_gap(bins, correct, confidence, n_bins)


@validate_params(_BINNING_CONSTRAINTS, prefer_skip_nested_validation=True)
def classwise_calibration_error(y_true, y_prob, *, n_bins=15, strategy="uniform", labels=None):
    """Class-wise expected calibration error, averaged over classes.

    For every class ``c`` the predicted probability of ``c`` is binned and compared with the
    frequency of ``c`` in each bin, ``ECE_c = sum_b (n_b / n) * |freq_b(y == c) - mean_b(p_c)|``;
    the result is the mean of ``ECE_c`` over the classes (the columns of ``y_prob``).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_prob : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities; a 1-D array is the positive-class probability of a binary task,
        expanded to ``[1 - p, p]``.
    n_bins : int, default=15
        Number of bins per class.
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width right-closed bins over ``[0, 1]`` or quantile bins of each class's
        probabilities, as in :func:`expected_calibration_error`.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_prob``; ``None`` assumes the sorted distinct values of
        ``y_true``.

    Returns
    -------
    cw_ece : float
        Between 0 (perfectly calibrated) and 1.

    See Also
    --------
    expected_calibration_error : Calibration of the top-label confidence only.

    Examples
    --------
    >>> from sklearn_causalmix.evaluation import classwise_calibration_error
    >>> y_true = [0, 1, 1, 0]
    >>> y_prob = [0.25, 0.65, 0.95, 0.55]
    >>> round(classwise_calibration_error(y_true, y_prob, n_bins=5), 4)
    0.3
    """
    y_index, proba = _check_proba(y_true, y_prob, labels)
    n_classes = proba.shape[1]
    errors = []
    for column in range(n_classes):
        probability = proba[:, column]
        occurred = (y_index == column).astype(np.float64)
        bins = _bin_index(probability, n_bins, strategy)
        errors.append(_binned_gap(bins, occurred, probability, n_bins))
    return float(np.mean(errors))


@validate_params(
    {"y_true": ["array-like"], "y_prob": ["array-like"], "labels": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def multiclass_brier_score(y_true, y_prob, *, labels=None):
    """Brier score of binary or multiclass probabilities (lower is better).

    ``mean_i sum_k (p_ik - 1[y_i = k])**2``, halved for two classes so that the binary value is the
    classic ``mean_i (p_i - y_i)**2`` of the positive class. This is the convention of
    :func:`sklearn.metrics.brier_score_loss` from scikit-learn 1.7 on (``scale_by_half="auto"``),
    available here for every supported scikit-learn version.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_prob : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities; a 1-D array is the positive-class probability of a binary task.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_prob``; ``None`` assumes the sorted distinct values of
        ``y_true``.

    Returns
    -------
    brier : float
        Between 0 and 1 for binary tasks, 0 and 2 for multiclass ones.

    Examples
    --------
    >>> from sklearn_causalmix.evaluation import multiclass_brier_score
    >>> round(multiclass_brier_score([0, 1], [0.2, 0.7]), 4)   # ((0.2)**2 + (0.3)**2) / 2
    0.065
    >>> y_prob = [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]      # row 1: (0.5**2 + 0.5**2), row 2: 0
    >>> round(multiclass_brier_score([0, 2], y_prob, labels=[0, 1, 2]), 4)
    0.25
    """
    y_index, proba = _check_proba(y_true, y_prob, labels)
    onehot = np.zeros_like(proba)
    onehot[np.arange(proba.shape[0]), y_index] = 1.0
    score = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    if proba.shape[1] == 2:
        score /= 2.0
    return score
