"""CausalMixFTClassifier: fine-tune a tabular foundation model on real rows mixed with synthetic rows."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.metrics import log_loss
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from sklearn_causalmix._core import (
    TableSchema,
    TabularClassifierMixin,
    check_2d_table,
    check_no_missing_labels,
    encode_labels,
    fork_torch_rng,
    keep_state_on_failure,
    uses_package_threads,
)
from sklearn_causalmix.backbones import (
    InContextClassifier,
    InContextEnsemble,
    cpu_state,
    get_backbone,
    resolve_device,
    subsample_context,
)
from sklearn_causalmix.evaluation import multiclass_roc_auc
from sklearn_causalmix.finetune._cache import prepare_augmenter, synthetic_pool
from sklearn_causalmix.finetune._episodes import EpisodeSampler
from sklearn_causalmix.finetune._loop import finetune
from sklearn_causalmix.finetune._split import stratified_validation_split

__all__ = ["CausalMixFTClassifier"]

#: One independent seed per source of randomness in ``fit`` (drawn from ``random_state`` in this order).
_SEED_STREAMS = ("split", "augmenter", "pool", "torch", "episodes", "predictor", "eval")


class _FittedBackbone:
    """A backbone factory that hands out one already-built (fine-tuned) module, for InContextClassifier."""

    def __init__(self, module):
        self.module = module

    def __call__(self):
        return self.module


def score_proba(y_codes, proba, scoring):
    """Score class probabilities: ROC-AUC or minus log-loss.

    ROC-AUC is :func:`sklearn_causalmix.evaluation.multiclass_roc_auc` (binary: the usual AUC;
    several classes: one-vs-rest, macro over the classes present).

    Parameters
    ----------
    y_codes : ndarray of shape (n_samples,)
        Class codes ``0 .. n_classes-1``.
    proba : ndarray of shape (n_samples, n_classes)
    scoring : {"roc_auc", "neg_log_loss"}

    Returns
    -------
    score : float
        Greater is better; NaN for ROC-AUC when fewer than two classes are present.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.finetune._classifier import score_proba
    >>> score_proba(np.array([0, 1, 1]), np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]), "roc_auc")
    1.0
    """
    n_classes = proba.shape[1]
    if scoring == "neg_log_loss":
        return -float(log_loss(y_codes, proba, labels=np.arange(n_classes)))
    if len(np.unique(y_codes)) < 2:
        return float("nan")
    return multiclass_roc_auc(y_codes, proba, labels=np.arange(n_classes))


class CausalMixFTClassifier(TabularClassifierMixin, ClassifierMixin, BaseEstimator):
    """Fine-tune a tabular foundation model on real rows mixed with causal synthetic rows.

    The CausalMixFT recipe (Bühler, Purucker & Hutter, 2026) as a scikit-learn classifier. ``fit``:

    1. splits the real rows into a training and a validation part, stratified by class (``early_stopping``);
    2. fits the augmenter on the real *training* part only and draws a pool of ``n_synthetic`` synthetic rows
       (skipped at ``synthetic_ratio=0``; cached with ``memory``);
    3. fine-tunes the backbone with AdamW on batches of in-context episodes whose context and query rows both
       hold a ``synthetic_ratio`` share of synthetic rows (1.0: synthetic rows only), with the cross-entropy of
       the query rows as loss; class codes and feature order are permuted at random per episode, as the
       inference ensemble expects;
    4. every ``eval_every`` steps scores the model on the real validation rows with the real training rows as
       context (``scoring``) and keeps the best weights, the pretrained ones (step 0) included, so the result is
       never worse than zero-shot *on the validation rows*; stops after ``patience`` evaluations without
       improvement;
    5. predicts refit-free, in context, with **all real rows** (training and validation part; never a synthetic
       row) as context, through :class:`~sklearn_causalmix.backbones.InContextClassifier`.

    ``max_steps=0`` is zero-shot: no split, no augmenter, all rows as context — exactly
    :class:`~sklearn_causalmix.backbones.InContextClassifier` with the same ``backbone``, ``n_estimators``,
    ``max_context_rows`` and ``random_state``.

    Parameters
    ----------
    backbone : str or callable, default="default"
        A registered backbone name or a factory returning a fresh
        :class:`~sklearn_causalmix.backbones.TabularBackbone` (never a live module: clones would share it).
    augmenter : object, default=None
        Generator of synthetic labelled rows: anything with ``fit(X, y)`` and ``sample(n)`` (returning
        ``(X_syn, y_syn)`` in the columns of ``X``), or with ``fit_resample(X, y)`` (its new rows are the pool).
        None uses ``CausalSCMAugmenter(random_state=...)``. It is cloned; a ``random_state`` of None is set from
        this estimator's ``random_state``. Not fitted when ``synthetic_ratio=0`` or ``max_steps=0``.
    synthetic_ratio : float in [0, 1], default=0.5
        Share of synthetic rows in every fine-tuning episode (context and query). 0 is plain fine-tuning,
        1 fine-tunes on synthetic rows only.
    n_synthetic : int, default=1000
        Size of the synthetic pool drawn once per ``fit``.
    max_steps : int, default=50
        Largest number of optimisation steps; 0 means zero-shot.
    learning_rate : float, default=1e-4
        AdamW learning rate (constant; gradient norm clipped at 1).
    weight_decay : float, default=0.01
        AdamW weight decay.
    episode_size : int, default=96
        Rows (context + query) per episode; fewer when the pools are small. Halved on CUDA out-of-memory.
    query_fraction : float in (0, 1), default=0.25
        Share of an episode's rows that are queries (the rows the loss is computed on).
    batch_size : int, default=1
        Episodes per optimisation step.
    validation_fraction : float in (0, 1), default=0.2
        Share of every class held out as the validation part (at least one row per class).
    early_stopping : bool, default=True
        Validate, keep the best weights (step 0 included) and stop after ``patience`` evaluations without
        improvement. False: no validation split, all real rows fine-tune for ``max_steps`` steps and the final
        weights are kept.
    patience : int, default=3
        Evaluations without improvement before stopping.
    eval_every : int, default=10
        Steps between evaluations (the last step is always evaluated).
    scoring : {"roc_auc", "neg_log_loss"}, default="roc_auc"
        Validation score that selects the weights (greater is better). ROC-AUC (one-vs-rest macro for several
        classes) as in the CausalMixFT paper; ``"neg_log_loss"`` also rewards calibration. The monitor set is
        scored the same way.
    n_estimators : int, default=4
        Members of the inference ensemble (random class-code and feature permutations); validation during
        fine-tuning uses the first member (no permutation) only.
    max_context_rows : int, default=None
        Largest context at validation and prediction (stratified subsample); None uses the backbone's limit.
    memory : None, str or joblib.Memory, default=None
        Caches the synthetic pool (keyed by the augmenter's parameters, the real training rows, ``n_synthetic``
        and the seed), so a grid search over ``synthetic_ratio`` — or any setting other than these — fits the
        augmenter once per fold. A string is a cache folder. Needs a fixed ``random_state`` to hit.
    device : str or torch.device, default="auto"
        ``"auto"`` (CUDA, then MPS, then CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ... On CUDA the training
        steps run under bfloat16 autocast; validation and prediction run in float32, on the same code path.
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the augmenter (when its own ``random_state`` is None), the pool, the episodes, torch
        (inside a forked RNG: the global torch state is left untouched) and the inference ensemble. With a fixed
        value, fits on the CPU give identical probabilities.
    verbose : int, default=0
        A tqdm progress bar over the steps, showing the validation score, when > 0.
    handle_unknown : {"missing", "error"}, default="missing"
        Categorical levels not seen in ``fit`` (the normal case under domain shift), in the rows to
        predict and in the ``monitor`` set: ``"missing"`` encodes them as missing values (NaN), as
        HistGradientBoosting does, with one ``UnseenLevelWarning`` per call naming the columns and
        counts; ``"error"`` raises a ``ValueError``.
    fit_mode : {"auto", "fit_with_cache", "low_memory"}, default="auto"
        What ``fit`` prepares for prediction, as in :class:`~sklearn_causalmix.backbones.InContextClassifier`:
        ``"fit_with_cache"`` runs the real rows through the fine-tuned backbone once at the end of ``fit``
        (all ensemble members, batched as independent tasks) and keeps the result, so a prediction only
        runs its own rows; ``"low_memory"`` keeps nothing and re-runs the context at every prediction;
        ``"auto"`` caches when the cache is estimated at most 1 GiB. The probabilities are the same in
        every mode.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Feature names seen in ``fit``; defined only when ``X`` has string column names.
    schema_ : TableSchema
        Column kinds and categories seen in ``fit``.
    backbone_ : TabularBackbone
        The fine-tuned backbone (the pretrained one for ``max_steps=0``), in eval mode.
    predictor_ : InContextClassifier
        The in-context predictor holding ``backbone_`` and the real rows as context.
    device_ : torch.device
        Device the backbone was fine-tuned on.
    history_ : list of dict
        One entry per evaluation, step 0 first: ``step``, ``train_loss`` (mean query cross-entropy since the
        previous evaluation), ``val_score`` (NaN without early stopping), ``monitor_score`` (when a monitor set
        was given), ``episode_size`` and ``elapsed`` seconds. Read it with
        :func:`~sklearn_causalmix.evaluation.validation_test_gap` or ``pandas.DataFrame(history_)``.
    best_step_ : int
        Step whose weights are kept (0 = the pretrained weights).
    best_score_ : float
        Validation score at ``best_step_``.
    n_steps_ : int
        Optimisation steps taken.
    n_synthetic_ : int
        Rows in the synthetic pool (0 when none was drawn).
    episode_size_ : int
        Rows per episode at the end of fine-tuning (after any out-of-memory halving).

    See Also
    --------
    sklearn_causalmix.backbones.InContextClassifier : the zero-shot model (``max_steps=0``).
    sklearn_causalmix.CausalSCMAugmenter : the default augmenter.

    Notes
    -----
    A ``fit`` that raises (bad input, an augmenter error, an interrupted fine-tuning) leaves the
    estimator as it was before the call: a fitted estimator keeps its previous fitted state and
    still predicts with it; an unfitted one stays unfitted.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn_causalmix import CausalMixFTClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=200, random_state=0)
    >>> clf = CausalMixFTClassifier(synthetic_ratio=0.0, max_steps=4, eval_every=2, n_estimators=1,
    ...                             device="cpu", random_state=0).fit(X_train, y_train)
    >>> [entry["step"] for entry in clf.history_]
    [0, 2, 4]
    >>> clf.score(X_test, y_test) > 0.85
    True
    """

    _parameter_constraints: dict = {
        "backbone": [str, callable],
        "augmenter": [None, HasMethods(["fit", "sample"]), HasMethods(["fit_resample"])],
        "synthetic_ratio": [Interval(Real, 0, 1, closed="both")],
        "n_synthetic": [Interval(Integral, 1, None, closed="left")],
        "max_steps": [Interval(Integral, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "episode_size": [Interval(Integral, 2, None, closed="left")],
        "query_fraction": [Interval(Real, 0, 1, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "early_stopping": ["boolean"],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "eval_every": [Interval(Integral, 1, None, closed="left")],
        "scoring": [StrOptions({"roc_auc", "neg_log_loss"})],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_context_rows": [Interval(Integral, 2, None, closed="left"), None],
        "memory": [None, str, HasMethods(["cache"])],
        "device": [StrOptions({"auto", "cpu", "cuda", "mps"}), str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "handle_unknown": [StrOptions({"missing", "error"})],
        "fit_mode": [StrOptions({"auto", "fit_with_cache", "low_memory"})],
    }

    def __init__(
        self,
        backbone="default",
        *,
        augmenter=None,
        synthetic_ratio=0.5,
        n_synthetic=1000,
        max_steps=50,
        learning_rate=1e-4,
        weight_decay=0.01,
        episode_size=96,
        query_fraction=0.25,
        batch_size=1,
        validation_fraction=0.2,
        early_stopping=True,
        patience=3,
        eval_every=10,
        scoring="roc_auc",
        n_estimators=4,
        max_context_rows=None,
        memory=None,
        device="auto",
        random_state=None,
        verbose=0,
        handle_unknown="missing",
        fit_mode="auto",
    ):
        self.backbone = backbone
        self.augmenter = augmenter
        self.synthetic_ratio = synthetic_ratio
        self.n_synthetic = n_synthetic
        self.max_steps = max_steps
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.episode_size = episode_size
        self.query_fraction = query_fraction
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.eval_every = eval_every
        self.scoring = scoring
        self.n_estimators = n_estimators
        self.max_context_rows = max_context_rows
        self.memory = memory
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.handle_unknown = handle_unknown
        self.fit_mode = fit_mode

    # ----------------------------------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    @keep_state_on_failure
    @uses_package_threads
    def fit(self, X, y, *, monitor=None):
        """Fine-tune the backbone on ``(X, y)`` mixed with synthetic rows, then keep the real rows as context.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric, integer, boolean and categorical (string / category) columns; NaN = missing.
        y : array-like of shape (n_samples,)
            Class labels (any hashable values), at most the backbone's class limit.
        monitor : tuple (X_monitor, y_monitor), default=None
            An extra labelled set (e.g. the shifted test domain) scored at every evaluation and recorded as
            ``monitor_score`` in :attr:`history_`. It never influences training or the choice of weights.
            It is metadata: with ``sklearn.set_config(enable_metadata_routing=True)``, request it with
            ``clf.set_fit_request(monitor=True)`` and pass ``monitor=`` to ``Pipeline.fit``,
            ``GridSearchCV.fit`` or ``cross_validate(params=...)`` (the monitor table must have the
            columns this estimator receives: earlier Pipeline steps do not transform it).

        Returns
        -------
        self : CausalMixFTClassifier
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None; pass the class labels."
            )
        check_2d_table(X)
        validate_data(self, X, skip_check_array=True)
        schema = TableSchema.from_data(X)
        Z = schema.encode(X)
        device = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        seeds = dict(zip(_SEED_STREAMS, (int(s) for s in rng.randint(np.iinfo(np.int32).max,
                                                                  size=len(_SEED_STREAMS)))))
        if self.random_state is None or isinstance(self.random_state, Integral):
            predictor_seed = self.random_state  # the zero-shot model with this random_state sees the same context
        else:
            predictor_seed = seeds["predictor"]

        with fork_torch_rng(device, seeds["torch"]):
            backbone = get_backbone(self.backbone)
            InContextClassifier._check_backbone(backbone, Z.shape[1])
            check_no_missing_labels(y)
            encoder, codes = encode_labels(y, len(Z), backbone.limits.max_classes)
            self.schema_, self.classes_, self.device_ = schema, encoder.classes_, device
            y_arr = column_or_1d(y, warn=False)
            monitor_set = self._check_monitor(monitor, encoder)

            if self.max_steps == 0:
                result = None
                self.n_synthetic_, self.episode_size_ = 0, 0
            else:
                result = self._finetune(X, y, Z, codes, backbone, device, seeds, monitor_set)
            self._set_history(result, backbone, device, Z, codes, monitor_set, seeds)

            # The same prediction code as the zero-shot model: InContextClassifier with all real rows as context
            # (for max_steps=0 exactly InContextClassifier(backbone, ...).fit(X, y); the backbone built above is
            # handed over instead of being built a second time).
            self.predictor_ = InContextClassifier(
                backbone=_FittedBackbone(backbone),
                n_estimators=self.n_estimators,
                max_context_rows=self.max_context_rows,
                device=device,
                random_state=predictor_seed,
                fit_mode=self.fit_mode,
            ).fit(X, y_arr)
        # The predictor's `backbone` parameter is only read by its `fit`: drop the reference to the live module
        # so that pickling goes through `backbone_` (moved to the CPU by `cpu_state`) only.
        self.predictor_.backbone = self.backbone
        return self

    def _check_monitor(self, monitor, encoder):
        if monitor is None:
            return None
        if not isinstance(monitor, (tuple, list)) or len(monitor) != 2:
            raise TypeError(
                "monitor must be a tuple (X_monitor, y_monitor) of a labelled table with the columns of X, got "
                f"{type(monitor).__name__}."
            )
        X_mon, y_mon = monitor
        Z_mon = self.schema_.encode(X_mon, handle_unknown=self.handle_unknown)
        y_mon = column_or_1d(y_mon, warn=False)
        if len(y_mon) != len(Z_mon):
            raise ValueError(
                f"The monitor set has {len(Z_mon)} rows but {len(y_mon)} labels; they must have the same length."
            )
        unknown = sorted(set(pd.unique(y_mon).tolist()) - set(encoder.classes_.tolist()), key=str)
        if unknown:
            raise ValueError(
                f"The monitor labels {unknown[:10]} are not among the training classes {list(encoder.classes_)}; "
                "drop those rows from the monitor set."
            )
        return Z_mon, encoder.transform(y_mon)

    def _draw_pool(self, X_train, y_train, schema, seeds):
        """The synthetic pool, encoded: ``(Z_syn, codes_syn)``."""
        augmenter = prepare_augmenter(self.augmenter, seeds["augmenter"])
        X_syn, y_syn = synthetic_pool(
            self.memory, augmenter, X_train, y_train, self.n_synthetic, seeds["pool"], encode=schema.encode
        )
        name = type(augmenter).__name__
        try:
            # levels the real training rows lack mean the augmenter invented them: refuse, never mask
            Z_syn = schema.encode(X_syn, handle_unknown="error")
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"The augmenter {name} returned synthetic rows that do not match the training columns: {exc}"
            ) from exc
        y_syn = column_or_1d(np.asarray(y_syn), warn=False)
        if len(y_syn) != len(Z_syn) or len(Z_syn) == 0:
            raise ValueError(
                f"The augmenter {name} returned {len(Z_syn)} synthetic rows and {len(y_syn)} labels; it must "
                "return as many labels as rows, and at least one row."
            )
        unknown = sorted(set(pd.unique(y_syn).tolist()) - set(self.classes_.tolist()), key=str)
        if unknown:
            raise ValueError(
                f"The augmenter {name} returned labels {unknown[:10]} that are not training classes "
                f"{list(self.classes_)}; it must sample labels among the classes of y."
            )
        return Z_syn, np.searchsorted(self.classes_, y_syn)

    def _finetune(self, X, y, Z, codes, backbone, device, seeds, monitor_set):
        if self.early_stopping:
            train_idx, val_idx = stratified_validation_split(
                codes, self.validation_fraction, self.classes_, seeds["split"]
            )
        else:
            train_idx, val_idx = np.arange(len(codes)), np.arange(0)
        Z_syn = codes_syn = None
        if self.synthetic_ratio > 0:
            X_train = _safe_indexing(X, train_idx)
            y_train = y.iloc[train_idx] if isinstance(y, pd.Series) else column_or_1d(y, warn=False)[train_idx]
            Z_syn, codes_syn = self._draw_pool(X_train, y_train, self.schema_, seeds)
        self.n_synthetic_ = 0 if Z_syn is None else len(Z_syn)

        n_classes = len(self.classes_)
        mask = self.schema_.categorical_mask
        sampler = EpisodeSampler(
            Z[train_idx] if self.synthetic_ratio < 1 else Z[train_idx][:0],
            codes[train_idx] if self.synthetic_ratio < 1 else codes[train_idx][:0],
            Z_syn,
            codes_syn,
            synthetic_ratio=self.synthetic_ratio,
            episode_size=self.episode_size,
            query_fraction=self.query_fraction,
            n_classes=n_classes,
            categorical_mask=mask,
            random_state=seeds["episodes"],
        )
        evaluate = self._evaluator(Z[train_idx], codes[train_idx], Z[val_idx], codes[val_idx], monitor_set,
                                   backbone, seeds)
        model = backbone.to(device)
        result = finetune(
            model,
            sampler,
            evaluate,
            max_steps=self.max_steps,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            eval_every=self.eval_every,
            patience=self.patience,
            early_stopping=self.early_stopping,
            device=device,
            verbose=self.verbose,
        )
        self.episode_size_ = result.episode_size
        return result

    def _evaluator(self, Z_ctx, y_ctx, Z_val, y_val, monitor_set, backbone, seeds):
        """``evaluate(model) -> (val_score, monitor_score)`` with the real training rows as context."""
        limit = self.max_context_rows or backbone.limits.max_context_rows
        keep = subsample_context(y_ctx, limit, np.random.default_rng(seeds["eval"]))
        Z_ctx, y_ctx = Z_ctx[keep], y_ctx[keep]
        mask = self.schema_.categorical_mask
        n_classes = len(self.classes_)

        def evaluate(model):
            # The prediction path and precision (float32): the context encoded once, then the validation and
            # monitor rows in chunks (smaller ones after an out-of-memory error).
            ensemble = InContextEnsemble(
                model, Z_ctx, y_ctx, n_classes=n_classes, categorical_mask=mask, n_estimators=1, random_state=0,
                device=self.device_,
            )
            val = score_proba(y_val, ensemble.predict_proba(Z_val), self.scoring) if len(y_val) else float("nan")
            monitor = None
            if monitor_set is not None:
                X_monitor, y_monitor = monitor_set
                monitor = score_proba(y_monitor, ensemble.predict_proba(X_monitor), self.scoring)
            return val, monitor

        return evaluate

    def _set_history(self, result, backbone, device, Z, codes, monitor_set, seeds):
        if result is not None:
            self.history_ = result.history
            self.best_step_, self.best_score_, self.n_steps_ = result.best_step, result.best_score, result.n_steps
            return
        entry = {"step": 0, "train_loss": float("nan"), "val_score": float("nan")}
        if monitor_set is not None:  # zero-shot: the monitor set is scored with all real rows as context
            evaluate = self._evaluator(Z, codes, Z[:0], codes[:0], monitor_set, backbone.to(device), seeds)
            entry["monitor_score"] = evaluate(backbone.to(device))[1]
        entry.update(episode_size=0, elapsed=0.0)
        self.history_ = [entry]
        self.best_step_, self.best_score_, self.n_steps_ = 0, float("nan"), 0

    # ------------------------------------------------------------------------------------------- predict
    @property
    def backbone_(self):
        """TabularBackbone : the fine-tuned backbone held by :attr:`predictor_`."""
        return self.predictor_.backbone_

    @property
    def cache_nbytes_(self):
        """int : bytes held by the cached prediction context (0 with ``fit_mode="low_memory"``)."""
        return self.predictor_.cache_nbytes_

    def _validate_predict(self, X):
        check_is_fitted(self)
        check_2d_table(X)
        validate_data(self, X, reset=False, skip_check_array=True)
        # Unseen levels: refused here with "error"; with "missing" the predictor warns once and encodes them.
        self.schema_.check(X, handle_unknown=self.handle_unknown)

    @uses_package_threads
    def predict_proba(self, X):
        """Class probabilities of ``X`` with the real training rows as context.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Same columns as in ``fit``; categorical levels unseen in ``fit`` follow ``handle_unknown``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        self._validate_predict(X)
        with warnings.catch_warnings():
            # already warned (if at all) by the validation above, under this estimator's name
            warnings.filterwarnings("ignore", message="X (does not have|has) .*feature names", category=UserWarning)
            return self.predictor_.predict_proba(X)

    def __getstate__(self):
        return cpu_state(self)
