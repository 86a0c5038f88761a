"""GaussianCopulaAugmenter: a Gaussian copula over all columns and the label, sampled per class."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import ndtri
from scipy.stats import norm
from sklearn.utils._param_validation import Interval

from sklearn_causalmix.augment._base import BaseAugmenter

__all__ = ["GaussianCopulaAugmenter"]


class GaussianCopulaAugmenter(BaseAugmenter):
    """Gaussian copula over all columns and the label, sampled conditionally on the label.

    Every column and the class codes are turned into normal scores ``Phi^-1(rank / (n + 1))``
    (ties broken at random, so discrete columns get continuous scores), their correlation matrix
    is estimated (shrunk towards the identity by ``shrinkage``), and synthetic rows are drawn from
    the multivariate normal and mapped back through each column's inverse empirical CDF
    (interpolated for numeric columns, stepwise for integer, categorical and boolean ones). The
    label is a node of the copula, with polyserial correlations to the features (its own normal
    scores would understate them), and the matrix is projected onto the positive semi-definite
    ones. A synthetic row of class ``c`` draws the label's score from the normal truncated to the
    class's band and the other scores from their conditional normal given it.
    Category codes follow the sorted levels, so unordered categories with more than two levels
    (and multiclass labels) are treated as ordinal -- a known limit of the method.

    The ``(p + 1) x (p + 1)`` correlation matrix and its eigendecompositions make time grow with
    the cube of the number of features ``p`` (about 1 s of CPU for 1,000 features, many minutes
    for 10,000), so tables wider than ``max_features`` are refused before any work starts.

    Parameters
    ----------
    shrinkage : float in [0, 1], default=0.05
        Weight of the identity in the correlation estimate.
    max_features : int, default=1000
        Largest number of features :meth:`fit` accepts; a wider table raises a ``ValueError``
        that suggests selecting features first.
    synthetic_ratio : float in [0, 1], default=0.5
        Share of synthetic rows in the output of :meth:`fit_resample`.
    random_state : int, RandomState instance or None, default=None
        Seeds the tie-breaking at fit time and :meth:`sample`.

    Attributes
    ----------
    correlation_ : ndarray of shape (n_features + 1, n_features + 1)
        Correlation of the normal scores; the last row and column belong to the label.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_prior_ : ndarray of shape (n_classes,)
        Share of each class in the training labels.
    missing_rate_ : ndarray of shape (n_features,)
        Share of missing values per column, re-applied in samples.
    schema_ : TableSchema
        Column kinds, levels and dtypes of the training table.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`; only when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment import GaussianCopulaAugmenter
    >>> rng = np.random.RandomState(0)
    >>> a = rng.normal(size=500)
    >>> X = np.column_stack([a, a + 0.3 * rng.normal(size=500)])
    >>> y = (a > 0).astype(int)
    >>> aug = GaussianCopulaAugmenter(random_state=0).fit(X, y)
    >>> X_syn, y_syn = aug.sample(400)
    >>> bool(np.corrcoef(X_syn.T)[0, 1] > 0.8)
    True
    >>> bool(X_syn[y_syn == 1, 0].mean() > X_syn[y_syn == 0, 0].mean())
    True
    """

    _parameter_constraints: dict = {
        **BaseAugmenter._parameter_constraints,
        "shrinkage": [Interval(Real, 0, 1, closed="both")],
        "max_features": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, shrinkage=0.05, max_features=1000, synthetic_ratio=0.5,
                 random_state=None):
        self.shrinkage = shrinkage
        self.max_features = max_features
        self.synthetic_ratio = synthetic_ratio
        self.random_state = random_state

    def _fit(self, table, rng):
        Z, t = table.codes, table.target
        if Z.shape[1] > self.max_features:
            raise ValueError(
                f"X has {Z.shape[1]} features, more than max_features={self.max_features}. "
                "Select features first (e.g. with sklearn.feature_selection.SelectKBest) or raise "
                "max_features; the copula's time grows with the cube of the number of features."
            )
        data = np.column_stack([Z, t.astype(np.float64)])
        n, d = data.shape
        scores = np.empty_like(data)
        for j in range(d):
            # Random tie-breaking: ordinal ranks of the values plus a random permutation key.
            ranks = np.lexsort((rng.uniform(size=n), data[:, j])).argsort() + 1.0
            scores[:, j] = ndtri(ranks / (n + 1.0))
        corr = np.corrcoef(scores, rowvar=False)
        corr = np.nan_to_num(corr, nan=0.0)
        # The label's scores only say in which class band a row lies, which attenuates its
        # correlations; use the polyserial correlation of each feature's scores with the latent
        # label instead (Olsson, Drasgow & Dorans, 1982: r * sd(codes) / sum_k phi(tau_k)).
        cum = np.cumsum(np.bincount(t, minlength=len(self.classes_)))[:-1] / n
        density = norm.pdf(norm.ppf(cum)).sum()
        codes = t.astype(np.float64)
        for j in range(d - 1):
            r = np.corrcoef(scores[:, j], codes)[0, 1] if np.ptp(scores[:, j]) > 0 else 0.0
            corr[j, -1] = corr[-1, j] = np.clip(np.nan_to_num(r) * codes.std() / density,
                                                -0.99, 0.99)
        np.fill_diagonal(corr, 1.0)
        corr = (1.0 - self.shrinkage) * corr + self.shrinkage * np.eye(d)
        # Nearest positive semi-definite correlation matrix (eigenvalue clipping, unit diagonal).
        eigval, eigvec = np.linalg.eigh(corr)
        corr = (eigvec * np.clip(eigval, 1e-6, None)) @ eigvec.T
        scale = np.sqrt(np.diag(corr))
        corr = corr / np.outer(scale, scale)
        self.correlation_ = corr
        self._sorted = [np.sort(Z[:, j]) for j in range(Z.shape[1])]
        # The label's band of normal scores per class: (Phi^-1(F(c-1)), Phi^-1(F(c))].
        cum = np.concatenate([[0.0], np.cumsum(np.bincount(t, minlength=len(self.classes_)))]) / n
        self._bands = norm.ppf(np.clip(cum, 0.0, 1.0))
        # Conditional normal of the feature scores given the label's score.
        s12 = corr[:-1, -1]
        self._cond_coef = s12
        cov = corr[:-1, :-1] - np.outer(s12, s12)
        cov = (cov + cov.T) / 2.0
        eigval, eigvec = np.linalg.eigh(cov)
        self._cond_root = eigvec * np.sqrt(np.clip(eigval, 0.0, None))

    def _inverse_cdf(self, j, u):
        values = self._sorted[j]
        n = len(values)
        if self.schema_.columns[j].kind == "numeric":
            return np.interp(u * (n + 1) - 1.0, np.arange(n), values)
        index = np.clip(np.ceil(u * n).astype(np.intp) - 1, 0, n - 1)
        return values[index]

    def _sample(self, counts, rng):
        t = np.repeat(np.arange(len(counts)), counts).astype(np.int64)
        lo, hi = norm.cdf(self._bands[t]), norm.cdf(self._bands[t + 1])
        z_label = norm.ppf(np.clip(lo + rng.uniform(size=len(t)) * (hi - lo), 1e-12, 1 - 1e-12))
        p = self.schema_.n_features
        z = z_label[:, None] * self._cond_coef[None, :] + rng.normal(size=(len(t), p)) @ (
            self._cond_root.T)
        u = norm.cdf(z)
        Z = np.column_stack([self._inverse_cdf(j, u[:, j]) for j in range(p)]) if p else (
            np.empty((len(t), 0)))
        return Z, t
