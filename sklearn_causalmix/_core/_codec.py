"""Encoding and decoding of tables against a schema: column checks, codes, unseen levels.

Functions of a :class:`~sklearn_causalmix._core.TableSchema` (passed as their first argument), behind its
``check``, ``encode``, ``decode`` and ``count_unseen`` methods; the schema itself (its columns and their
inference from data) is :mod:`sklearn_causalmix._core._schema`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sklearn_causalmix._core._columns import _array_frame, _as_2d_array, _describe
from sklearn_causalmix._core._estimator import stacklevel_outside_package

__all__ = ["UnseenLevelWarning", "count_unseen", "decode_table", "encode_table"]

_HANDLE_UNKNOWN = ("missing", "error")


class UnseenLevelWarning(UserWarning):
    """Warned once per encoded table when categorical levels unseen at fit time become missing.

    Raised by :meth:`TableSchema.encode` with ``handle_unknown="missing"`` (the default of the
    estimators); the message names every affected column with its number of cells and levels.
    Silence it with ``warnings.filterwarnings("ignore", category=UnseenLevelWarning)``, or pass
    ``handle_unknown="error"`` to the estimator to refuse such tables instead.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from sklearn_causalmix._core import TableSchema, UnseenLevelWarning
    >>> schema = TableSchema.from_data(pd.DataFrame({"c": ["a", "b"]}))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     Z = schema.encode(pd.DataFrame({"c": ["a", "z", "z"]}))
    >>> Z.ravel().tolist()
    [0.0, nan, nan]
    >>> caught[0].category is UnseenLevelWarning
    True
    >>> print(str(caught[0].message).split(": ", 1)[1])
    column 'c': 2 cell(s), 1 level(s) ['z']. Pass handle_unknown='error' to refuse them instead.
    """


def _level_index(categories):
    """An object Index of the levels, for code lookup with ``get_indexer``."""
    return pd.Index(list(categories), dtype=object)


def _int_nullable(dtype):
    """The pandas nullable integer dtype matching a numpy integer dtype."""
    dt = np.dtype(dtype)
    prefix = "UInt" if dt.kind == "u" else "Int"
    return pd.api.types.pandas_dtype(f"{prefix}{8 * dt.itemsize}")


def _frame(schema, X):
    """Return ``X`` as a DataFrame whose columns are positionally aligned with the schema."""
    if isinstance(X, pd.DataFrame):
        if schema.is_frame:
            cols = list(X.columns)
            missing = [n for n in schema.names if n not in cols]
            extra = [c for c in cols if c not in schema.names]
            if missing or extra:
                raise ValueError(
                    f"The columns differ from those seen at fit time: missing {missing}, "
                    f"unexpected {extra}. Pass a table with exactly the columns {schema.names}."
                )
            if cols != schema.names:
                raise ValueError(
                    f"The columns are in a different order than at fit time; reorder them "
                    f"with `X[{schema.names!r}]`."
                )
            return X
        if X.shape[1] != schema.n_features:
            raise ValueError(
                f"X has {X.shape[1]} features but {schema.n_features} were seen at fit time."
            )
        return X
    arr = _as_2d_array(X)
    if arr.shape[1] != schema.n_features:
        raise ValueError(
            f"X has {arr.shape[1]} features but {schema.n_features} were seen at fit time; "
            f"pass a table with the same {schema.n_features} columns."
        )
    return _array_frame(arr)


def _encode_numeric_array(schema, X):
    """``encode`` of a numeric array against an all-numeric schema (vectorised), else None."""
    if schema.is_frame or isinstance(X, pd.DataFrame) or not isinstance(X, np.ndarray):
        return None
    if X.ndim != 2 or X.dtype.kind not in "fiu" or X.shape[1] != schema.n_features:
        return None
    if schema.categorical_mask.any():
        return None
    out = X.astype(np.float64)
    infinite = np.flatnonzero(np.isinf(out).any(axis=0))
    if len(infinite):
        raise ValueError(
            f"{_describe(schema.columns[infinite[0]].name)} contains infinite values; replace "
            f"them with NaN (missing) or finite numbers."
        )
    return out


def encode_table(schema, X, *, handle_unknown, warn):
    """Encode ``X`` against ``schema`` (see :meth:`TableSchema.encode`); ``warn`` about unseen levels."""
    if handle_unknown not in _HANDLE_UNKNOWN:
        raise ValueError(
            f"handle_unknown must be one of {list(_HANDLE_UNKNOWN)}, got {handle_unknown!r}."
        )
    fast = _encode_numeric_array(schema, X)
    if fast is not None:
        return fast
    return _encode_frame(schema, _frame(schema, X), handle_unknown=handle_unknown, warn=warn)


def _encode_frame(schema, frame, *, handle_unknown, warn):
    out = np.empty(frame.shape, dtype=np.float64)
    unseen_report = []
    # numpy-numeric columns of numeric specs in one block (wide tables); the rest column by column
    fast = [
        j for j, (spec, dtype) in enumerate(zip(schema.columns, frame.dtypes))
        if not spec.is_categorical and isinstance(dtype, np.dtype) and dtype.kind in "fiu"
    ]
    if fast:
        block = frame.iloc[:, fast].to_numpy(dtype=np.float64)
        infinite = np.flatnonzero(np.isinf(block).any(axis=0))
        if len(infinite):
            raise ValueError(
                f"{_describe(schema.columns[fast[infinite[0]]].name)} contains infinite values; "
                f"replace them with NaN (missing) or finite numbers."
            )
        out[:, fast] = block
    fast = set(fast)
    for j, spec in enumerate(schema.columns):
        if j in fast:
            continue
        series = frame.iloc[:, j]
        if spec.is_categorical:
            codes = _level_index(spec.categories).get_indexer(series.to_numpy(dtype=object))
            missing = series.isna().to_numpy()
            unseen = (codes < 0) & ~missing
            if unseen.any():
                levels = pd.unique(series.to_numpy()[unseen]).tolist()
                if handle_unknown == "error":
                    raise ValueError(
                        f"{_describe(spec.name)} has levels not seen at fit time: "
                        f"{levels[:10]}. Refit on data that contains them, map them to a "
                        f"seen level {list(spec.categories)[:10]} or to NaN (missing) "
                        f"first, or pass handle_unknown='missing' to encode them as missing."
                    )
                unseen_report.append(
                    f"column {spec.name!r}: {int(unseen.sum())} cell(s), {len(levels)} "
                    f"level(s) {levels[:5]}{' ...' if len(levels) > 5 else ''}"
                )
            col = codes.astype(np.float64)
            col[codes < 0] = np.nan
        else:
            try:
                col = np.asarray(
                    pd.to_numeric(series, errors="raise").to_numpy(
                        dtype=float, na_value=np.nan
                    ),
                    dtype=np.float64,
                )
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"{_describe(spec.name)} was {spec.kind} at fit time but holds values "
                    f"that are not numbers ({exc}); convert it with `pd.to_numeric`."
                ) from exc
            if np.isinf(col).any():
                raise ValueError(
                    f"{_describe(spec.name)} contains infinite values; replace them with NaN "
                    f"(missing) or finite numbers."
                )
        out[:, j] = col
    if unseen_report and warn:
        warnings.warn(
            "Categorical levels not seen at fit time are encoded as missing (NaN): "
            + "; ".join(unseen_report)
            + ". Pass handle_unknown='error' to refuse them instead.",
            UnseenLevelWarning,
            stacklevel=stacklevel_outside_package(),
        )
    return out


def count_unseen(schema, X):
    """Unseen categorical cells per column (see :meth:`TableSchema.count_unseen`)."""
    frame = _frame(schema, X)
    counts = {}
    for j, spec in enumerate(schema.columns):
        if spec.is_categorical:
            series = frame.iloc[:, j]
            codes = _level_index(spec.categories).get_indexer(series.to_numpy(dtype=object))
            n = int(((codes < 0) & ~series.isna().to_numpy()).sum())
            if n:
                counts[spec.name] = n
    return counts


def decode_table(schema, Z):
    """Decode ``Z`` against ``schema`` (see :meth:`TableSchema.decode`)."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[1] != schema.n_features:
        raise ValueError(
            f"Expected an encoded matrix with {schema.n_features} columns, got shape {Z.shape}."
        )
    cols = [_decode_column(schema, spec, Z[:, j]) for j, spec in enumerate(schema.columns)]
    if schema.is_frame:
        return pd.DataFrame(dict(zip(range(len(cols)), cols))).set_axis(
            pd.Index(schema.names, tupleize_cols=False), axis=1
        )
    return _stack_array(schema, cols)


