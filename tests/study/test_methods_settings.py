"""Tests of the study's method specs, its settings value, its argument checks and its weights watch."""

import dataclasses
import logging

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import InvalidParameterError
from study_doubles import TinyFineTuner

from sklearn_causalmix.augment import GaussianCopulaAugmenter, NoiseAugmenter
from sklearn_causalmix.datasets import make_shifted_classification
from sklearn_causalmix.study import METHODS, MethodSpec, _runner, _weights, ratio_study
from sklearn_causalmix.study._methods import DEFAULT_METHODS, method_spec
from sklearn_causalmix.study._settings import StudySettings, study_settings

AUGMENTERS = {"causalmix": GaussianCopulaAugmenter(), "noise": NoiseAugmenter(),
              "jitter": NoiseAugmenter(noise_scale=0.5)}


@pytest.fixture(scope="module")
def task():
    return make_shifted_classification(n_samples=300, n_features=4, random_state=0)


@pytest.fixture
def settings():
    return study_settings(
        methods=["logreg", "zero-shot", "finetune", "causalmix", "causalmix-cv", "jitter"],
        ratios=[0.0, 0.5, 1.0], seeds=[0], model=TinyFineTuner(), augmenters=AUGMENTERS,
        method_ratios={"causalmix-cv": [0.0, 1.0]}, max_steps=3, cv=4)


# ------------------------------------------------------------------------------ method specs
def test_every_method_is_a_spec_and_the_catalogue_order_is_kept():
    assert all(isinstance(spec, MethodSpec) and spec.name == name for name, spec in METHODS.items())
    assert list(METHODS) == ["zero-shot", "finetune", "causalmix", "causalmix-cv",
                             "random-graph", "independence", "causalmix-query",
                             "causalmix-context", "causalmix-do", "noise", "smote", "copula",
                             "ctgan", "logreg", "rf", "hgb"]
    assert DEFAULT_METHODS == tuple(m for m in METHODS if m != "ctgan")
    # the family labels stay readable (for display only; nothing dispatches on them)
    assert {name: spec.kind for name, spec in METHODS.items() if name in (
        "zero-shot", "finetune", "causalmix", "causalmix-cv", "rf")} == {
        "zero-shot": "zero-shot", "finetune": "finetune", "causalmix": "augmented",
        "causalmix-cv": "cv", "rf": "reference"}


def test_priority_orders_cheap_and_central_runs_first():
    order = sorted(METHODS, key=lambda name: METHODS[name].priority)
    assert order == ["logreg", "rf", "hgb", "zero-shot", "finetune", "causalmix",
                     "random-graph", "independence", "noise", "causalmix-query",
                     "causalmix-context", "smote", "causalmix-do", "copula", "ctgan",
                     "causalmix-cv"]
    added = method_spec("jitter", AUGMENTERS)
    assert METHODS["copula"].priority < added.priority < METHODS["causalmix-cv"].priority


def test_unit_ratios_and_needs_per_family():
    grid = (0.0, 0.5, 1.0)
    expected = {"logreg": [None], "zero-shot": [None], "finetune": [0.0],
                "causalmix": [0.5, 1.0], "causalmix-cv": [None], "noise": [0.5, 1.0]}
    assert {name: METHODS[name].unit_ratios(grid) for name in expected} == expected
    assert [m for m in METHODS if not METHODS[m].needs_model] == ["logreg", "rf", "hgb"]
    needs_augmenter = {m: METHODS[m].augmenter_name for m in METHODS
                       if METHODS[m].needs_augmenter}
    assert needs_augmenter == {"causalmix": "causalmix", "causalmix-cv": "causalmix",
                               "random-graph": "causalmix", "independence": "independence",
                               "causalmix-query": "causalmix", "causalmix-context": "causalmix",
                               "causalmix-do": "causalmix", "noise": "noise", "smote": "smote",
                               "copula": "copula", "ctgan": "ctgan"}


def test_an_added_augmenter_is_an_augmented_spec():
    spec = method_spec("jitter", AUGMENTERS)
    assert spec.uses_ratio and spec.needs_model and spec.needs_augmenter and spec.available
    assert spec.augmenter_name == "jitter" and spec.unit_ratios((0.0, 0.25)) == [0.25]
    assert method_spec("causalmix", AUGMENTERS) is METHODS["causalmix"]
    with pytest.raises(KeyError):
        method_spec("magic", AUGMENTERS)


