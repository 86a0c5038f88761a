"""The FCI algorithm on a PC skeleton: the possible-D-SEP stage and causal-learn's rules R0-R10.

FCI starts from the same adjacency search as PC (:func:`~sklearn_causalmix.augment._pc.skeleton`),
removes further edges given subsets of Possible-D-SEP (:func:`possible_dsep_removal`, conditioning
sets capped at ``POSSIBLE_DSEP_MAX_SIZE``) and orients the rest with causal-learn's rules
(:func:`orient_fci`), giving a PAG in causal-learn's end-mark encoding.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from sklearn_causalmix._core import third_party_state

__all__ = [
    "POSSIBLE_DSEP_MAX_SIZE",
    "background_knowledge",
    "orient_fci",
    "possible_dsep",
    "possible_dsep_removal",
]

#: Largest conditioning set tried in FCI's possible-D-SEP stage (Tetrad's ``depth`` plays this
#: role); unbounded, the stage enumerates every subset and dominates the run time.
POSSIBLE_DSEP_MAX_SIZE = 2


def background_knowledge(n_nodes, forbidden, required):
    """causal-learn ``BackgroundKnowledge`` over nodes ``X1``, ``X2``, ... (None when empty)."""
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


def possible_dsep(marks, node):
    """Possible-D-SEP of ``node`` in a partial graph given as causal-learn end marks.

    ``v`` belongs to it when some path from ``node`` to ``v`` has, at every inner node ``b``
    between neighbours ``a`` and ``c`` on the path, either a collider (``a *-> b <-* c``) or a
    triangle (``a`` and ``c`` adjacent) (Spirtes, Glymour & Scheines, 2000, sec. 6.7).

    Parameters
    ----------
    marks : ndarray of shape (n_nodes, n_nodes)
        ``marks[i, j]`` is the mark at ``i`` of the edge ``i - j`` (0 no edge, 1 arrowhead).
    node : int
        Start node.

    Returns
    -------
    members : list of int
        Sorted node indices (``node`` excluded).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._fci import possible_dsep
    >>> marks = np.zeros((4, 4), dtype=int)   # 0 o-> 1 <-o 2 o-o 3
    >>> marks[0, 1], marks[1, 0] = 2, 1
    >>> marks[2, 1], marks[1, 2] = 2, 1
    >>> marks[2, 3], marks[3, 2] = 2, 2
    >>> possible_dsep(marks, 0)   # 1 is a collider on 0-1-2; 2 is not one on 1-2-3
    [1, 2]
    """
    marks = np.asarray(marks)
    adj = marks != 0
    arrow = marks == 1  # arrow[v, w]: arrowhead at v on the edge v - w
    reached = np.zeros(marks.shape[0], dtype=bool)
    seen = set()
    frontier = [(node, int(v)) for v in np.flatnonzero(adj[node])]
    while frontier:
        u, v = frontier.pop()
        if (u, v) in seen:
            continue
        seen.add((u, v))
        reached[v] = True
        onward = adj[v] & ((arrow[v, u] & arrow[v]) | adj[u])
        onward[u] = False
        onward[node] = False
        frontier.extend((v, int(w)) for w in np.flatnonzero(onward) if (v, w) not in seen)
    reached[node] = False
    return np.flatnonzero(reached).tolist()


def possible_dsep_removal(graph, nodes, test, alpha, sep_sets, max_size):
    """FCI's possible-D-SEP stage with conditioning sets of at most ``max_size`` variables.

    Possible-D-SEP sets are computed once, on the graph after the first collider orientation
    (as pcalg does); an edge ``a - b`` is removed when ``a`` and ``b`` are independent given
    some subset of Possible-D-SEP(a) or of Possible-D-SEP(b) (minus ``a``, ``b``) that is not
    already a subset of the adjacencies the adjacency search used.
    """
    marks = np.asarray(graph.graph)
    adjacency = marks != 0
    dsep_sets = [possible_dsep(marks, v) for v in range(len(nodes))]
    for a, b in zip(*np.nonzero(np.triu(adjacency, k=1))):
        a, b = int(a), int(b)
        adj_a = set(np.flatnonzero(adjacency[a]).tolist())
        adj_b = set(np.flatnonzero(adjacency[b]).tolist())
        first_independent = getattr(test, "first_independent", None)
        conditioning_sets = getattr(test, "conditioning_sets", None)
        for source in (a, b):
            candidates = [v for v in dsep_sets[source] if v not in (a, b)]
            found = None
            for size in range(1, min(max_size, len(candidates)) + 1):
                sets = (
                    cond
                    for cond in (
                        combinations(candidates, size)
                        if conditioning_sets is None
                        else conditioning_sets(a, b, candidates, size)  # testable ones only
                    )
                    # subsets of Adj(a) or Adj(b) were already tested by the adjacency search
                    if not (set(cond) <= adj_a or set(cond) <= adj_b)
                )
                if first_independent is not None:
                    found = first_independent(a, b, sets, alpha)
                else:
                    found = next((cond for cond in sets if test(a, b, cond) > alpha), None)
                if found is not None:
                    break
            if found is not None:
                edge = graph.get_edge(nodes[a], nodes[b])
                if edge is not None:
                    graph.remove_edge(edge)
                sep_sets[(a, b)] = set(found)
                sep_sets[(b, a)] = set(found)
                break


def _rule0(FCI, graph, nodes, sep_sets, bk):
    """causal-learn's rule R0 (colliders; background knowledge), its prints silenced."""
    if bk is None:
        FCI.rule0(graph, nodes, sep_sets, None, False)
        return
    with third_party_state(silence=True):  # fci_orient_bk prints whatever `verbose` says
        FCI.rule0(graph, nodes, sep_sets, bk, False)


