"""Node handling of CausalSCMAugmenter: names, missingness indicators, user-given graph edges.

What the target node and the missingness indicators are called, how missing node values are
imputed for discovery and fitting, and checks of the background knowledge and of a fixed graph
given by the user. Constant and deterministic columns are found in :mod:`._relations`.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

__all__ = [
    "fixed_graph_probabilities",
    "impute_from_observed",
    "indicator_names",
    "node_names",
    "parse_background_knowledge",
]


def node_names(schema, target_name):
    """Feature node names (column names as strings) and a target name that differs from them.

    The target is ``target_name`` (``"target"`` when None), with underscores appended while it
    collides with a feature name.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix._core import TableSchema
    >>> from sklearn_causalmix.augment._nodes import node_names
    >>> node_names(TableSchema.from_data(np.zeros((2, 2))), None)
    (['x0', 'x1'], 'target')
    """
    features = [str(n) for n in schema.names]
    if len(set(features)) != len(features):
        raise ValueError(
            f"Column names must be unique once converted to strings, got {schema.names}; "
            f"rename the columns."
        )
    target = "target" if target_name is None else str(target_name)
    while target in features:
        target += "_"
    return features, target


def indicator_names(features, missing_columns, taken):
    """Node names of the missingness indicators of ``missing_columns`` (``"<name>__missing"``).

    Underscores are appended while a name collides with one in ``taken``.

    Examples
    --------
    >>> from sklearn_causalmix.augment._nodes import indicator_names
    >>> indicator_names(["a", "b"], [1], ["a", "b", "target"])
    ['b__missing']
    """
    taken, names = set(taken), []
    for j in missing_columns:
        name = f"{features[j]}__missing"
        while name in taken:
            name += "_"
        taken.add(name)
        names.append(name)
    return names


def impute_from_observed(nodes, rng):
    """Replace each ``NaN`` by a value drawn at random from the observed values of its column.

    Unlike a median or mode, a random draw keeps the column's marginal distribution (no spike at
    the median of a mostly missing column); whether a value was missing is a node of its own.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._nodes import impute_from_observed
    >>> out = impute_from_observed(np.array([[1.0], [np.nan], [3.0]]), np.random.RandomState(0))
    >>> float(out[1, 0]) in (1.0, 3.0)
    True
    """
    out = np.array(nodes, dtype=np.float64, copy=True)
    for k in np.flatnonzero(np.isnan(out).any(axis=0)):
        missing = np.isnan(out[:, k])
        out[missing, k] = rng.choice(out[~missing, k], size=int(missing.sum()))
    return out


def parse_background_knowledge(background_knowledge, names):
    """``{"forbidden": [(a, b), ...], "required": [...]}`` of node names -> pairs of node indices.

    Raises a ``ValueError`` naming the problem for unknown keys or nodes, self-loops, edges both
    forbidden and required, and required edges that form a cycle.

    Examples
    --------
    >>> from sklearn_causalmix.augment._nodes import parse_background_knowledge
    >>> parse_background_knowledge({"required": [("a", "y")]}, ["a", "b", "y"])
    {'forbidden': [], 'required': [(0, 2)]}
    """
    bk = background_knowledge or {}
    unknown_keys = set(bk) - {"forbidden", "required"}
    if unknown_keys:
        raise ValueError(
            f"background_knowledge keys must be 'forbidden' and/or 'required', got "
            f"{sorted(unknown_keys)}."
        )
    index = {n: i for i, n in enumerate(names)}
    parsed = {}
    for key in ("forbidden", "required"):
        edges = []
        for edge in bk.get(key, ()) or ():
            if not isinstance(edge, (tuple, list)) or len(edge) != 2:
                raise ValueError(
                    f"background_knowledge[{key!r}] must hold (a, b) pairs of node names, "
                    f"got {edge!r}."
                )
            a, b = (str(v) for v in edge)
            missing = [v for v in (a, b) if v not in index]
            if missing:
                raise ValueError(
                    f"background_knowledge[{key!r}] names unknown nodes {missing}; valid "
                    f"nodes are the features and the target: {names}."
                )
            if a == b:
                raise ValueError(f"background_knowledge[{key!r}] holds a self-loop {edge!r}.")
            edges.append((index[a], index[b]))
        parsed[key] = edges
    clash = set(parsed["forbidden"]) & set(parsed["required"])
    if clash:
        pairs = [(names[a], names[b]) for a, b in sorted(clash)]
        raise ValueError(f"Edges {pairs} are both forbidden and required.")
    if parsed["required"] and not nx.is_directed_acyclic_graph(
        nx.DiGraph(parsed["required"])
    ):
        raise ValueError(
            "The required edges of background_knowledge form a cycle; a DAG cannot hold them."
        )
    return parsed


def fixed_graph_probabilities(discovery, names, n_required=None):
    """Edge probabilities from a user-given DiGraph or adjacency DataFrame over ``names``.

    An adjacency DataFrame covers either all ``names`` or the first ``n_required`` (the features
    and the target; the missingness indicators after them then get no edge).

    Examples
    --------
    >>> import networkx as nx
    >>> from sklearn_causalmix.augment._nodes import fixed_graph_probabilities
    >>> fixed_graph_probabilities(nx.DiGraph([("a", "y")]), ["a", "y"]).tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """
    index = {n: i for i, n in enumerate(names)}
    probabilities = np.zeros((len(names), len(names)))
    if isinstance(discovery, nx.DiGraph):
        nodes = [str(v) for v in discovery.nodes]
        unknown = [v for v in nodes if v not in index]
        if unknown:
            raise ValueError(
                f"discovery graph has nodes {unknown} that are neither features nor the "
                f"target; valid nodes: {names}."
            )
        if not nx.is_directed_acyclic_graph(discovery):
            raise ValueError(
                "discovery graph has a cycle; pass an acyclic networkx.DiGraph, or an "
                "adjacency DataFrame of edge probabilities (cycles are then broken)."
            )
        for a, b in discovery.edges:
            probabilities[index[str(a)], index[str(b)]] = 1.0
        return probabilities
    frame = discovery
    rows, cols = [str(v) for v in frame.index], [str(v) for v in frame.columns]
    given = names if sorted(rows) == sorted(names) else names[:n_required]
    if sorted(rows) != sorted(given) or sorted(cols) != sorted(given):
        raise ValueError(
            f"discovery adjacency DataFrame must have index and columns equal to the feature "
            f"names plus the target name {names[:n_required]}; got index {rows} and columns "
            f"{cols}."
        )
    values = np.asarray(frame.to_numpy(dtype=float, na_value=np.nan))
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
        raise ValueError(
            "discovery adjacency DataFrame must hold edge probabilities in [0, 1] without "
            "missing values."
        )
    r = [rows.index(n) for n in given]
    c = [cols.index(n) for n in given]
    probabilities[: len(given), : len(given)] = values[np.ix_(r, c)]
    np.fill_diagonal(probabilities, 0.0)
    return probabilities
