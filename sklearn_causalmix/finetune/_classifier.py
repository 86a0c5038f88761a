"""CausalMixFTClassifier: fine-tune a tabular foundation model on real rows mixed with synthetic rows.

It extends :class:`~sklearn_causalmix.backbones.InContextClassifier` through one hook (``_fit_backbone``: split,
synthetic pool, episodes, the loop), as ``HistGradientBoostingClassifier`` extends its base.
"""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing, check_random_state, deprecated
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import column_or_1d

from sklearn_causalmix._core import fork_torch_rng, keep_state_on_failure, spawn_seeds, uses_package_threads
from sklearn_causalmix.backbones import InContextClassifier
from sklearn_causalmix.finetune._episodes import make_sampler
from sklearn_causalmix.finetune._evaluate import encode_monitor, make_evaluator
from sklearn_causalmix.finetune._loop import finetune
from sklearn_causalmix.finetune._pool import encoded_pool
from sklearn_causalmix.finetune._select import cross_validated_steps, fold_seeds
from sklearn_causalmix.finetune._split import stratified_validation_split

__all__ = ["CausalMixFTClassifier"]

#: One independent seed per source of randomness in ``fit`` (drawn from ``random_state`` in this order).
_SEED_STREAMS = ("split", "augmenter", "pool", "torch", "episodes", "predictor", "eval")


