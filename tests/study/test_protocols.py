"""The study's two protocols (shift, i.i.d.), user tables as Bunches, and classes with few rows."""

import numpy as np
import pandas as pd
import pytest
from sklearn.utils import Bunch
from study_doubles import TinyFineTuner

from sklearn_causalmix.augment import NoiseAugmenter
from sklearn_causalmix.datasets import make_shifted_classification
from sklearn_causalmix.study import RESULT_COLUMNS, ratio_study
from sklearn_causalmix.study._data import make_split, training_rows
from sklearn_causalmix.study._iid import make_iid_split

SETTINGS = dict(ratios=(0.0, 1.0), seeds=[0], n_train=60,
                methods=["zero-shot", "finetune", "causalmix", "logreg"], model=TinyFineTuner(),
                augmenters={"causalmix": NoiseAugmenter()}, max_steps=3, verbose=0)
SHIFT_ONLY = ["n_test_shifted", "auc_shifted", "ece_shifted", "brier_shifted", "log_loss_shifted",
              "normalized_improvement"]


@pytest.fixture(scope="module")
def shifted():
    return make_shifted_classification(n_samples=400, n_features=4, random_state=0)


@pytest.fixture(scope="module")
def plain():
    """A table without domains: 300 rows, an id column to follow the rows through the splits."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"id": np.arange(300), "x": rng.normal(size=300),
                      "c": pd.Categorical(rng.choice(["a", "b", "c"], size=300))})
    y = np.where(X["x"] + rng.normal(scale=0.5, size=300) > 0, "yes", "no")
    return Bunch(X=X, y=y, name="plain")


def test_iid_protocol_fills_its_columns_and_leaves_the_shift_ones_nan(plain):
    results = ratio_study(plain, protocol="iid", **{**SETTINGS, "seeds": range(5)})
    assert list(results.columns) == RESULT_COLUMNS
    assert (results["protocol"] == "iid").all() and (results["error"] == "").all()
    assert results[SHIFT_ONLY].isna().all().all()
    assert results["auc_in_domain"].between(0, 1).all()
    assert results["normalized_improvement_in_domain"].notna().all()
    # the five seeds are the five folds of one split: their tests cover the table once
    per_seed = results[results["method"] == "logreg"].set_index("seed")["n_test_in_domain"]
    assert per_seed.sum() == 300 and per_seed.between(59, 61).all()
    # fine-tuned runs are monitored on the held-out fold (TinyFineTuner scores monitor= only)
    tuned = results["method"].isin(["finetune", "causalmix"])
    assert results.loc[tuned, "n_evaluations"].eq(3).all()


def test_iid_folds_partition_the_table_and_later_seeds_reshuffle(plain):
    def test_ids(seed):
        return set(make_iid_split(plain, seed, n_train=40, max_test=1000).X_test["id"])

    first = [test_ids(seed) for seed in range(5)]
    assert set().union(*first) == set(range(300)) and sum(map(len, first)) == 300
    assert test_ids(5) not in first  # seed 5: fold 0 of another shuffle
    split = make_iid_split(plain, 2, n_train=40, max_test=1000)
    assert len(split.X_train) == 40 and not set(split.X_train["id"]) & set(split.X_test["id"])
    assert len(split.X_shift) == 0 and split.main_test[0] is split.X_test


def test_iid_protocol_on_a_shifted_table_uses_its_source_domain(shifted):
    n_source = int((np.asarray(shifted.domain) == 0).sum())
    tests = [len(make_iid_split(shifted, seed, n_train=40, max_test=1000).y_test)
             for seed in range(5)]
    assert sum(tests) == n_source


def test_both_runs_the_shift_protocol_only_where_a_table_has_domains(shifted, plain):
    results = ratio_study({"shifted": shifted, "plain": plain}, protocol="both",
                          **{**SETTINGS, "methods": ["zero-shot", "logreg"]})
    assert results[["dataset", "protocol"]].drop_duplicates().values.tolist() == [
        ["shifted", "shift"], ["shifted", "iid"], ["plain", "iid"]]
    shift = results["protocol"] == "shift"
    assert results.loc[shift, SHIFT_ONLY].notna().all().all()
    assert results.loc[~shift, SHIFT_ONLY].isna().all().all()
    # improvements are measured against the zero-shot run of the same protocol
    assert (results.loc[results["method"] == "zero-shot",
                        "normalized_improvement_in_domain"] == 0).all()


def test_the_default_protocol_is_shift_and_gives_what_it_gave(shifted):
    default = ratio_study(shifted, **SETTINGS)
    explicit = ratio_study(shifted, protocol="shift", **SETTINGS)
    assert (default["protocol"] == "shift").all()
    pd.testing.assert_frame_equal(default.drop(columns="fit_time_s"),
                                  explicit.drop(columns="fit_time_s"))


def test_the_shift_protocol_refuses_tables_without_domains(plain):
    with pytest.raises(ValueError, match=r"'plain' lacks \['domain'\].*protocol='iid'"):
        ratio_study(plain, **SETTINGS)
    with pytest.raises(ValueError, match="'wells' is an i.i.d. table without domains"):
        ratio_study("wells", **SETTINGS)
    with pytest.raises(ValueError, match="'protocol' parameter of ratio_study must be a str"):
        ratio_study(plain, protocol="ood", **SETTINGS)


def test_iid_units_have_their_own_cache_entries(shifted, tmp_path):
    settings = {**SETTINGS, "methods": ["logreg"]}
    first = ratio_study(shifted, protocol="both", cache_dir=tmp_path, **settings)
    assert not first["cached"].any()
    names = sorted(p.name.split("_")[0] for p in (tmp_path / "units").rglob("*.json"))
    assert names == ["iid", "logreg"]
    again = ratio_study(shifted, protocol="iid", cache_dir=tmp_path, **settings)
    assert again["cached"].all()


# ------------------------------------------------------------------- classes with few rows
def _rare(counts, seed=0):
    rng = np.random.default_rng(seed)
    y = np.concatenate([[label] * n for label, n in counts.items()])
    X = pd.DataFrame({"x": rng.normal(size=len(y)) + (y == "b"), "z": rng.normal(size=len(y))})
    return Bunch(X=X, y=y)


def test_training_rows_keep_two_rows_of_a_rare_class():
    y = np.array(["a"] * 300 + ["b"] * 300 + ["c"] * 6)
    train, note = training_rows(None, y, np.arange(len(y)), np.array([], int), 40, 0)
    assert len(train) == 40 and note == ""
    assert dict(zip(*np.unique(y[train], return_counts=True))) == {"a": 19, "b": 19, "c": 2}


def test_a_rare_class_does_not_stop_the_fine_tuned_runs():
    data = _rare({"a": 300, "c": 6})  # the stratified draw alone gives c one of 40 rows
    results = ratio_study(data, protocol="iid", **{**SETTINGS, "n_train": 40})
    assert (results["error"] == "").all() and (results["note"] == "").all()
    assert (results["n_train"] == 40).all()


def test_a_class_with_a_single_training_row_is_left_out_with_a_note():
    data = _rare({"a": 150, "b": 150, "c": 1})
    results = ratio_study(data, protocol="iid", **{**SETTINGS, "seeds": range(5)})
    assert (results["error"] == "").all()  # TinyFineTuner refuses a class with one row
    noted = results.groupby("seed")["note"].first()
    # the row of class c trains in four folds (left out there) and is tested in one (dropped)
    assert (noted == "left out class(es) ['c']: a single row in the training part").sum() == 4
    assert (noted == "").sum() == 1


def test_shift_protocol_keeps_two_training_rows_of_a_class_with_three_source_rows():
    data = _rare({"a": 100, "b": 100, "c": 3})
    data.domain = np.r_[np.zeros(150, int), np.ones(53, int)]
    data.domain[200:] = 0  # the three rows of class c are source rows
    split = make_split(data, 0, n_train=64)
    assert (split.y_train == "c").sum() == 2 and (split.y_test == "c").sum() == 1


def test_too_few_classes_left_is_named():
    with pytest.raises(ValueError, match="fewer than two classes with two rows each"):
        ratio_study(_rare({"a": 60, "c": 1}), protocol="iid", **SETTINGS)
