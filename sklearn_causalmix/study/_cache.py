"""The ratio study's run cache: a key per unit (data, protocol, model, weights), atomic files."""

from __future__ import annotations

import functools
import json
import logging
import numbers
import os
import tempfile
from pathlib import Path

import joblib
import numpy as np

from sklearn_causalmix.study._methods import METHODS

__all__ = ["augmenter_name", "dataset_fingerprint", "load_unit", "save_unit", "unit_key"]

logger = logging.getLogger("sklearn_causalmix.study")

_CACHE_FORMAT = 2

def _canonical(obj):
    """A JSON-able description of ``obj`` for cache keys (estimators by class and parameters)."""
    if hasattr(obj, "get_params") and not isinstance(obj, type):
        params = obj.get_params(deep=False)
        return {
            "class": f"{type(obj).__module__}.{type(obj).__qualname__}",
            "params": {k: _canonical(v) for k, v in sorted(params.items()) if k != "memory"},
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


def dataset_fingerprint(entry):
    if isinstance(entry, str):
        from sklearn_causalmix.datasets import list_shifted_datasets

        row = list_shifted_datasets().set_index("name").loc[entry]
        return {"table": entry, "package": row["package"], "n_rows": int(row["n_rows"])}
    return {"data_hash": joblib.hash((np.asarray(entry.X, dtype=object), np.asarray(entry.y),
                                      np.asarray(entry.domain)))}


def unit_key(unit, settings, fingerprint):
    from sklearn_causalmix import __version__

    description = {
        "format": _CACHE_FORMAT,
        "version": __version__,
        "unit": [unit.dataset, int(unit.seed), unit.method, unit.ratio],
        "data": fingerprint,
        "protocol": {k: settings[k] for k in ("n_train", "max_test", "in_domain_fraction")},
    }
    kind = METHODS[unit.method].kind if unit.method in METHODS else "augmented"
    if kind != "reference":
        description["model"] = _canonical(settings["model"])
        description["weights"] = _weights_fingerprint(settings["model"])
        description["max_steps"] = settings["max_steps"]
    if kind in ("augmented", "cv"):
        description["augmenter"] = _canonical(settings["augmenters"][augmenter_name(unit.method)])
    if kind == "cv":
        description["cv"] = settings["cv"]
        description["grid"] = list(settings["method_ratios"][unit.method])
    return joblib.hash(_canonical(description))[:16]


def _weights_fingerprint(model):
    """sha256 of the weights file ``model`` uses (else None).

    The embedded pretrained weights for ``backbone="default"``; for a backbone spec with a
    ``weights`` parameter naming a file (e.g. ``TabICLBackbone(weights="tabicl.ckpt")``) the
    file's content. Part of the cache key, so that runs made with other weights are never read
    back, also when a checkpoint is overwritten at the same path. None otherwise (then the
    backbone's parameters alone key the runs).
    """
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    backbone = params.get("backbone")
    if isinstance(backbone, str):
        if backbone != "default":
            return None
        try:
            from sklearn_causalmix.backbones import EMBEDDED_WEIGHTS

            with open(EMBEDDED_WEIGHTS) as fh:
                return json.load(fh).get("sha256")
        except (ImportError, OSError, ValueError):
            return None
    weights = backbone.get_params(deep=False).get("weights") if hasattr(
        backbone, "get_params") else None
    if not isinstance(weights, (str, os.PathLike)):
        return None
    path = os.path.abspath(os.path.expanduser(os.fspath(weights)))
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _file_digest(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _file_digest(path, mtime_ns, size):
    """sha256 of a file, computed once per (path, modification time, size)."""
    from sklearn_causalmix.backbones import file_sha256

    return file_sha256(path)


def augmenter_name(method):
    return "causalmix" if method == "causalmix-cv" else method


def _unit_paths(cache_dir, unit, key):
    ratio = "na" if unit.ratio is None else f"{unit.ratio:g}"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in unit.dataset)
    folder = Path(cache_dir) / "units" / safe
    stem = f"{unit.method}_r{ratio}_s{unit.seed}_{key}"
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

