"""GPU-only checks (skipped without CUDA): bf16 autocast, out-of-memory halving on the device, and a CUDA-fitted
model pickled and predicting in a process that sees no GPU."""

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from finetune_doubles import JitterAugmenter, make_table, spy_default, spy_oom_default

from sklearn_causalmix import CausalMixFTClassifier

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

CHEAP = dict(max_steps=3, eval_every=1, episode_size=64, n_estimators=2, random_state=0, episodes="sampled")


def test_fits_on_cuda_with_bf16_autocast():
    X, y = make_table(n=200)
    clf = CausalMixFTClassifier(spy_default, augmenter=JitterAugmenter(), n_synthetic=100, device="cuda", **CHEAP)
    clf.fit(X[:150], y[:150])
    assert clf.device_.type == "cuda" and clf.backbone_.device.type == "cuda"
    train_calls = [c for c in clf.backbone_.calls if c["training"]]
    assert train_calls and all(c["autocast"] for c in train_calls) == torch.cuda.is_bf16_supported()
    assert np.isfinite([h["train_loss"] for h in clf.history_[1:]]).all()
    proba = clf.predict_proba(X[150:])
    assert proba.shape == (50, 2) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)


def test_out_of_memory_on_cuda_halves_the_episode():
    X, y = make_table(n=200)
    clf = CausalMixFTClassifier(spy_oom_default, synthetic_ratio=0.0, device="cuda", **{**CHEAP, "episode_size": 96})
    with pytest.warns(RuntimeWarning, match="Out of memory on cuda"):
        clf.fit(X, y)
    assert clf.episode_size_ <= 24 and clf.n_steps_ == 3


def test_cuda_fitted_model_predicts_in_a_process_without_gpu(tmp_path):
    X, y = make_table(n=200)
    clf = CausalMixFTClassifier(augmenter=JitterAugmenter(), n_synthetic=100, device="cuda", **CHEAP)
    clf.fit(X[:150], y[:150])
    expected = clf.predict_proba(X[150:])
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(clf))
    X[150:].to_pickle(tmp_path / "X.pkl")
    script = textwrap.dedent(
        f"""
        import pickle, sys, numpy as np, pandas as pd, torch
        assert not torch.cuda.is_available()
        clf = pickle.loads(open({str(path)!r}, "rb").read())
        assert all(p.device.type == "cpu" for p in clf.backbone_.parameters())
        np.save({str(tmp_path / "proba.npy")!r}, clf.predict_proba(pd.read_pickle({str(tmp_path / "X.pkl")!r})))
        """
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    tests_dir = os.path.dirname(__file__)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [tests_dir, env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "proba.npy"), expected, atol=1e-4)
    # the live estimator still holds its model on the GPU
    assert clf.backbone_.device.type == "cuda"
