"""TabICL-only behaviour: regression checkpoints refused, episodes of different widths batched, the study CLI.

The checks every adapter shares (parity with ``tabicl.TabICLClassifier``, fine-tuning, specs, weights) are in
``test_adapters.py``; the checkpoint fixture is in ``conftest.py``.
"""

import numpy as np
import pytest
import torch

pytest.importorskip(
    "tabicl", reason="needs the tabicl extra: pip install 'sklearn-causalmix[tabicl]'"
)

from tabicl._model.tabicl import TabICL  # noqa: E402

from sklearn_causalmix.backbones import TabICLBackbone  # noqa: E402
from sklearn_causalmix.backbones.adapters._tabicl import ENV_VAR, tiny_tabicl_config  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tabicl_checkpoint):
    return tabicl_checkpoint


def test_regression_checkpoint_is_refused(tmp_path):
    config = tiny_tabicl_config(max_classes=0, num_quantiles=9)
    path = tmp_path / "reg.ckpt"
    torch.save({"config": config, "state_dict": TabICL(**config).state_dict()}, path)
    with pytest.raises(ValueError, match="regression"):
        TabICLBackbone(weights=path)()


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
