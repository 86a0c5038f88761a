"""Class labels: the checks every estimator runs on ``y``, label encoding, and ``y``'s container restored.

Shaped like imbalanced-learn's ``check_target_type``: the augmenters (:func:`check_target`,
:func:`restore_target`) and the classifiers (:func:`check_no_missing_labels`, :func:`encode_labels`) refuse
the same bad targets with the same messages.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

__all__ = [
    "TargetInfo", "check_no_missing_labels", "check_target", "codes_of_known_labels", "encode_labels", "restore_target",
]

_MISSING_LABELS = (
    "y contains missing values (NaN, None or pd.NA); missing labels cannot be learned: drop those rows or impute "
    "the labels first."
)


def check_no_missing_labels(y) -> None:
    """Refuse labels with NaN, None or ``pd.NA``, also among strings (a clear error, not sklearn's).

    :func:`encode_labels` catches NaN in float labels and None in object labels; this also catches
    NaN / ``pd.NA`` among string labels (e.g. a pandas "str" Series), which would otherwise surface
    as "Unknown label type".

    Examples
    --------
    >>> from sklearn_causalmix._core import check_no_missing_labels
    >>> check_no_missing_labels(["a", float("nan")])
    Traceback (most recent call last):
    ...
    ValueError: y contains missing values (NaN, None or pd.NA); missing labels cannot be learned: drop those rows
    or impute the labels first.
    """
    values = np.asarray(y, dtype=object).ravel() if not isinstance(y, pd.DataFrame) else y.to_numpy().ravel()
    if pd.isna(pd.Series(values, dtype=object)).any():
        raise ValueError(_MISSING_LABELS)


def encode_labels(y, n_rows: int, max_classes: int) -> tuple[LabelEncoder, np.ndarray]:
    """Validate classification targets and encode them as ``0 .. k-1``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    n_rows : int
        Rows of ``X`` (lengths must agree).
    max_classes : int
        The backbone's class limit.

    Returns
    -------
    encoder : LabelEncoder
    codes : ndarray of int

    Raises
    ------
    ValueError
        Length mismatch, missing labels, a single class, or more classes than the backbone supports.

    Examples
    --------
    >>> from sklearn_causalmix._core import encode_labels
    >>> enc, codes = encode_labels(["b", "a", "b"], 3, 10)
    >>> enc.classes_.tolist(), codes.tolist()
    (['a', 'b'], [1, 0, 1])
    """
    y = column_or_1d(y, warn=True)
    if len(y) != n_rows:
        raise ValueError(f"X has {n_rows} rows but y has {len(y)}; they must have the same length.")
    if y.dtype.kind == "f" and np.isnan(y).any() or y.dtype == object and any(v is None for v in y):
        raise ValueError(_MISSING_LABELS)
    check_classification_targets(y)
    encoder = LabelEncoder().fit(y)
    if len(encoder.classes_) < 2:
        raise ValueError(
            f"y has only one class ({encoder.classes_[0]!r}); a classifier needs at least two classes."
        )
    if len(encoder.classes_) > max_classes:
        raise ValueError(
            f"y has {len(encoder.classes_)} classes but the backbone supports at most {max_classes}; "
            "merge rare classes or choose a backbone with a larger class limit."
        )
    return encoder, encoder.transform(y)


@dataclasses.dataclass
class TargetInfo:
    """How ``y`` was passed, to return labels in the same container."""

    container: str  # "series", "frame", "array" or "list"
    name: object
    dtype: object


def check_target(y, estimator_name):
    """Validate class labels; return them as a 1D array and how to restore their container."""
    if y is None:
        raise ValueError(
            f"{estimator_name} requires y to be passed, but the target y is None; pass the "
            "class labels."
        )
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(
                f"y should be a 1d array of class labels, got a DataFrame with {y.shape[1]} "
                "columns. Multilabel and multioutput targets are not supported."
            )
        info = TargetInfo("frame", y.columns[0], y.dtypes.iloc[0])
        labels = y.iloc[:, 0].to_numpy()
    elif isinstance(y, pd.Series):
        info = TargetInfo("series", y.name, y.dtype)
        labels = y.to_numpy()
    else:
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels.ravel()
        if labels.ndim != 1:
            raise ValueError(
                f"y should be a 1d array of class labels, got an array of shape {labels.shape}. "
                "Multilabel and multioutput targets are not supported."
            )
        info = TargetInfo("list" if isinstance(y, (list, tuple)) else "array", None, labels.dtype)
    check_no_missing_labels(labels)
    check_classification_targets(labels)
    if type_of_target(labels) not in ("binary", "multiclass"):
        raise ValueError(
            f"Unknown label type: {type_of_target(labels)!r}. {estimator_name} needs class "
            "labels (binary or multiclass)."
        )
    return labels, info


def restore_target(labels, info):
    """Labels in the container, name and dtype of the training ``y`` (lists come back as arrays)."""
    if info.container == "series":
        return pd.Series(labels, name=info.name, dtype=info.dtype)
    if info.container == "frame":
        return pd.DataFrame({info.name: pd.Series(labels, dtype=info.dtype)})
    return np.asarray(labels, dtype=info.dtype)


def codes_of_known_labels(labels, classes, what: str, fix: str) -> np.ndarray:
    """Class codes of ``labels`` (indices into the sorted ``classes``); every label must be one of them.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
    classes : ndarray
        The training classes, sorted (``LabelEncoder.classes_``).
    what : str
        Whose labels these are, for the message (e.g. ``"The monitor labels"``).
    fix : str
        What the user should do, for the message.

    Returns
    -------
    codes : ndarray of int

    Raises
    ------
    ValueError
        Naming up to ten unknown labels, the classes and the fix.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix._core import codes_of_known_labels
    >>> codes_of_known_labels(["b", "a"], np.array(["a", "b"]), "Got the labels", "drop them").tolist()
    [1, 0]
    >>> codes_of_known_labels(["c"], np.array(["a", "b"]), "Got the labels", "drop them")
    Traceback (most recent call last):
    ...
    ValueError: Got the labels ['c'], which are not among the training classes ['a', 'b']; drop them.
    """
    labels = column_or_1d(np.asarray(labels), warn=False)
    unknown = sorted(set(pd.unique(labels).tolist()) - set(np.asarray(classes).tolist()), key=str)
    if unknown:
        raise ValueError(f"{what} {unknown[:10]}, which are not among the training classes {np.asarray(classes).tolist()}; "
                         f"{fix}.")
    return np.searchsorted(classes, labels)
