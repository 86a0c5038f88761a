"""Columns of a table: :class:`ColumnSpec`, and a column's kind, levels and bounds read from data.

Also the checks that refuse what no stage can use (sparse or 1-D input, unsupported dtypes,
infinite values, all-missing columns, too many levels), with messages that name the fix. The
column kinds are described in :mod:`sklearn_causalmix._core`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ColumnSpec"]

_KINDS = ("numeric", "integer", "boolean", "categorical")


@dataclass(frozen=True)
class ColumnSpec:
    """Description of one column of a table.

    Parameters
    ----------
    name : hashable
        Column label (a string for DataFrames with string columns, ``"x0"``, ``"x1"``, ... for
        arrays).
    kind : {"numeric", "integer", "boolean", "categorical"}
        How the column is encoded.
    dtype : numpy dtype or pandas extension dtype
        The original dtype, restored by :meth:`TableSchema.decode`.
    categories : tuple or None
        Sorted observed levels of a categorical or boolean column, ``None`` otherwise.
    bounds : tuple of float or None, default=None
        Observed ``(min, max)`` of a numeric or integer column, ``None`` otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix._core import ColumnSpec
    >>> spec = ColumnSpec("colour", "categorical", np.dtype(object), ("blue", "red"))
    >>> spec.kind, spec.categories
    ('categorical', ('blue', 'red'))
    """

    name: object
    kind: str
    dtype: object
    categories: tuple | None
    bounds: tuple | None = None

    @property
    def is_categorical(self):
        """bool : Whether the column is coded with :attr:`categories`."""
        return self.kind in ("categorical", "boolean")


def _describe(name):
    return f"Column {name!r}"


def _unsupported_dtype_error(name, dtype):
    kind_fix = {
        "M": "convert it to numbers (e.g. `X[col].astype('int64')` for a timestamp, or extract "
        "year/month/day columns) or to strings",
        "m": "convert it to numbers, e.g. `X[col].dt.total_seconds()`",
        "c": "split it into real and imaginary parts, e.g. `np.real(X[col])`, `np.imag(X[col])`",
    }
    fix = kind_fix.get(
        getattr(dtype, "kind", None), "convert it to a numeric or a string (categorical) column"
    )
    return TypeError(f"{_describe(name)} has unsupported dtype {dtype}; {fix}.")


def _is_real_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _is_boolean(v):
    return isinstance(v, (bool, np.bool_))


def _sorted_levels(name, values):
    levels = pd.unique(values)
    try:
        return tuple(sorted(levels.tolist()))
    except TypeError as exc:
        raise TypeError(
            f"{_describe(name)} mixes category values of different types "
            f"({sorted({type(v).__name__ for v in levels})}); convert it to strings, "
            f"e.g. `X[col].astype(str)`."
        ) from exc


def _infer_kind(name, series):
    """Return the kind of ``series`` or raise for unsupported dtypes."""
    dtype = series.dtype
    if isinstance(dtype, pd.SparseDtype):
        raise TypeError(
            f"{_describe(name)} is sparse; densify it first, e.g. `X.sparse.to_dense()`."
        )
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if isinstance(dtype, (pd.DatetimeTZDtype, pd.PeriodDtype, pd.IntervalDtype)):
        raise _unsupported_dtype_error(name, dtype)
    if isinstance(dtype, pd.StringDtype):
        return "categorical"
    if isinstance(dtype, pd.BooleanDtype):
        return "boolean"
    if pd.api.types.is_extension_array_dtype(dtype):
        if pd.api.types.is_integer_dtype(dtype):
            return "integer"
        if pd.api.types.is_float_dtype(dtype):
            return "numeric"
        raise _unsupported_dtype_error(name, dtype)
    kind = np.dtype(dtype).kind
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "integer"
    if kind == "f":
        return "numeric"
    if kind in "US":
        return "categorical"
    if kind == "O":
        values = series.dropna().to_numpy()
        if len(values) == 0:
            return "numeric"  # reported as an all-missing column by the caller
        if all(isinstance(v, str) for v in values):
            return "categorical"
        if all(_is_boolean(v) for v in values):
            return "boolean"
        if all(_is_real_number(v) for v in values):
            return "numeric"
        types = sorted({type(v).__name__ for v in values})
        raise TypeError(
            f"{_describe(name)} is an object column holding values of types {types}; "
            f"only strings (categorical), booleans or numbers are supported. Convert it, e.g. "
            f"`X[col].astype(str)` for a categorical or `pd.to_numeric(X[col])` for a number."
        )
    raise _unsupported_dtype_error(name, dtype)


def _column_spec(name, series, dtype, max_categories, allow_all_missing=False):
    mask = series.isna().to_numpy()
    if mask.all():
        if allow_all_missing:  # nothing observed: a column of missing values, whatever it holds elsewhere
            numeric = isinstance(dtype, np.dtype) and dtype.kind in "fiub"
            if numeric:
                return ColumnSpec(name, "numeric", dtype, None, (float("nan"), float("nan")))
            return ColumnSpec(name, "categorical", dtype, ())
        raise ValueError(
            f"{_describe(name)} contains only missing values; drop it before fitting."
        )
    kind = _infer_kind(name, series)
    observed = series[~mask]
    if kind in ("numeric", "integer"):
        values = np.asarray(observed.to_numpy(dtype=float, na_value=np.nan), dtype=float)
        if not np.isfinite(values).all():
            raise ValueError(
                f"{_describe(name)} contains infinite values; replace them with NaN (missing) "
                f"or finite numbers before fitting."
            )
        return ColumnSpec(name, kind, dtype, None, (float(values.min()), float(values.max())))
    levels = _sorted_levels(name, observed.to_numpy())
    if kind == "categorical" and len(levels) > max_categories:
        raise ValueError(
            f"{_describe(name)} has {len(levels)} distinct levels, more than "
            f"max_categories={max_categories}; drop identifier-like columns or group rare levels first."
        )
    return ColumnSpec(name, kind, dtype, levels)


def _numeric_column_specs(frame, names, dtypes):
    """Specs of the valid numpy-numeric columns of ``frame``, computed in one block: ``{j: spec}``.

    Columns that are all missing or hold infinite values are left to :func:`_column_spec`, which
    raises its usual error for them.
    """
    fast = [j for j, dt in enumerate(dtypes) if isinstance(dt, np.dtype) and dt.kind in "fiu"]
    if len(fast) < 2:
        return {}
    values = frame.iloc[:, fast].to_numpy(dtype=np.float64)
    missing = np.isnan(values)
    valid = ~missing.all(axis=0) & ~np.isinf(values).any(axis=0)
    fast = [j for j, ok in zip(fast, valid) if ok]
    values = values[:, valid]
    low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    return {
        j: ColumnSpec(names[j], "numeric" if dtypes[j].kind == "f" else "integer", dtypes[j], None,
                      (float(low[k]), float(high[k])))
        for k, j in enumerate(fast)
    }


def _as_2d_array(X):
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(
            "Sparse input is not supported; convert it to a dense array with `X.toarray()`."
        )
    if isinstance(X, pd.Series):
        raise ValueError(
            "Expected a 2D table but got a pandas Series; use `X.to_frame()` for one column."
        )
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(
            f"Expected a 2D table (n_samples, n_features) but got an array with {arr.ndim} "
            f"dimension(s); reshape it, e.g. `X.reshape(-1, 1)` for a single feature."
        )
    return arr


def _array_frame(arr):
    """Wrap a 2D array in a DataFrame column by column without changing value types."""
    return pd.DataFrame({j: pd.Series(arr[:, j], dtype=arr.dtype) for j in range(arr.shape[1])})
