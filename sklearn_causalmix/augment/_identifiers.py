"""Identifier-like columns: found in a training DataFrame, set aside, regenerated in samples.

A row identifier (a customer number, an R ``rownames`` column, a passenger's name) carries no
information a causal model can use, and as a categorical column it would be refused for having
too many levels. A column of a DataFrame is identifier-like when it has no missing value, at
least :data:`MIN_ROWS` rows, and

- strings (object, ``string`` or ``category`` dtype), at least 95 % of them distinct and more
  distinct values than a categorical column may have (50); or
- integers, all distinct, strictly monotone in row order or a consecutive range.

Such columns are left out of the schema and of the model (with a warning), and synthetic rows get
*new* identifiers, distinct from the training ones: integers continue after the largest training
value (``max + 1``, ``max + 2``, ... within a sample), strings are ``"synthetic-0"``,
``"synthetic-1"``, ... (returned with object dtype for a ``category`` column).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd

__all__ = ["MIN_ROWS", "IdentifierColumns"]

#: Fewest rows for a column to be judged identifier-like.
MIN_ROWS = 20


def _is_identifier(series):
    """``"integer"``, ``"string"`` or None."""
    n = len(series)
    if n < MIN_ROWS or series.isna().any():
        return None
    dtype = series.dtype
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=np.int64)
        if len(np.unique(values)) != n:
            return None
        step = np.diff(values)
        monotone = bool(np.all(step > 0) or np.all(step < 0))
        return "integer" if monotone or values.max() - values.min() + 1 == n else None
    if isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype)) or dtype == object:
        values = series.to_numpy(dtype=object)
        if not all(isinstance(v, str) for v in values):
            return None
        distinct = len(pd.unique(values))
        return "string" if distinct > 50 and distinct >= 0.95 * n else None
    return None


@dataclasses.dataclass
class IdentifierColumns:
    """Identifier-like columns of a training table: positions, names, dtypes and next integer.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix.augment._identifiers import IdentifierColumns
    >>> X = pd.DataFrame({"id": np.arange(1, 31), "x": np.arange(30) % 3})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     ids, rest = IdentifierColumns.split(X)
    >>> ids.names, list(rest.columns)
    (['id'], ['x'])
    >>> ids.insert(rest.head(2))
       id  x
    0  31  0
    1  32  1
    """

    positions: list
    names: list
    dtypes: list
    starts: list

    @classmethod
    def none(cls):
        """No identifier column."""
        return cls([], [], [], [])

    @classmethod
    def split(cls, X):
        """Find the identifier-like columns of a DataFrame (warning), return them and the rest."""
        if not isinstance(X, pd.DataFrame):
            return cls.none(), X
        found = cls.none()
        for position, name in enumerate(X.columns):
            kind = _is_identifier(X.iloc[:, position])
            if kind is None:
                continue
            found.positions.append(position)
            found.names.append(name)
            found.dtypes.append(X.dtypes.iloc[position])
            start = int(X.iloc[:, position].max()) + 1 if kind == "integer" else None
            found.starts.append(start)
        if found.names:
            if len(found.names) == X.shape[1]:
                raise ValueError(
                    f"Every column of X looks like a row identifier ({found.names}); pass "
                    f"the columns that describe the rows."
                )
            warnings.warn(
                f"Columns {found.names} look like row identifiers (distinct in every row); they "
                f"are left out of the causal model, and synthetic rows get new identifiers "
                f"(integers after the largest seen, or 'synthetic-<k>'). Drop them before "
                f"fitting to silence this warning.",
                UserWarning,
                stacklevel=3,
            )
        return found, X.drop(columns=X.columns[found.positions])

    def insert(self, X_syn):
        """Put new identifier columns into a sampled DataFrame, at their training positions."""
        if not self.names:
            return X_syn
        n = len(X_syn)
        out = X_syn.copy()
        for position, name, dtype, start in zip(
            self.positions, self.names, self.dtypes, self.starts
        ):
            if start is None:
                values = pd.Series([f"synthetic-{k}" for k in range(n)], dtype=object)
                if isinstance(dtype, pd.StringDtype) or dtype == object:
                    values = values.astype(dtype)
            else:
                values = pd.Series(start + np.arange(n)).astype(dtype)
            out.insert(position, name, values.to_numpy() if start is None else values.array)
        return out
