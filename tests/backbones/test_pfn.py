import pytest
import torch

from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig, RowPFN, RowPFNConfig, build_model
from sklearn_causalmix.backbones.embedded._preprocess import encode_cells

#: Both embedded architectures, small: one token per cell, one token per row.
ARCHS = ["cell", "row"]


def _config(arch="cell", **kw):
    if arch == "row":
        return RowPFNConfig(d_feature=16, n_cls=2, n_feature_layers=1, n_layers=2, n_heads=2, thinking_rows=3, **kw)
    return PFNConfig(d_model=32, n_layers=2, n_heads=2, **kw)


def _model(arch="cell", **kw):
    torch.manual_seed(0)
    return build_model(_config(arch, **kw)).eval()


def _episode(n_ctx=30, n_q=7, n_feat=5, n_classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    Xc = torch.randn(2, n_ctx, n_feat, generator=g)
    yc = torch.randint(0, n_classes, (2, n_ctx), generator=g)
    Xq = torch.randn(2, n_q, n_feat, generator=g)
    return Xc, yc, Xq


@pytest.mark.parametrize("arch", ARCHS)
def test_output_shape_and_classes(arch):
    Xc, yc, Xq = _episode()
    out = _model(arch)(Xc, yc, Xq, n_classes=3)
    assert out.shape == (2, 7, 3)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("arch", ARCHS)
def test_context_row_permutation_invariance(arch):
    model = _model(arch)
    Xc, yc, Xq = _episode()
    perm = torch.randperm(Xc.shape[1], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a = model(Xc, yc, Xq, n_classes=3)
        b = model(Xc[:, perm], yc[:, perm], Xq, n_classes=3)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("arch", ARCHS)
def test_queries_do_not_see_each_other(arch):
    model = _model(arch)
    Xc, yc, Xq = _episode()
    with torch.no_grad():
        full = model(Xc, yc, Xq, n_classes=3)
        single = model(Xc, yc, Xq[:, :1], n_classes=3)
    torch.testing.assert_close(full[:, :1], single, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("arch", ARCHS)
def test_deterministic_in_eval_mode(arch):
    model = _model(arch)
    Xc, yc, Xq = _episode()
    with torch.no_grad():
        torch.testing.assert_close(model(Xc, yc, Xq, n_classes=3), model(Xc, yc, Xq, n_classes=3))
    other = _model(arch)
    with torch.no_grad():
        torch.testing.assert_close(model(Xc, yc, Xq, n_classes=3), other(Xc, yc, Xq, n_classes=3))


@pytest.mark.parametrize("arch", ARCHS)
def test_wide_tables_use_feature_subsets(arch):
    model = _model(arch, max_features=4)
    Xc, yc, Xq = _episode(n_feat=10)
    subsets = model._feature_subsets(10)
    assert sorted(torch.cat(subsets).tolist()) == list(range(10))
    assert all(len(s) <= 4 for s in subsets)
    with torch.no_grad():
        out = model(Xc, yc, Xq, n_classes=3)
    assert out.shape == (2, 7, 3) and torch.isfinite(out).all()


@pytest.mark.parametrize("arch", ARCHS)
def test_class_limit_is_enforced(arch):
    model = _model(arch, max_classes=4)
    Xc, yc, Xq = _episode()
    with pytest.raises(ValueError, match="outside what this backbone supports"):
        model(Xc, yc, Xq, n_classes=5)


@pytest.mark.parametrize("arch", ARCHS)
def test_missing_values_and_categoricals_are_accepted(arch):
    model = _model(arch)
    Xc, yc, Xq = _episode()
    Xc[0, :5, 1] = float("nan")
    Xq[1, 0, 2] = float("nan")
    Xc[..., 0] = torch.randint(0, 3, Xc[..., 0].shape).float()
    mask = torch.tensor([True, False, False, False, False])
    with torch.no_grad():
        out = model(Xc, yc, Xq, n_classes=3, categorical_mask=mask)
    assert torch.isfinite(out).all()


def test_encoding_uses_context_statistics_only():
    Xc = torch.tensor([[[0.0], [1.0], [2.0], [3.0]]])
    q1, q2 = torch.tensor([[[1.5]]]), torch.tensor([[[1.5], [1000.0]]])
    c_a, enc_a = encode_cells(Xc, q1)
    c_b, enc_b = encode_cells(Xc, q2)
    torch.testing.assert_close(c_a, c_b)
    torch.testing.assert_close(enc_a[:, 0], enc_b[:, 0])
    assert float(enc_b[0, 1, 0, 0]) <= 4.0  # squashed outlier
    assert float(enc_a[0, 0, 0, 1]) == pytest.approx(0.0, abs=1e-6)  # median -> normal score 0


def test_bad_config():
    with pytest.raises(ValueError, match="divisible"):
        CausalMixPFN(PFNConfig(d_model=30, n_heads=4))


def test_parameter_count_of_default_config():
    n = sum(p.numel() for p in CausalMixPFN().parameters())
    assert 5e5 < n < 2e6
    n_row = sum(p.numel() for p in RowPFN().parameters())
    assert 1e6 < n_row < 3e6  # wider per row, far cheaper per row than per-cell attention


@pytest.mark.parametrize("recipe", ["v1", "v2", "row"])
def test_cached_context_equals_one_joint_pass(recipe):
    from sklearn_causalmix.backbones import RECIPE_V2

    model = _model("row") if recipe == "row" else _model(**(RECIPE_V2 if recipe == "v2" else {}))
    Xc, yc, Xq = _episode(n_feat=6)
    Xc[0, :4, 1] = float("nan")
    mask = torch.tensor([[0, 1, 0, 0, 1, 0], [1, 0, 0, 0, 0, 0]], dtype=torch.bool)  # one mask per task
    with torch.no_grad():
        joint = model._forward_subset(Xc, yc, Xq, 3, mask)  # context + queries in one pass (training path)
        context = model.encode_context(Xc, yc, n_classes=3, categorical_mask=mask)
        cached = model.predict_queries(context, Xq)
        again = model.predict_queries(context, Xq[:, 2:5])  # reuse; other rows predicted alone
    torch.testing.assert_close(cached, joint, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(again, joint[:, 2:5], atol=1e-5, rtol=1e-5)
    assert context.nbytes() > 0


def test_v2_recipe_is_permutation_invariant_and_chunk_independent():
    from sklearn_causalmix.backbones import RECIPE_V2

    model = CausalMixPFN(PFNConfig(d_model=32, n_layers=2, n_heads=2, query_chunk=3, **RECIPE_V2)).eval()
    Xc, yc, Xq = _episode()
    perm = torch.randperm(Xc.shape[1], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a = model(Xc, yc, Xq, n_classes=3)
        b = model(Xc[:, perm], yc[:, perm], Xq, n_classes=3)
        model.config = PFNConfig(d_model=32, n_layers=2, n_heads=2, query_chunk=1000, **RECIPE_V2)
        c = model(Xc, yc, Xq, n_classes=3)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(a, c, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("arch", ARCHS)
def test_training_feature_vectors_follow_the_model_generator(arch):
    model = _model(arch, feature_group=2)
    model.train()
    Xc, yc, Xq = _episode()
    outs = []
    for _ in range(2):
        model.feature_generator = torch.Generator().manual_seed(7)
        with torch.no_grad():
            outs.append(model(Xc, yc, Xq, n_classes=3))
    torch.testing.assert_close(outs[0], outs[1])


def test_config_rejects_unknown_options():
    with pytest.raises(ValueError, match="norm"):
        PFNConfig(norm="batch")
    with pytest.raises(ValueError, match="decoder_input"):
        PFNConfig(decoder_input="cls")


def test_row_model_is_chunk_independent_and_rejects_bad_configs():
    model = _model("row", query_chunk=3)
    Xc, yc, Xq = _episode()
    with torch.no_grad():
        a = model(Xc, yc, Xq, n_classes=3)
        model.config = _config("row", query_chunk=1000)
        b = model(Xc, yc, Xq, n_classes=3)
    torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6)
    with pytest.raises(ValueError, match="n_feature_heads"):
        RowPFNConfig(d_feature=30, n_feature_heads=4)
    with pytest.raises(ValueError, match="n_heads"):
        RowPFNConfig(d_feature=12, n_feature_heads=3, n_cls=1, n_heads=8)
    with pytest.raises(TypeError, match="No embedded architecture"):
        build_model({"d_model": 8})


def test_row_model_cost_per_query_row_does_not_grow_with_the_features():
    """The row stage is per row; only its small cell transformer sees the features (no cell x context term)."""
    model = _model("row")
    Xc, yc, Xq = _episode(n_ctx=40, n_feat=4)
    context = model.encode_context(Xc, yc, n_classes=3)
    kv = context.state[0]["kv"]
    # one key/value row per context row (+ thinking rows), whatever the number of features
    assert kv[0][0].shape[-2] == 40 + 3
