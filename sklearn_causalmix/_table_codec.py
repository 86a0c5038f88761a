"""Encoding and decoding of tables against a schema: column checks, codes, unseen levels.

:class:`TableCodec` holds the methods of :class:`~sklearn_causalmix._tabular.TableSchema` that
turn tables into ``float64`` matrices and back; the schema itself (its columns and their
inference from data) lives in :mod:`sklearn_causalmix._tabular`.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd

from sklearn_causalmix._columns import _array_frame, _as_2d_array, _describe

__all__ = ["TableCodec", "UnseenLevelWarning"]

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
    >>> from sklearn_causalmix._tabular import TableSchema, UnseenLevelWarning
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


class TableCodec:
    """``check``, ``encode`` and ``decode`` of :class:`~sklearn_causalmix._tabular.TableSchema`.

    A mixin: it reads the schema's ``columns``, ``is_frame``, ``names``, ``n_features`` and
    ``categorical_mask``.
    """

    # ------------------------------------------------------------------ checking
    def _frame(self, X):
        """Return ``X`` as a DataFrame whose columns are positionally aligned with the schema."""
        if isinstance(X, pd.DataFrame):
            if self.is_frame:
                cols = list(X.columns)
                missing = [n for n in self.names if n not in cols]
                extra = [c for c in cols if c not in self.names]
                if missing or extra:
                    raise ValueError(
                        f"The columns differ from those seen at fit time: missing {missing}, "
                        f"unexpected {extra}. Pass a table with exactly the columns {self.names}."
                    )
                if cols != self.names:
                    raise ValueError(
                        f"The columns are in a different order than at fit time; reorder them "
                        f"with `X[{self.names!r}]`."
                    )
                return X
            if X.shape[1] != self.n_features:
                raise ValueError(
                    f"X has {X.shape[1]} features but {self.n_features} were seen at fit time."
                )
            return X
        arr = _as_2d_array(X)
        if arr.shape[1] != self.n_features:
            raise ValueError(
                f"X has {arr.shape[1]} features but {self.n_features} were seen at fit time; "
                f"pass a table with the same {self.n_features} columns."
            )
        return _array_frame(arr)

    def check(self, X, *, handle_unknown="error", allow_unseen=None):
        """Check that ``X`` has the columns and categories of the schema.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Table to check. A DataFrame must have the same column names in the same order when
            the schema came from a DataFrame; arrays must have the same number of columns.
        handle_unknown : {"error", "missing"}, default="error"
            ``"error"`` refuses categorical levels not seen by :meth:`from_data`; ``"missing"``
            accepts them (:meth:`encode` maps them to ``NaN``). Nothing is warned here.
        allow_unseen : bool, default=None
            Older spelling: True is ``handle_unknown="missing"``, False ``"error"``.

        Raises
        ------
        ValueError
            If columns are missing, unexpected or reordered, if a numeric column holds infinite
            values, or if a categorical column holds unseen levels and
            ``handle_unknown="error"``.
        TypeError
            If a numeric column holds values that are not numbers.

        Examples
        --------
        >>> import pandas as pd
        >>> from sklearn_causalmix._tabular import TableSchema
        >>> schema = TableSchema.from_data(pd.DataFrame({"c": ["a", "b"]}))
        >>> schema.check(pd.DataFrame({"c": ["b", "a"]}))
        >>> schema.check(pd.DataFrame({"c": ["z"]}), handle_unknown="missing")
        >>> schema.check(pd.DataFrame({"c": ["z"]}))
        Traceback (most recent call last):
        ...
        ValueError: Column 'c' has levels not seen at fit time: ['z']...
        """
        if allow_unseen is not None:
            handle_unknown = "missing" if allow_unseen else "error"
        self._encode(X, handle_unknown=handle_unknown, warn=False)

    # ------------------------------------------------------------------ encode / decode
    def _encode_numeric_array(self, X):
        """``encode`` of a numeric array against an all-numeric schema (vectorised), else None."""
        if self.is_frame or isinstance(X, pd.DataFrame) or not isinstance(X, np.ndarray):
            return None
        if X.ndim != 2 or X.dtype.kind not in "fiu" or X.shape[1] != self.n_features:
            return None
        if self.categorical_mask.any():
            return None
        out = X.astype(np.float64)
        infinite = np.flatnonzero(np.isinf(out).any(axis=0))
        if len(infinite):
            raise ValueError(
                f"{_describe(self.columns[infinite[0]].name)} contains infinite values; replace "
                f"them with NaN (missing) or finite numbers."
            )
        return out

    def _encode(self, X, *, handle_unknown, warn):
        if handle_unknown not in _HANDLE_UNKNOWN:
            raise ValueError(
                f"handle_unknown must be one of {list(_HANDLE_UNKNOWN)}, got {handle_unknown!r}."
            )
        fast = self._encode_numeric_array(X)
        if fast is not None:
            return fast
        return self._encode_frame(self._frame(X), handle_unknown=handle_unknown, warn=warn)

    def _encode_frame(self, frame, *, handle_unknown, warn):
        out = np.empty(frame.shape, dtype=np.float64)
        unseen_report = []
        # numpy-numeric columns of numeric specs in one block (wide tables); the rest column by column
        fast = [
            j for j, (spec, dtype) in enumerate(zip(self.columns, frame.dtypes))
            if not spec.is_categorical and isinstance(dtype, np.dtype) and dtype.kind in "fiu"
        ]
        if fast:
            block = frame.iloc[:, fast].to_numpy(dtype=np.float64)
            infinite = np.flatnonzero(np.isinf(block).any(axis=0))
            if len(infinite):
                raise ValueError(
                    f"{_describe(self.columns[fast[infinite[0]]].name)} contains infinite values; "
                    f"replace them with NaN (missing) or finite numbers."
                )
            out[:, fast] = block
        fast = set(fast)
        for j, spec in enumerate(self.columns):
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
                stacklevel=4,
            )
        return out

    def count_unseen(self, X):
        """Number of cells per column whose categorical level was not seen by :meth:`from_data`.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Table with the columns of the schema (see :meth:`check`).

        Returns
        -------
        counts : dict of column name to int
            Only columns with at least one unseen cell.

        Examples
        --------
        >>> import pandas as pd
        >>> from sklearn_causalmix._tabular import TableSchema
        >>> schema = TableSchema.from_data(pd.DataFrame({"c": ["a", "b"], "d": ["x", "y"]}))
        >>> schema.count_unseen(pd.DataFrame({"c": ["a", "q", "q"], "d": ["x", "y", None]}))
        {'c': 2}
        """
        frame = self._frame(X)
        counts = {}
        for j, spec in enumerate(self.columns):
            if spec.is_categorical:
                series = frame.iloc[:, j]
                codes = _level_index(spec.categories).get_indexer(series.to_numpy(dtype=object))
                n = int(((codes < 0) & ~series.isna().to_numpy()).sum())
                if n:
                    counts[spec.name] = n
        return counts

    def encode(self, X, *, handle_unknown="missing"):
        """Encode a table as a float matrix.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Table with the columns of the schema (see :meth:`check`).
        handle_unknown : {"missing", "error"}, default="missing"
            What to do with categorical levels not seen by :meth:`from_data`: ``"missing"``
            encodes them as ``NaN`` (as scikit-learn's HistGradientBoosting does) and warns once
            with an :class:`UnseenLevelWarning` naming the columns and counts; ``"error"``
            raises a ``ValueError``.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features), dtype float64
            Numeric columns as floats, categorical and boolean columns as integer codes in the
            order of :attr:`ColumnSpec.categories`; missing values (and unseen levels) are
            ``NaN``.

        Examples
        --------
        >>> import pandas as pd
        >>> from sklearn_causalmix._tabular import TableSchema
        >>> X = pd.DataFrame({"flag": [True, False, None]}, dtype="boolean")
        >>> TableSchema.from_data(X).encode(X)
        array([[ 1.],
               [ 0.],
               [nan]])
        """
        return self._encode(X, handle_unknown=handle_unknown, warn=True)

    def decode(self, Z):
        """Turn an encoded matrix back into a table with the original names and dtypes.

        Categorical and boolean codes are rounded and clipped to valid levels; integer columns
        are rounded and clipped to the observed range; ``NaN`` becomes a missing value. Integer
        and boolean columns that receive missing values become pandas nullable dtypes
        (``Int64``, ``boolean``) in a DataFrame and ``float``/``object`` in an array.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)
            Encoded values, e.g. from :meth:`encode` or a generator working on codes.

        Returns
        -------
        X : DataFrame or ndarray of shape (n_samples, n_features)
            A DataFrame when the schema came from a DataFrame; otherwise an array with the
            original dtype (``object`` when the columns need different dtypes).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_causalmix._tabular import TableSchema
        >>> schema = TableSchema.from_data(np.array([[1, 5], [3, 7]]))
        >>> schema.decode(np.array([[1.6, 9.0], [-4.0, 6.2]]))
        array([[2, 7],
               [1, 6]])
        """
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[1] != self.n_features:
            raise ValueError(
                f"Expected an encoded matrix with {self.n_features} columns, got shape {Z.shape}."
            )
        cols = [self._decode_column(spec, Z[:, j]) for j, spec in enumerate(self.columns)]
        if self.is_frame:
            return pd.DataFrame(dict(zip(range(len(cols)), cols))).set_axis(
                pd.Index(self.names, tupleize_cols=False), axis=1
            )
        return self._stack_array(cols)

    def _decode_column(self, spec, z):
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
                    return pd.Series(values, dtype="boolean" if self.is_frame else object)
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
                    if self.is_frame:
                        values = np.where(missing, None, z).tolist()
                        return pd.Series(pd.array(values, dtype=_int_nullable(dtype)))
                    return pd.Series(z, dtype=np.float64)
                return pd.Series(z.astype(dtype))
            return pd.Series(z.astype(dtype))
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):
            return pd.Series(pd.array(np.where(missing, None, z).tolist(), dtype=dtype))
        return pd.Series(z.astype(dtype))

    def _stack_array(self, cols):
        dtypes = [c.dtype for c in cols]
        if all(isinstance(dt, np.dtype) and dt.kind in "biuf" for dt in dtypes):
            return np.column_stack([c.to_numpy() for c in cols]).astype(np.result_type(*dtypes))
        original = np.dtype(self.columns[0].dtype)
        if original.kind in "US" and not any(c.isna().any() for c in cols):
            return np.column_stack([c.to_numpy().astype(str) for c in cols])
        out = np.empty((len(cols[0]) if cols else 0, len(cols)), dtype=object)
        for j, c in enumerate(cols):
            out[:, j] = c.to_numpy(dtype=object)
        return out