class CausalMixFTClassifier(InContextClassifier):
    """Fine-tune a tabular foundation model on real rows mixed with causal synthetic rows.

    The CausalMixFT recipe (Bühler, Purucker & Hutter, 2026) as a scikit-learn classifier. ``fit``:

    1. holds out real validation rows, stratified (``early_stopping``; ``cv`` folds instead with ``cv``);
    2. fits the augmenter on the real *training* rows only and draws ``n_synthetic`` synthetic rows (skipped at
       ``synthetic_ratio=0``; cached with ``memory``);
    3. fine-tunes the backbone with AdamW on views of the whole training table (or small episodes) holding a
       ``synthetic_ratio`` share of synthetic rows where ``synthetic_placement`` says, the query rows'
       cross-entropy as loss, class codes and feature order permuted per episode as the inference ensemble does;
    4. every ``eval_every`` steps scores the model on the real validation rows (``scoring``) and keeps the best
       weights, the pretrained ones (step 0) included: never worse than zero-shot *on the validation rows*;
    5. predicts in context with **all real rows** as context (never a synthetic row): the prediction of
       :class:`~sklearn_causalmix.backbones.InContextClassifier`, which this estimator extends.

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
        Share of synthetic rows in every fine-tuning episode (in the parts ``synthetic_placement`` names).
        0 is plain fine-tuning, 1 fine-tunes on synthetic rows only.
    n_synthetic : int, default=1000
        Size of the synthetic pool drawn once per ``fit``.
    max_steps : int, default=100
        Largest number of optimisation steps; 0 means zero-shot.
    learning_rate : float, default=1e-4
        AdamW peak learning rate (reached after ``warmup``, then constant; gradient norm clipped at 1).
    weight_decay : float, default=0.01
        AdamW weight decay.
    episodes : {"whole_table", "sampled"}, default="whole_table"
        How a fine-tuning episode is drawn. ``"whole_table"``: a view of all real training rows (and the
        synthetic pool), shuffled and split into a context as large as prediction uses (``max_context_rows``)
        and ``query_fraction`` of the rows as queries (at most ``max_query_rows``) — the recipe of the
        maintained fine-tuners. ``"sampled"``: small episodes of ``episode_size`` rows (the first recipe).
    episode_size : int, default=96
        Rows (context + query) per ``"sampled"`` episode; fewer when the pools are small.
    query_fraction : float in (0, 1), default=0.2
        Share of an episode's rows that are queries (the rows the loss is computed on).
    max_query_rows : int, default=512
        Largest number of query rows of a ``"whole_table"`` view (bounds memory). Context and query caps are
        halved on an accelerator's out-of-memory error.
    batch_size : int, default=1
        Episodes (views) per optimisation step.
    synthetic_placement : {"both", "query", "context"}, default="both"
        Where synthetic rows go in a ``"whole_table"`` view: a ``synthetic_ratio`` share of both the context
        and the queries, of the queries only (the context stays real, as at prediction), or of the context
        only. Validation rows and the prediction context are always real.
    l2sp : float, default=0.0
        Strength of the pull toward the pretrained weights, ``l2sp * sum((w - w_pretrained) ** 2)`` added to
        the loss (L2-SP); 0 turns it off.
    feature_ids : {"random", "fixed"}, default="random"
        The feature-identity vectors of the embedded backbones while fine-tuning. At prediction every column
        gets a fixed random vector (the ensemble members permute which); ``"random"`` draws fresh vectors at
        every step, as pretraining did, so fine-tuning adapts the model on average over such draws;
        ``"fixed"`` trains with the vectors prediction uses, so it adapts the function that predicts.
        Backbones without identity vectors (the adapters) accept only ``"random"``.
    warmup : float in [0, 1), default=0.1
        Share of ``max_steps`` over which the learning rate rises linearly from 0.
    validation_fraction : float in (0, 1), default=0.2
        Share of every class held out as the validation part (at least one row per class), when ``cv`` is None.
    early_stopping : bool, default=True
        Choose the number of steps on held-out real rows, the pretrained weights (step 0) always a candidate.
        With ``cv=None``: one validation part (``validation_fraction``); the best weights are kept and fitting
        stops after ``patience`` evaluations without improvement. With ``cv=K``: see ``cv``. False: no
        validation, all real rows fine-tune for ``max_steps`` steps and the final weights are kept.
    cv : int or None, default=None
        Choose the number of steps by inner stratified ``cv``-fold cross-validation: the backbone is fine-tuned
        on every fold's training part for ``max_steps`` steps and scored on its held-out part every
        ``eval_every`` steps; the step with the best mean score (0 = zero-shot) is chosen and the backbone is
        fine-tuned on all real rows for that many steps. Costs ``cv + 1`` fine-tunings; the choice averages
        ``cv`` times more validation rows than one split.
    patience : int, default=3
        Evaluations without improvement before stopping (one validation part only).
    eval_every : int, default=10
        Steps between evaluations (the last step is always evaluated).
    scoring : {"neg_log_loss", "roc_auc"}, default="neg_log_loss"
        Validation score that selects the weights (greater is better): minus log-loss (a proper score, less
        noisy on few rows, and it rewards calibration), or ROC-AUC (one-vs-rest macro for several classes) as in
        the CausalMixFT paper. The monitor set is scored the same way.
    n_estimators : int, default=4
        Members of the inference ensemble (random class-code and feature permutations); validation during
        fine-tuning uses the first member (no permutation) only.
    feature_subset_size : "auto", int or None, default="auto"
        Widest table one pass of the backbone reads, in fine-tuning and prediction alike: wider tables are
        split into even feature subsets whose logits are averaged; ``"auto"`` is the widest table the weights
        were pretrained on. See :class:`~sklearn_causalmix.backbones.InContextClassifier`.
    max_context_rows : int, default=None
        Largest context of a fine-tuning view, at validation and at prediction (a larger table is subsampled or
        split, as ``context`` says); None uses the backbone's limit.
    context : {"subsample", "bagged", "local"}, default="subsample"
        How a table larger than ``max_context_rows`` serves as context (the same when it fits):
        ``"subsample"``, one stratified subsample at validation and prediction, and views of randomly drawn rows
        in fine-tuning; ``"bagged"``, the same in fine-tuning and validation, and at prediction every ensemble
        member its own subsample; ``"local"``, local contexts at validation and prediction (see
        :class:`~sklearn_causalmix.backbones.InContextClassifier`) and local views in fine-tuning: the rows
        nearest a random training row, split into context and queries (LoCalPFN's recipe). Local views apply
        to ``episodes="whole_table"``.
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
    calibration : {None, "temperature"}, default=None
        ``"temperature"``: one temperature (:attr:`temperature_`) fitted by log-loss on out-of-fold
        predictions and applied to every prediction: the validation rows at the chosen step (one validation
        part), the held-out folds at the chosen step (``cv``), or the training rows predicted fold by fold in
        context (zero-shot, and without ``early_stopping``, where the weights have seen every row), so that
        zero-shot and fine-tuned models are compared calibrated alike.

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
    device_ : torch.device
        Device the backbone was fine-tuned on.
    context_X_, context_y_ : ndarray
        The encoded real rows used as context at prediction, and their class codes.
    fit_mode_ : {"fit_with_cache", "low_memory"}
        The prediction mode in use (``fit_mode`` with ``"auto"`` resolved).
    cache_nbytes_ : int
        Bytes held by the cached prediction context (0 with ``"low_memory"``).
    temperature_ : float
        The temperature applied to the probabilities (1.0 without ``calibration``).
    feature_subset_size_ : int or None
        ``feature_subset_size`` resolved: the widest feature subset of one pass (None: the backbone's limit).
    predictor_ : CausalMixFTClassifier
        Deprecated in 0.2, removed in 0.3: the estimator predicts itself (it used to hold an
        ``InContextClassifier``); this attribute returns the estimator.
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
        Optimisation steps taken (with ``cv``: by the final fine-tuning on all rows).
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
        **InContextClassifier._parameter_constraints,
        "augmenter": [None, HasMethods(["fit", "sample"]), HasMethods(["fit_resample"])],
        "synthetic_ratio": [Interval(Real, 0, 1, closed="both")],
        "n_synthetic": [Interval(Integral, 1, None, closed="left")],
        "max_steps": [Interval(Integral, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "episodes": [StrOptions({"whole_table", "sampled"})],
        "episode_size": [Interval(Integral, 2, None, closed="left")],
        "query_fraction": [Interval(Real, 0, 1, closed="neither")],
        "max_query_rows": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "synthetic_placement": [StrOptions({"both", "query", "context"})],
        "l2sp": [Interval(Real, 0, None, closed="left")],
        "feature_ids": [StrOptions({"random", "fixed"})],
        "warmup": [Interval(Real, 0, 1, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "early_stopping": ["boolean"],
        "cv": [Interval(Integral, 2, None, closed="left"), None],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "eval_every": [Interval(Integral, 1, None, closed="left")],
        "scoring": [StrOptions({"roc_auc", "neg_log_loss"})],
        "memory": [None, str, HasMethods(["cache"])],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        backbone="default",
        *,
        augmenter=None,
        synthetic_ratio=0.5,
        n_synthetic=1000,
        max_steps=100,
        learning_rate=1e-4,
        weight_decay=0.01,
        episodes="whole_table",
        episode_size=96,
        query_fraction=0.2,
        max_query_rows=512,
        batch_size=1,
        synthetic_placement="both",
        l2sp=0.0,
        feature_ids="random",
        warmup=0.1,
        validation_fraction=0.2,
        early_stopping=True,
        cv=None,
        patience=3,
        eval_every=10,
        scoring="neg_log_loss",
        n_estimators=4,
        feature_subset_size="auto",
        max_context_rows=None,
        context="subsample",
        memory=None,
        device="auto",
        random_state=None,
        verbose=0,
        handle_unknown="missing",
        fit_mode="auto",
        calibration=None,
    ):
        self.backbone = backbone
        self.augmenter = augmenter
        self.synthetic_ratio = synthetic_ratio
        self.n_synthetic = n_synthetic
        self.max_steps = max_steps
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.episodes = episodes
        self.episode_size = episode_size
        self.query_fraction = query_fraction
        self.max_query_rows = max_query_rows
        self.batch_size = batch_size
        self.synthetic_placement = synthetic_placement
        self.l2sp = l2sp
        self.feature_ids = feature_ids
        self.warmup = warmup
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.cv = cv
        self.patience = patience
        self.eval_every = eval_every
        self.scoring = scoring
        self.n_estimators = n_estimators
        self.feature_subset_size = feature_subset_size
        self.max_context_rows = max_context_rows
        self.context = context
        self.memory = memory
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.handle_unknown = handle_unknown
        self.fit_mode = fit_mode
        self.calibration = calibration

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
        return self._fit(X, y, monitor=monitor)

    def _random_streams(self):
        # one seed per stream; the prediction context follows an int (or None) random_state as the zero-shot
        # model with that random_state does, so max_steps=0 gives exactly its numbers
        seeds = dict(zip(_SEED_STREAMS, spawn_seeds(check_random_state(self.random_state), len(_SEED_STREAMS))))
        if self.random_state is None or isinstance(self.random_state, Integral):
            return self.random_state, seeds
        return seeds["predictor"], seeds

    def _fit_scope(self, device, seeds):
        # building and fine-tuning the backbone draw from torch's global generator: seeded, and restored after
        return fork_torch_rng(device, seeds["torch"])

    def _fit_backbone(self, backbone, X, y, Z, codes, seeds, monitor=None):
        """Fine-tune ``backbone`` (the hook of :class:`InContextClassifier`'s ``fit``); record the history."""
        monitor_set = encode_monitor(monitor, lambda X_mon: self._encode_rows(X_mon, self.handle_unknown),
                                     self.classes_)
        backbone = backbone.to(self.device_)
        if self.feature_ids == "fixed" and not hasattr(backbone, "fixed_feature_ids"):
            raise ValueError(
                f"feature_ids='fixed' needs a backbone with feature-identity vectors (the embedded ones); "
                f"{type(backbone).__name__} has none. Use feature_ids='random'."
            )
        if self.max_steps == 0:  # zero-shot: the monitor set is scored with all real rows as context
            monitor = None if monitor_set is None else self._evaluator(
                (Z, codes), (Z[:0], codes[:0]), monitor_set, backbone, seeds)(backbone)[1]
            self.history_ = [{"step": 0, "train_loss": float("nan"), "val_score": float("nan"),
                              **({} if monitor is None else {"monitor_score": monitor}), "episode_size": 0,
                              "elapsed": 0.0}]
            self.best_step_, self.best_score_, self.n_steps_, self.n_synthetic_, self.episode_size_ = 0, np.nan, 0, 0, 0
            return backbone
        if self.early_stopping and self.cv is not None:
            return self._fit_cross_validated(backbone, X, y, Z, codes, seeds, monitor_set)
        if self.early_stopping:
            train_idx, val_idx = stratified_validation_split(
                codes, self.validation_fraction, self.classes_, seeds["split"]
            )
        else:
            train_idx, val_idx = np.arange(len(codes)), np.arange(0)
        result = self._finetune_on(backbone, X, y, Z, codes, train_idx, val_idx, seeds, monitor_set,
                                   max_steps=self.max_steps, early_stopping=self.early_stopping)
        if self.early_stopping and self.calibration is not None:  # out of fold at the chosen step
            chosen = next(i for i, e in enumerate(result.history) if e["step"] == result.best_step)
            self._oof = (codes[val_idx], result.val_probas[chosen])
        self.history_, self.best_step_, self.best_score_ = result.history, result.best_step, result.best_score
        self.n_steps_, self.episode_size_ = result.n_steps, result.episode_size
        return backbone

    def _fit_cross_validated(self, backbone, X, y, Z, codes, seeds, monitor_set):
        """The number of steps chosen across ``cv`` folds, then the backbone fine-tuned on all rows for it."""
        def run_fold(k, train_idx, val_idx):
            return self._finetune_on(copy.deepcopy(backbone), X, y, Z, codes, train_idx, val_idx,
                                     fold_seeds(seeds, k), monitor_set, max_steps=self.max_steps,
                                     early_stopping=False)

        curve, best, oof = cross_validated_steps(run_fold, codes, self.cv, seeds["split"])
        if self.calibration is not None:
            self._oof = oof
        self.history_, self.best_step_ = curve, best
        self.best_score_ = next(p["val_score"] for p in curve if p["step"] == best)
        self.n_steps_, self.episode_size_ = 0, 0
        if best > 0:
            everything = np.arange(len(codes))
            result = self._finetune_on(backbone, X, y, Z, codes, everything, everything[:0], seeds, None,
                                       max_steps=best, early_stopping=False)
            self.n_steps_, self.episode_size_ = result.n_steps, result.episode_size
        return backbone

    def _finetune_on(self, backbone, X, y, Z, codes, train_idx, val_idx, seeds, monitor_set, *, max_steps,
                     early_stopping):
        """One fine-tuning of ``backbone`` on the rows ``train_idx``, validated on ``val_idx``."""
        sampler = self._episode_sampler(X, y, Z, codes, train_idx, seeds, self._context_limit(backbone))
        evaluate = self._evaluator((Z[train_idx], codes[train_idx]), (Z[val_idx], codes[val_idx]), monitor_set,
                                   backbone, seeds)
        return finetune(
            backbone, sampler, evaluate, max_steps=max_steps, learning_rate=self.learning_rate,
            weight_decay=self.weight_decay, batch_size=self.batch_size, eval_every=self.eval_every,
            patience=self.patience, early_stopping=early_stopping, device=self.device_,
            warmup_steps=self.warmup * self.max_steps, l2sp=self.l2sp,
            fixed_feature_ids=self.feature_ids == "fixed", verbose=self.verbose,
        )

    def _out_of_fold_proba(self, backbone, Z, codes, seed):
        # the validation rows at the chosen step (or the held-out folds); else the base class's in-context folds
        oof = vars(self).pop("_oof", None)
        return oof if oof is not None else super()._out_of_fold_proba(backbone, Z, codes, seed)

    def _views_context(self) -> str:
        """The ``context`` of fine-tuning views and validation: ``"bagged"`` bags prediction's ensemble only, so
        its views and its (one-member) validation use one subsample, as ``"subsample"`` does."""
        return "local" if self.context == "local" else "subsample"

    def _episode_sampler(self, X, y, Z, codes, train_idx, seeds, context_limit):
        """Episodes over the real training rows and, at ``synthetic_ratio > 0``, the synthetic pool."""
        Z_syn = codes_syn = None
        if self.synthetic_ratio > 0:
            y_train = y.iloc[train_idx] if isinstance(y, pd.Series) else column_or_1d(y, warn=False)[train_idx]
            if not isinstance(X, (np.ndarray, list)) and not hasattr(X, "columns"):
                X = np.asarray(X)  # an array-like without columns (an object with __array__): rows indexable
            Z_syn, codes_syn = encoded_pool(self.augmenter, self.memory, _safe_indexing(X, train_idx), y_train,
                                            self.n_synthetic, seeds, self.schema_, self.classes_)
            Z_syn = self.level_codes_.transform(Z_syn)
        self.n_synthetic_ = 0 if Z_syn is None else len(Z_syn)
        return make_sampler(
            self.episodes, Z, codes, train_idx, Z_syn, codes_syn, synthetic_ratio=self.synthetic_ratio,
            placement=self.synthetic_placement, episode_size=self.episode_size, query_fraction=self.query_fraction,
            max_context=context_limit, max_query=self.max_query_rows,
            n_classes=len(self.classes_), categorical_mask=self.schema_.categorical_mask, seed=seeds["episodes"],
            context=self._views_context(),
        )

    def _evaluator(self, context, validation, monitor_set, backbone, seeds):
        return make_evaluator(
            context, validation, monitor_set, n_classes=len(self.classes_),
            categorical_mask=self.schema_.categorical_mask, scoring=self.scoring,
            max_context_rows=self._context_limit(backbone), seed=seeds["eval"],
            device=self.device_, context_kind=self._views_context(),
        )

    # ------------------------------------------------------------------------------------------- predict
    @deprecated("predictor_ is deprecated in 0.2 and will be removed in 0.3: CausalMixFTClassifier predicts "
                "itself; use the estimator (and backbone_, context_X_, context_y_) directly.")
    @property
    def predictor_(self):
        """CausalMixFTClassifier : the estimator itself (deprecated)."""
        return self
