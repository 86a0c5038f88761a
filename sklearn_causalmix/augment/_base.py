"""BaseAugmenter: the validation, containers, imputation, seeding and row counts of every augmenter.

Shaped like imbalanced-learn's ``BaseSampler``: the public ``fit``, ``sample`` and ``fit_resample``
live here and do the bookkeeping once, and an augmenter implements two small hooks:

- ``_fit(table, rng)`` learns from an :class:`EncodedTable` (numbers and level codes with missing
  values imputed, class codes), drawing randomness only from ``rng``;
- ``_sample(counts, rng)`` returns ``(Z, t)``: ``counts[c]`` encoded rows of class ``c`` without
  missing values, in any order.

The base checks the target and the table, imputes missing values (median for numeric and integer
columns, most frequent level otherwise), sets the fitted attributes shared by every augmenter,
allocates the class counts of a sample by largest remainder, shuffles, re-applies missing values
at the observed rate, and returns samples in the containers and dtypes of the training data.
"""

from __future__ import annotations

import dataclasses
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils._tags import InputTags, Tags
from sklearn.utils.validation import check_consistent_length, check_is_fitted, validate_data

from sklearn_causalmix._core import (
    TableSchema,
    check_target,
    keep_state_on_failure,
    largest_remainder,
    restore_target,
    spawn_seeds,
)
from sklearn_causalmix.augment._identifiers import IdentifierColumns
from sklearn_causalmix.augment._resample import resample_with_ratio

__all__ = ["BaseAugmenter", "EncodedTable", "as_pandas"]


@dataclasses.dataclass(slots=True)
class _SamplerTags:
    """Mirror of imbalanced-learn's sampler tags (imbalanced-learn is not a dependency)."""

    sample_indices: bool = False


@dataclasses.dataclass(slots=True)
class _AugmenterInputTags(InputTags):
    """sklearn input tags plus imbalanced-learn's ``dataframe`` flag."""

    dataframe: bool = True


@dataclasses.dataclass(slots=True)
class _AugmenterTags(Tags):
    """sklearn tags plus imbalanced-learn's ``sampler_tags`` (read by its pipeline and checks)."""

    sampler_tags: _SamplerTags | None = None


def _init_fields(tags):
    """The constructor arguments that rebuild the dataclass instance ``tags`` as it is."""
    return {f.name: getattr(tags, f.name) for f in dataclasses.fields(tags) if f.init}


@dataclasses.dataclass
class EncodedTable:
    """The training table as an augmenter's ``_fit`` sees it.

    Attributes
    ----------
    schema : TableSchema
        Column kinds, levels and dtypes.
    codes : ndarray of shape (n_samples, n_features)
        Numbers and level codes, missing values imputed.
    missing : ndarray of bool of shape (n_samples, n_features)
        Where the training table had missing values.
    fill : ndarray of shape (n_features,)
        The value imputed in each column.
    target : ndarray of int of shape (n_samples,)
        Class codes (indices into ``classes``).
    classes : ndarray of shape (n_classes,)
        Class labels.
    target_name : object
        ``y.name`` of a Series (or the column of a one-column DataFrame); None otherwise.
    """

    schema: TableSchema
    codes: np.ndarray
    missing: np.ndarray
    fill: np.ndarray
    target: np.ndarray
    classes: np.ndarray
    target_name: object


def as_pandas(X):
    """A polars (or other) data frame with ``to_pandas()`` as a pandas DataFrame; else ``X``.

    Column names survive, and the augmenters then return pandas DataFrames.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._base import as_pandas
    >>> as_pandas(np.zeros((1, 2))).shape
    (1, 2)
    """
    if isinstance(X, (pd.DataFrame, pd.Series, np.ndarray)) or not hasattr(X, "to_pandas"):
        return X
    if not hasattr(X, "columns"):
        return X
    return X.to_pandas()


def _impute_values(codes, missing, schema):
    """Median of each numeric column, most frequent code of each categorical one."""
    fill = np.empty(schema.n_features)
    for j, spec in enumerate(schema.columns):
        observed = codes[~missing[:, j], j]
        if spec.is_categorical:
            fill[j] = np.bincount(observed.astype(np.int64)).argmax()
        else:
            fill[j] = np.median(observed)
    return fill


