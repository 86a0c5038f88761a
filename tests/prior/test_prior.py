import json
import subprocess
import sys

import pytest
import torch

from sklearn_causalmix.backbones import RowPFNConfig, load_default_backbone
from sklearn_causalmix.prior import PriorConfig, SCMPrior, episode_loss, pretrain

SMALL = PriorConfig(min_rows=40, max_rows=80, max_features=6, tokens_per_batch=2048)


def test_batches_are_reproducible_by_seed():
    a, b = SCMPrior(SMALL, seed=5).sample(), SCMPrior(SMALL, seed=5).sample()
    assert torch.equal(torch.nan_to_num(a.X, 99.0), torch.nan_to_num(b.X, 99.0))
    assert torch.equal(a.y, b.y) and a.n_context == b.n_context
    c = SCMPrior(SMALL, seed=6).sample()
    assert a.X.shape != c.X.shape or not torch.equal(torch.nan_to_num(a.X), torch.nan_to_num(c.X))


def test_batch_contents():
    prior = SCMPrior(PriorConfig(max_rows=120, tokens_per_batch=4096, p_missing=1.0, p_categorical=1.0), seed=0)
    for _ in range(5):
        batch = prior.sample()
        B, n, f = batch.X.shape
        assert batch.y.shape == (B, n) and 0 < batch.n_context < n
        assert int(batch.y.min()) >= 0 and int(batch.y.max()) < batch.n_classes <= 10
        cats = batch.X[..., batch.categorical_mask]
        observed = cats[~torch.isnan(cats)]
        assert torch.equal(observed, observed.round())
    assert torch.isnan(batch.X).any()


def test_fixed_shape_and_several_classes():
    batch = SCMPrior(SMALL, seed=1).sample(shape=(60, 4, 5))
    assert batch.X.shape[1:] == (60, 4) and batch.n_classes == 5
    assert len(torch.unique(batch.y)) >= 3  # quantile cuts give populated classes


def test_tiny_cpu_pretraining_lowers_the_loss():
    # Continue pretraining the shipped weights for 20 steps on a fixed batch of prior tasks: the loss on
    # that batch (measured in eval mode, which is deterministic) must go down.
    torch.manual_seed(0)
    model = load_default_backbone()
    batch = SCMPrior(SMALL, seed=2).sample(shape=(64, 4, 2))

    def eval_loss():
        model.eval()
        with torch.no_grad():
            return float(episode_loss(model, batch))

    before = eval_loss()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for _ in range(20):
        loss = episode_loss(model, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert eval_loss() < before - 0.02


def test_pretrain_writes_weights_and_manifest(tmp_path):
    m = pretrain(tmp_path, max_steps=3, config=RowPFNConfig(d_feature=8, n_cls=2, n_layers=1, n_heads=2),
                 prior_config=SMALL, verbose=0)
    written = json.loads((tmp_path / "model.json").read_text())
    assert written["steps"] == 3 and written["sha256"] == m["sha256"]
    for key in ["architecture", "seed", "rows_seen", "hardware", "wall_time_s", "val_auc", "tasks_per_s"]:
        assert key in written
    assert (tmp_path / "model.safetensors").is_file()


def test_cli_pretrain(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_causalmix._cli", "pretrain", "--out", str(tmp_path), "--max-steps", "2",
         "--d-feature", "8", "--n-cls", "2", "--n-layers", "1", "--n-heads", "2", "--max-rows", "64", "--max-features", "4",
         "--tokens", "1024", "--device", "cpu", "--validation", "none", "--quiet"],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["steps"] == 2
    assert (tmp_path / "model.safetensors").is_file()


def test_cli_pretrain_row_recipe_resumes_and_records_its_commands(tmp_path):
    from sklearn_causalmix._cli import main
    from sklearn_causalmix.backbones import RowPFN, load_weights

    common = ["--validation", "none", "--quiet", "--device", "cpu"]
    first = ["pretrain", "--recipe", "row", "--out", str(tmp_path), "--max-steps", "2", "--d-feature", "8",
             "--n-cls", "2", "--n-heads", "2", "--n-layers", "1", "--feature-layers", "1", "--max-rows", "64",
             "--max-features", "4", "--tokens", "1024", *common]
    assert main(first) == 0
    assert main(["pretrain", "--resume", "--out", str(tmp_path), "--max-steps", "3", *common]) == 0
    model = load_weights(tmp_path / "model.json")
    assert isinstance(model, RowPFN) and model.config.max_context_rows == 64
    assert model.manifest["steps"] == 3 and model.manifest["recipe"] == "row"
    commands = model.manifest["commands"]
    assert len(commands) == 2 and commands[0].startswith("causalmix pretrain --recipe row")
    assert "--resume" in commands[1]
    # another machine can run them: the output folder is OUT, not this machine's path
    assert all("--out OUT" in c and str(tmp_path) not in c for c in commands)


def test_recorded_pretrain_command_names_no_home_folder(monkeypatch, tmp_path):
    from sklearn_causalmix._cli._pretrain import portable_command

    monkeypatch.setenv("HOME", str(tmp_path))
    command = portable_command(["pretrain", "--out", str(tmp_path / "run"), "--init",
                                str(tmp_path / "my weights" / "model.json"), "--minutes", "5"])
    assert command == "causalmix pretrain --out OUT --init ~/'my weights/model.json' --minutes 5"


@pytest.mark.parametrize("argv, message", [
    (["--recipe", "row", "--d-feature", "10"], "divisible by 4"),
    (["--recipe", "row", "--d-feature", "12", "--n-cls", "1", "--n-heads", "8"], "must be divisible by --n-heads"),
    (["--recipe", "row", "--n-cls", "0"], "--n-cls must be at least 1"),
])
def test_cli_pretrain_refuses_bad_row_architectures(tmp_path, capsys, argv, message):
    from sklearn_causalmix._cli import main

    assert main(["pretrain", "--out", str(tmp_path), *argv]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error shown where CUDA is missing")
def test_cli_refuses_missing_cuda(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_causalmix._cli", "pretrain", "--out", str(tmp_path), "--device", "cuda"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 2 and "no CUDA device" in out.stderr
