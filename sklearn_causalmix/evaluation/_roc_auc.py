"""One ROC-AUC for binary and multiclass tasks (one-vs-rest, macro over present classes)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import roc_auc_score

__all__ = ["multiclass_roc_auc", "roc_auc_scorer"]


def multiclass_roc_auc(y_true, y_score, *, labels=None, sample_weight=None):
    """ROC-AUC of binary or multiclass scores: one-vs-rest, macro over the classes present.

    - Two columns (or a 1D score): the usual binary ROC-AUC, with the second label (or the larger
      label present for a 1D score) as the positive class.
    - More columns: the mean, over the classes that occur in ``y_true``, of the binary ROC-AUC of
      "this class vs. the rest" scored by that class's column. Classes absent from ``y_true`` are
      left out of the average instead of raising (a shifted test set or a small fold often lacks
      a class). When every class occurs this equals ``roc_auc_score(y_true, y_score,
      multi_class="ovr", average="macro")``; the columns are not renormalised.
    - Fewer than two classes in ``y_true``: ROC-AUC is undefined; returns NaN and warns with
      :class:`~sklearn.exceptions.UndefinedMetricWarning`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, all among ``labels``.
    y_score : array-like of shape (n_samples,) or (n_samples, n_classes)
        Scores (e.g. ``predict_proba``), one column per entry of ``labels``; a 1D array is the
        score of the positive class of a binary task.
    labels : array-like of shape (n_classes,), default=None
        The classes in the column order of ``y_score`` (an estimator's ``classes_``). None: the
        sorted labels of ``y_true``, which then must have one column each.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    auc : float
        In [0, 1], greater is better; NaN when fewer than two classes are present.

    Raises
    ------
    ValueError
        When ``y_true`` holds a label not in ``labels``, the number of columns does not match
        ``labels``, lengths differ, or the scores hold NaN or infinite values.

    See Also
    --------
    roc_auc_scorer : The scorer for ``GridSearchCV(scoring=...)`` and ``cross_val_score``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.evaluation import multiclass_roc_auc
    >>> multiclass_roc_auc([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.7])
    0.75
    >>> proba = np.array([[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]])
    >>> multiclass_roc_auc(["a", "b", "b", "a"], proba, labels=["a", "b", "c"])  # "c" absent
    0.875
    """
    y_true = np.asarray(y_true)
    if y_true.ndim != 1:
        raise ValueError(f"y_true must be 1D (one label per row), got shape {y_true.shape}.")
    y_score = np.asarray(y_score, dtype=np.float64)
    if y_score.ndim not in (1, 2) or len(y_score) != len(y_true):
        raise ValueError(
            f"y_score must have one row per label: y_true has {len(y_true)} rows, y_score has "
            f"shape {y_score.shape}."
        )
    if not np.isfinite(y_score).all():
        raise ValueError("y_score contains NaN or infinite values; ROC-AUC needs finite scores.")
    if labels is None:
        labels = np.unique(y_true)
        if y_score.ndim == 2 and y_score.shape[1] != len(labels):
            raise ValueError(
                f"y_score has {y_score.shape[1]} columns but y_true holds {len(labels)} labels; "
                "pass labels= (e.g. the estimator's classes_) to name the columns."
            )
    labels = np.asarray(labels)
    if y_score.ndim == 2 and y_score.shape[1] != len(labels):
        raise ValueError(
            f"y_score has {y_score.shape[1]} columns but {len(labels)} labels were given."
        )
    if y_score.ndim == 1 and len(labels) > 2:
        raise ValueError(
            f"A 1D y_score is the positive-class score of a binary task, but there are "
            f"{len(labels)} labels; pass one column per class."
        )
    unknown = np.setdiff1d(np.unique(y_true), labels) if len(y_true) else []
    if len(unknown):
        raise ValueError(
            f"y_true holds labels {list(unknown)[:10]} that are not among labels "
            f"{list(labels)[:10]}."
        )
    present = np.isin(labels, y_true)
    if present.sum() < 2:
        warnings.warn(
            f"Only {int(present.sum())} class(es) present in y_true; ROC-AUC is undefined and "
            "NaN is returned.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return float("nan")
    if y_score.ndim == 1 or y_score.shape[1] == 2:
        positive = labels[-1] if y_score.ndim == 1 else labels[1]
        positive_score = y_score if y_score.ndim == 1 else y_score[:, 1]
        return float(roc_auc_score(y_true == positive, positive_score, sample_weight=sample_weight))
    scores = [
        roc_auc_score(y_true == label, y_score[:, k], sample_weight=sample_weight)
        for k, label in enumerate(labels)
        if present[k]
    ]
    return float(np.mean(scores))


def roc_auc_scorer(estimator, X, y_true, sample_weight=None):
    """Scorer of :func:`multiclass_roc_auc` from ``predict_proba`` (binary and multiclass).

    Pass it as ``scoring=roc_auc_scorer`` to ``GridSearchCV``, ``cross_val_score`` or
    ``cross_validate``. It calls ``estimator.predict_proba(X)`` and matches the columns to
    ``estimator.classes_``, so a fold that lacks some class is scored over the classes it holds
    (scikit-learn's ``"roc_auc_ovr"`` raises there); greater is better.

    Parameters
    ----------
    estimator : fitted classifier
        Has ``predict_proba`` and ``classes_``.
    X : array-like of shape (n_samples, n_features)
        Rows to score.
    y_true : array-like of shape (n_samples,)
        Their labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    auc : float
        One-vs-rest macro ROC-AUC over the classes present; NaN (with a warning) for one class.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_causalmix.evaluation import roc_auc_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> scores = cross_val_score(LogisticRegression(max_iter=500), X, y, cv=3,
    ...                          scoring=roc_auc_scorer)
    >>> bool(scores.min() > 0.9)
    True
    """
    proba = estimator.predict_proba(X)
    return multiclass_roc_auc(
        y_true, proba, labels=estimator.classes_, sample_weight=sample_weight
    )
