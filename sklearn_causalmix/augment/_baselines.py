"""Comparison augmenters behind the protocol of :class:`CausalSCMAugmenter`.

Each has ``fit(X, y)``, ``sample(n)`` returning ``(X_syn, y_syn)`` in the schema of the training
table, and ``fit_resample(X, y)`` returning the real rows plus a ``synthetic_ratio`` share of
synthetic ones, so that the ratio study can swap the generator and keep everything else:

- :class:`NoiseAugmenter`: Gaussian jitter of numeric columns around real rows, categorical levels
  redrawn from the class-conditional frequencies.
- :class:`SMOTEAugmenter`: SMOTE-style interpolation between a row and one of its nearest
  neighbours of the same class (imbalanced-learn's ``SMOTENC``/``SMOTE`` when installed).
- :class:`GaussianCopulaAugmenter`: a Gaussian copula over all columns and the label, sampled
  conditionally on the label.
- :class:`CTGANAugmenter`: a thin adapter to the ``ctgan`` package (an optional extra).
"""

from __future__ import annotations

import importlib
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.special import ndtri
from scipy.stats import norm
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_consistent_length, check_is_fitted, validate_data

from sklearn_causalmix._tabular import TableSchema
from sklearn_causalmix.augment._resample import resample_with_ratio

__all__ = [
    "CTGANAugmenter",
    "GaussianCopulaAugmenter",
    "NoiseAugmenter",
    "SMOTEAugmenter",
]

_SEED_MAX = np.iinfo(np.int32).max


def _largest_remainder(n, proportions):
    """Split ``n`` into integer counts as close as possible to ``n * proportions``."""
    raw = n * np.asarray(proportions, dtype=float)
    counts = np.floor(raw).astype(int)
    short = int(n - counts.sum())
    if short > 0:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


