"""IndependenceAugmenter: every column and the label drawn independently from its own marginal."""

from __future__ import annotations

import numpy as np

from sklearn_causalmix.augment._base import BaseAugmenter

__all__ = ["IndependenceAugmenter"]


class IndependenceAugmenter(BaseAugmenter):
    """Independence model: the control that keeps every marginal and destroys all dependence.

    Each synthetic value of a column is drawn with replacement from that column's observed
    (non-missing) training values, independently of the other columns and of the label; the
    labels follow the training class proportions. The result is a table of shuffled columns:
    the marginals of the real table, with no dependence between features, nor between the
    features and the label. In the study it answers whether synthetic rows help through the
    relations they carry or merely as extra draws from the right ranges: its rows carry none.

    Parameters
    ----------
    synthetic_ratio : float in [0, 1], default=0.5
        Share of synthetic rows in the output of :meth:`fit_resample` (as for
        :class:`~sklearn_causalmix.CausalSCMAugmenter`).
    random_state : int, RandomState instance or None, default=None
        Seed of :meth:`sample` (through a seed drawn at fit time).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_prior_ : ndarray of shape (n_classes,)
        Share of each class in the training labels (the class shares of samples).
    missing_rate_ : ndarray of shape (n_features,)
        Share of missing values per column, re-applied completely at random in samples.
    schema_ : TableSchema
        Column kinds, levels and dtypes of the training table.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`; only when ``X`` has string column names.

    See Also
    --------
    RandomGraphSCMAugmenter : Keeps dependence, on a random graph instead of the discovered one.
    CausalSCMAugmenter : The causal augmenter this control is compared with.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix.augment import IndependenceAugmenter
    >>> rng = np.random.RandomState(0)
    >>> a = rng.normal(size=500)
    >>> X = pd.DataFrame({"a": a, "b": a + 0.5 * rng.normal(size=500)})
    >>> y = (a > 0).astype(int)
    >>> X_syn, y_syn = IndependenceAugmenter(random_state=0).fit(X, y).sample(2000)
    >>> round(float(X["a"].corr(X["b"])), 1), bool(abs(X_syn["a"].corr(X_syn["b"])) < 0.1)
    (0.9, True)
    >>> sorted(set(X_syn["a"]) - set(X["a"]))  # only observed values
    []
    """

    def __init__(self, *, synthetic_ratio=0.5, random_state=None):
        self.synthetic_ratio = synthetic_ratio
        self.random_state = random_state

    def _fit(self, table, rng):
        # Observed values only: imputed fills would over-weight the median; the base re-applies
        # missing values at the observed rate.
        self._values = [
            column[~missing] if (~missing).any() else table.fill[j:j + 1]
            for j, (column, missing) in enumerate(zip(table.codes.T, table.missing.T))
        ]

    def _sample(self, counts, rng):
        t = np.repeat(np.arange(len(counts)), counts)
        Z = np.column_stack([values[rng.randint(len(values), size=len(t))]
                             for values in self._values])
        return Z.reshape(len(t), len(self._values)), t
