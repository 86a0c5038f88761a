"""The embedded tabular foundation model: a small TabPFN-v2-style in-context transformer.

Every cell of the table is a token. Each layer first lets the tokens of one row attend to each other
(attention across features), then lets each column's tokens attend across rows, where *every* row — context or
query — attends to the context rows only. There is no positional encoding over rows, so predictions do not
depend on the order of the context rows, and query rows never see each other. The label of a context row is
embedded into an extra token of that row; query rows carry a learned "unknown label" token instead.

Because queries attend only to context rows, the context's per-layer states do not depend on the queries:
:meth:`CausalMixPFN.encode_context` runs the context once and keeps each layer's row-attention keys and values,
and :meth:`CausalMixPFN.predict_queries` runs any number of query rows against them. ``forward`` (used for
training) computes the same numbers in one pass.

Features are told apart by a random vector per feature column, projected by a learned map (as in TabPFN v2):
at training time the vectors are redrawn every batch, at inference they come from a fixed seed, so
predictions are deterministic.

Recipe options (:class:`PFNConfig`) follow the nanoTabPFN pretraining speedrun (Ozturk, Pfefferle & Hutter,
2026): RMSNorm, no attention output projection, residual decay, learnable "thinking" context rows, feature
grouping (each cell token also embeds the values of a few shifted columns) and a decoder that reads the mean of
the row's feature tokens. Their defaults reproduce the first architecture, so older weights keep loading.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from sklearn_causalmix.backbones._base import BackboneLimits
from sklearn_causalmix.backbones.embedded._pfn_base import PFNBase, attend, heads_layout, make_norm
from sklearn_causalmix.backbones.embedded._preprocess import encode_cells, encode_with_stats

__all__ = ["PFNConfig", "CausalMixPFN"]

@dataclass(frozen=True)
class PFNConfig:
    """Architecture of :class:`CausalMixPFN`.

    Parameters
    ----------
    d_model : int
        Width of every token.
    n_heads : int
        Attention heads (both attentions).
    n_layers : int
        Number of (feature attention, row attention, MLP) blocks.
    mlp_ratio : int
        Hidden width of the MLPs as a multiple of ``d_model``.
    feature_embed_dim : int
        Size of the random per-feature identity vectors.
    max_classes, max_features, max_context_rows : int
        The backbone's limits (see :class:`BackboneLimits`).
    query_chunk : int
        Query rows processed at once at inference (bounds memory; results do not depend on it).
    norm : {"layer", "rms"}
        Pre-norm type.
    attention_out_proj : bool
        Whether each attention ends with a learned output projection.
    residual_decay : float
        The input of block ``i`` is scaled by ``residual_decay ** i`` (1.0: off).
    thinking_rows : int
        Learnable extra context rows that every row attends to (0: none).
    feature_group : int
        Each cell token embeds its own encoded value and those of ``feature_group - 1`` cyclically shifted
        columns (shifts 1, 2, 4, ...; 1: own value only).
    decoder_input : {"label", "features"}
        The query row's state that is decoded into logits: its label token, or the mean of its feature tokens.

    Examples
    --------
    >>> from sklearn_causalmix.backbones import PFNConfig
    >>> PFNConfig(d_model=64).to_dict()["d_model"]
    64
    """

    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 4
    mlp_ratio: int = 2
    feature_embed_dim: int = 16
    max_classes: int = 10
    max_features: int = 100
    max_context_rows: int = 4096
    query_chunk: int = 2048
    norm: str = "layer"
    attention_out_proj: bool = True
    residual_decay: float = 1.0
    thinking_rows: int = 0
    feature_group: int = 1
    decoder_input: str = "label"

    def __post_init__(self):
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}.")
        if self.norm not in ("layer", "rms"):
            raise ValueError(f"norm must be 'layer' or 'rms', got {self.norm!r}.")
        if self.decoder_input not in ("label", "features"):
            raise ValueError(f"decoder_input must be 'label' or 'features', got {self.decoder_input!r}.")
        if self.feature_group < 1 or self.thinking_rows < 0:
            raise ValueError("feature_group must be >= 1 and thinking_rows >= 0.")

    def to_dict(self) -> dict:
        """The configuration as a JSON-serialisable dict."""
        return asdict(self)


#: The recipe of the second-generation embedded model (pretraining speedrun changes that pay off on CPU).
RECIPE_V2 = dict(
    norm="rms",
    attention_out_proj=False,
    residual_decay=0.95,
    thinking_rows=16,
    feature_group=3,
    decoder_input="features",
)


class _Block(nn.Module):
    """Attention across the features of a row, attention across rows (to context rows only), MLP."""

    def __init__(self, config: PFNConfig):
        super().__init__()
        d = config.d_model
        self.n_heads = config.n_heads
        self.norm_feat = make_norm(config.norm, d)
        self.qkv_feat = nn.Linear(d, 3 * d)
        self.out_feat = nn.Linear(d, d) if config.attention_out_proj else nn.Identity()
        self.norm_row = make_norm(config.norm, d)
        self.qkv_row = nn.Linear(d, 3 * d)
        self.out_row = nn.Linear(d, d) if config.attention_out_proj else nn.Identity()
        self.norm_mlp = make_norm(config.norm, d)
        self.mlp = nn.Sequential(
            nn.Linear(d, config.mlp_ratio * d), nn.GELU(), nn.Linear(config.mlp_ratio * d, d)
        )

    def _across_features(self, x):
        q, k, v = self.qkv_feat(self.norm_feat(x)).chunk(3, dim=-1)
        return x + self.out_feat(attend(q, k, v, self.n_heads))

    def _across_rows(self, x, q, k, v, kv_in_heads=False):
        return x + self.out_row(attend(q, k, v, self.n_heads, kv_in_heads)).transpose(1, 2)

    def forward(self, x: torch.Tensor, n_context: int) -> torch.Tensor:
        # x: (B, N, T, d), rows 0..n_context-1 are context rows.
        x = self._across_features(x)
        q, k, v = self.qkv_row(self.norm_row(x).transpose(1, 2)).chunk(3, dim=-1)  # (B, T, N, d)
        x = self._across_rows(x, q, k[:, :, :n_context], v[:, :, :n_context])
        return x + self.mlp(self.norm_mlp(x))

    def encode(self, x: torch.Tensor):
        """Context rows only: their new states and this layer's row-attention keys and values."""
        x = self._across_features(x)
        q, k, v = self.qkv_row(self.norm_row(x).transpose(1, 2)).chunk(3, dim=-1)
        x = self._across_rows(x, q, k, v)
        # contiguous copies in heads layout: the cache must not keep the queries' third of the fused projection
        # alive, and attention then reads keys/values without re-laying them out for every query batch
        kv = (heads_layout(k, self.n_heads).contiguous(), heads_layout(v, self.n_heads).contiguous())
        return x + self.mlp(self.norm_mlp(x)), kv

    def query(self, x: torch.Tensor, kv) -> torch.Tensor:
        """Query rows against a context's cached keys and values."""
        x = self._across_features(x)
        d = x.shape[-1]
        q = F.linear(self.norm_row(x).transpose(1, 2), self.qkv_row.weight[:d], self.qkv_row.bias[:d])
        x = self._across_rows(x, q, *kv, kv_in_heads=True)
        return x + self.mlp(self.norm_mlp(x))


