"""The ratio study driver: check settings, plan the units, run them (cached, parallel), tabulate."""

from __future__ import annotations

import logging
import numbers
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from sklearn_causalmix.evaluation import normalized_improvement
from sklearn_causalmix.study._cache import (  # noqa: F401  (_weights_fingerprint: read by _cli.py)
    _weights_fingerprint,
    augmenter_name,
    dataset_fingerprint,
    load_unit,
    save_unit,
    unit_key,
)
from sklearn_causalmix.study._data import resolve_datasets
from sklearn_causalmix.study._methods import (
    DEFAULT_METHODS,
    METHODS,
    default_augmenters,
    optional_method_available,
)
from sklearn_causalmix.study._unit import StudyUnit, run_unit_with_its_key

__all__ = ["RESULT_COLUMNS", "StudyUnit", "ratio_study"]

logger = logging.getLogger("sklearn_causalmix.study")

#: Columns of the tidy result frame, in order.
RESULT_COLUMNS = [
    "dataset", "seed", "method", "ratio", "chosen_ratio", "n_train", "n_test_in_domain",
    "n_test_shifted", "n_masked_levels", "auc_in_domain", "auc_shifted", "ece_in_domain",
    "ece_shifted",
    "brier_in_domain", "brier_shifted", "log_loss_in_domain", "log_loss_shifted",
    "normalized_improvement", "normalized_improvement_in_domain", "val_test_gap", "n_evaluations",
    "best_step", "n_steps", "n_synthetic", "fit_time_s", "cached", "error",
]

#: Dispatch order of the methods (stable within a method: dataset, seed, ratio).
_PRIORITY = {m: i for i, m in enumerate(
    ("logreg", "rf", "hgb", "zero-shot", "finetune", "causalmix", "noise", "smote", "copula",
     "ctgan", "causalmix-cv"))}


# ------------------------------------------------------------------------------ the study
def _check_ratios(ratios):
    values = np.atleast_1d(np.asarray(ratios, dtype=np.float64)) if not isinstance(ratios, str) \
        else None
    if values is None or values.ndim != 1 or len(values) == 0:
        raise ValueError(f"ratios must be a non-empty list of numbers in [0, 1]; got {ratios!r}.")
    if not np.all((values >= 0) & (values <= 1)):
        raise ValueError(f"every ratio must lie in [0, 1]; got {values.tolist()}.")
    return tuple(float(v) for v in np.unique(values))


def _check_seeds(seeds):
    if isinstance(seeds, numbers.Integral):
        seeds = [seeds]
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                            and s >= 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of non-negative integers; got {seeds!r}.")
    return tuple(dict.fromkeys(int(s) for s in seeds))


def _check_methods(methods, augmenters):
    if methods is None:
        methods = DEFAULT_METHODS
    if isinstance(methods, str):
        methods = [methods]
    methods = list(dict.fromkeys(methods))
    known = set(METHODS) | set(augmenters)
    unknown = [m for m in methods if m not in known]
    if unknown:
        raise ValueError(f"Unknown method(s) {unknown}; the methods are {sorted(known)}.")
    kept = []
    for method in methods:
        if method in METHODS and not optional_method_available(method):
            logger.warning(
                "Skipping method %r: its optional dependency is not installed (for ctgan: "
                "`pip install ctgan`, which needs pandas<3).", method)
            continue
        kept.append(method)
    return kept


def _default_model(device):
    try:
        from sklearn_causalmix.finetune import CausalMixFTClassifier
    except ImportError as exc:
        raise ImportError(
            "The default model of the study, CausalMixFTClassifier, could not be imported "
            f"({exc}); pass model= (an estimator with synthetic_ratio, augmenter and max_steps "
            "parameters) or run only the reference methods."
        ) from exc
    return CausalMixFTClassifier(device=device)


