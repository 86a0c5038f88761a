import json
import socket

import pytest
import torch

from sklearn_causalmix.backbones import (
    EMBEDDED_WEIGHTS,
    CausalMixPFN,
    PFNConfig,
    RowPFN,
    RowPFNConfig,
    TabularBackbone,
    WeightsChecksumError,
    file_sha256,
    get_backbone,
    load_default_backbone,
    load_weights,
    save_weights,
)


def _tiny():
    torch.manual_seed(0)
    return CausalMixPFN(PFNConfig(d_model=16, n_layers=1, n_heads=2))


def _tiny_row():
    torch.manual_seed(0)
    return RowPFN(RowPFNConfig(d_feature=8, n_cls=2, n_feature_heads=2, n_layers=1, n_heads=2, thinking_rows=2))


@pytest.mark.parametrize("make", [_tiny, _tiny_row])
def test_roundtrip_gives_identical_predictions(tmp_path, make):
    model = make().eval()
    manifest = save_weights(model, tmp_path / "m.json", seed=3)
    assert manifest["sha256"] == file_sha256(tmp_path / "m.safetensors")
    assert json.loads((tmp_path / "m.json").read_text())["seed"] == 3
    loaded = load_weights(tmp_path / "m.json")
    assert type(loaded) is type(model) and loaded.config == model.config
    Xc, yc, Xq = torch.randn(1, 12, 3), torch.randint(0, 2, (1, 12)), torch.randn(1, 4, 3)
    with torch.no_grad():
        torch.testing.assert_close(model(Xc, yc, Xq, n_classes=2), loaded(Xc, yc, Xq, n_classes=2))


def test_checksum_mismatch_is_a_clear_error(tmp_path):
    save_weights(_tiny(), tmp_path / "m.json")
    blob = bytearray((tmp_path / "m.safetensors").read_bytes())
    blob[-1] ^= 0xFF
    (tmp_path / "m.safetensors").write_bytes(bytes(blob))
    with pytest.raises(WeightsChecksumError, match="sha256"):
        load_weights(tmp_path / "m.json")


def test_missing_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No weights manifest"):
        load_weights(tmp_path / "nope.json")
    save_weights(_tiny(), tmp_path / "m.json")
    (tmp_path / "m.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_weights(tmp_path / "m.json")


def test_embedded_weights_ship_with_a_matching_checksum():
    manifest = json.loads(EMBEDDED_WEIGHTS.read_text())
    assert file_sha256(EMBEDDED_WEIGHTS.parent / manifest["weights_file"]) == manifest["sha256"]
    assert manifest["steps"] > 0 and 0.5 < manifest["val_auc"] <= 1.0


def test_loading_needs_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    model = load_default_backbone()
    assert isinstance(model, TabularBackbone) and not model.training


def test_registry_errors():
    with pytest.raises(ValueError, match="Unknown backbone"):
        get_backbone("nope")
    with pytest.raises(TypeError, match="not a live nn.Module"):
        get_backbone(_tiny())
    with pytest.raises(TypeError, match="must return"):
        get_backbone(lambda: object())
    with pytest.raises(TypeError, match="str or a callable"):
        get_backbone(3)


def test_default_backbone_is_a_fresh_copy_each_time():
    a, b = get_backbone("default"), get_backbone("default")
    with torch.no_grad():
        next(a.parameters()).add_(1.0)
    assert not torch.equal(next(a.parameters()), next(b.parameters()))


def test_unknown_weights_format_is_a_clear_error(tmp_path):
    save_weights(_tiny(), tmp_path / "m.json")
    manifest = json.loads((tmp_path / "m.json").read_text())
    (tmp_path / "m.json").write_text(json.dumps(dict(manifest, format="someone-else/v9")))
    with pytest.raises(ValueError, match="format 'someone-else/v9'.*Upgrade"):
        load_weights(tmp_path / "m.json")
    with pytest.raises(TypeError, match="embedded models only"):
        save_weights(torch.nn.Linear(2, 2), tmp_path / "x.json")
