"""The data protocol of one (dataset, seed): low-data training rows, in-domain and shifted tests."""

from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sklearn_causalmix._core import TableSchema, largest_remainder
from sklearn_causalmix.evaluation import DomainShiftSplit, LowDataSubsampler
from sklearn_causalmix.study._shift import shift_variables

__all__ = ["StudySplit", "assemble_split", "dataset_protocols", "draw_rows", "has_domain", "load",
           "make_split", "resolve_datasets", "training_rows"]


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
    protocol : {"shift", "iid"}
        ``"iid"``: the in-domain test is a held-out fold and there is no shifted test (empty).
    note : str
        What the split changed to keep the run possible (a class left out), or "".
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
    protocol: str = "shift"
    note: str = ""

    @property
    def main_test(self):
        """``(X, y)`` of the test the study watches: the shifted test, or the held-out fold (iid).

        Monitored methods get it as ``monitor=``; ``return_predictions`` returns predictions on it.
        """
        if self.protocol == "iid":
            return self.X_test, self.y_test
        return self.X_shift, self.y_shift


def _is_bunch(obj):
    return hasattr(obj, "X") and hasattr(obj, "y")


def _items(datasets):
    """``[(name, entry)]`` of ``datasets`` (names, Bunches, a list of them, or a dict)."""
    if isinstance(datasets, dict) and not _is_bunch(datasets):
        return list(datasets.items())
    if isinstance(datasets, str) or _is_bunch(datasets):
        datasets = [datasets]
    items = []
    for entry in datasets:
        if isinstance(entry, str):
            items.append((entry, entry))
        elif _is_bunch(entry):
            items.append((str(getattr(entry, "name", f"dataset{len(items)}")), entry))
        else:
            raise TypeError(
                f"datasets entries must be table names or Bunches with X and y (and domain for "
                f"the shift protocol); got {type(entry).__name__}.")
    return items


@functools.cache
def _table_names():
    """``{name: "shift" | "iid"}`` of the packaged tables."""
    from sklearn_causalmix.datasets import list_iid_datasets, list_shifted_datasets

    return {**dict.fromkeys(list_shifted_datasets()["name"], "shift"),
            **dict.fromkeys(list_iid_datasets()["name"], "iid")}


def has_domain(entry):
    """Whether a dataset entry (a table name or a Bunch) has a source and a target domain."""
    if isinstance(entry, str):
        return _table_names().get(entry) == "shift"
    return getattr(entry, "domain", None) is not None


def resolve_datasets(datasets, protocol="shift"):
    """Normalise ``datasets`` to a dict of name -> dataset (a name or a Bunch).

    Parameters
    ----------
    datasets : str, Bunch, list of str or Bunch, or dict of str to Bunch
        Names of :func:`~sklearn_causalmix.datasets.list_shifted_datasets` or
        :func:`~sklearn_causalmix.datasets.list_iid_datasets` tables, Bunches with ``X``, ``y``,
        ``name`` and, for the shift protocol, ``domain`` (0 source / 1 target; for instance from
        :func:`~sklearn_causalmix.datasets.make_shifted_classification`), or a dict naming
        Bunches.
    protocol : {"shift", "iid", "both"}, default="shift"
        The shift protocol needs every table to have a domain.

    Returns
    -------
    datasets : dict
        Name to a table name (loaded lazily, in the worker) or a Bunch.
    """
    items = _items(datasets)
    if not items:
        raise ValueError(
            "datasets is empty; name at least one table (see list_shifted_datasets() and "
            "list_iid_datasets()).")
    names = [name for name, _ in items]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(
            f"Dataset names {duplicated} occur more than once; pass a dict to name each Bunch."
        )
    known = _table_names()
    for name, entry in items:
        if isinstance(entry, str) and entry not in known:
            shifted = sorted(n for n, kind in known.items() if kind == "shift")
            iid = sorted(n for n, kind in known.items() if kind == "iid")
            raise ValueError(
                f"Unknown dataset {entry!r}. The shifted datasets are: {shifted}; the i.i.d. "
                f"datasets are: {iid}.")
        if protocol == "shift" and not has_domain(entry):
            what = ("is an i.i.d. table without domains" if isinstance(entry, str)
                    else "lacks ['domain']")
            raise ValueError(
                f"Dataset {name!r} {what}; the shift protocol needs X, y and domain (0 source, "
                "1 target), like load_shifted_dataset returns. protocol='iid' (or 'both') runs "
                "a table without one.")
    return dict(items)


