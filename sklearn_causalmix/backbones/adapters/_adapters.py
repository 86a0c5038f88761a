"""Scaffolding shared by the adapters of third-party networks (TabICL, TabPFN v2).

NaN-aware column statistics of a context, the episode tables in the adapters' working precision, the CPU
state dict written to checkpoints, and the error raised when a network's optional package is missing.
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


def missing_extra(network: str, extra: str) -> ImportError:
    """The error to raise when the optional package ``extra`` that ``network`` needs is not installed.

    Parameters
    ----------
    network : str
        The backbone's name (e.g. ``"TabICL"``).
    extra : str
        The optional package, also the name of the package extra that installs it.

    Returns
    -------
    error : ImportError

    Examples
    --------
    >>> from sklearn_causalmix.backbones.adapters._adapters import missing_extra
    >>> print(missing_extra("TabICL", "tabicl"))
    The TabICL backbone needs the optional package tabicl; install it with
    `pip install "sklearn-causalmix[tabicl]"`.
    """
    return ImportError(
        f"The {network} backbone needs the optional package {extra}; install it with "
        f"`pip install \"sklearn-causalmix[{extra}]\"`."
    )
