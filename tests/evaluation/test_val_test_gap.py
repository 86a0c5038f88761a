import numpy as np
import pandas as pd
import pytest

from sklearn_causalmix.evaluation import validation_test_gap


def test_perfect_tracking_and_anticorrelation():
    assert validation_test_gap([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(0.0)
    assert validation_test_gap([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(2.0)


def test_spearman_by_hand():
    # ranks val [1,2,3,4], monitor [1,3,2,4]: d = [0,-1,1,0], sum d^2 = 2
    # rho = 1 - 6 * 2 / (4 * (16 - 1)) = 0.8 -> gap 0.2
    assert validation_test_gap([0.1, 0.2, 0.3, 0.4], [0.5, 0.7, 0.6, 0.8]) == pytest.approx(0.2)


def test_history_forms_agree():
    val, monitor = [0.1, 0.2, 0.3, 0.4], [0.5, 0.7, 0.6, 0.8]
    records = [{"step": i, "val_score": v, "monitor_score": m} for i, (v, m) in
               enumerate(zip(val, monitor))]
    frame = pd.DataFrame(records)
    as_dict = {"val_score": val, "monitor_score": monitor}
    for history in (records, frame, as_dict):
        assert validation_test_gap(history) == pytest.approx(0.2)


def test_nan_for_short_or_constant_curves():
    assert np.isnan(validation_test_gap([0.1, 0.2], [0.3, 0.4]))
    assert np.isnan(validation_test_gap([0.5, 0.5, 0.5, 0.5], [0.1, 0.2, 0.3, 0.4]))
    assert np.isnan(validation_test_gap([0.1, 0.2, 0.3], [0.7, 0.7, 0.7]))


def test_nan_policy():
    val = [0.1, 0.2, np.nan, 0.3, 0.4]
    monitor = [0.5, 0.7, 0.9, 0.6, 0.8]
    assert np.isnan(validation_test_gap(val, monitor))
    assert validation_test_gap(val, monitor, nan_policy="omit") == pytest.approx(0.2)
    with pytest.raises(ValueError, match="1 evaluation"):
        validation_test_gap(val, monitor, nan_policy="raise")


def test_records_missing_a_monitor_score_become_nan():
    records = [{"val_score": 0.1, "monitor_score": 0.5}, {"val_score": 0.2},
               {"val_score": 0.3, "monitor_score": 0.6}, {"val_score": 0.4, "monitor_score": 0.7}]
    assert np.isnan(validation_test_gap(records))
    assert validation_test_gap(records, nan_policy="omit") == pytest.approx(0.0)


@pytest.mark.parametrize(
    "args, match",
    [
        (([0.1, 0.2, 0.3],), "needs the test"),
        (([0.1, 0.2, 0.3], [0.1, 0.2]), "3 entries but monitor_scores has 2"),
        (({"val_score": [1, 2, 3], "test": [1, 2, 3]},),
         r"lacks the column\(s\) \['monitor_score'\]"),
        ((pd.DataFrame({"val_score": [1, 2, 3], "monitor_score": [1, 2, 3]}), [1, 2, 3]),
         "must be None"),
    ],
)
def test_bad_input_raises(args, match):
    with pytest.raises(ValueError, match=match):
        validation_test_gap(*args)


def test_non_numeric_scores_raise():
    with pytest.raises(TypeError, match="must hold numbers"):
        validation_test_gap(["a", "b", "c"], [1, 2, 3])


def test_invalid_nan_policy_raises():
    with pytest.raises(ValueError, match="nan_policy"):
        validation_test_gap([1, 2, 3], [1, 2, 3], nan_policy="ignore")
