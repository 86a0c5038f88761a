"""Data parallelism of the training core: the collectives on 2 gloo processes, and their no-ops on one."""

import json

import pytest
import torch

from ddp_launch import torchrun
from sklearn_causalmix._training import Budget, DataParallel, accumulate_gradients, data_parallel
from sklearn_causalmix._training import Episode, Optimizers, train_step


def _episode(seed):
    g = torch.Generator().manual_seed(seed)
    return Episode(torch.randn(2, 12, 3, generator=g), torch.randint(0, 2, (2, 12), generator=g),
                   torch.randn(2, 5, 3, generator=g), torch.randint(0, 2, (2, 5), generator=g),
                   torch.zeros(3, dtype=torch.bool), n_classes=2)


def _model():
    from sklearn_causalmix.backbones import RowPFN, RowPFNConfig

    torch.manual_seed(0)
    model = RowPFN(RowPFNConfig(d_feature=8, n_cls=2, n_feature_heads=2, n_feature_layers=1, n_layers=1, n_heads=2,
                                thinking_rows=0)).train()
    model.feature_generator = torch.Generator().manual_seed(0)
    return model


def test_one_process_is_a_no_op():
    with data_parallel("cpu") as ranks:
        assert (ranks.rank, ranks.world_size, ranks.is_main) == (0, 1, True)
        model = torch.nn.Linear(2, 1)
        assert model.weight.grad is None
        assert ranks.sum_gradients(model.parameters(), [1.0, 2]) == [1.0, 2]
        assert model.weight.grad is None  # nothing touched
        assert ranks.agree(True, 0.3) == (True, 0.3)
        assert ranks.broadcast_object({"a": 1}) == {"a": 1}
        assert list(DataParallel().shard(4)) == [0, 1, 2, 3]


def test_scaled_micro_batches_sum_to_the_batch_gradient():
    """Two micro-batches at scale 1/2 give the gradient of their mean loss; scale 1 is train_step's bit for bit."""
    model = _model()
    a, b = _episode(1), _episode(2)
    losses = [accumulate_gradients(model, e, scale=0.5) for e in (a, b)]
    accumulated = [p.grad.clone() for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    from sklearn_causalmix._training import query_loss

    model.feature_generator = torch.Generator().manual_seed(0)
    ((query_loss(model, a) + query_loss(model, b)) / 2).backward()
    for got, want in zip(accumulated, (p.grad for p in model.parameters())):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-7)
    assert all(loss > 0 for loss in losses)

    first, second = _model(), _model()
    train_step(first, Optimizers(first, grad_clip=1.0), a)
    optimizers = Optimizers(second, grad_clip=1.0)
    optimizers.zero_grad()
    accumulate_gradients(second, a)
    optimizers.step()
    for p, q in zip(first.parameters(), second.parameters()):
        assert torch.equal(p, q)


def test_budget_counts_the_cpu_time_of_the_other_processes():
    budget = Budget(cpu_minutes=1.0, cpu_s=30.0)
    assert not budget.exhausted(0)
    budget.others_cpu_s = 30.0
    assert budget.cpu_s >= 60.0 and budget.exhausted(0)


@pytest.mark.slow
def test_collectives_on_two_processes(tmp_path):
    out = tmp_path / "collectives.json"
    torchrun([__file__.replace("test_training_distributed.py", "ddp_collectives_worker.py"), out])
    r0, r1 = json.loads(out.read_text())
    assert (r0["world_size"], r1["rank"]) == (2, 1)
    assert r0["weights"] == r1["weights"]  # rank 0's weights everywhere
    assert r0["sums"] == r1["sums"] == [3.0, 20.0]
    assert r0["grads"] == r1["grads"] and any(v != 0 for row in r0["grads"] for v in row)  # rank 1 had none
    assert r0["stop_by_1"] and r1["stop_by_1"]  # a signal on any rank stops every rank
    assert not r0["stop_none"] and r0["value"] == r1["value"] == 0.25  # rank 0's value
    assert r0["object"] == r1["object"] == {"from": 0}
    assert (r0["shard"], r1["shard"]) == ([0, 2, 4], [1, 3])
