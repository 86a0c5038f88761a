import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    KFold,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from sklearn_causalmix.evaluation import (
    DomainShiftSplit,
    LeaveOneDomainOut,
    LowDataSubsampler,
    QuantileShiftSplit,
)


@pytest.fixture(autouse=True)
def _one_thread():
    # Fits here are tiny; native thread pools only oversubscribe the 2 cores under pytest -n 2.
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    n = 120
    year = np.repeat([2007, 2008, 2009], n // 3)
    X = pd.DataFrame({"year": year, "a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = (X["a"] + 0.3 * rng.normal(size=n) > 0).astype(int).to_numpy()
    return X, y


def _check_disjoint(train, test, n):
    assert len(train) > 0 and len(test) > 0
    assert np.intersect1d(train, test).size == 0
    assert train.max() < n and test.max() < n


def test_domain_shift_split_from_column(frame):
    X, y = frame
    cv = DomainShiftSplit("year", source=[2007, 2008], target=2009)
    [(train, test)] = list(cv.split(X, y))
    _check_disjoint(train, test, len(X))
    assert set(X["year"].iloc[train]) == {2007, 2008}
    assert set(X["year"].iloc[test]) == {2009}
    assert cv.get_n_splits() == 1


def test_domain_shift_split_target_none_means_rest(frame):
    X, y = frame
    [(train, test)] = list(DomainShiftSplit("year", source=2008, target=None).split(X))
    assert set(X["year"].iloc[test]) == {2007, 2009}
    assert len(train) + len(test) == len(X)


def test_domain_shift_split_from_groups_and_array(frame):
    X, y = frame
    domain = (X["year"] == 2009).astype(int).to_numpy()
    from_groups = next(DomainShiftSplit().split(X, y, groups=domain))
    from_array = next(DomainShiftSplit(domain).split(X.to_numpy(), y))
    for left, right in zip(from_groups, from_array):
        np.testing.assert_array_equal(left, right)
    assert np.all(domain[from_groups[0]] == 0) and np.all(domain[from_groups[1]] == 1)


def test_domain_shift_split_column_index_of_array(frame):
    X, y = frame
    train, test = next(DomainShiftSplit(0, source=2007, target=2008).split(X.to_numpy()))
    assert set(X["year"].iloc[train]) == {2007} and set(X["year"].iloc[test]) == {2008}


def test_n_source_is_stratified_and_reproducible(frame):
    X, y = frame
    cv = DomainShiftSplit("year", source=[2007, 2008], target=2009, n_source=10, random_state=3)
    train_1, test_1 = next(cv.split(X, y))
    train_2, test_2 = next(cv.split(X, y))
    np.testing.assert_array_equal(train_1, train_2)
    np.testing.assert_array_equal(test_1, test_2)
    assert len(train_1) == 10
    assert set(X["year"].iloc[train_1]) <= {2007, 2008}
    source_rate = y[X["year"].isin([2007, 2008]).to_numpy()].mean()
    assert abs(y[train_1].mean() - source_rate) <= 0.1
    other = next(DomainShiftSplit("year", source=[2007, 2008], target=2009, n_source=10,
                                  random_state=4).split(X, y))[0]
    assert not np.array_equal(train_1, other)


def test_n_source_larger_than_source_keeps_all(frame):
    X, y = frame
    train, _ = next(DomainShiftSplit("year", source=2007, target=2009, n_source=1000).split(X, y))
    assert len(train) == 40


def test_works_with_cross_val_score(frame):
    X, y = frame
    drop_year = make_column_transformer(("drop", ["year"]), remainder="passthrough")
    model = make_pipeline(drop_year, LogisticRegression())
    for cv in (
        DomainShiftSplit("year", source=[2007, 2008], target=2009),
        LeaveOneDomainOut("year"),
        QuantileShiftSplit("a", quantile=0.5),
        LowDataSubsampler(DomainShiftSplit("year", source=2007, target=2009), n_train=12,
                          n_repeats=3, random_state=0),
    ):
        scores = cross_val_score(model, X, y, cv=cv, scoring="accuracy")
        assert scores.shape == (cv.get_n_splits(X, y),)
        assert np.all(np.isfinite(scores))
    scores = cross_val_score(model, X, y, cv=DomainShiftSplit(), groups=X["year"] == 2009)
    assert scores.shape == (1,)


def test_leave_one_domain_out(frame):
    X, y = frame
    cv = LeaveOneDomainOut("year")
    assert cv.get_n_splits(X) == 3
    tested = []
    for train, test in cv.split(X, y):
        _check_disjoint(train, test, len(X))
        assert len(train) + len(test) == len(X)
        tested.append(set(X["year"].iloc[test]))
    assert tested == [{2007}, {2008}, {2009}]


def test_quantile_shift_split(frame):
    X, y = frame
    train, test = next(QuantileShiftSplit("a", quantile=0.25).split(X))
    _check_disjoint(train, test, len(X))
    assert X["a"].iloc[train].max() < X["a"].iloc[test].min()
    assert len(train) == 30
    rev_train, rev_test = next(QuantileShiftSplit("a", quantile=0.25, reverse=True).split(X))
    np.testing.assert_array_equal(rev_train, test)
    np.testing.assert_array_equal(rev_test, train)
    fixed = next(QuantileShiftSplit("a", threshold=0.0).split(X))[0]
    np.testing.assert_array_equal(fixed, np.flatnonzero(X["a"] <= 0))


def test_low_data_subsampler_over_kfold():
    X = np.arange(200).reshape(100, 2)
    y = np.array([0] * 80 + [1] * 20)
    cv = LowDataSubsampler(StratifiedKFold(5, shuffle=True, random_state=0), n_train=10,
                           n_repeats=2, random_state=0)
    splits = list(cv.split(X, y))
    assert len(splits) == cv.get_n_splits(X, y) == 10
    for train, test in splits:
        _check_disjoint(train, test, 100)
        assert len(train) == 10 and y[train].sum() == 2   # 20 % positives kept
    assert not np.array_equal(splits[0][0], splits[1][0])   # two different repeats
    again = list(cv.split(X, y))
    for (a, _), (b, _) in zip(splits, again):
        np.testing.assert_array_equal(a, b)


def test_low_data_subsampler_keeps_rare_class_and_int_cv():
    X = np.zeros((60, 1))
    y = np.array([0] * 58 + [1] * 2)
    cv = LowDataSubsampler(2, n_train=5, random_state=0)
    for train, _ in cv.split(X, y):
        assert len(train) == 5 and y[train].sum() >= 1


def test_low_data_subsampler_without_y_draws_uniformly():
    X = np.zeros((50, 1))
    train, test = next(LowDataSubsampler(KFold(5), n_train=7, random_state=1).split(X))
    assert len(train) == 7 and len(test) == 10


def test_cross_validate_with_groups_routed_through_subsampler(frame):
    X, y = frame
    groups = X["year"].to_numpy()
    cv = LowDataSubsampler(LeaveOneDomainOut(), n_train=20, random_state=0)
    result = cross_validate(LogisticRegression(), X[["a", "b"]], y, cv=cv, groups=groups)
    assert result["test_score"].shape == (3,)


@pytest.mark.parametrize(
    "cv, kwargs, error, match",
    [
        (DomainShiftSplit("nope"), {}, ValueError, "'nope' is not a column of X"),
        (DomainShiftSplit(), {}, ValueError, "pass groups="),
        (DomainShiftSplit("year", source=1999), {}, ValueError, "no row has a source domain"),
        (DomainShiftSplit("year", source=2007, target=1999), {}, ValueError, "no row has a target"),
        (DomainShiftSplit("year", source=2007, target=[2007, 2008]), {}, ValueError, "share"),
        (DomainShiftSplit("year", source=[]), {}, ValueError, "at least one domain value"),
        (DomainShiftSplit(np.zeros(5)), {}, ValueError, "5 values but X has 120 rows"),
        (DomainShiftSplit("year", source=2007, n_source=0), {}, ValueError, "positive integer"),
        (DomainShiftSplit("year", source=2007, target=2009, n_source=1), {"y": True}, ValueError,
         "smaller than the number of classes"),
        (LeaveOneDomainOut("year"), {"single_domain": True}, ValueError, "at least 2 domains"),
        (QuantileShiftSplit("a", quantile=1.5), {}, ValueError, r"in \(0, 1\)"),
        (QuantileShiftSplit("a", threshold=100.0), {}, ValueError, "above the threshold"),
        (QuantileShiftSplit("a", threshold=-100.0), {}, ValueError, "at or below the threshold"),
        (QuantileShiftSplit("cat"), {}, TypeError, "must be numeric"),
        (QuantileShiftSplit("gap"), {}, ValueError, "missing for 1 row"),
        (LowDataSubsampler(None, n_train=5), {}, ValueError, "needs the splitter"),
        (LowDataSubsampler(KFold(2), n_train=2.5), {}, ValueError, "positive integer"),
    ],
)
def test_bad_input_raises(frame, cv, kwargs, error, match):
    X, y = frame
    X = X.assign(cat=["u", "v"] * 60, gap=[np.nan] + [0.0] * 119)
    if kwargs.get("single_domain"):
        X = X.assign(year=2007)
    with pytest.raises(error, match=match):
        list(cv.split(X, y if kwargs.get("y") else None))


def test_column_name_needs_a_dataframe(frame):
    X, _ = frame
    with pytest.raises(TypeError, match="needs X to be a pandas DataFrame"):
        list(DomainShiftSplit("year").split(X.to_numpy()))
    with pytest.raises(ValueError, match="out of range"):
        list(DomainShiftSplit(7).split(X.to_numpy()))
