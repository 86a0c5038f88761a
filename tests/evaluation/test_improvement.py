import numpy as np
import pytest

from sklearn_causalmix.evaluation import normalized_improvement


def test_scalar_by_hand():
    # (0.88 / 0.80 - 1) * 100 = 10
    value = normalized_improvement(0.88, 0.80)
    assert isinstance(value, float)
    assert value == pytest.approx(10.0)
    # ROC-AUC falls from 0.80 to 0.76: (0.95 - 1) * 100 = -5
    assert normalized_improvement(0.76, 0.80) == pytest.approx(-5.0)


def test_lower_is_better_flips_sign():
    # ECE 0.10 -> 0.05: -(0.5 - 1) * 100 = +50 ; ECE 0.10 -> 0.12: -(1.2 - 1) * 100 = -20
    assert normalized_improvement(0.05, 0.10, greater_is_better=False) == pytest.approx(50.0)
    assert normalized_improvement(0.12, 0.10, greater_is_better=False) == pytest.approx(-20.0)


def test_negative_baseline_keeps_direction():
    # neg_log_loss -0.4 -> -0.2 is an improvement: (-0.2 + 0.4) / 0.4 * 100 = +50
    assert normalized_improvement(-0.2, -0.4) == pytest.approx(50.0)


def test_vectorised_and_broadcast():
    scores = np.array([[0.9, 0.7], [0.6, 0.66]])
    baselines = np.array([0.8, 0.6])
    expected = np.array([[12.5, 700 / 6 - 100], [-25.0, 10.0]])
    np.testing.assert_allclose(normalized_improvement(scores, baselines), expected)
    np.testing.assert_allclose(normalized_improvement([0.9, 0.7], 0.8), [12.5, -12.5])


@pytest.mark.parametrize(
    "score, baseline, match",
    [
        (0.5, 0.0, "baseline is zero"),
        ([0.5, 0.6], [0.5, 0.0], "baseline is zero"),
        (np.nan, 0.5, "finite"),
        ([0.5, 0.6, 0.7], [0.5, 0.6], "do not broadcast"),
    ],
)
def test_bad_input_raises(score, baseline, match):
    with pytest.raises(ValueError, match=match):
        normalized_improvement(score, baseline)
