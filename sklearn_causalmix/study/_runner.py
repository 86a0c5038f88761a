"""The ratio study driver: check the arguments, plan the units, run them (cached, parallel)."""

from __future__ import annotations

import logging
import os
from numbers import Integral, Real

import joblib
import numpy as np
import pandas as pd
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)

from sklearn_causalmix.evaluation import normalized_improvement
from sklearn_causalmix.study._cache import (
    dataset_fingerprint,
    dataset_width,
    load_unit,
    save_unit,
    unit_key,
)
from sklearn_causalmix.study._dask import check_scheduler, dask_client, run_on_dask
from sklearn_causalmix.study._data import dataset_protocols, resolve_datasets
from sklearn_causalmix.study._fidelity import FIDELITY_COLUMNS
from sklearn_causalmix.study._scores import TEMPERATURE_COLUMNS
from sklearn_causalmix.study._settings import study_settings
from sklearn_causalmix.study._unit import StudyUnit, run_unit_with_its_key
from sklearn_causalmix.study._weights import WeightsWatch

__all__ = ["RESULT_COLUMNS", "StudyUnit", "ratio_study"]

logger = logging.getLogger("sklearn_causalmix.study")

#: Columns of the tidy result frame, in order.
RESULT_COLUMNS = [
    "dataset", "protocol", "seed", "method", "ratio", "chosen_ratio", "n_train", "n_test_in_domain",
    "n_test_shifted", "n_masked_levels", "auc_in_domain", "auc_shifted", "ece_in_domain",
    "ece_shifted",
    "brier_in_domain", "brier_shifted", "log_loss_in_domain", "log_loss_shifted",
    *TEMPERATURE_COLUMNS,
    "normalized_improvement", "normalized_improvement_in_domain", "val_test_gap", "n_evaluations",
    "best_step", "n_steps", "n_synthetic", *FIDELITY_COLUMNS, "fit_time_s", "cached", "error",
    "note",
]
#: Fill of a column that a row lacks (rows cached before the column existed).
_MISSING = {"protocol": "shift", "error": "", "note": ""}


def plan_units(protocols, settings):
    """The units of a study, in a stable order (dataset, protocol, seed, method, ratio).

    ``protocols`` maps each dataset name to the protocols it runs.
    """
    return [StudyUnit(name, seed, spec.name, ratio, protocol)
            for name, kinds in protocols.items() for protocol in kinds
            for seed in settings.seeds for spec in settings.methods
            for ratio in spec.unit_ratios(settings.grid(spec.name))]


def _local(todo, entries, settings, n_jobs, record):
    """Run ``todo`` through :class:`joblib.Parallel` (``n_jobs``, or the active backend)."""
    parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    jobs = (joblib.delayed(run_unit_with_its_key)(unit, entries[unit.dataset], settings)
            for unit in todo)
    for unit, result in parallel(jobs):
        record(unit, result)


def run_units(units, entries, settings, *, cache_dir, n_jobs, verbose, scheduler=None):
    """``{unit: result}`` of every unit: read from the cache, or run (then cached unless failed).

    The units run through joblib (``scheduler=None``) or as Dask tasks (:mod:`._dask`); either
    way the results come back to this process, which writes each to the cache as it arrives.
    """
    fingerprints = {name: dataset_fingerprint(entry) for name, entry in entries.items()}
    widths = {name: dataset_width(entry) for name, entry in entries.items()}
    keys = {unit: unit_key(unit, settings, fingerprints[unit.dataset], widths[unit.dataset]) for unit in units}
    results = {}
    if cache_dir is not None:
        for unit in units:
            stored = load_unit(cache_dir, unit, keys[unit])
            if stored is not None:
                results[unit] = stored
    # Cheap and central runs first, so that an interrupted study has the most useful part done.
    todo = sorted((unit for unit in units if unit not in results),
                  key=lambda unit: settings.spec(unit.method).priority)
    if verbose:
        logger.info("Ratio study: %d units, %d cached, %d to run.", len(units), len(results),
                    len(todo))
    if not todo:
        return results
    from tqdm.auto import tqdm

    progress = tqdm(total=len(units), initial=len(units) - len(todo), desc="ratio study",
                    unit="run", disable=not verbose)

    def record(unit, result):
        results[unit] = result
        if cache_dir is not None and not result["row"]["error"]:
            save_unit(cache_dir, unit, keys[unit], result)
        progress.set_postfix_str(unit.label, refresh=False)
        progress.update(1)

    try:
        if scheduler is None:
            _local(todo, entries, settings, n_jobs, record)
        else:
            with dask_client(scheduler) as client:
                run_on_dask(client, todo, entries, settings, record)
    finally:
        progress.close()
    return results


