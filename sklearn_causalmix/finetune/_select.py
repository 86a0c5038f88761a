"""Choosing the number of fine-tuning steps across folds: the mean validation curve and its best step."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedKFold

__all__ = ["cross_validated_steps", "fold_seeds", "mean_curve"]


def fold_seeds(seeds: dict, fold: int) -> dict:
    """The seed streams of one fold: every stream shifted by the fold, so folds draw independent episodes.

    Examples
    --------
    >>> from sklearn_causalmix.finetune._select import fold_seeds
    >>> fold_seeds({"episodes": 5}, 0) != fold_seeds({"episodes": 5}, 1)
    True
    """
    return {name: (int(value) + 7_919 * (fold + 1)) % (2**31 - 1) for name, value in seeds.items()}


def mean_curve(histories) -> tuple[list, int]:
    """The fold histories averaged per step, and the step with the best mean validation score.

    Steps that every fold evaluated are kept; the best step is the earliest with the highest mean score
    (so the pretrained weights, step 0, win ties), NaN scores never win.

    Parameters
    ----------
    histories : list of list of dict
        One history per fold (entries with ``step``, ``train_loss``, ``val_score`` and maybe
        ``monitor_score``).

    Returns
    -------
    curve : list of dict
        Per step: ``step``, the mean ``train_loss``, ``val_score`` and ``monitor_score`` over folds, and
        ``fold_scores`` (the folds' validation scores).
    best_step : int

    Examples
    --------
    >>> from sklearn_causalmix.finetune._select import mean_curve
    >>> a = [{"step": 0, "train_loss": float("nan"), "val_score": -0.5},
    ...      {"step": 10, "train_loss": 0.4, "val_score": -0.4}]
    >>> b = [{"step": 0, "train_loss": float("nan"), "val_score": -0.5},
    ...      {"step": 10, "train_loss": 0.5, "val_score": -0.6}]
    >>> curve, best = mean_curve([a, b])
    >>> [round(e["val_score"], 2) for e in curve], best
    ([-0.5, -0.5], 0)
    """
    by_step = [{entry["step"]: entry for entry in history} for history in histories]
    steps = sorted(set.intersection(*(set(h) for h in by_step)))
    curve = []
    for step in steps:
        entries = [h[step] for h in by_step]
        scores = [e["val_score"] for e in entries]
        point = {"step": step, "train_loss": _nanmean(e["train_loss"] for e in entries),
                 "val_score": _nanmean(scores), "fold_scores": scores}
        if all("monitor_score" in e for e in entries):
            point["monitor_score"] = _nanmean(e["monitor_score"] for e in entries)
        curve.append(point)
    scores = np.array([p["val_score"] for p in curve], dtype=float)
    best = 0 if np.all(np.isnan(scores)) else int(np.nanargmax(scores))
    return curve, curve[best]["step"]


def _nanmean(values) -> float:
    values = np.array(list(values), dtype=float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def cross_validated_steps(run_fold, codes, n_folds, seed):
    """Fine-tune on every fold and choose the step on the mean validation curve.

    Parameters
    ----------
    run_fold : callable
        ``run_fold(k, train_idx, val_idx) -> FinetuneResult``: fine-tunes a fresh copy of the backbone on the
        rows ``train_idx`` for the full budget, evaluating on ``val_idx``.
    codes : ndarray of int
        Class codes of all rows (the folds are stratified).
    n_folds : int
        Wanted folds; fewer when a class has fewer rows.
    seed : int

    Returns
    -------
    curve : list of dict
        See :func:`mean_curve`.
    best_step : int
    oof : tuple (codes, proba)
        The held-out rows of every fold and their probabilities at ``best_step`` (out of fold).

    Raises
    ------
    ValueError
        When a class has a single row (no fold could hold it out and keep it in training).

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from sklearn_causalmix.finetune._select import cross_validated_steps
    >>> def run_fold(k, train_idx, val_idx):
    ...     history = [{"step": s, "train_loss": 0.0, "val_score": -abs(s - 10) / 10} for s in (0, 10, 20)]
    ...     return SimpleNamespace(history=history, val_probas=[np.full((len(val_idx), 2), 0.5)] * 3)
    >>> curve, best, (codes, proba) = cross_validated_steps(run_fold, np.arange(12) % 2, 3, seed=0)
    >>> best, len(codes), proba.shape
    (10, 12, (12, 2))
    """
    n_splits = min(n_folds, int(np.bincount(codes).min()))
    if n_splits < 2:
        raise ValueError(
            f"cv={n_folds} needs at least 2 rows of every class; a class of y has one. Use early_stopping=False "
            "or collect more rows of that class."
        )
    folds = StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(np.zeros(len(codes)), codes)
    histories, held_out = [], []
    for k, (train_idx, val_idx) in enumerate(folds):
        result = run_fold(k, train_idx, val_idx)
        histories.append(result.history)
        held_out.append((val_idx, {e["step"]: p for e, p in zip(result.history, result.val_probas)}))
    curve, best = mean_curve(histories)
    oof = (np.concatenate([codes[idx] for idx, _ in held_out]), np.concatenate([p[best] for _, p in held_out]))
    return curve, best, oof
