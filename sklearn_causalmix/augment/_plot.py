"""Drawing a matrix of edge probabilities with networkx and matplotlib."""

from __future__ import annotations

import networkx as nx
import numpy as np

__all__ = ["plot_edge_probabilities"]


def plot_edge_probabilities(probabilities, *, target=None, inactive=(), ax=None, threshold=0.0):
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
        Axes to draw on; a new figure when None.
    threshold : float, default=0.0
        Only edges with probability above ``threshold`` are drawn.

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

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    names = [str(n) for n in probabilities.index]
    P = np.asarray(probabilities, dtype=float)
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    edges, probs = [], []
    for i, j in zip(*np.nonzero(P > max(threshold, 0.0))):
        edges.append((names[i], names[j]))
        probs.append(P[i, j])
    graph.add_edges_from(edges)
    pos = nx.circular_layout(graph)
    inactive = {str(n) for n in inactive}
    colors = [
        "tab:orange" if n == target else ("lightgrey" if n in inactive else "tab:blue")
        for n in names
    ]
    nx.draw_networkx_nodes(graph, pos, nodelist=names, node_color=colors, node_size=700, ax=ax)
    nx.draw_networkx_labels(graph, pos, font_size=8, ax=ax)
    if edges:
        probs = np.asarray(probs)
        nx.draw_networkx_edges(
            graph,
            pos,
            edgelist=edges,
            width=0.5 + 3.0 * probs,
            alpha=np.clip(0.15 + 0.85 * probs, 0.0, 1.0).tolist(),
            arrows=True,
            arrowstyle="-|>",
            arrowsize=12,
            connectionstyle="arc3,rad=0.08",
            node_size=700,
            ax=ax,
        )
    ax.set_title("Edge probabilities")
    ax.set_axis_off()
    return ax
