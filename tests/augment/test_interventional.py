"""InterventionalAugmenter: rows under do(column := value), values spread over the observed range."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from sklearn_causalmix import CausalSCMAugmenter
from sklearn_causalmix.augment import InterventionalAugmenter


@pytest.fixture(scope="module")
def chain():
    """a -> b -> y, a categorical c -> y; the graph given, so the test is about the interventions."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=400)
    b = 2 * a + rng.normal(size=400)
    c = rng.choice(["u", "v", "w"], 400)
    y = pd.Series(((b + 3 * (c == "u") + 0.3 * rng.normal(size=400)) > 0).astype(int), name="y")
    X = pd.DataFrame({"a": a, "b": b, "c": pd.Categorical(c)})
    graph = nx.DiGraph([("a", "b"), ("b", "y"), ("c", "y")])
    return X, y, CausalSCMAugmenter(discovery=graph, n_graphs=2)


def test_numeric_values_are_observed_and_spread_over_the_range(chain):
    X, y, scm = chain
    aug = InterventionalAugmenter(scm, intervene_on=["b"], n_values=5, random_state=0).fit(X, y)
    values = [value for column, value in aug.interventions_]
    assert [column for column, _ in aug.interventions_] == ["b"] * 5
    assert set(values) <= set(X["b"])
    assert values[0] == X["b"].min() and values[-1] == X["b"].max()
    steps = np.diff(values)
    assert np.all(steps > 0) and steps.max() < 2 * steps.min()  # about evenly spaced


def test_rows_split_evenly_and_only_descendants_follow(chain):
    X, y, scm = chain
    aug = InterventionalAugmenter(scm, intervene_on="b", n_values=4, random_state=0).fit(X, y)
    X_do, y_do = aug.sample(402)
    counts = X_do["b"].value_counts()
    assert sorted(counts.index) == sorted(v for _, v in aug.interventions_)
    assert sorted(counts.tolist()) == [100, 100, 101, 101]
    low, high = aug.interventions_[0][1], aug.interventions_[-1][1]
    assert y_do[X_do["b"] == high].mean() > 0.9 and y_do[X_do["b"] == low].mean() < 0.1
    assert abs(X_do["a"].mean() - X["a"].mean()) < 0.25  # a causes b: do(b) leaves it alone
    assert list(X_do.dtypes) == list(X.dtypes)


def test_categorical_column_takes_every_observed_level(chain):
    X, y, scm = chain
    aug = InterventionalAugmenter(scm, intervene_on="c", random_state=0).fit(X, y)
    assert aug.interventions_ == [("c", "u"), ("c", "v"), ("c", "w")]
    X_do, y_do = aug.sample(300)
    assert X_do["c"].value_counts().tolist() == [100, 100, 100]
    assert y_do[X_do["c"] == "u"].mean() > y_do[X_do["c"] == "w"].mean() + 0.2


def test_default_intervenes_on_every_modelled_feature_and_is_reproducible(chain):
    X, y, scm = chain
    X = X.assign(a_copy=X["a"])  # a duplicate is regenerated from its source, never intervened on
    aug = InterventionalAugmenter(scm, n_values=2, random_state=0).fit(X, y)
    assert [c for c, _ in aug.interventions_] == ["a", "a", "b", "b", "c", "c", "c"]
    first, again = aug.sample(70), aug.sample(70)
    pd.testing.assert_frame_equal(first[0], again[0])
    assert len(aug.set_params(synthetic_ratio=0.5).fit_resample(X, y)[0]) == 2 * len(X)


def test_bad_columns_are_refused_with_the_fix(chain):
    X, y, scm = chain
    with pytest.raises(ValueError, match=r"intervene_on names \['zz'\].*columns of X"):
        InterventionalAugmenter(scm, intervene_on="zz").fit(X, y)
    with pytest.raises(ValueError, match="Cannot intervene on \\['a_copy'\\].*source column"):
        InterventionalAugmenter(scm, intervene_on="a_copy").fit(X.assign(a_copy=X["a"]), y)


def test_given_values_are_set_exactly_and_descendants_stay_in_their_range(chain):
    X, y, scm = chain
    # a (float) set 3 beyond its largest value; b = 2a + e follows it up to b's observed top
    far = float(X["a"].max() + 3)
    aug = InterventionalAugmenter(scm, intervene_on="a", values={"a": [far]},
                                  random_state=0).fit(X, y)
    assert aug.interventions_ == [("a", far)]
    X_do, y_do = aug.sample(200)
    assert (X_do["a"] == far).all()
    assert X_do["b"].max() <= X["b"].max() and X_do["b"].mean() > X["b"].quantile(0.9)
    assert y_do.mean() > 0.9
    # columns left out of values keep the observed grid
    both = InterventionalAugmenter(scm, intervene_on=["a", "b"], n_values=3,
                                   values={"a": [far, far]}, random_state=0).fit(X, y)
    assert [c for c, _ in both.interventions_] == ["a", "b", "b", "b"]


def test_values_the_rows_cannot_hold_are_refused_not_snapped(chain):
    X, y, scm = chain
    rng = np.random.RandomState(1)
    # an integer column (16 whole values) and a discrete one (3 values), as ages and years
    X = X.assign(age=rng.randint(25, 41, len(X)), year=rng.choice([1997, 1998, 1999], len(X)))
    fitted = clone(scm).set_params(random_state=0).fit(X, y)
    assert (fitted.sample(20, interventions={"age": 33})[0]["age"] == 33).all()
    with pytest.raises(ValueError, match=r"'age' := 50.*whole numbers within its observed "
                                         r"range \[25, 40\].*Intervene with a value it takes"):
        fitted.sample(20, interventions={"age": 50})
    with pytest.raises(ValueError, match=r"'year' := 2000.*only its observed values"):
        fitted.sample(20, interventions={"year": 2000})
    with pytest.raises(ValueError, match=r"'year' := 2000"):
        InterventionalAugmenter(scm, intervene_on="year", values={"year": [2000]},
                                random_state=0).fit(X, y).sample(10)


def test_bad_given_values_are_refused_with_the_fix(chain):
    X, y, scm = chain
    with pytest.raises(ValueError, match=r"levels not seen in the training rows.*seen levels"):
        InterventionalAugmenter(scm, intervene_on="c", values={"c": ["u", "zz"]}).fit(X, y)
    with pytest.raises(ValueError, match=r"values names \['b'\].*intervene_on"):
        InterventionalAugmenter(scm, intervene_on="a", values={"b": [0.0]}).fit(X, y)
    with pytest.raises(ValueError, match=r"values\['a'\] must hold numbers"):
        InterventionalAugmenter(scm, intervene_on="a", values={"a": ["low"]}).fit(X, y)
    with pytest.raises(ValueError, match=r"values\['a'\] must be finite"):
        InterventionalAugmenter(scm, intervene_on="a", values={"a": [np.inf]}).fit(X, y)
    with pytest.raises(ValueError, match=r"values\['a'\] is empty"):
        InterventionalAugmenter(scm, intervene_on="a", values={"a": []}).fit(X, y)
