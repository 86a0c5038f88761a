"""Metrics, scorers, synthetic-data fidelity and domain-shift splitters for the robustness study.

Nothing here imports another stage of the package: metrics and splitters work with any
scikit-learn estimator.
"""

from sklearn_causalmix.evaluation._calibration import (
    classwise_calibration_error,
    expected_calibration_error,
    multiclass_brier_score,
)
from sklearn_causalmix.evaluation._fidelity import synthetic_fidelity
from sklearn_causalmix.evaluation._gap import validation_test_gap
from sklearn_causalmix.evaluation._improvement import normalized_improvement
from sklearn_causalmix.evaluation._normalized import normalized_score
from sklearn_causalmix.evaluation._roc_auc import multiclass_roc_auc, roc_auc_scorer
from sklearn_causalmix.evaluation._scorers import SCORING, ece_scorer, get_scoring
from sklearn_causalmix.evaluation._splitters import (
    DomainShiftSplit,
    LeaveOneDomainOut,
    QuantileShiftSplit,
)
from sklearn_causalmix.evaluation._subsample import LowDataSubsampler
from sklearn_causalmix.evaluation._temperature import apply_temperature, fit_temperature

# Module-level data, documented here where the API reference reads them (``#:`` comments).
#: The scorers of :func:`get_scoring` (``roc_auc``, ``neg_ece``, ``neg_brier_score``, ``neg_log_loss``),
#: built once; pass ``scoring=SCORING`` to ``cross_validate``.
SCORING = SCORING

__all__ = [
    "DomainShiftSplit",
    "LeaveOneDomainOut",
    "LowDataSubsampler",
    "QuantileShiftSplit",
    "SCORING",
    "apply_temperature",
    "classwise_calibration_error",
    "ece_scorer",
    "expected_calibration_error",
    "fit_temperature",
    "get_scoring",
    "multiclass_brier_score",
    "multiclass_roc_auc",
    "normalized_improvement",
    "normalized_score",
    "roc_auc_scorer",
    "synthetic_fidelity",
    "validation_test_gap",
]
