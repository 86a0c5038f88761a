"""What the embedded in-context transformers share: attention helpers, feature identities, wide-table subsets.

Both embedded architectures (:class:`~sklearn_causalmix.backbones.CausalMixPFN`, one token per cell, and
:class:`~sklearn_causalmix.backbones.RowPFN`, one token per row) encode cells from the context rows only,
tell features apart by random identity vectors, split tables wider than ``feature_subset_size`` (at most
``max_features``) into feature subsets whose logits are averaged, and cache the context's per-layer keys and
values for prediction. This module holds that machinery once; each architecture implements three hooks on one feature subset: ``_forward_subset``
(training, one pass), ``_encode_subset`` (the context's cache) and ``_query_subset`` (queries against it).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel

from sklearn_causalmix.backbones._base import EncodedContext, TabularBackbone

__all__ = ["PFNBase", "attend", "heads_layout", "make_norm"]

_MAX_ATTENTION_BATCH = 32768
_SDPA_BACKENDS = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]


def make_norm(kind: str, d: int) -> nn.Module:
    """A pre-norm layer: ``"rms"`` (RMSNorm) or ``"layer"`` (LayerNorm)."""
    return nn.RMSNorm(d) if kind == "rms" else nn.LayerNorm(d)


def heads_layout(t: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(..., L, d) -> (batch, heads, L, d / heads): the layout the fused attention kernels take."""
    return t.reshape(-1, t.shape[-2], n_heads, t.shape[-1] // n_heads).transpose(1, 2)


def attend(q, k, v, n_heads: int, kv_in_heads: bool = False) -> torch.Tensor:
    """Multi-head attention of ``q`` (..., Lq, d) over ``k``, ``v`` (..., Lk, d) (leading dims shared).

    With ``kv_in_heads``, ``k`` and ``v`` come already in heads layout (from :func:`heads_layout`, as the
    caches keep them).
    """
    *lead, length, width = q.shape
    q = heads_layout(q, n_heads)
    if not kv_in_heads:
        k, v = heads_layout(k, n_heads), heads_layout(v, n_heads)
    # fused CUDA kernels cap the grid at 65,535 (batch x heads) blocks: split larger batches
    step = max(1, _MAX_ATTENTION_BATCH // n_heads)
    # cuDNN's fused attention builds a new plan for every new shape (~16 ms of CPU time per call, measured
    # on an H100), and episode shapes change every step: use the flash / memory-efficient kernels instead.
    with sdpa_kernel(_SDPA_BACKENDS):
        out = torch.cat(
            [
                F.scaled_dot_product_attention(q[i : i + step], k[i : i + step], v[i : i + step])
                for i in range(0, q.shape[0], step)
            ]
        )
    return out.transpose(1, 2).reshape(*lead, length, width)


class PFNBase(TabularBackbone):
    """Shared machinery of the embedded models (see the module docstring); not a backbone by itself.

    Subclasses set ``config`` (with ``feature_embed_dim``, ``feature_group``, ``max_features`` and
    ``query_chunk``), ``limits``, ``feature_identity`` (a linear map of the identity vectors),
    ``cell_encoder`` (encoded, grouped cells to tokens) and ``categorical_embedding``, and implement
    ``_forward_subset(X_context, y_context, X_query, n_classes, mask) -> logits``,
    ``_encode_subset(X_context, y_context, mask) -> dict`` and ``_query_subset(state, X_query, n_classes)``.

    Attributes
    ----------
    feature_generator : torch.Generator or None
        Source of the random feature-identity vectors in training mode (the global generator if None);
        pretraining sets it so that a run is reproducible and resumable without global seeding.
    fixed_feature_ids : bool
        Whether training mode, too, uses the fixed identity vectors of eval mode (fine-tuning the function
        that predicts, ``CausalMixFTClassifier(feature_ids="fixed")``) instead of fresh random ones
        (pretraining). False unless set.
    feature_subset_size : int or None
        Widest feature subset of one pass: wider tables are split into the fewest even subsets of at most
        this many columns (always at most ``config.max_features``), whose logits are averaged. None (the
        default, as in pretraining) means ``config.max_features``; the estimators set it from their
        ``feature_subset_size`` parameter.
    """

    _FIXED_SEED = 1234
    splits_wide_tables = True
    feature_generator = None
    fixed_feature_ids = False
    feature_subset_size = None

    @property
    def pretrained_max_features(self) -> int | None:
        """The widest table of the prior these weights were pretrained on (from the weights' manifest), else None.

        Examples
        --------
        >>> from sklearn_causalmix.backbones import get_backbone
        >>> get_backbone("default").pretrained_max_features
        24
        """
        prior = (getattr(self, "manifest", None) or {}).get("prior") or {}
        widths = [prior.get("max_features")]
        if prior.get("wide_fraction", 0) > 0:
            widths.append(prior.get("max_wide_features"))
        widths = [int(w) for w in widths if w]
        return max(widths) if widths else None

    def use_feature_subsets(self, size):
        """Read tables wider than ``size`` as feature subsets; return the width in use.

        Parameters
        ----------
        size : "auto", int or None
            ``"auto"``: :attr:`pretrained_max_features`; None: ``config.max_features`` (as pretraining reads).

        Returns
        -------
        width : int or None
            The new :attr:`feature_subset_size`.

        Examples
        --------
        >>> from sklearn_causalmix.backbones import get_backbone
        >>> get_backbone("default").use_feature_subsets("auto")
        24
        """
        self.feature_subset_size = self.pretrained_max_features if size == "auto" else size
        return self.feature_subset_size

    # ----------------------------------------------------------------------------------------- embedding
    def _feature_vectors(self, n_features: int, device, dtype) -> torch.Tensor:
        shape = (n_features, self.config.feature_embed_dim)
        if self.training and not self.fixed_feature_ids:
            gen = self.feature_generator
            if gen is None:
                return torch.randn(*shape, device=device, dtype=dtype)
            return torch.randn(*shape, generator=gen, device=gen.device).to(device, dtype)
        gen = torch.Generator(device="cpu").manual_seed(self._FIXED_SEED)
        return torch.randn(*shape, generator=gen).to(device, dtype)

    def _feature_ids(self, X: torch.Tensor) -> torch.Tensor:
        """Learned projections of the random identity vectors of the columns of ``X``: (F, width)."""
        return self.feature_identity(self._feature_vectors(X.shape[-1], X.device, torch.float32))

    def _group(self, cells: torch.Tensor) -> torch.Tensor:
        """(B, N, F, 3) -> (B, N, F, 3 * feature_group): each cell with its cyclically shifted neighbours."""
        if self.config.feature_group == 1:
            return cells
        shifts = [0] + [2**i for i in range(self.config.feature_group - 1)]
        return torch.cat([torch.roll(cells, -s, dims=2) for s in shifts], dim=-1)

    def _cell_tokens(self, cells, ids, categorical_mask) -> torch.Tensor:
        """(B, N, F, 3) encoded cells -> (B, N, F, width): embedded with their feature identities ``ids``.

        Cells of categorical columns (``categorical_mask``, ``(F,)`` or ``(B, F)``) also get the learned
        categorical embedding.
        """
        tokens = self.cell_encoder(self._group(cells)) + ids
        if categorical_mask is not None:
            mask = categorical_mask.to(tokens.device, tokens.dtype)
            mask = mask.reshape(-1, 1, mask.shape[-1], 1)  # (1 or B, 1, F, 1)
            tokens = tokens + mask * self.categorical_embedding
        return tokens

    def _feature_subsets(self, n_features: int) -> list[torch.Tensor]:
        m = min(self.feature_subset_size or self.config.max_features, self.config.max_features)
        if n_features <= m:
            return [torch.arange(n_features)]
        gen = torch.Generator(device="cpu").manual_seed(self._FIXED_SEED)
        perm = torch.randperm(n_features, generator=gen)
        n_sub = -(-n_features // m)
        # every feature in exactly one subset, subsets as even as possible (all <= max_features)
        return [torch.sort(chunk).values for chunk in perm.tensor_split(n_sub)]

    @staticmethod
    def _subset_mask(categorical_mask, idx):
        return None if categorical_mask is None else categorical_mask[..., idx.to(categorical_mask.device)]

    # ------------------------------------------------------------------------------------ forward paths
    def forward(self, X_context, y_context, X_query, *, n_classes, categorical_mask=None):
        """Class logits of the query rows; see :meth:`TabularBackbone.forward`.

        ``categorical_mask`` may be shared, ``(n_features,)``, or one per task, ``(B, n_features)``. In eval
        mode this is :meth:`encode_context` followed by :meth:`predict_queries`.
        """
        self._check_n_classes(n_classes)
        if not self.training:
            return self.predict_queries(
                self.encode_context(X_context, y_context, n_classes=n_classes, categorical_mask=categorical_mask),
                X_query,
            )
        logits = 0
        subsets = self._feature_subsets(X_context.shape[-1])
        for idx in subsets:
            idx_dev = idx.to(X_context.device)
            logits = logits + self._forward_subset(
                X_context[..., idx_dev], y_context, X_query[..., idx_dev], n_classes,
                self._subset_mask(categorical_mask, idx),
            )
        return logits / len(subsets)

    def encode_context(self, X_context, y_context, *, n_classes, categorical_mask=None) -> EncodedContext:
        """Run the context rows once and keep every layer's attention keys and values.

        Parameters
        ----------
        X_context : torch.Tensor of shape (B, n_context, n_features)
        y_context : torch.Tensor of shape (B, n_context)
        n_classes : int
        categorical_mask : torch.Tensor of shape (n_features,) or (B, n_features), default=None

        Returns
        -------
        context : EncodedContext
            ``state`` holds, per feature subset, the column statistics of the preprocessing, the feature
            identities and the per-layer keys and values; queries are then run by :meth:`predict_queries`.
        """
        self._check_n_classes(n_classes)
        subsets = []
        for idx in self._feature_subsets(X_context.shape[-1]):
            Xc = X_context[..., idx.to(X_context.device)].float()
            state = self._encode_subset(Xc, y_context, self._subset_mask(categorical_mask, idx))
            subsets.append({"index": idx, **state})
        return EncodedContext(n_classes=n_classes, categorical_mask=categorical_mask, inputs=None, state=subsets)

    def predict_queries(self, context: EncodedContext, X_query) -> torch.Tensor:
        """Class logits of query rows against an encoded context (chunked by ``config.query_chunk``).

        Parameters
        ----------
        context : EncodedContext
            From :meth:`encode_context` of this model.
        X_query : torch.Tensor of shape (B, n_query, n_features)

        Returns
        -------
        logits : torch.Tensor of shape (B, n_query, n_classes)
        """
        chunk = max(1, self.config.query_chunk)
        parts = [
            self._query_chunk(context, X_query[:, s : s + chunk]) for s in range(0, X_query.shape[1], chunk)
        ]
        return torch.cat(parts, dim=1)

    def _query_chunk(self, context, X_query):
        logits = 0
        for sub in context.state:
            Xq = X_query[..., sub["index"].to(X_query.device)].float()
            logits = logits + self._query_subset(sub, Xq, context.n_classes)
        return logits / len(context.state)
