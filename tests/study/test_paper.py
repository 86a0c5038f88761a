"""The study's summary beside the CausalMixFT paper's: paper_comparison_table."""

import numpy as np
import pandas as pd
import pytest

from sklearn_causalmix.study import PAPER_MEDIANS, paper_comparison_table


def _results(aucs, *, seeds=(0,), extra=()):
    """One row per (table, seed, arm); ``aucs[table] = (zero-shot, finetune, causalmix r=0.5)``."""
    rows = []
    for table, values in aucs.items():
        for seed in seeds:
            for (method, ratio), auc in zip([("zero-shot", np.nan), ("finetune", 0.0),
                                              ("causalmix", 0.5)], values):
                rows.append({"dataset": table, "seed": seed, "method": method, "ratio": ratio,
                             "error": "", "auc_shifted": auc + 0.001 * seed,
                             "auc_in_domain": 1 - auc, "val_test_gap": 0.4})
            rows += [{"dataset": table, "seed": seed, "error": "", "val_test_gap": np.nan, **row}
                     for row in extra]
    return pd.DataFrame(rows)


AUCS = {"a": (0.70, 0.80, 0.90), "b": (0.60, 0.62, 0.61), "c": (0.50, 0.55, 0.52),
        "d": (0.80, 0.81, 0.83)}


def test_improvement_is_the_median_over_tables_of_the_normalised_gain():
    table = paper_comparison_table(_results(AUCS), n_resamples=500).set_index("run")
    # per table, min-max over zero-shot / finetune / causalmix, minus zero-shot (always the worst)
    finetune = np.median([0.5, 1.0, 1.0, 1 / 3])
    causalmix = np.median([1.0, 0.5, 0.4, 1.0])
    assert table.loc["finetune", "improvement median"] == pytest.approx(finetune)
    assert table.loc["causalmix r=0.5", "improvement median"] == pytest.approx(causalmix)
    assert table.loc["finetune", "tables"] == 4
    for run in ("finetune", "causalmix r=0.5"):
        row = table.loc[run]
        assert row["CI low"] <= row["improvement median"] <= row["CI high"]
        paper = PAPER_MEDIANS[row["method"]]["improvement"]
        assert row["paper"] == paper
        assert row["paper inside CI"] == ("yes" if row["CI low"] <= paper <= row["CI high"] else "no")
    # every table's gain is positive: the paper's small medians lie below both intervals
    assert (table["paper inside CI"] == "no").all()
    assert (table["val-test gap median"] == 0.4).all()


def test_seeds_are_averaged_before_the_normalisation():
    one = paper_comparison_table(_results(AUCS), n_resamples=200)
    # a second seed shifts every arm of a table by the same amount: the normalised scores stay
    two = paper_comparison_table(_results(AUCS, seeds=(0, 1)), n_resamples=200)
    assert two["improvement median"].to_numpy() == pytest.approx(one["improvement median"])


def test_references_stay_out_of_the_pool():
    logreg = [{"method": "logreg", "ratio": np.nan, "auc_shifted": 0.99, "auc_in_domain": 0.99}]
    with_reference = paper_comparison_table(_results(AUCS, extra=logreg), n_resamples=200)
    without = paper_comparison_table(_results(AUCS), n_resamples=200)
    pd.testing.assert_frame_equal(with_reference, without)
    assert "logreg" not in set(with_reference["run"])


def test_in_domain_test_and_no_zero_shot():
    results = _results(AUCS)
    in_domain = paper_comparison_table(results, test="in_domain", n_resamples=200).set_index("run")
    # the in-domain scores are 1 - the shifted ones: zero-shot is the best, every gain negative
    assert (in_domain["improvement median"] < 0).all()
    no_zero_shot = results[results["method"] != "zero-shot"]
    assert paper_comparison_table(no_zero_shot).empty
