"""Behaviour of CausalSCMAugmenter: formats, determinism, resampling, missing values, errors."""

import warnings

import joblib
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_causalmix import CausalSCMAugmenter
from sklearn_causalmix._core import largest_remainder
from sklearn_causalmix.augment import _sampling

CHEAP = dict(n_bootstrap=2, n_graphs=2, random_state=0)


def test_pandas_in_pandas_out(mixed):
    X, y = mixed
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    X_syn, y_syn = aug.sample(120)
    assert isinstance(X_syn, pd.DataFrame) and isinstance(y_syn, pd.Series)
    assert list(X_syn.columns) == list(X.columns)
    assert (X_syn.dtypes == X.dtypes).all()
    assert y_syn.name == "outcome" and y_syn.dtype == y.dtype
    assert set(X_syn["colour"]) <= {"red", "blue"}
    assert X_syn["count"].between(X["count"].min(), X["count"].max()).all()
    assert set(y_syn) <= set(y)
    assert len(X_syn) == len(y_syn) == 120
    assert list(aug.feature_names_in_) == list(X.columns)
    assert aug.n_features_in_ == 5
    assert list(aug.edge_probabilities_.index) == list(X.columns) + ["outcome"]
    assert aug.target_name_ == "outcome"


def test_arrays_in_arrays_out():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 3)).astype(np.float32)
    y = np.where(X[:, 0] > 0, "pos", "neg")
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    X_syn, y_syn = aug.sample(40)
    assert isinstance(X_syn, np.ndarray) and X_syn.dtype == np.float32 and X_syn.shape == (40, 3)
    assert isinstance(y_syn, np.ndarray) and y_syn.dtype == y.dtype
    assert list(aug.edge_probabilities_.index) == ["x0", "x1", "x2", "target"]


def test_string_and_categorical_dtypes_are_restored(make_mixed):
    X, y = make_mixed()
    X["colour"] = X["colour"].astype("category")
    X["city"] = pd.Series(np.where(X["a"] > 0, "Oslo", "Rome"), dtype="string")
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y.astype("category"))
    X_syn, y_syn = aug.sample(50)
    assert X_syn["colour"].dtype == X["colour"].dtype
    assert X_syn["city"].dtype == X["city"].dtype
    assert y_syn.dtype == "category"


def test_y_as_single_column_frame(mixed):
    X, y = mixed
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y.to_frame())
    _, y_syn = aug.sample(10)
    assert isinstance(y_syn, pd.DataFrame) and list(y_syn.columns) == ["outcome"]


def test_same_seed_same_samples_across_fresh_fits(mixed):
    X, y = mixed
    a = CausalSCMAugmenter(**CHEAP).fit(X, y)
    b = CausalSCMAugmenter(**CHEAP).fit(X, y)
    Xa, ya = a.sample(100)
    Xb, yb = b.sample(100)
    pd.testing.assert_frame_equal(Xa, Xb)
    pd.testing.assert_series_equal(ya, yb)
    pd.testing.assert_frame_equal(a.edge_probabilities_, b.edge_probabilities_)
    Xc, _ = a.sample(100, random_state=1)
    assert not Xc.equals(Xa)


def test_sample_does_not_change_state_and_repeats(mixed):
    X, y = mixed
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    before = joblib.hash(aug)
    X1, y1 = aug.sample(80)
    X2, y2 = aug.sample(80)
    assert joblib.hash(aug) == before
    pd.testing.assert_frame_equal(X1, X2)
    pd.testing.assert_series_equal(y1, y2)


def test_unseeded_sample_draws_new_rows_each_call(mixed):
    X, y = mixed
    aug = CausalSCMAugmenter(n_bootstrap=2, n_graphs=2).fit(X, y)
    assert not aug.sample(40)[0].equals(aug.sample(40)[0])
    first, second = aug.sample(40, random_state=5)[0], aug.sample(40, random_state=5)[0]
    pd.testing.assert_frame_equal(first, second)


