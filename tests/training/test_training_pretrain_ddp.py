"""Data-parallel pretraining (torchrun, 2 gloo processes) gives the updates of one process with the same global
batch, and its checkpoints resume with another number of processes exactly."""

import json
from pathlib import Path

import pytest
import torch

from ddp_launch import torchrun
from sklearn_causalmix._cli import main
from sklearn_causalmix._training import load_checkpoint
from sklearn_causalmix.backbones import load_weights

# a tiny row model on tiny prior tasks, 3 micro-batches per step: rank 0 takes micro-batches 0 and 2, rank 1 takes 1
ARGS = ["--d-feature", "8", "--n-cls", "2", "--feature-layers", "1", "--n-layers", "1", "--n-heads", "2",
        "--min-rows", "32", "--max-rows", "48", "--max-features", "4", "--tokens", "1024", "--seed", "3",
        "--max-steps", "4", "--micro-batches", "3", "--validation", "none", "--device", "cpu", "--threads", "1",
        "--quiet"]


def _cli(out, *extra):
    assert main(["pretrain", "--out", str(out), *ARGS, *extra]) == 0


def _cli_two_processes(out, *extra):
    torchrun(["-m", "sklearn_causalmix._cli", "pretrain", "--out", str(out), *ARGS, *extra])


def _comparable(state):
    """The weights whose gradient is not zero in exact arithmetic: every tensor but the key biases of attention.

    A key bias adds the same number to every attention score of a query, which the softmax ignores: its gradient
    is rounding noise (~1e-12), which Adam scales up to learning-rate-sized steps whose sign depends on the order
    of the sums, so 1 and 2 processes move it differently without changing what the model computes.
    """
    kept = {}
    for key, value in state.items():
        if key.endswith("qkv.bias"):
            d = value.numel() // 3
            value = torch.cat([value[:d], value[2 * d:]])
        kept[key] = value
    return kept


def _assert_same_run(a: Path, b: Path, rtol=1e-4):
    """Same stream (tasks and rows exactly), same loss curve and weights (last iterate and LAWA) to tolerance."""
    ra, rb = load_checkpoint(a)["run"], load_checkpoint(b)["run"]
    assert (ra["step"], ra["tasks"], ra["rows"]) == (rb["step"], rb["tasks"], rb["rows"])
    assert [p["step"] for p in ra["loss_curve"]] == [p["step"] for p in rb["loss_curve"]]
    for pa, pb in zip(ra["loss_curve"], rb["loss_curve"]):
        assert pa["loss_ema"] == pytest.approx(pb["loss_ema"], rel=rtol)
    pairs = [(load_checkpoint(a)["model"], load_checkpoint(b)["model"]),
             (load_weights(a / "model.json").state_dict(), load_weights(b / "model.json").state_dict())]
    for wa, wb in pairs:
        wa, wb = _comparable(wa), _comparable(wb)
        assert wa.keys() == wb.keys()
        for key in wa:
            torch.testing.assert_close(wa[key], wb[key], rtol=rtol, atol=1e-6, msg=key)
    # and the models compute the same: the written (LAWA) weights on a fixed prior batch
    from sklearn_causalmix.prior import PriorConfig, SCMPrior, episode_loss

    batch = SCMPrior(PriorConfig(tokens_per_batch=1024), seed=11).sample(shape=(40, 4, 3))
    la, lb = (load_weights(folder / "model.json").eval() for folder in (a, b))
    with torch.no_grad():
        assert float(episode_loss(la, batch)) == pytest.approx(float(episode_loss(lb, batch)), rel=rtol)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """One process, 4 steps of 3 micro-batches."""
    out = tmp_path_factory.mktemp("straight")
    _cli(out)
    return out


@pytest.mark.slow
def test_two_processes_give_the_updates_of_one(straight, tmp_path):
    _cli_two_processes(tmp_path)
    _assert_same_run(straight, tmp_path)
    manifest = json.loads((tmp_path / "model.json").read_text())
    assert (manifest["world_size"], manifest["micro_batches"], manifest["steps"]) == (2, 3, 4)
    assert manifest["sessions"][-1]["world_size"] == 2
    assert json.loads((straight / "model.json").read_text())["world_size"] == 1
    assert not (tmp_path / "checkpoint.tmp").exists()


@pytest.mark.slow
def test_a_two_process_checkpoint_resumes_in_one_process(straight, tmp_path):
    _cli_two_processes(tmp_path, "--steps", "2")
    assert load_checkpoint(tmp_path)["run"]["step"] == 2
    assert main(["pretrain", "--resume", "--out", str(tmp_path), "--quiet", "--validation", "none"]) == 0
    _assert_same_run(straight, tmp_path)
    assert [s["world_size"] for s in json.loads((tmp_path / "model.json").read_text())["sessions"]] == [2, 1]


@pytest.mark.slow
def test_a_one_process_checkpoint_resumes_in_two(straight, tmp_path):
    _cli(tmp_path, "--steps", "2")
    torchrun(["-m", "sklearn_causalmix._cli", "pretrain", "--resume", "--out", str(tmp_path), "--quiet",
              "--validation", "none"])
    _assert_same_run(straight, tmp_path)
    assert json.loads((tmp_path / "model.json").read_text())["world_size"] == 2


def test_fewer_micro_batches_than_processes_is_refused():
    from sklearn_causalmix.prior._pretrain import _check_world_size

    _check_world_size(3, 2)
    with pytest.raises(ValueError, match="micro_batches=1 is smaller than the number of processes \\(2\\)"):
        _check_world_size(1, 2)


def test_micro_batches_are_seeded_by_seed_step_and_index_only():
    from sklearn_causalmix.prior._trainer import micro_seed, step_seed

    assert micro_seed(3, 7, 0) == step_seed(3, 7)  # one micro-batch: the stream of earlier runs
    seeds = {micro_seed(s, t, m) for s in range(3) for t in range(50) for m in range(4)}
    assert len(seeds) == 3 * 50 * 4
    assert micro_seed(3, 7, 2) == micro_seed(3, 7, 2)


def test_one_process_with_micro_batches_is_the_mean_of_their_losses(tmp_path):
    """Three micro-batches in one process: the first one's loss and stream are those of a one-batch step."""
    _cli(tmp_path / "m1", "--micro-batches", "1", "--max-steps", "1")
    _cli(tmp_path / "m3", "--max-steps", "1")
    one, three = load_checkpoint(tmp_path / "m1")["run"], load_checkpoint(tmp_path / "m3")["run"]
    assert three["tasks"] > one["tasks"] and three["step"] == one["step"] == 1
    assert json.loads((tmp_path / "m3" / "model.json").read_text())["micro_batches"] == 3