def _decode_column(schema, spec, z):
    missing = np.isnan(z)
    has_missing = bool(missing.any())
    dtype = spec.dtype
    if spec.is_categorical:
        k = len(spec.categories)
        codes = np.clip(np.rint(np.where(missing, 0, z)), 0, k - 1).astype(np.intp)
        levels = np.empty(k, dtype=object)
        levels[:] = list(spec.categories)
        values = levels[codes]
        values[missing] = np.nan
        if isinstance(dtype, pd.CategoricalDtype):
            return pd.Series(pd.Categorical(values, dtype=dtype))
        if isinstance(dtype, (pd.StringDtype, pd.BooleanDtype)):
            return pd.Series(values, dtype=dtype)
        np_dtype = np.dtype(dtype)
        if spec.kind == "boolean" and np_dtype.kind == "b":
            if has_missing:
                return pd.Series(values, dtype="boolean" if schema.is_frame else object)
            return pd.Series(values.astype(bool), dtype=bool)
        if np_dtype.kind in "US":
            return pd.Series(values.astype(np_dtype.kind), dtype=object)
        return pd.Series(values, dtype=object)
    z = z.copy()
    if spec.kind == "integer":
        lo, hi = spec.bounds
        z = np.clip(np.rint(z), lo, hi)
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):
            return pd.Series(pd.array(np.where(missing, None, z).tolist(), dtype=dtype))
        if np.dtype(dtype).kind in "iu":
            if has_missing:
                if schema.is_frame:
                    values = np.where(missing, None, z).tolist()
                    return pd.Series(pd.array(values, dtype=_int_nullable(dtype)))
                return pd.Series(z, dtype=np.float64)
            return pd.Series(z.astype(dtype))
        return pd.Series(z.astype(dtype))
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return pd.Series(pd.array(np.where(missing, None, z).tolist(), dtype=dtype))
    return pd.Series(z.astype(dtype))


def _stack_array(schema, cols):
    dtypes = [c.dtype for c in cols]
    if all(isinstance(dt, np.dtype) and dt.kind in "biuf" for dt in dtypes):
        return np.column_stack([c.to_numpy() for c in cols]).astype(np.result_type(*dtypes))
    original = np.dtype(schema.columns[0].dtype)
    if original.kind in "US" and not any(c.isna().any() for c in cols):
        return np.column_stack([c.to_numpy().astype(str) for c in cols])
    out = np.empty((len(cols[0]) if cols else 0, len(cols)), dtype=object)
    for j, c in enumerate(cols):
        out[:, j] = c.to_numpy(dtype=object)
    return out
