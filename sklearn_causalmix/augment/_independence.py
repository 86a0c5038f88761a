"""Conditional-independence tests for discovery: a fast Fisher-z test and the choice of test.

:func:`resolve_indep_test` picks a test from the node kinds, :func:`prepare_discovery_data`
transforms the data for it (normal scores of ranks, quantile bins), and
:func:`make_independence_test` builds the callable ``test(x, y, S) -> p-value`` that the PC and
FCI searches use: :class:`FisherZTest` for the Fisher-z tests, causal-learn's ``CIT`` behind a
:class:`SparseTableGuard` for the discrete tests.
"""

from __future__ import annotations

import math
from itertools import combinations, islice

import numpy as np
from scipy.special import erfc, ndtri
from scipy.stats import rankdata

__all__ = [
    "MIN_ROWS_PER_DF",
    "FisherZTest",
    "SparseTableGuard",
    "make_independence_test",
    "prepare_discovery_data",
    "resolve_indep_test",
]

_SQRT2 = math.sqrt(2.0)

#: A G²/chi-square test of ``x _||_ y | S`` is performed only when the resample has at least this
#: many rows per degree of freedom, ``n >= MIN_ROWS_PER_DF * (|x| - 1) (|y| - 1) prod |s|`` (``|v|``:
#: the number of distinct values of ``v`` in the resample). Below it the table has more free cells
#: than rows: most are empty, and the test has no power to find an independence (see
#: :class:`SparseTableGuard`).
MIN_ROWS_PER_DF = 1


