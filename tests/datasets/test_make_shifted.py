import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from sklearn_causalmix.datasets import make_shifted_classification
from sklearn_causalmix.datasets._synthetic import _ShiftedSCM


@pytest.fixture(autouse=True)
def _one_thread():
    # Fits here are tiny; native thread pools only oversubscribe the 2 cores under pytest -n 2.
    with threadpool_limits(1):
        yield

# The keys of load_shifted_dataset's Bunch (test_shifted_datasets.py checks them there).
BUNCH_KEYS = {
    "X", "y", "domain", "domain_name", "domain_labels", "shift", "target_name", "target_names",
    "feature_names", "categorical_features", "n_dropped", "n_rows_with_missing_features",
    "description", "license", "source", "citation", "name",
}


def _scm(seed, shift, strength=1.0, n_features=8, n_categorical=2):
    rng = check_random_state(seed)
    generator = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
    return _ShiftedSCM(n_features, n_categorical, shift, strength, generator)


def test_layout_matches_real_datasets():
    data = make_shifted_classification(n_samples=300, n_features=6, n_categorical=2, random_state=0)
    assert set(data) == BUNCH_KEYS | {"graph", "adjacency"}
    assert data.X.shape == (300, 6) and list(data.X.columns) == data.feature_names
    assert data.y.name == "y" and set(np.unique(data.y)) == {0, 1}
    assert data.domain.dtype == np.int64 and np.bincount(data.domain).tolist() == [150, 150]
    assert len(data.categorical_features) == 2
    for column in data.categorical_features:
        assert list(data.X[column].cat.categories) == ["a", "b", "c"]
    numeric = [c for c in data.X.columns if c not in data.categorical_features]
    assert all(pd.api.types.is_float_dtype(data.X[c]) for c in numeric)


def test_target_fraction():
    data = make_shifted_classification(n_samples=100, target_fraction=0.2, random_state=0)
    assert np.bincount(data.domain).tolist() == [80, 20]


@pytest.mark.parametrize("seed", range(5))
def test_graph_is_a_dag_with_label_causes_and_effects(seed):
    data = make_shifted_classification(n_samples=50, n_features=7, random_state=seed)
    graph = data.graph
    assert nx.is_directed_acyclic_graph(graph)
    assert set(graph.nodes) == {*data.feature_names, "y"}
    assert len(list(graph.predecessors("y"))) >= 2
    assert len(list(graph.successors("y"))) >= 1
    expected = nx.to_numpy_array(graph, nodelist=list(data.adjacency.index))
    np.testing.assert_array_equal(data.adjacency.to_numpy(), expected)
    assert {graph.nodes[n]["kind"] for n in data.categorical_features} == {"categorical"}
    assert graph.nodes["y"]["kind"] == "label"


def test_reproducible_and_seed_dependent():
    first = make_shifted_classification(n_samples=200, shift="both", random_state=7)
    second = make_shifted_classification(n_samples=200, shift="both", random_state=7)
    pd.testing.assert_frame_equal(first.X, second.X)
    pd.testing.assert_series_equal(first.y, second.y)
    assert nx.utils.graphs_equal(first.graph, second.graph)
    other = make_shifted_classification(n_samples=200, shift="both", random_state=8)
    assert not first.X.equals(other.X)


def test_shift_kinds_share_graph_and_source_rows():
    data = {
        shift: make_shifted_classification(n_samples=400, shift=shift, random_state=3)
        for shift in ("covariate", "concept", "both")
    }
    source = data["covariate"].domain == 0
    for shift in ("concept", "both"):
        assert nx.utils.graphs_equal(
            nx.DiGraph(data[shift].graph.edges), nx.DiGraph(data["covariate"].graph.edges)
        )
        pd.testing.assert_frame_equal(data[shift].X[source], data["covariate"].X[source])
        pd.testing.assert_series_equal(data[shift].y[source], data["covariate"].y[source])


