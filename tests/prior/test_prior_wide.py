"""Wide and many-class prior tasks: the width mixture, its budget and its resumability."""

import pytest
import torch

from sklearn_causalmix.prior import PriorConfig, SCMPrior, pretrain
from sklearn_causalmix.prior._trainer import micro_seed

WIDE = PriorConfig(min_rows=32, max_rows=512, max_features=24, tokens_per_batch=16384, wide_fraction=1.0,
                   max_wide_features=100)


def test_wide_batches_are_wider_and_within_the_cell_budget():
    for seed in range(6):
        batch = SCMPrior(WIDE, seed=seed).sample()
        B, rows, features = batch.X.shape
        assert 24 < features <= 100
        assert rows <= max(WIDE.min_rows, WIDE.tokens_per_batch // (2 * (features + 1)))
        assert B * rows * (features + 1) <= WIDE.tokens_per_batch  # the cell budget holds
        assert int(batch.y.max()) < batch.n_classes <= 10


def test_a_mixture_draws_both_widths_by_seed_only():
    mixed = PriorConfig(max_features=8, tokens_per_batch=8192, wide_fraction=0.5, max_wide_features=40)
    widths = [SCMPrior(mixed, seed=micro_seed(0, step, 0)).sample().X.shape[2] for step in range(16)]
    assert any(w <= 8 for w in widths) and any(w > 8 for w in widths)
    again = [SCMPrior(mixed, seed=micro_seed(0, step, 0)).sample().X.shape[2] for step in range(16)]
    assert widths == again


def test_no_wide_share_keeps_the_earlier_stream():
    """wide_fraction=0 draws nothing more: the stream of a config without the field (prior version 2)."""
    base = PriorConfig(max_rows=128, max_features=6, tokens_per_batch=4096)
    a, b = SCMPrior(base, seed=4), SCMPrior(PriorConfig(**{**base.to_dict(), "max_wide_features": 50}), seed=4)
    for _ in range(3):
        x, y = a.sample(), b.sample()
        assert torch.equal(torch.nan_to_num(x.X, 7.0), torch.nan_to_num(y.X, 7.0)) and torch.equal(x.y, y.y)


def test_a_hundred_feature_ten_class_task_is_cheap_and_well_formed():
    batch = SCMPrior(PriorConfig(tokens_per_batch=65536), seed=2).sample(shape=(300, 100, 10))
    assert batch.X.shape[1:] == (300, 100) and len(torch.unique(batch.y)) >= 8
    assert torch.isfinite(batch.X[~torch.isnan(batch.X)]).all()


@pytest.mark.parametrize("kwargs, match", [
    (dict(wide_fraction=1.5), "wide_fraction must be in"),
    (dict(wide_fraction=0.2, max_wide_features=24), "must exceed max_features"),
    (dict(min_features=30), "min_features <= max_features"),
    (dict(min_rows=600), "min_rows <= max_rows"),
])
def test_bad_ranges_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PriorConfig(**kwargs)


def test_a_run_with_wide_tasks_resumes_exactly(tmp_path):
    from sklearn_causalmix.backbones import RowPFNConfig, load_weights

    config = RowPFNConfig(d_feature=8, n_cls=2, n_feature_heads=2, n_feature_layers=1, n_layers=1, n_heads=2,
                          thinking_rows=0, max_features=16)
    prior = PriorConfig(min_rows=24, max_rows=48, max_features=4, tokens_per_batch=1024, wide_fraction=0.5,
                        max_wide_features=20)  # wider than the model: those tasks train the subset path
    kwargs = dict(config=config, prior_config=prior, max_steps=4, lawa=2, lawa_every=1, verbose=0, seed=1,
                  prior_eval_batches=1)
    straight = pretrain(tmp_path / "a", **kwargs)
    pretrain(tmp_path / "b", steps=2, **kwargs)
    resumed = pretrain(tmp_path / "b", resume=True, verbose=0, prior_eval_batches=1)
    assert resumed["prior"]["wide_fraction"] == 0.5 and resumed["tasks_seen"] == straight["tasks_seen"]
    a, b = load_weights(tmp_path / "a" / "model.json").state_dict(), load_weights(tmp_path / "b" / "model.json")
    for key, value in b.state_dict().items():
        torch.testing.assert_close(value, a[key], rtol=1e-5, atol=1e-6)


def test_the_tabicl_prior_has_no_wide_share(tmp_path):
    with pytest.raises(ValueError, match="wide_fraction applies to the SCM prior"):
        pretrain(tmp_path, max_steps=1, prior="tabicl", verbose=0,
                 prior_config=PriorConfig(max_features=4, wide_fraction=0.5, max_wide_features=8))


@pytest.mark.parametrize("flags, match", [
    (["--wide-fraction", "0.3", "--max-wide-features", "20"], "must exceed --max-features"),
    (["--wide-fraction", "2"], "must be in \\[0, 1\\]"),
    (["--wide-fraction", "0.3", "--prior", "tabicl"], "applies to the SCM prior"),
    (["--p-irrelevant", "-0.1"], "--p-irrelevant must be in \\[0, 1\\]"),
    (["--p-irrelevant", "0.5", "--prior", "tabicl"], "--p-irrelevant applies to the SCM prior"),
    (["--micro-batches", "0"], "--micro-batches must be at least 1"),
    (["--validation-groups", "default,tall"], "--validation-groups: Unknown validation groups \\['tall'\\]"),
])
def test_the_command_line_refuses_bad_wide_and_micro_batch_flags(tmp_path, capsys, flags, match):
    import re

    from sklearn_causalmix._cli import main

    assert main(["pretrain", "--out", str(tmp_path), *flags]) == 2
    assert re.search(match, capsys.readouterr().err)


def _mean_abs_rank_correlation(prior_config, seeds):
    """Mean |Spearman correlation| of the features of prior tasks with their labels (binary tasks)."""
    import numpy as np
    from scipy.stats import spearmanr

    values = []
    for seed in seeds:
        batch = SCMPrior(prior_config, seed=seed).sample(shape=(400, 12, 2))
        for task in range(batch.X.shape[0]):
            X, y = batch.X[task].nan_to_num(0.0).numpy(), batch.y[task].numpy()
            for j in range(X.shape[1]):
                if np.ptp(X[:, j]) == 0:  # a constant column: no correlation
                    values.append(0.0)
                    continue
                values.append(abs(spearmanr(X[:, j], y).statistic))
    return sum(values) / len(values)


def test_irrelevant_columns_carry_no_label_information():
    base = PriorConfig(max_features=12, tokens_per_batch=4 * 400 * 13, p_missing=0.0)
    noisy = PriorConfig(**{**base.to_dict(), "p_irrelevant": 1.0})
    seeds = range(16)
    # the same seed draws the same labels: only some feature columns are replaced (the default stream,
    # p_irrelevant=0, is pinned by tests/test_behaviour_lock.py)
    plain = SCMPrior(base, seed=3).sample(shape=(400, 12, 2))
    swapped = SCMPrior(noisy, seed=3).sample(shape=(400, 12, 2))
    assert torch.equal(plain.y, swapped.y)
    # measured: 0.75-0.82 of the plain prior's value over four sets of 8 seeds
    assert _mean_abs_rank_correlation(noisy, seeds) < 0.9 * _mean_abs_rank_correlation(base, seeds)


def test_irrelevant_columns_are_some_columns_replaced_by_independent_noise():
    import numpy as np

    prior = SCMPrior(PriorConfig(p_irrelevant=1.0), seed=0)
    X = torch.randn(3, 500, 10)
    out = prior._irrelevant(X, np.random.default_rng(0))
    changed = ~(out == X).all(dim=1).all(dim=0)
    assert 1 <= int(changed.sum()) <= 9  # at least one column, never all
    for j in changed.nonzero().flatten().tolist():
        new, old = out[..., j].flatten(), X[..., j].flatten()
        assert abs(float(torch.corrcoef(torch.stack([new, old]))[0, 1])) < 0.1


def test_irrelevant_columns_are_refused_for_the_tabicl_prior(tmp_path):
    with pytest.raises(ValueError, match="p_irrelevant applies to the SCM prior"):
        pretrain(tmp_path, max_steps=1, prior="tabicl", verbose=0,
                 prior_config=PriorConfig(max_features=4, p_irrelevant=0.5))
    with pytest.raises(ValueError, match="p_irrelevant must be in"):
        PriorConfig(p_irrelevant=1.5)
