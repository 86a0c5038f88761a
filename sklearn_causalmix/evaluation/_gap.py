"""How badly validation scores track test scores over the evaluations of a fine-tuning run."""

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.utils._param_validation import StrOptions, validate_params

VAL_COLUMN = "val_score"
MONITOR_COLUMN = "monitor_score"


def _history_columns(history):
    """Return the ``val_score`` and ``monitor_score`` columns of a history as float arrays."""
    if isinstance(history, pd.DataFrame):
        frame = history
    elif isinstance(history, dict):
        frame = pd.DataFrame(history)
    else:
        entries = list(history)
        if not all(isinstance(entry, dict) for entry in entries):
            raise TypeError(
                "history must be a DataFrame, a dict of lists or a list of dicts with the keys "
                f"{VAL_COLUMN!r} and {MONITOR_COLUMN!r}; to pass two score sequences, call "
                "validation_test_gap(val_scores, monitor_scores)."
            )
        frame = pd.DataFrame(entries)
    missing = [name for name in (VAL_COLUMN, MONITOR_COLUMN) if name not in frame.columns]
    if missing:
        raise ValueError(
            f"history lacks the column(s) {missing}; it must hold {VAL_COLUMN!r} (validation score "
            f"at each evaluation) and {MONITOR_COLUMN!r} (test/monitor score at the same "
            f"evaluation). Columns found: {list(frame.columns)}."
        )
    val = _as_float(frame[VAL_COLUMN], VAL_COLUMN)
    return val, _as_float(frame[MONITOR_COLUMN], MONITOR_COLUMN)


def _as_float(values, name):
    try:
        return np.asarray(pd.to_numeric(pd.Series(values), errors="raise"), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must hold numbers; got {pd.Series(values).dtype}.") from None


@validate_params(
    {"history": ["array-like", dict], "monitor_scores": ["array-like", None],
     "nan_policy": [StrOptions({"propagate", "omit", "raise"})]},
    prefer_skip_nested_validation=True,
)
def validation_test_gap(history, monitor_scores=None, *, nan_policy="propagate"):
    """Validation-test gap of a fine-tuning run: ``1 - Spearman(val curve, test curve)``.

    Fine-tuning evaluates the model at several steps on a (small, real) validation split and, for
    this diagnosis, on the test data (the *monitor* score). Early stopping works only if the
    validation curve ranks the steps as the test curve does. The gap is ``1 - rho`` with ``rho`` the
    Spearman rank correlation of the two curves over the evaluations: 0 means the curves rank every
    step alike, 1 uncorrelated, 2 perfectly anti-correlated.

    Parameters
    ----------
    history : array-like, DataFrame, dict of lists or list of dicts
        Either the validation scores (a sequence, with ``monitor_scores`` given), or a history with
        one entry per evaluation holding ``"val_score"`` and ``"monitor_score"`` (a DataFrame with
        these columns, a dict of two lists, or a list of dicts such as ``history_`` entries; other
        keys are ignored).
    monitor_scores : array-like, default=None
        The test (monitor) scores at the same evaluations, when ``history`` is a sequence of
        validation scores. Must be ``None`` when ``history`` is a table.
    nan_policy : {"propagate", "omit", "raise"}, default="propagate"
        What to do when a score is NaN: return NaN, drop those evaluations (pairwise), or raise.

    Returns
    -------
    gap : float
        In ``[0, 2]``. NaN when fewer than 3 evaluations remain or when either curve is constant
        (its ranks carry no information), and, with ``nan_policy="propagate"``, when a score is NaN.

    Examples
    --------
    >>> from sklearn_causalmix.evaluation import validation_test_gap
    >>> validation_test_gap([0.70, 0.74, 0.78, 0.80], [0.61, 0.66, 0.69, 0.70])
    0.0
    >>> history = [{"step": 10, "val_score": 0.7, "monitor_score": 0.69},
    ...            {"step": 20, "val_score": 0.8, "monitor_score": 0.66},
    ...            {"step": 30, "val_score": 0.9, "monitor_score": 0.60}]
    >>> validation_test_gap(history)
    2.0
    """
    if isinstance(history, (pd.DataFrame, dict)) or (
        not isinstance(history, (np.ndarray, pd.Series)) and _looks_like_records(history)
    ):
        if monitor_scores is not None:
            raise ValueError(
                "monitor_scores must be None when history is a table; the table's "
                f"{MONITOR_COLUMN!r} column holds them."
            )
        val, monitor = _history_columns(history)
    else:
        if monitor_scores is None:
            raise ValueError(
                "validation_test_gap needs the test (monitor) scores: pass them as monitor_scores, "
                f"or pass a history with the columns {VAL_COLUMN!r} and {MONITOR_COLUMN!r}."
            )
        val = _as_float(np.ravel(np.asarray(history)), VAL_COLUMN)
        monitor = _as_float(np.ravel(np.asarray(monitor_scores)), MONITOR_COLUMN)
        if val.shape[0] != monitor.shape[0]:
            raise ValueError(
                f"val_scores has {val.shape[0]} entries but monitor_scores has {monitor.shape[0]}; "
                "pass one monitor score per validation score."
            )
    missing = np.isnan(val) | np.isnan(monitor)
    if np.any(missing):
        if nan_policy == "raise":
            raise ValueError(
                f"{int(missing.sum())} evaluation(s) have a NaN score; fill them, or pass "
                "nan_policy='omit' to drop those evaluations."
            )
        if nan_policy == "propagate":
            return float("nan")
        val, monitor = val[~missing], monitor[~missing]
    if val.shape[0] < 3 or np.ptp(val) == 0 or np.ptp(monitor) == 0:
        return float("nan")
    rho = spearmanr(val, monitor).statistic
    return float(1.0 - rho)


def _looks_like_records(history):
    """True for a list/tuple whose entries are dicts (a list of history records)."""
    return isinstance(history, (list, tuple)) and len(history) > 0 and isinstance(history[0], dict)