def test_shifted_flags_and_public_root_shift():
    covariate = make_shifted_classification(n_samples=2000, shift="covariate", random_state=1)
    concept = make_shifted_classification(n_samples=2000, shift="concept", random_state=1)
    roots = [n for n in covariate.graph if covariate.graph.in_degree(n) == 0]
    assert all(covariate.graph.nodes[n]["shifted"] for n in roots)
    assert not covariate.graph.nodes["y"]["shifted"]
    assert concept.graph.nodes["y"]["shifted"]
    assert not any(concept.graph.nodes[n]["shifted"] for n in roots)
    numeric_roots = [n for n in roots if n not in covariate.categorical_features]
    assert numeric_roots
    for data, moved in ((covariate, True), (concept, False)):
        X, domain = data.X, data.domain
        gaps = [abs(X[n][domain == 1].mean() - X[n][domain == 0].mean()) for n in numeric_roots]
        assert (min(gaps) > 0.5) if moved else (max(gaps) < 0.15)


@pytest.mark.parametrize("seed", range(4))
def test_covariate_shift_moves_roots_but_keeps_label_mechanism(seed):
    scm = _scm(seed, "covariate")
    rng = np.random.default_rng(0)
    source, target = scm.sample(5000, 0, rng), scm.sample(5000, 1, rng)
    numeric_roots = [n for n in scm.roots if scm.kind[n] == "numeric"]
    for root in numeric_roots:   # |mean shift| >= 0.75 and scale x1.5 at strength 1
        assert abs(target[root].mean() - source[root].mean()) > 0.5
        assert target[root].std() / source[root].std() > 1.3
    # P(y | parents of y) is the same function in both domains
    np.testing.assert_allclose(scm.label_proba(source, 0), scm.label_proba(source, 1))
    np.testing.assert_allclose(scm.label_proba(target, 0), scm.label_proba(target, 1))


@pytest.mark.parametrize("seed", range(4))
def test_concept_shift_changes_label_mechanism_only(seed):
    scm = _scm(seed, "concept")
    rng = np.random.default_rng(0)
    source, target = scm.sample(5000, 0, rng), scm.sample(5000, 1, rng)
    change = np.abs(scm.label_proba(source, 0) - scm.label_proba(source, 1))
    assert change.mean() > 0.1
    for root in scm.roots:   # root distributions unchanged
        if scm.kind[root] == "numeric":
            assert abs(target[root].mean() - source[root].mean()) < 0.1
        else:
            gap = np.bincount(target[root], minlength=3) - np.bincount(source[root], minlength=3)
            assert np.abs(gap).max() / 5000 < 0.05


def test_zero_strength_means_no_shift():
    for shift in ("covariate", "concept", "both"):
        scm = _scm(0, shift, strength=0.0)
        assert all(value == (0.0, 1.0) for value in scm.root_shift.values())
        values = scm.sample(100, 0, np.random.default_rng(0))
        np.testing.assert_allclose(scm.label_proba(values, 0), scm.label_proba(values, 1))


def _domain_gain(data):
    """Held-out log-loss gained by also showing the model the domain: ~0 iff P(y|x) is shared."""
    X = data.X.assign(domain=data.domain)
    train = np.random.default_rng(0).uniform(size=len(X)) < 0.6
    losses = []
    for columns in (data.feature_names, [*data.feature_names, "domain"]):
        model = HistGradientBoostingClassifier(
            max_iter=40, categorical_features="from_dtype", random_state=0
        ).fit(X.loc[train, columns], data.y[train])
        losses.append(log_loss(data.y[~train], model.predict_proba(X.loc[~train, columns])))
    return losses[0] - losses[1]


def test_p_y_given_x_shared_under_covariate_shift_only():
    covariate = make_shifted_classification(n_samples=4000, n_features=6, random_state=0)
    concept = make_shifted_classification(
        n_samples=4000, n_features=6, shift="concept", random_state=0
    )
    assert abs(_domain_gain(covariate)) < 0.01
    assert _domain_gain(concept) > 0.03


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_features": 3, "n_categorical": 4}, "n_categorical=4 exceeds n_features=3"),
        ({"n_samples": 5, "target_fraction": 0.1}, "each domain needs at least 2"),
        ({"shift": "label"}, "'shift' parameter"),
        ({"shift_strength": -1.0}, "'shift_strength' parameter"),
        ({"n_features": 1}, "'n_features' parameter"),
        ({"target_fraction": 1.0}, "'target_fraction' parameter"),
    ],
)
def test_bad_parameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_shifted_classification(**kwargs)


def test_two_features_work():
    data = make_shifted_classification(n_samples=100, n_features=2, n_categorical=0,
                                       shift="both", random_state=0)
    assert data.X.shape == (100, 2)
    assert len(list(data.graph.predecessors("y"))) == 1
