"""The fine-tuning loop's validation runs on the prediction path (context encoded once, float32, eval mode)
and backs off on out-of-memory errors, CUDA or MPS, in validation and in training steps."""

import numpy as np
import pytest
import torch
from finetune_doubles import make_table

from sklearn_causalmix import CausalMixFTClassifier
from sklearn_causalmix.backbones import TabularBackbone, get_backbone

CHEAP = dict(synthetic_ratio=0.0, max_steps=4, eval_every=2, episode_size=32, n_estimators=2, device="cpu",
             random_state=0)


class Recorder(TabularBackbone):
    """The default backbone; records every call and raises an OOM-like error past row limits."""

    def __init__(self, query_limit=None, train_limit=None, error=torch.OutOfMemoryError):
        super().__init__()
        self.inner = get_backbone("default")
        self.limits = self.inner.limits
        self.query_limit, self.train_limit, self.error = query_limit, train_limit, error
        self.calls = []

    def forward(self, X_context, y_context, X_query, *, n_classes, categorical_mask=None):
        rows = X_context.shape[1] + X_query.shape[1]
        if self.training and self.train_limit is not None and rows > self.train_limit:
            raise self.error(f"fake out of memory: {rows} rows")
        self.calls.append(("forward", self.training, torch.is_grad_enabled()))
        return self.inner(X_context, y_context, X_query, n_classes=n_classes, categorical_mask=categorical_mask)

    def encode_context(self, X_context, y_context, *, n_classes, categorical_mask=None):
        self.calls.append(("encode", self.training, torch.is_grad_enabled()))
        return self.inner.encode_context(X_context, y_context, n_classes=n_classes, categorical_mask=categorical_mask)

    def predict_queries(self, context, X_query):
        if self.query_limit is not None and X_query.shape[1] > self.query_limit:
            raise self.error(f"fake out of memory: {X_query.shape[1]} query rows")
        self.calls.append(("query", self.training, torch.is_grad_enabled(), X_query.dtype, X_query.shape[1]))
        return self.inner.predict_queries(context, X_query)


def _mps_oom(message):
    return RuntimeError(f"MPS backend out of memory ({message})")


def test_validation_encodes_the_context_once_per_evaluation_in_eval_mode():
    X, y = make_table(n=160)
    spy = Recorder()
    mon = make_table(n=40, seed=1)
    clf = CausalMixFTClassifier(lambda: spy, fit_mode="fit_with_cache", **CHEAP).fit(X, y, monitor=mon)
    n_evals = len(clf.history_)
    assert n_evals == 3
    encodes = [c for c in spy.calls if c[0] == "encode"]
    # one encoding per evaluation (validation and monitor rows share it) + one for the prediction cache
    assert len(encodes) == n_evals + 1
    assert all(not training and not grad for _, training, grad in encodes)
    queries = [c for c in spy.calls if c[0] == "query"]
    assert queries and all(not c[1] and not c[2] and c[3] == torch.float32 for c in queries)
    assert [c for c in spy.calls if c[0] == "forward"] and all(c[1] for c in spy.calls if c[0] == "forward")
    assert np.isfinite([h["val_score"] for h in clf.history_]).all()


@pytest.mark.parametrize("error", [torch.OutOfMemoryError, _mps_oom], ids=["cuda", "mps"])
def test_out_of_memory_in_validation_shrinks_the_query_chunk(error):
    X, y = make_table(n=160)
    # both backbones built outside fit: building one inside draws from fit's seeded torch generator
    reference = Recorder()
    expected = CausalMixFTClassifier(lambda: reference, **CHEAP).fit(X, y)
    spy = Recorder(query_limit=16, error=error)  # queries run in blocks of 16 rows
    with pytest.warns(RuntimeWarning, match="Out of memory"):
        clf = CausalMixFTClassifier(lambda: spy, **CHEAP).fit(X, y)
    assert max(c[4] for c in spy.calls if c[0] == "query") <= 16
    got = [h["val_score"] for h in clf.history_]
    np.testing.assert_allclose(got, [h["val_score"] for h in expected.history_], atol=1e-9)
    np.testing.assert_allclose(clf.predict_proba(X), expected.predict_proba(X), atol=1e-6)


def test_out_of_memory_on_mps_in_a_training_step_halves_the_episode():
    X, y = make_table(n=160)
    spy = Recorder(train_limit=16, error=_mps_oom)
    with pytest.warns(RuntimeWarning, match="Out of memory on cpu with episodes of 32 rows"):
        clf = CausalMixFTClassifier(lambda: spy, episodes="sampled", **CHEAP).fit(X, y)
    assert clf.episode_size_ <= 16 and clf.n_steps_ == 4


def test_other_runtime_errors_in_a_step_are_not_retried():
    X, y = make_table(n=160)
    spy = Recorder(train_limit=16, error=lambda msg: RuntimeError("shape mismatch"))
    with pytest.raises(RuntimeError, match="shape mismatch"):
        CausalMixFTClassifier(lambda: spy, **CHEAP).fit(X, y)


def test_out_of_memory_with_whole_table_views_halves_context_and_queries():
    X, y = make_table(n=160)
    spy = Recorder(train_limit=40, error=_mps_oom)
    with pytest.warns(RuntimeWarning, match="Out of memory on cpu with episodes of 128 rows"):
        clf = CausalMixFTClassifier(lambda: spy, episodes="whole_table", **CHEAP).fit(X, y)
    assert clf.episode_size_ <= 40 and clf.n_steps_ == 4