def test_failed_fit_sets_no_fitted_attribute(mixed, monkeypatch):
    from sklearn_causalmix.augment import _discovery

    def boom(*args, **kwargs):
        raise np.linalg.LinAlgError("singular")

    monkeypatch.setattr(_discovery, "skeleton", boom)
    X, y = mixed
    aug = CausalSCMAugmenter(**CHEAP)
    with pytest.raises(RuntimeError, match="Causal discovery"):
        aug.fit(X, y)
    fitted = [name for name in vars(aug) if name.endswith("_") and not name.startswith("_")]
    assert fitted == []


def test_global_numpy_rng_is_isolated(mixed):
    X, y = mixed
    np.random.seed(123)
    expected = np.random.rand()
    np.random.seed(123)
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    aug.sample(20)
    assert np.random.rand() == expected  # our calls restored the caller's global state
    np.random.seed(999)  # and the result does not depend on it
    other = CausalSCMAugmenter(**CHEAP).fit(X, y)
    pd.testing.assert_frame_equal(aug.sample(30)[0], other.sample(30)[0])


@pytest.mark.parametrize("ratio, n_syn", [(0.5, 300), (0.25, 100), (0.75, 900)])
def test_fit_resample_counts(mixed, ratio, n_syn):
    X, y = mixed
    aug = CausalSCMAugmenter(synthetic_ratio=ratio, **CHEAP)
    X_res, y_res = aug.fit_resample(X, y)
    assert len(X_res) == len(y_res) == 300 + n_syn
    pd.testing.assert_frame_equal(X_res.iloc[:300], X)  # all real rows first, unchanged
    pd.testing.assert_series_equal(y_res.iloc[:300], y)
    assert (X_res.dtypes == X.dtypes).all()


def test_fit_resample_ratio_one_and_zero(mixed):
    X, y = mixed
    X1, y1 = CausalSCMAugmenter(synthetic_ratio=1.0, **CHEAP).fit_resample(X, y)
    assert len(X1) == 300
    copies = X1.merge(X, how="inner").shape[0]  # whole rows identical to a real row
    assert copies < 30  # synthetic rows only (roots resample real values, rows rarely repeat)
    X0, y0 = CausalSCMAugmenter(synthetic_ratio=0.0, **CHEAP).fit_resample(X, y)
    assert X0 is X and y0 is y


def test_fit_resample_array_and_list_containers():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    X_res, y_res = CausalSCMAugmenter(**CHEAP).fit_resample(X, y)
    assert isinstance(X_res, np.ndarray) and X_res.shape == (120, 2)
    np.testing.assert_array_equal(X_res[:60], X)
    X_list, y_list = CausalSCMAugmenter(**CHEAP).fit_resample(X.tolist(), y.tolist())
    assert isinstance(X_list, list) and isinstance(y_list, list) and len(X_list) == 120


def test_class_proportions_match(mixed):
    X, y = mixed
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    _, y_syn = aug.sample(97)
    expected = largest_remainder(97, aug.class_prior_)
    assert y_syn.value_counts().reindex(aug.classes_).tolist() == expected.tolist()
    aug_free = CausalSCMAugmenter(match_class_balance=False, **CHEAP).fit(X, y)
    _, y_free = aug_free.sample(400)
    assert set(y_free) <= set(y)


def test_rare_class_falls_back_to_intervention(mixed, monkeypatch):
    X, y = mixed
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    monkeypatch.setattr(_sampling, "_MAX_REJECTION_ROUNDS", 0)
    with pytest.warns(UserWarning, match="rarely generate class"):
        X_syn, y_syn = aug.sample(50)
    assert y_syn.value_counts().reindex(aug.classes_).tolist() == (
        largest_remainder(50, aug.class_prior_).tolist()
    )
    assert (X_syn.dtypes == X.dtypes).all()


def test_missing_values_are_generated_not_dropped(mixed):
    # Missing values come from indicator nodes of the causal model: rates match in expectation.
    X, y = mixed
    X = X.copy()
    rng = np.random.RandomState(1)
    X.loc[rng.rand(300) < 0.2, "a"] = np.nan
    X.loc[rng.rand(300) < 0.1, "colour"] = np.nan
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    np.testing.assert_allclose(aug.missing_rate_[:2], [X["a"].isna().mean(), 0.0])
    assert aug.missing_indicators_ == {"a": "a__missing", "colour": "colour__missing"}
    X_syn, _ = aug.sample(400)
    assert abs(X_syn["a"].isna().mean() - X["a"].isna().mean()) < 0.07
    assert abs(X_syn["colour"].isna().mean() - X["colour"].isna().mean()) < 0.06
    assert X_syn["b"].notna().all()
    X_res, _ = aug.fit_resample(X, y)
    assert len(X_res) == 600
    assert X_res.iloc[:300]["a"].isna().sum() == X["a"].isna().sum()


