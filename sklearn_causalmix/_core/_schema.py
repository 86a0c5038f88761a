"""Table schema shared by every stage: column kinds, categories, encode and decode.

A :class:`TableSchema` is inferred once from a training table with :meth:`TableSchema.from_data`.
It validates the table (clear errors for infinite values, all-missing columns and unsupported
dtypes), turns any table into a ``float64`` matrix with :meth:`TableSchema.encode` (categorical
and boolean columns become integer codes, missing values stay ``NaN``), and turns such a matrix
back into a table with the original column names and dtypes with :meth:`TableSchema.decode`.

Column kinds
------------
``"numeric"``
    Floating-point columns (and object columns holding only real numbers).
``"integer"``
    Integer columns (numpy ``int``/``uint`` and pandas nullable ``Int``/``UInt``). Decoding rounds
    and clips to the range observed by :meth:`TableSchema.from_data`.
``"boolean"``
    ``bool`` and pandas ``boolean`` columns; coded like a categorical with the observed levels.
``"categorical"``
    ``object`` columns of strings, pandas ``string``/``str`` and ``category`` columns, and numpy
    arrays of strings. Codes follow the sorted observed levels stored in
    :attr:`ColumnSpec.categories`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sklearn_causalmix._core._columns import (
    ColumnSpec,
    _array_frame,
    _as_2d_array,
    _column_spec,
    _describe,
    _numeric_column_specs,
)
from sklearn_causalmix._core._codec import UnseenLevelWarning, count_unseen, decode_table, encode_table

__all__ = ["ColumnSpec", "TableSchema", "UnseenLevelWarning"]


@dataclass(frozen=True)
class TableSchema:
    """Column kinds, categories and dtypes of a table, with encode/decode.

    Build it with :meth:`from_data`; see the module docstring for the column kinds.

    Parameters
    ----------
    columns : tuple of ColumnSpec
        One entry per column, in order.
    is_frame : bool
        Whether the table was a DataFrame (then :meth:`decode` returns a DataFrame) or an array.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix._core import TableSchema
    >>> X = pd.DataFrame({"age": [31, 45, 27], "city": ["Oslo", "Rome", "Oslo"]})
    >>> schema = TableSchema.from_data(X)
    >>> schema.names
    ['age', 'city']
    >>> schema.encode(X)
    array([[31.,  0.],
           [45.,  1.],
           [27.,  0.]])
    >>> schema.decode(np.array([[30.4, 0.9], [99.0, -2.0]]))
       age  city
    0   30  Rome
    1   45  Oslo
    """

    columns: tuple
    is_frame: bool

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_data(cls, X, *, max_categories=50, allow_all_missing=False):
        """Infer and validate the schema of a table.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table. Numeric numpy arrays give numeric (float), integer or boolean columns by
            dtype; arrays of strings or objects give categorical columns (object columns holding
            only numbers are numeric).
        max_categories : int, default=50
            Largest number of distinct levels accepted in a categorical column.
        allow_all_missing : bool, default=False
            Accept columns with no observed value (e.g. a column missing in one cross-validation fold): they
            are kept as numeric (numeric dtypes) or level-less categorical columns, encoded as all missing.

        Returns
        -------
        schema : TableSchema

        Raises
        ------
        ValueError
            For infinite values, all-missing columns, categorical columns with more than
            ``max_categories`` levels, duplicated column names, tables with no row or column, or
            input that is not 2D.
        TypeError
            For unsupported dtypes (datetime, timedelta, complex, sparse, object columns mixing
            value types).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_causalmix._core import TableSchema
        >>> schema = TableSchema.from_data(np.array([[1.5, 2.0], [0.5, 1.0]]))
        >>> schema.names, [c.kind for c in schema.columns]
        (['x0', 'x1'], ['numeric', 'numeric'])
        """
        if isinstance(X, pd.DataFrame):
            frame = X
            if not frame.columns.is_unique:
                dup = frame.columns[frame.columns.duplicated()].unique().tolist()
                raise ValueError(
                    f"Duplicated column names {dup}; give every column a unique name."
                )
            names = list(frame.columns)
            dtypes = list(frame.dtypes)
            is_frame = True
        else:
            arr = _as_2d_array(X)
            if arr.dtype.kind in "fiu" and arr.size:
                return cls._from_numeric_array(arr, allow_all_missing)
            frame = _array_frame(arr)
            names = [f"x{j}" for j in range(arr.shape[1])]
            dtypes = [arr.dtype] * arr.shape[1]
            is_frame = False
        if frame.shape[1] == 0:
            raise ValueError("The table has 0 feature(s); at least one column is required.")
        if frame.shape[0] == 0:
            raise ValueError("The table has 0 sample(s); at least one row is required.")
        fast = _numeric_column_specs(frame, names, dtypes)
        columns = tuple(
            fast[j] if j in fast else _column_spec(name, frame.iloc[:, j], dtypes[j], max_categories,
                                                   allow_all_missing)
            for j, name in enumerate(names)
        )
        return cls(columns=columns, is_frame=is_frame)

    @classmethod
    def _from_numeric_array(cls, arr, allow_all_missing=False):
        """:meth:`from_data` for a numeric numpy array, vectorised (wide tables in milliseconds)."""
        kind = "numeric" if arr.dtype.kind == "f" else "integer"
        values = arr.astype(np.float64, copy=False)
        missing = np.isnan(values)
        all_missing = np.flatnonzero(missing.all(axis=0))
        if len(all_missing) and not allow_all_missing:
            raise ValueError(
                f"{_describe(f'x{all_missing[0]}')} contains only missing values; drop it before "
                f"fitting."
            )
        infinite = np.flatnonzero(np.isinf(values).any(axis=0))
        if len(infinite):
            raise ValueError(
                f"{_describe(f'x{infinite[0]}')} contains infinite values; replace them with NaN "
                f"(missing) or finite numbers before fitting."
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns (allowed): NaN bounds
            low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        columns = tuple(
            ColumnSpec(f"x{j}", kind, arr.dtype, None, (float(low[j]), float(high[j])))
            for j in range(arr.shape[1])
        )
        return cls(columns=columns, is_frame=False)

    # ------------------------------------------------------------------ properties
    @property
    def names(self):
        """list : Column names in order."""
        return [c.name for c in self.columns]

    @property
    def categorical_mask(self):
        """ndarray of bool : True for categorical and boolean columns."""
        return np.array([c.is_categorical for c in self.columns], dtype=bool)

    @property
    def n_features(self):
        """int : Number of columns."""
        return len(self.columns)

    # ------------------------------------------------------------------ encode / decode
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
        >>> from sklearn_causalmix._core import TableSchema
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
        encode_table(self, X, handle_unknown=handle_unknown, warn=False)

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
        >>> from sklearn_causalmix._core import TableSchema
        >>> X = pd.DataFrame({"flag": [True, False, None]}, dtype="boolean")
        >>> TableSchema.from_data(X).encode(X)
        array([[ 1.],
               [ 0.],
               [nan]])
        """
        return encode_table(self, X, handle_unknown=handle_unknown, warn=True)

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
        >>> from sklearn_causalmix._core import TableSchema
        >>> schema = TableSchema.from_data(np.array([[1, 5], [3, 7]]))
        >>> schema.decode(np.array([[1.6, 9.0], [-4.0, 6.2]]))
        array([[2, 7],
               [1, 6]])
        """
        return decode_table(self, Z)

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
        >>> from sklearn_causalmix._core import TableSchema
        >>> schema = TableSchema.from_data(pd.DataFrame({"c": ["a", "b"], "d": ["x", "y"]}))
        >>> schema.count_unseen(pd.DataFrame({"c": ["a", "q", "q"], "d": ["x", "y", None]}))
        {'c': 2}
        """
        return count_unseen(self, X)
