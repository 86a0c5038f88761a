"""Choosing the number of fine-tuning steps across folds: the mean validation curve and its best step."""

from __future__ import annotations

import numpy as np

__all__ = ["fold_seeds", "mean_curve"]


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