def plan_units(names, seeds, methods, method_ratios):
    """The units of a study, in a stable order (dataset, seed, method, ratio)."""
    units = []
    for name in names:
        for seed in seeds:
            for method in methods:
                kind = METHODS[method].kind if method in METHODS else "augmented"
                if kind == "augmented":
                    units += [StudyUnit(name, seed, method, r) for r in method_ratios[method]
                              if r > 0]
                elif kind == "finetune":
                    units.append(StudyUnit(name, seed, method, 0.0))
                else:
                    units.append(StudyUnit(name, seed, method, None))
    return units


def add_improvements(frame):
    """Fill ``normalized_improvement`` (shifted AUC) and its in-domain twin from zero-shot rows.

    For every (dataset, seed), the baseline is the zero-shot model's ROC-AUC on the same test
    set; rows without a zero-shot baseline (or with a failed one) get NaN.
    """
    frame = frame.copy()
    for column, metric in (("normalized_improvement", "auc_shifted"),
                           ("normalized_improvement_in_domain", "auc_in_domain")):
        base = (frame[frame["method"] == "zero-shot"].groupby(["dataset", "seed"])[metric]
                .first().rename("_baseline"))
        merged = frame[["dataset", "seed", metric]].join(base, on=["dataset", "seed"])
        ok = np.isfinite(merged[metric]) & np.isfinite(merged["_baseline"]) & (
            merged["_baseline"] != 0)
        values = np.full(len(frame), np.nan)
        if ok.any():
            values[ok.to_numpy()] = normalized_improvement(
                merged.loc[ok, metric].to_numpy(), merged.loc[ok, "_baseline"].to_numpy())
        frame[column] = values
    return frame