def test_constant_and_duplicate_columns(mixed):
    X, y = mixed
    X = X.copy()
    X["const"] = 7.0
    X["b_copy"] = X["b"]
    X["label_copy"] = (y == "yes").astype(int)  # codes of y: "no" -> 0, "yes" -> 1
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    assert aug.constant_features_ == ["const"]
    assert aug.duplicate_features_ == {"b_copy": "b", "label_copy": "outcome"}
    P = aug.edge_probabilities_
    assert (P.loc["const"] == 0).all() and (P["b_copy"] == 0).all()
    assert "const" not in aug.graphs_[0] and "b_copy" not in aug.graphs_[0]
    X_syn, y_syn = aug.sample(60)
    assert (X_syn["const"] == 7.0).all()
    pd.testing.assert_series_equal(X_syn["b_copy"], X_syn["b"], check_names=False)
    assert (X_syn["label_copy"] == (y_syn == "yes").astype(int)).all()


def test_integer_column_only_and_boolean_target():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"k": rng.randint(0, 5, size=100)})
    y = pd.Series(X["k"] + rng.randint(0, 3, size=100) > 3, name="big")
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    X_syn, y_syn = aug.sample(30)
    assert X_syn["k"].dtype == np.int64 and y_syn.dtype == bool


def test_target_name_collision():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"target": rng.normal(size=80), "z": rng.normal(size=80)})
    y = (X["target"] > 0).astype(int)
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y.to_numpy())
    assert aug.target_name_ == "target_"
    assert list(aug.edge_probabilities_.columns) == ["target", "z", "target_"]


def test_indep_test_resolution():
    rng = np.random.RandomState(0)
    Xn = rng.normal(size=(80, 2))
    yn = (Xn[:, 0] > 0).astype(float)  # numeric-looking labels are still classes
    assert CausalSCMAugmenter(**CHEAP).fit(Xn, yn).indep_test_ == "copula_fisherz"
    Xc = pd.DataFrame({"c": rng.choice(["a", "b"], 80), "d": rng.choice(["u", "v"], 80)})
    yc = np.where(Xc["c"] == "a", "p", "q")
    assert CausalSCMAugmenter(**CHEAP).fit(Xc, yc).indep_test_ == "gsq"
    aug = CausalSCMAugmenter(indep_test="chisq", **CHEAP).fit(Xn, yn)
    assert aug.indep_test_ == "chisq"


def test_background_knowledge_enforced(mixed):
    X, y = mixed
    bk = {"forbidden": [("a", "b"), ("b", "a")], "required": [("count", "outcome")]}
    aug = CausalSCMAugmenter(background_knowledge=bk, **CHEAP).fit(X, y)
    P = aug.edge_probabilities_
    assert P.loc["a", "b"] == 0 and P.loc["b", "a"] == 0
    assert P.loc["count", "outcome"] == 1 and P.loc["outcome", "count"] == 0
    for dag in aug.graphs_:
        assert dag.has_edge("count", "outcome") and not dag.has_edge("a", "b")


def test_fixed_graph_and_adjacency_frame(mixed):
    X, y = mixed
    dag = nx.DiGraph([("a", "b"), ("b", "colour"), ("colour", "outcome"), ("b", "outcome")])
    aug = CausalSCMAugmenter(discovery=dag, **CHEAP).fit(X, y)
    assert aug.indep_test_ is None
    for g in aug.graphs_:
        assert set(g.edges) == set(dag.edges)
    assert aug.edge_probabilities_.to_numpy().sum() == 4
    names = list(X.columns) + ["outcome"]
    P = pd.DataFrame(0.0, index=names, columns=names)
    P.loc["a", "outcome"] = 0.5
    P.loc["outcome", "a"] = 0.5
    aug2 = CausalSCMAugmenter(discovery=P[names[::-1]], **CHEAP).fit(X, y)  # column order free
    assert aug2.edge_probabilities_.loc["a", "outcome"] == 0.5


