"""The second embedded architecture: one token per *row*, so in-context learning costs little per row.

Per-cell models (TabPFN v2, :class:`~sklearn_causalmix.backbones.CausalMixPFN`) let every cell attend across
all context rows in every layer: a query row with ``F`` features over ``n`` context rows costs about
``F * n * d`` per layer in attention alone, which on two CPU cores makes a 1,000-row prediction take seconds.
This model (in the spirit of TabICL, Qu et al., 2025) works in two stages:

1. **Rows.** Each cell is encoded from the context rows only
   (:mod:`~sklearn_causalmix.backbones.embedded._preprocess`, with the values of a few shifted columns as in
   the pretraining speedrun's feature grouping), embedded, and told apart from the other columns by a random
   identity vector. A small transformer lets the cells of one row attend to each other together with
   ``n_cls`` learned summary tokens; the summary tokens' outputs, concatenated, are the row's embedding of
   width ``d_model = n_cls * d_feature``. This stage never looks at other rows, so it costs the same per row
   whatever the context size.
2. **In context.** Context rows add their label's embedding, query rows a learned "unknown label" vector, and
   ``thinking_rows`` learned rows join the context. Each layer lets every row attend to the context (and
   thinking) rows only — queries never see each other — followed by an MLP; a decoder reads the query rows.

Pre-norm RMSNorm, no attention output projection and learnable thinking rows follow the nanoTabPFN
pretraining speedrun (Ozturk, Pfefferle & Hutter, 2026). Because queries attend only to context rows, the
context's per-layer keys and values are computed once (:meth:`RowPFN.encode_context`) and every prediction
runs only its own rows (:meth:`RowPFN.predict_queries`); ``forward`` computes the same numbers in one pass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from sklearn_causalmix.backbones._base import BackboneLimits
from sklearn_causalmix.backbones.embedded._pfn_base import PFNBase, attend, heads_layout
from sklearn_causalmix.backbones.embedded._preprocess import encode_cells, encode_with_stats

__all__ = ["RowPFNConfig", "RowPFN"]


@dataclass(frozen=True)
class RowPFNConfig:
    """Architecture of :class:`RowPFN`.

    Parameters
    ----------
    d_feature : int
        Width of the cell tokens in the row stage.
    n_cls : int
        Summary tokens per row; the row embedding is their concatenation (``d_model = n_cls * d_feature``).
    n_feature_layers : int
        Transformer layers across the cells of a row.
    n_feature_heads : int
        Attention heads of the row stage.
    n_layers : int
        In-context transformer layers across rows.
    n_heads : int
        Attention heads of the in-context stage.
    mlp_ratio : int
        Hidden width of every MLP as a multiple of its stage's width.
    feature_embed_dim : int
        Size of the random per-feature identity vectors.
    feature_group : int
        Each cell token embeds its own encoded value and those of ``feature_group - 1`` cyclically shifted
        columns (shifts 1, 2, 4, ...; 1: own value only).
    thinking_rows : int
        Learnable extra context rows that every row attends to (0: none).
    max_classes, max_features, max_context_rows : int
        The backbone's limits (see :class:`BackboneLimits`).
    query_chunk : int
        Query rows processed at once at inference (bounds memory; results do not depend on it).

    Examples
    --------
    >>> from sklearn_causalmix.backbones import RowPFNConfig
    >>> RowPFNConfig(d_feature=32, n_cls=4).d_model
    128
    """

    d_feature: int = 64
    n_cls: int = 4
    n_feature_layers: int = 2
    n_feature_heads: int = 4
    n_layers: int = 4
    n_heads: int = 4
    mlp_ratio: int = 2
    feature_embed_dim: int = 16
    feature_group: int = 3
    thinking_rows: int = 16
    max_classes: int = 10
    max_features: int = 100
    max_context_rows: int = 1024
    query_chunk: int = 2048

    def __post_init__(self):
        if self.d_feature % self.n_feature_heads:
            raise ValueError(
                f"d_feature={self.d_feature} must be divisible by n_feature_heads={self.n_feature_heads}."
            )
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} (n_cls * d_feature) must be divisible by n_heads={self.n_heads}.")
        if self.feature_group < 1 or self.thinking_rows < 0 or self.n_cls < 1:
            raise ValueError("feature_group and n_cls must be >= 1 and thinking_rows >= 0.")

    @property
    def d_model(self) -> int:
        """Width of a row token: ``n_cls * d_feature``."""
        return self.n_cls * self.d_feature

    def to_dict(self) -> dict:
        """The configuration as a JSON-serialisable dict."""
        return asdict(self)


class _Block(nn.Module):
    """Pre-norm attention of every token over the first ``n_kv`` tokens of its sequence, then an MLP."""

    def __init__(self, d: int, n_heads: int, mlp_ratio: int):
        super().__init__()
        self.n_heads = n_heads
        self.norm_attn = nn.RMSNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.norm_mlp = nn.RMSNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, mlp_ratio * d), nn.GELU(), nn.Linear(mlp_ratio * d, d))

    def forward(self, x: torch.Tensor, n_kv: int | None = None) -> torch.Tensor:
        q, k, v = self.qkv(self.norm_attn(x)).chunk(3, dim=-1)
        if n_kv is not None:
            k, v = k[..., :n_kv, :], v[..., :n_kv, :]
        x = x + attend(q, k, v, self.n_heads)
        return x + self.mlp(self.norm_mlp(x))

    def encode(self, x: torch.Tensor):
        """Context rows only: their new states and this layer's keys and values (heads layout)."""
        q, k, v = self.qkv(self.norm_attn(x)).chunk(3, dim=-1)
        x = x + attend(q, k, v, self.n_heads)
        kv = (heads_layout(k, self.n_heads).contiguous(), heads_layout(v, self.n_heads).contiguous())
        return x + self.mlp(self.norm_mlp(x)), kv

    def query(self, x: torch.Tensor, kv) -> torch.Tensor:
        """Query rows against a context's cached keys and values."""
        d = x.shape[-1]
        q = F.linear(self.norm_attn(x), self.qkv.weight[:d], self.qkv.bias[:d])
        x = x + attend(q, *kv, self.n_heads, kv_in_heads=True)
        return x + self.mlp(self.norm_mlp(x))