class CausalMixPFN(PFNBase):
    """The earlier, per-cell embedded prior-fitted network; its weights still load.

    Not the shipped model: the weights inside the package are a :class:`RowPFN`. ``CausalMixPFN``
    gives every *cell* a token that attends across all context rows in every layer (as TabPFN v2
    does), which makes a prediction cost grow with the number of features times the number of
    context rows; it was the default backbone until the row model replaced it. It stays so that
    weight files in its format (``sklearn-causalmix/pfn-v1``) load with
    :func:`~sklearn_causalmix.backbones.load_weights` and can be pretrained and compared.

    Preprocessing contract: numeric values and category codes are encoded per cell from the context rows only
    (see :func:`~sklearn_causalmix.backbones.embedded._preprocess.encode_cells`); categorical columns get an extra
    learned embedding; missing values (NaN) get a learned missing indicator. Tables wider than
    ``max_features`` are split into feature subsets whose logits are averaged.

    Parameters
    ----------
    config : PFNConfig, default=None
        Architecture; ``PFNConfig()`` if None.

    Attributes
    ----------
    feature_generator : torch.Generator or None
        Source of the random feature-identity vectors in training mode (the global generator if None);
        pretraining sets it so that a run is reproducible and resumable without global seeding.

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig
    >>> model = CausalMixPFN(PFNConfig(d_model=32, n_layers=1)).eval()
    >>> Xc, yc, Xq = torch.randn(1, 20, 3), torch.randint(0, 2, (1, 20)), torch.randn(1, 5, 3)
    >>> model(Xc, yc, Xq, n_classes=2).shape
    torch.Size([1, 5, 2])
    >>> context = model.encode_context(Xc, yc, n_classes=2)
    >>> torch.allclose(model.predict_queries(context, Xq), model(Xc, yc, Xq, n_classes=2), atol=1e-5)
    True
    """

    def __init__(self, config: PFNConfig | None = None):
        super().__init__()
        self.config = config = config or PFNConfig()
        self.limits = BackboneLimits(config.max_classes, config.max_features, config.max_context_rows)
        d = config.d_model
        self.cell_encoder = nn.Sequential(nn.Linear(3 * config.feature_group, d), nn.GELU(), nn.Linear(d, d))
        self.feature_identity = nn.Linear(config.feature_embed_dim, d, bias=False)
        self.categorical_embedding = nn.Parameter(torch.zeros(d))
        self.label_embedding = nn.Embedding(config.max_classes, d)
        self.query_label = nn.Parameter(torch.zeros(d))
        if config.thinking_rows:
            self.thinking = nn.Parameter(0.02 * torch.randn(config.thinking_rows, d))
        self.blocks = nn.ModuleList(_Block(config) for _ in range(config.n_layers))
        self.norm_out = make_norm(config.norm, d)
        self.decoder = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, config.max_classes))

    # ----------------------------------------------------------------------------------------- embedding
    def _tokens(self, cells, labels, ids, categorical_mask):
        """Cell tokens plus the label token of each row: (B, N, F + 1, d)."""
        tokens = self._cell_tokens(cells, ids, categorical_mask)
        return torch.cat([tokens, labels.unsqueeze(2)], dim=2)

    def _thinking_tokens(self, batch: int, ids: torch.Tensor) -> torch.Tensor | None:
        if not self.config.thinking_rows:
            return None
        think = self.thinking[:, None, :]  # (R, 1, d)
        row = torch.cat([think + ids, think], dim=1)  # features carry their identity; label column plain
        return row.unsqueeze(0).expand(batch, -1, -1, -1)

    def _context_tokens(self, cells_c, y_context, ids, categorical_mask):
        x = self._tokens(cells_c, self.label_embedding(y_context.long()), ids, categorical_mask)
        think = self._thinking_tokens(x.shape[0], ids)
        return x if think is None else torch.cat([think, x], dim=1)

    def _query_tokens(self, cells_q, ids, categorical_mask):
        labels = self.query_label.expand(cells_q.shape[0], cells_q.shape[1], -1)
        return self._tokens(cells_q, labels, ids, categorical_mask)

    def _decode(self, x: torch.Tensor, n_classes: int) -> torch.Tensor:
        state = x[:, :, :-1].mean(dim=2) if self.config.decoder_input == "features" else x[:, :, -1]
        return self.decoder(self.norm_out(state))[..., :n_classes]

    def _layer_inputs(self):
        decay = self.config.residual_decay
        return [(block, decay**i) for i, block in enumerate(self.blocks)]

    # ------------------------------------------------------------------------------------ forward paths
    def _forward_subset(self, X_context, y_context, X_query, n_classes, categorical_mask):
        cells_c, cells_q = encode_cells(X_context, X_query)
        ids = self._feature_ids(X_context)
        ctx = self._context_tokens(cells_c, y_context, ids, categorical_mask)
        n_context = ctx.shape[1]
        x = torch.cat([ctx, self._query_tokens(cells_q, ids, categorical_mask)], dim=1)
        for block, scale in self._layer_inputs():
            x = block(x * scale if scale != 1.0 else x, n_context)
        return self._decode(x[:, n_context:], n_classes)

    def _encode_subset(self, X_context, y_context, mask) -> dict:
        cells_c, stats = encode_with_stats(X_context)
        ids = self._feature_ids(X_context)
        x = self._context_tokens(cells_c, y_context, ids, mask)
        kvs = []
        for block, scale in self._layer_inputs():
            x, kv = block.encode(x * scale if scale != 1.0 else x)
            kvs.append(kv)
        return {"stats": stats, "ids": ids, "mask": mask, "kv": kvs}

    def _query_subset(self, sub, X_query, n_classes):
        cells_q = encode_with_stats(X_query, sub["stats"])[0]
        x = self._query_tokens(cells_q, sub["ids"], sub["mask"])
        for (block, scale), kv in zip(self._layer_inputs(), sub["kv"]):
            x = block.query(x * scale if scale != 1.0 else x, kv)
        return self._decode(x, n_classes)
