"""Column semantics of CausalSCMAugmenter: what a column's values may be, and its node coding.

Every feature is modelled as one of three node kinds, learned from the data (and from the
``categorical_features`` parameter):

``"categorical"``
    Categorical and boolean columns: the node holds the level code.
``"discrete"``
    Numeric columns with few distinct values (at most :data:`MAX_AUTO_DISCRETE_VALUES` with
    ``categorical_features="auto"``), or numeric columns the user declares categorical: the node
    holds the index of the value among the sorted observed values, so samples only ever take
    observed values (a loan ``term`` in {36, 60} stays in {36, 60}).
``"continuous"``
    Other numeric columns. A column that looks roughly normal (absolute skewness below
    :data:`MAX_SKEW`, absolute excess kurtosis below :data:`MAX_KURTOSIS`, no value holding
    :data:`MAX_SPIKE` of the rows) keeps its values, clipped
    to the observed range at sampling; any other column (skewed amounts, bounded percentages,
    spikes such as many zeros) is modelled on the normal scores of its values under the
    empirical distribution function, and samples go back through the empirical quantile function
    (linear between observed values), which keeps the shape of the marginal. Samples therefore
    stay within the observed range ``[min, max]``, and columns
    whose observed values are all whole numbers (e.g. integers that pandas turned into floats
    because of a missing value) are rounded to whole numbers. A column with at most
    :data:`MAX_DECLARED_LEVELS` distinct values (a grid: years of tenure, rates in steps) is
    snapped to the nearest observed value.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = [
    "MAX_KURTOSIS",
    "MAX_SKEW",
    "MAX_SPIKE",
    "MAX_AUTO_DISCRETE_VALUES",
    "MAX_DECLARED_LEVELS",
    "ColumnCoder",
    "categorical_mask",
    "nearest",
]

#: Numeric columns with at most this many distinct observed values are modelled as discrete
#: (sampled among their observed values) with ``categorical_features="auto"``.
MAX_AUTO_DISCRETE_VALUES = 10

#: Largest absolute skewness of a continuous column modelled on its own values.
MAX_SKEW = 0.5

#: Largest absolute excess kurtosis of a continuous column modelled on its own values.
MAX_KURTOSIS = 1.0

#: Largest share of rows holding one value in a continuous column modelled on its own values.
MAX_SPIKE = 0.05

#: Most distinct values of a numeric column declared categorical by the user.
MAX_DECLARED_LEVELS = 50


def categorical_mask(categorical_features, schema, names):
    """Which numeric columns the user declares categorical (``None`` for ``"auto"``).

    ``"auto"``: decided from the data (few distinct values); ``"from_dtype"``: none; a list of
    names or indices, or a boolean mask of length ``n_features``: those columns. Categorical and
    boolean dtypes are categorical in every case.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix._core import TableSchema
    >>> from sklearn_causalmix.augment._semantics import categorical_mask
    >>> schema = TableSchema.from_data(pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4]}))
    >>> categorical_mask(["b"], schema, ["a", "b"]).tolist()
    [False, True]
    """
    n_features = schema.n_features
    if isinstance(categorical_features, str):
        return None if categorical_features == "auto" else np.zeros(n_features, dtype=bool)
    values = list(np.asarray(categorical_features, dtype=object).ravel())
    mask = np.zeros(n_features, dtype=bool)
    if values and all(isinstance(v, (bool, np.bool_)) for v in values):
        if len(values) != n_features:
            raise ValueError(
                f"categorical_features as a boolean mask must have one entry per feature "
                f"({n_features}), got {len(values)}."
            )
        return np.asarray(values, dtype=bool)
    for v in values:
        if isinstance(v, (int, np.integer)):
            if not -n_features <= v < n_features:
                raise ValueError(
                    f"categorical_features index {v} is out of range for {n_features} features."
                )
            mask[v] = True
        elif str(v) in names:
            mask[names.index(str(v))] = True
        else:
            raise ValueError(
                f"categorical_features names unknown column {v!r}; valid names: {names}."
            )
    return mask


def _roughly_normal(observed):
    """Skewness and excess kurtosis near 0, and no value in more than MAX_SPIKE of the rows."""
    if len(observed) < 3 or np.ptp(observed) == 0:
        return False
    centred = observed - observed.mean()
    variance = np.mean(centred**2)
    skew = np.mean(centred**3) / variance**1.5
    kurtosis = np.mean(centred**4) / variance**2 - 3.0
    _, counts = np.unique(observed, return_counts=True)
    shape = abs(skew) < MAX_SKEW and abs(kurtosis) < MAX_KURTOSIS
    return bool(shape and counts.max() <= MAX_SPIKE * len(observed))


def nearest(grid, values):
    """The element of the sorted array ``grid`` nearest to each of ``values``."""
    right = np.clip(np.searchsorted(grid, values), 1, max(len(grid) - 1, 1))
    left = right - 1
    pick = np.where(np.abs(values - grid[left]) <= np.abs(grid[right] - values), left, right)
    return grid[np.minimum(pick, len(grid) - 1)]


@dataclasses.dataclass
class ColumnCoder:
    """Node coding of every feature (see the module docstring).

    Attributes
    ----------
    kinds : list of str
        ``"categorical"``, ``"discrete"`` or ``"continuous"`` per feature.
    values : list of ndarray or None
        Sorted distinct observed values (discrete) or all sorted observed values (continuous).
    whole : ndarray of bool
        Continuous columns whose observed values are all whole numbers.
    grids : list of ndarray or None
        Distinct observed values of continuous columns with at most ``MAX_DECLARED_LEVELS`` of
        them (samples are snapped to the nearest one), None otherwise.
    ranked : ndarray of bool
        Continuous columns modelled on normal scores (the others on their values).
    """

    kinds: list
    values: list
    whole: np.ndarray
    grids: list
    ranked: np.ndarray

    @classmethod
    def learn(cls, schema, codes, declared=None):
        """Learn the coding from encoded codes with ``NaN`` for missing values.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_causalmix._core import TableSchema
        >>> from sklearn_causalmix.augment._semantics import ColumnCoder
        >>> from scipy.special import ndtri
        >>> normal = 10 + 3 * ndtri((np.arange(20) + 0.5) / 20)
        >>> Z = np.c_[normal, np.tile([36.0, 60.0], 10), 2.0 ** np.arange(20)]
        >>> coder = ColumnCoder.learn(TableSchema.from_data(Z), Z)
        >>> coder.kinds, coder.whole.tolist(), coder.ranked.tolist()
        (['continuous', 'discrete', 'continuous'], [False, False, True], [False, False, True])
        >>> Z_syn = coder.decode(np.array([[99.4, 0.7, 0.0]]))  # clipped; nearest level; median
        >>> bool(Z_syn[0, 0] == normal.max()), Z_syn[0, 1:].tolist()
        (True, [60.0, 512.0])
        """
        kinds, values, whole, grids, ranked = [], [], [], [], []
        for j, spec in enumerate(schema.columns):
            observed = codes[~np.isnan(codes[:, j]), j]
            distinct = np.unique(observed)
            is_declared = declared is not None and declared[j]
            if spec.is_categorical:
                kinds.append("categorical")
                values.append(None)
            elif is_declared or (declared is None and len(distinct) <= MAX_AUTO_DISCRETE_VALUES):
                if len(distinct) > MAX_DECLARED_LEVELS:
                    raise ValueError(
                        f"Column {spec.name!r} is declared categorical but has {len(distinct)} "
                        f"distinct values (at most {MAX_DECLARED_LEVELS}); leave it out of "
                        f"categorical_features."
                    )
                kinds.append("discrete")
                values.append(distinct)
            else:
                kinds.append("continuous")
                values.append(np.sort(observed))
            continuous = kinds[-1] == "continuous"
            whole.append(continuous and bool(np.all(observed == np.rint(observed))))
            grids.append(distinct if continuous and len(distinct) <= MAX_DECLARED_LEVELS else None)
            ranked.append(continuous and not _roughly_normal(observed))
        return cls(
            kinds=kinds,
            values=values,
            whole=np.asarray(whole, dtype=bool),
            grids=grids,
            ranked=np.asarray(ranked, dtype=bool),
        )

    @property
    def discrete_mask(self):
        """ndarray of bool : Nodes with level codes (categorical and discrete columns)."""
        return np.array([k != "continuous" for k in self.kinds], dtype=bool)

    def encode(self, codes):
        """Encoded table (``NaN`` = missing) -> node values (``NaN`` kept)."""
        nodes = np.array(codes, dtype=np.float64, copy=True)
        for j, kind in enumerate(self.kinds):
            z = codes[:, j]
            ok = ~np.isnan(z)
            vals = self.values[j]
            if kind == "discrete":
                nodes[ok, j] = np.searchsorted(vals, z[ok])
            elif kind == "continuous" and self.ranked[j]:
                n = len(vals)
                mid = np.searchsorted(vals, z[ok], "left") + np.searchsorted(vals, z[ok], "right")
                nodes[ok, j] = ndtri(np.clip(mid / (2.0 * n), 0.5 / n, 1 - 0.5 / n))
        return nodes

    def decode(self, nodes):
        """Node values -> encoded table: observed levels, range and whole numbers kept."""
        codes = np.array(nodes, dtype=np.float64, copy=True)
        for j, kind in enumerate(self.kinds):
            z = nodes[:, j]
            ok = ~np.isnan(z)
            vals = self.values[j]
            if kind == "discrete":
                index = np.clip(np.rint(z[ok]), 0, len(vals) - 1).astype(np.intp)
                codes[ok, j] = vals[index]
            elif kind == "continuous":
                if self.ranked[j]:
                    grid = (np.arange(len(vals)) + 0.5) / len(vals)
                    out = np.interp(ndtr(z[ok]), grid, vals)
                else:
                    out = np.clip(z[ok], vals[0], vals[-1])
                if self.grids[j] is not None:
                    out = nearest(self.grids[j], out)
                codes[ok, j] = np.rint(out) if self.whole[j] else out
        return codes
