"""The cached, batched inference ensemble: agreement with the uncached forward, chunking, modes, pickling,
class un-permutation and out-of-memory back-off."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from sklearn_causalmix.backbones import (
    CausalMixPFN,
    InContextClassifier,
    PFNConfig,
    RowPFN,
    RowPFNConfig,
    TabularBackbone,
)
from sklearn_causalmix.backbones import _classifier as classifier_module
from sklearn_causalmix.backbones._base import BackboneLimits
from sklearn_causalmix.backbones._inference import (
    InContextEnsemble,
    ensemble_permutations,
    in_context_proba,
    is_out_of_memory,
    subsample_context,
)

LIMITS = BackboneLimits(max_classes=10, max_features=100, max_context_rows=4096)


def _tiny_pfn():
    torch.manual_seed(0)
    return CausalMixPFN(PFNConfig(d_model=32, n_layers=2, n_heads=2)).eval()


def _tiny_row():
    torch.manual_seed(0)
    return RowPFN(RowPFNConfig(d_feature=16, n_cls=2, n_feature_layers=1, n_layers=2, n_heads=2)).eval()


class ForwardOnly(TabularBackbone):
    """A backbone without a cache of its own (the protocol's fallback); its forward takes (F,) masks only."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.limits = inner.limits
        self.masks_seen = []

    def forward(self, X_context, y_context, X_query, *, n_classes, categorical_mask=None):
        assert categorical_mask is None or categorical_mask.dim() == 1
        self.masks_seen.append(categorical_mask)
        return self.inner(X_context, y_context, X_query, n_classes=n_classes, categorical_mask=categorical_mask)


class ClassFrequency(TabularBackbone):
    """Logits = log of each class code's share among the context labels (the same for every query row).

    A correct un-permutation gives every original class its own share, whatever the member's relabelling; a
    wrong one mixes the classes up. It also checks that the columns flagged categorical (per member) hold the
    integer codes of the one categorical column.
    """

    def __init__(self, categorical_column=None):
        super().__init__()
        self.limits = LIMITS
        self.categorical_column = categorical_column
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, X_context, y_context, X_query, *, n_classes, categorical_mask=None):
        if categorical_mask is not None and categorical_mask.any():
            mask = categorical_mask.expand(X_context.shape[0], -1) if categorical_mask.dim() == 1 else categorical_mask
            for b in range(X_context.shape[0]):
                flagged = X_context[b][:, mask[b]]
                assert flagged.shape[1] == 1 and torch.equal(flagged, flagged.round()), "mask does not follow"
        counts = torch.stack([torch.bincount(y, minlength=n_classes) for y in y_context]).float()
        logits = torch.log(counts / counts.sum(1, keepdim=True))
        return logits[:, None, :].expand(-1, X_query.shape[1], -1)


class NearestNeighbour(TabularBackbone):
    """Logits = 20 x one-hot of the label of the nearest context row: exact 1-NN whatever the permutations,
    if context and queries are permuted alike and the classes are un-permuted right."""

    def __init__(self):
        super().__init__()
        self.limits = LIMITS
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, X_context, y_context, X_query, *, n_classes, categorical_mask=None):
        nearest = torch.cdist(X_query, X_context).argmin(dim=2)  # (B, n_query)
        labels = torch.gather(y_context, 1, nearest)
        return 20.0 * torch.nn.functional.one_hot(labels, n_classes).float()


class RunsOutOfMemory(TabularBackbone):
    """Wraps a backbone; predicting more than ``limit`` query rows at once raises an out-of-memory error."""

    def __init__(self, inner, limit, error):
        super().__init__()
        self.inner, self.limits, self.limit, self.error = inner, inner.limits, limit, error
        self.chunks = []

    def forward(self, *args, **kwargs):
        return self.inner(*args, **kwargs)

    def encode_context(self, *args, **kwargs):
        return self.inner.encode_context(*args, **kwargs)

    def predict_queries(self, context, X_query):
        if X_query.shape[1] > self.limit:
            raise self.error(f"fake: out of memory for {X_query.shape[1]} rows")
        self.chunks.append(X_query.shape[1])
        return self.inner.predict_queries(context, X_query)


def _table(n=160, n_features=6, n_classes=3, seed=0):
    X, y = make_classification(
        n_samples=n, n_features=n_features, n_informative=4, n_redundant=0, n_classes=n_classes, random_state=seed
    )
    X[:, 2] = np.random.default_rng(seed).integers(0, 4, n)  # a categorical column (codes)
    X[np.random.default_rng(seed + 1).random(X.shape) < 0.05] = np.nan
    X[:, 2] = np.nan_to_num(X[:, 2], nan=1.0)
    mask = np.zeros(n_features, bool)
    mask[2] = True
    return X.astype(np.float32), y, mask


@pytest.mark.parametrize("make_backbone", [_tiny_pfn, _tiny_row, lambda: ForwardOnly(_tiny_pfn()).eval()],
                         ids=["cache", "row-cache", "fallback"])
