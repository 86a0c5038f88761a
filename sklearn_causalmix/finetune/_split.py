"""The stratified train/validation split of the real rows used for early stopping."""

from __future__ import annotations

import numpy as np

__all__ = ["stratified_validation_split"]


def _python(label):
    """A numpy scalar as the Python value it holds (for readable messages)."""
    return label.item() if isinstance(label, np.generic) else label


def stratified_validation_split(codes, validation_fraction, classes, random_state):
    """Hold out ``validation_fraction`` of the rows of every class (at least one, never all).

    Parameters
    ----------
    codes : ndarray of shape (n_samples,)
        Class codes ``0 .. n_classes-1``.
    validation_fraction : float in (0, 1)
    classes : ndarray
        The labels behind the codes (named in the error message).
    random_state : int

    Returns
    -------
    train_idx, val_idx : ndarray of int
        Sorted, disjoint, together all rows; every class appears in both.

    Raises
    ------
    ValueError
        When a class has fewer than two rows (one to train, one to validate), naming the class and the fixes.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.finetune._split import stratified_validation_split
    >>> codes = np.array([0] * 8 + [1] * 3)
    >>> train, val = stratified_validation_split(codes, 0.2, np.array(["a", "b"]), 0)
    >>> len(train), np.bincount(codes[val]).tolist()
    (8, [2, 1])
    """
    rng = np.random.default_rng(random_state)
    codes = np.asarray(codes)
    counts = np.bincount(codes, minlength=len(classes))
    too_small = [(_python(classes[c]), int(n)) for c, n in enumerate(counts) if n < 2]
    if too_small:
        label, n = too_small[0]
        raise ValueError(
            f"Class {label!r} has {n} row(s), but early stopping holds out validation_fraction="
            f"{validation_fraction} of every class and needs at least 2 rows per class (one to fine-tune on, one "
            f"to validate). Collect more rows of class {label!r}, merge it with another class, or pass "
            f"early_stopping=False (no validation split)."
        )
    val = []
    for c, n in enumerate(counts):
        n_val = int(min(max(1, round(validation_fraction * n)), n - 1))
        val.append(rng.choice(np.flatnonzero(codes == c), size=n_val, replace=False))
    val_idx = np.sort(np.concatenate(val))
    train_idx = np.setdiff1d(np.arange(len(codes)), val_idx)
    return train_idx, val_idx
