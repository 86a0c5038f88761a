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
from torch.nn.attention import SDPBackend, sdpa_kernel

from sklearn_causalmix.backbones._base import BackboneLimits, EncodedContext, TabularBackbone
from sklearn_causalmix.backbones._preprocess import encode_cells, encode_with_stats

__all__ = ["PFNConfig", "CausalMixPFN"]

_MAX_ATTENTION_BATCH = 32768
_SDPA_BACKENDS = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]


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


def _norm(kind: str, d: int) -> nn.Module:
    return nn.RMSNorm(d) if kind == "rms" else nn.LayerNorm(d)


def _heads(t: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(..., L, d) -> (batch, heads, L, d / heads): the layout the fused attention kernels take."""
    return t.reshape(-1, t.shape[-2], n_heads, t.shape[-1] // n_heads).transpose(1, 2)


def _attend(q, k, v, n_heads: int, kv_in_heads: bool = False) -> torch.Tensor:
    """Multi-head attention of ``q`` (..., Lq, d) over ``k``, ``v`` (..., Lk, d) (leading dims shared).

    With ``kv_in_heads``, ``k`` and ``v`` come already in heads layout (from :func:`_heads`, as the cache keeps
    them).
    """
    *lead, length, width = q.shape
    q = _heads(q, n_heads)
    if not kv_in_heads:
        k, v = _heads(k, n_heads), _heads(v, n_heads)
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


class _Block(nn.Module):
    """Attention across the features of a row, attention across rows (to context rows only), MLP."""

    def __init__(self, config: PFNConfig):
        super().__init__()
        d = config.d_model
        self.n_heads = config.n_heads
        self.norm_feat = _norm(config.norm, d)
        self.qkv_feat = nn.Linear(d, 3 * d)
        self.out_feat = nn.Linear(d, d) if config.attention_out_proj else nn.Identity()
        self.norm_row = _norm(config.norm, d)
        self.qkv_row = nn.Linear(d, 3 * d)
        self.out_row = nn.Linear(d, d) if config.attention_out_proj else nn.Identity()
        self.norm_mlp = _norm(config.norm, d)
        self.mlp = nn.Sequential(
            nn.Linear(d, config.mlp_ratio * d), nn.GELU(), nn.Linear(config.mlp_ratio * d, d)
        )

    def _across_features(self, x):
        q, k, v = self.qkv_feat(self.norm_feat(x)).chunk(3, dim=-1)
        return x + self.out_feat(_attend(q, k, v, self.n_heads))

    def _across_rows(self, x, q, k, v, kv_in_heads=False):
        return x + self.out_row(_attend(q, k, v, self.n_heads, kv_in_heads)).transpose(1, 2)

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
        kv = (_heads(k, self.n_heads).contiguous(), _heads(v, self.n_heads).contiguous())
        return x + self.mlp(self.norm_mlp(x)), kv

    def query(self, x: torch.Tensor, kv) -> torch.Tensor:
        """Query rows against a context's cached keys and values."""
        x = self._across_features(x)
        d = x.shape[-1]
        q = F.linear(self.norm_row(x).transpose(1, 2), self.qkv_row.weight[:d], self.qkv_row.bias[:d])
        x = self._across_rows(x, q, *kv, kv_in_heads=True)
        return x + self.mlp(self.norm_mlp(x))


class CausalMixPFN(TabularBackbone):
    """The embedded prior-fitted network.

    Preprocessing contract: numeric values and category codes are encoded per cell from the context rows only
    (see :func:`~sklearn_causalmix.backbones._preprocess.encode_cells`); categorical columns get an extra
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

    _FIXED_SEED = 1234

    def __init__(self, config: PFNConfig | None = None):
        super().__init__()
        self.config = config = config or PFNConfig()
        self.limits = BackboneLimits(config.max_classes, config.max_features, config.max_context_rows)
        self.feature_generator = None
        d = config.d_model
        self.cell_encoder = nn.Sequential(nn.Linear(3 * config.feature_group, d), nn.GELU(), nn.Linear(d, d))
        self.feature_identity = nn.Linear(config.feature_embed_dim, d, bias=False)
        self.categorical_embedding = nn.Parameter(torch.zeros(d))
        self.label_embedding = nn.Embedding(config.max_classes, d)
        self.query_label = nn.Parameter(torch.zeros(d))
        if config.thinking_rows:
            self.thinking = nn.Parameter(0.02 * torch.randn(config.thinking_rows, d))
        self.blocks = nn.ModuleList(_Block(config) for _ in range(config.n_layers))
        self.norm_out = _norm(config.norm, d)
        self.decoder = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, config.max_classes))

    # ----------------------------------------------------------------------------------------- embedding
    def _feature_vectors(self, n_features: int, device, dtype) -> torch.Tensor:
        shape = (n_features, self.config.feature_embed_dim)
        if self.training:
            gen = self.feature_generator
            if gen is None:
                return torch.randn(*shape, device=device, dtype=dtype)
            return torch.randn(*shape, generator=gen, device=gen.device).to(device, dtype)
        gen = torch.Generator(device="cpu").manual_seed(self._FIXED_SEED)
        return torch.randn(*shape, generator=gen).to(device, dtype)

    def _group(self, cells: torch.Tensor) -> torch.Tensor:
        """(B, N, F, 3) -> (B, N, F, 3 * feature_group): each cell with its cyclically shifted neighbours."""
        if self.config.feature_group == 1:
            return cells
        shifts = [0] + [2**i for i in range(self.config.feature_group - 1)]
        return torch.cat([torch.roll(cells, -s, dims=2) for s in shifts], dim=-1)

    def _tokens(self, cells, labels, ids, categorical_mask):
        """Cell tokens plus the label token of each row: (B, N, F + 1, d)."""
        tokens = self.cell_encoder(self._group(cells)) + ids
        if categorical_mask is not None:
            mask = categorical_mask.to(tokens.device, tokens.dtype)
            mask = mask.reshape(-1, 1, mask.shape[-1], 1)  # (1 or B, 1, F, 1)
            tokens = tokens + mask * self.categorical_embedding
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
        ids = self.feature_identity(self._feature_vectors(X_context.shape[-1], X_context.device, torch.float32))
        ctx = self._context_tokens(cells_c, y_context, ids, categorical_mask)
        n_context = ctx.shape[1]
        x = torch.cat([ctx, self._query_tokens(cells_q, ids, categorical_mask)], dim=1)
        for block, scale in self._layer_inputs():
            x = block(x * scale if scale != 1.0 else x, n_context)
        return self._decode(x[:, n_context:], n_classes)

    def _feature_subsets(self, n_features: int) -> list[torch.Tensor]:
        m = self.config.max_features
        if n_features <= m:
            return [torch.arange(n_features)]
        gen = torch.Generator(device="cpu").manual_seed(self._FIXED_SEED)
        perm = torch.randperm(n_features, generator=gen)
        n_sub = -(-n_features // m)
        # every feature in exactly one subset, subsets as even as possible (all <= max_features)
        return [torch.sort(chunk).values for chunk in perm.tensor_split(n_sub)]

    def _check_classes(self, n_classes: int) -> None:
        if not 1 <= n_classes <= self.limits.max_classes:
            raise ValueError(
                f"n_classes={n_classes} is outside what this backbone supports (1..{self.limits.max_classes})."
            )

    @staticmethod
    def _subset_mask(categorical_mask, idx):
        return None if categorical_mask is None else categorical_mask[..., idx.to(categorical_mask.device)]

    def forward(self, X_context, y_context, X_query, *, n_classes, categorical_mask=None):
        """Class logits of the query rows; see :meth:`TabularBackbone.forward`.

        ``categorical_mask`` may be shared, ``(n_features,)``, or one per task, ``(B, n_features)``.
        """
        self._check_classes(n_classes)
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
        """Run the context rows once and keep every layer's row-attention keys and values.

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
        self._check_classes(n_classes)
        subsets = []
        for idx in self._feature_subsets(X_context.shape[-1]):
            Xc = X_context[..., idx.to(X_context.device)].float()
            mask = self._subset_mask(categorical_mask, idx)
            cells_c, stats = encode_with_stats(Xc)
            ids = self.feature_identity(self._feature_vectors(Xc.shape[-1], Xc.device, torch.float32))
            x = self._context_tokens(cells_c, y_context, ids, mask)
            kvs = []
            for block, scale in self._layer_inputs():
                x, kv = block.encode(x * scale if scale != 1.0 else x)
                kvs.append(kv)
            subsets.append({"index": idx, "stats": stats, "ids": ids, "mask": mask, "kv": kvs})
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
            cells_q = encode_with_stats(Xq, sub["stats"])[0]
            x = self._query_tokens(cells_q, sub["ids"], sub["mask"])
            for (block, scale), kv in zip(self._layer_inputs(), sub["kv"]):
                x = block.query(x * scale if scale != 1.0 else x, kv)
            logits = logits + self._decode(x, context.n_classes)
        return logits / len(context.state)
