"""Low-data training sets: stratified, seeded subsampling of the training side of any splitter."""

import numbers

import numpy as np
from sklearn.model_selection import BaseCrossValidator, check_cv
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d

from sklearn_causalmix._core import largest_remainder


def _check_n_rows(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer (a number of rows); got {value!r}.")


def subsample_indices(indices, n, y=None, *, stratify=True, random_state=None, name="n_train"):
    """Draw at most ``n`` of ``indices`` without replacement, stratified by ``y``.

    Parameters
    ----------
    indices : ndarray of int
        Candidate row indices.
    n : int
        Largest number of rows to keep; all of ``indices`` are kept when there are at most ``n``.
    y : array-like of shape (n_samples,), default=None
        Target of *all* rows (indexed by ``indices``). Stratification applies when ``y`` is
        binary or multiclass; otherwise (``None``, continuous) rows are drawn uniformly.
    stratify : bool, default=True
        Keep the class proportions (largest-remainder allocation) and at least one row per class.
    random_state : int, RandomState instance or None, default=None
        Seed of the draw.
    name : str, default="n_train"
        Parameter name used in error messages.

    Returns
    -------
    kept : ndarray of int
        Sorted subset of ``indices``.
    """
    indices = np.asarray(indices)
    if indices.shape[0] <= n:
        return np.sort(indices)
    rng = check_random_state(random_state)
    if y is None or not stratify:
        return np.sort(rng.choice(indices, size=n, replace=False))
    y = column_or_1d(y)
    labels = y[indices]
    if type_of_target(labels) not in ("binary", "multiclass"):
        return np.sort(rng.choice(indices, size=n, replace=False))
    classes, codes = np.unique(labels, return_inverse=True)
    counts = np.bincount(codes)
    if n < classes.shape[0]:
        raise ValueError(
            f"{name}={n} is smaller than the number of classes ({classes.shape[0]}) among the "
            f"training rows; a stratified subsample keeps at least one row per class. Raise {name} "
            "or pass stratify=False."
        )
    alloc = largest_remainder(n, counts, minimum=1, maximum=counts)
    chosen = [
        rng.choice(indices[codes == k], size=alloc[k], replace=False)
        for k in range(classes.shape[0])
    ]
    return np.sort(np.concatenate(chosen))


class LowDataSubsampler(BaseCrossValidator):
    """Wrap a cross-validator so that each training set holds at most ``n_train`` rows.

    The test side of every split is left as it is; the training side is subsampled without
    replacement, stratified by the class labels and seeded, ``n_repeats`` times per split of the
    wrapped cross-validator. Use it to study fine-tuning with little data, on top of a domain-shift
    split or of an ordinary K-fold.

    Parameters
    ----------
    cv : int, cross-validation generator or iterable
        The wrapped splitter, as accepted by :func:`sklearn.model_selection.check_cv` (an int gives
        ``StratifiedKFold`` for classification targets, ``KFold`` otherwise).
    n_train : int
        Largest number of training rows per split; training sets with fewer rows are kept whole.
    n_repeats : int, default=1
        Number of independent subsamples drawn from each split's training side.
    stratify : bool, default=True
        Keep class proportions (and at least one row per class) when ``y`` is binary or multiclass.
        Ignored when ``y`` is not given or not a classification target.
    random_state : int, RandomState instance or None, default=None
        Seed of the subsampling. With an int, every call to ``split`` yields the same subsets.

    See Also
    --------
    DomainShiftSplit : Its ``n_source`` option subsamples the source domain the same way.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import KFold
    >>> from sklearn_causalmix.evaluation import LowDataSubsampler
    >>> X = np.arange(40).reshape(20, 2)
    >>> y = np.array([0, 1] * 10)
    >>> cv = LowDataSubsampler(KFold(4), n_train=6, n_repeats=2, random_state=0)
    >>> cv.get_n_splits(X, y)
    8
    >>> train, test = next(cv.split(X, y))
    >>> len(train), len(test), int(y[train].sum())
    (6, 5, 3)
    """

    # Request ``groups`` under metadata routing: the wrapped splitter may need them.
    __metadata_request__split = {"groups": True}

    def __init__(self, cv, n_train, *, n_repeats=1, stratify=True, random_state=None):
        self.cv = cv
        self.n_train = n_train
        self.n_repeats = n_repeats
        self.stratify = stratify
        self.random_state = random_state

    def _validate(self):
        _check_n_rows(self.n_train, "n_train")
        _check_n_rows(self.n_repeats, "n_repeats")
        if self.cv is None:
            raise ValueError(
                "LowDataSubsampler needs the splitter to wrap: pass cv= (an int, a splitter such "
                "as DomainShiftSplit(...) or StratifiedKFold(5), or a list of (train, test) pairs)."
            )

    def _inner(self, y):
        return check_cv(self.cv, y, classifier=y is not None and _is_classification(y))

    def split(self, X, y=None, groups=None):
        """Generate indices of the subsampled training rows and of the test rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data, passed on to the wrapped splitter.
        y : array-like of shape (n_samples,), default=None
            Target, used for stratification and passed on.
        groups : array-like of shape (n_samples,), default=None
            Group labels, passed on to the wrapped splitter.

        Yields
        ------
        train : ndarray
            At most ``n_train`` training indices.
        test : ndarray
            The wrapped splitter's test indices.
        """
        self._validate()
        rng = check_random_state(self.random_state)
        for train, test in self._inner(y).split(X, y, groups):
            for _ in range(self.n_repeats):
                kept = subsample_indices(
                    train, self.n_train, y, stratify=self.stratify, random_state=rng
                )
                yield kept, np.asarray(test)

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits: the wrapped splitter's count times ``n_repeats``.

        Parameters
        ----------
        X, y, groups : array-like, default=None
            Passed on to the wrapped splitter's ``get_n_splits``.

        Returns
        -------
        n_splits : int
            Number of (train, test) pairs that ``split`` yields.
        """
        self._validate()
        return self._inner(y).get_n_splits(X, y, groups) * self.n_repeats


def _is_classification(y):
    return type_of_target(y) in ("binary", "multiclass")