def add_improvements(frame):
    """Fill ``normalized_improvement`` (shifted AUC) and its in-domain twin from zero-shot rows.

    For every (dataset, protocol, seed), the baseline is the zero-shot model's ROC-AUC on the
    same test set; rows without a zero-shot baseline (or with a failed one) get NaN.
    """
    frame = frame.copy()
    split = ["dataset", "protocol", "seed"]
    for column, metric in (("normalized_improvement", "auc_shifted"),
                           ("normalized_improvement_in_domain", "auc_in_domain")):
        base = (frame[frame["method"] == "zero-shot"].groupby(split)[metric]
                .first().rename("_baseline"))
        merged = frame[[*split, metric]].join(base, on=split)
        ok = np.isfinite(merged[metric]) & np.isfinite(merged["_baseline"]) & (
            merged["_baseline"] != 0)
        values = np.full(len(frame), np.nan)
        if ok.any():
            values[ok.to_numpy()] = normalized_improvement(
                merged.loc[ok, metric].to_numpy(), merged.loc[ok, "_baseline"].to_numpy())
        frame[column] = values
    return frame


def run_study(entries, settings, *, cache_dir, n_jobs, verbose, scheduler=None,
              protocol="shift"):
    """``(results, predictions)`` of a planned study; ``results.attrs`` notes changed weights."""
    watch = WeightsWatch(settings.model)
    units = plan_units(dataset_protocols(entries, protocol), settings)
    results = run_units(units, entries, settings, cache_dir=cache_dir, n_jobs=n_jobs,
                        verbose=verbose, scheduler=scheduler)
    frame = result_frame([results[unit]["row"] for unit in units])
    frame.attrs.update(weights_sha256=watch.sha256, warnings=watch.changes())
    return frame, {unit: results[unit]["predictions"] for unit in units
                   if results[unit]["predictions"] is not None}


def result_frame(rows):
    """The tidy frame of the units' rows: every column of :data:`RESULT_COLUMNS`, improvements."""
    frame = pd.DataFrame(rows)
    for column in RESULT_COLUMNS:
        if column not in frame.columns:
            frame[column] = _MISSING.get(column, np.nan)
        elif column in _MISSING:
            frame[column] = frame[column].fillna(_MISSING[column])
    frame = add_improvements(frame[RESULT_COLUMNS])
    frame["cached"] = frame["cached"].astype(bool)
    failed = frame[frame["error"] != ""]
    if len(failed):
        logger.warning("%d of %d units failed; see the 'error' column.", len(failed), len(frame))
    return frame


