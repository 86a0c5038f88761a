"""Preprocessing contract of the embedded model: cells encoded from the context rows only.

Every cell becomes three numbers:

* ``z``: the value standardised with the mean and standard deviation of the *context* rows of its
  column (missing values ignored), squashed smoothly into ``(-4, 4)`` so outliers cannot blow up;
* ``q``: its normal score — the empirical CDF of the value among the column's context values, mapped through
  the standard normal quantile function (robust to monotone transforms and heavy tails);
* ``m``: 1 where the value is missing (then ``z = q = 0``), else 0.

Category codes go through the same transform (they carry an extra learned "categorical" embedding in the
model). Query rows never influence these statistics, so a prediction depends on its own row and the context
only.
"""

from __future__ import annotations

import math

import torch

__all__ = ["encode_cells"]

_SQUASH = 4.0


def _squash(z: torch.Tensor) -> torch.Tensor:
    return _SQUASH * torch.tanh(z / _SQUASH)


def encode_cells(X_context: torch.Tensor, X_query: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Encode context and query cells with statistics from the context rows.

    Parameters
    ----------
    X_context : torch.Tensor of shape (B, n_context, F)
        Context cells, NaN for missing.
    X_query : torch.Tensor of shape (B, n_query, F)
        Query cells, NaN for missing.

    Returns
    -------
    context, query : torch.Tensor of shape (B, n, F, 3)
        ``(z, q, m)`` per cell as described in the module docstring.

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones._preprocess import encode_cells
    >>> ctx = torch.tensor([[[0.0], [1.0], [2.0], [float("nan")]]])
    >>> c, q = encode_cells(ctx, torch.tensor([[[1.0]]]))
    >>> c.shape, q.shape
    (torch.Size([1, 4, 1, 3]), torch.Size([1, 1, 1, 3]))
    >>> float(q[0, 0, 0, 0]), float(q[0, 0, 0, 2])
    (0.0, 0.0)
    """
    X_context = X_context.float()
    X_query = X_query.float()
    miss_c = torch.isnan(X_context)
    miss_q = torch.isnan(X_query)
    observed = (~miss_c).float()
    count = observed.sum(dim=1, keepdim=True).clamp_min(1.0)
    filled_c = torch.where(miss_c, torch.zeros_like(X_context), X_context)
    mean = (filled_c * observed).sum(dim=1, keepdim=True) / count
    var = (((filled_c - mean) * observed) ** 2).sum(dim=1, keepdim=True) / count
    std = var.sqrt().clamp_min(1e-6)

    # Empirical CDF among the observed context values: missing context values sort to +inf and are not counted.
    sorted_ctx = torch.where(miss_c, torch.full_like(X_context, math.inf), X_context).sort(dim=1).values
    sorted_ctx = sorted_ctx.transpose(1, 2).contiguous()  # (B, F, n_context)
    n_obs = count.transpose(1, 2)  # (B, F, 1)

    def encode(X, miss):
        filled = torch.where(miss, mean.expand_as(X), X)
        z = _squash((filled - mean) / std)
        Xt = filled.transpose(1, 2).contiguous()  # (B, F, n)
        below = torch.searchsorted(sorted_ctx, Xt, right=False).float()
        upto = torch.searchsorted(sorted_ctx, Xt, right=True).float()
        rank = torch.minimum((below + upto) / 2, n_obs)
        p = ((rank + 0.5) / (n_obs + 1.0)).clamp(1e-4, 1 - 1e-4)
        q = (math.sqrt(2.0) * torch.erfinv(2 * p - 1)).transpose(1, 2)
        m = miss.float()
        zero = torch.zeros_like(z)
        return torch.stack([torch.where(miss, zero, z), torch.where(miss, zero, q), m], dim=-1)

    return encode(X_context, miss_c), encode(X_query, miss_q)
