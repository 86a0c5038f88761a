"""Zero-shot prediction: a pretrained backbone as a plain scikit-learn classifier (context = training rows)."""

from __future__ import annotations

import contextlib
import warnings
from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_causalmix._core import (
    TableSchema,
    TabularClassifierMixin,
    check_2d_table,
    check_no_missing_labels,
    encode_labels,
    keep_state_on_failure,
    stacklevel_outside_package,
    uses_package_threads,
)
from sklearn_causalmix.backbones._base import TabularBackbone, get_backbone
from sklearn_causalmix.backbones._device import cpu_state, resolve_device
from sklearn_causalmix.backbones._inference import (
    InContextEnsemble,
    free_accelerator_memory,
    is_out_of_memory,
)
from sklearn_causalmix.backbones._levels import LevelCodes
from sklearn_causalmix.backbones._local import LocalEnsemble, split_context
from sklearn_causalmix.evaluation import apply_temperature, fit_temperature

__all__ = ["InContextClassifier"]

#: fit_mode="auto" caches the encoded context when it is estimated to take at most this many bytes.
_AUTO_CACHE_LIMIT = 2**30


class InContextClassifier(TabularClassifierMixin, ClassifierMixin, BaseEstimator):
    """A pretrained tabular foundation model used zero-shot: the training rows are its context.

    ``fit`` only validates and stores the (encoded) training rows; ``predict_proba`` runs the backbone with
    them as labelled context and the new rows as queries. No weight is changed.
    :class:`~sklearn_causalmix.CausalMixFTClassifier` with ``max_steps=0`` reduces to this estimator.

    Parameters
    ----------
    backbone : str or callable, default="default"
        A registered backbone name (see :func:`~sklearn_causalmix.backbones.list_backbones`) or a factory
        returning a :class:`~sklearn_causalmix.backbones.TabularBackbone`. ``"default"`` is the embedded
        pretrained model, loaded offline from the package.
    n_estimators : int, default=4
        Ensemble members; all but the first see randomly permuted class codes and feature order.
    feature_subset_size : "auto", int or None, default="auto"
        Widest table one pass of the backbone reads: each member splits wider tables (after its own feature
        permutation, so members split differently) into the fewest even subsets of at most this many
        columns, and averages their logits. ``"auto"``: the widest table the weights were pretrained on
        (24 features for the embedded weights; a backbone that does not record it reads up to its limit).
        Smaller values give more, narrower subsets: often more accurate, at a cost that grows with the
        number of subsets. None: only the backbone's limit ``limits.max_features`` splits (the behaviour
        before 0.2.0). Backbones that cannot split (the TabICL and TabPFN adapters) take
        ``"auto"`` or None.
    max_context_rows : int, default=None
        Largest context; larger training sets are subsampled or split, as ``context`` says. None uses the
        backbone's ``limits.max_context_rows``.
    context : {"subsample", "bagged", "local"}, default="subsample"
        How a training set larger than ``max_context_rows`` serves as context (all are the same when it fits):

        - ``"subsample"``: one stratified, seeded subsample of ``max_context_rows`` rows for every prediction.
        - ``"bagged"``: every ensemble member its own stratified subsample of ``max_context_rows`` rows, so that
          the ensemble sees up to ``n_estimators`` times more of the table at the cost of ``"subsample"``
          (bagging the context).
        - ``"local"``: local contexts, the retrieval of LoCalPFN made affordable: k-means groups the training
          rows into ``ceil(2 * n / max_context_rows)`` clusters (at most 32), the context of a cluster is the
          ``max_context_rows`` training rows nearest its centre, and every row is predicted with the context of
          its nearest centre (distances: numeric columns standardised, categorical ones one-hot). Every training
          row then serves some prediction; each context is encoded once per ensemble member.
    device : str, default="auto"
        ``"auto"`` (CUDA, then MPS, then CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...
    random_state : int, RandomState instance or None, default=None
        Seeds the ensemble's permutations, the context subsample and the local contexts' k-means.
    handle_unknown : {"missing", "error"}, default="missing"
        Categorical levels not seen in ``fit`` (the normal case under domain shift): ``"missing"``
        encodes them as missing values (NaN), as HistGradientBoosting does, with one
        ``UnseenLevelWarning`` per call naming the columns and counts; ``"error"`` raises a
        ``ValueError``.
    fit_mode : {"auto", "fit_with_cache", "low_memory"}, default="auto"
        What ``fit`` prepares for prediction (the probabilities are the same in every mode):

        - ``"fit_with_cache"``: ``fit`` runs the context rows through the backbone once for all ensemble
          members (batched as independent tasks) and keeps the result (for the embedded model every layer's
          keys and values of the context rows); a prediction then only runs its own rows. The memory it
          holds is :attr:`cache_nbytes_` (dropped from pickles and rebuilt by the first prediction after
          loading).
        - ``"low_memory"``: nothing is kept; every prediction runs the context again, one ensemble member
          after another (the least memory, slowest).
        - ``"auto"``: ``"fit_with_cache"`` when the cache is estimated at most 1 GiB (e.g. 1,000 rows x 20
          features x 4 members with the embedded model take about half of that), else ``"low_memory"``.
    calibration : {None, "temperature"}, default=None
        ``"temperature"``: one temperature :math:`T` (:attr:`temperature_`) fitted by log-loss on out-of-fold
        predictions of the training rows — each fold predicted in context from the other folds (at most 5
        folds, stratified) — and applied to every prediction (:func:`~sklearn_causalmix.evaluation.apply_temperature`).
        It leaves the ranking within each class column, so a binary ROC-AUC, unchanged.

    Notes
    -----
    A ``fit`` that raises leaves the estimator as it was before the call: a fitted estimator keeps
    its previous fitted state, an unfitted one stays unfitted.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen in ``fit``; defined only when ``X`` has string column names.
    schema_ : TableSchema
        Column kinds and categories seen in ``fit`` (any number of levels; columns with no observed value
        are kept, all missing).
    level_codes_ : LevelCodes
        How categorical columns with more than 50 levels are coded for the backbone: the 49 most frequent
        training levels by frequency rank, every rarer level grouped into one code.
    backbone_ : TabularBackbone
        The loaded backbone.
    device_ : torch.device
        Device the backbone runs on.
    context_X_, context_y_ : ndarray
        The encoded context rows and their class codes (with ``context="subsample"``, a stratified subsample when
        the training set is larger than the context limit; with ``"bagged"``, every training row, of which each
        member sees its own subsample).
    local_contexts_ : LocalContexts or None
        With ``context="local"`` and more training rows than the context limit: the clusters and the rows of
        ``context_X_`` in each local context (attributes ``groups_``, ``kmeans_``); else None.
    fit_mode_ : {"fit_with_cache", "low_memory"}
        The mode in use (``fit_mode`` with ``"auto"`` resolved).
    cache_nbytes_ : int
        Bytes held by the cached context (0 with ``"low_memory"``).
    temperature_ : float
        The temperature applied to the probabilities (1.0 without ``calibration``).
    feature_subset_size_ : int or None
        ``feature_subset_size`` resolved: the widest feature subset of one pass (None: the backbone's limit, or a
        backbone that reads every column at once).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn_causalmix.backbones import InContextClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = InContextClassifier(n_estimators=1, device="cpu").fit(X_train, y_train)
    >>> clf.score(X_test, y_test) > 0.85
    True
    """

    _parameter_constraints: dict = {
        "backbone": [str, callable],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "feature_subset_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left"), None],
        "max_context_rows": [Interval(Integral, 2, None, closed="left"), None],
        "device": [StrOptions({"auto", "cpu", "cuda", "mps"}), str, torch.device],
        "random_state": ["random_state"],
        "handle_unknown": [StrOptions({"missing", "error"})],
        "fit_mode": [StrOptions({"auto", "fit_with_cache", "low_memory"})],
        "calibration": [None, StrOptions({"temperature"})],
        "context": [StrOptions({"subsample", "bagged", "local"})],
    }

    def __init__(
        self,
        backbone="default",
        *,
        n_estimators=4,
        feature_subset_size="auto",
        max_context_rows=None,
        context="subsample",
        device="auto",
        random_state=None,
        handle_unknown="missing",
        fit_mode="auto",
        calibration=None,
    ):
        self.backbone = backbone
        self.n_estimators = n_estimators
        self.feature_subset_size = feature_subset_size
        self.max_context_rows = max_context_rows
        self.context = context
        self.device = device
        self.random_state = random_state
        self.handle_unknown = handle_unknown
        self.fit_mode = fit_mode
        self.calibration = calibration

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_state_on_failure
    @uses_package_threads
    def fit(self, X, y):
        """Validate and store the training rows as the prediction context.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric, integer, boolean and categorical (string / category) columns; NaN = missing.
        y : array-like of shape (n_samples,)
            Class labels (any hashable values).

        Returns
        -------
        self : InContextClassifier
        """
        return self._fit(X, y)

    def _fit(self, X, y, **fit_params):
        """The one ``fit`` of the in-context classifiers: subclasses change it through the hooks below.

        1. validate and encode the table, resolve the device, draw the random streams (:meth:`_random_streams`);
        2. inside :meth:`_fit_scope`: build the backbone, check it, check and encode the labels;
        3. :meth:`_fit_backbone` returns the backbone to predict with (here: as built; the fine-tuner
           fine-tunes it);
        4. keep the context for prediction (a stratified subsample of the training rows, or local contexts) and
           encode it.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None; pass the class labels."
            )
        # sklearn's own checks (shapes, empty or complex data, feature names) on an object view; the table
        # itself is read by the schema, which keeps column kinds and categories.
        check_2d_table(X)
        validate_data(self, X, dtype=None, ensure_all_finite=False)
        # any number of levels (high-cardinality columns are recoded for the model below); a column with no
        # observed value (e.g. in one cross-validation fold) is all missing, as it may be at prediction
        schema = TableSchema.from_data(X, max_categories=np.inf, allow_all_missing=True)
        Z = schema.encode(X)
        self.schema_, self.level_codes_ = schema, LevelCodes.fit(Z, schema.categorical_mask)
        Z = self.level_codes_.transform(Z)
        device = resolve_device(self.device)
        context_random_state, seeds = self._random_streams()
        with self._fit_scope(device, seeds):
            backbone = get_backbone(self.backbone)
            self._check_backbone(backbone, Z.shape[1])
            subset_size = backbone.use_feature_subsets(self.feature_subset_size)
            check_no_missing_labels(y)
            encoder, codes = encode_labels(y, len(Z), backbone.limits.max_classes)
            self.device_, self.classes_ = device, encoder.classes_
            backbone = self._fit_backbone(backbone, X, y, Z, codes, seeds, **fit_params)
            rng = check_random_state(context_random_state)
            limit = self._context_limit(backbone)
            if len(codes) > limit and self.context == "subsample":
                warnings.warn(
                    f"Training sets larger than the prediction context ({limit} rows) are predicted from a "
                    f"stratified subsample of {limit} training rows as context (fine-tuning learns from every row); "
                    "set max_context_rows to change the context size, context='bagged' to give every ensemble "
                    "member its own subsample, or context='local' to predict every row from the training rows "
                    "nearest it.", UserWarning,
                    stacklevel=stacklevel_outside_package(),
                )
            subsample_rng = np.random.default_rng(rng.randint(2**31))
            seed = int(rng.randint(2**31))
            keep, local = self._context_rows(Z, codes, limit, subsample_rng, seed)
            backbone = backbone.to(device).eval()
            ensemble = self._predictor_for(backbone, Z[keep], codes[keep], local, seed)
            temperature = 1.0
            if self.calibration == "temperature":
                temperature = self._fit_temperature(backbone, Z, codes, seed)
        self.temperature_ = temperature
        self.feature_subset_size_ = subset_size
        self.context_X_, self.context_y_, self.local_contexts_ = Z[keep], codes[keep], local
        self._seed = seed
        self.backbone_ = backbone
        self.fit_mode_ = "fit_with_cache" if ensemble.cache else "low_memory"
        self.cache_nbytes_ = ensemble.nbytes()
        self._ensemble = ensemble
        return self

    # ------------------------------------------------------------------------------------------ fit hooks
    def _random_streams(self):
        """``(random_state of the context subsample and ensemble, seeds of the subclass's other streams)``."""
        return self.random_state, {}

    def _fit_scope(self, device, seeds):
        """Context manager around building and fitting the backbone (none here)."""
        return contextlib.nullcontext()

    def _fit_backbone(self, backbone, X, y, Z, codes, seeds, **fit_params):
        """The backbone to predict with; zero-shot: the pretrained one as it is."""
        return backbone

    def _out_of_fold_proba(self, backbone, Z, codes, seed):
        """``(codes, proba)`` of rows predicted without their own label: here every fold of the training rows
        predicted in context from the other folds (None when a class has a single row)."""
        n_splits = min(5, int(np.bincount(codes).min()))
        if n_splits < 2:
            return None
        from sklearn.model_selection import StratifiedKFold

        proba = np.empty((len(codes), len(self.classes_)))
        limit = self._context_limit(backbone)
        rng = np.random.default_rng(seed)
        for train, test in StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(Z, codes):
            rows, local = self._context_rows(Z[train], codes[train], limit, rng, seed)
            train = train[rows]
            ensemble = self._predictor_for(backbone, Z[train], codes[train], local, seed, fit_mode="low_memory")
            proba[test] = ensemble.predict_proba(Z[test])
        return codes, proba

    def _fit_temperature(self, backbone, Z, codes, seed) -> float:
        oof = self._out_of_fold_proba(backbone, Z, codes, seed)
        if oof is None:
            warnings.warn("A class has a single training row: no out-of-fold predictions to fit a temperature on; "
                          "predicting uncalibrated (temperature_ = 1).", UserWarning,
                          stacklevel=stacklevel_outside_package())
            return 1.0
        return fit_temperature(*oof)

    def _context_limit(self, backbone) -> int:
        """Rows of one context: ``max_context_rows``, else the backbone's limit."""
        return self.max_context_rows or backbone.limits.max_context_rows

    def _context_rows(self, Z, codes, limit, subsample_rng, seed):
        """``(rows, local)`` of :func:`split_context` with this estimator's ``context`` (``"bagged"``: every row;
        the ensemble draws each member's subsample)."""
        if self.context == "bagged":
            return np.arange(len(codes)), None
        return split_context(Z, codes, limit, context=self.context, categorical_mask=self.schema_.categorical_mask,
                             subsample_rng=subsample_rng, seed=seed)

    def _predictor_for(self, backbone, X_context, y_context, local, seed, fit_mode=None):
        """The ensemble over the context, or one per local context (``local`` not None)."""
        n_classes, mask = len(self.classes_), self.schema_.categorical_mask
        if local is None:
            return self._ensemble_for(backbone, X_context, y_context, n_classes, mask, seed, fit_mode)
        fit_mode = fit_mode or self.fit_mode
        if fit_mode == "auto":  # the cache limit holds for all contexts together
            first = local.groups_[0]
            probe = InContextEnsemble(backbone, X_context[first], y_context[first], n_classes=n_classes,
                                      categorical_mask=mask, n_estimators=self.n_estimators, device=backbone.device)
            if probe.estimate_nbytes() * len(local.groups_) > _AUTO_CACHE_LIMIT:
                fit_mode = "low_memory"
        return LocalEnsemble(local, [
            self._ensemble_for(backbone, X_context[g], y_context[g], n_classes, mask, seed, fit_mode)
            for g in local.groups_
        ])

    def _ensemble_for(self, backbone, X_context, y_context, n_classes, categorical_mask, seed, fit_mode=None):
        """The prediction ensemble over the context; encoded now unless the mode is ``"low_memory"``."""
        fit_mode = fit_mode or self.fit_mode
        bagged_rows = self._context_limit(backbone) if self.context == "bagged" else None

        def make(cache):
            return InContextEnsemble(
                backbone, X_context, y_context, n_classes=n_classes,
                categorical_mask=categorical_mask, n_estimators=self.n_estimators, random_state=seed,
                cache=cache, device=backbone.device, max_member_rows=bagged_rows,
            )

        ensemble = make(fit_mode != "low_memory")
        if fit_mode == "auto" and ensemble.estimate_nbytes() > _AUTO_CACHE_LIMIT:
            ensemble = make(False)
        try:
            return ensemble.encode()
        except (RuntimeError, MemoryError) as exc:
            if not is_out_of_memory(exc):
                raise
            free_accelerator_memory(backbone.device)
            if fit_mode == "fit_with_cache":
                raise MemoryError(
                    f"The context cache ({ensemble.n_member_rows} rows x {self.n_estimators} ensemble members) does "
                    f"not fit in the memory of {backbone.device}; use fit_mode='auto' or 'low_memory', or a smaller "
                    "max_context_rows."
                ) from None
            warnings.warn(
                f"The context cache does not fit in the memory of {backbone.device}; predicting with "
                "fit_mode='low_memory' (same predictions, slower).",
                RuntimeWarning,
                stacklevel=3,
            )
            return make(False)

    @staticmethod
    def _check_backbone(backbone: TabularBackbone, n_features: int) -> None:
        if n_features > backbone.limits.max_features and not backbone.splits_wide_tables:
            raise ValueError(
                f"X has {n_features} features but the backbone takes at most {backbone.limits.max_features}; "
                "select features first (e.g. sklearn.feature_selection.SelectKBest in a Pipeline)."
            )

    def _encode_rows(self, X, handle_unknown="missing") -> np.ndarray:
        """``X`` as the backbone reads it: encoded by the schema, high-cardinality columns recoded."""
        return self.level_codes_.transform(self.schema_.encode(X, handle_unknown=handle_unknown))

    def _encode(self, X) -> np.ndarray:
        check_is_fitted(self)
        check_2d_table(X)
        validate_data(self, X, reset=False, dtype=None, ensure_all_finite=False)
        return self._encode_rows(X, handle_unknown=self.handle_unknown)

    @uses_package_threads
    def predict_proba(self, X):
        """Class probabilities of ``X`` with the training rows as context.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Same columns as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float64
            Columns follow ``classes_``; every row sums to 1. With ``calibration``, at the fitted ``temperature_``.
        """
        Z = self._encode(X)
        ensemble = getattr(self, "_ensemble", None)
        if ensemble is None:  # unpickled: the cache was dropped, rebuild it
            ensemble = self._ensemble = self._predictor_for(
                self.backbone_, self.context_X_, self.context_y_, getattr(self, "local_contexts_", None),
                self._seed, fit_mode=self.fit_mode_,
            )
        return apply_temperature(ensemble.predict_proba(Z), getattr(self, "temperature_", 1.0))

    def __getstate__(self):
        state = cpu_state(self)
        state.pop("_ensemble", None)  # the cache is rebuilt by the first prediction after loading
        return state
