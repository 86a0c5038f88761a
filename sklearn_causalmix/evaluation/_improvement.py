"""Improvement of a score over the pretrained model's zero-shot score, in percent."""

import numbers

import numpy as np
from sklearn.utils._param_validation import validate_params


@validate_params(
    {"score": ["array-like", numbers.Real], "baseline": ["array-like", numbers.Real],
     "greater_is_better": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def normalized_improvement(score, baseline, *, greater_is_better=True):
    """Relative improvement of ``score`` over ``baseline``, in percent.

    ``sign * (score - baseline) / |baseline| * 100`` with ``sign = +1`` when greater scores are
    better (ROC-AUC, accuracy) and ``-1`` when smaller ones are (ECE, log-loss, Brier). For a
    positive baseline this is ``sign * (score / baseline - 1) * 100``; dividing by ``|baseline|``
    keeps the sign meaningful for negative baselines such as ``neg_log_loss``. A positive value
    always means "better than the baseline". In the study the baseline is the pretrained model's
    zero-shot score (``max_steps=0``) on the same split.

    Parameters
    ----------
    score : float or array-like
        Score(s) of the fine-tuned model.
    baseline : float or array-like
        Baseline score(s); broadcast against ``score`` (numpy rules). Must be non-zero.
    greater_is_better : bool, default=True
        Whether larger values of the metric are better.

    Returns
    -------
    improvement : float or ndarray
        A float when both inputs are scalars, otherwise an array of the broadcast shape.

    Raises
    ------
    ValueError
        If a baseline is zero (the relative improvement is undefined), if any input is not
        finite, or if the shapes do not broadcast.

    Examples
    --------
    >>> from sklearn_causalmix.evaluation import normalized_improvement
    >>> round(normalized_improvement(0.88, 0.80), 6)          # ROC-AUC 0.80 -> 0.88: +10 %
    10.0
    >>> round(normalized_improvement(0.05, 0.10, greater_is_better=False), 6)   # ECE halved: +50 %
    50.0
    >>> normalized_improvement([0.9, 0.7], 0.8).round(3)
    array([ 12.5, -12.5])
    """
    score_arr = np.asarray(score, dtype=np.float64)
    baseline_arr = np.asarray(baseline, dtype=np.float64)
    try:
        score_arr, baseline_arr = np.broadcast_arrays(score_arr, baseline_arr)
    except ValueError:
        raise ValueError(
            f"score (shape {np.shape(score)}) and baseline (shape {np.shape(baseline)}) do not "
            "broadcast; pass one baseline or one baseline per score."
        ) from None
    if not (np.all(np.isfinite(score_arr)) and np.all(np.isfinite(baseline_arr))):
        raise ValueError("score and baseline must be finite numbers; drop NaN or infinite entries.")
    if np.any(baseline_arr == 0):
        raise ValueError(
            "baseline is zero, so the relative improvement is undefined; report the absolute "
            "difference (score - baseline) for such entries instead."
        )
    sign = 1.0 if greater_is_better else -1.0
    improvement = sign * (score_arr - baseline_arr) / np.abs(baseline_arr) * 100.0
    if improvement.ndim == 0:
        return float(improvement)
    return improvement
