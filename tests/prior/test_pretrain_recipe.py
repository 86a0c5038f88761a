"""The row pretraining recipe on the training core: exact resume, LAWA, optimiser groups, manifest, validation."""

import json

import pytest
import torch

from sklearn_causalmix._training import Optimizers, WeightAverage, load_checkpoint, parameter_groups, train_step
from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig, RowPFN, RowPFNConfig, load_weights, save_weights
from sklearn_causalmix.prior import PriorConfig, ValidationSuite, pretrain

TINY_ROW = RowPFNConfig(d_feature=8, n_cls=2, n_feature_heads=2, n_feature_layers=1, n_layers=2, n_heads=2,
                        thinking_rows=2)
TINY = TINY_ROW
SMALL = PriorConfig(min_rows=32, max_rows=64, max_features=4, tokens_per_batch=1024)


def _run(out, **kw):
    params = dict(config=TINY, prior_config=SMALL, lawa=2, lawa_every=2, verbose=0, seed=3, prior_eval_batches=1)
    params.update(kw)
    return pretrain(out, **params)


def _assert_same_weights(path_a, path_b):
    a, b = load_weights(path_a).state_dict(), load_weights(path_b).state_dict()
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["adamw", "muon"])
def test_resume_is_exact(tmp_path, optimizer):
    recipe, config = "row", TINY_ROW
    straight = _run(tmp_path / "a", max_steps=6, recipe=recipe, config=config, optimizer=optimizer)
    _run(tmp_path / "c", max_steps=6, steps=3, recipe=recipe, config=config, optimizer=optimizer)  # stop halfway (the schedule follows step / max_steps) ...
    assert load_checkpoint(tmp_path / "c")["run"]["step"] == 3
    resumed = pretrain(tmp_path / "c", resume=True, verbose=0, prior_eval_batches=1)  # ... and resume from the checkpoint alone
    assert resumed["steps"] == straight["steps"] == 6 and resumed["recipe"] == recipe
    assert resumed["optimizer"] == optimizer
    _assert_same_weights(tmp_path / "a" / "model.json", tmp_path / "c" / "model.json")


def test_an_interrupted_run_checkpoints_and_resumes_exactly(tmp_path, monkeypatch):
    """SIGINT / SIGTERM stop the run after the current step; the checkpoint then continues it exactly."""
    import signal

    from sklearn_causalmix.prior import _pretrain, _trainer

    straight = _run(tmp_path / "a", max_steps=5, recipe="row", config=TINY_ROW)
    make_prior = _pretrain._make_prior

    def interrupting_prior(*args):
        sample = make_prior(*args)

        def draw(seed):
            if seed == _trainer.step_seed(3, 2):  # while step 2 is being prepared
                signal.raise_signal(signal.SIGTERM)
            return sample(seed)

        return draw

    monkeypatch.setattr(_pretrain, "_make_prior", interrupting_prior)
    stopped = _run(tmp_path / "b", max_steps=5, recipe="row", config=TINY_ROW)
    assert stopped["steps"] == 3  # the step under way was finished, then the run stopped
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is restored
    monkeypatch.setattr(_pretrain, "_make_prior", make_prior)
    resumed = pretrain(tmp_path / "b", resume=True, verbose=0, prior_eval_batches=1)
    assert resumed["steps"] == straight["steps"] == 5
    _assert_same_weights(tmp_path / "a" / "model.json", tmp_path / "b" / "model.json")


def test_lawa_weights_are_the_mean_of_the_snapshots(tmp_path):
    _run(tmp_path, max_steps=4)
    snapshots = load_checkpoint(tmp_path)["lawa"]["snapshots"]
    assert len(snapshots) == 2  # steps 2 and 4
    shipped = load_weights(tmp_path / "model.json").state_dict()
    for key, value in shipped.items():
        torch.testing.assert_close(value, (snapshots[0][key] + snapshots[1][key]) / 2)
    assert any(not torch.equal(snapshots[0][k], snapshots[1][k]) for k in snapshots[0])


def test_checkpoint_average_keeps_the_last_snapshots():
    avg = WeightAverage(size=3, every=1)
    with pytest.raises(ValueError, match="No snapshot"):
        avg.average()
    for v in range(5):
        avg.add({"w": torch.tensor([float(v)])})
    assert float(avg.average()["w"]) == pytest.approx(3.0)  # mean of 2, 3, 4


@pytest.mark.parametrize("model", [CausalMixPFN(PFNConfig(d_model=16, n_layers=2, n_heads=2)), RowPFN(TINY_ROW)],
                         ids=["cell", "row"])
