"""Drawing a matrix of edge probabilities with networkx and matplotlib."""

from __future__ import annotations

import networkx as nx
import numpy as np

__all__ = ["layered_positions", "plot_edge_probabilities"]


def _drawn_edges(names, P, threshold, max_edges):
    """Edges above ``threshold``, the ``max_edges`` most probable, most probable first."""
    rows, cols = np.nonzero(P > max(threshold, 0.0))
    order = np.argsort(-P[rows, cols], kind="stable")
    if max_edges == "auto":
        max_edges = None if len(names) <= 20 else 2 * len(names)
    order = order[:max_edges] if max_edges is not None else order
    return [(names[rows[k]], names[cols[k]], float(P[rows[k], cols[k]])) for k in order]


#: Most nodes in one column of the layered layout (longer layers wrap into several columns).
_COLUMN = 12


def layered_positions(names, edges):
    """Node positions in layers from left to right: causes left of their effects.

    Edges (most probable first) are added while they keep the graph acyclic; each node's layer
    is its topological generation in that DAG. A layer is a column of nodes (labels do not
    overlap), wrapped into several columns beyond 12 nodes; unconnected nodes come last.

    Examples
    --------
    >>> from sklearn_causalmix.augment._plot import layered_positions
    >>> pos = layered_positions(["a", "b", "c"], [("a", "b", 0.9), ("b", "a", 0.1)])
    >>> pos["a"][0] < pos["b"][0] < pos["c"][0]
    True
    """
    dag = nx.DiGraph()
    for a, b, _ in edges:
        dag.add_edge(a, b)
        if not nx.is_directed_acyclic_graph(dag):
            dag.remove_edge(a, b)
    layers = [sorted(layer) for layer in nx.topological_generations(dag)]
    layers.append(sorted(set(names) - set(dag.nodes)))
    columns = [
        layer[i : i + _COLUMN] for layer in layers if layer for i in range(0, len(layer), _COLUMN)
    ]
    pos = {}
    for x, column in enumerate(columns):
        for k, name in enumerate(column):
            pos[name] = (float(x), (len(column) - 1) / 2.0 - k)
    return pos


def _figure_size(pos, layout):
    """Inches that keep labels apart: a column per layer, or a circle growing with the nodes."""
    if layout == "circular":
        return (min(6.0 + 0.3 * max(len(pos) - 12, 0), 20.0),) * 2
    xs = [x for x, _ in pos.values()]
    rows = max(xs.count(x) for x in set(xs))
    return min(max(6.0, 2.0 * (1 + max(xs))), 20.0), min(max(4.0, 0.6 * rows + 1.0), 9.0)


def _draw(graph, pos, names, colors, edges, ax):
    """Nodes, labels and edges (width and opacity growing with the probability) on ``ax``."""
    n = len(names)
    node_size = 700 if n <= 12 else max(150, 700 * 12 // n)
    nx.draw_networkx_nodes(
        graph, pos, nodelist=names, node_color=colors, node_size=node_size, alpha=0.9, ax=ax
    )
    nx.draw_networkx_labels(graph, pos, font_size=8 if n <= 12 else 6, ax=ax)
    if not edges:
        return
    probs = np.array([p for _, _, p in edges])
    nx.draw_networkx_edges(
        graph,
        pos,
        edgelist=[(a, b) for a, b, _ in edges],
        width=0.5 + 3.0 * probs,
        alpha=np.clip(0.15 + 0.85 * probs, 0.0, 1.0).tolist(),
        arrows=True,
        arrowstyle="-|>",
        arrowsize=12 if n <= 12 else 8,
        connectionstyle="arc3,rad=0.08",
        node_size=node_size,
        ax=ax,
    )


def plot_edge_probabilities(
    probabilities,
    *,
    target=None,
    inactive=(),
    ax=None,
    threshold=0.0,
    max_edges="auto",
    layout="layered",
):
    """Draw directed edge probabilities; edge width and opacity grow with the probability.

    Parameters
    ----------
    probabilities : DataFrame of shape (n_nodes, n_nodes)
        ``[a, b]`` is the probability of ``a -> b``; index and columns are node names.
    target : str, default=None
        Node drawn in orange.
    inactive : collection of str, default=()
        Nodes drawn in grey (e.g. constant columns).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure, sized for the number of nodes, when None.
    threshold : float, default=0.0
        Only edges with probability above ``threshold`` are drawn.
    max_edges : int, "auto" or None, default="auto"
        Draw at most this many edges, the most probable ones. ``"auto"``: all up to 20 nodes,
        else twice the number of nodes; None: all.
    layout : {"layered", "circular"}, default="layered"
        ``"layered"``: causes above their effects (topological generations of the drawn edges,
        most probable first), unconnected nodes in the bottom row; ``"circular"``: a circle.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sklearn_causalmix.augment._plot import plot_edge_probabilities
    >>> P = pd.DataFrame([[0, 0.8], [0.1, 0]], index=["a", "y"], columns=["a", "y"])
    >>> ax = plot_edge_probabilities(P, target="y")
    >>> len(ax.patches)  # two arrows
    2
    """
    import matplotlib.pyplot as plt

    if layout not in ("layered", "circular"):
        raise ValueError(f"layout must be 'layered' or 'circular', got {layout!r}.")
    names = [str(n) for n in probabilities.index]
    edges = _drawn_edges(names, np.asarray(probabilities, dtype=float), threshold, max_edges)
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from((a, b) for a, b, _ in edges)
    pos = layered_positions(names, edges) if layout == "layered" else nx.circular_layout(graph)
    if ax is None:
        _, ax = plt.subplots(figsize=_figure_size(pos, layout))
    grey = {str(v) for v in inactive}
    colors = [
        "tab:orange" if v == target else ("lightgrey" if v in grey else "tab:blue") for v in names
    ]
    _draw(graph, pos, names, colors, edges, ax)
    ax.set_title("Edge probabilities")
    ax.set_axis_off()
    return ax
