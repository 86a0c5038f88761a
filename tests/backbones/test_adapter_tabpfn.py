"""TabPFN v2 adapter: parity with tabpfn.TabPFNClassifier, fine-tuning through our loop, specs and weights."""

import numpy as np
import pytest
import torch

pytest.importorskip(
    "tabpfn", reason="needs the tabpfn extra: pip install 'sklearn-causalmix[tabpfn]'"
)

from backbone_adapter_checks import (  # noqa: E402
    check_finetuning_learns,
    check_grid_search_and_pickle,
    check_missing_weights,
    check_parity,
    check_registered_name_and_env_var,
    check_saved_checkpoint_loads_officially,
    check_spec_is_a_parameter,
)
from tabpfn import TabPFNClassifier  # noqa: E402

from sklearn_causalmix.backbones import TabPFNV2Backbone  # noqa: E402
from sklearn_causalmix.backbones._tabpfn import (  # noqa: E402
    ENV_VAR,
    parity_inference_config,
    tiny_tabpfn_v2_model,
)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    model, meta = tiny_tabpfn_v2_model(seed=0)
    path = tmp_path_factory.mktemp("tabpfn") / "tiny-tabpfn-v2.ckpt"
    torch.save({**meta, "state_dict": model.state_dict()}, path)
    return str(path)


def official(path):
    return TabPFNClassifier(
        n_estimators=1, model_path=path, device="cpu", inference_config=parity_inference_config(),
        random_state=0,
    )


@pytest.mark.parametrize("n_train", [60, 120])  # 120 > 100 rows: tabpfn infers low-cardinality categoricals
def test_zero_shot_parity_with_the_official_estimator(checkpoint, n_train):
    check_parity(TabPFNV2Backbone(weights=checkpoint), lambda: official(checkpoint), n_train)


def test_registered_name_reads_the_environment_variable(checkpoint, monkeypatch):
    check_registered_name_and_env_var(
        "tabpfn-v2", ENV_VAR, checkpoint, monkeypatch, TabPFNV2Backbone(checkpoint)
    )


def test_no_weights_no_download_explains_how_to_get_them(monkeypatch, tmp_path):
    check_missing_weights("tabpfn-v2", ENV_VAR, TabPFNV2Backbone, monkeypatch, tmp_path)


def test_later_tabpfn_architectures_are_refused(checkpoint, tmp_path):
    state = torch.load(checkpoint, weights_only=False)
    path = tmp_path / "v2_5.ckpt"
    torch.save({**state, "architecture_name": "tabpfn_v2_5"}, path)
    with pytest.raises(ValueError, match="only TabPFN v2 weights are supported.*non-commercial"):
        TabPFNV2Backbone(weights=path)()


def test_spec_is_a_clonable_searchable_parameter(checkpoint):
    check_spec_is_a_parameter(TabPFNV2Backbone(weights=checkpoint), checkpoint)


def test_finetuning_learns_and_writes_an_official_checkpoint(checkpoint, tmp_path):
    clf = check_finetuning_learns(TabPFNV2Backbone(weights=checkpoint))
    check_saved_checkpoint_loads_officially(clf, official, tmp_path)


def test_grid_search_over_synthetic_ratio_and_pickle(checkpoint):
    check_grid_search_and_pickle(TabPFNV2Backbone(weights=checkpoint))


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
