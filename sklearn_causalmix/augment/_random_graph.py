"""RandomGraphSCMAugmenter: the causal augmenter's SCMs fitted on random graphs, a control."""

from __future__ import annotations

from sklearn_causalmix.augment._augmenter import CausalSCMAugmenter
from sklearn_causalmix.augment._dag import random_dag_like

__all__ = ["RandomGraphSCMAugmenter"]


class RandomGraphSCMAugmenter(CausalSCMAugmenter):
    """Random-graph control: SCMs fitted on random DAGs with the discovered graphs' edge counts.

    Everything is :class:`~sklearn_causalmix.CausalSCMAugmenter`'s -- discovery, the edge
    probabilities, the ``n_graphs`` sampled DAGs, the mechanisms and how they are fitted, the
    sampling -- except the graphs the SCMs are fitted on: each sampled DAG is replaced by a
    random DAG over the same nodes (features, the target and missingness indicators) with the
    same number of edges (a random order of the nodes, then that many forward pairs drawn
    uniformly), drawn from ``random_state``.
    So only the graph differs from the causal augmenter: comparing the two in the study says
    whether the *discovered* graph matters, or any graph with as many edges would do.

    A subclass rather than a parameter of ``CausalSCMAugmenter``: the causal augmenter's
    parameters (and so the cache keys of runs made with it) stay as they were, the control has
    its own name in results and its own fitted attribute :attr:`discovered_graphs_`, and a
    "causal" augmenter is never configured to ignore its graph.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    graphs_ : list of networkx.DiGraph
        The random DAGs the SCMs are fitted on, one per discovered DAG.
    discovered_graphs_ : list of networkx.DiGraph
        The DAGs sampled from the edge probabilities (those ``CausalSCMAugmenter`` would use);
        ``graphs_[k]`` has the nodes and the edge count of ``discovered_graphs_[k]``.
    edge_probabilities_ : DataFrame of shape (n_nodes, n_nodes)
        The discovered edge probabilities (see ``CausalSCMAugmenter``).
    scms_ : list of dowhy.gcm.StructuralCausalModel
        One fitted SCM per random DAG.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_prior_ : ndarray of shape (n_classes,)
        Share of each class in the training labels.
    target_name_ : str
        Name of the target node (see ``CausalSCMAugmenter``).
    sampling_strategy_ : OrderedDict
        ``{{class: synthetic rows}}`` that :meth:`fit_resample` adds; set only when
        ``sampling_strategy`` is not None.
    schema_ : TableSchema
        Column kinds, levels and dtypes of the training table.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`; only when ``X`` has string column names.

    See Also
    --------
    CausalSCMAugmenter : The same augmenter on the discovered graphs.
    IndependenceAugmenter : The control without any dependence.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix.augment import RandomGraphSCMAugmenter
    >>> rng = np.random.RandomState(0)
    >>> a = rng.normal(size=300)
    >>> X = pd.DataFrame({{"a": a, "b": a + rng.normal(size=300), "c": rng.normal(size=300)}})
    >>> y = pd.Series((X["b"] > 0).astype(int), name="y")
    >>> aug = RandomGraphSCMAugmenter(n_bootstrap=2, n_graphs=3, random_state=0).fit(X, y)
    >>> [(g.number_of_edges(), r.number_of_edges())
    ...  for g, r in zip(aug.discovered_graphs_, aug.graphs_)]
    [(2, 2), (2, 2), (2, 2)]
    >>> any(set(g.edges) != set(r.edges) for g, r in zip(aug.discovered_graphs_, aug.graphs_))
    True
    >>> aug.sample(5)[0].shape
    (5, 3)
    """

    def _graphs(self, probabilities, model_names, rng):
        self.discovered_graphs_ = super()._graphs(probabilities, model_names, rng)
        return [random_dag_like(dag, rng) for dag in self.discovered_graphs_]


def _parameters_section(doc):
    """The body of the ``Parameters`` section of a class docstring, indented as written."""
    start = doc.index("    Parameters\n    ----------\n") + len("    Parameters\n    ----------\n")
    end = doc.index("\n\n    Attributes\n    ----------\n", start)
    return doc[start:end].strip()


# One definition of the parameters (the parent's): the control has exactly the same ones.
RandomGraphSCMAugmenter.__doc__ = RandomGraphSCMAugmenter.__doc__.format(
    parameters=_parameters_section(CausalSCMAugmenter.__doc__))