def orient_fci(adj, sepsets, test, alpha, bk, data, max_dsep_size=None):
    """Orient a skeleton as FCI does, after the possible-D-SEP stage; return causal-learn marks.

    Uses causal-learn's rules R0-R10 on a ``GeneralGraph``. ``bk`` is a causal-learn
    ``BackgroundKnowledge`` or None; ``max_dsep_size`` defaults to ``POSSIBLE_DSEP_MAX_SIZE``.
    Rule R0 prints while applying background knowledge: that one call runs with ``sys.stdout``
    silenced under :func:`~sklearn_causalmix._core.third_party_state`.
    """
    from causallearn.graph.Edge import Edge
    from causallearn.graph.Endpoint import Endpoint
    from causallearn.graph.GeneralGraph import GeneralGraph
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.search.ConstraintBased import FCI

    n = adj.shape[0]
    nodes = []
    for i in range(n):
        node = GraphNode(f"X{i + 1}")
        node.add_attribute("id", i)
        nodes.append(node)
    graph = GeneralGraph(nodes)
    for a, b in zip(*np.nonzero(np.triu(adj, k=1))):
        graph.add_edge(Edge(nodes[a], nodes[b], Endpoint.CIRCLE, Endpoint.CIRCLE))
    if max_dsep_size is None:
        max_dsep_size = POSSIBLE_DSEP_MAX_SIZE
    sep_sets = {}
    for (a, b), cond in sepsets.items():
        sep_sets[(a, b)] = set(cond)
        sep_sets[(b, a)] = set(cond)
    _rule0(FCI, graph, nodes, sep_sets, bk)
    possible_dsep_removal(graph, nodes, test, alpha, sep_sets, max_dsep_size)
    FCI.reorientAllWith(graph, Endpoint.CIRCLE)
    _rule0(FCI, graph, nodes, sep_sets, bk)
    changed = True
    while changed:
        changed = FCI.rulesR1R2cycle(graph, bk, False, False)
        changed = FCI.ruleR3(graph, sep_sets, bk, changed, False)
        changed = FCI.ruleR4B(graph, -1, data, test, alpha, sep_sets, changed, bk, False)
        changed = FCI.ruleR5(graph, changed, False)
        changed = FCI.ruleR6(graph, changed, False)
        changed = FCI.ruleR7(graph, changed, False)
        changed = FCI.rule8(graph, nodes, changed)
        changed = FCI.rule9(graph, nodes, changed)
        changed = FCI.rule10(graph, changed)
    return np.asarray(graph.graph).copy()
