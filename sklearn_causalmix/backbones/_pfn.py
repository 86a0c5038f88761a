"""The embedded tabular foundation model: a small TabPFN-v2-style in-context transformer.

Every cell of the table is a token. Each layer first lets the tokens of one row attend to each other
(attention across features), then lets each column's tokens attend across rows, where *every* row — context or
query — attends to the context rows only. There is no positional encoding over rows, so predictions do not
depend on the order of the context rows, and query rows never see each other. The label of a context row is
embedded into an extra token of that row; query rows carry a learned "unknown label" token instead, whose final
state is decoded into class logits.

Features are told apart by a random vector per feature column, projected by a learned map (as in TabPFN v2):
at training time the vectors are redrawn every batch, at inference they come from a fixed seed, so
predictions are deterministic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel

from sklearn_causalmix.backbones._base import BackboneLimits, TabularBackbone
from sklearn_causalmix.backbones._preprocess import encode_cells

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

    def to_dict(self) -> dict:
        """The configuration as a JSON-serialisable dict."""
        return asdict(self)


class _Block(nn.Module):
    def __init__(self, d: int, n_heads: int, mlp_ratio: int):
        super().__init__()
        self.n_heads = n_heads
        self.norm_feat = nn.LayerNorm(d)
        self.qkv_feat = nn.Linear(d, 3 * d)
        self.out_feat = nn.Linear(d, d)
        self.norm_row = nn.LayerNorm(d)
        self.qkv_row = nn.Linear(d, 3 * d)
        self.out_row = nn.Linear(d, d)
        self.norm_mlp = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, mlp_ratio * d), nn.GELU(), nn.Linear(mlp_ratio * d, d))

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        # (..., L, d) -> 4-D (batch, heads, L, d_head): the layout the fused CPU/GPU attention kernels take.
        *lead, length, width = q.shape

        def heads(t):
            return t.reshape(-1, t.shape[-2], self.n_heads, t.shape[-1] // self.n_heads).transpose(1, 2)

        q, k, v = heads(q), heads(k), heads(v)
        # fused CUDA kernels cap the grid at 65,535 (batch x heads) blocks: split larger batches
        step = max(1, _MAX_ATTENTION_BATCH // self.n_heads)
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

    def forward(self, x: torch.Tensor, n_context: int) -> torch.Tensor:
        # x: (B, N, T, d), rows 0..n_context-1 are context rows.
        q, k, v = self.qkv_feat(self.norm_feat(x)).chunk(3, dim=-1)
        x = x + self.out_feat(self._attend(q, k, v))

        h = self.norm_row(x).transpose(1, 2)  # (B, T, N, d)
        q, k, v = self.qkv_row(h).chunk(3, dim=-1)
        k, v = k[:, :, :n_context], v[:, :, :n_context]
        x = x + self.out_row(self._attend(q, k, v)).transpose(1, 2)
        return x + self.mlp(self.norm_mlp(x))


class CausalMixPFN(TabularBackbone):
    """The embedded prior-fitted network (about 0.85M parameters in the default configuration).

    Preprocessing contract: numeric values and category codes are encoded per cell from the context rows only
    (see :func:`~sklearn_causalmix.backbones._preprocess.encode_cells`); categorical columns get an extra
    learned embedding; missing values (NaN) get a learned missing indicator. Tables wider than
    ``max_features`` are split into feature subsets whose logits are averaged.

    Parameters
    ----------
    config : PFNConfig, default=None
        Architecture; ``PFNConfig()`` if None.

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig
    >>> model = CausalMixPFN(PFNConfig(d_model=32, n_layers=1)).eval()
    >>> Xc, yc, Xq = torch.randn(1, 20, 3), torch.randint(0, 2, (1, 20)), torch.randn(1, 5, 3)
    >>> model(Xc, yc, Xq, n_classes=2).shape
    torch.Size([1, 5, 2])
    """

    _FIXED_SEED = 1234

    def __init__(self, config: PFNConfig | None = None):
        super().__init__()
        self.config = config = config or PFNConfig()
        if config.d_model % config.n_heads:
            raise ValueError(f"d_model={config.d_model} must be divisible by n_heads={config.n_heads}.")
        self.limits = BackboneLimits(config.max_classes, config.max_features, config.max_context_rows)
        d = config.d_model
        self.cell_encoder = nn.Sequential(nn.Linear(3, d), nn.GELU(), nn.Linear(d, d))
        self.feature_identity = nn.Linear(config.feature_embed_dim, d, bias=False)
        self.categorical_embedding = nn.Parameter(torch.zeros(d))
        self.label_embedding = nn.Embedding(config.max_classes, d)
        self.query_label = nn.Parameter(torch.zeros(d))
        self.blocks = nn.ModuleList(
            _Block(d, config.n_heads, config.mlp_ratio) for _ in range(config.n_layers)
        )
        self.norm_out = nn.LayerNorm(d)
        self.decoder = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, config.max_classes))

    def _feature_vectors(self, n_features: int, device, dtype) -> torch.Tensor:
        if self.training:
            return torch.randn(n_features, self.config.feature_embed_dim, device=device, dtype=dtype)
        gen = torch.Generator(device="cpu").manual_seed(self._FIXED_SEED)
        return torch.randn(n_features, self.config.feature_embed_dim, generator=gen).to(device, dtype)

    def _embed(self, cells, labels, categorical_mask):
        B, N, Fdim, _ = cells.shape
        tokens = self.cell_encoder(cells)
        ids = self._feature_vectors(Fdim, cells.device, tokens.dtype)
        tokens = tokens + self.feature_identity(ids)
        if categorical_mask is not None:
            mask = categorical_mask.to(tokens.device, tokens.dtype).reshape(1, 1, Fdim, 1)
            tokens = tokens + mask * self.categorical_embedding
        return torch.cat([tokens, labels.unsqueeze(2)], dim=2)  # (B, N, F+1, d)

    def _forward_subset(self, X_context, y_context, X_query, n_classes, categorical_mask):
        n_context = X_context.shape[1]
        cells_c, cells_q = encode_cells(X_context, X_query)
        lab_c = self.label_embedding(y_context.long())
        lab_q = self.query_label.expand(X_query.shape[0], X_query.shape[1], -1)
        x = torch.cat(
            [self._embed(cells_c, lab_c, categorical_mask), self._embed(cells_q, lab_q, categorical_mask)], dim=1
        )
        for block in self.blocks:
            x = block(x, n_context)
        out = self.decoder(self.norm_out(x[:, n_context:, -1]))
        return out[..., :n_classes]

    def _feature_subsets(self, n_features: int) -> list[torch.Tensor]:
        m = self.config.max_features
        if n_features <= m:
            return [torch.arange(n_features)]
        gen = torch.Generator(device="cpu").manual_seed(self._FIXED_SEED)
        perm = torch.randperm(n_features, generator=gen)
        n_sub = -(-n_features // m)
        # every feature in exactly one subset, subsets as even as possible (all <= max_features)
        return [torch.sort(chunk).values for chunk in perm.tensor_split(n_sub)]

    def forward(self, X_context, y_context, X_query, *, n_classes, categorical_mask=None):
        """Class logits of the query rows; see :meth:`TabularBackbone.forward`."""
        if not 1 <= n_classes <= self.limits.max_classes:
            raise ValueError(
                f"n_classes={n_classes} is outside what this backbone supports (1..{self.limits.max_classes})."
            )
        subsets = self._feature_subsets(X_context.shape[-1])
        chunk = X_query.shape[1] if self.training else max(1, self.config.query_chunk)
        logits = 0
        for idx in subsets:
            idx_dev = idx.to(X_context.device)
            mask = None if categorical_mask is None else categorical_mask[idx.to(categorical_mask.device)]
            parts = [
                self._forward_subset(
                    X_context[..., idx_dev], y_context, X_query[:, s : s + chunk][..., idx_dev], n_classes, mask
                )
                for s in range(0, X_query.shape[1], chunk)
            ]
            logits = logits + torch.cat(parts, dim=1)
        return logits / len(subsets)
