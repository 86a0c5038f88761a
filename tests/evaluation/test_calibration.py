"""Calibration metrics against values computed by hand."""

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss

from sklearn_causalmix.evaluation import (
    classwise_calibration_error,
    expected_calibration_error,
    multiclass_brier_score,
)

# Binary example, positive-class probabilities.
#   p      = [0.25, 0.65, 0.95, 0.55], y = [0, 1, 1, 0]
#   top-label confidence max(p, 1-p) = [0.75, 0.65, 0.95, 0.55]; prediction [0, 1, 1, 1]
#   correct = [1, 1, 1, 0]
#   5 uniform bins (0,.2] (.2,.4] (.4,.6] (.6,.8] (.8,1]:
#     bin (.6,.8]: rows 0,1 -> |2 - 1.40| = 0.60
#     bin (.8,1]:  row 2    -> |1 - 0.95| = 0.05
#     bin (.4,.6]: row 3    -> |0 - 0.55| = 0.55
#   ECE = (0.60 + 0.05 + 0.55) / 4 = 0.30
Y_BIN = np.array([0, 1, 1, 0])
P_BIN = np.array([0.25, 0.65, 0.95, 0.55])

# Multiclass example, 4 uniform bins with edges 0, .25, .5, .75, 1:
#   confidence [0.6, 0.7, 0.5, 0.8], prediction [0, 1, 1, 2], y [0, 1, 2, 2] -> correct [1, 1, 0, 1]
#   bin (.5,.75]: rows 0,1 -> |2 - 1.3| = 0.7
#   bin (.25,.5]: row 2    -> |0 - 0.5| = 0.5
#   bin (.75,1]:  row 3    -> |1 - 0.8| = 0.2
#   ECE = 1.4 / 4 = 0.35
Y_MC = np.array([0, 1, 2, 2])
P_MC = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.5, 0.4], [0.1, 0.1, 0.8]])


def test_ece_binary_vector_by_hand():
    assert expected_calibration_error(Y_BIN, P_BIN, n_bins=5) == pytest.approx(0.30)


def test_ece_binary_two_columns_and_string_labels_match_vector():
    two_columns = np.column_stack([1 - P_BIN, P_BIN])
    labels = np.array(["no", "yes"])[Y_BIN]
    assert expected_calibration_error(labels, two_columns, n_bins=5) == pytest.approx(0.30)
    assert expected_calibration_error(labels, P_BIN, n_bins=5) == pytest.approx(0.30)


def test_ece_multiclass_by_hand():
    assert expected_calibration_error(Y_MC, P_MC, n_bins=4) == pytest.approx(0.35)


def test_ece_quantile_strategy_by_hand():
    # Two quantile bins of the confidences [0.75, 0.65, 0.95, 0.55]: the median is 0.70.
    #   bin <= 0.70: rows 1 (correct), 3 (wrong) -> |1 - 1.20| = 0.20
    #   bin  > 0.70: rows 0, 2 (both correct)    -> |2 - 1.70| = 0.30
    #   ECE = 0.50 / 4 = 0.125
    assert expected_calibration_error(
        Y_BIN, P_BIN, n_bins=2, strategy="quantile"
    ) == pytest.approx(0.125)


def test_ece_labels_give_column_order():
    # Columns are [P(yes), P(no)]. Row 0: says "no" with 0.8 (right); row 1: "yes" with 0.9 (right).
    # ECE = (|1 - 0.8| + |1 - 0.9|) / 2 = 0.15
    y_prob = np.array([[0.2, 0.8], [0.9, 0.1]])
    ece = expected_calibration_error(["no", "yes"], y_prob, n_bins=10, labels=["yes", "no"])
    assert ece == pytest.approx(0.15)


def test_ece_labels_allow_a_class_missing_from_y_true():
    y_prob = np.array([[0.9, 0.05, 0.05], [0.05, 0.05, 0.9]])
    # Both right with confidence 0.9, one bin: |2 - 1.8| / 2 = 0.1
    ece = expected_calibration_error([0, 2], y_prob, n_bins=10, labels=[0, 1, 2])
    assert ece == pytest.approx(0.1)


def test_ece_is_zero_for_confident_correct_predictions():
    y = np.array([0, 1, 2, 1])
    assert expected_calibration_error(y, np.eye(3)[y]) == pytest.approx(0.0)


def test_ece_of_uninformative_but_calibrated_model_is_near_zero():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=20000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.02
    assert expected_calibration_error(y, np.clip(p + 0.2, 0, 1)) > 0.05