class BaseAugmenter(OneToOneFeatureMixin, BaseEstimator):
    """Base class of the augmenters: ``fit``, ``sample`` and ``fit_resample`` around two hooks.

    Subclasses implement ``_fit(table, rng)`` and ``_sample(counts, rng)`` (see the module
    docstring), declare their parameters in ``__init__`` and ``_parameter_constraints``, and
    may raise ``_min_samples``. Not meant to be used directly.

    Examples
    --------
    >>> from sklearn_causalmix.augment import NoiseAugmenter
    >>> from sklearn_causalmix.augment._base import BaseAugmenter
    >>> issubclass(NoiseAugmenter, BaseAugmenter)
    True
    """

    _parameter_constraints: dict = {
        "synthetic_ratio": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    }

    #: Smallest number of training rows, and why (appended to the error message).
    _min_samples = 2
    _min_samples_reason = ""

    #: Whether identifier-like DataFrame columns are set aside and regenerated (see
    #: :mod:`._identifiers`); sets ``identifier_features_``.
    _handles_identifiers = False

    def __sklearn_tags__(self):
        parent = super().__sklearn_tags__()
        tags = _AugmenterTags(**_init_fields(parent), sampler_tags=_SamplerTags())
        tags.input_tags = _AugmenterInputTags(**_init_fields(parent.input_tags), dataframe=True)
        tags.estimator_type = "sampler"
        tags.target_tags.required = True
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.input_tags.sparse = False
        return tags

    # ------------------------------------------------------------------------------- fit
    def _validate_X(self, X):
        """sklearn-style validation (sets n_features_in_/feature_names_in_); returns the table."""
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=True, skip_check_array=True)
            if X.shape[1] == 0:
                raise ValueError(
                    f"0 feature(s) (shape={X.shape}) while a minimum of 1 is required."
                )
            if X.shape[0] == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is "
                    "required."
                )
            return X
        if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
            raise TypeError(
                f"Sparse input is not supported by {type(self).__name__}; convert it with "
                "`X.toarray()` (categorical codes and missing values need a dense table)."
            )
        return validate_data(
            self, X, reset=True, dtype=None, ensure_all_finite="allow-nan", ensure_2d=True
        )

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_state_on_failure
    def fit(self, X, y):
        """Fit the generator on a labelled table.

        On failure the estimator is left as it was before the call (no half-fitted state).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features: numeric, integer, boolean or categorical (strings / ``category``) columns;
            a polars data frame (anything with ``to_pandas()`` and ``columns``) is converted
            to pandas, and samples are then pandas DataFrames;
            missing values allowed (imputed for fitting and re-applied at random, at the
            observed rate, in samples).
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            Fitted augmenter.

        Examples
        --------
        Every augmenter of :mod:`sklearn_causalmix.augment` has this ``fit``; two of them here:

        >>> import numpy as np
        >>> from sklearn_causalmix.augment import CausalSCMAugmenter, NoiseAugmenter
        >>> X, y = np.random.RandomState(0).normal(size=(40, 2)), np.arange(40) % 2
        >>> for augmenter in (CausalSCMAugmenter(n_bootstrap=2, n_graphs=2, random_state=0),
        ...                   NoiseAugmenter(random_state=0)):
        ...     print(type(augmenter).__name__, augmenter.fit(X, y).classes_)
        CausalSCMAugmenter [0 1]
        NoiseAugmenter [0 1]
        """
        name = type(self).__name__
        X, y = as_pandas(X), as_pandas(y)
        labels, info = check_target(y, name)
        X = self._validate_X(X)
        check_consistent_length(X, labels)
        classes, target = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has one class ({classes[0]!r}); {name} needs at least two classes."
            )
        if len(labels) < self._min_samples:
            raise ValueError(
                f"{name} needs at least {self._min_samples} samples{self._min_samples_reason}, "
                f"got {len(labels)} sample(s); collect more rows."
            )
        identifiers = IdentifierColumns.none()
        if self._handles_identifiers:
            identifiers, X = IdentifierColumns.split(X)
            self.identifier_features_ = identifiers.names
        self._identifiers = identifiers
        schema = TableSchema.from_data(X)
        codes = schema.encode(X)
        missing = np.isnan(codes)
        fill = _impute_values(codes, missing, schema)
        self.schema_ = schema
        self.classes_ = classes
        self.class_prior_ = np.bincount(target, minlength=len(classes)) / len(labels)
        self.missing_rate_ = missing.mean(axis=0)
        self._target_info = info
        rng = check_random_state(self.random_state)
        table = EncodedTable(
            schema=schema,
            codes=np.where(missing, fill, codes),
            missing=missing,
            fill=fill,
            target=target.astype(np.int64),
            classes=classes,
            target_name=info.name,
        )
        self._fit(table, rng)
        self._sample_seed = spawn_seeds(rng, 1)[0]
        return self

    # ------------------------------------------------------------------------------- sample
    def _sample_rng(self, random_state):
        """The generator of one ``sample`` call (see :meth:`sample`)."""
        if random_state is not None:
            return np.random.RandomState(spawn_seeds(check_random_state(random_state), 1)[0])
        if self.random_state is None:
            return np.random.RandomState()  # fresh entropy: new rows on every call
        return np.random.RandomState(self._sample_seed)

    def _reapply_missing(self, Z, t, rng):
        """Blank each column completely at random at its training missing rate."""
        n_samples = len(Z)
        for j, rate in enumerate(self.missing_rate_):
            k = int(round(rate * n_samples))
            if k > 0:
                Z[rng.choice(n_samples, size=k, replace=False), j] = np.nan
        return Z

    def sample(self, n_samples, *, random_state=None):
        """Draw synthetic labelled rows.

        Class counts are the training proportions times ``n_samples``, rounded by largest
        remainder (unless an augmenter documents otherwise). The estimator is not modified.
        Reproducibility: with ``random_state`` given here, or an estimator built with a
        ``random_state`` other than None, the same call gives the same rows; with both None,
        every call draws new rows.

        Parameters
        ----------
        n_samples : int
            Number of rows (>= 0).
        random_state : int, RandomState instance or None, default=None
            Seed of this draw. ``None`` uses a seed fixed at fit time from the estimator's
            ``random_state``, or fresh entropy when that is None too.

        Returns
        -------
        X_syn : DataFrame or ndarray of shape (n_samples, n_features)
            Same columns, dtypes and categories as the training ``X`` (integer columns stay
            integer, categorical columns hold only seen levels); a DataFrame when ``X`` was one.
        y_syn : Series, DataFrame or ndarray of shape (n_samples,)
            Labels among ``classes_``, in the container, name and dtype of the training ``y``.

        Examples
        --------
        Every augmenter of :mod:`sklearn_causalmix.augment` has this ``sample``; with a
        ``random_state``, the same call gives the same rows, without one new rows:

        >>> import numpy as np
        >>> from sklearn_causalmix.augment import CausalSCMAugmenter, NoiseAugmenter
        >>> X, y = np.random.RandomState(0).normal(size=(40, 2)), np.arange(40) % 2
        >>> for seed in (0, None):
        ...     for augmenter in (CausalSCMAugmenter(n_bootstrap=2, n_graphs=2, random_state=seed),
        ...                       NoiseAugmenter(random_state=seed)):
        ...         fitted = augmenter.fit(X, y)
        ...         same = bool((fitted.sample(5)[0] == fitted.sample(5)[0]).all())
        ...         print(type(augmenter).__name__, f"random_state={seed}:", same)
        CausalSCMAugmenter random_state=0: True
        NoiseAugmenter random_state=0: True
        CausalSCMAugmenter random_state=None: False
        NoiseAugmenter random_state=None: False
        """
        check_is_fitted(self, "schema_")
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 0:
            raise ValueError(f"n_samples must be a non-negative integer, got {n_samples!r}.")
        n_samples = int(n_samples)
        counts = largest_remainder(n_samples, self.class_prior_) if n_samples else None
        return self._draw(counts, random_state)

    def _draw(self, counts, random_state=None, *, exact=False, sampler=None):
        """``counts[c]`` rows of class ``c`` (None: no row) in the training containers.

        With ``exact``, ``_sample_exact`` draws them (an augmenter that may return other class
        counts from ``_sample`` must meet ``counts`` there); ``sampler(counts, rng)`` replaces
        both when given.
        """
        rng = self._sample_rng(random_state)
        if counts is not None and np.sum(counts):
            draw = sampler or (self._sample_exact if exact else self._sample)
            Z, t = draw(np.asarray(counts, dtype=np.int64), rng)
            order = rng.permutation(len(t))
            Z, t = np.array(Z[order], dtype=np.float64), np.asarray(t[order], dtype=np.int64)
        else:
            Z, t = np.empty((0, self.schema_.n_features)), np.empty(0, dtype=np.int64)
        Z = self._reapply_missing(Z, t, rng)
        X_syn = self._identifiers.insert(self.schema_.decode(Z))
        return X_syn, restore_target(self.classes_[t], self._target_info)

    def _sample_exact(self, counts, rng):
        return self._sample(counts, rng)

    # ------------------------------------------------------------------------------- resample
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
        X_resampled : DataFrame, ndarray or list
            Real rows first (all of them, unchanged), then ``round(r / (1 - r) * n_samples)``
            synthetic rows, r = ``synthetic_ratio``. At r = 1 only ``n_samples`` synthetic rows;
            at r = 0 the real ``X`` as given. Same container as ``X`` (DataFrames get a fresh
            ``RangeIndex``).
        y_resampled : Series, DataFrame, ndarray or list
            Labels, in the container of ``y``.

        Examples
        --------
        Every augmenter of :mod:`sklearn_causalmix.augment` has this ``fit_resample``; 60 real
        rows at ``synthetic_ratio=0.25`` gain 20 synthetic ones:

        >>> import numpy as np
        >>> from sklearn_causalmix.augment import CausalSCMAugmenter, NoiseAugmenter
        >>> X, y = np.random.RandomState(0).normal(size=(60, 2)), np.arange(60) % 2
        >>> for augmenter in (CausalSCMAugmenter(n_bootstrap=2, n_graphs=2, random_state=0),
        ...                   NoiseAugmenter(random_state=0)):
        ...     X_res, y_res = augmenter.set_params(synthetic_ratio=0.25).fit_resample(X, y)
        ...     print(type(augmenter).__name__, X_res.shape, bool((X_res[:60] == X).all()))
        CausalSCMAugmenter (80, 2) True
        NoiseAugmenter (80, 2) True
        """
        return resample_with_ratio(self, as_pandas(X), as_pandas(y))

    # ------------------------------------------------------------------------------- helpers
    def _numeric_columns(self):
        return np.flatnonzero(~self.schema_.categorical_mask)

    def _categorical_columns(self):
        return np.flatnonzero(self.schema_.categorical_mask)
