"""Category codes as the backbone reads them: high-cardinality columns recoded by frequency, rare levels grouped.

The embedded model reads a category code as a number (standardised and rank-transformed within the context,
plus a learned "categorical" flag), and its prior had at most a few levels per column. A column with many
levels (a US state, a product code) keeps its ``max_levels - 1`` most frequent training levels, coded by
frequency rank, and groups every rarer level into one last code; columns with fewer levels are left as they
are. Levels unseen at fit time stay missing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LevelCodes"]


class LevelCodes:
    """A recoding of the high-cardinality categorical columns of an encoded table.

    Parameters
    ----------
    maps : dict of int to ndarray
        Column index -> new code of every old code.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.backbones._levels import LevelCodes
    >>> Z = np.array([[0.0], [1.0], [1.0], [2.0], [3.0], [3.0], [3.0]])
    >>> codes = LevelCodes.fit(Z, np.array([True]), max_levels=3)
    >>> codes.transform(Z).ravel().tolist()  # level 3 most frequent -> 0, level 1 -> 1, levels 0 and 2 -> 2
    [2.0, 1.0, 1.0, 2.0, 0.0, 0.0, 0.0]
    """

    def __init__(self, maps):
        self.maps = maps

    @classmethod
    def fit(cls, Z, categorical_mask, *, max_levels=50):
        """The recoding of the categorical columns of ``Z`` with more than ``max_levels`` levels.

        Parameters
        ----------
        Z : ndarray of shape (n_samples, n_features)
            Encoded rows (level codes, NaN for missing).
        categorical_mask : ndarray of bool
        max_levels : int, default=50

        Returns
        -------
        codes : LevelCodes
        """
        maps = {}
        for j in np.flatnonzero(categorical_mask):
            observed = Z[:, j][~np.isnan(Z[:, j])].astype(np.int64)
            counts = np.bincount(observed) if len(observed) else np.zeros(0, np.int64)
            if np.count_nonzero(counts) <= max_levels:
                continue
            order = np.argsort(-counts, kind="stable")  # most frequent first, ties by code
            new = np.full(len(counts), max_levels - 1, dtype=np.float64)
            new[order[: max_levels - 1]] = np.arange(max_levels - 1)
            maps[int(j)] = new
        return cls(maps)

    def transform(self, Z):
        """``Z`` with the recoded columns (a copy when any column changes).

        Parameters
        ----------
        Z : ndarray of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray
        """
        if not self.maps:
            return Z
        Z = Z.copy()
        for j, new in self.maps.items():
            column = Z[:, j]
            known = ~np.isnan(column)
            old = column[known].astype(np.int64)
            column[known] = np.where(old < len(new), new[np.minimum(old, len(new) - 1)], new.max())
        return Z
