"""scikit-learn and imbalanced-learn API checks on CausalSCMAugmenter."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_causalmix import CausalSCMAugmenter

# A cheap configuration: the checks fit dozens of times on small tables.
_CHEAP = CausalSCMAugmenter(discovery="pc", n_bootstrap=2, n_graphs=2, random_state=0)


@parametrize_with_checks([_CHEAP], expected_failed_checks=lambda est: {})
def test_sklearn_compatible(estimator, check):
    check(estimator)


imblearn_checks = pytest.importorskip("imblearn.utils.estimator_checks")

_IMBLEARN_EXPECTED_FAILURES = {
    "check_samplers_fit": (
        "needs a sampling_strategy_ attribute: CausalSCMAugmenter has no sampling_strategy "
        "(it adds a synthetic_ratio share of rows and keeps the class proportions)"
    ),
    "check_samplers_pandas_sparse": (
        "sparse input is not supported: category codes and missing values need a dense table"
    ),
    "check_samplers_multiclass_ova": (
        "one-hot (one-vs-all) targets are not supported; pass class labels"
    ),
}


@imblearn_checks.parametrize_with_checks(
    [_CHEAP], expected_failed_checks=lambda est: _IMBLEARN_EXPECTED_FAILURES
)
def test_imblearn_sampler_contract(estimator, check):
    check(estimator)
