"""TabPFN v2's preprocessing (parity configuration) in torch: fitted on an episode's context rows.

The steps are listed in the docstring of :mod:`sklearn_causalmix.backbones.adapters._tabpfn`.
"""

from __future__ import annotations

import torch

from sklearn_causalmix.backbones.adapters._adapters import nanmean, nanstd

__all__ = ["apply_context_stats", "fit_context_stats", "tabpfn_preprocess"]


def _n_distinct(x: torch.Tensor) -> torch.Tensor:
    """Distinct values per column, NaN counted as one value."""
    s = x.sort(dim=0).values  # NaN sorts last
    nan = torch.isnan(s)
    change = (s[1:] != s[:-1]) & ~(nan[1:] & nan[:-1])
    return 1 + change.sum(0)


def tabpfn_preprocess(X: torch.Tensor, n_context: int, categorical: torch.Tensor, n_sigma: float):
    """One episode's table as ``TabPFNClassifier`` (parity configuration) feeds it to the network.

    Parameters
    ----------
    X : torch.Tensor of shape (n_rows, n_features)
        Context rows first; NaN for missing; category codes in categorical columns.
    n_context : int
    categorical : torch.Tensor of shape (n_features,), bool
    n_sigma : float or None
        Outlier clipping threshold; None for none.

    Returns
    -------
    X_out : torch.Tensor of shape (n_rows, n_kept)

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones.adapters._tabpfn_preprocess import tabpfn_preprocess
    >>> X = torch.tensor([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [1e9, 1.0]], dtype=torch.float64)
    >>> out = tabpfn_preprocess(X, 3, torch.tensor([False, False]), 12.0)
    >>> out.shape, bool(out[3, 0] < 100)
    (torch.Size([4, 1]), True)
    """
    return apply_context_stats(X, fit_context_stats(X[:n_context], categorical, n_sigma))


def fit_context_stats(ctx: torch.Tensor, categorical: torch.Tensor, n_sigma):
    """Column selection, order and clipping bounds from the context rows (see :func:`tabpfn_preprocess`)."""
    categorical = categorical.to(ctx.device, torch.bool)
    n_context = ctx.shape[0]
    keep = (ctx != ctx[:1]).any(dim=0) & ~torch.isnan(ctx).all(dim=0)
    if not bool(keep.any()):
        # tabpfn refuses such a table; keeping the columns lets the network (which drops constant columns
        # itself) predict from the context labels alone -- e.g. for a short probe of a larger context
        keep = torch.ones_like(keep)
    ctx, categorical = ctx[:, keep], categorical[keep]
    if n_context > 100:
        categorical = categorical | (_n_distinct(ctx) < 4)
    # categorical columns first, numeric ones after (the official reshape step's column order)
    order = torch.cat([torch.nonzero(categorical).flatten(), torch.nonzero(~categorical).flatten()])
    columns = torch.nonzero(keep).flatten()[order]
    ctx, categorical = ctx[:, order], categorical[order]
    # Columns whose observed context values are all equal (missing ones aside, or all missing): the network
    # fits its per-group scaling on context *and* query rows, so a query value there would change the
    # predictions of the other queries. Such query values are set to the context's value.
    nan = torch.isnan(ctx)
    high = torch.where(nan, torch.full_like(ctx, -float("inf")), ctx).max(dim=0).values
    low = torch.where(nan, torch.full_like(ctx, float("inf")), ctx).min(dim=0).values
    flat = (high == low) | nan.all(dim=0)
    value = torch.where(nan.all(dim=0), torch.full_like(high, float("nan")), high)
    stats = {"columns": columns, "numeric": ~categorical, "bounds": None, "flat": flat, "value": value}
    if n_sigma is not None and n_context > 1:
        mu, sd = nanmean(ctx), nanstd(ctx)
        outlier = (ctx > mu + n_sigma * sd) | (ctx < mu - n_sigma * sd)
        clean = torch.where(outlier, torch.full_like(ctx, float("nan")), ctx)
        mu, sd = nanmean(clean), nanstd(clean)
        stats["bounds"] = (mu - n_sigma * sd, mu + n_sigma * sd)
    return stats


def apply_context_stats(X: torch.Tensor, stats: dict) -> torch.Tensor:
    """Rows (context or query) preprocessed with :func:`fit_context_stats`' column choice and bounds."""
    X = X[:, stats["columns"]]
    X = torch.where(stats["flat"] & ~torch.isnan(X), stats["value"], X)
    if stats["bounds"] is None:
        return X
    lower, upper = stats["bounds"]
    clipped = torch.maximum(-torch.log1p(X.abs()) + lower, X)
    clipped = torch.minimum(torch.log1p(clipped.abs()) + upper, clipped)
    return torch.where(stats["numeric"], clipped, X)

