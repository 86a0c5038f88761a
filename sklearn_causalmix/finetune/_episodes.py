"""Fine-tuning episodes that mix real and synthetic rows in a fixed share.

Two kinds of episode: :class:`WholeTableSampler` draws *views of the whole table* (every step, all real training
rows, permuted, split into a context as large as prediction uses and query rows — the recipe of the maintained
fine-tuners); :class:`EpisodeSampler` draws small episodes of ``episode_size`` rows (the first recipe).
:class:`LocalViewSampler` draws *local views* for tables larger than the context: the rows nearest a random
training row, as local contexts predict.

An *episode* is one in-context task: labelled context rows and query rows whose labels the backbone predicts.
:class:`EpisodeSampler` draws batches of episodes from two pools of encoded rows — the real training rows and the
synthetic pool — so that both the context and the query part of every episode hold a ``synthetic_ratio`` share of
synthetic rows. Every episode carries the provenance of each of its rows (pool and index), which the leakage tests
read.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from sklearn_causalmix._training import Episode
from sklearn_causalmix.backbones import nearest_rows, neighbour_space

__all__ = [
    "EpisodeBatch", "EpisodeSampler", "LocalViewSampler", "WholeTableSampler", "episode_composition", "make_sampler",
    "view_composition",
]


@dataclass(frozen=True)
class EpisodeBatch(Episode):
    """A batch of episodes (an :class:`~sklearn_causalmix._training.Episode`) with the provenance of every row.

    Parameters
    ----------
    X_context : ndarray of shape (B, n_context, n_features), float32
    y_context : ndarray of shape (B, n_context), int64
        Class codes, permuted per episode when the sampler permutes classes.
    X_query : ndarray of shape (B, n_query, n_features), float32
    y_query : ndarray of shape (B, n_query), int64
    categorical_mask : ndarray of shape (n_features,), bool
        Follows the batch's feature order.
    n_classes : int
    context_synthetic, query_synthetic : ndarray of bool
        True where the row comes from the synthetic pool, same shapes as ``y_context`` / ``y_query``.
    context_index, query_index : ndarray of int
        Index of every row in its pool (the real pool or the synthetic pool, as the flags say).
    feature_order : ndarray of shape (n_features,), int
        Column ``j`` of the batch is column ``feature_order[j]`` of the pools.
    """

    context_synthetic: np.ndarray
    query_synthetic: np.ndarray
    context_index: np.ndarray
    query_index: np.ndarray
    feature_order: np.ndarray


def episode_composition(episode_size, synthetic_ratio, query_fraction, n_real, n_synthetic):
    """Row counts of one episode: ``(real_context, synthetic_context, real_query, synthetic_query)``.

    The episode holds at most ``episode_size`` rows, never more real rows than ``n_real`` nor more synthetic
    rows than ``n_synthetic`` (rows are drawn without replacement within an episode); it shrinks until both
    fit while keeping the synthetic share of the context and of the query at ``synthetic_ratio`` (rounded).
    At least one context and one query row.

    Parameters
    ----------
    episode_size : int
    synthetic_ratio : float in [0, 1]
    query_fraction : float in (0, 1)
    n_real, n_synthetic : int
        Pool sizes.

    Returns
    -------
    counts : tuple of 4 int

    Raises
    ------
    ValueError
        If the pools cannot fill an episode of two rows.

    Examples
    --------
    >>> from sklearn_causalmix.finetune._episodes import episode_composition
    >>> episode_composition(128, 0.25, 0.25, n_real=1000, n_synthetic=1000)
    (72, 24, 24, 8)
    >>> episode_composition(128, 0.5, 0.25, n_real=40, n_synthetic=1000)
    (30, 30, 10, 10)
    """
    r = float(synthetic_ratio)
    total = int(episode_size)
    if r < 1:
        total = min(total, int(np.floor(n_real / (1 - r) + 1e-9)) + 1)
    if r > 0:
        total = min(total, int(np.floor(n_synthetic / r + 1e-9)) + 1)
    while total >= 2:
        n_query = min(max(1, int(round(query_fraction * total))), total - 1)
        n_context = total - n_query
        syn_c, syn_q = int(round(r * n_context)), int(round(r * n_query))
        real_c, real_q = n_context - syn_c, n_query - syn_q
        if real_c + real_q <= n_real and syn_c + syn_q <= n_synthetic:
            return real_c, syn_c, real_q, syn_q
        total -= 1
    raise ValueError(
        f"Cannot build a fine-tuning episode from {n_real} real and {n_synthetic} synthetic row(s) at "
        f"synthetic_ratio={r}: an episode needs at least one context and one query row. Provide more rows "
        f"(or a larger n_synthetic)."
    )


class EpisodeSampler:
    """Draws batches of episodes mixing real and synthetic rows.

    Per episode: real and synthetic rows are drawn without replacement from their pools, in the counts of
    :func:`episode_composition`, and dealt to the context and the query so that each part holds the
    ``synthetic_ratio`` share; optionally the class codes are relabelled by a random permutation (per episode)
    and the columns reordered (per batch, since the categorical mask is shared), which keeps the fine-tuned
    model invariant to both, as the in-context ensemble expects.

    Parameters
    ----------
    X_real : ndarray of shape (n_real, n_features)
        Encoded real training rows (float, NaN for missing, category codes).
    y_real : ndarray of shape (n_real,)
        Their class codes.
    X_synthetic, y_synthetic : ndarray or None
        The synthetic pool, encoded the same way; None when ``synthetic_ratio == 0``.
    synthetic_ratio : float in [0, 1]
    episode_size : int
        Largest number of rows (context + query) per episode.
    query_fraction : float in (0, 1)
        Share of an episode's rows that are queries.
    n_classes : int
    categorical_mask : ndarray of shape (n_features,), bool
    permute : bool, default=True
        Relabel classes and reorder features at random.
    random_state : int, default=0

    Attributes
    ----------
    composition : tuple of 4 int
        ``(real_context, synthetic_context, real_query, synthetic_query)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.finetune._episodes import EpisodeSampler
    >>> rng = np.random.default_rng(0)
    >>> Xr, yr = rng.normal(size=(50, 3)), rng.integers(0, 2, 50)
    >>> Xs, ys = rng.normal(size=(80, 3)), rng.integers(0, 2, 80)
    >>> sampler = EpisodeSampler(Xr, yr, Xs, ys, synthetic_ratio=0.5, episode_size=32, query_fraction=0.25,
    ...                          n_classes=2, categorical_mask=np.zeros(3, bool), random_state=0)
    >>> batch = sampler.sample(2)
    >>> batch.X_context.shape, batch.X_query.shape
    ((2, 24, 3), (2, 8, 3))
    >>> int(batch.context_synthetic.sum()), int(batch.query_synthetic.sum())
    (24, 8)
    """

    def __init__(
        self,
        X_real,
        y_real,
        X_synthetic,
        y_synthetic,
        *,
        synthetic_ratio,
        episode_size,
        query_fraction,
        n_classes,
        categorical_mask,
        permute=True,
        random_state=0,
    ):
        self.X_real = np.asarray(X_real, dtype=np.float32)
        self.y_real = np.asarray(y_real, dtype=np.int64)
        if X_synthetic is None:
            self.X_synthetic = np.empty((0, self.X_real.shape[1]), dtype=np.float32)
            self.y_synthetic = np.empty(0, dtype=np.int64)
        else:
            self.X_synthetic = np.asarray(X_synthetic, dtype=np.float32)
            self.y_synthetic = np.asarray(y_synthetic, dtype=np.int64)
        self.synthetic_ratio = float(synthetic_ratio)
        self.query_fraction = float(query_fraction)
        self.n_classes = int(n_classes)
        self.categorical_mask = np.asarray(categorical_mask, dtype=bool)
        self.permute = permute
        self.rng = np.random.default_rng(random_state)
        self.episode_size = int(episode_size)
        self._update()

    def _update(self):
        self.composition = episode_composition(
            self.episode_size, self.synthetic_ratio, self.query_fraction, len(self.y_real), len(self.y_synthetic)
        )
        self.episode_size = sum(self.composition)

    def shrink(self) -> bool:
        """Halve the episode size (after an out-of-memory error); False when it cannot shrink further.

        Returns
        -------
        shrunk : bool
        """
        if self.episode_size < 4:
            return False
        self.episode_size //= 2
        self._update()
        return True

    def _draw(self, n_real, n_synthetic):
        """The rows of one episode: ``n_real`` real and ``n_synthetic`` synthetic indices, in random order."""
        real = self.rng.choice(len(self.y_real), size=n_real, replace=False)
        return real, self.rng.choice(len(self.y_synthetic), size=n_synthetic, replace=False)

    def _episode(self, feature_order):
        real_c, syn_c, real_q, syn_q = self.composition
        real, syn = self._draw(real_c + real_q, syn_c + syn_q)
        parts = {}
        for name, real_idx, syn_idx in (
            ("context", real[:real_c], syn[:syn_c]),
            ("query", real[real_c:], syn[syn_c:]),
        ):
            index = np.concatenate([real_idx, syn_idx])
            synthetic = np.concatenate([np.zeros(len(real_idx), bool), np.ones(len(syn_idx), bool)])
            X = np.concatenate([self.X_real[real_idx], self.X_synthetic[syn_idx]])
            y = np.concatenate([self.y_real[real_idx], self.y_synthetic[syn_idx]])
            order = self.rng.permutation(len(index))  # interleave, so a row's position carries no provenance
            X, y, synthetic, index = X[order], y[order], synthetic[order], index[order]
            parts[name] = (X[:, feature_order].astype(np.float32), y, synthetic, index)
        class_perm = self.rng.permutation(self.n_classes) if self.permute else np.arange(self.n_classes)
        return {k: (X, class_perm[y], s, i) for k, (X, y, s, i) in parts.items()}

    def sample(self, batch_size=1) -> EpisodeBatch:
        """Draw ``batch_size`` episodes.

        Parameters
        ----------
        batch_size : int, default=1

        Returns
        -------
        batch : EpisodeBatch
        """
        n_features = self.X_real.shape[1]
        feature_order = self.rng.permutation(n_features) if self.permute else np.arange(n_features)
        episodes = [self._episode(feature_order) for _ in range(batch_size)]

        def stack(part, k):
            return np.stack([e[part][k] for e in episodes])

        return EpisodeBatch(
            X_context=stack("context", 0),
            y_context=stack("context", 1).astype(np.int64),
            X_query=stack("query", 0),
            y_query=stack("query", 1).astype(np.int64),
            categorical_mask=self.categorical_mask[feature_order],
            n_classes=self.n_classes,
            context_synthetic=stack("context", 2),
            query_synthetic=stack("query", 2),
            context_index=stack("context", 3),
            query_index=stack("query", 3),
            feature_order=feature_order,
        )


def view_composition(n_real, n_synthetic, *, max_context, max_query, query_fraction, context_ratio, query_ratio):
    """Row counts of one whole-table view: ``(real_context, synthetic_context, real_query, synthetic_query)``.

    The query part holds ``round(query_fraction * n)`` rows (at most ``max_query``), where ``n`` counts the rows
    the query may draw from; a ``query_ratio`` share of them synthetic. The context takes as many of the
    remaining rows as it may (at most ``max_context``), a ``context_ratio`` share of them synthetic. Rows are
    drawn without replacement within a view.

    Parameters
    ----------
    n_real, n_synthetic : int
        Pool sizes.
    max_context, max_query : int
    query_fraction : float in (0, 1)
    context_ratio, query_ratio : float in [0, 1]
        Synthetic share of the context and of the query part.

    Returns
    -------
    counts : tuple of 4 int

    Raises
    ------
    ValueError
        If the pools cannot fill a view with one context and one query row.

    Examples
    --------
    >>> from sklearn_causalmix.finetune._episodes import view_composition
    >>> view_composition(1500, 0, max_context=1024, max_query=512, query_fraction=0.2, context_ratio=0.0,
    ...                  query_ratio=0.0)
    (1024, 0, 300, 0)
    >>> view_composition(400, 1000, max_context=1024, max_query=512, query_fraction=0.2, context_ratio=0.0,
    ...                  query_ratio=0.5)
    (360, 0, 40, 40)
    """
    def capacity(ratio, real, synthetic):  # the largest part with this synthetic share the pools can fill
        limits = [np.inf]
        if ratio < 1:
            limits.append(np.floor(real / (1 - ratio) + 1e-9))
        if ratio > 0:
            limits.append(np.floor(synthetic / ratio + 1e-9))
        return limits

    base = n_synthetic if query_ratio >= 1 else n_real
    n_query = int(min(max_query, max(1, round(query_fraction * base)), *capacity(query_ratio, n_real - 1, n_synthetic)))
    syn_q = int(round(query_ratio * n_query))
    real_q = n_query - syn_q
    n_context = int(min(max_context, *capacity(context_ratio, n_real - real_q, n_synthetic - syn_q)))
    syn_c = int(round(context_ratio * n_context))
    real_c = n_context - syn_c
    if n_query < 1 or n_context < 1 or real_c < 0 or syn_c > n_synthetic - syn_q:
        raise ValueError(
            f"Cannot build a fine-tuning view from {n_real} real and {n_synthetic} synthetic row(s): a view needs at "
            "least one context and one query row. Provide more rows (or a larger n_synthetic)."
        )
    return real_c, syn_c, real_q, syn_q


class WholeTableSampler(EpisodeSampler):
    """Views of the whole table: every episode draws from all real training rows (and the synthetic pool).

    Per view, the rows are shuffled and dealt, in the counts of :func:`view_composition`, to a context as large as
    prediction uses (``max_context`` rows) and a query part (``query_fraction`` of the rows, at most
    ``max_query``); class codes and feature order are permuted as in :class:`EpisodeSampler`. Where the synthetic
    rows go is ``placement``: ``"both"`` (a ``synthetic_ratio`` share of context and query), ``"query"`` (only
    queries: the context stays real, as at prediction) or ``"context"`` (only the context).

    Parameters
    ----------
    X_real, y_real, X_synthetic, y_synthetic
        As for :class:`EpisodeSampler`.
    synthetic_ratio : float in [0, 1]
    max_context, max_query : int
    query_fraction : float in (0, 1)
    placement : {"both", "query", "context"}, default="both"
    n_classes : int
    categorical_mask : ndarray of shape (n_features,), bool
    permute : bool, default=True
    random_state : int, default=0

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.finetune._episodes import WholeTableSampler
    >>> rng = np.random.default_rng(0)
    >>> Xr, yr = rng.normal(size=(50, 3)), rng.integers(0, 2, 50)
    >>> Xs, ys = rng.normal(size=(80, 3)), rng.integers(0, 2, 80)
    >>> sampler = WholeTableSampler(Xr, yr, Xs, ys, synthetic_ratio=0.5, max_context=1024, max_query=512,
    ...                             query_fraction=0.2, placement="query", n_classes=2,
    ...                             categorical_mask=np.zeros(3, bool), random_state=0)
    >>> batch = sampler.sample()
    >>> batch.X_context.shape, int(batch.context_synthetic.sum()), int(batch.query_synthetic.sum())
    ((1, 45, 3), 0, 5)
    """

    def __init__(self, X_real, y_real, X_synthetic, y_synthetic, *, synthetic_ratio, max_context, max_query,
                 query_fraction, n_classes, categorical_mask, placement="both", permute=True, random_state=0):
        self.max_context, self.max_query, self.placement = int(max_context), int(max_query), placement
        super().__init__(
            X_real, y_real, X_synthetic, y_synthetic, synthetic_ratio=synthetic_ratio,
            episode_size=max_context + max_query, query_fraction=query_fraction, n_classes=n_classes,
            categorical_mask=categorical_mask, permute=permute, random_state=random_state,
        )

    def _update(self):
        r = self.synthetic_ratio
        self.composition = view_composition(
            len(self.y_real), len(self.y_synthetic), max_context=self.max_context, max_query=self.max_query,
            query_fraction=self.query_fraction, context_ratio=r if self.placement in ("both", "context") else 0.0,
            query_ratio=r if self.placement in ("both", "query") else 0.0,
        )
        self.episode_size = sum(self.composition)

    def shrink(self) -> bool:
        """Halve the context and query caps (after an out-of-memory error); False when it cannot shrink further.

        Returns
        -------
        shrunk : bool
        """
        if self.episode_size < 4:
            return False
        self.max_context = max(1, min(self.max_context, self.composition[0] + self.composition[1]) // 2)
        self.max_query = max(1, min(self.max_query, self.composition[2] + self.composition[3]) // 2)
        self._update()
        return True


class LocalViewSampler(WholeTableSampler):
    """Local views: the real rows nearest a random real row (and the synthetic rows nearest it), as a view.

    The fine-tuning counterpart of ``context="local"`` prediction
    (:class:`~sklearn_causalmix.backbones.LocalContexts`): each view holds the counts of
    :func:`view_composition`, but instead of a random draw of the table it takes, around an anchor drawn at
    random among the real rows, the nearest real rows and the nearest synthetic rows
    (:func:`~sklearn_causalmix.backbones.neighbour_space` distances, fitted on the real rows), shuffled and
    dealt to the context and the queries. When the real rows fit the context (at most ``max_context``), or a
    view holds them all, the views are those of :class:`WholeTableSampler`, random draws included (the same
    episodes for the same seed): local views are for tables larger than the context.

    Parameters
    ----------
    X_real, y_real, X_synthetic, y_synthetic, synthetic_ratio, max_context, max_query, query_fraction, n_classes, \
