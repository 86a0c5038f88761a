"""Causal discovery: marks -> weights, Fisher-z, PC skeleton/orientation, FCI, bootstrap."""

import warnings

import numpy as np
import pytest

from sklearn_causalmix.augment import _discovery as D
from sklearn_causalmix.augment import _fci, _independence, _pc

# --------------------------------------------------------------------------- direction weights


@pytest.mark.parametrize(
    "mark_i, mark_j, w_ij, w_ji",
    [
        (-1, 1, 1.0, 0.0),  # i -> j
        (1, -1, 0.0, 1.0),  # i <- j
        (2, 1, 1.0, 0.0),  # i o-> j
        (1, 2, 0.0, 1.0),  # i <-o j
        (-1, -1, 0.5, 0.5),  # i - j (PC undirected)
        (2, 2, 0.5, 0.5),  # i o-o j
        (1, 1, 0.5, 0.5),  # i <-> j (latent confounder)
        (2, -1, 0.5, 0.5),  # i o- j
        (0, 0, 0.0, 0.0),  # no edge
    ],
)
def test_direction_weights_for_every_mark_pair(mark_i, mark_j, w_ij, w_ji):
    marks = np.zeros((2, 2), dtype=int)
    marks[0, 1], marks[1, 0] = mark_i, mark_j  # marks[i, j] is the mark at i
    W = D.direction_weights(marks)
    assert (W[0, 1], W[1, 0]) == (w_ij, w_ji)


def test_resolve_indep_test():
    assert _independence.resolve_indep_test("auto", [False, False]) == "fisherz"
    assert _independence.resolve_indep_test("auto", [True, True]) == "gsq"
    assert _independence.resolve_indep_test("auto", [True, False]) == "copula_fisherz"
    assert _independence.resolve_indep_test("chisq", [False]) == "chisq"


def test_prepare_discovery_data_copula_is_rank_based():
    rng = np.random.RandomState(0)
    x = rng.normal(size=100)
    data = np.c_[x, np.exp(x), (x > 0).astype(float)]
    out = _independence.prepare_discovery_data(data, [False, False, True], "copula_fisherz")
    np.testing.assert_allclose(out[:, 0], out[:, 1])  # monotone transforms give equal scores


# --------------------------------------------------------------------------- Fisher-z


def test_fast_fisherz_matches_causal_learn():
    from itertools import combinations

    from causallearn.utils.cit import CIT

    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 6))
    X[:, 2] += X[:, 0] - X[:, 1]
    X[:, 4] += 0.7 * X[:, 2]
    reference, fast = CIT(X, "fisherz"), _independence.FisherZTest(X)
    for S in [(), (3,), (1, 3), (0, 1, 3), (0, 1, 3, 5)]:
        for x, y in combinations(range(6), 2):
            if x not in S and y not in S:
                assert fast(x, y, S) == pytest.approx(reference(x, y, S), abs=1e-10)


def test_fast_fisherz_degenerate_columns():
    rng = np.random.RandomState(0)
    a = rng.normal(size=50)
    data = np.c_[a, a, np.ones(50), rng.normal(size=50)]  # duplicate and constant columns
    test = _independence.FisherZTest(data)
    assert test(0, 2, ()) == 1.0  # a constant carries no evidence of dependence
    assert 0.0 <= test(0, 3, (1,)) <= 1.0  # exact collinearity does not raise


# --------------------------------------------------------------------------- PC


def _linear_sem(edges, n, seed, p):
    rng = np.random.RandomState(seed)
    X = np.zeros((n, p))
    for j in range(p):  # node order is a topological order
        for a, b, w in edges:
            if b == j:
                X[:, j] += w * X[:, a]
        X[:, j] += rng.normal(size=n)
    return X


