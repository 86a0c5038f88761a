"""Scoring during fine-tuning: the validation score of class probabilities, and the evaluator of a run.

The evaluator predicts the validation (and monitor) rows on the prediction path of the estimator — the real
training rows as context, encoded once, float32 — so that the weights chosen are those that predict best the
way the estimator will predict.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import log_loss
from sklearn.utils.validation import column_or_1d

from sklearn_causalmix._core import codes_of_known_labels
from sklearn_causalmix.backbones import InContextEnsemble, LocalEnsemble, split_context
from sklearn_causalmix.evaluation import multiclass_roc_auc

__all__ = ["encode_monitor", "make_evaluator", "validation_score"]


def validation_score(y_codes, proba, scoring):
    """Score class probabilities: ROC-AUC or minus log-loss.

    ROC-AUC is :func:`sklearn_causalmix.evaluation.multiclass_roc_auc` (binary: the usual AUC;
    several classes: one-vs-rest, macro over the classes present).

    Parameters
    ----------
    y_codes : ndarray of shape (n_samples,)
        Class codes ``0 .. n_classes-1``.
    proba : ndarray of shape (n_samples, n_classes)
    scoring : {"roc_auc", "neg_log_loss"}

    Returns
    -------
    score : float
        Greater is better; NaN for ROC-AUC when fewer than two classes are present.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.finetune._evaluate import validation_score
    >>> validation_score(np.array([0, 1, 1]), np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]), "roc_auc")
    1.0
    """
    n_classes = proba.shape[1]
    proba = np.asarray(proba, dtype=np.float64)
    proba = proba / proba.sum(axis=1, keepdims=True)  # float32 rows sum to 1 within ~1e-7 only
    if scoring == "neg_log_loss":
        return -float(log_loss(y_codes, proba, labels=np.arange(n_classes)))
    if len(np.unique(y_codes)) < 2:
        return float("nan")
    return multiclass_roc_auc(y_codes, proba, labels=np.arange(n_classes))


def make_evaluator(context, validation, monitor, *, n_classes, categorical_mask, scoring, max_context_rows, seed,
                   device, context_kind="subsample"):
    """``evaluate(model) -> (val_score, monitor_score)`` with ``context`` as the in-context training rows.

    Parameters
    ----------
    context, validation : tuple (Z, codes)
        Encoded rows and class codes; a context larger than ``max_context_rows`` is subsampled (stratified,
        seeded) or split into local contexts, as ``context_kind`` says.
    monitor : tuple (Z, codes) or None
        Scored too, never used for choosing (``monitor_score`` None without it).
    n_classes : int
    categorical_mask : ndarray of bool
    scoring : {"roc_auc", "neg_log_loss"}
    max_context_rows : int
    seed : int
    device : torch.device
    context_kind : {"subsample", "local"}, default="subsample"
        The estimator's ``context``.

    Returns
    -------
    evaluate : callable
        Its attribute ``last_val_proba`` holds the validation rows' probabilities of the latest call (None
        without validation rows).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from sklearn_causalmix.backbones import load_default_backbone
    >>> from sklearn_causalmix.finetune._evaluate import make_evaluator
    >>> rng = np.random.default_rng(0)
    >>> Z, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    >>> evaluate = make_evaluator((Z[:40], y[:40]), (Z[40:], y[40:]), None, n_classes=2,
    ...                           categorical_mask=np.zeros(3, bool), scoring="roc_auc", max_context_rows=1024,
    ...                           seed=0, device=torch.device("cpu"))
    >>> val, monitor = evaluate(load_default_backbone().eval())
    >>> 0.0 <= val <= 1.0, monitor is None
    (True, True)
    """
    Z_ctx, y_ctx = context
    keep, local = split_context(Z_ctx, y_ctx, max_context_rows, context=context_kind,
                                categorical_mask=categorical_mask, subsample_rng=np.random.default_rng(seed), seed=seed)
    Z_ctx, y_ctx = Z_ctx[keep], y_ctx[keep]
    Z_val, y_val = validation

    def evaluate(model):
        # The prediction path and precision (float32): the context encoded once, then the validation and
        # monitor rows in chunks (smaller ones after an out-of-memory error).
        def ensemble_over(rows):
            return InContextEnsemble(model, Z_ctx[rows], y_ctx[rows], n_classes=n_classes,
                                     categorical_mask=categorical_mask, n_estimators=1, random_state=0, device=device)

        if local is None:
            ensemble = ensemble_over(slice(None))
        else:
            ensemble = LocalEnsemble(local, [ensemble_over(g) for g in local.groups_])
        proba = ensemble.predict_proba(Z_val) if len(y_val) else None
        evaluate.last_val_proba = proba  # kept for the temperature and the selection across folds
        val = validation_score(y_val, proba, scoring) if len(y_val) else float("nan")
        if monitor is None:
            return val, None
        return val, validation_score(monitor[1], ensemble.predict_proba(monitor[0]), scoring)

    return evaluate


def encode_monitor(monitor, encode, classes):
    """The ``monitor=`` set checked and encoded: ``(Z, codes)``, or None.

    Parameters
    ----------
    monitor : tuple (X_monitor, y_monitor) or None
    encode : callable
        Encodes a table as the estimator does (its schema, its handling of unseen levels).
    classes : ndarray
        The training classes (sorted).

    Returns
    -------
    monitor_set : tuple (Z, codes) or None

    Raises
    ------
    TypeError
        When ``monitor`` is not a pair.
    ValueError
        When the lengths differ or a monitor label is not a training class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.finetune._evaluate import encode_monitor
    >>> Z, codes = encode_monitor((np.ones((2, 1)), ["b", "a"]), lambda X: X, np.array(["a", "b"]))
    >>> codes.tolist()
    [1, 0]
    """
    if monitor is None:
        return None
    if not isinstance(monitor, (tuple, list)) or len(monitor) != 2:
        raise TypeError(
            "monitor must be a tuple (X_monitor, y_monitor) of a labelled table with the columns of X, got "
            f"{type(monitor).__name__}."
        )
    X_mon, y_mon = monitor
    Z_mon = encode(X_mon)
    y_mon = column_or_1d(y_mon, warn=False)
    if len(y_mon) != len(Z_mon):
        raise ValueError(f"The monitor set has {len(Z_mon)} rows but {len(y_mon)} labels; they must have the same length.")
    return Z_mon, codes_of_known_labels(y_mon, classes, "The monitor set has labels", "drop those rows from it")
