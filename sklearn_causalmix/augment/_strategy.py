"""imbalanced-learn's over-sampling ``sampling_strategy``: how many rows to add to each class.

The semantics of ``imblearn.utils.check_sampling_strategy(..., "over-sampling")`` (imbalanced-learn
is not a dependency):

- ``"minority"``: the minority class grows to the size of the majority class;
- ``"not majority"`` (= ``"auto"``): every class but the majority grows to its size;
- ``"not minority"``: every class but the minority grows to the majority's size;
- ``"all"``: every class grows to the majority's size (the majority gets no new row);
- a float ``r`` in (0, 1], binary labels only: the minority grows to ``int(r * n_majority)``;
- a dict ``{class: n}``: class grows to ``n`` rows (at least its current count);
- a callable ``f(y) -> dict``: that dict.

Ties between class sizes go to the first class in sorted order, as in imbalanced-learn.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

__all__ = ["STRATEGY_NAMES", "synthetic_counts"]

STRATEGY_NAMES = ("auto", "minority", "not majority", "not minority", "all")


def _from_dict(wanted, stats):
    unknown = set(wanted) - set(stats)
    if unknown:
        raise ValueError(
            f"sampling_strategy names classes {sorted(unknown, key=str)} that are not in y; "
            f"classes: {list(stats)}."
        )
    out = {}
    for label, n in wanted.items():
        if n < stats[label]:
            raise ValueError(
                f"sampling_strategy asks for {n} rows of class {label!r}, which has "
                f"{stats[label]}; an over-sampler can only add rows (ask for at least "
                f"{stats[label]})."
            )
        out[label] = int(n) - stats[label]
    return out


def synthetic_counts(sampling_strategy, y):
    """Rows to add per class, as an OrderedDict sorted by class.

    Parameters
    ----------
    sampling_strategy : str, float, dict or callable
        See the module docstring.
    y : array-like of shape (n_samples,)
        Class labels.

    Returns
    -------
    counts : OrderedDict
        ``{class: rows to add}`` for the targeted classes.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._strategy import synthetic_counts
    >>> y = np.array(["a"] * 6 + ["b"] * 3 + ["c"] * 1)
    >>> dict(synthetic_counts("not majority", y))
    {np.str_('b'): 3, np.str_('c'): 5}
    >>> dict(synthetic_counts({"a": 8}, y))
    {'a': 2}
    """
    labels, sizes = np.unique(np.asarray(y), return_counts=True)
    stats = {label: int(n) for label, n in zip(labels, sizes)}
    n_max = max(stats.values())
    majority = max(stats, key=stats.get)
    minority = min(stats, key=stats.get)
    if callable(sampling_strategy):
        counts = _from_dict(sampling_strategy(y), stats)
    elif isinstance(sampling_strategy, dict):
        counts = _from_dict(sampling_strategy, stats)
    elif isinstance(sampling_strategy, str):
        keep = {
            "auto": lambda c: c != majority,
            "not majority": lambda c: c != majority,
            "minority": lambda c: c == minority,
            "not minority": lambda c: c != minority,
            "all": lambda c: True,
        }[sampling_strategy]
        counts = {c: n_max - n for c, n in stats.items() if keep(c)}
    else:
        if len(stats) != 2:
            raise ValueError(
                "sampling_strategy can be a float only for binary labels; with "
                f"{len(stats)} classes pass a dict {{class: rows wanted}}."
            )
        counts = {
            c: int(n_max * sampling_strategy - n) for c, n in stats.items() if c != majority
        }
        if any(n <= 0 for n in counts.values()):
            raise ValueError(
                f"sampling_strategy={sampling_strategy} would remove rows from the minority "
                f"class (it has {stats[minority]} of {n_max} majority rows); raise it."
            )
    return OrderedDict(sorted(counts.items()))