class RowPFN(PFNBase):
    """The embedded row-token prior-fitted network: the model of the shipped weights.

    One token per *row*, so in-context learning costs little per row (in the spirit of TabICL, Qu
    et al., 2025). It works in two stages:

    1. **Rows.** Each cell is encoded from the context rows only, embedded, and told apart from the
       other columns by a random identity vector. A small transformer lets the cells of one row
       attend to each other together with ``n_cls`` learned summary tokens; their outputs,
       concatenated, are the row's embedding of width ``d_model = n_cls * d_feature``. This stage
       never looks at other rows, so it costs the same per row whatever the context size.
    2. **In context.** Context rows add their label's embedding, query rows a learned "unknown
       label" vector, and ``thinking_rows`` learned rows join the context. Each layer lets every row
       attend to the context (and thinking) rows only -- queries never see each other -- followed
       by an MLP; a decoder reads the query rows.

    Because queries attend only to context rows, the context's per-layer keys and values are
    computed once (:meth:`encode_context`) and every prediction runs only its own rows
    (:meth:`predict_queries`); ``forward`` computes the same numbers in one pass. The per-cell
    alternative, whose weights still load, is :class:`~sklearn_causalmix.backbones.CausalMixPFN`.

    Preprocessing contract: as :class:`~sklearn_causalmix.backbones.CausalMixPFN` — numeric values and category
    codes encoded per cell from the context rows only, a learned embedding for categorical columns, a missing
    indicator for NaN, tables wider than ``max_features`` split into feature subsets whose logits are averaged.

    Parameters
    ----------
    config : RowPFNConfig, default=None
        Architecture; ``RowPFNConfig()`` if None.

    Attributes
    ----------
    feature_generator : torch.Generator or None
        Source of the random feature-identity vectors in training mode (the global generator if None).

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones import RowPFN, RowPFNConfig
    >>> model = RowPFN(RowPFNConfig(d_feature=16, n_cls=2, n_layers=1, n_heads=2)).eval()
    >>> Xc, yc, Xq = torch.randn(1, 20, 3), torch.randint(0, 2, (1, 20)), torch.randn(1, 5, 3)
    >>> model(Xc, yc, Xq, n_classes=2).shape
    torch.Size([1, 5, 2])
    >>> model.train()(Xc, yc, Xq, n_classes=2).shape == model.eval()(Xc, yc, Xq, n_classes=2).shape
    True
    """

    def __init__(self, config: RowPFNConfig | None = None):
        super().__init__()
        self.config = config = config or RowPFNConfig()
        self.limits = BackboneLimits(config.max_classes, config.max_features, config.max_context_rows)
        df, d = config.d_feature, config.d_model
        self.cell_encoder = nn.Sequential(nn.Linear(3 * config.feature_group, df), nn.GELU(), nn.Linear(df, df))
        self.feature_identity = nn.Linear(config.feature_embed_dim, df, bias=False)
        self.categorical_embedding = nn.Parameter(torch.zeros(df))
        self.row_summary = nn.Parameter(0.02 * torch.randn(config.n_cls, df))
        self.feature_blocks = nn.ModuleList(
            _Block(df, config.n_feature_heads, config.mlp_ratio) for _ in range(config.n_feature_layers)
        )
        self.norm_rows = nn.RMSNorm(d)
        self.label_embedding = nn.Embedding(config.max_classes, d)
        self.query_label = nn.Parameter(torch.zeros(d))
        if config.thinking_rows:
            self.thinking = nn.Parameter(0.02 * torch.randn(config.thinking_rows, d))
        self.blocks = nn.ModuleList(_Block(d, config.n_heads, config.mlp_ratio) for _ in range(config.n_layers))
        self.norm_out = nn.RMSNorm(d)
        self.decoder = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, config.max_classes))

    # ------------------------------------------------------------------------------------------- stage 1
    def _rows(self, cells, ids, categorical_mask) -> torch.Tensor:
        """(B, N, F, 3) encoded cells -> (B, N, d_model) row embeddings."""
        tokens = self._cell_tokens(cells, ids, categorical_mask)
        B, N = tokens.shape[:2]
        x = torch.cat([self.row_summary.expand(B, N, -1, -1), tokens], dim=2)
        for block in self.feature_blocks:
            x = block(x)
        return self.norm_rows(x[:, :, : self.config.n_cls].flatten(2))

    # ------------------------------------------------------------------------------------------- stage 2
    def _context_rows(self, cells_c, y_context, ids, categorical_mask) -> torch.Tensor:
        x = self._rows(cells_c, ids, categorical_mask) + self.label_embedding(y_context.long())
        if not self.config.thinking_rows:
            return x
        return torch.cat([self.thinking.expand(x.shape[0], -1, -1), x], dim=1)

    def _query_rows(self, cells_q, ids, categorical_mask) -> torch.Tensor:
        return self._rows(cells_q, ids, categorical_mask) + self.query_label

    def _decode(self, x: torch.Tensor, n_classes: int) -> torch.Tensor:
        return self.decoder(self.norm_out(x))[..., :n_classes]

    # ------------------------------------------------------------------------------------ forward paths
    def _forward_subset(self, X_context, y_context, X_query, n_classes, categorical_mask):
        cells_c, cells_q = encode_cells(X_context, X_query)
        ids = self._feature_ids(X_context)
        ctx = self._context_rows(cells_c, y_context, ids, categorical_mask)
        n_context = ctx.shape[1]
        x = torch.cat([ctx, self._query_rows(cells_q, ids, categorical_mask)], dim=1)
        for block in self.blocks:
            x = block(x, n_context)
        return self._decode(x[:, n_context:], n_classes)

    def _encode_subset(self, X_context, y_context, mask) -> dict:
        cells_c, stats = encode_with_stats(X_context)
        ids = self._feature_ids(X_context)
        x = self._context_rows(cells_c, y_context, ids, mask)
        kvs = []
        for block in self.blocks:
            x, kv = block.encode(x)
            kvs.append(kv)
        return {"stats": stats, "ids": ids, "mask": mask, "kv": kvs}

    def _query_subset(self, sub, X_query, n_classes):
        x = self._query_rows(encode_with_stats(X_query, sub["stats"])[0], sub["ids"], sub["mask"])
        for block, kv in zip(self.blocks, sub["kv"]):
            x = block.query(x, kv)
        return self._decode(x, n_classes)
