"""DAG sampling from edge probabilities."""

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_causalmix.augment._dag import break_cycles, sample_dag, sample_dags


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 8)), elements=st.floats(0, 1)),
    st.integers(0, 2**16),
)
def test_always_acyclic_with_all_nodes(P, seed):
    n = min(P.shape)
    P = P[:n, :n]
    names = [f"v{i}" for i in range(n)]
    dag = sample_dag(P, names, random_state=seed)
    assert nx.is_directed_acyclic_graph(dag)
    assert list(dag.nodes) == names
    for a, b in dag.edges:
        assert P[names.index(a), names.index(b)] > 0  # only edges with positive probability


def test_certain_edges_are_kept_and_impossible_ones_never_drawn():
    P = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=float)
    for dag in sample_dags(P, ["a", "b", "c"], 10, random_state=0):
        assert set(dag.edges) == {("a", "b"), ("b", "c")}


def test_cycle_drops_the_least_probable_edge():
    P = np.array([[0, 1, 0], [0, 0, 1], [0.99, 0, 0]])  # the cycle a -> b -> c -> a is likely
    dags = sample_dags(P, ["a", "b", "c"], 30, random_state=0)
    for dag in dags:
        assert nx.is_directed_acyclic_graph(dag)
        assert ("a", "b") in dag.edges and ("b", "c") in dag.edges
    G = nx.DiGraph([("a", "b"), ("b", "a")])
    break_cycles(G, np.array([[0, 0.7], [0.3, 0]]), {"a": 0, "b": 1}, np.random.RandomState(0))
    assert list(G.edges) == [("a", "b")]


def test_edge_frequencies_follow_probabilities():
    P = np.array([[0, 0.6], [0.3, 0]])
    dags = sample_dags(P, ["a", "b"], 2000, random_state=0)
    fw = np.mean([d.has_edge("a", "b") for d in dags])
    bw = np.mean([d.has_edge("b", "a") for d in dags])
    assert abs(fw - 0.6) < 0.04 and abs(bw - 0.3) < 0.04


def test_pairs_over_one_are_normalised():
    P = np.array([[0, 1.0], [1.0, 0]])
    dags = sample_dags(P, ["a", "b"], 400, random_state=1)
    fw = np.mean([d.has_edge("a", "b") for d in dags])
    assert abs(fw - 0.5) < 0.08
    assert all(d.number_of_edges() == 1 for d in dags)


def test_reproducible():
    P = np.random.RandomState(0).rand(6, 6) * 0.5
    a = [sorted(d.edges) for d in sample_dags(P, list("abcdef"), 5, random_state=3)]
    b = [sorted(d.edges) for d in sample_dags(P, list("abcdef"), 5, random_state=3)]
    assert a == b