class FisherZTest:
    """Fisher-z partial-correlation test with closed forms and a p-value cache.

    Same statistic as causal-learn's ``fisherz``: ``sqrt(n - |S| - 3) * atanh(r)`` with the
    partial correlation ``r`` of ``x`` and ``y`` given ``S``, here computed with the recursion
    ``r_xy.Ss = (r_xy.S - r_xs.S r_ys.S) / sqrt((1 - r_xs.S^2)(1 - r_ys.S^2))`` on memoised
    lower-order partial correlations instead of a matrix inverse per test, and the p-value with
    ``math.erfc`` instead of ``scipy.stats.norm`` (together about 10x faster per test). A
    variable that is constant in a resample has zero correlation with every other (no evidence
    of dependence); an exactly collinear conditioning set gives a partial correlation of 0
    instead of a singular-matrix error. Called as ``test(x, y, S) -> p-value``, like
    causal-learn's ``CIT`` objects.

    Parameters
    ----------
    data : ndarray of shape (n_samples, n_nodes)
        Numeric data (or normal scores).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._independence import FisherZTest
    >>> rng = np.random.RandomState(0)
    >>> a = rng.normal(size=500); b = a + rng.normal(size=500); c = b + rng.normal(size=500)
    >>> test = FisherZTest(np.c_[a, b, c])
    >>> test(0, 2, ()) < 0.01, test(0, 2, (1,)) > 0.05   # a and c independent given b
    (True, True)
    """

    def __init__(self, data):
        self.sample_size = data.shape[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.corrcoef(data.T) if data.shape[1] > 1 else np.ones((1, 1))
        corr = np.nan_to_num(np.atleast_2d(corr), nan=0.0)
        np.fill_diagonal(corr, 1.0)
        self.correlation = corr
        self._correlation_lists = corr.tolist()  # list indexing is faster than numpy's per item
        self._partial_memo = {}
        self._pvalue_cache = {}

    def _partial(self, x, y, cond):
        """Partial correlation of x and y given the sorted tuple ``cond`` (recursive, memoised)."""
        if not cond:
            return self._correlation_lists[x][y]
        if x > y:
            x, y = y, x
        key = (x, y, cond)
        r = self._partial_memo.get(key)
        if r is not None:
            return r
        last, rest = cond[-1], cond[:-1]
        if last == x or last == y:  # conditioning on x or y itself
            r = 0.0
        else:
            r_xy = self._partial(x, y, rest)
            r_xl = self._partial(x, last, rest)
            r_yl = self._partial(y, last, rest)
            den = (1.0 - r_xl * r_xl) * (1.0 - r_yl * r_yl)
            r = (r_xy - r_xl * r_yl) / math.sqrt(den) if den > 1e-12 else 0.0
            r = min(max(r, -1.0), 1.0)
        self._partial_memo[key] = r
        return r

    def __call__(self, x, y, condition_set=None):
        x, y = int(x), int(y)
        if x > y:
            x, y = y, x
        cond = tuple(sorted(int(s) for s in condition_set)) if condition_set else ()
        key = (x, y, cond)
        p = self._pvalue_cache.get(key)
        if p is not None:
            return p
        r = self._partial(x, y, cond)
        r = min(max(r, -1.0 + 1e-12), 1.0 - 1e-12)
        z = 0.5 * math.log((1.0 + r) / (1.0 - r))
        stat = math.sqrt(max(self.sample_size - len(cond) - 3, 1)) * abs(z)
        p = math.erfc(stat / _SQRT2)
        self._pvalue_cache[key] = p
        return p

    def pvalues(self, x, y, sets):
        """p-values of ``x _||_ y | S`` for every row ``S`` of an int array (n_sets, set_size)."""
        sets = np.asarray(sets, dtype=np.intp)
        n_sets, set_size = sets.shape
        corr = self.correlation
        if set_size == 0:
            r = np.full(n_sets, corr[x, y])
        elif set_size == 1:
            s = sets[:, 0]
            r_xs, r_ys = corr[x, s], corr[y, s]
            den = (1.0 - r_xs**2) * (1.0 - r_ys**2)
            r = np.where(
                den > 1e-12, (corr[x, y] - r_xs * r_ys) / np.sqrt(np.maximum(den, 1e-300)), 0.0
            )
        else:
            idx = np.concatenate([np.full((n_sets, 2), (x, y), dtype=np.intp), sets], axis=1)
            sub = corr[idx[:, :, None], idx[:, None, :]]
            try:
                precision = np.linalg.inv(sub)
            except np.linalg.LinAlgError:
                precision = np.linalg.pinv(sub, hermitian=True)
            den = np.abs(precision[:, 0, 0] * precision[:, 1, 1])
            r = np.where(
                den > 1e-12, -precision[:, 0, 1] / np.sqrt(np.maximum(den, 1e-300)), 0.0
            )
        r = np.clip(r, -1.0 + 1e-12, 1.0 - 1e-12)
        stat = math.sqrt(max(self.sample_size - set_size - 3, 1)) * np.abs(np.arctanh(r))
        return erfc(stat / _SQRT2)

    def first_independent(self, x, y, sets, alpha):
        """The first ``S`` of the iterable ``sets`` with p-value > alpha, or None.

        Same result as testing the sets one by one in order, computed in vectorised blocks of
        growing size (8, 32, 128, ...).
        """
        iterator = iter(sets)
        size = 8
        while True:
            block = list(islice(iterator, size))
            if not block:
                return None
            p = self.pvalues(x, y, np.array(block, dtype=np.intp).reshape(len(block), -1))
            hit = np.flatnonzero(p > alpha)
            if hit.size:
                return tuple(block[hit[0]])
            size = min(4 * size, 4096)


class SparseTableGuard:
    """A discrete independence test that is not performed on tables sparser than ``n >= k * df``.

    ``df = (|x| - 1) (|y| - 1) prod_{s in S} |s|`` are the nominal degrees of freedom of the G²
    (or chi-square) test of ``x _||_ y | S``, ``|v|`` the number of distinct values of ``v`` in the
    data, ``n`` the number of rows and ``k = min_rows_per_df``. This is the reliability rule of
    pcalg's ``gSquareDis`` (there with ``k = 10``, and a refused test *assumes independence*:
    p = 1, which would delete the edge between two 10-level variables of 512 rows without
    looking). Here a test that is not performed returns the p-value 0: no evidence of
    independence, so the adjacency search keeps the edge and tries smaller or sparser
    conditioning sets instead, and FCI's discriminating-path rule falls back to the separating
    set. On sparse tables the G² test rejects almost always: on ``fair_affairs`` (8 nodes of 2-6
    levels, 512 rows) none of some 17,000 tests with ``n < df`` accepted independence, on one
    resample of ``caravan`` (73 nodes of 2-10 levels) 137 of 941,471 with sets of up to two
    variables did -- rare acceptances among thousands of tries per edge, which removed 134 of
    805 edges. The guard changes the outcome of few tests and saves nearly all of the time: the
    number of conditioning sets of size ``d`` grows like ``degree^d``, their ``df`` like
    ``levels^d``. ``k = 1`` (one row per free cell) is the weakest rule that still bounds the
    search; a larger ``k`` skips more tests and keeps more edges.

    Because ``df`` never shrinks when a variable joins ``S``, every testable set of size ``d + 1``
    has testable subsets of size ``d``: :meth:`conditioning_sets` enumerates only the testable
    sets (in the order of :func:`itertools.combinations`), and the adjacency search stops at the
    first level at which no set is testable for any edge.

    Parameters
    ----------
    test : callable
        ``test(x, y, S) -> p-value`` (causal-learn's ``CIT``), run on ``data``.
    data : ndarray of shape (n_samples, n_nodes)
        The data of ``test``; only the number of distinct values per column is used.
    min_rows_per_df : float, default=MIN_ROWS_PER_DF
        ``k`` of the rule.

    Attributes
    ----------
    cardinalities : list of int
        Distinct values per column.
    n_performed, n_skipped : int
        Calls that ran ``test`` / that the rule answered with 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._independence import SparseTableGuard
    >>> rng = np.random.RandomState(0)
    >>> data = rng.randint(0, 10, size=(200, 4))   # four 10-level columns, 200 rows
    >>> guard = SparseTableGuard(lambda x, y, S: 0.5, data)
    >>> guard.degrees_of_freedom(0, 1, ()), guard(0, 1, ())     # 81 df: tested
    (81, 0.5)
    >>> guard.degrees_of_freedom(0, 1, (2,)), guard(0, 1, (2,))  # 810 df > 200 rows: not tested
    (810, 0.0)
    >>> list(guard.conditioning_sets(0, 1, [2, 3], 1))
    []
    """

    def __init__(self, test, data, min_rows_per_df=MIN_ROWS_PER_DF):
        self.test = test
        self.n_samples = data.shape[0]
        self.cardinalities = [len(np.unique(column)) for column in np.asarray(data).T]
        self.min_rows_per_df = min_rows_per_df
        self.n_performed = 0
        self.n_skipped = 0

    def degrees_of_freedom(self, x, y, condition_set=()):
        """Nominal degrees of freedom ``(|x| - 1) (|y| - 1) prod |s|`` of ``x _||_ y | S``."""
        card = self.cardinalities
        df = (card[x] - 1) * (card[y] - 1)
        for s in condition_set or ():
            df *= card[s]
        return df

    def testable(self, x, y, condition_set=()):
        """Whether the rule lets the test of ``x _||_ y | S`` run."""
        df = self.degrees_of_freedom(x, y, condition_set)
        return self.min_rows_per_df * df <= self.n_samples

    def __call__(self, x, y, condition_set=None):
        condition_set = tuple(condition_set) if condition_set is not None else ()
        if not self.testable(x, y, condition_set):
            self.n_skipped += 1
            return 0.0
        self.n_performed += 1
        return self.test(x, y, condition_set)

    def conditioning_sets(self, x, y, others, size):
        """The testable subsets of ``others`` of ``size`` elements, in ``combinations`` order.

        Same sequence as ``filter(lambda S: self.testable(x, y, S), combinations(others,
        size))``, without visiting the untestable sets: a prefix whose ``df`` already exceeds
        the budget is not extended.
        """
        card = self.cardinalities
        others = list(others)
        n, k = self.n_samples, self.min_rows_per_df
        base = (card[x] - 1) * (card[y] - 1)
        if base == 0:  # a constant x or y: df = 0, every set is testable
            yield from combinations(others, size)
            return

        def extend(start, chosen, df):
            if len(chosen) == size:
                yield tuple(chosen)
                return
            for i in range(start, len(others) - (size - len(chosen)) + 1):
                grown = df * card[others[i]]
                if k * grown <= n:
                    chosen.append(others[i])
                    yield from extend(i + 1, chosen, grown)
                    chosen.pop()

        if k * base <= n:
            yield from extend(0, [], base)


def resolve_indep_test(indep_test, discrete_mask):
    """Resolve ``indep_test="auto"`` from the column kinds.

    Parameters
    ----------
    indep_test : {"auto", "fisherz", "gsq", "chisq"}
        Requested test.
    discrete_mask : array-like of bool
        True for categorical/boolean nodes (including the target).

    Returns
    -------
    test : {"fisherz", "copula_fisherz", "gsq", "chisq"}
        ``"auto"`` gives ``"fisherz"`` when no node is discrete, ``"gsq"`` when every node is,
        and ``"copula_fisherz"`` (Fisher-z on normal scores of ranks) for mixed tables.

    Examples
    --------
    >>> from sklearn_causalmix.augment._independence import resolve_indep_test
    >>> resolve_indep_test("auto", [False, True])
    'copula_fisherz'
    """
    discrete_mask = np.asarray(discrete_mask, dtype=bool)
    if indep_test != "auto":
        return indep_test
    if not discrete_mask.any():
        return "fisherz"
    if discrete_mask.all():
        return "gsq"
    return "copula_fisherz"


def _normal_scores(data):
    """Rank-based Gaussian-copula transform of every column (ties get their average rank)."""
    n = data.shape[0]
    return ndtri(rankdata(data, axis=0) / (n + 1.0))


def _quantile_bins(column, n_bins):
    edges = np.unique(np.quantile(column, np.linspace(0, 1, n_bins + 1)[1:-1]))
    return np.searchsorted(edges, column, side="right").astype(np.float64)


def prepare_discovery_data(data, discrete_mask, test, *, n_bins=5):
    """Transform the (imputed, encoded) data for an independence test.

    Parameters
    ----------
    data : ndarray of shape (n_samples, n_nodes)
        Encoded data without missing values (categorical nodes as integer codes).
    discrete_mask : array-like of bool
        True for categorical/boolean nodes.
    test : {"fisherz", "copula_fisherz", "gsq", "chisq"}
        Resolved test (see :func:`resolve_indep_test`).
    n_bins : int, default=5
        Quantile bins for numeric nodes under the discrete tests.

    Returns
    -------
    data : ndarray of shape (n_samples, n_nodes)
        ``"fisherz"``: unchanged; ``"copula_fisherz"``: normal scores of ranks;
        ``"gsq"``/``"chisq"``: numeric nodes cut into ``n_bins`` quantile bins.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._independence import prepare_discovery_data
    >>> data = np.array([[0.1, 0], [0.5, 1], [0.9, 1], [0.3, 0]])
    >>> prepare_discovery_data(data, [False, True], "gsq", n_bins=2)
    array([[0., 0.],
           [1., 1.],
           [1., 1.],
           [0., 0.]])
    """
    discrete_mask = np.asarray(discrete_mask, dtype=bool)
    data = np.asarray(data, dtype=np.float64)
    if test == "copula_fisherz":
        return _normal_scores(data)
    if test in ("gsq", "chisq"):
        out = data.copy()
        for j in np.flatnonzero(~discrete_mask):
            out[:, j] = _quantile_bins(data[:, j], n_bins)
        return out
    return data


def make_independence_test(data, test):
    """The callable ``test(x, y, S) -> p-value`` for the resolved test name.

    Parameters
    ----------
    data : ndarray of shape (n_samples, n_nodes)
        Data prepared with :func:`prepare_discovery_data`.
    test : {"fisherz", "copula_fisherz", "gsq", "chisq"}
        Resolved test (see :func:`resolve_indep_test`).

    Returns
    -------
    test : callable
        :class:`FisherZTest` for the Fisher-z tests; for ``"gsq"``/``"chisq"`` causal-learn's
        ``CIT`` behind a :class:`SparseTableGuard` (a test on a table with fewer than
        ``MIN_ROWS_PER_DF`` rows per degree of freedom is not performed).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._independence import make_independence_test
    >>> a = np.random.RandomState(0).normal(size=(200, 2))
    >>> make_independence_test(a, "fisherz")(0, 1, ()) > 0.05
    True
    """
    if test in ("fisherz", "copula_fisherz"):
        return FisherZTest(data)
    from causallearn.utils.cit import CIT

    return SparseTableGuard(CIT(data, test), data)
