"""Cross-validation splitters that train on one domain and test on another."""

import numbers

import numpy as np
import pandas as pd
from sklearn.model_selection import BaseCrossValidator, LeaveOneGroupOut
from sklearn.utils import check_random_state
from sklearn.utils.validation import _num_samples

from sklearn_causalmix.evaluation._subsample import _check_n_rows, subsample_indices


def _column_values(X, column, param):
    """Values of ``column`` of ``X``: a DataFrame column label, or a column index of a 2-D array."""
    if X is None:
        raise ValueError(f"{param}={column!r} names a column of X, but X was not given to split().")
    if hasattr(X, "columns"):
        if column not in X.columns:
            shown = list(X.columns)[:20]
            raise ValueError(
                f"{param}={column!r} is not a column of X; X has the columns {shown}"
                f"{' ...' if len(X.columns) > 20 else ''}."
            )
        return np.asarray(X[column])
    if isinstance(column, numbers.Integral) and not isinstance(column, bool):
        array = np.asarray(X)
        if array.ndim != 2:
            raise ValueError(
                f"X must be 2-D to take column {column} from it; got shape {array.shape}."
            )
        if not -array.shape[1] <= column < array.shape[1]:
            raise ValueError(
                f"{param}={column} is out of range for X with {array.shape[1]} columns."
            )
        return array[:, column]
    raise TypeError(
        f"{param}={column!r} is a column name, which needs X to be a pandas DataFrame; pass a "
        f"DataFrame, an integer column index, or the per-row values as an array."
    )


def _resolve(spec, X, groups, param, owner):
    """Per-row values given by ``spec``: ``groups`` (None), a column of X, or an array."""
    if spec is None:
        if groups is None:
            raise ValueError(
                f"{owner}({param}=None) takes the {param} of each row from `groups`; pass groups= "
                f"to split() (cross_val_score(..., groups=...)), or set {param}= to a column of X "
                "or to an array of per-row values."
            )
        values = np.asarray(groups)
    elif isinstance(spec, (str, numbers.Integral)) and not isinstance(spec, bool):
        values = _column_values(X, spec, param)
    else:
        values = np.asarray(spec)
    if values.ndim != 1:
        raise ValueError(f"the {param} values must be 1-D (one per row); got shape {values.shape}.")
    if X is not None and values.shape[0] != _num_samples(X):
        raise ValueError(
            f"{param} has {values.shape[0]} values but X has {_num_samples(X)} rows; give one "
            "value per row."
        )
    n_missing = int(pd.isna(values).sum())
    if n_missing:
        raise ValueError(
            f"{param} is missing for {n_missing} row(s); those rows would silently be left out of "
            "both sides. Fill or drop them before splitting."
        )
    return values


def _as_list(values):
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or np.ndim(values) == 0:
        return [values]
    return list(values)


