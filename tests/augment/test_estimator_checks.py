"""scikit-learn and imbalanced-learn API checks on every augmenter."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_causalmix import CausalSCMAugmenter
from sklearn_causalmix.augment import (
    GaussianCopulaAugmenter,
    IndependenceAugmenter,
    InterventionalAugmenter,
    NoiseAugmenter,
    RandomGraphSCMAugmenter,
    SMOTEAugmenter,
)

# A cheap configuration: the checks fit dozens of times on small tables.
_CHEAP = CausalSCMAugmenter(discovery="pc", n_bootstrap=2, n_graphs=2, random_state=0)
# The comparison augmenters (CTGANAugmenter needs the optional ctgan package and a GAN training
# per fit; its glue is tested with a stand-in in test_baselines.py).
_COMPARISON = [
    NoiseAugmenter(random_state=0),
    SMOTEAugmenter(backend="own", random_state=0),
    SMOTEAugmenter(backend="auto", random_state=0),
    GaussianCopulaAugmenter(random_state=0),
    # the controls of the causal graph
    RandomGraphSCMAugmenter(discovery="pc", n_bootstrap=2, n_graphs=2, random_state=0),
    IndependenceAugmenter(random_state=0),
    # rows under interventions on every modelled feature (two values each)
    InterventionalAugmenter(_CHEAP, n_values=2, random_state=0),
]


@parametrize_with_checks([_CHEAP, *_COMPARISON], expected_failed_checks=lambda est: {})
def test_sklearn_compatible(estimator, check):
    check(estimator)


imblearn_checks = pytest.importorskip("imblearn.utils.estimator_checks")

_IMBLEARN_EXPECTED_FAILURES = {
    "check_samplers_fit": (
        "needs a sampling_strategy_ attribute: the augmenters have no sampling_strategy "
        "(they add a synthetic_ratio share of rows and keep the class proportions)"
    ),
    "check_samplers_pandas_sparse": (
        "sparse input is not supported: category codes and missing values need a dense table"
    ),
    "check_samplers_multiclass_ova": (
        "one-hot (one-vs-all) targets are not supported; pass class labels"
    ),
}


@imblearn_checks.parametrize_with_checks(
    [_CHEAP, *_COMPARISON], expected_failed_checks=lambda est: _IMBLEARN_EXPECTED_FAILURES
)
def test_imblearn_sampler_contract(estimator, check):
    check(estimator)
