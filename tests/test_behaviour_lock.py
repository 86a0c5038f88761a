"""Behaviour lock: numbers recorded before a refactor, which the refactored code must give again.

Each case runs a seeded piece of the package end to end and compares its numbers with
``tests/golden/behaviour_lock.json``, written by running this module as a script
(``python tests/test_behaviour_lock.py``) on the code *before* the refactor:

- ``zero_shot``: the shipped weights' probabilities on a fixed mixed-type table (InContextClassifier, and
  CausalMixFTClassifier with ``max_steps=0``, which must give the same numbers);
- ``finetune``: a seeded fine-tune (noise-augmented, ``synthetic_ratio=0.5``, the final weights kept): its
  history and probabilities;
- ``study``: a seeded ratio study on two tables with the real fine-tuner: the result frame;
- ``pretrain``: a seeded pretraining run of a tiny row model, its loss curve and weights, straight and resumed.

Everything runs on the CPU with one torch thread (thread counts change the order of floating-point sums).
The comparison allows a relative error of 1e-6, so that the lock also holds on a CPU whose kernels round
differently; ``CAUSALMIX_BITWISE=1`` makes it exact (used on the machine that wrote the file).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_breast_cancer

GOLDEN = Path(__file__).parent / "golden" / "behaviour_lock.json"

#: The first fine-tuning recipe, pinned so that the lock keeps guarding its machinery when defaults change.
OLD_RECIPE = dict(episodes="sampled", query_fraction=0.25, warmup=0.0, l2sp=0.0, scoring="roc_auc")


def _table():
    """200 + 40 rows of breast cancer: 6 numeric features with NaNs and one categorical column."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :6].copy()
    X["size"] = pd.Categorical(pd.cut(X.iloc[:, 3], 3, labels=["small", "mid", "large"]).astype(str))
    X.iloc[::17, 1] = np.nan
    return X.iloc[:200], y.iloc[:200], X.iloc[200:240], y.iloc[200:240]


def zero_shot_case():
    from sklearn_causalmix import CausalMixFTClassifier, InContextClassifier

    X, y, X_test, _ = _table()
    icl = InContextClassifier(n_estimators=2, device="cpu", random_state=0).fit(X, y)
    ft0 = CausalMixFTClassifier(max_steps=0, n_estimators=2, device="cpu", random_state=0).fit(X, y)
    return {"in_context": icl.predict_proba(X_test), "finetune_max_steps_0": ft0.predict_proba(X_test)}


def finetune_case():
    from sklearn_causalmix import CausalMixFTClassifier
    from sklearn_causalmix.augment import NoiseAugmenter

    X, y, X_test, _ = _table()
    clf = CausalMixFTClassifier(
        augmenter=NoiseAugmenter(), synthetic_ratio=0.5, n_synthetic=120, max_steps=6, eval_every=2,
        early_stopping=False, learning_rate=3e-4, episode_size=48, n_estimators=2, device="cpu", random_state=0,
        **OLD_RECIPE,
    ).fit(X, y, monitor=(X_test, _table()[3]))
    history = pd.DataFrame(clf.history_)
    return {
        "step": history["step"].to_numpy(float),
        "train_loss": history["train_loss"].to_numpy(float),
        "monitor_score": history["monitor_score"].to_numpy(float),
        "best_step": np.array([clf.best_step_], float),
        "proba": clf.predict_proba(X_test),
    }