class _BaseTableAugmenter(BaseEstimator):
    """Shared validation, missing-value handling, sampling and ``fit_resample`` of the baselines.

    Subclasses implement ``_fit_codes(Z, t, rng)`` on the imputed encoded table ``Z`` (float, no
    NaN; categorical columns hold level codes) and the class codes ``t``, and
    ``_sample_codes(counts, rng)`` returning ``(Z_syn, t_syn)`` with ``counts[c]`` rows of class
    ``c``.
    """

    _parameter_constraints: dict = {
        "synthetic_ratio": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    }

    #: Smallest number of training rows.
    _min_samples = 2

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "sampler"
        tags.target_tags.required = True
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    # ------------------------------------------------------------------ validation
    def _check_target(self, y):
        name = type(self).__name__
        if y is None:
            raise ValueError(f"{name} requires y (the class labels); got None.")
        if isinstance(y, pd.DataFrame):
            if y.shape[1] != 1:
                raise ValueError(
                    f"y should be a 1d array of class labels, got a DataFrame with {y.shape[1]} "
                    "columns; multi-output targets are not supported."
                )
            y = y.iloc[:, 0]
        if isinstance(y, pd.Series):
            self._y_container = ("series", y.name, y.dtype)
            y_arr = y.to_numpy()
        else:
            self._y_container = ("list" if isinstance(y, (list, tuple)) else "array", None, None)
            y_arr = np.asarray(y)
            if y_arr.ndim == 2 and y_arr.shape[1] == 1:
                y_arr = y_arr.ravel()
            if y_arr.ndim != 1:
                raise ValueError(
                    f"y should be a 1d array of class labels, got shape {y_arr.shape}; "
                    "multi-output targets are not supported."
                )
        if pd.isna(pd.Series(y_arr, dtype=object)).any():
            raise ValueError(
                "y contains missing values; drop those rows or impute the labels before fitting."
            )
        check_classification_targets(y_arr)
        if type_of_target(y_arr) not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type {type_of_target(y_arr)!r}; {name} needs class labels "
                "(binary or multiclass)."
            )
        return y_arr

    def _validate_X(self, X):
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=True, skip_check_array=True)
            return X
        if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
            raise TypeError(
                f"Sparse input is not supported by {type(self).__name__}; convert it with "
                "`X.toarray()`."
            )
        return validate_data(
            self, X, reset=True, dtype=None, ensure_all_finite="allow-nan", ensure_2d=True
        )

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the generator on a labelled table.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features: numeric, integer, boolean or categorical (strings / ``category``) columns;
            missing values allowed (imputed for fitting and re-applied at random, at the
            observed rate, in samples).
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            Fitted augmenter.
        """
        y_arr = self._check_target(y)
        X = self._validate_X(X)
        check_consistent_length(X, y_arr)
        classes, t = np.unique(y_arr, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has one class ({classes[0]!r}); {type(self).__name__} needs at least two "
                "classes."
            )
        if len(y_arr) < self._min_samples:
            raise ValueError(
                f"{type(self).__name__} needs at least {self._min_samples} samples, got "
                f"{len(y_arr)}."
            )
        schema = TableSchema.from_data(X)
        Z = schema.encode(X)
        missing = np.isnan(Z)
        fill = np.empty(schema.n_features)
        for j, spec in enumerate(schema.columns):
            observed = Z[~missing[:, j], j]
            if spec.is_categorical:
                fill[j] = np.bincount(observed.astype(np.int64)).argmax()
            else:
                fill[j] = np.median(observed)
        self.schema_ = schema
        self.classes_ = classes
        self.class_prior_ = np.bincount(t, minlength=len(classes)) / len(t)
        self.missing_rate_ = missing.mean(axis=0)
        self._y_dtype = y_arr.dtype
        rng = check_random_state(self.random_state)
        self._fit_codes(np.where(missing, fill, Z), t.astype(np.int64), rng)
        self._sample_seed = int(rng.randint(_SEED_MAX))
        return self

    # ------------------------------------------------------------------ sample
    def _restore_y(self, labels):
        kind, name, dtype = self._y_container
        if kind == "series":
            return pd.Series(labels, name=name, dtype=dtype)
        out = np.asarray(labels, dtype=self._y_dtype)
        return out.tolist() if kind == "list" else out

    def sample(self, n_samples, *, random_state=None):
        """Draw synthetic labelled rows.

        Class counts are the training proportions times ``n_samples``, rounded by largest
        remainder. The estimator is not modified: the same call gives the same rows.

        Parameters
        ----------
        n_samples : int
            Number of rows (>= 0).
        random_state : int, RandomState instance or None, default=None
            Seed of this draw; ``None`` uses a seed fixed at fit time.

        Returns
        -------
        X_syn : DataFrame or ndarray of shape (n_samples, n_features)
            Same columns, dtypes and categories as the training ``X``.
        y_syn : Series or ndarray of shape (n_samples,)
            Labels among :attr:`classes_`, in the container of the training ``y``.
        """
        check_is_fitted(self, "schema_")
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 0:
            raise ValueError(f"n_samples must be a non-negative integer, got {n_samples!r}.")
        seed = self._sample_seed if random_state is None else check_random_state(
            random_state).randint(_SEED_MAX)
        rng = np.random.RandomState(seed)
        n_samples = int(n_samples)
        counts = _largest_remainder(n_samples, self.class_prior_)
        if n_samples:
            Z, t = self._sample_codes(counts, rng)
            order = rng.permutation(n_samples)
            Z, t = Z[order], t[order]
        else:
            Z, t = np.empty((0, self.schema_.n_features)), np.empty(0, dtype=np.int64)
        for j, rate in enumerate(self.missing_rate_):
            k = int(round(rate * n_samples))
            if k > 0:
                Z[rng.choice(n_samples, size=k, replace=False), j] = np.nan
        return self.schema_.decode(Z), self._restore_y(self.classes_[t])

    # ------------------------------------------------------------------ resample
    def fit_resample(self, X, y):
        """Fit, then return the real rows plus a ``synthetic_ratio`` share of synthetic rows.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        X_resampled : DataFrame or ndarray
            All real rows first, then ``round(r / (1 - r) * n_samples)`` synthetic rows, with
            r = ``synthetic_ratio``; at r = 1 only ``n_samples`` synthetic rows, at r = 0 the
            real ``X`` as given.
        y_resampled : Series or ndarray
            Labels.
        """
        return resample_with_ratio(self, X, y)

    # ------------------------------------------------------------------ helpers
    def _numeric_columns(self):
        return np.flatnonzero(~self.schema_.categorical_mask)

    def _categorical_columns(self):
        return np.flatnonzero(self.schema_.categorical_mask)


class NoiseAugmenter(_BaseTableAugmenter):
    """Gaussian jitter around real rows: the simplest augmentation baseline.

    Each synthetic row copies a real row of the same class (drawn uniformly), adds Gaussian noise
    of standard deviation ``noise_scale`` times the column's standard deviation to every numeric
    and integer column, and redraws each categorical or boolean value with probability
    ``categorical_resample`` from the column's level frequencies within the class. The label is
    the copied row's label.

    Parameters
    ----------
    noise_scale : float, default=0.1
        Noise standard deviation in units of each numeric column's standard deviation.
    categorical_resample : float in [0, 1], default=0.1
        Probability of redrawing a categorical value.
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
        Share of missing values per column, re-applied in samples.
    schema_ : TableSchema
        Column kinds, levels and dtypes of the training table.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`; only when ``X`` has string column names.

    See Also
    --------
    SMOTEAugmenter : Interpolation between neighbours.
    GaussianCopulaAugmenter : A joint model of all columns and the label.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix.augment._baselines import NoiseAugmenter
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=40), "c": rng.choice(["u", "v"], 40)})
    >>> y = (X["a"] > 0).astype(int)
    >>> aug = NoiseAugmenter(random_state=0).fit(X, y)
    >>> X_syn, y_syn = aug.sample(10)
    >>> X_syn.shape, sorted(set(X_syn["c"]) - {"u", "v"})
    ((10, 2), [])
    >>> len(aug.set_params(synthetic_ratio=0.2).fit_resample(X, y)[0])
    50
    """

    _parameter_constraints: dict = {
        **_BaseTableAugmenter._parameter_constraints,
        "noise_scale": [Interval(Real, 0, None, closed="left")],
        "categorical_resample": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, *, noise_scale=0.1, categorical_resample=0.1, synthetic_ratio=0.5,
                 random_state=None):
        self.noise_scale = noise_scale
        self.categorical_resample = categorical_resample
        self.synthetic_ratio = synthetic_ratio
        self.random_state = random_state

    def _fit_codes(self, Z, t, rng):
        self._Z, self._t = Z, t
        self._scale = Z.std(axis=0)

    def _sample_codes(self, counts, rng):
        rows = np.concatenate([
            rng.choice(np.flatnonzero(self._t == c), size=k, replace=True)
            for c, k in enumerate(counts) if k > 0
        ])
        Z, t = self._Z[rows].copy(), self._t[rows].copy()
        numeric = self._numeric_columns()
        Z[:, numeric] += rng.normal(size=(len(rows), len(numeric))) * (
            self.noise_scale * self._scale[numeric])
        for j in self._categorical_columns():
            redraw = rng.uniform(size=len(rows)) < self.categorical_resample
            for c in np.unique(t[redraw]):
                where = np.flatnonzero(redraw & (t == c))
                pool = self._Z[self._t == c, j]
                Z[where, j] = pool[rng.randint(len(pool), size=len(where))]
        return Z, t


class SMOTEAugmenter(_BaseTableAugmenter):
    """SMOTE-style interpolation within each class.

    A synthetic row of class ``c`` lies on the segment between a random real row of class ``c``
    and one of its ``k_neighbors`` nearest neighbours of the same class: numeric columns are
    interpolated, categorical ones are taken from one of the two rows. Distances use
    standardised numeric columns plus, for each categorical mismatch, the median standard
    deviation of the numeric columns (the SMOTE-NC rule of Chawla et al., 2002).

    Parameters
    ----------
    k_neighbors : int, default=5
        Neighbours per row (fewer for a class with at most ``k_neighbors`` rows).
    backend : {"auto", "imblearn", "own"}, default="auto"
        ``"imblearn"`` uses imbalanced-learn's ``SMOTENC`` (``SMOTE`` when every column is
        numeric), which takes a categorical value from the most frequent level among the
        neighbours; ``"own"`` uses this module's implementation, which takes it from the
        nearer end of the segment; ``"auto"`` picks imbalanced-learn when it is installed.
        Tables imbalanced-learn cannot handle (only categorical columns, a class with a single
        row) fall back to ``"own"``; :attr:`backend_` tells which ran.
    synthetic_ratio : float in [0, 1], default=0.5
        Share of synthetic rows in the output of :meth:`fit_resample`.
    random_state : int, RandomState instance or None, default=None
        Seed of :meth:`sample` (through a seed drawn at fit time).

    Attributes
    ----------
    backend_ : {"imblearn", "own"}
        The implementation that :meth:`sample` uses.
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

    References
    ----------
    .. [1] Chawla, Bowyer, Hall & Kegelmeyer (2002). "SMOTE: Synthetic Minority Over-sampling
       Technique". JAIR 16, 321-357.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix.augment._baselines import SMOTEAugmenter
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    >>> y = (X["a"] > 0).astype(int)
    >>> aug = SMOTEAugmenter(backend="own", random_state=0).fit(X, y)
    >>> X_syn, y_syn = aug.sample(20)
    >>> bool(((X_syn["a"] > 0) == (y_syn == 1)).all())   # interpolation stays within the class
    True
    """

    _parameter_constraints: dict = {
        **_BaseTableAugmenter._parameter_constraints,
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
        "backend": [StrOptions({"auto", "imblearn", "own"})],
    }

    def __init__(self, *, k_neighbors=5, backend="auto", synthetic_ratio=0.5, random_state=None):
        self.k_neighbors = k_neighbors
        self.backend = backend
        self.synthetic_ratio = synthetic_ratio
        self.random_state = random_state

    def _fit_codes(self, Z, t, rng):
        have_imblearn = importlib.util.find_spec("imblearn") is not None
        if self.backend == "imblearn" and not have_imblearn:
            raise ImportError(
                "SMOTEAugmenter(backend='imblearn') needs imbalanced-learn; install it with "
                "`pip install \"sklearn-causalmix[compare]\"` or use backend='own'."
            )
        numeric = self._numeric_columns()
        min_class = np.bincount(t).min()
        usable = len(numeric) > 0 and min_class >= 2
        self.backend_ = "imblearn" if self.backend != "own" and have_imblearn and usable else "own"
        self._Z, self._t = Z, t
        scale = Z[:, numeric].std(axis=0) if len(numeric) else np.ones(0)
        scale[scale == 0] = 1.0
        self._num_scale = scale
        if self.backend_ == "own":
            self._neighbours = {c: self._class_neighbours(np.flatnonzero(t == c))
                                for c in range(len(self.classes_))}

    def _class_neighbours(self, rows):
        """Indices (into ``rows``) of each row's nearest neighbours within its class."""
        if len(rows) < 2:
            return np.zeros((len(rows), 0), dtype=np.intp)
        numeric, categorical = self._numeric_columns(), self._categorical_columns()
        A = self._Z[rows][:, numeric] / self._num_scale
        d = ((A[:, None, :] - A[None, :, :]) ** 2).sum(axis=2)
        if len(categorical):
            C = self._Z[rows][:, categorical]
            # The numeric columns are standardised (unit std), so the SMOTE-NC penalty, the median
            # numeric std, is 1 per categorical mismatch.
            d = d + (C[:, None, :] != C[None, :, :]).sum(axis=2)
        np.fill_diagonal(d, np.inf)
        k = min(self.k_neighbors, len(rows) - 1)
        return np.argsort(d, axis=1, kind="stable")[:, :k]

    def _sample_codes(self, counts, rng):
        if self.backend_ == "imblearn":
            return self._sample_imblearn(counts, rng)
        parts_Z, parts_t = [], []
        categorical = self._categorical_columns()
        for c, k in enumerate(counts):
            if k == 0:
                continue
            rows = np.flatnonzero(self._t == c)
            neighbours = self._neighbours[c]
            base = rng.randint(len(rows), size=k)
            if neighbours.shape[1] == 0:  # a single row: nothing to interpolate with
                parts_Z.append(self._Z[rows[base]].copy())
            else:
                other = neighbours[base, rng.randint(neighbours.shape[1], size=k)]
                gap = rng.uniform(size=(k, 1))
                start, end = self._Z[rows[base]], self._Z[rows[other]]
                Z = start + gap * (end - start)
                if len(categorical):
                    take_end = gap[:, 0] >= 0.5
                    Z[:, categorical] = np.where(take_end[:, None], end[:, categorical],
                                                 start[:, categorical])
                parts_Z.append(Z)
            parts_t.append(np.full(k, c, dtype=np.int64))
        return np.concatenate(parts_Z), np.concatenate(parts_t)

    def _sample_imblearn(self, counts, rng):
        from imblearn.over_sampling import SMOTE, SMOTENC

        categorical = self._categorical_columns()
        current = np.bincount(self._t, minlength=len(self.classes_))
        strategy = {c: int(current[c] + counts[c]) for c in range(len(counts)) if counts[c] > 0}
        k = int(min(self.k_neighbors, current.min() - 1))
        seed = int(rng.randint(_SEED_MAX))
        if len(categorical):
            sampler = SMOTENC(categorical_features=list(categorical), sampling_strategy=strategy,
                              k_neighbors=k, random_state=seed)
        else:
            sampler = SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
        Z_res, t_res = sampler.fit_resample(self._Z, self._t)
        n_real = len(self._t)
        Z_new = np.asarray(Z_res[n_real:], dtype=np.float64)
        return Z_new, np.asarray(t_res[n_real:], dtype=np.int64)