def test_skeleton_matches_causal_learn_pc_on_random_graphs():
    from causallearn.search.ConstraintBased.PC import pc

    for seed in range(8):
        rng = np.random.RandomState(seed)
        p = 7
        edges = [
            (a, b, rng.uniform(0.5, 1.5) * rng.choice([-1, 1]))
            for b in range(p)
            for a in range(b)
            if rng.rand() < 0.3
        ]
        X = _linear_sem(edges, 1000, seed, p)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = pc(X, 0.05, "fisherz", show_progress=False).G.graph != 0
        adj, _ = _pc.skeleton(_independence.make_independence_test(X, "fisherz"), p, 0.05)
        np.testing.assert_array_equal(adj, reference)


def test_orient_pc_textbook_cases():
    # collider 0 -> 2 <- 1 plus 2 - 3: Meek R1 orients 2 -> 3
    adj = np.zeros((4, 4), dtype=bool)
    for a, b in [(0, 2), (1, 2), (2, 3)]:
        adj[a, b] = adj[b, a] = True
    sepsets = {(0, 1): (), (0, 3): (2,), (1, 3): (2,)}
    M = _pc.orient_pc(adj, sepsets)
    W = D.direction_weights(M)
    assert W[0, 2] == W[1, 2] == W[2, 3] == 1.0
    # chain 0 - 1 - 2 with 1 in the separating set stays undirected
    adj = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=bool)
    M = _pc.orient_pc(adj, {(0, 2): (1,)})
    assert M[0, 1] == M[1, 0] == M[1, 2] == M[2, 1] == -1


def test_orient_pc_background_knowledge():
    adj = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=bool)
    M = _pc.orient_pc(adj, {(0, 2): (1,)}, required=[(1, 0)])
    assert (M[1, 0], M[0, 1]) == (-1, 1)  # 1 -> 0
    M = _pc.orient_pc(adj, {(0, 2): ()}, forbidden=[(0, 1)])  # forbids half of the collider
    assert D.direction_weights(M)[0, 1] == 0.0


# --------------------------------------------------------------------------- FCI


def test_fci_finds_a_latent_confounder():
    # a -> b <- L -> c <- d with L hidden: FCI gives a o-> b <-> c <-o d
    rng = np.random.RandomState(0)
    n = 3000
    a, d, L = rng.normal(size=(3, n))
    b = a + 1.5 * L + 0.5 * rng.normal(size=n)
    c = d + 1.5 * L + 0.5 * rng.normal(size=n)
    data = np.c_[a, b, c, d]
    test = _independence.make_independence_test(data, "fisherz")
    adj, sepsets = _pc.skeleton(test, 4, 0.01)
    M = _fci.orient_fci(adj, sepsets, test, 0.01, None, data, _fci.POSSIBLE_DSEP_MAX_SIZE)
    assert M[1, 2] == 1 and M[2, 1] == 1  # b <-> c
    assert M[1, 0] == 1 and M[2, 3] == 1  # arrowheads into b and c
    W = D.direction_weights(M)
    assert W[0, 1] == 1.0 and W[3, 2] == 1.0 and W[1, 2] == W[2, 1] == 0.5


def test_possible_dsep_stage_removes_edge_separated_outside_adjacencies():
    # x o-o y, x o-> u <-o w, u o-o y: w is in Possible-D-SEP(x) through the collider at u but
    # adjacent to neither x nor y; an oracle says x _||_ y | {w} only.
    from causallearn.graph.Edge import Edge
    from causallearn.graph.Endpoint import Endpoint
    from causallearn.graph.GeneralGraph import GeneralGraph
    from causallearn.graph.GraphNode import GraphNode

    nodes = [GraphNode(name) for name in ("x", "y", "u", "w")]
    graph = GeneralGraph(nodes)
    x, y, u, w = nodes
    graph.add_edge(Edge(x, y, Endpoint.CIRCLE, Endpoint.CIRCLE))
    graph.add_edge(Edge(x, u, Endpoint.CIRCLE, Endpoint.ARROW))
    graph.add_edge(Edge(w, u, Endpoint.CIRCLE, Endpoint.ARROW))
    graph.add_edge(Edge(u, y, Endpoint.CIRCLE, Endpoint.CIRCLE))
    assert _fci.possible_dsep(graph.graph, 0) == [1, 2, 3]
    calls = []

    def oracle(a, b, S):
        calls.append((a, b, tuple(S)))
        return 1.0 if (a, b, tuple(S)) == (0, 1, (3,)) else 0.0

    sep_sets = {}
    _fci.possible_dsep_removal(graph, nodes, oracle, 0.05, sep_sets, max_size=2)
    assert graph.get_edge(x, y) is None
    assert sep_sets[(0, 1)] == {3}
    assert (0, 1, (2,)) not in calls  # {u} is inside Adj(x): already tested before


