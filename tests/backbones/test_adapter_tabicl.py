"""TabICL adapter: parity with tabicl.TabICLClassifier, fine-tuning through our loop, specs and weights."""

import numpy as np
import pytest
import torch

pytest.importorskip(
    "tabicl", reason="needs the tabicl extra: pip install 'sklearn-causalmix[tabicl]'"
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
from tabicl import TabICLClassifier  # noqa: E402
from tabicl._model.tabicl import TabICL  # noqa: E402

from sklearn_causalmix.backbones import TabICLBackbone  # noqa: E402
from sklearn_causalmix.backbones.adapters._tabicl import ENV_VAR, tiny_tabicl_config  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    config = tiny_tabicl_config()
    path = tmp_path_factory.mktemp("tabicl") / "tiny-tabicl.ckpt"
    torch.save({"config": config, "state_dict": TabICL(**config).state_dict()}, path)
    return str(path)


def official(path):
    return TabICLClassifier(n_estimators=1, model_path=path, allow_auto_download=False, device="cpu")


@pytest.mark.parametrize("n_train", [60, 120])
def test_zero_shot_parity_with_the_official_estimator(checkpoint, n_train):
    check_parity(TabICLBackbone(weights=checkpoint), lambda: official(checkpoint), n_train)


def test_registered_name_reads_the_environment_variable(checkpoint, monkeypatch):
    check_registered_name_and_env_var("tabicl", ENV_VAR, checkpoint, monkeypatch, TabICLBackbone(checkpoint))


def test_no_weights_no_download_explains_how_to_get_them(monkeypatch, tmp_path):
    check_missing_weights("tabicl", ENV_VAR, TabICLBackbone, monkeypatch, tmp_path)


def test_regression_checkpoint_is_refused(tmp_path):
    config = tiny_tabicl_config(max_classes=0, num_quantiles=9)
    path = tmp_path / "reg.ckpt"
    torch.save({"config": config, "state_dict": TabICL(**config).state_dict()}, path)
    with pytest.raises(ValueError, match="regression"):
        TabICLBackbone(weights=path)()


def test_spec_is_a_clonable_searchable_parameter(checkpoint):
    check_spec_is_a_parameter(TabICLBackbone(weights=checkpoint), checkpoint)


def test_finetuning_learns_and_writes_an_official_checkpoint(checkpoint, tmp_path):
    clf = check_finetuning_learns(TabICLBackbone(weights=checkpoint))
    check_saved_checkpoint_loads_officially(clf, official, tmp_path)


def test_grid_search_over_synthetic_ratio_and_pickle(checkpoint):
    check_grid_search_and_pickle(TabICLBackbone(weights=checkpoint))


def test_batched_episodes_with_different_constant_columns(checkpoint):
    backbone = TabICLBackbone(weights=checkpoint)().eval()
    Xc, Xq = torch.randn(2, 30, 4), torch.randn(2, 5, 4)
    Xc[1, :, 2] = 3.0  # constant in the second episode only: it keeps fewer columns
    yc = torch.randint(0, 3, (2, 30))
    with torch.no_grad():
        both = backbone(Xc, yc, Xq, n_classes=3)
        second = backbone(Xc[1:], yc[1:], Xq[1:], n_classes=3)
    assert both.shape == (2, 5, 3)
    np.testing.assert_allclose(both[1:].numpy(), second.numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="n_classes=11"):
        backbone(Xc, yc, Xq, n_classes=11)


def test_study_command_runs_on_the_adapter(checkpoint, tmp_path, monkeypatch, capsys):
    pytest.importorskip("palmerpenguins", reason="needs the datasets extra")
    from sklearn_causalmix._cli import main

    monkeypatch.delenv(ENV_VAR, raising=False)
    base = ["study", "--quick", "--datasets", "penguins", "--methods", "zero-shot", "--n-train", "40",
            "--max-test", "30", "--quiet", "--device", "cpu", "--output", str(tmp_path / "out")]
    assert main(base + ["--backbone", "tabicl"]) == 2
    assert "SKLEARN_CAUSALMIX_TABICL_WEIGHTS" in capsys.readouterr().err
    assert main(base + ["--backbone", "no-such-model"]) == 2
    assert main(base + ["--weights", checkpoint]) == 2  # the embedded default takes no --weights
    capsys.readouterr()
    assert main(base + ["--backbone", "tabicl", "--weights", checkpoint]) == 0
    report = (tmp_path / "out" / "report.md").read_text()
    assert "TabICLBackbone" in report and checkpoint in report
