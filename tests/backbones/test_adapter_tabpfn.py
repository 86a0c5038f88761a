"""TabPFN v2 only: later architectures refused, absent classes, the key/value cache, query independence.

The checks every adapter shares (parity with ``tabpfn.TabPFNClassifier``, fine-tuning, specs, weights) are in
``test_adapters.py``; the checkpoint fixture is in ``conftest.py``.
"""

import numpy as np
import pytest
import torch

pytest.importorskip(
    "tabpfn", reason="needs the tabpfn extra: pip install 'sklearn-causalmix[tabpfn]'"
)

from sklearn_causalmix.backbones import TabPFNV2Backbone  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tabpfn_checkpoint):
    return tabpfn_checkpoint


def test_later_tabpfn_architectures_are_refused(checkpoint, tmp_path):
    state = torch.load(checkpoint, weights_only=False)
    path = tmp_path / "v2_5.ckpt"
    torch.save({**state, "architecture_name": "tabpfn_v2_5"}, path)
    with pytest.raises(ValueError, match="only TabPFN v2 weights are supported.*non-commercial"):
        TabPFNV2Backbone(weights=path)()


def test_class_absent_from_the_context_gets_the_lowest_finite_logit(checkpoint):
    backbone = TabPFNV2Backbone(weights=checkpoint)().eval()
    Xc, Xq = torch.randn(1, 30, 3), torch.randn(1, 6, 3)
    yc = torch.tensor([[0, 2] * 15])  # class 1 of 3 is missing from the context
    with torch.no_grad():
        logits = backbone(Xc, yc, Xq, n_classes=3)
        full = backbone(Xc, (yc > 0).long(), Xq, n_classes=2)
    assert torch.isfinite(logits).all()
    assert (logits[0, :, 1] < logits[0, :, [0, 2]].min(dim=-1).values).all()
    # the present classes keep the network's outputs (labels densified by rank)
    np.testing.assert_allclose(logits[0][:, [0, 2]].numpy(), full[0].numpy(), atol=1e-5)


def test_key_value_cache_equals_forward_in_any_chunks(checkpoint):
    backbone = TabPFNV2Backbone(weights=checkpoint)().eval()
    g = torch.Generator().manual_seed(0)
    Xc, Xq = torch.randn(3, 40, 5, generator=g), torch.randn(3, 25, 5, generator=g)
    Xc[:, 3, 1], Xq[:, 0, 2] = float("nan"), 80.0  # a missing context value, a query outlier
    Xc[..., 4] = torch.randint(0, 3, (3, 40), generator=g).float()
    yc = torch.randint(0, 3, (3, 40), generator=g)
    yc[2] = yc[2].clamp(max=1)  # the third task lacks class 2 in its context
    masks = torch.tensor([[0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]], dtype=torch.bool)
    with torch.no_grad():
        full = torch.cat(
            [backbone(Xc[b : b + 1], yc[b : b + 1], Xq[b : b + 1], n_classes=3, categorical_mask=masks[b])
             for b in range(3)]
        )
        context = backbone.encode_context(Xc, yc, n_classes=3, categorical_mask=masks)
        chunks = torch.cat([backbone.predict_queries(context, Xq[:, s : s + 7]) for s in range(0, 25, 7)], 1)
        again = backbone.predict_queries(context, Xq)
    np.testing.assert_allclose(chunks.numpy(), full.numpy(), atol=1e-5)
    np.testing.assert_allclose(again.numpy(), full.numpy(), atol=1e-5)
    assert context.nbytes() > 0


def test_context_with_only_constant_columns_predicts_from_the_labels(checkpoint):
    # e.g. the first rows of a sorted table, as a cache-size probe sees them; tabpfn itself refuses such a table
    backbone = TabPFNV2Backbone(weights=checkpoint)().eval()
    Xc, Xq = torch.ones(1, 20, 3), torch.randn(1, 4, 3)
    yc = torch.tensor([[0] * 15 + [1] * 5])
    with torch.no_grad():
        logits = backbone(Xc, yc, Xq, n_classes=2)
        cached = backbone.predict_queries(backbone.encode_context(Xc, yc, n_classes=2), Xq)
    assert torch.isfinite(logits).all()
    np.testing.assert_allclose(cached.numpy(), logits.numpy(), atol=1e-5)


def test_a_query_row_does_not_change_the_others(checkpoint):
    backbone = TabPFNV2Backbone(weights=checkpoint)().eval()
    g = torch.Generator().manual_seed(1)
    Xc, Xq = torch.randn(1, 30, 3, generator=g), torch.randn(1, 6, 3, generator=g)
    Xc[0, :, 1], Xc[0, 4, 1] = 2.0, float("nan")  # observed context values all equal, one missing
    Xq[0, 0, 1] = 2.0  # alone, this query would leave the column constant over all rows
    yc = torch.randint(0, 2, (1, 30), generator=g)
    with torch.no_grad():
        together = backbone(Xc, yc, Xq, n_classes=2)
        alone = torch.cat([backbone(Xc, yc, Xq[:, i : i + 1], n_classes=2) for i in range(6)], dim=1)
    np.testing.assert_allclose(together.numpy(), alone.numpy(), atol=1e-5)