def test_cached_batch_agrees_with_uncached_forward_for_every_member(make_backbone):
    model = make_backbone()
    X, y, mask = _table()
    Xc, yc, Xq = X[:120], y[:120], X[120:]
    n_est = 4
    ens = InContextEnsemble(model, Xc, yc, n_classes=3, categorical_mask=mask, n_estimators=n_est, random_state=5,
                            member_batch=n_est)
    ens.encode()
    assert ens.nbytes() > 0 and len(ens.encoded) == 1
    with torch.no_grad():
        batched = model.predict_queries(ens.encoded[0], ens._queries(Xq, np.arange(n_est)))[:, : len(Xq)]
    class_perms, feature_perms = ensemble_permutations(n_est, 3, X.shape[1], random_state=5)
    for b in range(n_est):
        f = feature_perms[b]
        with torch.no_grad():
            alone = model(
                torch.as_tensor(Xc[:, f])[None], torch.as_tensor(class_perms[b][yc])[None],
                torch.as_tensor(Xq[:, f])[None], n_classes=3, categorical_mask=torch.as_tensor(mask[f]),
            )[0]
        np.testing.assert_allclose(batched[b].numpy(), alone.numpy(), atol=1e-5, rtol=0)
    # and the averaged probabilities of the two modes
    cached = ens.predict_proba(Xq)
    uncached = in_context_proba(model, Xc, yc, Xq, n_classes=3, categorical_mask=mask, n_estimators=n_est,
                                random_state=5, cache=False)
    np.testing.assert_allclose(cached, uncached, atol=1e-5, rtol=0)


def test_fallback_hands_forward_one_mask_per_group():
    model = ForwardOnly(_tiny_pfn())
    X, y, mask = _table()
    ens = InContextEnsemble(model, X[:100], y[:100], n_classes=3, categorical_mask=mask, n_estimators=3)
    ens.predict_proba(X[100:])
    assert model.masks_seen and all(m.dim() == 1 for m in model.masks_seen)
    # no categorical column: every member has the same (all-False) mask, one forward call for the batch
    model.masks_seen.clear()
    InContextEnsemble(model, X[:100], y[:100], n_classes=3, n_estimators=3).predict_proba(X[100:])
    assert len(model.masks_seen) == 1


@pytest.mark.parametrize("make_backbone", [_tiny_pfn, _tiny_row], ids=["cell", "row"])
def test_predictions_do_not_depend_on_chunks_or_on_the_other_rows(make_backbone):
    model = make_backbone()
    X, y, mask = _table(n=200)
    Xc, yc, Xq = X[:120], y[:120], X[120:]
    kwargs = dict(n_classes=3, categorical_mask=mask, n_estimators=3, random_state=1)
    reference = InContextEnsemble(model, Xc, yc, **kwargs).predict_proba(Xq)
    for chunk in (1, 7, 33):
        chunked = InContextEnsemble(model, Xc, yc, query_chunk=chunk, **kwargs).predict_proba(Xq)
        np.testing.assert_array_equal(chunked, reference)  # bitwise: whole query blocks
    for member_batch in (1, 2, 3):
        grouped = InContextEnsemble(model, Xc, yc, member_batch=member_batch, **kwargs)
        assert len(grouped.member_groups) == -(-3 // member_batch)
        np.testing.assert_allclose(grouped.predict_proba(Xq), reference, atol=1e-6, rtol=0)
    ens = InContextEnsemble(model, Xc, yc, **kwargs)
    order = np.random.default_rng(0).permutation(len(Xq))
    np.testing.assert_array_equal(ens.predict_proba(Xq[order]), reference[order])
    one_by_one = np.vstack([ens.predict_proba(Xq[i : i + 1]) for i in range(5)])
    np.testing.assert_array_equal(one_by_one, reference[:5])


@pytest.mark.parametrize("n_estimators", [1, 2, 5])
def test_class_unpermutation_with_a_known_class_function(n_estimators):
    X, _, mask = _table(n=60)
    y = np.array([0] * 30 + [1] * 20 + [2] * 6 + [3] * 4)  # shares 0.5, 1/3, 0.1, 1/15
    proba = in_context_proba(ClassFrequency(), X, y, X[:7], n_classes=4, categorical_mask=mask,
                             n_estimators=n_estimators, random_state=3)
    np.testing.assert_allclose(proba, np.tile([0.5, 1 / 3, 0.1, 1 / 15], (7, 1)), atol=1e-6)
    low = in_context_proba(ClassFrequency(), X, y, X[:7], n_classes=4, categorical_mask=mask,
                           n_estimators=n_estimators, random_state=3, cache=False)
    np.testing.assert_allclose(low, proba, atol=1e-6)


def test_nearest_neighbour_backbone_gives_exact_1nn_through_the_ensemble():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5)).astype(np.float32)
    y = rng.integers(0, 4, 80)
    Xq = X[:20] + 1e-3
    proba = in_context_proba(NearestNeighbour(), X, y, Xq, n_classes=4, n_estimators=6, random_state=2)
    assert np.array_equal(proba.argmax(1), y[:20])
    assert proba.max(1).min() > 0.99


