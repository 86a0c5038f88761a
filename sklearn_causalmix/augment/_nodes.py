"""Node handling of CausalSCMAugmenter: names, constant/duplicate columns, user-given graph edges.

Which columns become nodes of the causal model, what the target node is called, and checks of the
background knowledge and of a fixed graph given by the user.
Missing values are imputed before, by :class:`~sklearn_causalmix.augment._base.BaseAugmenter`.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

__all__ = [
    "constant_and_duplicate_columns",
    "fixed_graph_probabilities",
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


def constant_and_duplicate_columns(table):
    """Columns that carry nothing for the causal model.

    Parameters
    ----------
    table : EncodedTable
        The imputed, encoded training table.

    Returns
    -------
    constant : list of int
        Columns with a single observed value.
    duplicates : dict
        ``{column: source}``: the column equals the earlier column ``source`` (same values, same
        missing positions), or the target codes (``source = -1``, no missing value).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix._core import TableSchema
    >>> from sklearn_causalmix.augment._base import EncodedTable
    >>> from sklearn_causalmix.augment._nodes import constant_and_duplicate_columns
    >>> codes = np.array([[1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 0.0, 2.0]])
    >>> table = EncodedTable(TableSchema.from_data(codes), codes, np.zeros((3, 4), bool),
    ...                      np.zeros(4), np.array([1, 1, 0]), np.array([0, 1]), None)
    >>> constant_and_duplicate_columns(table)
    ([0], {2: -1, 3: 1})
    """
    codes, missing = table.codes, table.missing
    n_features = codes.shape[1]
    constant = [j for j in range(n_features) if np.ptp(codes[:, j]) == 0]
    target = table.target.astype(np.float64)
    duplicates, first_with = {}, {}
    for j in range(n_features):
        if j in constant:
            continue
        key = np.where(missing[:, j], np.inf, codes[:, j]).tobytes()
        if not missing[:, j].any() and np.array_equal(codes[:, j], target):
            duplicates[j] = -1  # a copy of the target codes
        elif key in first_with:
            duplicates[j] = first_with[key]
        else:
            first_with[key] = j
    return constant, duplicates


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


def fixed_graph_probabilities(discovery, names):
    """Edge probabilities from a user-given DiGraph or adjacency DataFrame over ``names``.

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
    if sorted(rows) != sorted(names) or sorted(cols) != sorted(names):
        raise ValueError(
            f"discovery adjacency DataFrame must have index and columns equal to the feature "
            f"names plus the target name {names}; got index {rows} and columns {cols}."
        )
    values = np.asarray(frame.to_numpy(dtype=float, na_value=np.nan))
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
        raise ValueError(
            "discovery adjacency DataFrame must hold edge probabilities in [0, 1] without "
            "missing values."
        )
    r = [rows.index(n) for n in names]
    c = [cols.index(n) for n in names]
    probabilities = values[np.ix_(r, c)].copy()
    np.fill_diagonal(probabilities, 0.0)
    return probabilities