class _SingleSplit(BaseCrossValidator):
    """Base of the splitters that yield one (train, test) pair."""

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return 1, the number of splits.

        Parameters
        ----------
        X, y, groups : object
            Ignored; present for API compatibility.

        Returns
        -------
        n_splits : int
            Always 1.
        """
        return 1


class DomainShiftSplit(_SingleSplit):
    """Train on the source domain, test on the target domain (one split).

    Parameters
    ----------
    domain : str, int, array-like or None, default=None
        Where each row's domain comes from: ``None`` takes it from the ``groups`` passed to
        :meth:`split`; a string (or any label of ``X.columns``) names a column of a DataFrame ``X``;
        an int is a column index of an array ``X``; an array gives the domain of every row (for
        instance ``bunch.domain`` of :func:`~sklearn_causalmix.datasets.load_shifted_dataset`). A
        domain column stays in ``X``: drop it in the pipeline if the model must not see it.
    source : scalar or list, default=0
        Domain value(s) of the training rows.
    target : scalar, list or None, default=1
        Domain value(s) of the test rows; ``None`` means every row not in ``source``. Rows in
        neither are left out of both sides on purpose (for instance a middle period).
    n_source : int or None, default=None
        If set, train on at most ``n_source`` source rows, drawn without replacement, stratified by
        ``y`` when it is a classification target, with ``random_state``.
    random_state : int, RandomState instance or None, default=None
        Seed of the ``n_source`` subsample; unused otherwise.

    See Also
    --------
    LeaveOneDomainOut : Every domain in turn is the test domain.
    QuantileShiftSplit : Domains defined by a threshold on a numeric feature.
    LowDataSubsampler : Subsample the training side of any splitter.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.evaluation import DomainShiftSplit
    >>> X = pd.DataFrame({"year": [2007, 2007, 2008, 2009, 2009, 2008], "x": range(6)})
    >>> cv = DomainShiftSplit("year", source=[2007, 2008], target=2009)
    >>> [(train.tolist(), test.tolist()) for train, test in cv.split(X)]
    [([0, 1, 2, 5], [3, 4])]
    """

    __metadata_request__split = {"groups": True}

    def __init__(self, domain=None, source=0, target=1, *, n_source=None, random_state=None):
        self.domain = domain
        self.source = source
        self.target = target
        self.n_source = n_source
        self.random_state = random_state

    def split(self, X, y=None, groups=None):
        """Yield the single (source rows, target rows) pair.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data; must be a DataFrame when ``domain`` is a column name.
        y : array-like of shape (n_samples,), default=None
            Target, used only to stratify the ``n_source`` subsample.
        groups : array-like of shape (n_samples,), default=None
            Domain of each row when ``domain=None``.

        Yields
        ------
        train : ndarray
            Indices of the (possibly subsampled) source rows.
        test : ndarray
            Indices of the target rows.
        """
        if self.n_source is not None:
            _check_n_rows(self.n_source, "n_source")
        values = _resolve(self.domain, X, groups, "domain", type(self).__name__)
        source = _as_list(self.source)
        target = _as_list(self.target)
        if source is None or len(source) == 0:
            raise ValueError("source must name at least one domain value.")
        series = pd.Series(values)
        present = sorted(pd.unique(series).tolist(), key=str)
        in_source = series.isin(source).to_numpy()
        if target is None:
            in_target = ~in_source
        else:
            overlap = set(source) & set(target)
            if overlap:
                raise ValueError(
                    f"source and target share the domain value(s) {sorted(overlap, key=str)}; a "
                    "row cannot be both training and test data."
                )
            in_target = series.isin(target).to_numpy()
        if not in_source.any():
            raise ValueError(
                f"no row has a source domain value in {source}; the domain values present are "
                f"{present}."
            )
        if not in_target.any():
            wanted = "outside the source domain" if target is None else f"in {target}"
            raise ValueError(
                f"no row has a target domain value {wanted}; the domain values present are "
                f"{present}."
            )
        train = np.flatnonzero(in_source)
        if self.n_source is not None:
            train = subsample_indices(
                train, self.n_source, y, random_state=check_random_state(self.random_state),
                name="n_source",
            )
        yield train, np.flatnonzero(in_target)


class LeaveOneDomainOut(BaseCrossValidator):
    """Each domain in turn is the test domain; the model trains on all other domains.

    A thin layer over :class:`sklearn.model_selection.LeaveOneGroupOut` that also reads the domain
    from a column of ``X`` or from an array.

    Parameters
    ----------
    domain : str, int, array-like or None, default=None
        Where each row's domain comes from, as in :class:`DomainShiftSplit`: ``None`` for
        ``groups``, a column of ``X``, or an array of per-row values.

    See Also
    --------
    DomainShiftSplit : One fixed source and target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.evaluation import LeaveOneDomainOut
    >>> X = np.zeros((5, 1))
    >>> cv = LeaveOneDomainOut()
    >>> for train, test in cv.split(X, groups=["a", "b", "a", "c", "b"]):
    ...     print(train, test)
    [1 3 4] [0 2]
    [0 2 3] [1 4]
    [0 1 2 4] [3]
    """

    __metadata_request__split = {"groups": True}

    def __init__(self, domain=None):
        self.domain = domain

    def _domains(self, X, groups):
        values = _resolve(self.domain, X, groups, "domain", type(self).__name__)
        n_domains = pd.unique(pd.Series(values)).shape[0]
        if n_domains < 2:
            raise ValueError(
                f"LeaveOneDomainOut needs at least 2 domains; found {n_domains}. Check the domain "
                "column or groups."
            )
        return values

    def split(self, X, y=None, groups=None):
        """Yield (other domains, one domain) for every domain, in sorted order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data; must be a DataFrame when ``domain`` is a column name.
        y : array-like of shape (n_samples,), default=None
            Ignored.
        groups : array-like of shape (n_samples,), default=None
            Domain of each row when ``domain=None``.

        Yields
        ------
        train : ndarray
            Indices of the rows of all other domains.
        test : ndarray
            Indices of the rows of the held-out domain.
        """
        values = self._domains(X, groups)
        yield from LeaveOneGroupOut().split(np.zeros((values.shape[0], 1)), None, values)

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of domains.

        Parameters
        ----------
        X : array-like, default=None
            Needed when ``domain`` is a column of ``X``.
        y : object
            Ignored.
        groups : array-like, default=None
            Needed when ``domain=None``.

        Returns
        -------
        n_splits : int
            Number of distinct domains.
        """
        values = self._domains(X, groups)
        return int(pd.unique(pd.Series(values)).shape[0])


