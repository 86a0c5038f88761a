"""Causal discovery on bootstrap resamples: PC / FCI graphs -> edge probabilities.

causal-learn encodes a graph as a matrix ``M`` of end marks: ``M[i, j]`` is the mark *at node i* of
the edge between ``i`` and ``j`` (-1 tail, 1 arrowhead, 2 circle, 0 no edge), so ``i -> j`` is
``M[i, j] = -1, M[j, i] = 1``. :func:`direction_weights` turns one such graph into directed edge
weights; :func:`bootstrap_edge_probabilities` averages them over resamples.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy.special import ndtri
from scipy.stats import rankdata

from sklearn_causalmix.augment._rng import global_random_state

__all__ = [
    "bootstrap_edge_probabilities",
    "direction_weights",
    "prepare_discovery_data",
    "resolve_indep_test",
]

#: Name under which the fast Fisher-z test is registered with causal-learn.
_FAST_FISHERZ = "causalmix_fisherz"
_SQRT2 = math.sqrt(2.0)


def _register_fast_fisherz():
    """Register :class:`_FastFisherZ` with causal-learn; return the test name to use."""
    try:
        from causallearn.utils.cit import CIT_Base, register_ci_test
    except ImportError:  # causal-learn without a custom-test registry
        return "fisherz"

    class _FastFisherZ(CIT_Base):
        """Fisher-z partial-correlation test with closed forms and a shareable p-value cache.

        Same statistic as causal-learn's ``fisherz``: ``sqrt(n - |S| - 3) * atanh(r)`` with the
        partial correlation ``r`` of ``X`` and ``Y`` given ``S``; the p-value uses ``math.erfc``
        instead of ``scipy.stats.norm`` (about 5x faster per call). A variable that is constant
        in a resample has zero correlation with every other (no evidence of dependence). A
        singular correlation sub-matrix (exact collinearity) is handled with a pseudo-inverse.
        Pass ``cache=dict`` to share p-values between PC and FCI on the same data.
        """

        def __init__(self, data, cache=None, **kwargs):
            self.data = data
            self.sample_size, self.num_features = data.shape
            with np.errstate(invalid="ignore", divide="ignore"):
                corr = np.corrcoef(data.T) if data.shape[1] > 1 else np.ones((1, 1))
            corr = np.nan_to_num(np.atleast_2d(corr), nan=0.0)
            np.fill_diagonal(corr, 1.0)
            self.correlation_matrix = corr
            self._c = corr.tolist()
            self.pvalue_cache = {} if cache is None else cache
            self.method = _FAST_FISHERZ

        def __call__(self, X, Y, condition_set=None):
            X, Y = int(X), int(Y)
            if X > Y:
                X, Y = Y, X
            S = tuple(sorted(int(s) for s in condition_set)) if condition_set else ()
            key = (X, Y, S)
            p = self.pvalue_cache.get(key)
            if p is not None:
                return p
            c = self._c
            k = len(S)
            if k == 0:
                r = c[X][Y]
            elif k == 1:
                s = S[0]
                den = (1.0 - c[X][s] ** 2) * (1.0 - c[Y][s] ** 2)
                r = (c[X][Y] - c[X][s] * c[Y][s]) / math.sqrt(den) if den > 1e-12 else 0.0
            else:
                var = [X, Y, *S]
                sub = self.correlation_matrix[var][:, var]
                try:
                    inv = np.linalg.inv(sub)
                except np.linalg.LinAlgError:
                    inv = np.linalg.pinv(sub)
                den = abs(inv[0, 0] * inv[1, 1])
                r = -inv[0, 1] / math.sqrt(den) if den > 1e-12 else 0.0
            r = min(max(r, -1.0 + 1e-12), 1.0 - 1e-12)
            z = 0.5 * math.log((1.0 + r) / (1.0 - r))
            stat = math.sqrt(max(self.sample_size - k - 3, 1)) * abs(z)
            p = math.erfc(stat / _SQRT2)
            self.pvalue_cache[key] = p
            return p

    register_ci_test(_FAST_FISHERZ, _FastFisherZ)
    return _FAST_FISHERZ


_FISHERZ_NAME = None


def _fisherz_name():
    global _FISHERZ_NAME
    if _FISHERZ_NAME is None:
        _FISHERZ_NAME = _register_fast_fisherz()
    return _FISHERZ_NAME


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
    >>> from sklearn_causalmix.augment._discovery import resolve_indep_test
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
    >>> from sklearn_causalmix.augment._discovery import prepare_discovery_data
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


def direction_weights(marks):
    """Directed edge weights of one causal-learn graph.

    Parameters
    ----------
    marks : ndarray of shape (n_nodes, n_nodes)
        causal-learn end-mark matrix (``G.graph``).

    Returns
    -------
    weights : ndarray of shape (n_nodes, n_nodes)
        ``weights[i, j]`` is the weight of ``i -> j``. An edge with an arrowhead at exactly one
        end and a tail or circle at the other (``i -> j``, ``i o-> j``) gives 1 towards the
        arrowhead: the arrowhead rules out the reverse direction, and a DAG without latent
        variables can only reproduce the dependence with that edge. Every other edge
        (undirected ``i - j``, ``i o-o j``, ``i o- j`` and bidirected ``i <-> j``) gives 0.5 in
        each direction: the data leave the direction open (for ``<->``, a latent confounder
        that a DAG can only mimic with a direct edge, either way).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._discovery import direction_weights
    >>> marks = np.array([[0, -1, 2], [1, 0, 0], [2, 0, 0]])  # 0 -> 1 and 0 o-o 2
    >>> direction_weights(marks)
    array([[0. , 1. , 0.5],
           [0. , 0. , 0. ],
           [0.5, 0. , 0. ]])
    """
    M = np.asarray(marks)
    A, B = M, M.T  # A[i, j]: mark at i; B[i, j]: mark at j (of the edge i - j)
    edge = (A != 0) & (B != 0)
    to_j = edge & (B == 1) & (A != 1)
    to_i = edge & (A == 1) & (B != 1)
    split = edge & ~to_j & ~to_i
    W = to_j.astype(float) + 0.5 * split
    np.fill_diagonal(W, 0.0)
    return W


def _background_knowledge(n_nodes, forbidden, required):
    if not forbidden and not required:
        return None
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

    nodes = [GraphNode(f"X{i + 1}") for i in range(n_nodes)]
    bk = BackgroundKnowledge()
    for a, b in forbidden:
        bk.add_forbidden_by_node(nodes[a], nodes[b])
    for a, b in required:
        bk.add_required_by_node(nodes[a], nodes[b])
    return bk


def _run_one(data, methods, test, alpha, depth, forbidden, required, seed):
    """Run PC and/or FCI on one resample; return the summed direction weights and run count."""
    from causallearn.search.ConstraintBased.FCI import fci
    from causallearn.search.ConstraintBased.PC import pc

    n_nodes = data.shape[1]
    bk = _background_knowledge(n_nodes, forbidden, required)
    ci_name = _fisherz_name() if test in ("fisherz", "copula_fisherz") else test
    kwargs = {"cache": {}} if ci_name == _FAST_FISHERZ else {}
    W = np.zeros((n_nodes, n_nodes))
    # causal-learn prints (FCI, background knowledge) and warns on small samples; both read
    # numpy's global RNG nowhere we rely on, but seed it anyway so a run is reproducible.
    with (
        global_random_state(seed),
        contextlib.redirect_stdout(io.StringIO()),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        for method in methods:
            if method == "pc":
                cg = pc(
                    data,
                    alpha,
                    ci_name,
                    stable=True,
                    background_knowledge=bk,
                    verbose=False,
                    show_progress=False,
                    max_k=depth,
                    **kwargs,
                )
                marks = cg.G.graph
            else:
                G, _ = fci(
                    data,
                    ci_name,
                    alpha,
                    depth=-1 if depth is None else int(depth),
                    background_knowledge=bk,
                    verbose=False,
                    show_progress=False,
                    **kwargs,
                )
                marks = G.graph
            W += direction_weights(marks)
    return W


def _bootstrap_indices(n_samples, strata, rng):
    """Stratified bootstrap: resample rows within each stratum (each class stays present)."""
    if strata is None:
        return rng.randint(0, n_samples, size=n_samples)
    idx = []
    for s in np.unique(strata):
        members = np.flatnonzero(strata == s)
        idx.append(members[rng.randint(0, len(members), size=len(members))])
    return np.sort(np.concatenate(idx))


def bootstrap_edge_probabilities(
    data,
    discrete_mask,
    *,
    method="pc+fci",
    n_bootstrap=10,
    alpha=0.05,
    indep_test="auto",
    forbidden=(),
    required=(),
    strata=None,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    """Directed edge probabilities from PC and/or FCI on bootstrap resamples.

    Parameters
    ----------
    data : ndarray of shape (n_samples, n_nodes)
        Encoded data without missing values (categorical nodes as integer codes).
    discrete_mask : array-like of bool
        True for categorical/boolean nodes.
    method : {"pc", "fci", "pc+fci"}, default="pc+fci"
        Algorithms run on every resample; with ``"pc+fci"`` both graphs of every resample are
        averaged.
    n_bootstrap : int, default=10
        Number of bootstrap resamples.
    alpha : float, default=0.05
        Significance level of the independence tests.
    indep_test : {"auto", "fisherz", "gsq", "chisq"}, default="auto"
        See :func:`resolve_indep_test`.
    forbidden, required : sequence of (int, int), default=()
        Background knowledge on node indices, passed to causal-learn.
    strata : ndarray of shape (n_samples,), default=None
        Resample within each stratum (e.g. the class labels).
    random_state : int or RandomState, default=None
        Seeds the resamples.
    n_jobs : int, default=None
        Resamples run in parallel with joblib.
    verbose : int, default=0
        Show a tqdm bar over resamples when > 0.

    Returns
    -------
    probabilities : ndarray of shape (n_nodes, n_nodes)
        ``probabilities[i, j]``: share of graphs with ``i -> j`` (see :func:`direction_weights`).
    test : str
        The independence test used.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._discovery import bootstrap_edge_probabilities
    >>> rng = np.random.RandomState(0)
    >>> a = rng.normal(size=300); c = rng.normal(size=300); b = a + c + 0.3 * rng.normal(size=300)
    >>> P, test = bootstrap_edge_probabilities(
    ...     np.c_[a, b, c], [False] * 3, method="pc", n_bootstrap=3, random_state=0)
    >>> test, (P > 0.5).astype(int).tolist()  # the collider a -> b <- c
    ('fisherz', [[0, 1, 0], [0, 0, 0], [0, 1, 0]])
    """
    from sklearn.utils import check_random_state

    data = np.asarray(data, dtype=np.float64)
    n_samples, n_nodes = data.shape
    test = resolve_indep_test(indep_test, discrete_mask)
    if n_nodes < 2:
        return np.zeros((n_nodes, n_nodes)), test
    prepared = prepare_discovery_data(data, discrete_mask, test)
    methods = {"pc": ("pc",), "fci": ("fci",), "pc+fci": ("pc", "fci")}[method]
    # Fisher-z needs n - |S| - 3 >= 1; keep the conditioning sets well below the sample size.
    depth = max(0, min(n_nodes - 2, n_samples - 5))
    depth = None if depth >= n_nodes - 2 else depth
    rng = check_random_state(random_state)
    jobs = []
    for _ in range(n_bootstrap):
        idx = _bootstrap_indices(n_samples, strata, rng)
        jobs.append((idx, int(rng.randint(np.iinfo(np.int32).max))))

    def _task(b, idx, seed):
        try:
            return _run_one(
                prepared[idx], methods, test, alpha, depth, list(forbidden), list(required), seed
            )
        except Exception as exc:  # wrap causal-learn errors with context
            raise RuntimeError(
                f"Causal discovery ({method}, test {test!r}) failed on bootstrap resample {b}: "
                f"{type(exc).__name__}: {exc}. Try indep_test='fisherz', fewer features, or a "
                f"fixed graph via discovery=<networkx.DiGraph>."
            ) from exc

    iterator = enumerate(jobs)
    if verbose > 0:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, total=n_bootstrap, desc=f"discovery ({method})")
    if n_jobs is None or n_jobs == 1:
        weights = [_task(b, idx, seed) for b, (idx, seed) in iterator]
    else:
        weights = Parallel(n_jobs=n_jobs)(delayed(_task)(b, idx, seed) for b, (idx, seed) in iterator)
    P = np.sum(weights, axis=0) / (len(methods) * n_bootstrap)
    return np.clip(P, 0.0, 1.0), test
