"""CausalSCMAugmenter on the shapes of real users' tables: recoded columns, bounded and few-valued
numbers, structural missingness (issue 13)."""

import numpy as np
import pandas as pd
import pytest

from sklearn_causalmix import CausalSCMAugmenter
from sklearn_causalmix.augment._relations import find_relations

CHEAP = dict(n_bootstrap=3, n_graphs=2, random_state=0)


def _titanic(n=600, seed=0):
    """Sex and its 0/1 recoding SexCode; survival depends on sex and class."""
    rng = np.random.RandomState(seed)
    sex = rng.choice(["female", "male"], n, p=[0.35, 0.65])
    pclass = rng.choice(["1st", "2nd", "3rd"], n, p=[0.25, 0.25, 0.5])
    logit = np.where(sex == "female", 2.2, -1.2) - 0.8 * (pclass == "3rd")
    survived = (rng.rand(n) < 1 / (1 + np.exp(-logit))).astype(int)
    age = np.round(rng.gamma(6, 5, n))
    age[rng.rand(n) < 0.3] = np.nan  # whole ages, float because of the NaN
    X = pd.DataFrame(
        {"PClass": pclass, "Age": age, "Sex": sex, "SexCode": (sex == "female").astype(int)}
    )
    return X, pd.Series(survived, name="Survived")


def test_recoded_duplicate_keeps_the_label_edge():
    X, y = _titanic()
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    assert aug.deterministic_features_ == {"SexCode": ("Sex", "recoding")}
    assert aug.duplicate_features_ == {}
    P = aug.edge_probabilities_
    assert P.loc["Sex", "Survived"] + P.loc["Survived", "Sex"] > 0.5
    assert (P["SexCode"] == 0).all() and (P.loc["SexCode"] == 0).all()
    X_syn, y_syn = aug.sample(2000)
    assert (X_syn["SexCode"] == (X_syn["Sex"] == "female").astype(int)).all()
    real = y.groupby(X["Sex"]).mean()
    syn = y_syn.groupby(X_syn["Sex"]).mean()
    np.testing.assert_allclose(syn[["female", "male"]], real[["female", "male"]], atol=0.1)


def test_monotone_recoding_and_target_recoding():
    rng = np.random.RandomState(0)
    wage = np.round(np.exp(rng.normal(2, 0.5, 400)), 2)
    exper = rng.randint(0, 40, 400)
    y = pd.Series(np.where(wage + rng.normal(0, 3, 400) > 8, "high", "low"), name="band")
    X = pd.DataFrame(
        {
            "wage": wage,
            "lwage": np.log(wage),
            "exper": exper,
            "expersq": exper**2,
            "band_code": np.where(y == "high", 10, 20),
        }
    )
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    assert aug.deterministic_features_ == {
        "lwage": ("wage", "monotone"),
        "expersq": ("exper", "monotone"),
        "band_code": ("band", "recoding"),
    }
    X_syn, y_syn = aug.sample(500)
    np.testing.assert_allclose(X_syn["lwage"], np.log(X_syn["wage"]), atol=0.02)
    assert X_syn["wage"].rank().corr(X_syn["lwage"].rank()) > 0.999
    assert set(X_syn["expersq"]) <= set(X["expersq"])  # exper only takes observed values
    np.testing.assert_array_equal(X_syn["expersq"], X_syn["exper"] ** 2)
    assert (X_syn["band_code"] == np.where(y_syn == "high", 10, 20)).all()


def test_find_relations_ignores_non_monotone_continuous_bijections():
    rng = np.random.RandomState(0)
    a, b = rng.normal(size=200), rng.normal(size=200)  # all values distinct: a bijection
    values = np.c_[a, b]
    constant, relations = find_relations(values, np.array([True, True]))
    assert constant == [] and relations == {}


def test_values_stay_possible():
    rng = np.random.RandomState(0)
    n = 400
    income = np.round(rng.lognormal(10, 1, n), -2)
    months = rng.randint(0, 120, n).astype(float)
    months[rng.rand(n) < 0.4] = np.nan  # integers turned float by pandas
    term = rng.choice([36, 60], n)
    days = rng.randint(0, 8, n).astype(float)
    share = np.clip(rng.normal(90, 10, n), 20, 100)
    y = pd.Series((income + 1e4 * rng.normal(size=n) > 3e4).astype(int), name="y")
    X = pd.DataFrame(
        {"income": income, "months": months, "term": term, "days": days, "share": share}
    )
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    X_syn, _ = aug.sample(1000)
    assert (X_syn.dtypes == X.dtypes).all()
    for col in X:
        values = X_syn[col].dropna()
        assert values.between(X[col].min(), X[col].max()).all(), col
    for col in ("months", "days", "income"):
        assert (X_syn[col].dropna() % 1 == 0).all(), col
    assert set(X_syn["term"]) <= {36, 60}
    assert set(X_syn["days"].dropna()) <= set(X["days"].dropna())


