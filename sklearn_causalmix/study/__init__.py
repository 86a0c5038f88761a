"""The ratio study: how the synthetic share changes ROC-AUC and calibration under domain shift.

:func:`ratio_study` runs zero-shot, plain fine-tuning, CausalMixFT at several synthetic ratios
(and with the ratio chosen by inner cross-validation), other augmenters under the same protocol
and classical references on shifted tables, and returns a tidy DataFrame; the plotting functions
and :func:`write_report` turn it into figures and a markdown report; :func:`paired_effects_table`
and :func:`arm_profile_table` give the answer per arm, with paired statistics over tables
(:func:`summarize_deltas`), and :func:`paper_comparison_table` puts it beside the CausalMixFT
paper's summary. ``causalmix study`` runs it from the command line.
"""

from sklearn_causalmix.study._effect_plots import (
    plot_forest,
    plot_ratio_curves,
    plot_validation_test,
)
from sklearn_causalmix.study._effects import arm_profile_table, paired_effects_table
from sklearn_causalmix.study._methods import METHODS, MethodSpec, list_methods
from sklearn_causalmix.study._paper import PAPER_MEDIANS, paper_comparison_table
from sklearn_causalmix.study._plots import (
    bootstrap_ci,
    plot_aggregate,
    plot_improvement,
    plot_metric_by_dataset,
    plot_reliability,
)
from sklearn_causalmix.study._report import write_outputs, write_report
from sklearn_causalmix.study._stats import (
    bootstrap_interval,
    holm_adjust,
    summarize_deltas,
    table_deltas,
)
from sklearn_causalmix.study._tables import per_dataset_table, summary_table
from sklearn_causalmix.study._runner import RESULT_COLUMNS, StudyUnit, ratio_study

# Module-level data, documented here where the API reference reads them (``#:`` comments).
#: The built-in methods of the ratio study: name -> :class:`MethodSpec` (how its estimator is built, its cache
#: fields and dispatch order).
METHODS = METHODS
#: The columns of the tidy result frame of :func:`ratio_study`, in order.
RESULT_COLUMNS = RESULT_COLUMNS
#: The CausalMixFT paper's medians over its 33 datasets (arXiv:2601.04110, abstract), by method:
#: ``"improvement"`` of normalised ROC-AUC over the model before fine-tuning and the
#: validation-test correlation ``"gap"`` (NaN where the abstract gives none), as
#: :func:`paper_comparison_table` compares them.
PAPER_MEDIANS = PAPER_MEDIANS

__all__ = [
    "METHODS",
    "MethodSpec",
    "PAPER_MEDIANS",
    "RESULT_COLUMNS",
    "StudyUnit",
    "arm_profile_table",
    "bootstrap_ci",
    "bootstrap_interval",
    "holm_adjust",
    "list_methods",
    "paired_effects_table",
    "paper_comparison_table",
    "per_dataset_table",
    "plot_aggregate",
    "plot_forest",
    "plot_improvement",
    "plot_metric_by_dataset",
    "plot_ratio_curves",
    "plot_reliability",
    "plot_validation_test",
    "ratio_study",
    "summarize_deltas",
    "summary_table",
    "table_deltas",
    "write_outputs",
    "write_report",
]