def test_cache_fields_name_what_each_family_depends_on(settings):
    model_fields = {"model": settings.model, "weights": None, "max_steps": 3}
    assert settings.spec("logreg").cache_fields(settings) == {}
    assert settings.spec("zero-shot").cache_fields(settings) == model_fields
    assert settings.spec("finetune").cache_fields(settings) == model_fields
    assert settings.spec("causalmix").cache_fields(settings) == {
        **model_fields, "augmenter": AUGMENTERS["causalmix"]}
    assert settings.spec("jitter").cache_fields(settings) == {
        **model_fields, "augmenter": AUGMENTERS["jitter"]}
    assert settings.spec("causalmix-cv").cache_fields(settings) == {
        **model_fields, "augmenter": AUGMENTERS["causalmix"], "cv": 4, "grid": [0.0, 1.0]}


def test_the_feature_subset_width_keys_only_the_model_units_of_wider_tables():
    from sklearn_causalmix import CausalMixFTClassifier
    from sklearn_causalmix.study._cache import dataset_width, unit_key
    from sklearn_causalmix.study import StudyUnit

    wide = study_settings(methods=["logreg", "zero-shot", "finetune"], ratios=[0.0], seeds=[0],
                          model=CausalMixFTClassifier(), augmenters=AUGMENTERS)
    assert _weights.feature_subset_width(wide.model) == 24  # "auto": the shipped weights' pretraining width
    assert wide.spec("zero-shot").table_fields(wide, 24) == {}
    assert wide.spec("finetune").table_fields(wide, 50) == {"feature_subset_size": 24}
    assert wide.spec("logreg").table_fields(wide, 50) == {}
    assert dataset_width("loanapp") == 50 and dataset_width("penguins") == 6
    unit = StudyUnit("t", 0, "zero-shot", None)
    # "auto" leaves the keys of tables it does not split as they were before the parameter existed
    assert unit_key(unit, wide, {"data_hash": "x"}, 24) == unit_key(unit, wide, {"data_hash": "x"}, None)
    assert unit_key(unit, wide, {"data_hash": "x"}, 25) != unit_key(unit, wide, {"data_hash": "x"}, 24)
    narrow = dataclasses.replace(wide, model=CausalMixFTClassifier(feature_subset_size=8))
    assert unit_key(unit, narrow, {"data_hash": "x"}, 6) != unit_key(unit, wide, {"data_hash": "x"}, 6)


def test_the_base_spec_has_no_estimator():
    spec = MethodSpec("bare", "no estimator", priority=0)
    with pytest.raises(NotImplementedError, match="MethodSpec does not implement build"):
        spec.build(None, None, None)


def test_specs_are_frozen_and_hashable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        METHODS["causalmix"].priority = 0
    assert len({METHODS["causalmix"], METHODS["causalmix"], METHODS["noise"]}) == 2


