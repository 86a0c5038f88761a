"""Scores of a backbone on prior tasks: the query loss of a batch, and ROC-AUC on held-out prior tasks."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.exceptions import UndefinedMetricWarning

from sklearn_causalmix._training import query_loss
from sklearn_causalmix.evaluation import multiclass_roc_auc
from sklearn_causalmix.prior._scm_prior import SCMPrior

__all__ = ["episode_loss", "prior_validation_auc"]


def episode_loss(model, batch) -> torch.Tensor:
    """Mean cross-entropy of the query rows of a prior batch.

    Parameters
    ----------
    model : TabularBackbone
    batch : PriorBatch

    Returns
    -------
    loss : torch.Tensor (scalar)

    Examples
    --------
    >>> from sklearn_causalmix.backbones import RowPFN, RowPFNConfig
    >>> from sklearn_causalmix.prior import PriorConfig, SCMPrior, episode_loss
    >>> batch = SCMPrior(PriorConfig(tokens_per_batch=2048), seed=0).sample(shape=(40, 3, 2))
    >>> model = RowPFN(RowPFNConfig(d_feature=8, n_cls=2, n_feature_layers=1, n_layers=1, n_heads=2))
    >>> float(episode_loss(model, batch)) > 0
    True
    """
    return query_loss(model, batch.episode())


def _task_auc(y_true: np.ndarray, proba: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # a task whose queries hold one class: NaN
        return multiclass_roc_auc(y_true, proba, labels=np.arange(proba.shape[1]))


@torch.no_grad()
def prior_validation_auc(model, *, n_batches=8, seed=10_000, prior_config=None, device="cpu") -> dict:
    """Mean ROC-AUC and loss of ``model`` on held-out prior tasks (a fixed seed never used in training).

    Parameters
    ----------
    model : TabularBackbone
    n_batches : int, default=8
    seed : int, default=10_000
    prior_config : PriorConfig, default=None
    device : str, default="cpu"

    Returns
    -------
    scores : dict
        ``{"val_auc": ..., "val_loss": ..., "n_tasks": ...}``.

    Examples
    --------
    >>> from sklearn_causalmix.backbones import load_default_backbone
    >>> from sklearn_causalmix.prior import PriorConfig, prior_validation_auc
    >>> small = PriorConfig(max_rows=64, max_features=4, tokens_per_batch=2048)
    >>> scores = prior_validation_auc(load_default_backbone(), n_batches=1, prior_config=small)
    >>> sorted(scores)
    ['n_tasks', 'val_auc', 'val_loss']
    """
    was_training = model.training
    model.eval()
    prior = SCMPrior(prior_config, device=device, seed=seed)
    aucs, losses = [], []
    for _ in range(n_batches):
        episode = prior.sample().episode()
        logits = model(
            episode.X_context, episode.y_context, episode.X_query,
            n_classes=episode.n_classes, categorical_mask=episode.categorical_mask,
        ).float()
        y_q = episode.y_query
        losses.append(float(torch.nn.functional.cross_entropy(logits.reshape(-1, episode.n_classes),
                                                              y_q.reshape(-1))))
        proba = logits.softmax(-1).cpu().numpy()
        for b in range(proba.shape[0]):
            aucs.append(_task_auc(y_q[b].cpu().numpy(), proba[b]))
    model.train(was_training)
    return {"val_auc": float(np.nanmean(aucs)), "val_loss": float(np.mean(losses)), "n_tasks": len(aucs)}
