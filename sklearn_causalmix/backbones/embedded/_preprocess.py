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

__all__ = ["encode_cells", "encode_with_stats"]

_SQUASH = 4.0


def _squash(z: torch.Tensor) -> torch.Tensor:
    return _SQUASH * torch.tanh(z / _SQUASH)


def encode_with_stats(X: torch.Tensor, stats: dict | None = None) -> tuple[torch.Tensor, dict]:
    """Encode cells with column statistics of the context rows, computing them if not given.

    Parameters
    ----------
    X : torch.Tensor of shape (B, n, F)
        Cells, NaN for missing. When ``stats`` is None these are the context rows and define the statistics.
    stats : dict, default=None
        Statistics returned by an earlier call on the context rows.

    Returns
    -------
    cells : torch.Tensor of shape (B, n, F, 3)
        ``(z, q, m)`` per cell as described in the module docstring.
    stats : dict
        The context's column statistics (mean, standard deviation, sorted observed values and their count).

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones.embedded._preprocess import encode_with_stats
    >>> ctx = torch.tensor([[[0.0], [1.0], [2.0]]])
    >>> cells, stats = encode_with_stats(ctx)
    >>> float(encode_with_stats(torch.tensor([[[1.0]]]), stats)[0][0, 0, 0, 0])
    0.0
    """
    X = X.float()
    miss = torch.isnan(X)
    if stats is None:
        observed = (~miss).float()
        count = observed.sum(dim=1, keepdim=True).clamp_min(1.0)
        filled = torch.where(miss, torch.zeros_like(X), X)
        mean = (filled * observed).sum(dim=1, keepdim=True) / count
        var = (((filled - mean) * observed) ** 2).sum(dim=1, keepdim=True) / count
        # Empirical CDF among the observed context values: missing values sort to +inf and are not counted.
        sorted_ctx = torch.where(miss, torch.full_like(X, math.inf), X).sort(dim=1).values
        stats = {
            "mean": mean,
            "std": var.sqrt().clamp_min(1e-6),
            "sorted": sorted_ctx.transpose(1, 2).contiguous(),  # (B, F, n_context)
            "count": count.transpose(1, 2),  # (B, F, 1)
        }
    mean, std, sorted_ctx, n_obs = stats["mean"], stats["std"], stats["sorted"], stats["count"]
    filled = torch.where(miss, mean.expand_as(X), X)
    z = _squash((filled - mean) / std)
    Xt = filled.transpose(1, 2).contiguous()  # (B, F, n)
    below = torch.searchsorted(sorted_ctx, Xt, right=False).float()
    upto = torch.searchsorted(sorted_ctx, Xt, right=True).float()
    rank = torch.minimum((below + upto) / 2, n_obs)
    p = ((rank + 0.5) / (n_obs + 1.0)).clamp(1e-4, 1 - 1e-4)
    q = (math.sqrt(2.0) * torch.erfinv(2 * p - 1)).transpose(1, 2)
    zero = torch.zeros_like(z)
    cells = torch.stack([torch.where(miss, zero, z), torch.where(miss, zero, q), miss.float()], dim=-1)
    return cells, stats


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
    >>> from sklearn_causalmix.backbones.embedded._preprocess import encode_cells
    >>> ctx = torch.tensor([[[0.0], [1.0], [2.0], [float("nan")]]])
    >>> c, q = encode_cells(ctx, torch.tensor([[[1.0]]]))
    >>> c.shape, q.shape
    (torch.Size([1, 4, 1, 3]), torch.Size([1, 1, 1, 3]))
    >>> float(q[0, 0, 0, 0]), float(q[0, 0, 0, 2])
    (0.0, 0.0)
    """
    cells_c, stats = encode_with_stats(X_context)
    return cells_c, encode_with_stats(X_query, stats)[0]
