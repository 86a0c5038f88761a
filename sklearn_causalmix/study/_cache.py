"""The ratio study's run cache: a key per unit (data, protocol, model, weights), atomic files."""

from __future__ import annotations

import json
import logging
import numbers
import os
import tempfile
from pathlib import Path

import joblib
import numpy as np

__all__ = ["dataset_fingerprint", "dataset_width", "load_unit", "save_unit", "unit_key"]

logger = logging.getLogger("sklearn_causalmix.study")

_CACHE_FORMAT = 2

#: Estimator parameters added after results were cached, with the value that reproduces the earlier numbers: at
#: that value a parameter is left out of keys (so the cached units stay valid); any other value enters them.
#: ``feature_subset_size="auto"`` reproduces them on tables no wider than the weights' pretraining width; on
#: wider ones the resolved width enters the key (``MethodSpec.table_fields``), so those units run again.
_KEY_NEUTRAL = {"context": "subsample", "feature_ids": "random", "feature_subset_size": "auto"}


def _canonical(obj):
    """A JSON-able description of ``obj`` for cache keys (estimators by class and parameters).

    ``memory`` (where a cache lives) and the parameters of ``_KEY_NEUTRAL`` at their neutral value are left out.
    """
    if hasattr(obj, "get_params") and not isinstance(obj, type):
        params = obj.get_params(deep=False)
        return {
            "class": f"{type(obj).__module__}.{type(obj).__qualname__}",
            "params": {k: _canonical(v) for k, v in sorted(params.items())
                       if k != "memory" and not (k in _KEY_NEUTRAL and v == _KEY_NEUTRAL[k])},
        }
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, (bool, str, type(None))):
        return obj
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        return float(obj)
    if callable(obj):
        return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}"
    return repr(obj)


def _packaged_row(name):
    """``(listing, row)`` of a packaged table: its row of the shifted or else the i.i.d. listing; None if neither."""
    from sklearn_causalmix.datasets import list_iid_datasets, list_shifted_datasets

    for listing, rows in (("shifted", list_shifted_datasets()), ("iid", list_iid_datasets())):
        rows = rows.set_index("name")
        if name in rows.index:
            return listing, rows.loc[name]
    return None


def dataset_fingerprint(entry):
    """What identifies a dataset entry: a packaged table's name and source, else a data hash."""
    if isinstance(entry, str):
        found = _packaged_row(entry)
        if found is None:
            raise KeyError(entry)
        listing, row = found
        if listing == "shifted":
            return {"table": entry, "package": row["package"], "n_rows": int(row["n_rows"])}
        return {"table": entry, "source": row["source"], "n_rows": int(row["n_rows"])}
    if getattr(entry, "domain", None) is None:
        return {"data_hash": joblib.hash((np.asarray(entry.X, dtype=object), np.asarray(entry.y)))}
    return {"data_hash": joblib.hash((np.asarray(entry.X, dtype=object), np.asarray(entry.y),
                                      np.asarray(entry.domain)))}


def _protocol(unit, settings):
    """The protocol's part of a unit's key (the shift protocol's as before the i.i.d. one)."""
    if unit.protocol == "iid":
        return {"name": "iid", "n_folds": settings.n_folds, "n_train": settings.n_train,
                "max_test": settings.max_test}
    return {"n_train": settings.n_train, "max_test": settings.max_test,
            "in_domain_fraction": settings.in_domain_fraction}


def dataset_width(entry):
    """Columns of a dataset entry (a packaged table's name, or a table with ``X``); None if unknown."""
    if isinstance(entry, str):
        found = _packaged_row(entry)
        return None if found is None else int(found[1]["n_features"])
    X = getattr(entry, "X", None)
    return None if X is None else int(np.shape(X)[1])


def unit_key(unit, settings, fingerprint, n_features=None):
    """The cache key of ``unit``: a hash of its data, name, protocol and its method's fields.

    Keys of shift-protocol units are those of the versions before the i.i.d. protocol, so their
    cache entries stay valid.

    ``settings.spec(unit.method).cache_fields(settings)`` adds what the method depends on (the
    model, its weights and ``max_steps``, the augmenter, the inner cross-validation), and
    ``table_fields(settings, n_features)`` what depends on the table's width ``n_features``.
    """
    from sklearn_causalmix import __version__

    description = {
        "format": _CACHE_FORMAT,
        "version": __version__,
        "unit": [unit.dataset, int(unit.seed), unit.method, unit.ratio],
        "data": fingerprint,
        "protocol": _protocol(unit, settings),
        **settings.spec(unit.method).cache_fields(settings),
        **settings.spec(unit.method).table_fields(settings, n_features),
    }
    return joblib.hash(_canonical(description))[:16]


def _unit_paths(cache_dir, unit, key):
    ratio = "na" if unit.ratio is None else f"{unit.ratio:g}"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in unit.dataset)
    folder = Path(cache_dir) / "units" / safe
    protocol = "" if unit.protocol == "shift" else f"{unit.protocol}_"
    stem = f"{protocol}{unit.method}_r{ratio}_s{unit.seed}_{key}"
    return folder / f"{stem}.json", folder / f"{stem}.npz"


def _write_atomic(path, write):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_unit(cache_dir, unit, key, result):
    json_path, npz_path = _unit_paths(cache_dir, unit, key)
    predictions = result["predictions"]
    if predictions is not None:
        def write_npz(tmp):
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, y_true=predictions["y_true"].astype(str),
                                    proba=predictions["proba"].astype(np.float32),
                                    classes=predictions["classes"].astype(str))
        _write_atomic(npz_path, write_npz)

    def write_json(tmp):
        with open(tmp, "w") as fh:
            json.dump({"key": key, "row": result["row"]}, fh, indent=1, allow_nan=True)
    _write_atomic(json_path, write_json)


def load_unit(cache_dir, unit, key):
    json_path, npz_path = _unit_paths(cache_dir, unit, key)
    if not json_path.exists():
        return None
    try:
        with open(json_path) as fh:
            stored = json.load(fh)
        predictions = None
        if npz_path.exists():
            with np.load(npz_path, allow_pickle=False) as data:
                predictions = {k: data[k] for k in ("y_true", "proba", "classes")}
    except (OSError, ValueError, KeyError) as exc:  # a damaged file is run again
        logger.warning("Ignoring the unreadable cache entry %s (%s); running the unit again.",
                       json_path, exc)
        return None
    if stored.get("key") != key:
        return None
    row = stored["row"]
    row["cached"] = True
    return {"row": row, "predictions": predictions}

