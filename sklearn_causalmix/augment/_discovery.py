"""Causal discovery on bootstrap resamples: PC / FCI graphs -> directed edge probabilities.

causal-learn encodes a graph as a matrix of end marks: ``marks[i, j]`` is the mark *at node i* of
the edge between ``i`` and ``j`` (-1 tail, 1 arrowhead, 2 circle, 0 no edge), so ``i -> j`` is
``marks[i, j] = -1, marks[j, i] = 1``. :func:`direction_weights` turns one such graph into
directed edge weights; :func:`bootstrap_edge_probabilities` averages them over resamples.

On each resample one PC-stable adjacency search (:mod:`~sklearn_causalmix.augment._pc`, with the
tests of :mod:`~sklearn_causalmix.augment._independence`) serves both algorithms: PC orients it
with :func:`~sklearn_causalmix.augment._pc.orient_pc`, FCI with
:func:`~sklearn_causalmix.augment._fci.orient_fci`. Discovery draws no random numbers beyond the
resampling, which uses the generator passed in.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from sklearn_causalmix._core import parallel_map
from sklearn_causalmix.augment._fci import background_knowledge, orient_fci
from sklearn_causalmix.augment._independence import (
    make_independence_test,
    prepare_discovery_data,
    resolve_indep_test,
)
from sklearn_causalmix.augment._pc import orient_pc, skeleton

__all__ = ["bootstrap_edge_probabilities", "direction_weights"]


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
    mark_at_i = np.asarray(marks)  # [i, j]: the mark at i of the edge i - j
    mark_at_j = mark_at_i.T
    edge = (mark_at_i != 0) & (mark_at_j != 0)
    to_j = edge & (mark_at_j == 1) & (mark_at_i != 1)
    to_i = edge & (mark_at_i == 1) & (mark_at_j != 1)
    split = edge & ~to_j & ~to_i
    weights = to_j.astype(float) + 0.5 * split
    np.fill_diagonal(weights, 0.0)
    return weights


def _discover_on_resample(data, methods, test, alpha, depth, forbidden, required):
    """Run PC and/or FCI on one resample; return the summed direction weights."""
    n_nodes = data.shape[1]
    forbidden_pairs = set(forbidden)
    banned = [(a, b) for a, b in forbidden_pairs if (b, a) in forbidden_pairs and a < b]
    weights = np.zeros((n_nodes, n_nodes))
    ci_test = make_independence_test(data, test)
    adj, sepsets = skeleton(ci_test, n_nodes, alpha, max_depth=depth, banned=banned)
    for method in methods:
        if method == "pc":
            marks = orient_pc(adj, sepsets, forbidden, required)
        else:
            bk = background_knowledge(n_nodes, forbidden, required)
            marks = orient_fci(adj, sepsets, ci_test, alpha, bk, data)
        weights += direction_weights(marks)
    return weights


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
    >>> probabilities, test = bootstrap_edge_probabilities(
    ...     np.c_[a, b, c], [False] * 3, method="pc", n_bootstrap=3, random_state=0)
    >>> test, (probabilities > 0.5).astype(int).tolist()  # the collider a -> b <- c
    ('fisherz', [[0, 1, 0], [0, 0, 0], [0, 1, 0]])
    """
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
    resamples = []
    for _ in range(n_bootstrap):
        resamples.append(_bootstrap_indices(n_samples, strata, rng))
        # Earlier versions seeded numpy's global state per resample from this draw; discovery
        # draws nothing else, but the draw stays so that a random_state gives the same
        # resamples (and edge probabilities, graphs, samples) as before.
        rng.randint(np.iinfo(np.int32).max)

    def _task(b, idx):
        try:
            return _discover_on_resample(
                prepared[idx], methods, test, alpha, depth, list(forbidden), list(required)
            )
        except Exception as exc:  # wrap causal-learn errors with context
            raise RuntimeError(
                f"Causal discovery ({method}, test {test!r}) failed on bootstrap resample {b}: "
                f"{type(exc).__name__}: {exc}. Try indep_test='fisherz', fewer features, or a "
                f"fixed graph via discovery=<networkx.DiGraph>."
            ) from exc

    iterator = enumerate(resamples)
    if verbose > 0:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, total=n_bootstrap, desc=f"discovery ({method})")
    weights = parallel_map(_task, iterator, n_jobs)
    probabilities = np.sum(weights, axis=0) / (len(methods) * n_bootstrap)
    return np.clip(probabilities, 0.0, 1.0), test
