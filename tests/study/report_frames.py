"""Deterministic result frames of a study with every column, for the report tests.

A module of its own (like ``study_doubles``) so that the golden reports beside it can be written
again from it: ``golden_report_shift.md`` and ``golden_report_no_protocol.md`` are the reports
that the code before the i.i.d.-aware report wrote for ``study_frame("shift")`` (with and
without its ``protocol`` column), with the section "Beside the CausalMixFT paper" added since
(the only difference); see ``test_report_protocols.py`` for the calls.
"""

import numpy as np
import pandas as pd

from sklearn_causalmix.study import RESULT_COLUMNS

NAN = float("nan")
#: (method, ratio, ROC-AUC gain over zero-shot) of the runs of every dataset and seed.
RUNS = [("zero-shot", NAN, 0.0), ("finetune", 0.0, 0.02), ("causalmix", 0.5, 0.03),
        ("causalmix", 1.0, -0.01), ("causalmix-cv", NAN, 0.025), ("noise", 0.5, 0.015),
        ("logreg", NAN, 0.05)]


def study_frame(protocol="shift"):
    """Five tables x two seeds x :data:`RUNS` and a failed run, under ``protocol``.

    The scores drawn for a run are its test's: the ``*_shifted`` columns under the shift
    protocol (the ``*_in_domain`` ones a little apart from them), the ``*_in_domain`` columns
    under the i.i.d. protocol (the ``*_shifted`` ones NaN, as ``ratio_study`` leaves them).
    """
    rng = np.random.default_rng(0)
    rows = []
    for t, dataset in enumerate(("a", "b", "c", "d", "e")):
        for seed in (0, 1):
            for method, ratio, gain in RUNS:
                auc = round(0.70 + 0.03 * t + 0.01 * seed + gain + rng.normal(0, 0.01), 4)
                ece = round(0.12 - gain + rng.normal(0, 0.01), 4)
                tuned = method not in ("zero-shot", "logreg")
                rows.append({
                    "dataset": dataset, "protocol": protocol, "seed": seed, "method": method,
                    "ratio": ratio, "chosen_ratio": 0.5 if method == "causalmix-cv" else NAN,
                    "n_train": 64, "n_test_in_domain": 50,
                    "n_test_shifted": 200 if protocol != "iid" else NAN, "n_masked_levels": 0,
                    "auc": auc, "ece": ece, "brier": round(0.2 - gain / 2, 4),
                    "log_loss": round(0.6 - gain, 4), "ece_ts": round(ece * 0.6, 4),
                    "brier_ts": round(0.19 - gain / 2, 4), "log_loss_ts": round(0.58 - gain, 4),
                    "temperature": 1.2,
                    "val_test_gap": round(0.3 + 0.1 * seed, 4) if tuned else NAN,
                    "n_evaluations": 5 if tuned else 0,
                    "best_step": (0 if (dataset == "a" and seed == 0) else 10) if tuned else NAN,
                    "n_steps": 20 if tuned else NAN,
                    "n_synthetic": 32 if tuned and ratio > 0 else 0,
                    "fidelity_detection_auc": 0.6 if method == "causalmix" else NAN,
                    "fidelity_tstr_auc": 0.7 if method == "causalmix" else NAN,
                    "fidelity_trtr_auc": 0.75 if method == "causalmix" else NAN,
                    "fit_time_s": 1.0, "cached": False, "error": "", "note": ""})
    frame = pd.DataFrame(rows)
    main, other = ("in_domain", "shifted") if protocol == "iid" else ("shifted", "in_domain")
    for name in ("auc", "ece", "brier", "log_loss"):
        frame[f"{name}_{main}"] = frame[name]
        frame[f"{name}_{other}"] = (frame[name] + 0.05 if name == "auc" else frame[name] - 0.01
                                    ) if protocol != "iid" else NAN
    for name in ("ece", "brier", "log_loss"):
        frame[f"{name}_{main}_ts"] = frame[f"{name}_ts"]
        frame[f"{name}_{other}_ts"] = (frame[f"{name}_ts"] - 0.01 if protocol != "iid" else NAN)
    zero = frame[frame["method"] == "zero-shot"].set_index(["dataset", "seed"])["auc"]
    ref = zero.reindex(pd.MultiIndex.from_frame(frame[["dataset", "seed"]])).to_numpy()
    improvement = (frame["auc"] / ref - 1) * 100
    frame["normalized_improvement" + ("_in_domain" if protocol == "iid" else "")] = improvement
    frame["normalized_improvement" + ("" if protocol == "iid" else "_in_domain")] = (
        NAN if protocol == "iid" else (frame["auc_in_domain"] / zero.reindex(
            pd.MultiIndex.from_frame(frame[["dataset", "seed"]])).add(0.05).to_numpy() - 1) * 100)
    frame.loc[len(frame)] = {**frame.iloc[3].to_dict(), "method": "smote", "ratio": 0.5,
                             "auc_shifted": NAN, "auc_in_domain": NAN, "error": "ValueError: boom"}
    return frame[RESULT_COLUMNS]
