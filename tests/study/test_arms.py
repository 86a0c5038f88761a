"""The study's control and CausalMixFT arms, the metrics added per run, and not-applicable units."""

import numpy as np
import pandas as pd
import pytest
from sklearn.utils import Bunch
from study_doubles import TinyFineTuner

from sklearn_causalmix import CausalSCMAugmenter
from sklearn_causalmix.augment import (
    GaussianCopulaAugmenter,
    IndependenceAugmenter,
    InterventionalAugmenter,
    RandomGraphSCMAugmenter,
)
from sklearn_causalmix.datasets import make_shifted_classification
from sklearn_causalmix.study import StudyUnit, ratio_study
from sklearn_causalmix.study._data import make_split
from sklearn_causalmix.study._scores import TEMPERATURE_COLUMNS, temperature_scores
from sklearn_causalmix.study._settings import study_settings

CHEAP_SCM = CausalSCMAugmenter(discovery="pc", n_bootstrap=2, n_graphs=2)
ARMS = ["finetune", "causalmix", "random-graph", "independence", "causalmix-query",
        "causalmix-context", "causalmix-do"]
SETTINGS = dict(ratios=(0.0, 0.5, 1.0), seeds=[0], n_train=80, model=TinyFineTuner(),
                max_steps=3, verbose=0)


@pytest.fixture(scope="module")
def covariate():
    return make_shifted_classification(n_samples=400, n_features=4, shift="covariate",
                                       random_state=0)


@pytest.fixture(scope="module")
def results(covariate):
    """The arms on a covariate shift (shifting variables known) and on a table without them."""
    no_variable = Bunch(X=covariate.X, y=covariate.y, domain=covariate.domain,
                        domain_name="site", name="real-like")
    return ratio_study({"cov": covariate, "real-like": no_variable}, methods=ARMS,
                       augmenters={"causalmix": CHEAP_SCM}, **SETTINGS)


def test_every_arm_runs_at_every_ratio(results):
    cov = results[results["dataset"] == "cov"]
    assert (cov["error"] == "").all() and (cov["note"] == "").all()
    assert cov[["method", "ratio"]].fillna(-1).values.tolist() == [["finetune", 0.0]] + [
        [arm, r] for arm in ARMS[1:] for r in (0.5, 1.0)]
    assert cov["auc_shifted"].between(0, 1).all()


def test_do_arm_reports_nan_and_a_note_when_the_shifting_variable_is_not_a_column(results):
    rows = results[(results["dataset"] == "real-like") & (results["method"] == "causalmix-do")]
    assert len(rows) == 2 and (rows["error"] == "").all()
    assert rows["note"].str.contains("'site', which is not a column of X").all()
    assert rows[["auc_shifted", "ece_shifted", "fit_time_s"]].isna().all().all()
    others = results[(results["dataset"] == "real-like") & (results["method"] != "causalmix-do")]
    assert (others["note"] == "").all() and others["auc_shifted"].notna().all()


def _unit_model(method, ratio, task, augmenters, model=None):
    settings = study_settings(methods=[method], ratios=(0.0, ratio), seeds=[0],
                              model=model or TinyFineTuner(), augmenters=augmenters)
    split = make_split(task, 0, n_train=80)
    estimator, _ = settings.spec(method).build(StudyUnit("t", 0, method, ratio), split, settings)
    return estimator


def test_each_arm_builds_the_augmenter_and_placement_it_names(covariate):
    augmenters = {"causalmix": CHEAP_SCM}
    query = _unit_model("causalmix-query", 0.5, covariate, augmenters)
    context = _unit_model("causalmix-context", 0.5, covariate, augmenters)
    plain = _unit_model("causalmix", 0.5, covariate, augmenters)
    assert (query.synthetic_placement, context.synthetic_placement,
            plain.synthetic_placement) == ("query", "context", "both")
    assert query.augmenter.get_params() == plain.augmenter.get_params()
    control = _unit_model("random-graph", 0.5, covariate, augmenters).augmenter
    assert type(control) is RandomGraphSCMAugmenter
    assert control.get_params() == plain.augmenter.get_params()  # only the graph differs
    do = _unit_model("causalmix-do", 0.5, covariate, augmenters).augmenter
    shifted = [node for node, attrs in covariate.graph.nodes(data=True) if attrs["shifted"]]
    assert isinstance(do, InterventionalAugmenter) and do.intervene_on == shifted
    assert do.augmenter.get_params() == plain.augmenter.get_params()
    assert isinstance(_unit_model("independence", 0.5, covariate, {}).augmenter,
                      IndependenceAugmenter)


