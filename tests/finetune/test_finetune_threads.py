"""Seeded fine-tuning is reproducible when several fits run at once in threads."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.datasets import make_classification

from sklearn_causalmix import CausalMixFTClassifier
from sklearn_causalmix.augment import NoiseAugmenter
from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig


def _tiny_backbone():
    return CausalMixPFN(PFNConfig(d_model=16, n_layers=1, n_heads=2))  # random init: reads torch's global RNG


def _fit_predict(seed, X, y):
    clf = CausalMixFTClassifier(
        backbone=_tiny_backbone, augmenter=NoiseAugmenter(), synthetic_ratio=0.5, max_steps=4, eval_every=2,
        episode_size=32, n_estimators=1, device="cpu", random_state=seed, verbose=0,
    )
    return clf.fit(X, y).predict_proba(X)


def test_concurrent_seeded_fits_equal_sequential_fits():
    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    sequential = [_fit_predict(seed, X, y) for seed in (0, 1, 0, 1)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(lambda seed: _fit_predict(seed, X, y), (0, 1, 0, 1)))
    for a, b in zip(sequential, concurrent):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert not np.allclose(sequential[0], sequential[1])  # the seeds matter