class QuantileShiftSplit(_SingleSplit):
    """Covariate-shift split on a numeric feature: train at or below a threshold, test above it.

    Parameters
    ----------
    feature : str, int or array-like
        The shift-defining feature: a column of a DataFrame ``X``, a column index of an array ``X``,
        or an array of per-row values. It stays in ``X``; drop it in the pipeline if needed.
    quantile : float in (0, 1), default=0.5
        The threshold is this quantile of the feature (over all rows given to :meth:`split`).
        Ignored when ``threshold`` is set.
    threshold : float or None, default=None
        Fixed threshold; overrides ``quantile``.
    reverse : bool, default=False
        Train above the threshold and test at or below it.

    See Also
    --------
    DomainShiftSplit : Domains given by labels.
    LowDataSubsampler : Subsample the training side.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.evaluation import QuantileShiftSplit
    >>> X = np.array([[5.0], [1.0], [3.0], [4.0], [2.0], [6.0]])
    >>> train, test = next(QuantileShiftSplit(0, quantile=0.5).split(X))
    >>> train, test
    (array([1, 2, 4]), array([0, 3, 5]))
    >>> next(QuantileShiftSplit(0, threshold=4.5, reverse=True).split(X))
    (array([0, 5]), array([1, 2, 3, 4]))
    """

    def __init__(self, feature, quantile=0.5, *, threshold=None, reverse=False):
        self.feature = feature
        self.quantile = quantile
        self.threshold = threshold
        self.reverse = reverse

    def split(self, X, y=None, groups=None):
        """Yield the single (below, above) pair, or (above, below) with ``reverse=True``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        y, groups : object
            Ignored.

        Yields
        ------
        train : ndarray
            Indices of the training rows.
        test : ndarray
            Indices of the test rows.
        """
        if self.threshold is None:
            if not (isinstance(self.quantile, numbers.Real) and 0 < self.quantile < 1):
                raise ValueError(f"quantile must be a number in (0, 1); got {self.quantile!r}.")
        elif not isinstance(self.threshold, numbers.Real) or not np.isfinite(self.threshold):
            raise ValueError(f"threshold must be a finite number or None; got {self.threshold!r}.")
        values = _resolve(self.feature, X, None, "feature", type(self).__name__)
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"feature {self.feature!r} must be numeric to split at a threshold (got dtype "
                f"{values.dtype}); for a categorical shift use DomainShiftSplit."
            ) from None
        threshold = (
            float(np.quantile(values, self.quantile)) if self.threshold is None else self.threshold
        )
        low = values <= threshold
        for side, mask in (("at or below", low), ("above", ~low)):
            if not mask.any():
                raise ValueError(
                    f"no row has feature {self.feature!r} {side} the threshold {threshold:.6g}; "
                    f"the feature ranges over [{values.min():.6g}, {values.max():.6g}]. Choose "
                    "another quantile or threshold."
                )
        train, test = np.flatnonzero(low), np.flatnonzero(~low)
        if self.reverse:
            train, test = test, train
        yield train, test