def test_possible_dsep_size_cap():
    from causallearn.graph.Edge import Edge
    from causallearn.graph.Endpoint import Endpoint
    from causallearn.graph.GeneralGraph import GeneralGraph
    from causallearn.graph.GraphNode import GraphNode

    nodes = [GraphNode(f"v{i}") for i in range(4)]
    graph = GeneralGraph(nodes)
    graph.add_edge(Edge(nodes[0], nodes[1], Endpoint.CIRCLE, Endpoint.CIRCLE))
    graph.add_edge(Edge(nodes[0], nodes[2], Endpoint.CIRCLE, Endpoint.ARROW))
    graph.add_edge(Edge(nodes[3], nodes[2], Endpoint.CIRCLE, Endpoint.ARROW))
    sizes = []

    def never_independent(a, b, S):
        sizes.append(len(S))
        return 0.0

    _fci.possible_dsep_removal(graph, nodes, never_independent, 0.05, {}, max_size=1)
    assert max(sizes) == 1


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_recovers_chain_fork_collider_skeleton():
    # 0 -> 1 -> 2 (chain), 1 -> 3 (fork at 1), 2 -> 4 <- 3 (collider at 4); 2,000 rows
    edges = [(0, 1, 1.0), (1, 2, 0.9), (1, 3, 0.8), (2, 4, 0.8), (3, 4, 0.6)]
    X = _linear_sem(edges, 2000, 0, 5)
    P, test = D.bootstrap_edge_probabilities(
        X, [False] * 5, method="pc+fci", n_bootstrap=5, random_state=0
    )
    assert test == "fisherz"
    S = P + P.T
    truth = np.zeros((5, 5), dtype=bool)
    for a, b, _ in edges:
        truth[a, b] = truth[b, a] = True
    np.testing.assert_array_equal(S > 0.5, truth)
    assert P[2, 4] >= 0.8 and P[3, 4] >= 0.8  # the collider is oriented (most resamples)
    assert np.all(P <= 1) and np.all(S <= 1 + 1e-12)


def test_bootstrap_is_reproducible_and_respects_strata():
    X = _linear_sem([(0, 1, 1.0), (1, 2, 1.0)], 300, 1, 3)
    strata = (X[:, 0] > 1.2).astype(int)
    idx = D._bootstrap_indices(300, strata, np.random.RandomState(0))
    assert np.bincount(strata[idx]).tolist() == np.bincount(strata).tolist()
    P1, _ = D.bootstrap_edge_probabilities(X, [False] * 3, n_bootstrap=3, random_state=4)
    P2, _ = D.bootstrap_edge_probabilities(X, [False] * 3, n_bootstrap=3, random_state=4)
    np.testing.assert_array_equal(P1, P2)


def test_bootstrap_discrete_tests_and_single_node():
    rng = np.random.RandomState(0)
    a = rng.randint(0, 3, 500)
    b = (a + rng.randint(0, 2, 500)) % 3
    c = rng.normal(size=500) + b
    P, test = D.bootstrap_edge_probabilities(
        np.c_[a, b, c], [True, True, False], indep_test="gsq", n_bootstrap=2, random_state=0
    )
    assert test == "gsq" and (P + P.T)[0, 1] > 0.5 and (P + P.T)[1, 2] > 0.5
    P1, _ = D.bootstrap_edge_probabilities(np.c_[a], [True], n_bootstrap=2)
    assert P1.shape == (1, 1)