def test_graphs_are_acyclic_and_scms_fitted(mixed):
    X, y = mixed
    aug = CausalSCMAugmenter(n_bootstrap=3, n_graphs=4, random_state=0).fit(X, y)
    assert len(aug.graphs_) == len(aug.scms_) == 4
    for g, scm in zip(aug.graphs_, aug.scms_):
        assert nx.is_directed_acyclic_graph(g)
        assert set(g.nodes) == set(X.columns) | {"outcome"}
        assert set(scm.graph.edges) == set(g.edges)
        assert scm.graph is not g  # each SCM fits its own copy of the DAG
    P = aug.edge_probabilities_.to_numpy()
    assert ((P >= 0) & (P <= 1)).all() and (P + P.T <= 1 + 1e-12).all()
    assert np.diag(P).sum() == 0


def test_plot_graph(mixed):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = mixed
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    fig, ax = plt.subplots()
    out = aug.plot_graph(ax=ax, threshold=0.3)
    assert out is ax and ax.get_title() == "Edge probabilities"
    n_edges = int((aug.edge_probabilities_.to_numpy() > 0.3).sum())
    assert len(ax.patches) == n_edges
    plt.close(fig)


def test_imblearn_pipeline(mixed):
    pipeline = pytest.importorskip("imblearn.pipeline")
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import OneHotEncoder

    X, y = mixed
    pre = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["colour"]), remainder="passthrough"
    )
    pipe = pipeline.Pipeline(
        [("aug", CausalSCMAugmenter(**CHEAP)), ("pre", pre), ("clf", LogisticRegression())]
    )
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.6
    assert len(pipe.predict(X)) == 300  # the sampler only acts during fit


def test_parallel_equals_sequential(mixed):
    X, y = mixed
    seq = CausalSCMAugmenter(**CHEAP).fit(X, y)
    par = CausalSCMAugmenter(n_jobs=2, **CHEAP).fit(X, y)
    pd.testing.assert_frame_equal(seq.edge_probabilities_, par.edge_probabilities_)
    pd.testing.assert_frame_equal(seq.sample(50)[0], par.sample(50)[0])


def test_auto_mechanisms_small(make_mixed):
    X, y = make_mixed(n=150)
    aug = CausalSCMAugmenter(mechanisms="auto", discovery="pc", n_bootstrap=1, n_graphs=1,
                             random_state=0)
    X_syn, y_syn = aug.fit(X[["a", "b", "colour"]], y).sample(30)
    assert (X_syn.dtypes == X[["a", "b", "colour"]].dtypes).all() and len(y_syn) == 30


def test_verbose_shows_progress(mixed, capsys):
    X, y = mixed
    CausalSCMAugmenter(verbose=1, **CHEAP).fit(X, y)
    err = capsys.readouterr().err
    assert "discovery" in err and "fitting SCMs" in err


# ----------------------------------------------------------------------------- bad input


def _fit(X, y, **params):
    return CausalSCMAugmenter(**{**CHEAP, **params}).fit(X, y)


def test_error_one_class(mixed):
    X, _ = mixed
    with pytest.raises(ValueError, match="one class"):
        _fit(X, np.zeros(300))


def test_error_too_few_rows(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="at least 10 samples for the independence tests, got 6"):
        _fit(X.iloc[:6], ["a", "b"] * 3)


@pytest.mark.parametrize(
    "column, error, match",
    [
        (np.r_[np.inf, np.zeros(299)], ValueError, "infinite"),
        (np.full(300, np.nan), ValueError, "only missing values"),
        (pd.date_range("2020-01-01", periods=300), TypeError, "datetime"),
        (pd.Series([1, "a"] * 150, dtype=object), TypeError, "astype\\(str\\)"),
        (np.full(300, 1 + 1j), TypeError, "complex"),
    ],
)
def test_error_bad_columns(mixed, column, error, match):
    X, y = mixed
    X = X.copy()
    X["bad"] = column
    with pytest.raises(error, match=match):
        _fit(X, y)


def test_error_inf_in_array():
    X = np.ones((20, 2))
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        _fit(X, [0, 1] * 10)