class GaussianCopulaAugmenter(_BaseTableAugmenter):
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

    Parameters
    ----------
    shrinkage : float in [0, 1], default=0.05
        Weight of the identity in the correlation estimate.
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
    >>> from sklearn_causalmix.augment._baselines import GaussianCopulaAugmenter
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
        **_BaseTableAugmenter._parameter_constraints,
        "shrinkage": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, *, shrinkage=0.05, synthetic_ratio=0.5, random_state=None):
        self.shrinkage = shrinkage
        self.synthetic_ratio = synthetic_ratio
        self.random_state = random_state

    def _fit_codes(self, Z, t, rng):
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

    def _sample_codes(self, counts, rng):
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


class CTGANAugmenter(_BaseTableAugmenter):
    """Adapter to the conditional tabular GAN of the ``ctgan`` package (an optional extra).

    The label is one more discrete column of the GAN; ``sample`` asks the GAN for each class in
    turn through its conditional vector and keeps the requested label on every row. ``ctgan``
    requires ``pandas<3`` and is not a dependency of this package: install it in an environment
    where it fits, e.g. ``pip install ctgan``.

    Parameters
    ----------
    epochs : int, default=100
        Training epochs of the GAN.
    synthetic_ratio : float in [0, 1], default=0.5
        Share of synthetic rows in the output of :meth:`fit_resample`.
    random_state : int, RandomState instance or None, default=None
        Seeds the GAN (through torch and numpy) and :meth:`sample`.

    Attributes
    ----------
    model_ : ctgan.CTGAN
        The fitted GAN.
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

    Examples
    --------
    >>> from sklearn_causalmix.augment._baselines import CTGANAugmenter
    >>> CTGANAugmenter(epochs=10).epochs
    10
    """

    _parameter_constraints: dict = {
        **_BaseTableAugmenter._parameter_constraints,
        "epochs": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, epochs=100, synthetic_ratio=0.5, random_state=None):
        self.epochs = epochs
        self.synthetic_ratio = synthetic_ratio
        self.random_state = random_state

    def _fit_codes(self, Z, t, rng):
        try:
            ctgan = importlib.import_module("ctgan")
        except ImportError as exc:
            raise ImportError(
                "CTGANAugmenter needs the 'ctgan' package, which is not installed (it requires "
                "pandas<3); install it with `pip install ctgan` in a compatible environment."
            ) from exc
        import torch

        names = [f"c{j}" for j in range(Z.shape[1])] + ["label"]
        frame = pd.DataFrame(np.column_stack([Z, t]), columns=names)
        discrete = [f"c{j}" for j in self._categorical_columns()] + ["label"]
        for name in discrete:
            frame[name] = frame[name].astype(np.int64)
        seed = int(rng.randint(_SEED_MAX))
        torch.manual_seed(seed)
        np.random.seed(seed % (2**32))
        model = ctgan.CTGAN(epochs=self.epochs)
        model.fit(frame, discrete_columns=discrete)
        self.model_ = model
        self._names = names

    def _sample_codes(self, counts, rng):
        import torch

        parts_Z, parts_t = [], []
        for c, k in enumerate(counts):
            if k == 0:
                continue
            torch.manual_seed(int(rng.randint(_SEED_MAX)))
            frame = self.model_.sample(int(k), condition_column="label", condition_value=int(c))
            parts_Z.append(frame[self._names[:-1]].to_numpy(dtype=np.float64))
            parts_t.append(np.full(int(k), c, dtype=np.int64))
        return np.concatenate(parts_Z), np.concatenate(parts_t)
