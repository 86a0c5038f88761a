"""The data protocol of one (dataset, seed): low-data training rows, in-domain and shifted tests."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sklearn_causalmix._core import TableSchema, largest_remainder
from sklearn_causalmix.evaluation import DomainShiftSplit, LowDataSubsampler
from sklearn_causalmix.study._shift import shift_variables

__all__ = ["StudySplit", "make_split", "resolve_datasets"]


@dataclass
class StudySplit:
    """Training rows and the two test sets of one (dataset, seed).

    Attributes
    ----------
    X_train, y_train : DataFrame, ndarray
        At most ``n_train`` source-domain rows (stratified, seeded).
    X_test, y_test : DataFrame, ndarray
        In-domain test: held-out source-domain rows.
    X_shift, y_shift : DataFrame, ndarray
        Shifted test: target-domain rows (at most ``max_test``, stratified, seeded).
    n_dropped_unseen : int
        Test rows (both tests together) left out because their class never occurs in the
        training rows (no model can score them).
    n_masked_levels : int
        Test cells (both tests together) of categorical columns whose level never occurs in the
        training rows. The tables keep them as they are; the models encode them as missing
        (``handle_unknown="missing"`` of the package's classifiers, ``OneHotEncoder`` /
        ``OrdinalEncoder`` unknown handling of the references).
    shift_variables : tuple of str
        Columns of ``X`` the domain shift acts on, when the dataset says
        (:func:`._shift.shift_variables`); empty otherwise.
    shift_note : str
        Why ``shift_variables`` is empty ("" otherwise).
    """

    X_train: pd.DataFrame
    y_train: np.ndarray
    X_test: pd.DataFrame
    y_test: np.ndarray
    X_shift: pd.DataFrame
    y_shift: np.ndarray
    n_dropped_unseen: int
    n_masked_levels: int = 0
    shift_variables: tuple = ()
    shift_note: str = ""


def resolve_datasets(datasets):
    """Normalise ``datasets`` to a dict of name -> dataset (a name or a Bunch).

    Parameters
    ----------
    datasets : str, Bunch, list of str or Bunch, or dict of str to Bunch
        Names of :func:`~sklearn_causalmix.datasets.list_shifted_datasets` tables, Bunches with
        ``X``, ``y``, ``domain`` (0 source / 1 target) and ``name`` (for instance from
        :func:`~sklearn_causalmix.datasets.make_shifted_classification`), or a dict naming
        Bunches.

    Returns
    -------
    datasets : dict
        Name to a table name (loaded lazily, in the worker) or a Bunch.
    """
    from sklearn_causalmix.datasets import list_shifted_datasets

    def is_bunch(obj):
        return hasattr(obj, "X") and hasattr(obj, "y")

    if isinstance(datasets, dict) and not is_bunch(datasets):
        items = list(datasets.items())
    else:
        if isinstance(datasets, str) or is_bunch(datasets):
            datasets = [datasets]
        items = []
        for entry in datasets:
            if isinstance(entry, str):
                items.append((entry, entry))
            elif is_bunch(entry):
                items.append((str(getattr(entry, "name", f"dataset{len(items)}")), entry))
            else:
                raise TypeError(
                    f"datasets entries must be table names or Bunches with X, y and domain; got "
                    f"{type(entry).__name__}."
                )
    if not items:
        raise ValueError(
            "datasets is empty; name at least one table (see list_shifted_datasets()).")
    names = [name for name, _ in items]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(
            f"Dataset names {duplicated} occur more than once; pass a dict to name each Bunch."
        )
    known = set(list_shifted_datasets()["name"])
    for name, entry in items:
        if isinstance(entry, str) and entry not in known:
            raise ValueError(
                f"Unknown dataset {entry!r}. The shifted datasets are: {sorted(known)}."
            )
        if not isinstance(entry, str):
            missing = [key for key in ("X", "y", "domain") if not hasattr(entry, key)]
            if missing:
                raise ValueError(
                    f"Dataset {name!r} lacks {missing}; a study dataset needs X, y and domain "
                    "(0 source, 1 target), like load_shifted_dataset returns."
                )
    return dict(items)


def load(entry):
    """The Bunch of a dataset entry (loading a table name)."""
    if isinstance(entry, str):
        from sklearn_causalmix.datasets import load_shifted_dataset

        return load_shifted_dataset(entry)
    return entry


def _check_sizes(n_train, max_test, in_domain_fraction):
    if not isinstance(n_train, numbers.Integral) or isinstance(n_train, bool) or n_train < 2:
        raise ValueError(f"n_train must be an integer >= 2; got {n_train!r}.")
    if not isinstance(max_test, numbers.Integral) or isinstance(max_test, bool) or max_test < 2:
        raise ValueError(f"max_test must be an integer >= 2; got {max_test!r}.")
    if not 0 < in_domain_fraction < 1:
        raise ValueError(f"in_domain_fraction must be in (0, 1); got {in_domain_fraction!r}.")


def make_split(data, seed, *, n_train=512, max_test=2000, in_domain_fraction=0.25):
    """Split one dataset for one seed following the study protocol.

    1. Source rows (``domain == 0``) and target rows (``domain == 1``) by
       :class:`~sklearn_causalmix.evaluation.DomainShiftSplit`.
    2. In-domain test: a stratified, seeded ``in_domain_fraction`` of the source rows (at most
       ``max_test``).
    3. Training rows: at most ``n_train`` of the remaining source rows, stratified and seeded by
       :class:`~sklearn_causalmix.evaluation.LowDataSubsampler`.
    4. Shifted test: at most ``max_test`` target rows, stratified and seeded the same way.

    Test rows whose class is absent from the training rows are left out (no model can score
    them). Categorical test values whose level is absent from the training rows are kept and
    counted (``n_masked_levels``): a shifted domain often holds levels the small training sample
    lacks, and the models predict through them as missing values.

    Parameters
    ----------
    data : Bunch
        ``X`` (DataFrame), ``y``, ``domain``.
    seed : int
        Seed of every draw.
    n_train : int, default=512
        Largest number of training rows.
    max_test : int, default=2000
        Largest size of each test set.
    in_domain_fraction : float, default=0.25
        Share of the source rows held out as the in-domain test.

    Returns
    -------
    split : StudySplit

    Examples
    --------
    >>> from sklearn_causalmix.datasets import make_shifted_classification
    >>> from sklearn_causalmix.study._data import make_split
    >>> data = make_shifted_classification(n_samples=400, random_state=0)
    >>> split = make_split(data, 0, n_train=64)
    >>> len(split.X_train), len(split.X_test), len(split.X_shift)
    (64, 50, 200)
    """
    _check_sizes(n_train, max_test, in_domain_fraction)
    X = data.X if isinstance(data.X, pd.DataFrame) else pd.DataFrame(np.asarray(data.X))
    X = X.reset_index(drop=True)
    y = np.asarray(data.y)
    domain = np.asarray(data.domain)
    source, target = next(DomainShiftSplit(domain=domain, source=0, target=1).split(X, y))
    if len(source) < 4 or len(target) < 1:
        raise ValueError(
            f"The dataset has {len(source)} source and {len(target)} target rows; the study needs "
            "at least 4 source rows and 1 target row."
        )
    rng = np.random.RandomState(seed)
    n_test = int(min(max_test, max(2, round(in_domain_fraction * len(source)))))
    pool, test = _stratified_holdout(source, y, n_test, rng)
    subsampler = LowDataSubsampler([(pool, test)], n_train=n_train, random_state=seed)
    train, _ = next(subsampler.split(X, y))
    shift, _ = next(LowDataSubsampler([(target, train)], n_train=max_test,
                                      random_state=seed).split(X, y))
    seen = np.isin(y, np.unique(y[train]))
    n_dropped = int((~seen[test]).sum() + (~seen[shift]).sum())
    test, shift = test[seen[test]], shift[seen[shift]]
    X_train = X.iloc[train].reset_index(drop=True)
    X_test = X.iloc[test].reset_index(drop=True)
    X_shift = X.iloc[shift].reset_index(drop=True)
    n_unseen = count_unseen_levels(X_train, X_test) + count_unseen_levels(X_train, X_shift)
    return StudySplit(X_train, y[train], X_test, y[test], X_shift, y[shift], n_dropped, n_unseen,
                      *shift_variables(data, X.columns))


def count_unseen_levels(X_train, X_other):
    """Cells of ``X_other`` whose categorical (or boolean) level never occurs in ``X_train``.

    The count follows the table schema the package's classifiers infer, so it is the number of
    cells they encode as missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study._data import count_unseen_levels
    >>> count_unseen_levels(pd.DataFrame({"c": ["a", "b"]}), pd.DataFrame({"c": ["a", "z", "z"]}))
    2
    """
    try:
        schema = TableSchema.from_data(X_train, max_categories=np.inf)
    except (TypeError, ValueError):  # a table the classifiers refuse: they report it when fitted
        return 0
    return int(sum(schema.count_unseen(X_other).values()))


def _stratified_holdout(rows, y, n_test, rng):
    """Split ``rows`` into (rest, test) with ``n_test`` test rows, stratified by ``y``."""
    labels = y[rows]
    classes, codes = np.unique(labels, return_inverse=True)
    counts = np.bincount(codes)
    quota = largest_remainder(n_test, counts)
    # Keep at least one training row of every class that has more than one row.
    quota = np.minimum(quota, np.maximum(counts - 1, 0))
    test = np.concatenate([
        rng.choice(rows[codes == k], size=quota[k], replace=False) for k in range(len(classes))
    ])
    test = np.sort(test)
    return np.setdiff1d(rows, test), test
