"""Sampling DAGs from a matrix of directed edge probabilities."""

from __future__ import annotations

import networkx as nx
import numpy as np
from sklearn.utils import check_random_state

__all__ = ["break_cycles", "sample_dag", "sample_dags"]


def break_cycles(graph, probabilities, index, rng):
    """Remove edges until ``graph`` is acyclic, dropping the least probable edge of each cycle.

    Parameters
    ----------
    graph : networkx.DiGraph
        Modified in place.
    probabilities : ndarray of shape (n_nodes, n_nodes)
        Edge probabilities; ``probabilities[index[a], index[b]]`` is that of ``a -> b``.
    index : dict
        Node name -> row of ``probabilities``.
    rng : numpy.random.RandomState
        Breaks ties between equally probable edges.

    Returns
    -------
    graph : networkx.DiGraph
        The same object, now acyclic.

    Examples
    --------
    >>> import networkx as nx
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._dag import break_cycles
    >>> G = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a")])
    >>> P = np.array([[0, .9, 0], [0, 0, .8], [.3, 0, 0]])
    >>> sorted(break_cycles(G, P, {"a": 0, "b": 1, "c": 2}, np.random.RandomState(0)).edges)
    [('a', 'b'), ('b', 'c')]
    """
    while True:
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return graph
        probs = np.array([probabilities[index[a], index[b]] for a, b, *_ in cycle])
        ties = np.flatnonzero(probs == probs.min())
        a, b, *_ = cycle[int(ties[rng.randint(len(ties))])]
        graph.remove_edge(a, b)


def sample_dag(probabilities, node_names, random_state=None):
    """Sample one DAG: draw every pair's edge, then break cycles.

    For each unordered pair ``{i, j}`` one of ``i -> j`` (probability ``p_ij``), ``j -> i``
    (``p_ji``) or no edge is drawn; when ``p_ij + p_ji > 1`` both are scaled to sum to 1.
    Remaining cycles are broken with :func:`break_cycles`, so the result is always acyclic and an
    edge of probability 1 is only dropped if a cycle consists of such edges alone.

    Parameters
    ----------
    probabilities : array-like of shape (n_nodes, n_nodes)
        Directed edge probabilities in [0, 1]; the diagonal is ignored.
    node_names : sequence of str
        Node names, in the order of the rows.
    random_state : int, RandomState instance or None, default=None
        Controls the draws.

    Returns
    -------
    dag : networkx.DiGraph
        Holds every node, also isolated ones, in the order of ``node_names``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._dag import sample_dag
    >>> P = np.array([[0.0, 1.0], [0.0, 0.0]])
    >>> list(sample_dag(P, ["a", "b"], random_state=0).edges)
    [('a', 'b')]
    """
    rng = check_random_state(random_state)
    clipped = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, 1.0)
    graph = nx.DiGraph()
    graph.add_nodes_from(node_names)
    iu, ju = np.triu_indices(clipped.shape[0], k=1)
    p_fw, p_bw = clipped[iu, ju], clipped[ju, iu]
    total = p_fw + p_bw
    scale = np.where(total > 1.0, 1.0 / np.where(total > 0, total, 1.0), 1.0)
    p_fw, p_bw = p_fw * scale, p_bw * scale
    u = rng.random_sample(len(iu))
    fw = u < p_fw
    bw = ~fw & (u < p_fw + p_bw)
    graph.add_edges_from((node_names[i], node_names[j]) for i, j in zip(iu[fw], ju[fw]))
    graph.add_edges_from((node_names[j], node_names[i]) for i, j in zip(iu[bw], ju[bw]))
    index = {name: k for k, name in enumerate(node_names)}
    return break_cycles(graph, clipped, index, rng)


def sample_dags(probabilities, node_names, n_graphs, random_state=None):
    """Sample ``n_graphs`` DAGs with :func:`sample_dag`.

    Parameters
    ----------
    probabilities : array-like of shape (n_nodes, n_nodes)
        Directed edge probabilities.
    node_names : sequence of str
        Node names.
    n_graphs : int
        Number of DAGs.
    random_state : int, RandomState instance or None, default=None
        Controls the draws.

    Returns
    -------
    dags : list of networkx.DiGraph

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._dag import sample_dags
    >>> P = np.array([[0.0, 0.5], [0.5, 0.0]])
    >>> dags = sample_dags(P, ["a", "b"], 3, random_state=0)
    >>> [d.number_of_edges() <= 1 for d in dags]
    [True, True, True]
    """
    rng = check_random_state(random_state)
    return [sample_dag(probabilities, list(node_names), rng) for _ in range(n_graphs)]


def random_dag_like(dag, random_state=None):
    """A random DAG on the nodes of ``dag`` with as many edges: the edges shuffled.

    A uniformly random order of the nodes is drawn, then ``dag.number_of_edges()`` distinct
    pairs (earlier node -> later node in that order) uniformly among all such pairs, so the result
    is acyclic and keeps only the node set and the edge count of ``dag``.

    Parameters
    ----------
    dag : networkx.DiGraph
        An acyclic graph.
    random_state : int, RandomState instance or None, default=None
        Controls the draws.

    Returns
    -------
    random_dag : networkx.DiGraph
        Same nodes (in the same order), same number of edges.

    Examples
    --------
    >>> import networkx as nx
    >>> from sklearn_causalmix.augment._dag import random_dag_like
    >>> dag = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> other = random_dag_like(dag, random_state=0)
    >>> list(other.nodes), other.number_of_edges(), nx.is_directed_acyclic_graph(other)
    (['a', 'b', 'c'], 2, True)
    """
    rng = check_random_state(random_state)
    nodes = list(dag.nodes)
    order = [nodes[i] for i in rng.permutation(len(nodes))]
    pairs = [(order[i], order[j]) for i in range(len(order)) for j in range(i + 1, len(order))]
    chosen = rng.choice(len(pairs), size=dag.number_of_edges(), replace=False)
    out = nx.DiGraph()
    out.add_nodes_from(nodes)
    out.add_edges_from(pairs[k] for k in np.sort(chosen))
    return out