@pytest.mark.parametrize(
    "categorical_features, expected",
    [
        ("auto", ["continuous", "discrete", "discrete"]),
        ("from_dtype", ["continuous", "continuous", "continuous"]),
        (["a"], ["discrete", "continuous", "continuous"]),
        ([0, 2], ["discrete", "continuous", "discrete"]),
        ([False, True, False], ["continuous", "discrete", "continuous"]),
    ],
)
def test_categorical_features_parameter(categorical_features, expected):
    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {
            "a": rng.randint(0, 30, 200).astype(float),
            "b": rng.choice([1.5, 2.5, 4.0], 200),
            "c": rng.randint(0, 5, 200),
        }
    )
    y = (X["a"] > 10).astype(int)
    aug = CausalSCMAugmenter(categorical_features=categorical_features, **CHEAP).fit(X, y)
    assert aug._nodes.coder.kinds == expected
    X_syn, _ = aug.sample(200)
    for col, kind in zip(X, expected):
        if kind == "discrete":
            assert set(X_syn[col]) <= set(X[col])


@pytest.mark.parametrize(
    "categorical_features, match",
    [
        (["nope"], "unknown column 'nope'"),
        ([5], "out of range"),
        ([True], "one entry per feature"),
    ],
)
def test_categorical_features_errors(categorical_features, match):
    X = pd.DataFrame({"a": np.arange(60.0), "b": np.arange(60) % 3})
    y = np.arange(60) % 2
    with pytest.raises(ValueError, match=match):
        CausalSCMAugmenter(categorical_features=categorical_features, **CHEAP).fit(X, y)


def test_declared_categorical_with_too_many_values():
    X = pd.DataFrame({"a": np.arange(80.0)})
    with pytest.raises(ValueError, match="declared categorical but has 80 distinct"):
        CausalSCMAugmenter(categorical_features=["a"], **CHEAP).fit(X, np.arange(80) % 2)


def _loans(n=600, seed=0):
    """Joint-application columns present exactly when application_type is 'joint'."""
    rng = np.random.RandomState(seed)
    joint = rng.rand(n) < 0.2
    income = np.round(rng.lognormal(11, 0.5, n), -2)
    joint_income = np.where(joint, income + np.round(rng.lognormal(10.5, 0.5, n), -2), np.nan)
    since = np.where(rng.rand(n) < 0.5, rng.randint(0, 80, n), np.nan)
    X = pd.DataFrame(
        {
            "application_type": np.where(joint, "joint", "individual"),
            "annual_income": income,
            "annual_income_joint": joint_income,
            "verification_joint": pd.Series(
                np.where(joint, rng.choice(["Verified", "Not Verified"], n), None), dtype=object
            ),
            "months_since_delinq": since,
        }
    )
    y = pd.Series(np.where(income + rng.normal(0, 2e4, n) > 6e4, "own", "rent"), name="home")
    return X, y


def test_structural_missingness_is_kept():
    X, y = _loans()
    aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    assert set(aug.missing_indicators_) == {
        "annual_income_joint",
        "verification_joint",
        "months_since_delinq",
    }
    assert aug.deterministic_features_["annual_income_joint__missing"] == (
        "application_type",
        "recoding",
    )
    assert aug.deterministic_features_["verification_joint__missing"] == (
        "application_type",
        "recoding",
    )
    X_syn, _ = aug.sample(1000)
    joint = X_syn["application_type"] == "joint"
    assert (X_syn["annual_income_joint"].notna() == joint).all()
    assert (X_syn["verification_joint"].notna() == joint).all()
    rate = X["months_since_delinq"].isna().mean()
    assert abs(X_syn["months_since_delinq"].isna().mean() - rate) < 0.07
    assert "annual_income_joint__missing" in aug.edge_probabilities_.index


def test_plot_graph_readable_at_many_nodes():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_causalmix.augment._plot import layered_positions, plot_edge_probabilities

    rng = np.random.RandomState(0)
    n = 43
    names = [f"column_{k}" for k in range(n)]
    P = pd.DataFrame(
        np.triu(rng.rand(n, n) * (rng.rand(n, n) < 0.15), 1), index=names, columns=names
    )
    ax = plot_edge_probabilities(P, target="column_5")
    assert len(ax.patches) == 2 * n  # the 86 most probable edges, not all of them
    width, height = ax.figure.get_size_inches()
    assert width > 10 and height > 6
    plt.close(ax.figure)
    edges = [(a, b, P.loc[a, b]) for a in names for b in names if P.loc[a, b] > 0]
    pos = layered_positions(names, edges)
    assert all(pos[a][0] < pos[b][0] for a, b, _ in edges)  # causes left of effects
    columns = pd.Series([x for x, _ in pos.values()]).value_counts()
    assert columns.max() <= 12
    ax = plot_edge_probabilities(P, layout="circular", max_edges=None, threshold=0.5)
    assert len(ax.patches) == int((P.to_numpy() > 0.5).sum())
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="layout must be"):
        plot_edge_probabilities(P, layout="spring")