def test_bootstrap_background_knowledge_is_passed_on():
    X = _linear_sem([(0, 1, 1.0)], 500, 2, 2)
    P, _ = D.bootstrap_edge_probabilities(
        X, [False, False], n_bootstrap=2, required=[(1, 0)], forbidden=[(0, 1)], random_state=0
    )
    assert P[1, 0] == 1.0 and P[0, 1] == 0.0
    P, _ = D.bootstrap_edge_probabilities(
        X, [False, False], n_bootstrap=2, forbidden=[(0, 1), (1, 0)], random_state=0
    )
    assert P.sum() == 0.0


# --------------------------------------------------------------------------- sparse discrete tables


def _wide_discrete(n_rows=200, n_cols=24, seed=0):
    """Columns of 2 to 9 levels, each a noisy copy of a shared latent score (all dependent)."""
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=n_rows)
    levels = 2 + np.arange(n_cols) % 8
    columns = [
        np.digitize(latent + rng.normal(size=n_rows), np.linspace(-2, 2, k - 1)) for k in levels
    ]
    return np.column_stack(columns).astype(float)


class _Counting:
    """A test that records every conditioning set it is asked about (and nothing else)."""

    def __init__(self, test):
        self.test, self.calls = test, []

    def __call__(self, x, y, S=()):
        self.calls.append((x, y, tuple(S)))
        return self.test(x, y, S)


def test_sparse_table_guard_degrees_of_freedom_and_refusal():
    data = _wide_discrete(n_rows=200, n_cols=8)  # levels 2, 3, ..., 9
    inner = _Counting(lambda x, y, S: 0.5)
    guard = _independence.SparseTableGuard(inner, data, min_rows_per_df=1)
    assert guard.cardinalities == [2, 3, 4, 5, 6, 7, 8, 9]
    assert guard.degrees_of_freedom(0, 1, (2,)) == 1 * 2 * 4
    assert guard.degrees_of_freedom(6, 7, ()) == 7 * 8
    assert guard(6, 7, ()) == 0.5  # 56 df <= 200 rows: performed
    assert guard(6, 7, (5,)) == 0.0  # 392 df > 200 rows: not performed, no independence
    assert inner.calls == [(6, 7, ())]
    assert (guard.n_performed, guard.n_skipped) == (1, 1)
    # k scales the rule: 2 * 56 <= 200, 4 * 56 > 200
    assert _independence.SparseTableGuard(inner, data, min_rows_per_df=2).testable(6, 7)
    assert not _independence.SparseTableGuard(inner, data, min_rows_per_df=4).testable(6, 7)


@pytest.mark.parametrize("k", [0.5, 1, 3])
def test_sparse_table_guard_sets_are_the_testable_combinations_in_order(k):
    from itertools import combinations

    data = _wide_discrete(n_rows=300, n_cols=12)
    data[:, 5] = 1.0  # a constant column: df 0 as x or y, factor 1 in S
    guard = _independence.SparseTableGuard(lambda x, y, S: 0.5, data, min_rows_per_df=k)
    others = [v for v in range(12) if v not in (0, 3)]
    for x, y in [(0, 3), (5, 3), (7, 11)]:
        others = [v for v in range(12) if v not in (x, y)]
        for size in range(5):
            expected = [S for S in combinations(others, size) if guard.testable(x, y, S)]
            assert list(guard.conditioning_sets(x, y, others, size)) == expected
    assert list(guard.conditioning_sets(5, 3, others, 2)) == list(combinations(others, 2))


def test_discrete_tests_are_guarded_and_fisherz_is_not():
    data = _wide_discrete(n_rows=200, n_cols=8)
    for name in ("gsq", "chisq"):
        test = _independence.make_independence_test(data, name)
        assert isinstance(test, _independence.SparseTableGuard)
        assert test.min_rows_per_df == _independence.MIN_ROWS_PER_DF
        from causallearn.utils.cit import CIT

        assert test(6, 7, ()) == CIT(data, name)(6, 7, ())  # performed: causal-learn's p-value
        assert test(6, 7, (5,)) == 0.0
    assert not hasattr(_independence.make_independence_test(data, "fisherz"), "conditioning_sets")