def test_estimator_modes_refit_and_pickle():
    X, y, _ = _table(n=220)
    X, y = X.astype(float), y
    Xtr, ytr, Xte = X[:150], y[:150], X[150:]
    kwargs = dict(n_estimators=3, device="cpu", random_state=0)
    cached = InContextClassifier(fit_mode="fit_with_cache", **kwargs).fit(Xtr, ytr)
    low = InContextClassifier(fit_mode="low_memory", **kwargs).fit(Xtr, ytr)
    auto = InContextClassifier(**kwargs).fit(Xtr, ytr)
    assert cached.fit_mode_ == auto.fit_mode_ == "fit_with_cache" and low.fit_mode_ == "low_memory"
    assert cached.cache_nbytes_ > 0 and low.cache_nbytes_ == 0
    assert not any("cache" in key or "ensemble" in key for key in cached.get_params())
    expected = cached.predict_proba(Xte)
    np.testing.assert_allclose(low.predict_proba(Xte), expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(auto.predict_proba(Xte), expected, atol=1e-6, rtol=0)

    # pickles carry no cache; the loaded model rebuilds it and predicts the same numbers
    blob = pickle.dumps(cached)
    assert "_ensemble" not in cached.__getstate__()
    assert abs(len(blob) - len(pickle.dumps(low))) < 1_000 < cached.cache_nbytes_  # as small as no cache
    loaded = pickle.loads(blob)
    np.testing.assert_allclose(loaded.predict_proba(Xte), expected, atol=1e-6, rtol=0)
    assert loaded._ensemble.nbytes() == cached.cache_nbytes_

    # refitting on other rows invalidates the cache: the same numbers as a fresh fit on those rows
    cached.fit(X[70:], y[70:])
    fresh = InContextClassifier(fit_mode="fit_with_cache", **kwargs).fit(X[70:], y[70:])
    np.testing.assert_allclose(cached.predict_proba(Xte), fresh.predict_proba(Xte), atol=1e-6, rtol=0)
    assert not np.allclose(cached.predict_proba(Xte), expected, atol=1e-3)


def test_auto_mode_keeps_nothing_when_the_cache_would_be_too_large(monkeypatch):
    X, y, _ = _table(n=120)
    monkeypatch.setattr(classifier_module, "_AUTO_CACHE_LIMIT", 1000)
    clf = InContextClassifier(n_estimators=2, device="cpu", random_state=0).fit(X[:100], y[:100])
    assert clf.fit_mode_ == "low_memory" and clf.cache_nbytes_ == 0
    ref = InContextClassifier(n_estimators=2, device="cpu", random_state=0, fit_mode="fit_with_cache")
    np.testing.assert_allclose(clf.predict_proba(X[100:]), ref.fit(X[:100], y[:100]).predict_proba(X[100:]),
                               atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "error", [torch.OutOfMemoryError, lambda msg: RuntimeError("MPS backend out of memory (" + msg + ")")],
    ids=["cuda", "mps"],
)
def test_out_of_memory_shrinks_the_query_chunk(error):
    X, y, mask = _table(n=200)
    kwargs = dict(n_classes=3, categorical_mask=mask, n_estimators=2, random_state=0)
    expected = InContextEnsemble(_tiny_pfn(), X[:120], y[:120], **kwargs).predict_proba(X[120:])
    model = RunsOutOfMemory(_tiny_pfn(), limit=16, error=error)
    ens = InContextEnsemble(model, X[:120], y[:120], **kwargs)
    with pytest.warns(RuntimeWarning, match="Out of memory .* smaller chunks"):
        proba = ens.predict_proba(X[120:])
    np.testing.assert_allclose(proba, expected, atol=1e-6, rtol=0)
    assert max(model.chunks) <= 16 and ens.query_chunk == 16
    model.limit = 0
    with pytest.raises(MemoryError, match="low_memory"):
        ens.predict_proba(X[120:])


def test_other_errors_are_not_taken_for_out_of_memory():
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    model = RunsOutOfMemory(_tiny_pfn(), limit=0, error=lambda msg: RuntimeError("shape mismatch"))
    X, y, _ = _table(n=60)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        InContextEnsemble(model, X[:40], y[:40], n_classes=3).predict_proba(X[40:])


def test_subsample_context_counts_follow_largest_remainder():
    y = np.array([0] * 43 + [1] * 57)
    idx = subsample_context(y, 50, np.random.default_rng(0))
    assert np.bincount(y[idx]).tolist() == [22, 28]  # 21.5 / 28.5: the tie goes to the earlier class
    assert len(np.unique(idx)) == 50
    idx = subsample_context(np.array([0] * 98 + [1, 2]), 10, np.random.default_rng(0))
    assert np.bincount(np.array([0] * 98 + [1, 2])[idx]).tolist() == [8, 1, 1]
