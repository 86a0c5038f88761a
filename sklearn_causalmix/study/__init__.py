"""The ratio study: how the synthetic share changes ROC-AUC and calibration under domain shift.

:func:`ratio_study` runs zero-shot, plain fine-tuning, CausalMixFT at several synthetic ratios
(and with the ratio chosen by inner cross-validation), other augmenters under the same protocol
and classical references on shifted tables, and returns a tidy DataFrame; the plotting functions
and :func:`write_report` turn it into figures and a markdown report. ``causalmix study`` runs it
from the command line.
"""

from sklearn_causalmix.study._methods import METHODS, MethodSpec, list_methods
from sklearn_causalmix.study._plots import (
    bootstrap_ci,
    plot_aggregate,
    plot_improvement,
    plot_metric_by_dataset,
    plot_reliability,
)
from sklearn_causalmix.study._report import write_outputs, write_report
from sklearn_causalmix.study._tables import per_dataset_table, summary_table
from sklearn_causalmix.study._runner import RESULT_COLUMNS, StudyUnit, ratio_study

# Module-level data, documented here where the API reference reads them (``#:`` comments).
#: The built-in methods of the ratio study: name -> :class:`MethodSpec` (how its estimator is built, its cache
#: fields and dispatch order).
METHODS = METHODS
#: The columns of the tidy result frame of :func:`ratio_study`, in order.
RESULT_COLUMNS = RESULT_COLUMNS

__all__ = [
    "METHODS",
    "MethodSpec",
    "RESULT_COLUMNS",
    "StudyUnit",
    "bootstrap_ci",
    "list_methods",
    "per_dataset_table",
    "plot_aggregate",
    "plot_improvement",
    "plot_metric_by_dataset",
    "plot_reliability",
    "ratio_study",
    "summary_table",
    "write_outputs",
    "write_report",
]
