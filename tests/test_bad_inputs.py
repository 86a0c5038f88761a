"""Bad-input sweep: every public estimator and the ``causalmix`` subcommands against awkward tables.

Each case has one documented outcome (``docs/user_guide/reliability.rst`` lists them): it works,
or it raises a ``ValueError``/``TypeError`` whose message names the problem and the fix, raised by
our code before torch, causal-learn or DoWhy see the data.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_causalmix import CausalMixFTClassifier, CausalSCMAugmenter, InContextClassifier
from sklearn_causalmix._cli import main
from sklearn_causalmix._core import UnseenLevelWarning
from sklearn_causalmix.augment import GaussianCopulaAugmenter, NoiseAugmenter, SMOTEAugmenter
from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig

N = 40


def _tiny_backbone():
    torch.manual_seed(0)
    return CausalMixPFN(PFNConfig(d_model=16, n_layers=1, n_heads=2))


ESTIMATORS = {
    "InContextClassifier": lambda: InContextClassifier(
        _tiny_backbone, n_estimators=1, device="cpu", random_state=0),
    "CausalMixFTClassifier": lambda: CausalMixFTClassifier(
        _tiny_backbone, augmenter=NoiseAugmenter(), n_synthetic=32, max_steps=1, eval_every=1,
        episode_size=16, n_estimators=1, device="cpu", random_state=0),
    "CausalSCMAugmenter": lambda: CausalSCMAugmenter(
        discovery="pc", n_bootstrap=2, n_graphs=1, random_state=0),
    "NoiseAugmenter": lambda: NoiseAugmenter(random_state=0),
    "SMOTEAugmenter": lambda: SMOTEAugmenter(random_state=0),
    "GaussianCopulaAugmenter": lambda: GaussianCopulaAugmenter(random_state=0),
}
CLASSIFIERS = ("InContextClassifier", "CausalMixFTClassifier")
AUGMENTERS = tuple(name for name in ESTIMATORS if name not in CLASSIFIERS)


def _table(n=N, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": rng.choice(["u", "v"], n)})
    return X, np.array(["p", "q"] * (n // 2), dtype=object)


def _case(name):
    """(X, y) of a named case."""
    X, y = _table()
    rng = np.random.default_rng(1)
    cases = {
        "nan": lambda: (X.assign(a=np.where(np.arange(N) % 5 == 0, np.nan, X["a"])), y),
        "inf": lambda: (X.assign(a=np.inf), y),
        "no rows": lambda: (X.iloc[:0], y[:0]),
        "no columns": lambda: (X.iloc[:, :0], y),
        "one class": lambda: (X, np.full(N, "p", dtype=object)),
        "one row": lambda: (X.iloc[:1], y[:1]),
        "one row per class": lambda: (X.iloc[:2], y[:2]),
        "10^4 columns": lambda: (rng.normal(size=(N, 10_000)), y),
        "datetime column": lambda: (X.assign(d=pd.date_range("2020-01-01", periods=N)), y),
        "mixed object column": lambda: (X.assign(d=[1, "x"] * (N // 2)), y),
        "bool and category columns": lambda: (
            X.assign(d=np.arange(N) % 3 == 0, e=pd.Categorical(["k", "l", "m", "k"] * (N // 4))),
            y),
        "integer labels": lambda: (X, np.arange(N) % 2),
        "missing labels": lambda: (X, np.where(np.arange(N) == 0, None, y)),
        "continuous labels": lambda: (X, rng.normal(size=N)),
        "12 classes": lambda: (X, np.arange(N) % 12),
        "60-level column": lambda: (pd.concat([X] * 2, ignore_index=True).assign(
            d=[f"id{i}" for i in range(2 * N)]), np.concatenate([y, y])),
        "complex column": lambda: (X.assign(d=np.ones(N) * 1j), y),
        "all-missing column": lambda: (X.assign(d=np.nan), y),
        "duplicated column names": lambda: (pd.concat([X, X[["a"]]], axis=1), y),
        "1D X": lambda: (X["a"].to_numpy(), y),
        "sparse X": lambda: (__import__("scipy.sparse").sparse.csr_matrix(np.eye(N)), y),
    }
    return cases[name]()


OK = None
# Outcome of fit per case: OK, or (exception type, regex of the message). Per-estimator overrides.
EXPECTED = {
    "nan": OK,
    "inf": (ValueError, "'a' contains infinite values; replace them with NaN"),
    "no rows": (ValueError, "0 sample"),
    "no columns": (ValueError, "0 feature"),
    "one class": (ValueError, "one class"),
    "one row": (ValueError, "one class"),
    "one row per class": {
        "CausalMixFTClassifier": (ValueError, "Class 'p' has 1 row.*early_stopping=False"),
        "CausalSCMAugmenter": (ValueError, "at least 10 samples"),
        "default": OK,
    },
    "10^4 columns": {
        "CausalSCMAugmenter": (ValueError, "10000 features, more than max_features=100"),
        "GaussianCopulaAugmenter": (ValueError, "10000 features, more than max_features=1000"),
        "default": OK,
    },
    "datetime column": (TypeError, "'d' has unsupported dtype datetime64.*convert it to numbers"),
    "mixed object column": (TypeError, "'d' is an object column holding values of types"),
    "bool and category columns": OK,
    "integer labels": OK,
    "missing labels": (ValueError, "missing"),
    "continuous labels": (ValueError, "Unknown label type: continuous"),
    "12 classes": {
        "InContextClassifier": (ValueError, "12 classes but the backbone supports at most 10"),
        "CausalMixFTClassifier": (ValueError, "12 classes but the backbone supports at most 10"),
        "default": OK,
    },
    "60-level column": {
        # distinct in every row: an identifier, which the causal augmenter sets aside (warning); the
        # zero-shot classifier takes any number of levels (frequency codes, rare levels grouped); the fine-tuner
        # here draws synthetic rows from NoiseAugmenter, which refuses the column for itself
        "CausalSCMAugmenter": OK,
        "InContextClassifier": OK,
        "default": (ValueError,
                    r"'d' has \d+ distinct levels, more than max_categories=50; drop identifier"),
    },
    "complex column": (TypeError, "'d' has unsupported dtype complex"),
    "all-missing column": {  # the zero-shot classifier reads it as missing, as it would at prediction
        "InContextClassifier": OK,
        "default": (ValueError, "'d' contains only missing values; drop it"),
    },
    "duplicated column names": (ValueError, "unique column names"),
    "1D X": (ValueError, "2D"),
    "sparse X": (TypeError, "[Ss]parse"),
}
# Slow fits that add nothing over the cheaper estimators (the causal augmenter is covered by the
# cases that exercise its own checks).
SKIP = {("CausalSCMAugmenter", c) for c in ("nan", "bool and category columns", "integer labels",
                                            "12 classes")}


def _expected(case, estimator):
    outcome = EXPECTED[case]
    if isinstance(outcome, dict):
        outcome = outcome.get(estimator, outcome["default"])
    return outcome


PARAMS = [pytest.param(e, c, id=f"{e}-{c}") for c in EXPECTED for e in ESTIMATORS
          if (e, c) not in SKIP]


@pytest.mark.parametrize("estimator, case", PARAMS)
def test_fit_outcome(estimator, case):
    X, y = _case(case)
    expected = _expected(case, estimator)
    est = ESTIMATORS[estimator]()
    if expected is OK:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. SMOTE falling back on tiny classes
            est.fit(X, y)
        if estimator in CLASSIFIERS:
            proba = est.predict_proba(X[:5])
            assert np.isfinite(proba).all() and proba.shape == (min(5, len(X)), len(est.classes_))
        else:
            X_syn, y_syn = est.sample(6)
            assert len(X_syn) == len(y_syn) == 6
            assert set(np.asarray(y_syn).tolist()) <= set(np.asarray(y).tolist())
        return
    error, message = expected
    with pytest.raises(error, match=message):
        est.fit(X, y)
    # nothing fitted is left behind
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]


@pytest.mark.parametrize("estimator", CLASSIFIERS)
def test_unseen_levels_and_bad_rows_at_prediction(estimator):
    X, y = _table()
    clf = ESTIMATORS[estimator]().fit(X, y)
    new = X[:6].copy()
    new.loc[:2, "c"] = "w"
    with pytest.warns(UnseenLevelWarning, match="'c': 3 cell"):
        assert np.isfinite(clf.predict_proba(new)).all()
    with pytest.raises(ValueError, match="infinite"):
        clf.predict_proba(new.assign(a=np.inf))
    with pytest.raises(ValueError, match="2D|Expected 2D"):
        clf.predict_proba(new["a"].to_numpy())
    assert clf.predict_proba(X[:1]).shape == (1, 2)  # a single row predicts
    with pytest.raises(ValueError, match="0 sample"):
        clf.predict_proba(X[:0])


@pytest.mark.parametrize("estimator", CLASSIFIERS)
def test_a_failed_refit_keeps_the_previous_model(estimator):
    from sklearn.exceptions import NotFittedError

    X, y = _table()
    clf = ESTIMATORS[estimator]().fit(X, y)
    before = clf.predict_proba(X)
    names = list(clf.feature_names_in_)
    with pytest.raises(ValueError, match="one class"):
        clf.fit(X.rename(columns={"a": "renamed"}), np.full(N, "p", dtype=object))
    assert list(clf.feature_names_in_) == names
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    fresh = ESTIMATORS[estimator]()
    with pytest.raises(ValueError):
        fresh.fit(X, np.full(N, "p", dtype=object))
    with pytest.raises(NotFittedError):
        fresh.predict(X)


# ----------------------------------------------------------------------------- command line
@pytest.mark.parametrize("argv, message", [
    (["datasets", "--format", "xml"], "invalid choice: 'xml'"),
    (["datasets", "extra"], "unrecognized arguments: extra"),
    (["study", "--quick"], "--output"),
    (["study", "-o", "{tmp}/out", "--cv-folds", "1"], "--cv-folds must be at least 2"),
    (["study", "-o", "{tmp}/out", "--ratios"], "expected at least one argument"),
    (["study", "-o", "{tmp}/out", "--seeds", "1.5"], "--seeds: '1.5' is not a valid int"),
    (["study", "-o", "{tmp}/out", "--max-test", "3"], "--max-test must be at least 10"),
    (["study", "-o", "{tmp}/out", "--episode-size", "2"], "--episode-size must be at least 4"),
    (["study", "-o", "{tmp}/out", "--datasets", "penguins", "--methods", "zero-shot", "--device",
      "tpu"], "--device 'tpu' is not usable"),
    (["study", "-o", "{tmp}/a_file/out", "--datasets", "penguins", "--methods", "logreg"],
     "--output '.*a_file/out' is not a writable folder"),
    (["study", "-o", "{tmp}/out", "--cache-dir", "{tmp}/a_file", "--datasets", "penguins",
      "--methods", "logreg"], "--cache-dir '.*a_file' is not a writable folder"),
    (["pretrain", "--out", "{tmp}/pt", "--recipe", "v3"], "invalid choice: 'v3'"),
    (["pretrain"], "--out"),
    (["pretrain", "--out", "{tmp}/pt", "--n-heads", "3", "--quiet"], "divisible by --n-heads 3"),
    (["pretrain", "--out", "{tmp}/pt", "--init", "{tmp}/none.json", "--quiet"], "no such manifest"),
    (["pretrain", "--out", "{tmp}/pt", "--minutes", "-1"], "--minutes must be positive"),
    (["pretrain", "--out", "{tmp}/pt", "--tokens", "0"], "--tokens must be at least 64"),
    (["pretrain", "--out", "{tmp}/pt", "--max-steps", "-5"], "--max-steps must be at least 1"),
    (["pretrain", "--out", "{tmp}/pt", "--lr", "-1"], "--lr must be positive"),
    (["pretrain", "--out", "{tmp}/pt", "--d-feature", "0"], "--d-feature must be at least 1"),
    (["pretrain", "--out", "{tmp}/pt", "--min-rows", "600", "--max-rows", "512"], "at least --min-rows"),
    (["pretrain", "--out", "{tmp}/pt", "--resume"], "no checkpoint.pt"),
])
def test_bad_command_lines_exit_2_with_a_message(tmp_path, capsys, argv, message):
    import re

    (tmp_path / "a_file").write_text("not a folder")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "case", [c for c in EXPECTED if isinstance(_expected(c, "CTGANAugmenter"), tuple)])
def test_ctgan_augmenter_checks_inputs_before_needing_ctgan(case):
    """CTGAN is an optional extra; its input checks are the shared ones and run without it."""
    from sklearn_causalmix.augment import CTGANAugmenter

    X, y = _case(case)
    error, message = _expected(case, "CTGANAugmenter")
    with pytest.raises(error, match=message):
        CTGANAugmenter(random_state=0).fit(X, y)