# ------------------------------------------------------------------------------ settings
def test_settings_are_frozen_and_hashable(settings):
    assert isinstance(settings, StudySettings)
    assert hash(settings) == hash(dataclasses.replace(settings))
    assert settings == dataclasses.replace(settings)
    assert settings != dataclasses.replace(settings, max_steps=4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.max_steps = 5
    assert {settings: "usable as a key"}[settings] == "usable as a key"


def test_settings_resolve_methods_grids_and_augmenters(settings):
    assert [spec.name for spec in settings.methods] == [
        "logreg", "zero-shot", "finetune", "causalmix", "causalmix-cv", "jitter"]
    assert settings.ratios == (0.0, 0.5, 1.0) and settings.seeds == (0,)
    assert settings.grid("causalmix-cv") == (0.0, 1.0) and settings.grid("jitter") == (
        0.0, 0.5, 1.0)
    assert settings.augmenter("causalmix") is AUGMENTERS["causalmix"]
    with pytest.raises(KeyError, match="'noise' is not among the study's methods"):
        settings.spec("noise")


def test_settings_fill_in_only_the_defaults_that_are_needed():
    references = study_settings(methods=["logreg", "hgb"], seeds=0)
    assert references.model is None and references.augmenters == ()
    smote = study_settings(methods=["smote"], model=TinyFineTuner())
    assert [name for name, _ in smote.augmenters] == ["smote"]
    assert type(smote.augmenter("smote")).__name__ == "SMOTEAugmenter"


# ------------------------------------------------------------------------------ checks
def test_parameter_constraints_refuse_bad_types_before_any_work(task, monkeypatch):
    started = []
    monkeypatch.setattr(_runner, "resolve_datasets", lambda d: started.append(d))
    for bad in ({"n_jobs": "2"}, {"cache_dir": 3}, {"augmenters": ["noise"]},
                {"method_ratios": [0.5]}, {"verbose": -1}, {"seeds": "0"}):
        with pytest.raises(InvalidParameterError, match="parameter of ratio_study must be"):
            ratio_study(task, methods=["logreg"], **bad)
    assert started == []


def test_constraints_keep_what_they_cannot_express_to_hand_checks(task):
    with pytest.raises(ValueError, match=r"every ratio must lie in \[0, 1\]"):
        ratio_study(task, methods=["logreg"], ratios=[0.5, 2.0], verbose=0)
    with pytest.raises(ValueError, match="seeds must be a non-empty list of non-negative"):
        ratio_study(task, methods=["logreg"], seeds=[0, -2], verbose=0)


# ------------------------------------------------------------------------------ dispatch order
def test_units_are_dispatched_by_priority(task, monkeypatch):
    dispatched = []

    def record(unit, entry, settings):
        dispatched.append(unit.method)
        row = {"dataset": unit.dataset, "seed": unit.seed, "method": unit.method,
               "ratio": unit.ratio, "cached": False, "error": ""}
        return unit, {"row": row, "predictions": None}

    monkeypatch.setattr(_runner, "run_unit_with_its_key", record)
    results = ratio_study(task, ratios=[0.0, 1.0], seeds=[0], n_jobs=1, verbose=0,
                          methods=["causalmix-cv", "jitter", "causalmix", "hgb", "zero-shot",
                                   "finetune", "logreg"],
                          model=TinyFineTuner(), augmenters=AUGMENTERS)
    assert dispatched == ["logreg", "hgb", "zero-shot", "finetune", "causalmix", "jitter",
                          "causalmix-cv"]
    # ... while the frame keeps the order asked for
    assert results["method"].tolist() == ["causalmix-cv", "jitter", "causalmix", "hgb",
                                          "zero-shot", "finetune", "logreg"]


# ------------------------------------------------------------------------------ weights watch
class FileSpec(BaseEstimator):
    """Stands in for a backbone spec with a weights file, e.g. TabICLBackbone(weights=path)."""

    def __init__(self, weights=None):
        self.weights = weights


class WeightsRewritingTuner(TinyFineTuner):
    """A TinyFineTuner whose backbone's weights file grows at every fit (an overwritten
    checkpoint)."""

    def __init__(self, backbone=None, augmenter=None, synthetic_ratio=0.0, max_steps=5,
                 memory=None, random_state=None, handle_unknown="missing"):
        super().__init__(augmenter=augmenter, synthetic_ratio=synthetic_ratio,
                         max_steps=max_steps, memory=memory, random_state=random_state,
                         handle_unknown=handle_unknown)
        self.backbone = backbone

    def fit(self, X, y, monitor=None):
        with open(self.backbone.weights, "ab") as fh:
            fh.write(b"more weights")
        return super().fit(X, y, monitor=monitor)


def test_weights_changed_during_the_run_are_reported(task, tmp_path, caplog):
    path = tmp_path / "model.ckpt"
    path.write_bytes(b"weights")
    model = WeightsRewritingTuner(backbone=FileSpec(str(path)), max_steps=2)
    before = _weights.weights_fingerprint(model)
    with caplog.at_level(logging.WARNING, logger="sklearn_causalmix.study"):
        results = ratio_study(task, seeds=[0], methods=["finetune"], model=model, n_train=60,
                              verbose=0)
    after = _weights.weights_fingerprint(model)
    assert before != after and results.attrs["weights_sha256"] == before
    (message,) = results.attrs["warnings"]
    assert f"sha256 {before} -> {after}" in message and "run the study again" in message
    assert message in caplog.text


def test_unchanged_weights_give_no_warning(task, tmp_path, caplog):
    path = tmp_path / "model.ckpt"
    path.write_bytes(b"weights")
    model = TinyFineTuner(max_steps=2)
    with caplog.at_level(logging.WARNING, logger="sklearn_causalmix.study"):
        results = ratio_study(task, seeds=[0], methods=["finetune", "logreg"], model=model,
                              n_train=60, verbose=0)
    assert results.attrs == {"weights_sha256": None, "warnings": []}
    assert "weights changed" not in caplog.text


def test_the_watch_reads_the_fingerprint_at_start_and_end(monkeypatch):
    readings = iter(["aaa", "bbb"])
    monkeypatch.setattr(_weights, "weights_fingerprint", lambda model: next(readings))
    watch = _weights.WeightsWatch(model=None)
    assert watch.sha256 == "aaa"
    assert watch.changes() == [(
        "the model's weights changed while the study ran (sha256 aaa -> bbb); runs made before "
        "and after the change are mixed: run the study again")]
