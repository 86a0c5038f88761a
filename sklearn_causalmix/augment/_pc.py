"""The PC algorithm on a skeleton: the PC-stable adjacency search and PC's orientation rules.

:func:`skeleton` is the adjacency phase shared by PC and FCI (FCI's "fast adjacency search"), so
both algorithms are built on one run per resample; :func:`orient_pc` turns it into a PC graph
(background knowledge, unshielded colliders, Meek's rules 1-3) in causal-learn's end-mark encoding.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

__all__ = ["orient_pc", "skeleton"]


def skeleton(test, n_nodes, alpha, *, max_depth=None, banned=()):
    """PC-stable adjacency search (Colombo & Maathuis, 2014).

    At conditioning-set size ``d`` = 0, 1, 2, ... every edge ``x - y`` is tested against all
    subsets of size ``d`` of the adjacencies of ``x`` (minus ``y``) *as they were at the start of
    level d*, and removed at the first independence found; the search stops when no node has
    more than ``d`` other adjacencies. This is the adjacency phase shared by PC and FCI (FCI's
    "fast adjacency search"), so both are built on one run.

    A test with a ``conditioning_sets(x, y, others, d)`` method (the discrete tests'
    :class:`~sklearn_causalmix.augment._independence.SparseTableGuard`) offers only the subsets
    it can test reliably; the search then also stops after a level at which no edge had a
    testable set: a testable set of size ``d + 1`` would have testable subsets of size ``d``.

    Parameters
    ----------
    test : callable
        ``test(x, y, S) -> p-value``.
    n_nodes : int
        Number of variables.
    alpha : float
        Significance level; ``p > alpha`` means independent.
    max_depth : int or None, default=None
        Largest conditioning-set size.
    banned : iterable of (int, int), default=()
        Pairs whose edge is removed up front (both directions forbidden).

    Returns
    -------
    adjacency : ndarray of bool, shape (n_nodes, n_nodes)
    sepsets : dict
        ``{(x, y): S}`` (with ``x < y``) for every removed edge.

    Examples
    --------
    >>> from sklearn_causalmix.augment._pc import skeleton
    >>> independent = {(0, 2, (1,))}   # 0 _||_ 2 | 1 in a chain 0 - 1 - 2
    >>> def oracle(x, y, S):
    ...     return 1.0 if (x, y, tuple(S)) in independent else 0.0
    >>> adj, sep = skeleton(oracle, 3, 0.05)
    >>> adj.astype(int).tolist(), sep
    ([[0, 1, 0], [1, 0, 1], [0, 1, 0]], {(0, 2): (1,)})
    """
    adj = ~np.eye(n_nodes, dtype=bool)
    sepsets = {}
    for a, b in banned:
        if adj[a, b]:
            adj[a, b] = adj[b, a] = False
            sepsets[(min(a, b), max(a, b))] = ()
    first_independent = getattr(test, "first_independent", None)
    conditioning_sets = getattr(test, "conditioning_sets", None)
    depth = 0
    while max_depth is None or depth <= max_depth:
        neighbours = [np.flatnonzero(adj[x]).tolist() for x in range(n_nodes)]
        if max(len(nb) for nb in neighbours) - 1 < depth:
            break
        offered = False  # whether any edge had a conditioning set at this level
        for x in range(n_nodes):
            if len(neighbours[x]) - 1 < depth:
                continue
            for y in neighbours[x]:
                if not adj[x, y]:
                    continue
                others = [v for v in neighbours[x] if v != y]
                if conditioning_sets is None:
                    candidates = combinations(others, depth)
                else:
                    candidates = _noting_any(conditioning_sets(x, y, others, depth))
                if first_independent is not None:
                    sepset = first_independent(x, y, candidates, alpha)
                else:
                    sepset = next((S for S in candidates if test(x, y, S) > alpha), None)
                if sepset is not None:
                    adj[x, y] = adj[y, x] = False
                    sepsets[(min(x, y), max(x, y))] = tuple(sepset)
                if conditioning_sets is not None:
                    offered = offered or candidates.any
        if conditioning_sets is not None and not offered:
            break
        depth += 1
    return adj, sepsets


class _noting_any:
    """An iterator that records whether it yielded anything (``.any``)."""

    def __init__(self, iterable):
        self._iterator = iter(iterable)
        self.any = False

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self._iterator)
        self.any = True
        return item


def _reaches(toward, start, goal):
    """Whether a directed path ``start -> ... -> goal`` exists (i -> j: only ``toward[i, j]``)."""
    directed = toward & ~toward.T
    seen = np.zeros(len(toward), dtype=bool)
    stack = [start]
    while stack:
        v = stack.pop()
        if v == goal:
            return True
        if seen[v]:
            continue
        seen[v] = True
        stack.extend(np.flatnonzero(directed[v] & ~seen).tolist())
    return False


def orient_pc(adj, sepsets, forbidden=(), required=()):
    """Orient a PC skeleton: background knowledge, unshielded colliders, Meek's rules 1-3.

    Colliders ``x -> y <- z`` are oriented for unshielded triples whose separating set misses
    ``y``, unless an edge of the triple is already oriented out of ``y`` (an existing collider
    is never overwritten, causal-learn's ``uc_priority=2``). Meek's rules then orient edges
    whose reverse would create a new collider (R1) or a cycle (R2, R3); an orientation that
    would close a directed cycle is skipped.

    Parameters
    ----------
    adj : ndarray of bool, shape (n_nodes, n_nodes)
        Symmetric skeleton.
    sepsets : dict
        ``{(x, y): S}`` with ``x < y`` for non-adjacent pairs.
    forbidden, required : iterable of (int, int), default=()
        Directed edges ``a -> b`` that may not / must appear.

    Returns
    -------
    marks : ndarray of int, shape (n_nodes, n_nodes)
        causal-learn end marks: ``i -> j`` is ``[i, j] = -1, [j, i] = 1``; ``i - j`` is -1/-1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._pc import orient_pc
    >>> adj = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=bool)
    >>> orient_pc(adj, {(0, 2): ()}).tolist()   # collider 0 -> 1 <- 2
    [[0, -1, 0], [1, 0, 1], [0, -1, 0]]
    """
    # toward[i, j]: the edge i - j may point to j; only one way: i -> j; both ways: undirected.
    toward = np.array(adj, dtype=bool)
    n = len(toward)
    forbidden, required = set(forbidden), set(required)

    def undirected(i, j):
        return toward[i, j] and toward[j, i]

    def directed(i, j):
        return toward[i, j] and not toward[j, i]

    def allowed(i, j):  # may the edge i - j become i -> j?
        return (i, j) not in forbidden and (j, i) not in required

    for a, b in required:
        if undirected(a, b):
            toward[b, a] = False
    for a, b in forbidden:
        if undirected(a, b) and allowed(b, a):
            toward[a, b] = False

    for y in range(n):
        nb = np.flatnonzero(adj[y]).tolist()
        for ix, x in enumerate(nb):
            for z in nb[ix + 1 :]:
                if adj[x, z] or y in sepsets.get((min(x, z), max(x, z)), ()):
                    continue
                if not (allowed(x, y) and allowed(z, y)):
                    continue
                if directed(y, x) or directed(y, z):
                    continue
                toward[y, x] = False
                toward[y, z] = False

    changed = True
    while changed:
        changed = False
        for j in range(n):
            for k in np.flatnonzero(toward[j] & toward[:, j]).tolist():  # undirected j - k
                if not undirected(j, k) or not allowed(j, k):
                    continue
                parents_j = np.flatnonzero(toward[:, j] & ~toward[j]).tolist()
                # R1: i -> j - k, i and k not adjacent
                r1 = any(not adj[i, k] and i != k for i in parents_j)
                # R2: j -> i -> k
                r2 = any(directed(j, i) and directed(i, k) for i in range(n) if i not in (j, k))
                # R3: j - a, j - b, a -> k, b -> k, a and b not adjacent
                r3 = False
                if not (r1 or r2):
                    mids = [
                        a for a in range(n)
                        if a not in (j, k) and undirected(j, a) and directed(a, k)
                    ]
                    r3 = any(
                        not adj[a, b] for ia, a in enumerate(mids) for b in mids[ia + 1 :]
                    )
                if (r1 or r2 or r3) and not _reaches(toward, k, j):
                    toward[k, j] = False
                    changed = True
    marks = np.zeros((n, n), dtype=int)
    marks[toward & toward.T] = -1
    one_way = toward & ~toward.T  # i -> j
    marks[one_way] = -1
    marks[one_way.T] = 1
    return marks