def dataset_protocols(entries, protocol):
    """``{name: protocols}``: "both" runs shift where a table has domains, and iid always."""
    wanted = ("shift", "iid") if protocol == "both" else (protocol,)
    return {name: tuple(p for p in wanted if p == "iid" or has_domain(entry))
            for name, entry in entries.items()}


def load(entry):
    """The Bunch of a dataset entry (loading a table name)."""
    if isinstance(entry, str):
        from sklearn_causalmix.datasets import load_iid_dataset, load_shifted_dataset

        return (load_shifted_dataset if _table_names()[entry] == "shift"
                else load_iid_dataset)(entry)
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
    3. Training rows: at most ``n_train`` of the remaining source rows (:func:`training_rows`:
       stratified and seeded, at least two rows of every class that has two).
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
    train, note = training_rows(X, y, pool, test, n_train, seed)
    shift = draw_rows(X, y, target, train, max_test, seed)
    return assemble_split(X, y, train, test, shift, note=note, shift_info=shift_variables(data, X.columns))


def draw_rows(X, y, rows, other, n, seed):
    """At most ``n`` of ``rows``, stratified by ``y`` and seeded (LowDataSubsampler's draw)."""
    kept, _ = next(LowDataSubsampler([(rows, other)], n_train=n, random_state=seed).split(X, y))
    return kept


def training_rows(X, y, pool, test, n_train, seed):
    """``(train, note)``: at most ``n_train`` rows of ``pool``, stratified, seeded, two per class.

    Fine-tuning holds out a stratified validation split, so a class with a single training row
    stops it. Where the stratified draw leaves a class one row and the pool has more, a second
    row of that class replaces a row of the largest class; a class with a single row in the
    whole pool is left out of the run (its test rows then too, as classes unseen in training),
    and ``note`` says so.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.study._data import training_rows
    >>> y = np.array(["a"] * 40 + ["b"] * 3 + ["c"])
    >>> train, note = training_rows(None, y, np.arange(44), np.array([], int), 20, 0)
    >>> sorted(np.unique(y[train], return_counts=True)[1].tolist()), note
    ([2, 18], "left out class(es) ['c']: a single row in the training part")
    """
    labels, counts = np.unique(y[pool], return_counts=True)
    single = labels[counts == 1]
    pool = pool[~np.isin(y[pool], single)]
    if len(np.unique(y[pool])) < 2:
        raise ValueError(
            f"The training part holds fewer than two classes with two rows each ({len(pool)} "
            "rows); the study needs two. Use a larger table or merge rare classes.")
    train = draw_rows(X, y, pool, test, n_train, seed)
    rng = np.random.RandomState(seed)
    for label in np.unique(y[train]):
        if (y[train] == label).sum() == 1:
            spare = np.setdiff1d(pool[y[pool] == label], train)
            largest = max(np.unique(y[train]), key=lambda c: (y[train] == c).sum())
            out = rng.choice(train[y[train] == largest]) if (y[train] == largest).sum() > 2 \
                else None
            train = np.sort(np.append(train[train != out], rng.choice(spare)))
    note = (f"left out class(es) {[v.item() if hasattr(v, 'item') else v for v in single]}: a "
            "single row in the training part" if len(single) else "")
    return train, note


def assemble_split(X, y, train, test, shift, *, protocol="shift", note="", shift_info=((), "")):
    """The :class:`StudySplit` of row indices: test rows of classes unseen in training dropped.

    ``shift_info`` is ``(shift_variables, shift_note)`` of the dataset (:func:`._shift.shift_variables`).
    """
    seen = np.isin(y, np.unique(y[train]))
    n_dropped = int((~seen[test]).sum() + (~seen[shift]).sum())
    test, shift = test[seen[test]], shift[seen[shift]]
    X_train = X.iloc[train].reset_index(drop=True)
    X_test = X.iloc[test].reset_index(drop=True)
    X_shift = X.iloc[shift].reset_index(drop=True)
    n_unseen = count_unseen_levels(X_train, X_test) + count_unseen_levels(X_train, X_shift)
    return StudySplit(X_train, y[train], X_test, y[test], X_shift, y[shift], n_dropped, n_unseen,
                      *shift_info, protocol=protocol, note=note)


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
    # Keep two training rows of every class that has them (fine-tuning validates on a split).
    quota = np.minimum(quota, np.maximum(counts - 2, 0))
    test = np.concatenate([
        rng.choice(rows[codes == k], size=quota[k], replace=False) for k in range(len(classes))
    ])
    test = np.sort(test)
    return np.setdiff1d(rows, test), test
