"""The i.i.d. protocol of one (dataset, seed): a fold of a stratified K-fold split as the test."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from sklearn_causalmix.study._data import assemble_split, draw_rows, training_rows

__all__ = ["make_iid_split"]


def make_iid_split(data, seed, *, n_folds=5, n_train=512, max_test=2000):
    """Split one dataset for one seed following the i.i.d. protocol.

    1. Rows: the whole table, or its source domain (``domain == 0``) when it has domains.
    2. Seed ``s`` is fold ``s % n_folds`` of ``StratifiedKFold(n_folds, shuffle=True,
       random_state=s // n_folds)``: seeds ``0 .. n_folds - 1`` are one complete K-fold
       cross-validation, the next ``n_folds`` seeds a second one, shuffled anew.
    3. Test: the held-out fold (at most ``max_test`` rows, stratified and seeded); it is the
       split's in-domain test, and there is no shifted test.
    4. Training rows: at most ``n_train`` rows of the other folds (:func:`training_rows`:
       stratified, seeded, at least two rows of every class that has two).

    Parameters
    ----------
    data : Bunch
        ``X`` (DataFrame), ``y``, and optionally ``domain``.
    seed : int
        Fold index and seed of every draw (see 2.).
    n_folds : int, default=5
        Folds of the stratified K-fold split.
    n_train : int, default=512
        Largest number of training rows.
    max_test : int, default=2000
        Largest size of the test fold.

    Returns
    -------
    split : StudySplit
        ``protocol="iid"``; ``X_shift`` and ``y_shift`` are empty.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.utils import Bunch
    >>> from sklearn_causalmix.study._iid import make_iid_split
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> split = make_iid_split(Bunch(X=X, y=y), 0, n_train=64)
    >>> len(split.X_train), len(split.X_test), len(split.X_shift), split.protocol
    (64, 114, 0, 'iid')
    """
    X = data.X if isinstance(data.X, pd.DataFrame) else pd.DataFrame(np.asarray(data.X))
    y = np.asarray(data.y)
    if getattr(data, "domain", None) is not None:
        source = np.asarray(data.domain) == 0
        X, y = X.loc[source], y[source]
    X = X.reset_index(drop=True)
    if len(y) < 2 * n_folds:
        raise ValueError(
            f"The table has {len(y)} rows; the i.i.d. protocol's {n_folds}-fold split needs at "
            f"least {2 * n_folds}. Lower n_folds or use a larger table.")
    repeat, fold = divmod(int(seed), n_folds)
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=repeat)
    with warnings.catch_warnings():
        # a class with fewer rows than folds: training_rows handles it and notes what it did
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        pool, test = list(folds.split(X, y))[fold]
    train, note = training_rows(X, y, pool, test, n_train, seed)
    test = draw_rows(X, y, test, train, max_test, seed)
    return assemble_split(X, y, train, test, np.array([], dtype=int), protocol="iid", note=note)
