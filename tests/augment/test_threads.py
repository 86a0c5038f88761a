"""Augmenters in threads: same seed, same numbers; process-wide state (stdout, RNGs) left alone."""

import sys
import types
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import torch
from joblib import Parallel, delayed

from sklearn_causalmix import CausalSCMAugmenter
from sklearn_causalmix.augment import CTGANAugmenter

SEEDS = (0, 1, 0, 1)
# FCI with background knowledge runs causal-learn's printing rule R0; DoWhy draws from numpy's
# global RandomState: both paths that touch process-wide state.
_PARAMS = dict(
    discovery="pc+fci",
    n_bootstrap=2,
    n_graphs=2,
    background_knowledge={"forbidden": [("a", "outcome")]},
)


def _causal_run(seed, X, y):
    aug = CausalSCMAugmenter(random_state=seed, **_PARAMS).fit(X, y)
    X_syn, y_syn = aug.sample(60)
    return aug.edge_probabilities_, X_syn, y_syn


def _assert_same_runs(first, second):
    for (P1, X1, y1), (P2, X2, y2) in zip(first, second):
        pd.testing.assert_frame_equal(P1, P2)
        pd.testing.assert_frame_equal(X1, X2)
        pd.testing.assert_series_equal(y1, y2)


def test_concurrent_fits_in_threads_match_sequential_fits(mixed):
    X, y = mixed
    sequential = [_causal_run(seed, X, y) for seed in SEEDS]
    with ThreadPoolExecutor(max_workers=len(SEEDS)) as pool:
        threaded = list(pool.map(lambda seed: _causal_run(seed, X, y), SEEDS))
    _assert_same_runs(sequential, threaded)
    joblib_threads = Parallel(n_jobs=2, backend="threading")(
        delayed(_causal_run)(seed, X, y) for seed in SEEDS
    )
    _assert_same_runs(sequential, joblib_threads)


def test_concurrent_fits_leave_stdout_warnings_and_global_rng_alone(mixed, capsys):
    X, y = mixed
    stdout, filters = sys.stdout, list(warnings.filters)
    np.random.seed(7)
    expected = np.random.rand()
    np.random.seed(7)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda seed: _causal_run(seed, X, y), (0, 1)))
    assert np.random.rand() == expected
    assert sys.stdout is stdout
    assert warnings.filters == filters
    print("still reaches the user")
    assert "still reaches the user" in capsys.readouterr().out


def test_fci_background_knowledge_output_is_silenced(capsys):
    from sklearn_causalmix.augment import _fci, _independence, _pc

    rng = np.random.RandomState(0)
    a, c = rng.normal(size=(2, 500))
    data = np.c_[a, a + c + 0.3 * rng.normal(size=500), c]
    test = _independence.FisherZTest(data)
    adj, sepsets = _pc.skeleton(test, 3, 0.05)
    bk = _fci.background_knowledge(3, [(1, 0)], [])
    marks = _fci.orient_fci(adj, sepsets, test, 0.05, bk, data)
    assert marks.shape == (3, 3)
    assert capsys.readouterr().out == ""  # causal-learn prints "Starting BK Orientation." here


class _GlobalStateGAN:
    """Stand-in for ctgan.CTGAN that, like the real one, draws from torch's and numpy's globals."""

    def __init__(self, epochs):
        self.epochs = epochs

    def fit(self, frame, discrete_columns):
        self.frame = frame
        self.shift = float(torch.rand(1)) + np.random.rand()

    def sample(self, n, condition_column, condition_value):
        rows = self.frame[self.frame[condition_column] == condition_value]
        picked = rows.iloc[np.random.randint(len(rows), size=n)].reset_index(drop=True)
        picked["c0"] = picked["c0"] + self.shift + torch.randn(n).numpy()
        return picked


def test_ctgan_adapter_seeds_global_generators_only_inside_its_calls(monkeypatch):
    monkeypatch.setitem(sys.modules, "ctgan", types.SimpleNamespace(CTGAN=_GlobalStateGAN))
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    y = pd.Series((X["a"] > 0).astype(int), name="label")
    torch_state, np_state = torch.random.get_rng_state(), np.random.get_state()

    def run(seed):
        return CTGANAugmenter(epochs=1, random_state=seed).fit(X, y).sample(30)[0]

    sequential = [run(seed) for seed in SEEDS]
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    assert not sequential[0].equals(sequential[1])
    with ThreadPoolExecutor(max_workers=len(SEEDS)) as pool:
        threaded = list(pool.map(run, SEEDS))
    for first, second in zip(sequential, threaded):
        pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize("seed", [None, 0])
def test_global_state_lock_restores_after_an_error(seed):
    from sklearn_causalmix._core import third_party_state

    stdout = sys.stdout
    np.random.seed(3)
    expected = np.random.rand()
    np.random.seed(3)
    with pytest.raises(KeyError):
        with third_party_state(seed, silence=True):
            raise KeyError("inside")
    assert sys.stdout is stdout and np.random.rand() == expected
