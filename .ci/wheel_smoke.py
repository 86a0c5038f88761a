"""Smoke test of an installed (non-editable) sklearn-causalmix wheel: weights load, a fit runs.

Run by ``.ci/check_wheel`` with the Python of a fresh virtual environment into which the built wheel
was installed (not in editable mode), from a folder outside the checkout, so that ``import
sklearn_causalmix`` can only find the installed copy.
"""

import time
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification

import sklearn_causalmix
from sklearn_causalmix import InContextClassifier

root = Path(sklearn_causalmix.__file__).resolve().parent
assert "site-packages" in str(root), f"imported from {root}, not from an installed wheel"
weights = root / "backbones" / "embedded" / "weights"
for name in ("default.safetensors", "default.json"):
    assert (weights / name).is_file(), f"{name} missing from the installed package"

start = time.perf_counter()
X, y = make_classification(n_samples=120, n_features=6, random_state=0)
clf = InContextClassifier(random_state=0).fit(X[:80], y[:80])
proba = clf.predict_proba(X[80:])
assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1.0)
from sklearn_causalmix.augment import CausalSCMAugmenter  # noqa: E402,F401  (DoWhy and causal-learn import)

accuracy = (clf.predict(X[80:]) == y[80:]).mean()
print(f"sklearn-causalmix {sklearn_causalmix.__version__} from {root}: "
      f"InContextClassifier fit + predict in {time.perf_counter() - start:.1f} s, accuracy {accuracy:.2f}")
