import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_causalmix.evaluation import normalized_score


def _runs():
    """Two datasets, three methods, two seeds (hand-computed expectations below)."""
    return pd.DataFrame({
        "dataset": ["a"] * 6 + ["b"] * 6,
        "seed": [0, 0, 0, 1, 1, 1] * 2,
        "method": ["zero-shot", "finetune", "causalmix"] * 4,
        "auc": [0.70, 0.78, 0.88,   0.70, 0.82, 0.92,     # a: means 0.70, 0.80, 0.90
                0.60, 0.63, 0.60,   0.60, 0.61, 0.62],    # b: means 0.60, 0.62, 0.61
        "other": "ignored",
    })


def test_min_max_by_hand():
    # a: (0.70, 0.80, 0.90) -> (0, 0.5, 1); b: (0.60, 0.62, 0.61) -> (0, 1, 0.5)
    out = normalized_score(_runs(), score_col="auc", reference="zero-shot")
    assert list(out.columns) == [
        "dataset", "method", "auc", "n_runs", "normalized_score", "improvement"]
    assert out["dataset"].tolist() == ["a"] * 3 + ["b"] * 3
    assert out["method"].tolist() == ["zero-shot", "finetune", "causalmix"] * 2
    np.testing.assert_allclose(out["auc"], [0.70, 0.80, 0.90, 0.60, 0.62, 0.61])
    assert out["n_runs"].tolist() == [2] * 6
    np.testing.assert_allclose(out["normalized_score"], [0, 0.5, 1, 0, 1, 0.5], atol=1e-12)
    np.testing.assert_allclose(out["improvement"], [0, 0.5, 1, 0, 1, 0.5], atol=1e-12)
    medians = out.groupby("method")["improvement"].median()
    assert medians["finetune"] == pytest.approx(0.75)
    assert medians["causalmix"] == pytest.approx(0.75)


def test_improvement_against_a_reference_that_is_not_the_worst():
    # reference "finetune": a -> (-0.5, 0, 0.5), b -> (-1, 0, -0.5)
    out = normalized_score(_runs(), score_col="auc", reference="finetune")
    np.testing.assert_allclose(out["improvement"], [-0.5, 0, 0.5, -1, 0, -0.5], atol=1e-12)


def test_per_dataset_and_seed():
    # a/0: (0.70, 0.78, 0.88) -> (0, 0.08/0.18, 1); b/0: (0.60, 0.63, 0.60) -> (0, 1, 0)
    out = normalized_score(_runs(), dataset_col=["dataset", "seed"], score_col="auc")
    assert list(out.columns[:3]) == ["dataset", "seed", "method"]
    assert out["n_runs"].tolist() == [1] * 12
    assert "improvement" not in out
    first = out[(out["dataset"] == "a") & (out["seed"] == 0)]["normalized_score"]
    np.testing.assert_allclose(first, [0, 0.08 / 0.18, 1])
    third = out[(out["dataset"] == "b") & (out["seed"] == 0)]["normalized_score"]
    np.testing.assert_allclose(third, [0, 1, 0])


def test_lower_is_better():
    # log-loss (0.5, 0.4, 0.3): the smallest is best -> (0, 0.5, 1)
    runs = pd.DataFrame({"dataset": "a", "method": ["z", "f", "c"], "log_loss": [0.5, 0.4, 0.3]})
    out = normalized_score(runs, score_col="log_loss", greater_is_better=False, reference="z")
    np.testing.assert_allclose(out["normalized_score"], [0, 0.5, 1])
    np.testing.assert_allclose(out["improvement"], [0, 0.5, 1])


def test_median_scale_by_hand():
    # five methods 0.60 .. 0.80: median 0.70, best 0.80 -> (0, 0, 0, 0.5, 1), clipped below
    runs = pd.DataFrame({"dataset": "a", "method": list("vwxyz"),
                         "auc": [0.60, 0.65, 0.70, 0.75, 0.80]})
    out = normalized_score(runs, score_col="auc", scale="median", reference="y")
    np.testing.assert_allclose(out["normalized_score"], [0, 0, 0, 0.5, 1], atol=1e-12)
    np.testing.assert_allclose(out["improvement"], [-0.5, -0.5, -0.5, 0, 0.5], atol=1e-12)
    # lower is better: the mirror image
    out = normalized_score(runs.assign(auc=-runs["auc"]), score_col="auc", scale="median",
                           greater_is_better=False)
    np.testing.assert_allclose(out["normalized_score"], [0, 0, 0, 0.5, 1], atol=1e-12)


def test_all_methods_tied_get_one_and_no_improvement():
    runs = pd.DataFrame({"dataset": ["a"] * 3 + ["b"] * 2, "method": ["z", "f", "c", "z", "f"],
                         "auc": [0.7, 0.7, 0.7, 0.6, 0.9]})
    out = normalized_score(runs, score_col="auc", reference="z")
    np.testing.assert_allclose(out["normalized_score"], [1, 1, 1, 0, 1])
    np.testing.assert_allclose(out["improvement"], [0, 0, 0, 0, 1])
    # a mean equal up to rounding is a tie, too
    runs = pd.DataFrame({"dataset": "a", "method": ["z", "z", "f"], "auc": [0.1, 0.2, 0.15]})
    runs.loc[2, "auc"] = (0.1 + 0.2) / 2 + 1e-15
    out = normalized_score(runs, score_col="auc")
    np.testing.assert_allclose(out["normalized_score"], [1, 1])