def study_case():
    from sklearn_causalmix import CausalMixFTClassifier
    from sklearn_causalmix.augment import NoiseAugmenter
    from sklearn_causalmix.datasets import make_shifted_classification
    from sklearn_causalmix.study import ratio_study

    tasks = {
        "cov": make_shifted_classification(n_samples=300, n_features=4, shift="covariate", random_state=0),
        "concept": make_shifted_classification(n_samples=300, n_features=4, shift="concept", random_state=1),
    }
    model = CausalMixFTClassifier(n_estimators=1, eval_every=1, episode_size=32, device="cpu", **OLD_RECIPE)
    frame = ratio_study(
        tasks, ratios=(0.0, 0.5), seeds=[0], n_train=80, methods=["zero-shot", "finetune", "causalmix", "logreg"],
        model=model, augmenters={"causalmix": NoiseAugmenter()}, max_steps=2, n_jobs=1, verbose=0,
    )
    frame = frame.sort_values(["dataset", "method", "ratio"], na_position="first").reset_index(drop=True)
    numeric = frame.drop(columns=["fit_time_s", "cached"]).select_dtypes("number")
    return {column: numeric[column].to_numpy(float) for column in numeric.columns} | {
        "_keys": [f"{d}/{m}/{r}" for d, m, r in zip(frame["dataset"], frame["method"], frame["ratio"])],
    }


def pretrain_case():
    from sklearn_causalmix.backbones import RowPFNConfig
    from sklearn_causalmix.prior import PriorConfig, pretrain

    config = RowPFNConfig(d_feature=8, n_cls=2, n_feature_layers=1, n_layers=1, n_heads=2, n_feature_heads=2,
                          thinking_rows=2)
    prior = PriorConfig(min_rows=32, max_rows=48, max_features=4, tokens_per_batch=1024)
    kwargs = dict(max_steps=4, recipe="row", config=config, prior_config=prior, lawa=2, lawa_every=1,
                  prior_eval_batches=1, verbose=0)
    out = {}
    with tempfile.TemporaryDirectory() as straight, tempfile.TemporaryDirectory() as resumed:
        manifest = pretrain(straight, **kwargs)
        pretrain(resumed, **{**kwargs, "steps": 2})
        again = pretrain(resumed, **{**kwargs, "resume": True})
        for name, folder in (("straight", straight), ("resumed", resumed)):
            from sklearn_causalmix.backbones import load_weights

            model = load_weights(Path(folder) / "model.json", device="cpu")
            out[f"{name}_weights"] = np.array(
                [float(p.detach().double().abs().sum()) for p in model.state_dict().values()]
            )
        out["loss_ema"] = np.array([entry["loss_ema"] for entry in manifest["loss_curve"]], float)
        out["val_loss"] = np.array([manifest["val_loss"], again["val_loss"]], float)
    return out


CASES = {"zero_shot": zero_shot_case, "finetune": finetune_case, "study": study_case, "pretrain": pretrain_case}


def _run(name):
    from sklearn_causalmix.backbones import thread_policy

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with thread_policy(1):
            result = CASES[name]()
    finally:
        torch.set_num_threads(threads)
    return {k: (v if k.startswith("_") else np.asarray(v, float).tolist()) for k, v in result.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_numbers_as_recorded(name):
    expected = json.loads(GOLDEN.read_text())[name]
    got = _run(name)
    assert sorted(got) == sorted(expected)
    exact = os.environ.get("CAUSALMIX_BITWISE") == "1"
    for key, values in expected.items():
        if key.startswith("_"):
            assert got[key] == values, key
        elif exact:
            np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(values), err_msg=key)
        else:
            np.testing.assert_allclose(np.asarray(got[key]), np.asarray(values), rtol=1e-6, atol=1e-9, err_msg=key)


def test_zero_shot_is_finetune_with_zero_steps():
    got = _run("zero_shot")
    np.testing.assert_array_equal(np.asarray(got["in_context"]), np.asarray(got["finetune_max_steps_0"]))


def test_resumed_pretraining_is_the_straight_run():
    got = _run("pretrain")
    np.testing.assert_allclose(got["resumed_weights"], got["straight_weights"], rtol=1e-6)


if __name__ == "__main__":  # record the numbers of the current code
    names = sys.argv[1:] or sorted(CASES)
    recorded = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    for name in names:
        recorded[name] = _run(name)
        print(name, "recorded")
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
