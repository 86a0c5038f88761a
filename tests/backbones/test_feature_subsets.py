"""``feature_subset_size``: tables wider than the weights' pretraining width are read as feature subsets."""

import numpy as np
import pytest
import torch

from sklearn_causalmix import CausalMixFTClassifier
from sklearn_causalmix.backbones import InContextClassifier, RowPFNConfig, build_model, get_backbone


def _table(n_rows=120, n_features=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    y = (X[:, 0] - X[:, -1] + 0.5 * rng.normal(size=n_rows) > 0).astype(int)
    return X, y


def _tiny_row_model():
    torch.manual_seed(0)
    config = RowPFNConfig(d_feature=16, n_cls=2, n_feature_layers=1, n_layers=2, n_heads=2, thinking_rows=3)
    return build_model(config).eval()


def test_auto_is_the_width_the_shipped_weights_were_pretrained_on():
    backbone = get_backbone("default")
    assert backbone.pretrained_max_features == backbone.manifest["prior"]["max_features"] == 24
    X, y = _table(n_features=30)
    clf = InContextClassifier(n_estimators=1, device="cpu", random_state=0).fit(X, y)
    assert clf.feature_subset_size_ == 24 and clf.backbone_.feature_subset_size == 24
    assert [len(s) for s in clf.backbone_._feature_subsets(30)] == [15, 15]
    assert InContextClassifier(feature_subset_size=None, n_estimators=1, device="cpu").fit(X, y).feature_subset_size_ is None


def test_a_backbone_without_a_manifest_reads_up_to_its_limit():
    model = _tiny_row_model()
    assert model.pretrained_max_features is None
    assert [len(s) for s in model._feature_subsets(model.config.max_features)] == [model.config.max_features]


def test_the_subsets_partition_the_columns_and_never_exceed_the_limit():
    model = _tiny_row_model()
    model.feature_subset_size = 8
    subsets = model._feature_subsets(30)
    assert sorted(torch.cat(subsets).tolist()) == list(range(30))
    assert [len(s) for s in subsets] == [8, 8, 7, 7]
    model.feature_subset_size = 10**6  # never wider than the backbone's own limit
    assert max(len(s) for s in model._feature_subsets(250)) <= model.config.max_features


def test_narrow_tables_predict_exactly_as_before_and_wide_ones_differ():
    X, y = _table(n_features=30)
    kwargs = dict(n_estimators=2, device="cpu", random_state=0)
    narrow = [InContextClassifier(feature_subset_size=s, **kwargs).fit(X[:, :20], y).predict_proba(X[:, :20])
              for s in ("auto", None)]
    np.testing.assert_array_equal(narrow[0], narrow[1])
    wide = [InContextClassifier(feature_subset_size=s, **kwargs).fit(X, y).predict_proba(X) for s in ("auto", None)]
    assert np.abs(wide[0] - wide[1]).max() > 1e-4


def test_fine_tuning_runs_on_the_same_subsets_it_predicts_with():
    X, y = _table(n_features=12)
    clf = CausalMixFTClassifier(_tiny_row_model, feature_subset_size=5, synthetic_ratio=0.0, max_steps=2,
                                eval_every=1, n_estimators=2, device="cpu", random_state=0).fit(X, y)
    assert clf.feature_subset_size_ == 5 and clf.backbone_.feature_subset_size == 5
    assert [len(s) for s in clf.backbone_._feature_subsets(12)] == [4, 4, 4]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)


def test_a_backbone_that_reads_every_column_at_once_refuses_a_width():
    from sklearn_causalmix.backbones import TabularBackbone

    class Whole(TabularBackbone):
        def __init__(self):
            super().__init__()
            self.inner = _tiny_row_model()
            self.limits = self.inner.limits

        def forward(self, X_context, y_context, X_query, *, n_classes, categorical_mask=None):
            return self.inner(X_context, y_context, X_query, n_classes=n_classes, categorical_mask=categorical_mask)

    X, y = _table(n_features=6)
    assert InContextClassifier(Whole, device="cpu").fit(X, y).feature_subset_size_ is None
    with pytest.raises(ValueError, match="feature_subset_size=4 needs a backbone that splits"):
        InContextClassifier(Whole, feature_subset_size=4, device="cpu").fit(X, y)
    # nor can it read a table wider than its limit: refused before any forward pass, with the fix
    wide, y_wide = _table(n_features=Whole().limits.max_features + 1)
    assert not Whole.splits_wide_tables and _tiny_row_model().splits_wide_tables
    with pytest.raises(ValueError, match="select features first"):
        InContextClassifier(Whole, device="cpu").fit(wide, y_wide)


def test_the_width_is_validated():
    X, y = _table(n_features=6)
    with pytest.raises(ValueError, match="feature_subset_size"):
        InContextClassifier(feature_subset_size=0).fit(X, y)
