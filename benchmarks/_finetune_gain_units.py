"""Units of the fine-tuning gain benchmark: one (suite, table, seed, recipe) is split, fitted, scored and cached.

A unit's cache file is ``<cache>/<suite>/<table>/<seed>/<recipe>-<key>.json`` (and ``.npz``: the test labels and
probabilities, to rescore without refitting). The key hashes everything the result depends on that can be named:
the estimator's parameters *as resolved* (the recipe on top of the defaults of the code that runs, so a changed
default gives a new key), the split protocol, the data, the weights' sha256 and the package version. What a key
cannot see, a change of the package's code behind unchanged parameters, is recorded in the unit as ``code`` (a
fingerprint of ``sklearn_causalmix/**/*.py``): the benchmark refits units whose ``code`` is not the current one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
import traceback
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np

SUITES = ("iid", "dev", "shifted")
#: test sets of each suite, the first is the headline one
TEST_SETS = {"iid": ("test",), "dev": ("test",), "shifted": ("shifted", "in_domain")}
#: share of a table's rows that may train (i.i.d. suites), before the ``max_train`` cap
TRAIN_FRACTION = 0.5
#: share of the source domain held out as the in-domain test (shifted suite, as in the ratio study)
IN_DOMAIN_FRACTION = 0.25


@dataclass(frozen=True)
class Unit:
    suite: str
    table: str
    seed: int
    recipe: str

    @property
    def label(self):
        return f"{self.suite}/{self.table}/seed={self.seed}/{self.recipe}"


# ------------------------------------------------------------------------------------------------- tables
def suite_tables(suite):
    """The table names of a suite."""
    if suite == "shifted":
        from sklearn_causalmix.datasets import list_shifted_datasets

        return list(list_shifted_datasets()["name"])
    from _finetune_tables import DEV_TABLES, IID_TABLES

    return list({"iid": IID_TABLES, "dev": DEV_TABLES}[suite])


@functools.cache
def load_data(suite, table):
    """``(X, y)`` of an i.i.d./development table, or the Bunch (X, y, domain) of a shifted table."""
    if suite == "shifted":
        from sklearn_causalmix.datasets import load_shifted_dataset

        return load_shifted_dataset(table)
    from _finetune_tables import load_table

    return load_table(table)


@functools.cache
def data_fingerprint(suite, table):
    data = load_data(suite, table)
    if suite == "shifted":
        return joblib.hash((data.X, np.asarray(data.y), np.asarray(data.domain)))
    return joblib.hash(data)


def protocol(suite, max_train, max_test):
    """What the split of a suite depends on (part of the cache key, and printed in the report)."""
    if suite == "shifted":
        return {"split": "sklearn_causalmix.study._data.make_split", "max_train": max_train, "max_test": max_test,
                "in_domain_fraction": IN_DOMAIN_FRACTION}
    return {"split": "stratified holdout", "max_train": max_train, "max_test": max_test,
            "train_fraction": TRAIN_FRACTION}


def make_unit_split(suite, table, seed, proto):
    """``(X_train, y_train, {test name: (X, y)}, n_masked_levels)`` of one table and seed."""
    if suite == "shifted":
        from sklearn_causalmix.study._data import make_split

        split = make_split(load_data(suite, table), seed, n_train=proto["max_train"], max_test=proto["max_test"],
                           in_domain_fraction=proto["in_domain_fraction"])
        tests = {"shifted": (split.X_shift, split.y_shift), "in_domain": (split.X_test, split.y_test)}
        return split.X_train, split.y_train, tests, split.n_masked_levels
    from sklearn.model_selection import train_test_split

    from sklearn_causalmix.study._data import count_unseen_levels

    X, y = load_data(suite, table)
    n_train = min(proto["max_train"], int(TRAIN_FRACTION * len(y)))
    n_test = min(proto["max_test"], len(y) - n_train)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=n_train, test_size=n_test, stratify=y, random_state=seed)
    return X_train, y_train.to_numpy(), {"test": (X_test, y_test.to_numpy())}, count_unseen_levels(X_train, X_test)


# -------------------------------------------------------------------------------------------- fingerprints
@functools.lru_cache(maxsize=1)
def code_fingerprint():
    """sha256 (12 hex digits) of the package's Python sources: paths and contents of ``sklearn_causalmix/**/*.py``."""
    import sklearn_causalmix

    root = Path(sklearn_causalmix.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def estimator_params(recipe_params, seed, device):
    """The recipe's parameters on top of the benchmark's base (plain fine-tuning, CPU, seeded)."""
    return {"synthetic_ratio": 0.0, **recipe_params, "device": device, "random_state": int(seed)}


def resolved(params):
    """``(canonical parameters, weights sha256)`` of ``CausalMixFTClassifier(**params)``: every parameter, defaults
    included, as JSON-able values."""
    from sklearn_causalmix import CausalMixFTClassifier
    from sklearn_causalmix.study._cache import _canonical
    from sklearn_causalmix.study._weights import weights_fingerprint

    estimator = CausalMixFTClassifier(**params)
    return _canonical(estimator)["params"], weights_fingerprint(estimator)


def unit_key(unit, canonical_params, weights, proto):
    from sklearn_causalmix import __version__
    from sklearn_causalmix.study._cache import _canonical

    description = {"params": canonical_params, "weights": weights, "protocol": proto, "version": __version__,
                   "data": data_fingerprint(unit.suite, unit.table)}
    return joblib.hash(_canonical(description))[:12]


def unit_path(cache_dir, unit, key):
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in unit.recipe)
    return Path(cache_dir) / unit.suite / unit.table / str(unit.seed) / f"{safe}-{key}.json"


