"""The one guard of process-wide state (sklearn_causalmix._core._process).

Every block that seeds or silences process-wide state holds one re-entrant lock: a torch-seeded region and a
third-party block in two threads exclude each other, and code that would wait for worker threads inside a
guarded block runs in the caller's thread instead of deadlocking.
"""

import threading

import joblib
import numpy as np
import pytest
import torch

from sklearn_causalmix._core import fork_torch_rng, inside_guard, parallel_map, third_party_state
from sklearn_causalmix._core._process import _PROCESS_STATE_LOCK


def _lock_free_in_another_thread():
    result = {}

    def probe():
        result["free"] = _PROCESS_STATE_LOCK.acquire(blocking=False)
        if result["free"]:
            _PROCESS_STATE_LOCK.release()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return result["free"]


@pytest.mark.parametrize("block", [
    lambda: fork_torch_rng(torch.device("cpu"), 0),
    lambda: third_party_state(0, torch_seed=True),
    lambda: third_party_state(silence=True),
], ids=["fork_torch_rng", "third_party_state-seeded", "third_party_state-silence"])
def test_every_block_holds_the_one_lock(block):
    assert _lock_free_in_another_thread()
    with block():
        assert inside_guard()
        assert not _lock_free_in_another_thread()
    assert not inside_guard() and _lock_free_in_another_thread()


def test_blocks_nest_and_restore_torch_state():
    before = torch.random.get_rng_state()
    with fork_torch_rng(torch.device("cpu"), 1):
        outer = torch.rand(1)
        with third_party_state(2, torch_seed=True):
            torch.rand(1)
        assert inside_guard()
    assert torch.equal(torch.random.get_rng_state(), before)
    with fork_torch_rng(torch.device("cpu"), 1):
        assert torch.equal(torch.rand(1), outer)


def _square(x):
    return x * x


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_parallel_map_inside_a_guard_does_not_deadlock(backend):
    # A thread worker would wait for the lock the caller holds: parallel_map runs in the caller's thread.
    out = {}

    def run():
        with joblib.parallel_config(backend=backend), fork_torch_rng(torch.device("cpu"), 0):
            out["inside"] = parallel_map(_square, [(i,) for i in range(5)], n_jobs=2)
        with joblib.parallel_config(backend=backend):
            out["outside"] = parallel_map(_square, [(i,) for i in range(5)], n_jobs=2)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "parallel_map deadlocked inside a guarded block"
    assert out["inside"] == out["outside"] == [0, 1, 4, 9, 16]


def test_augmenter_with_thread_workers_inside_a_seeded_fit():
    # CausalMixFTClassifier fits its augmenter inside fork_torch_rng: with a threading joblib backend the
    # augmenter's parallel discovery must neither deadlock nor change its numbers.
    from sklearn_causalmix.augment import CausalSCMAugmenter

    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=120) > 0).astype(int)
    params = dict(n_bootstrap=4, n_graphs=2, random_state=0)
    reference = CausalSCMAugmenter(**params).fit(X, y).edge_probabilities_
    out = {}

    def run():
        with joblib.parallel_config(backend="threading"), fork_torch_rng(torch.device("cpu"), 0):
            out["p"] = CausalSCMAugmenter(n_jobs=2, **params).fit(X, y).edge_probabilities_

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=300)
    assert not thread.is_alive(), "the augmenter deadlocked inside a guarded block"
    np.testing.assert_array_equal(out["p"].to_numpy(), reference.to_numpy())