def test_classwise_by_hand_binary():
    # Class 1: p [.25,.65,.95,.55] in bins 1,3,4,2 with outcomes 0,1,1,0 -> .25+.35+.05+.55 = 1.2
    # Class 0: p [.75,.35,.05,.45] in bins 3,1,0,2 with outcomes 1,0,0,1 -> .25+.35+.05+.55 = 1.2
    # Each 1.2 / 4 = 0.3; mean 0.3.
    assert classwise_calibration_error(Y_BIN, P_BIN, n_bins=5) == pytest.approx(0.3)


def test_classwise_by_hand_multiclass():
    # 4 bins. Class 0: p [.6,.2,.1,.1], y==0 [1,0,0,0]: bin2 |1-.6|=.4, bin0 |0-.4|=.4 -> .8/4=.20
    # Class 1: p [.3,.7,.5,.1], y==1 [0,1,0,0]: bin1 |0-.8|=.8, bin2 |1-.7|=.3, bin0 .1 -> 1.2/4=.30
    # Class 2: p [.1,.1,.4,.8], y==2 [0,0,1,1]: bin0 .2, bin1 |1-.4|=.6, bin3 |1-.8|=.2 -> 1/4=.25
    # Mean (.20 + .30 + .25) / 3 = .25
    assert classwise_calibration_error(Y_MC, P_MC, n_bins=4) == pytest.approx(0.25)


def test_brier_by_hand():
    # ((0.2 - 0)**2 + (0.7 - 1)**2) / 2 = (0.04 + 0.09) / 2 = 0.065
    assert multiclass_brier_score([0, 1], [0.2, 0.7]) == pytest.approx(0.065)
    # Row 0 (true 0): .4**2 + .3**2 + .1**2 = .26 ; row 1 (true 1): .2**2 + .3**2 + .1**2 = .14
    # Row 2 (true 2): .1**2 + .5**2 + .6**2 = .62 ; row 3 (true 2): .1**2 + .1**2 + .2**2 = .06
    # Mean 1.08 / 4 = 0.27
    assert multiclass_brier_score(Y_MC, P_MC) == pytest.approx(0.27)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_brier_matches_scikit_learn(n_classes):
    rng = np.random.default_rng(n_classes)
    proba = rng.dirichlet(np.ones(n_classes), size=50)
    y = np.arange(50) % n_classes
    expected = brier_score_loss(y, proba if n_classes > 2 else proba[:, 1])
    assert multiclass_brier_score(y, proba) == pytest.approx(expected)


@pytest.mark.parametrize(
    "metric", [expected_calibration_error, classwise_calibration_error, multiclass_brier_score]
)
@pytest.mark.parametrize(
    "y_true, y_prob, match",
    [
        ([0, 1, 1], [[0.5, 0.3, 0.2]] * 3, "2 distinct labels"),
        ([0, 1], [1.2, 0.3], r"must lie in \[0, 1\]"),
        ([0, 1], [[0.5, 0.6], [0.2, 0.8]], "sum to 1"),
        ([0, 1], [np.nan, 0.3], "NaN or infinite"),
        ([0, 1, 0], [0.2, 0.3], "inconsistent numbers of samples"),
        ([0, 1], np.full((2, 2, 2), 0.5), "shape"),
        ([], [], "empty"),
        ([0, 1], [[1.0], [0.0]], "n_classes >= 2"),
    ],
)
def test_bad_input_raises_clear_error(metric, y_true, y_prob, match):
    with pytest.raises(ValueError, match=match):
        metric(y_true, y_prob)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"labels": [0, 1, 2]}, "labels has 3 entries"),
        ({"labels": [0, 0]}, "must be distinct"),
        ({"labels": [0, 5]}, r"labels \[1\] that are not in labels"),
    ],
)
def test_bad_labels_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        expected_calibration_error([0, 1, 1], [0.2, 0.6, 0.7], **kwargs)


def test_non_numeric_probabilities_raise():
    with pytest.raises(TypeError, match="must hold numbers"):
        expected_calibration_error([0, 1], ["a", "b"])


def test_missing_label_raises():
    with pytest.raises(ValueError, match="missing values"):
        expected_calibration_error(np.array([0.0, np.nan]), [0.2, 0.6], labels=[0.0, 1.0])


@pytest.mark.parametrize("kwargs", [{"n_bins": 0}, {"n_bins": 2.5}, {"strategy": "equal"}])
def test_invalid_parameters_raise(kwargs):
    with pytest.raises(ValueError, match="parameter of expected_calibration_error"):
        expected_calibration_error(Y_BIN, P_BIN, **kwargs)
