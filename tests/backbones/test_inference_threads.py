"""The thread policy of the package's calls: chosen inside fit/predict, restored afterwards, never raised."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from sklearn_causalmix._core import _threads, package_threads, resolve_n_threads
from sklearn_causalmix.backbones import InContextClassifier, TabularBackbone, get_backbone, thread_policy


class ThreadSpy(TabularBackbone):
    """The default backbone, recording torch's thread count at every forward pass."""

    def __init__(self):
        super().__init__()
        self.inner = get_backbone("default")
        self.limits = self.inner.limits
        self.threads = []

    def forward(self, *args, **kwargs):
        self.threads.append(torch.get_num_threads())
        return self.inner(*args, **kwargs)


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_auto_lowers_threads_to_the_free_cores(monkeypatch, two_threads):
    monkeypatch.setattr(_threads, "_available_cores", lambda: 2)
    monkeypatch.setattr(_threads, "busy_cores_elsewhere", lambda: 0)
    assert resolve_n_threads("auto") == 2
    monkeypatch.setattr(_threads, "busy_cores_elsewhere", lambda: 1)
    assert resolve_n_threads("auto") == 1
    monkeypatch.setattr(_threads, "busy_cores_elsewhere", lambda: 7)
    assert resolve_n_threads("auto") == 1
    monkeypatch.setattr(_threads, "_available_cores", lambda: 16)
    monkeypatch.setattr(_threads, "busy_cores_elsewhere", lambda: 0)
    assert resolve_n_threads("auto") == 2  # never more than the user's own setting
    monkeypatch.setattr(_threads, "busy_cores_elsewhere", lambda: None)  # no /proc: leave it
    assert resolve_n_threads("auto") == 2


def test_estimator_calls_use_the_policy_and_restore_torch(monkeypatch, two_threads):
    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    spy = ThreadSpy()
    clf = InContextClassifier(lambda: spy, n_estimators=2, device="cpu", random_state=0, fit_mode="low_memory")
    with thread_policy(1):
        clf.fit(X[:60], y[:60])
        proba_one = clf.predict_proba(X[60:])
    assert spy.threads and set(spy.threads) == {1}
    assert torch.get_num_threads() == 2
    monkeypatch.setattr(_threads, "busy_cores_elsewhere", lambda: 5)  # a busy machine: auto takes one thread
    spy.threads.clear()
    proba_auto = clf.predict_proba(X[60:])
    assert set(spy.threads) == {1} and torch.get_num_threads() == 2
    spy.threads.clear()
    with thread_policy(None):  # the package leaves torch alone
        clf.predict_proba(X[60:])
    assert set(spy.threads) == {2}
    np.testing.assert_allclose(proba_auto, proba_one, atol=1e-6)


def test_nested_calls_keep_the_outer_choice_and_errors_restore(two_threads):
    with thread_policy(1), package_threads():
        with thread_policy(2), package_threads():
            assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with pytest.raises(ZeroDivisionError):
        with thread_policy(1), package_threads():
            1 / 0
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, "all", True])
def test_bad_policies_are_refused(bad):
    with pytest.raises(ValueError, match="n_threads must be"):
        with thread_policy(bad):
            pass
