"""Random-weight checkpoints of the third-party networks, written once per test session (offline, tiny).

Each fixture skips its tests when the adapter's optional package is not installed.
"""

import pytest
import torch


@pytest.fixture(scope="session")
def tabicl_checkpoint(tmp_path_factory):
    """Path of a tiny TabICL classifier checkpoint in the official format."""
    pytest.importorskip("tabicl", reason="needs the tabicl extra: pip install 'sklearn-causalmix[tabicl]'")
    from tabicl._model.tabicl import TabICL

    from sklearn_causalmix.backbones.adapters._tabicl import tiny_tabicl_config

    torch.manual_seed(0)
    config = tiny_tabicl_config()
    path = tmp_path_factory.mktemp("tabicl") / "tiny-tabicl.ckpt"
    torch.save({"config": config, "state_dict": TabICL(**config).state_dict()}, path)
    return str(path)


@pytest.fixture(scope="session")
def tabpfn_checkpoint(tmp_path_factory):
    """Path of a tiny TabPFN v2 classifier checkpoint in the official format."""
    pytest.importorskip("tabpfn", reason="needs the tabpfn extra: pip install 'sklearn-causalmix[tabpfn]'")
    from sklearn_causalmix.backbones.adapters._tabpfn import tiny_tabpfn_v2_model

    model, meta = tiny_tabpfn_v2_model(seed=0)
    path = tmp_path_factory.mktemp("tabpfn") / "tiny-tabpfn-v2.ckpt"
    torch.save({**meta, "state_dict": model.state_dict()}, path)
    return str(path)