def test_muon_and_adamw_groups_cover_every_parameter_once(model):
    muon, adamw = parameter_groups(model)
    names = [n for n, _ in muon] + [n for n, _ in adamw]
    assert sorted(names) == sorted(n for n, _ in model.named_parameters())
    assert len(set(names)) == len(names)
    assert all(p.ndim == 2 and n.startswith(("blocks.", "feature_blocks.")) for n, p in muon)
    assert any(n.startswith("blocks.") for n, _ in muon)
    for kind in ("muon", "adamw"):
        optimizers = Optimizers(model, kind).optimizers
        ids = [id(p) for opt in optimizers for g in opt.param_groups for p in g["params"]]
        assert sorted(ids) == sorted(id(p) for p in model.parameters()) and len(set(ids)) == len(ids)
    with pytest.raises(ValueError, match="optimizer"):
        Optimizers(model, optimizer="sgd")


@pytest.mark.parametrize("optimizer", ["muon", "adamw"])
def test_pretraining_lowers_the_loss_on_a_fixed_task(tmp_path, optimizer):
    from sklearn_causalmix.prior import SCMPrior

    torch.manual_seed(0)
    model = RowPFN(TINY_ROW).train()
    episode = SCMPrior(SMALL, seed=5).sample(shape=(64, 4, 2)).episode()
    optimizers = Optimizers(model, optimizer, lr=3e-3)
    model.feature_generator = torch.Generator().manual_seed(0)
    losses = [train_step(model, optimizers, episode) for _ in range(30)]
    assert losses[-1] < losses[0] - 0.05


def test_manifest_records_recipe_and_validation_curve(tmp_path):
    suite = ValidationSuite(tables=["iris"], seeds=(0,), max_train=48, max_test=48)
    m = _run(tmp_path, max_steps=2, validation=suite)
    written = json.loads((tmp_path / "model.json").read_text())
    assert written["sha256"] == m["sha256"] and written["recipe"] == "row"
    assert written["architecture"]["thinking_rows"] == 2 and written["optimizer"] == "adamw"
    curve = written["validation_curve"]
    assert [p["step"] for p in curve] == [0, 2]  # before training and at the end
    assert all(0.0 <= p["mean_auc"] <= 1.0 for p in curve)
    loaded = load_weights(tmp_path / "model.json")
    assert loaded.config == TINY


def test_resume_without_checkpoint_says_how_to_start(tmp_path):
    with pytest.raises(FileNotFoundError, match="causalmix pretrain --out"):
        pretrain(tmp_path, resume=True, verbose=0)


def test_unknown_recipe_and_prior_are_refused(tmp_path):
    with pytest.raises(ValueError, match="recipe"):
        _run(tmp_path, max_steps=1, recipe="v9")
    with pytest.raises(ValueError, match="'config' parameter of pretrain must be an instance of .*RowPFNConfig"):
        _run(tmp_path, max_steps=1, recipe="row", config=PFNConfig(d_model=16, n_layers=1))
    with pytest.raises(ValueError, match="prior"):
        _run(tmp_path, max_steps=1, prior="gan")


def test_init_keeps_the_architecture_and_takes_the_trained_context_limit(tmp_path):
    _run(tmp_path / "first", max_steps=1)
    wider = RowPFNConfig(d_feature=16, n_layers=1, max_context_rows=777)  # only the limit applies with init
    m = _run(tmp_path / "second", max_steps=1, init=tmp_path / "first" / "model.json", config=wider)
    assert m["architecture"] == dict(TINY.to_dict(), max_context_rows=777)


def test_retired_recipes_say_so(tmp_path):
    """A checkpoint of the retired per-cell recipes is refused with the way out; their weights still load."""
    from sklearn_causalmix._training import save_checkpoint

    _run(tmp_path / "row", max_steps=1)
    state = load_checkpoint(tmp_path / "row")
    state["settings"]["recipe"] = "v2"
    save_checkpoint(state, tmp_path / "old")
    with pytest.raises(ValueError, match="retired recipe 'v2'.*version 0.1"):
        pretrain(tmp_path / "old", resume=True, verbose=0)
    cell = CausalMixPFN(PFNConfig(d_model=16, n_layers=1))
    save_weights(cell, tmp_path / "cell" / "model.json")
    assert isinstance(load_weights(tmp_path / "cell" / "model.json"), CausalMixPFN)
    with pytest.raises(ValueError, match="continues RowPFN weights only"):
        _run(tmp_path / "again", max_steps=1, init=tmp_path / "cell" / "model.json")


def test_threads_are_restored_after_the_run(tmp_path):
    before = torch.get_num_threads()
    m = _run(tmp_path, max_steps=1, threads=1)
    assert m["sessions"][-1]["threads"] == 1
    assert torch.get_num_threads() == before