def test_placement_arm_needs_a_model_with_the_parameter(covariate):
    class NoPlacement(TinyFineTuner):
        def __init__(self, augmenter=None, synthetic_ratio=0.0, max_steps=5, memory=None,
                     random_state=None, handle_unknown="missing"):
            super().__init__(augmenter, synthetic_ratio, max_steps, memory, random_state,
                             handle_unknown)

    with pytest.raises(ValueError, match=r"'causalmix-query' needs a model with the parameter"):
        _unit_model("causalmix-query", 0.5, covariate, {"causalmix": CHEAP_SCM},
                    model=NoPlacement())


def test_controls_are_not_applicable_with_a_non_causal_augmenter(covariate):
    results = ratio_study(covariate, methods=["random-graph", "causalmix-do"],
                          augmenters={"causalmix": GaussianCopulaAugmenter()}, **SETTINGS)
    assert (results["error"] == "").all()
    notes = results.set_index("method")["note"]
    assert notes["random-graph"].str.contains("not a CausalSCMAugmenter").all()
    assert notes["causalmix-do"].str.contains("cannot sample under interventions").all()


def test_not_applicable_units_are_cached_and_read_back(covariate, tmp_path):
    settings = {**SETTINGS, "methods": ["random-graph"],
                "augmenters": {"causalmix": GaussianCopulaAugmenter()}, "cache_dir": tmp_path}
    first = ratio_study(covariate, **settings)
    again = ratio_study(covariate, **settings)
    assert again["cached"].all() and again["note"].tolist() == first["note"].tolist()


def test_fidelity_of_every_augmenter_at_every_positive_ratio(results):
    cov = results[results["dataset"] == "cov"].set_index(["method", "ratio"])
    measured = cov["fidelity_detection_auc"].notna()
    own = ["causalmix", "causalmix-do", "independence", "random-graph"]  # the others share causalmix's
    assert sorted(measured[measured].index.tolist()) == [(arm, r) for arm in sorted(own) for r in (0.5, 1.0)]
    for column in ("fidelity_detection_auc", "fidelity_tstr_auc", "fidelity_trtr_auc"):
        assert cov.loc[measured, column].between(0, 1).all()
        for arm in own:  # one measurement per dataset, seed and augmenter: the same at every ratio
            assert cov.loc[(arm, 0.5), column] == cov.loc[(arm, 1.0), column]
    # The independence model's rows carry no label information; the causal model's do.
    assert cov.loc[("independence", 0.5), "fidelity_tstr_auc"] < 0.65
    assert cov.loc[("causalmix", 0.5), "fidelity_tstr_auc"] > 0.7


def test_a_cached_unit_keeps_its_fidelity_in_another_grid(covariate, tmp_path):
    settings = {**SETTINGS, "methods": ["causalmix"], "augmenters": {"causalmix": CHEAP_SCM},
                "cache_dir": tmp_path}
    both = ratio_study(covariate, **{**settings, "ratios": (0.5, 1.0)}).set_index("ratio")
    assert both["fidelity_tstr_auc"].notna().all()
    assert both.loc[0.5, "fidelity_tstr_auc"] == both.loc[1.0, "fidelity_tstr_auc"]
    # the r=1 unit read back in a grid where it is the only positive ratio: the same record
    alone = ratio_study(covariate, **{**settings, "ratios": (1.0,)}).set_index("ratio")
    assert alone.loc[1.0, "cached"]
    assert alone.loc[1.0, "fidelity_tstr_auc"] == both.loc[1.0, "fidelity_tstr_auc"]


def test_temperature_columns_for_every_run(results):
    ok = results[results["note"] == ""]
    assert ok[list(TEMPERATURE_COLUMNS)].notna().all().all()
    assert (ok["temperature"] > 0).all()


def test_temperature_scores_fix_overconfidence_without_seeing_the_shifted_labels():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, 600)
    sure = np.where(rng.uniform(size=600) < 0.7, y, 1 - y)
    proba = np.eye(2)[sure] * 0.96 + 0.02  # right 70 % of the time, 98 % sure every time
    classes = np.array([0, 1])
    scores = temperature_scores(y[:300], proba[:300], y[300:], proba[300:], classes, 0)
    assert scores["temperature"] > 1
    assert scores["ece_shifted_ts"] < 0.05 and scores["ece_in_domain_ts"] < 0.06
    flipped = temperature_scores(y[:300], proba[:300], 1 - y[300:], proba[300:], classes, 0)
    assert flipped["temperature"] == scores["temperature"]  # fitted on in-domain rows only
    assert np.isnan(temperature_scores(y[:3], proba[:3], y, proba, classes, 0)["temperature"])