def test_error_too_many_features():
    rng = np.random.RandomState(0)
    with pytest.raises(ValueError, match="more than max_features=3.*SelectKBest"):
        _fit(rng.normal(size=(30, 4)), [0, 1] * 15, max_features=3)


@pytest.mark.parametrize(
    "y, match",
    [
        (np.linspace(0, 1, 300), "Unknown label type"),
        (np.r_[np.nan, np.zeros(150), np.ones(149)], "missing values"),
        (np.zeros((300, 2)), "1d array"),
        (None, "requires y to be passed"),
    ],
)
def test_error_bad_targets(mixed, y, match):
    X, _ = mixed
    with pytest.raises(ValueError, match=match):
        _fit(X, y)


def test_error_inconsistent_lengths(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        _fit(X, y.iloc[:200])


def test_error_sparse():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="toarray"):
        _fit(sparse.csr_matrix(np.eye(20)), [0, 1] * 10)


def test_error_non_unique_string_names():
    X = pd.DataFrame(np.random.RandomState(0).normal(size=(20, 2)), columns=[1, "1"])
    with pytest.raises((ValueError, TypeError)):
        _fit(X, [0, 1] * 10)


@pytest.mark.parametrize(
    "bk, match",
    [
        ({"forbidden": [("a", "nope")]}, "unknown nodes \\['nope'\\]"),
        ({"required": [("a", "b"), ("b", "a")]}, "form a cycle"),
        ({"required": [("a", "b")], "forbidden": [("a", "b")]}, "both forbidden and required"),
        ({"maybe": []}, "keys must be"),
        ({"forbidden": ["ab"]}, "pairs of node names"),
        ({"forbidden": [("a", "a")]}, "self-loop"),
    ],
)
def test_error_background_knowledge(mixed, bk, match):
    X, y = mixed
    with pytest.raises(ValueError, match=match):
        _fit(X, y, background_knowledge=bk)


def test_error_fixed_graphs(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="neither features nor the target"):
        _fit(X, y, discovery=nx.DiGraph([("a", "zzz")]))
    with pytest.raises(ValueError, match="has a cycle"):
        _fit(X, y, discovery=nx.DiGraph([("a", "b"), ("b", "a")]))
    with pytest.raises(ValueError, match="index and columns"):
        _fit(X, y, discovery=pd.DataFrame([[0.0]], index=["a"], columns=["a"]))
    names = list(X.columns) + ["outcome"]
    P = pd.DataFrame(2.0, index=names, columns=names)
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        _fit(X, y, discovery=P)


def test_error_sample(mixed):
    X, y = mixed
    with pytest.raises(NotFittedError):
        CausalSCMAugmenter().sample(5)
    aug = _fit(X, y)
    with pytest.raises(ValueError, match="non-negative integer"):
        aug.sample(-1)
    with pytest.raises(ValueError, match="non-negative integer"):
        aug.sample(2.5)
    X0, y0 = aug.sample(0)
    assert X0.shape == (0, 5) and len(y0) == 0


def test_invalid_parameters(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="synthetic_ratio"):
        _fit(X, y, synthetic_ratio=1.5)
    with pytest.raises(ValueError, match="discovery"):
        _fit(X, y, discovery="ges")


def test_discovery_errors_are_wrapped(mixed, monkeypatch):
    from sklearn_causalmix.augment import _discovery

    def boom(*args, **kwargs):
        raise np.linalg.LinAlgError("singular")

    monkeypatch.setattr(_discovery, "skeleton", boom)
    X, y = mixed
    with pytest.raises(RuntimeError, match="Causal discovery .* failed on bootstrap resample 0"):
        _fit(X, y)


def test_scm_errors_are_wrapped(mixed, monkeypatch):
    from sklearn_causalmix.augment import _scm

    gcm = _scm._gcm()

    def boom(*args, **kwargs):
        raise KeyError("bad node")

    monkeypatch.setattr(gcm, "fit", boom)
    X, y = mixed
    with pytest.raises(RuntimeError, match="Fitting the structural causal model .* KeyError"):
        _fit(X, y)


def test_required_edge_on_constant_column_warns(mixed):
    X, y = mixed
    X = X.assign(const=1.0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        _fit(X, y, background_knowledge={"required": [("const", "outcome")]})
    assert any("Required edge const -> outcome ignored" in str(w.message) for w in record)