def ratio_study(
    datasets,
    ratios=(0.0, 0.25, 0.5, 0.75, 1.0),
    *,
    seeds=(0, 1, 2),
    n_train=512,
    methods=None,
    model=None,
    augmenters=None,
    max_steps=None,
    device="auto",
    n_jobs=None,
    cache_dir=None,
    max_test=2000,
    in_domain_fraction=0.25,
    cv=3,
    method_ratios=None,
    monitor=True,
    errors="raise",
    return_predictions=False,
    verbose=1,
):
    """How the synthetic share changes ROC-AUC and calibration of a fine-tuned TFM under shift.

    For every dataset and seed the source-domain rows are split into at most ``n_train`` training
    rows and an in-domain test set, and at most ``max_test`` target-domain rows form the shifted
    test set (see :func:`~sklearn_causalmix.study._data.make_split`). Every method is fitted on
    the training rows and scored on both test sets. Units run through :class:`joblib.Parallel`,
    so ``joblib.parallel_config(backend="dask")`` (or Ray's backend) spreads them over a
    cluster; with ``cache_dir`` every finished unit is stored on disk and a repeated or
    interrupted study only runs what is missing.

    Parameters
    ----------
    datasets : str, list or dict
        Table names of :func:`~sklearn_causalmix.datasets.list_shifted_datasets`, Bunches with
        ``X``, ``y``, ``domain`` and ``name`` (e.g. from
        :func:`~sklearn_causalmix.datasets.make_shifted_classification`), or a dict naming
        Bunches.
    ratios : sequence of float in [0, 1], default=(0, 0.25, 0.5, 0.75, 1)
        Synthetic ratios of the augmented methods (the grid of ``causalmix-cv``). The r = 0 point
        of every augmented method is the ``finetune`` row (plain fine-tuning), run once.
    seeds : int or sequence of int, default=(0, 1, 2)
        One split and one seed of every estimator per value.
    n_train : int, default=512
        Largest number of training rows (stratified subsample of the source domain).
    methods : list of str, default=None
        Subset of :data:`~sklearn_causalmix.study.METHODS` (and of the keys of ``augmenters``):
        ``"zero-shot"``, ``"finetune"``, ``"causalmix"``, ``"causalmix-cv"``, ``"noise"``,
        ``"smote"``, ``"copula"``, ``"ctgan"`` (skipped, with a logged note, when ``ctgan`` is not
        installed), ``"logreg"``, ``"rf"``, ``"hgb"``. None runs all but ``"ctgan"``.
    model : estimator, default=None
        The fine-tunable classifier, unfitted, with the parameters ``synthetic_ratio``,
        ``augmenter`` and ``max_steps`` (and optionally ``random_state`` and ``memory``). None
        uses ``CausalMixFTClassifier(device=device)``. Each unit clones it and sets those
        parameters.
    augmenters : dict of str to augmenter, default=None
        Augmenter per augmented method, overriding :func:`default_augmenters` (for example a
        faster ``CausalSCMAugmenter`` for ``"causalmix"``); new keys add methods. Each is cloned
        and seeded per unit.
    max_steps : int, default=None
        Fine-tuning steps of every fine-tuned method; None keeps the model's default.
    device : str, default="auto"
        Device of the default model.
    n_jobs : int, default=None
        Parallel units (joblib); None defers to the active ``joblib.parallel_config``.
    cache_dir : str or path, default=None
        Folder of the unit cache (one JSON and one ``.npz`` per finished unit, keyed by a hash of
        the unit's settings) and of the augmenter cache passed to the model's ``memory``.
    max_test : int, default=2000
        Largest size of each test set.
    in_domain_fraction : float, default=0.25
        Share of the source rows held out as the in-domain test.
    cv : int, default=3
        Folds of the inner cross-validation of ``causalmix-cv``.
    method_ratios : dict of str to sequence of float, default=None
        Ratios of particular methods instead of ``ratios``: e.g. ``{"noise": [0.5]}`` runs the
        noise augmenter at 0.5 only, ``{"causalmix-cv": [0, 0.5, 1]}`` sets the grid of the inner
        cross-validation.
    monitor : bool, default=True
        Pass the shifted test set as ``monitor=`` to the model's ``fit`` (when it takes one), so
        that ``history_`` records test scores next to validation scores for the validation-test
        gap. The monitor set is only scored, never used for training or early stopping.
    errors : {"raise", "record"}, default="raise"
        On a failing unit, raise, or record the error in the ``error`` column (metrics NaN; the
        unit is not cached and runs again next time).
    return_predictions : bool, default=False
        Also return the shifted-test predictions of every unit.
    verbose : int, default=1
        0: silent; 1: a tqdm progress bar over the units.

    Returns
    -------
    results : DataFrame
        One row per unit with the columns of :data:`RESULT_COLUMNS`: ``dataset``, ``seed``,
        ``method``, ``ratio`` (NaN for methods without one), ``chosen_ratio`` (``causalmix-cv``),
        ``n_train``, test sizes, ``n_masked_levels`` (test cells whose categorical level never
        occurs in the training rows; the models encode them as missing), ``auc_*``, ``ece_*``,
        ``brier_*``, ``log_loss_*`` on the in-domain and the shifted test, ``normalized_improvement`` (% gain of shifted ROC-AUC over
        the zero-shot model on the same dataset and seed) and its in-domain twin,
        ``val_test_gap`` (1 - Spearman correlation of the validation and shifted-test curves of
        ``history_``), ``n_evaluations``, ``best_step`` / ``n_steps`` / ``n_synthetic`` (the
        model's ``best_step_``, ``n_steps_``, ``n_synthetic_`` when it has them: a best step of 0
        means early stopping kept the pretrained weights), ``fit_time_s``, ``cached`` and
        ``error``.
    predictions : dict, only when ``return_predictions=True``
        :class:`StudyUnit` to ``{"y_true", "proba", "classes"}`` on the shifted test.

    Examples
    --------
    >>> from sklearn_causalmix.datasets import make_shifted_classification
    >>> from sklearn_causalmix.study import ratio_study
    >>> data = make_shifted_classification(n_samples=300, random_state=0)
    >>> results = ratio_study(data, seeds=[0], methods=["logreg", "hgb"], n_train=64,
    ...                       verbose=0)
    >>> results[["method", "n_train", "n_test_shifted"]].values.tolist()
    [['logreg', 64, 150], ['hgb', 64, 150]]
    """
    if errors not in ("raise", "record"):
        raise ValueError(f"errors must be 'raise' or 'record'; got {errors!r}.")
    ratios = _check_ratios(ratios)
    seeds = _check_seeds(seeds)
    entries = resolve_datasets(datasets)
    merged_augmenters = dict(augmenters or {})
    requested = [methods] if isinstance(methods, str) else list(methods or DEFAULT_METHODS)
    methods = _check_methods(methods, merged_augmenters)
    method_ratios = {m: r for m, r in (method_ratios or {}).items()
                     if m in methods or m not in requested}
    wrong = [m for m in method_ratios if m not in methods]
    if wrong:
        raise ValueError(
            f"method_ratios names method(s) {wrong} that are not among the methods {methods}.")
    method_ratios = {m: _check_ratios(method_ratios.get(m, ratios)) for m in methods}
    needs_model = any(METHODS[m].kind != "reference" if m in METHODS else True for m in methods)
    needs_augmenters = [augmenter_name(m) for m in methods
                        if (METHODS[m].kind if m in METHODS else "augmented")
                        in ("augmented", "cv")]
    if needs_augmenters:
        defaults = default_augmenters()
        for name in needs_augmenters:
            if name not in merged_augmenters:
                merged_augmenters[name] = defaults[name]
    if max_steps is not None and (not isinstance(max_steps, numbers.Integral) or max_steps < 0):
        raise ValueError(f"max_steps must be a non-negative integer or None; got {max_steps!r}.")
    if not isinstance(cv, numbers.Integral) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2; got {cv!r}.")
    if needs_model and model is None:
        model = _default_model(device)
    settings = {
        "n_train": n_train, "max_test": max_test, "in_domain_fraction": in_domain_fraction,
        "model": model, "augmenters": merged_augmenters, "max_steps": max_steps,
        "ratios": ratios, "method_ratios": method_ratios, "cv": int(cv),
        "monitor": bool(monitor), "errors": errors,
        "augmenter_cache": None if cache_dir is None else str(Path(cache_dir) / "augmenters"),
    }
    # Validate the protocol settings before any work starts.
    from sklearn_causalmix.study._data import _check_sizes

    _check_sizes(n_train, max_test, in_domain_fraction)

    units = plan_units(list(entries), seeds, methods, method_ratios)
    fingerprints = {name: dataset_fingerprint(entry) for name, entry in entries.items()}
    keys = {unit: unit_key(unit, settings, fingerprints[unit.dataset]) for unit in units}
    results = {}
    if cache_dir is not None:
        for unit in units:
            stored = load_unit(cache_dir, unit, keys[unit])
            if stored is not None:
                results[unit] = stored
    # Cheap and central runs first, so that an interrupted study has the most useful part done.
    todo = sorted((unit for unit in units if unit not in results),
                  key=lambda unit: _PRIORITY.get(unit.method, _PRIORITY["ctgan"]))
    if verbose:
        logger.info("Ratio study: %d units, %d cached, %d to run.", len(units), len(results),
                    len(todo))
    if todo:
        from tqdm.auto import tqdm

        progress = tqdm(total=len(units), initial=len(units) - len(todo), desc="ratio study",
                        unit="run", disable=not verbose)
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        try:
            jobs = (joblib.delayed(run_unit_with_its_key)(unit, entries[unit.dataset], settings)
                    for unit in todo)
            for unit, result in parallel(jobs):
                results[unit] = result
                if cache_dir is not None and not result["row"]["error"]:
                    save_unit(cache_dir, unit, keys[unit], result)
                progress.set_postfix_str(unit.label, refresh=False)
                progress.update(1)
        finally:
            progress.close()

    rows = [results[unit]["row"] for unit in units]
    frame = pd.DataFrame(rows)
    for column in RESULT_COLUMNS:
        if column not in frame.columns:
            frame[column] = "" if column == "error" else np.nan
    frame = add_improvements(frame[RESULT_COLUMNS])
    frame["cached"] = frame["cached"].astype(bool)
    failed = frame[frame["error"] != ""]
    if len(failed):
        logger.warning("%d of %d units failed; see the 'error' column.", len(failed), len(frame))
    if return_predictions:
        return frame, {unit: results[unit]["predictions"] for unit in units
                       if results[unit]["predictions"] is not None}
    return frame