def test_skeleton_on_a_wide_discrete_table_tests_only_reliable_tables_and_stops_early():
    data = _wide_discrete()
    n_rows, n_cols = data.shape
    guard = _independence.make_independence_test(data, "gsq")
    performed = _Counting(guard.test)
    guard.test = performed
    adj, sepsets = _pc.skeleton(guard, n_cols, 0.05)
    assert performed.calls  # something was tested ...
    for x, y, S in performed.calls:  # ... and only tables with a row per degree of freedom
        assert guard.degrees_of_freedom(x, y, S) <= n_rows
    assert guard.n_skipped == 0  # the search never asked about an untestable set
    largest = max(len(S) for _, _, S in performed.calls)
    # the level after the last testable one offers nothing: the search stopped there, well
    # before the degree of the graph would have stopped it
    assert largest < adj.sum(axis=1).max() - 1
    assert all(len(S) <= largest for S in sepsets.values())

    # the same graph as asking the guard about every subset (no enumeration shortcut, no early
    # stop), which refuses the sparse ones with p = 0 ...
    plain = _independence.make_independence_test(data, "gsq")
    adj_plain, sepsets_plain = _pc.skeleton(lambda x, y, S: plain(x, y, S), n_cols, 0.05)
    np.testing.assert_array_equal(adj, adj_plain)
    assert sepsets == sepsets_plain
    assert plain.n_skipped > 0  # the rule engaged
    # ... and deterministic
    again = _pc.skeleton(_independence.make_independence_test(data, "gsq"), n_cols, 0.05)
    np.testing.assert_array_equal(adj, again[0])
    assert sepsets == again[1]


def test_bootstrap_on_a_wide_discrete_table_is_bounded_and_reproducible():
    data = _wide_discrete(n_rows=120, n_cols=16, seed=1)
    counts = []
    original = _independence.SparseTableGuard.__init__

    def record(self, *args, **kwargs):
        original(self, *args, **kwargs)
        counts.append(self)

    kwargs = {"method": "pc+fci", "n_bootstrap": 2, "random_state": 0}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_independence.SparseTableGuard, "__init__", record)
        P1, test = D.bootstrap_edge_probabilities(data, [True] * 16, **kwargs)
    P2, _ = D.bootstrap_edge_probabilities(data, [True] * 16, **kwargs)
    assert test == "gsq"
    np.testing.assert_array_equal(P1, P2)
    assert len(counts) == 2 and all(g.n_performed > 0 and g.n_skipped > 0 for g in counts)


def test_possible_dsep_stage_offers_a_guarded_test_only_testable_sets():
    from causallearn.graph.Edge import Edge
    from causallearn.graph.Endpoint import Endpoint
    from causallearn.graph.GeneralGraph import GeneralGraph
    from causallearn.graph.GraphNode import GraphNode

    nodes = [GraphNode(f"v{i}") for i in range(4)]
    graph = GeneralGraph(nodes)  # 0 o-o 1, 0 o-> 2 <-o 3: Possible-D-SEP(0) holds 3
    graph.add_edge(Edge(nodes[0], nodes[1], Endpoint.CIRCLE, Endpoint.CIRCLE))
    graph.add_edge(Edge(nodes[0], nodes[2], Endpoint.CIRCLE, Endpoint.ARROW))
    graph.add_edge(Edge(nodes[3], nodes[2], Endpoint.CIRCLE, Endpoint.ARROW))
    rng = np.random.RandomState(0)
    data = np.c_[rng.randint(0, 2, (50, 2)), rng.randint(0, 9, (50, 2))]  # 2, 2, 9, 9 levels
    inner = _Counting(lambda x, y, S: 0.0)
    guard = _independence.SparseTableGuard(inner, data, min_rows_per_df=1)
    _fci.possible_dsep_removal(graph, nodes, guard, 0.05, {}, max_size=2)
    assert (0, 1, (3,)) in inner.calls  # 9 df: tested
    assert guard.n_skipped == 0  # {2, 3} (81 df > 50 rows) was never offered
    assert all(guard.degrees_of_freedom(*call) <= 50 for call in inner.calls)