def read_unit(path):
    """The cached record at ``path``, or None (missing or unreadable: the unit runs again)."""
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _write_unit(path, record, probas):
    from sklearn_causalmix.study._cache import _write_atomic

    def write_npz(tmp):
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **{f"{k}_{name}": v for name, arrays in probas.items() for k, v in arrays.items()})

    def write_json(tmp):
        with open(tmp, "w") as fh:
            json.dump(record, fh, indent=1)

    _write_atomic(path.with_suffix(".npz"), write_npz)
    _write_atomic(path, write_json)  # last: a JSON file means a complete unit


# --------------------------------------------------------------------------------------------------- run
def _scores(estimator, tests):
    from sklearn_causalmix.study._scores import score_proba

    classes = np.asarray(estimator.classes_)
    scores, probas = {}, {}
    for name, (X, y) in tests.items():
        proba = estimator.predict_proba(X)
        flat = score_proba(np.asarray(y), proba, classes, "x")
        scores[name] = {"n": len(y), **{k[:-2]: v for k, v in flat.items()}}
        probas[name] = {"y": np.asarray(y).astype(str), "proba": proba.astype(np.float32), "classes": classes.astype(str)}
    return scores, probas


def run_unit(unit, params, key, proto, meta, cache_dir, threads=1):
    """Split, fit, score and cache one unit; returns its record (with ``error`` set when it failed, uncached)."""
    import torch

    from sklearn_causalmix.backbones import set_thread_policy

    torch.set_num_threads(threads)
    set_thread_policy(threads)
    record = {"suite": unit.suite, "table": unit.table, "seed": unit.seed, "recipe": unit.recipe, "key": key,
              "params": meta["params"], "protocol": proto, **{k: v for k, v in meta.items() if k != "params"}}
    try:
        from sklearn_causalmix import CausalMixFTClassifier

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unseen levels (counted), convergence chatter
            X_train, y_train, tests, n_masked = make_unit_split(unit.suite, unit.table, unit.seed, proto)
            estimator = CausalMixFTClassifier(**params)
            wall, cpu = time.perf_counter(), time.process_time()
            estimator.fit(X_train, y_train)
            record.update(fit_wall_s=time.perf_counter() - wall, fit_cpu_s=time.process_time() - cpu)
            wall = time.perf_counter()
            scores, probas = _scores(estimator, tests)
            record["predict_wall_s"] = time.perf_counter() - wall
        record.update(
            n_train=len(y_train), n_features=X_train.shape[1], n_classes=len(estimator.classes_),
            n_masked_levels=int(n_masked), best_step=int(estimator.best_step_), n_steps=int(estimator.n_steps_),
            best_score=float(estimator.best_score_), n_evaluations=len(estimator.history_),
            threads=torch.get_num_threads(), load_after=os.getloadavg()[0],
            finished=datetime.now(timezone.utc).isoformat(timespec="seconds"), scores=scores, error="")
        _write_unit(unit_path(cache_dir, unit, key), record, probas)
    except Exception as exc:  # noqa: BLE001 - recorded and reported, not cached: the unit runs again next time
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc()
    return record