@validate_params(
    {
        "datasets": "no_validation",  # names, Bunches or a dict: resolve_datasets checks them
        "ratios": [Interval(Real, 0, 1, closed="both"), "array-like"],
        "seeds": [Interval(Integral, 0, None, closed="left"), "array-like"],
        "protocol": [StrOptions({"shift", "iid", "both"})],
        "n_train": [Interval(Integral, 2, None, closed="left")],
        "methods": [str, "array-like", None],
        "model": [HasMethods(["fit", "predict_proba", "get_params"]), None],
        "augmenters": [dict, None],
        "max_steps": [Interval(Integral, 0, None, closed="left"), None],
        "device": "no_validation",  # the default model checks it
        "n_jobs": [Integral, None],
        "scheduler": [str, HasMethods(["submit", "scatter", "cancel"]), None],
        "cache_dir": [str, os.PathLike, None],
        "max_test": [Interval(Integral, 2, None, closed="left")],
        "in_domain_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_folds": [Interval(Integral, 2, None, closed="left")],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "method_ratios": [dict, None],
        "monitor": ["boolean"],
        "errors": [StrOptions({"raise", "record"})],
        "return_predictions": ["boolean"],
        "verbose": ["verbose"],
    },
    # The model and the augmenters are the caller's: their own fits validate their parameters.
    prefer_skip_nested_validation=False,
)
def ratio_study(datasets, ratios=(0.0, 0.25, 0.5, 0.75, 1.0), *, protocol="shift",
                seeds=(0, 1, 2), n_train=512, methods=None, model=None, augmenters=None,
                max_steps=None, device="auto", n_jobs=None, scheduler=None, cache_dir=None,
                max_test=2000, in_domain_fraction=0.25, n_folds=5, cv=3, method_ratios=None,
                monitor=True, errors="raise", return_predictions=False, verbose=1):
    """How the synthetic share changes ROC-AUC and calibration of a fine-tuned TFM under shift.

    Shift protocol: for every dataset and seed, every method trains on at most ``n_train``
    source-domain rows and is scored on held-out source rows and on at most ``max_test``
    target-domain rows. I.i.d. protocol: a fold of a stratified K-fold split is the test, at most
    ``n_train`` rows of the other folds train (see :ref:`study`). Units run through
    :class:`joblib.Parallel` or a Dask cluster (``scheduler=``); ``cache_dir`` lets a study resume.

    Parameters
    ----------
    datasets : str, Bunch, list or dict
        Names of :func:`~sklearn_causalmix.datasets.list_shifted_datasets` or
        :func:`~sklearn_causalmix.datasets.list_iid_datasets` tables, your own tables as Bunches
        (``sklearn.utils.Bunch(X=DataFrame, y=labels, name=str)``, plus ``domain``, 0 for source
        and 1 for target rows, for the shift protocol), a list of them, or a dict naming Bunches.
    ratios : float or sequence of float in [0, 1], default=(0, 0.25, 0.5, 0.75, 1)
        Synthetic ratios of the augmented methods; their r = 0 point is the ``finetune`` run.
    protocol : {"shift", "iid", "both"}, default="shift"
        ``"shift"``: train on the source domain, test on held-out source rows and on the shifted
        domain (every table needs a domain). ``"iid"``: stratified ``n_folds``-fold splits of
        the table (of its source domain when it has one); the held-out fold is the in-domain
        test, the shifted columns are NaN. ``"both"``: each table runs the shift protocol when it
        has a domain and the i.i.d. protocol always.
    seeds : int or sequence of int, default=(0, 1, 2)
        One split and one seed of every estimator per value. Under the i.i.d. protocol seed ``s``
        is fold ``s % n_folds`` of the split shuffled with ``s // n_folds``: seeds
        ``0 .. n_folds - 1`` are one complete cross-validation.
    n_train : int, default=512
        Largest number of training rows (a stratified subsample; at least two rows of every
        class that has two, a class with a single row left out with a ``note``).
    methods : str or list of str, default=None
        Names of :data:`METHODS` or keys of ``augmenters``; None: all but ``"ctgan"``.
    model : estimator, default=None
        Unfitted classifier with ``synthetic_ratio``, ``augmenter`` and ``max_steps`` parameters
        (cloned and set per unit); None: ``CausalMixFTClassifier(device=device)``.
    augmenters : dict of str to augmenter, default=None
        Augmenters overriding :func:`default_augmenters`; new keys add methods.
    max_steps : int, default=None
        Fine-tuning steps of every fine-tuned method; None keeps the model's default.
    device : str, default="auto"
        Device of the default model.
    n_jobs : int, default=None
        Parallel units (joblib); None defers to the active ``joblib.parallel_config``.
    scheduler : distributed.Client, str or None, default=None
        Run the units as tasks of a Dask cluster (extra ``[distributed]``) instead of joblib: a
        connected ``distributed.Client``, a scheduler address such as ``"tcp://host:8786"``, or
        ``"local:N"`` for a ``LocalCluster`` of N one-thread worker processes started for the run
        and closed after it. Workers run each unit with one torch thread and send its result
        back; this process writes the cache, so ``cache_dir`` need not be on shared storage (see
        :ref:`scale`). Leave ``n_jobs=None`` with it.
    cache_dir : str or path, default=None
        Folder of the unit cache and of the augmenter cache passed to the model's ``memory``.
    max_test : int, default=2000
        Largest size of each test set.
    in_domain_fraction : float, default=0.25
        Share of the source rows held out as the in-domain test (shift protocol).
    n_folds : int, default=5
        Folds of the i.i.d. protocol's stratified K-fold split.
    cv : int, default=3
        Folds of the inner cross-validation of ``causalmix-cv``.
    method_ratios : dict of str to sequence of float, default=None
        Ratios of particular methods instead of ``ratios`` (for ``causalmix-cv``: its grid).
    monitor : bool, default=True
        Pass the shifted test as ``monitor=`` to ``fit`` (scored, never trained on) for the gap.
    errors : {"raise", "record"}, default="raise"
        On a failing unit, raise, or record it in the ``error`` column (and not cache it).
    return_predictions : bool, default=False
        Also return the shifted-test predictions of every unit.
    verbose : int, default=1
        0: silent; 1: a tqdm progress bar over the units.

    Returns
    -------
    results : DataFrame
        One row per unit, the columns of :data:`RESULT_COLUMNS` (see :ref:`study`). Its ``attrs``
        hold ``"weights_sha256"`` (the model's weights at the start) and the run's ``"warnings"``.
    predictions : dict, only when ``return_predictions=True``
        :class:`StudyUnit` to ``{"y_true", "proba", "classes"}`` on the shifted test (on the
        held-out fold for i.i.d. units).

    Examples
    --------
    >>> from sklearn_causalmix.datasets import make_shifted_classification
    >>> from sklearn_causalmix.study import ratio_study
    >>> data = make_shifted_classification(n_samples=300, random_state=0)
    >>> results = ratio_study(data, seeds=[0], methods=["logreg", "hgb"], n_train=64, verbose=0)
    >>> results[["method", "n_train", "n_test_shifted"]].values.tolist()
    [['logreg', 64, 150], ['hgb', 64, 150]]

    Both protocols; your own table is a Bunch (without ``domain`` it runs the i.i.d. one only):

    >>> from sklearn.utils import Bunch
    >>> mine = Bunch(X=data.X, y=data.y)
    >>> both = ratio_study({"shifted": data, "mine": mine}, protocol="both", seeds=[0],
    ...                    methods=["logreg"], n_train=64, verbose=0)
    >>> both[["dataset", "protocol", "n_test_in_domain", "n_test_shifted"]].values.tolist()
    [['shifted', 'shift', 38, 150.0], ['shifted', 'iid', 30, nan], ['mine', 'iid', 60, nan]]
    """
    if scheduler is not None and n_jobs is not None:
        raise ValueError(
            f"n_jobs={n_jobs} sets local processes, scheduler={scheduler!r} a Dask cluster; pass "
            "one of them (with scheduler=, the cluster's workers set the parallelism).")
    check_scheduler(scheduler)
    entries = resolve_datasets(datasets, protocol)
    settings = study_settings(
        ratios=ratios, seeds=seeds, methods=methods, model=model, augmenters=augmenters,
        method_ratios=method_ratios, max_steps=max_steps, n_train=n_train, max_test=max_test,
        in_domain_fraction=in_domain_fraction, n_folds=n_folds, cv=cv, monitor=monitor,
        errors=errors, device=device, cache_dir=cache_dir)
    frame, predictions = run_study(entries, settings, cache_dir=cache_dir, n_jobs=n_jobs,
                                   verbose=verbose, scheduler=scheduler, protocol=protocol)
    return (frame, predictions) if return_predictions else frame
