"""Scaffolding shared by the adapters of third-party networks (TabICL, TabPFN v2).

NaN-aware column statistics of a context, the episode tables in the adapters' working precision,
the class-count check against a checkpoint's limit, and the CPU state dict written to checkpoints.
"""

from __future__ import annotations

import torch


def nanmean(x: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """Mean over ``dim`` ignoring NaN; 0 where a column has no value.

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones.adapters._adapters import nanmean
    >>> nanmean(torch.tensor([[1.0, float("nan")], [3.0, float("nan")]])).tolist()
    [2.0, 0.0]
    """
    ok = ~torch.isnan(x)
    return torch.where(ok, x, torch.zeros_like(x)).sum(dim) / ok.sum(dim).clamp_min(1)


def nanstd(x: torch.Tensor, ddof: int = 1, dim: int = 0) -> torch.Tensor:
    """Standard deviation over ``dim`` ignoring NaN (``ddof`` as numpy's; at least 1 as divisor).

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones.adapters._adapters import nanstd
    >>> nanstd(torch.tensor([[1.0], [3.0], [float("nan")]])).tolist()
    [1.4142135381698608]
    """
    ok = ~torch.isnan(x)
    sq = torch.where(ok, (x - nanmean(x, dim)) ** 2, torch.zeros_like(x)).sum(dim)
    return (sq / (ok.sum(dim) - ddof).clamp_min(1)).sqrt()


def episode_tables(X: torch.Tensor, categorical_mask):
    """``X`` of shape (B, n_rows, F) in float64 (float32 on MPS) and a (B, F) boolean mask.

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones.adapters._adapters import episode_tables
    >>> X, mask = episode_tables(torch.zeros(2, 3, 4), torch.tensor([True, False, False, False]))
    >>> X.dtype, mask.shape
    (torch.float64, torch.Size([2, 4]))
    """
    B, _, n_features = X.shape
    dtype = torch.float32 if X.device.type == "mps" else torch.float64
    if categorical_mask is None:
        mask = torch.zeros(B, n_features, dtype=torch.bool, device=X.device)
    else:
        mask = categorical_mask.to(X.device, torch.bool).expand(B, n_features)
    return X.to(dtype), mask


def check_n_classes(n_classes: int, max_classes: int, network: str) -> None:
    """Raise a ``ValueError`` unless ``1 <= n_classes <= max_classes``.

    Examples
    --------
    >>> from sklearn_causalmix.backbones.adapters._adapters import check_n_classes
    >>> check_n_classes(12, 10, "TabICL")
    Traceback (most recent call last):
    ...
    ValueError: n_classes=12 is outside what this TabICL checkpoint supports (1..10).
    """
    if not 1 <= n_classes <= max_classes:
        raise ValueError(
            f"n_classes={n_classes} is outside what this {network} checkpoint supports "
            f"(1..{max_classes})."
        )


def cpu_state_dict(module: torch.nn.Module) -> dict:
    """The module's parameters and buffers, detached and on the CPU, for a checkpoint file.

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones.adapters._adapters import cpu_state_dict
    >>> sorted(cpu_state_dict(torch.nn.Linear(2, 1)))
    ['bias', 'weight']
    """
    return {k: v.detach().cpu() for k, v in module.state_dict().items()}