def test_single_method_gets_one():
    out = normalized_score(pd.DataFrame({"dataset": "a", "method": ["z"], "score": [0.7]}))
    assert out["normalized_score"].tolist() == [1.0]


def test_median_scale_with_half_tied_for_best():
    # median == best: the best ones get 1, the others 0
    runs = pd.DataFrame({"dataset": "a", "method": list("wxyz"), "auc": [0.6, 0.8, 0.8, 0.8]})
    out = normalized_score(runs, score_col="auc", scale="median")
    assert out["normalized_score"].tolist() == [0.0, 1.0, 1.0, 1.0]


def test_nan_scores_are_left_out():
    # the failed causalmix run on b does not take part; b normalises over z and f only
    runs = _runs()
    runs.loc[(runs["dataset"] == "b") & (runs["method"] == "causalmix"), "auc"] = np.nan
    out = normalized_score(runs, score_col="auc", reference="zero-shot")
    assert out["method"].tolist() == ["zero-shot", "finetune", "causalmix", "zero-shot", "finetune"]
    np.testing.assert_allclose(out["normalized_score"], [0, 0.5, 1, 0, 1], atol=1e-12)


def test_reference_missing_on_one_dataset_gives_nan():
    runs = _runs()
    runs.loc[(runs["dataset"] == "b") & (runs["method"] == "zero-shot"), "auc"] = np.nan
    out = normalized_score(runs, score_col="auc", reference="zero-shot")
    assert out.loc[out["dataset"] == "a", "improvement"].notna().all()
    assert out.loc[out["dataset"] == "b", "improvement"].isna().all()


def test_pandas_in_and_out():
    runs = _runs().set_index(pd.Index(range(100, 112)))  # a non-default index
    runs["dataset"] = runs["dataset"].astype("category")
    before = runs.copy()
    out = normalized_score(runs, score_col="auc")
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(pd.RangeIndex(6))
    assert out["n_runs"].dtype == np.int64
    assert out["normalized_score"].dtype == np.float64
    pd.testing.assert_frame_equal(runs, before)  # the input is not modified
    # integer method labels and a Series-free call work, too
    ints = pd.DataFrame({"dataset": "a", "method": [1, 2], "score": [0.5, 0.7]})
    assert normalized_score(ints)["normalized_score"].tolist() == [0.0, 1.0]


def test_on_study_results_layout():
    """The columns of the study's results.csv: arms built from method and ratio."""
    runs = pd.DataFrame({
        "dataset": ["a"] * 4, "protocol": "iid", "seed": 0,
        "method": ["zero-shot", "finetune", "causalmix", "causalmix"],
        "ratio": [np.nan, 0.0, 0.5, 1.0], "auc_in_domain": [0.70, 0.75, 0.80, 0.65],
        "auc_shifted": np.nan})
    runs["arm"] = [m if pd.isna(r) else f"{m} r={r:g}"
                   for m, r in zip(runs["method"], runs["ratio"])]
    out = normalized_score(runs, method_col="arm", score_col="auc_in_domain",
                           reference="zero-shot")
    assert out["arm"].tolist() == ["zero-shot", "finetune r=0", "causalmix r=0.5", "causalmix r=1"]
    np.testing.assert_allclose(out["improvement"], [0, 1 / 3, 2 / 3, -1 / 3])
    with pytest.raises(ValueError, match="auc_in_domain"):
        normalized_score(runs, method_col="arm", score_col="auc_shifted")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"score_col": "roc_auc"}, r"lacks the column\(s\) \['roc_auc'\]"),
        ({"dataset_col": "name", "score_col": "auc"}, r"lacks the column\(s\) \['name'\]"),
        ({"dataset_col": [], "score_col": "auc"}, "non-empty list"),
        ({"method_col": "dataset", "score_col": "auc"}, "more than one role"),
        ({"score_col": "auc", "reference": "tabpfn"}, "reference='tabpfn' is not a method"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        normalized_score(_runs(), **kwargs)


def test_bad_values_raise():
    runs = _runs()
    with pytest.raises(TypeError, match="must hold numbers"):
        normalized_score(runs, score_col="other")
    with pytest.raises(ValueError, match="infinite"):
        normalized_score(runs.assign(auc=np.inf), score_col="auc")
    with pytest.raises(ValueError, match="no row of results has a score"):
        normalized_score(runs.assign(auc=np.nan), score_col="auc")
    with pytest.raises(ValueError, match="no row of results has a score"):
        normalized_score(runs.iloc[:0], score_col="auc")
    with pytest.raises(ValueError, match="missing value in"):
        normalized_score(runs.assign(method=[None] + runs["method"].tolist()[1:]), score_col="auc")
    with pytest.raises(ValueError, match="output"):
        normalized_score(runs.rename(columns={"auc": "improvement"}), score_col="improvement")


def test_parameter_validation():
    with pytest.raises(InvalidParameterError, match="results"):
        normalized_score(_runs().to_dict("list"), score_col="auc")
    with pytest.raises(InvalidParameterError, match="scale"):
        normalized_score(_runs(), score_col="auc", scale="rank")