categorical_mask, placement, permute, random_state
        As for :class:`WholeTableSampler`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.finetune._episodes import LocalViewSampler
    >>> X = np.arange(100, dtype=float)[:, None]
    >>> sampler = LocalViewSampler(X, np.arange(100) % 2, None, None, synthetic_ratio=0.0, max_context=16,
    ...                            max_query=4, query_fraction=0.2, n_classes=2, categorical_mask=np.zeros(1, bool))
    >>> batch = sampler.sample()
    >>> rows = np.concatenate([batch.context_index[0], batch.query_index[0]])
    >>> int(rows.max() - rows.min())  # 20 neighbouring rows of the one feature
    19
    """

    @functools.cached_property
    def _points(self):
        """``(real, synthetic, anchors)``: the pools in the neighbour space, computed at the first local view."""
        # the anchors are real rows; synthetic ones only when the views hold no real row (synthetic_ratio=1)
        anchors = self.X_real if len(self.X_real) else self.X_synthetic
        space = neighbour_space(self.categorical_mask).fit(anchors)

        def points(X):  # an empty pool has no points
            return space.transform(X) if len(X) else np.zeros((0, 1))

        real, synthetic = points(self.X_real), points(self.X_synthetic)
        return real, synthetic, real if len(self.X_real) else synthetic

    def _draw(self, n_real, n_synthetic):
        if len(self.y_real) <= self.max_context or n_real == len(self.y_real):
            return super()._draw(n_real, n_synthetic)  # the real rows fit the context, or the view holds them all
        real, synthetic, anchors = self._points
        anchor = anchors[self.rng.integers(len(anchors))]
        return (self.rng.permutation(nearest_rows(real, anchor, n_real)),
                self.rng.permutation(nearest_rows(synthetic, anchor, n_synthetic)))


def make_sampler(episodes, Z, codes, train_idx, Z_syn, codes_syn, *, synthetic_ratio, placement, episode_size,
                 query_fraction, max_context, max_query, n_classes, categorical_mask, seed, context="subsample"):
    """The fine-tuner's sampler: whole-table views or small episodes over the rows ``train_idx`` (and the pool).

    At ``synthetic_ratio=1`` the episodes hold synthetic rows only, except the parts ``placement`` keeps real.

    Parameters
    ----------
    episodes : {"whole_table", "sampled"}
    Z, codes : ndarray
        All encoded real rows and their class codes.
    train_idx : ndarray of int
        The real rows to fine-tune on.
    Z_syn, codes_syn : ndarray or None
        The synthetic pool.
    synthetic_ratio, placement, episode_size, query_fraction, max_context, max_query, n_classes, categorical_mask
        As for :class:`WholeTableSampler` and :class:`EpisodeSampler`.
    seed : int
    context : {"subsample", "local"}, default="subsample"
        ``"local"``: whole-table views become local views (:class:`LocalViewSampler`); sampled episodes stay.

    Returns
    -------
    sampler : WholeTableSampler, LocalViewSampler or EpisodeSampler

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.finetune._episodes import make_sampler
    >>> Z, codes = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40) % 2
    >>> sampler = make_sampler("whole_table", Z, codes, np.arange(30), None, None, synthetic_ratio=0.0,
    ...                        placement="both", episode_size=96, query_fraction=0.2, max_context=1024,
    ...                        max_query=512, n_classes=2, categorical_mask=np.zeros(2, bool), seed=0)
    >>> sampler.composition
    (24, 0, 6, 0)
    """
    keep_real = synthetic_ratio < 1 or (episodes == "whole_table" and placement != "both")
    real = train_idx if keep_real else train_idx[:0]
    common = dict(synthetic_ratio=synthetic_ratio, query_fraction=query_fraction, n_classes=n_classes,
                  categorical_mask=categorical_mask, random_state=seed)
    if episodes == "sampled":
        return EpisodeSampler(Z[real], codes[real], Z_syn, codes_syn, episode_size=episode_size, **common)
    views = LocalViewSampler if context == "local" else WholeTableSampler
    return views(Z[real], codes[real], Z_syn, codes_syn, max_context=max_context, max_query=max_query,
                 placement=placement, **common)
