"""Pretraining of the embedded model on the SCM prior (``causalmix pretrain``)."""

from __future__ import annotations

import math
import platform
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from sklearn_causalmix.backbones._pfn import CausalMixPFN, PFNConfig
from sklearn_causalmix.backbones._weights import save_weights
from sklearn_causalmix.prior._scm_prior import PRIOR_VERSION, PriorConfig, SCMPrior

__all__ = ["pretrain", "episode_loss", "prior_validation_auc"]


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
    >>> from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig
    >>> from sklearn_causalmix.prior import PriorConfig, SCMPrior, episode_loss
    >>> batch = SCMPrior(PriorConfig(tokens_per_batch=2048), seed=0).sample(shape=(40, 3, 2))
    >>> float(episode_loss(CausalMixPFN(PFNConfig(d_model=16, n_layers=1)), batch)) > 0
    True
    """
    n_ctx = batch.n_context
    logits = model(
        batch.X[:, :n_ctx],
        batch.y[:, :n_ctx],
        batch.X[:, n_ctx:],
        n_classes=batch.n_classes,
        categorical_mask=batch.categorical_mask,
    )
    return F.cross_entropy(logits.float().reshape(-1, batch.n_classes), batch.y[:, n_ctx:].reshape(-1))


def _task_auc(y_true: np.ndarray, proba: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    present = np.unique(y_true)
    if len(present) < 2:
        return float("nan")
    if proba.shape[1] == 2:
        return float(roc_auc_score(y_true, proba[:, 1]))
    p = proba[:, present]
    p = p / p.sum(axis=1, keepdims=True)
    if len(present) == 2:
        return float(roc_auc_score(y_true == present[1], p[:, 1]))
    return float(roc_auc_score(y_true, p, multi_class="ovr", labels=present))


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
        batch = prior.sample()
        n_ctx = batch.n_context
        logits = model(
            batch.X[:, :n_ctx], batch.y[:, :n_ctx], batch.X[:, n_ctx:],
            n_classes=batch.n_classes, categorical_mask=batch.categorical_mask,
        ).float()
        y_q = batch.y[:, n_ctx:]
        losses.append(float(F.cross_entropy(logits.reshape(-1, batch.n_classes), y_q.reshape(-1))))
        proba = logits.softmax(-1).cpu().numpy()
        for b in range(proba.shape[0]):
            aucs.append(_task_auc(y_q[b].cpu().numpy(), proba[b]))
    model.train(was_training)
    return {"val_auc": float(np.nanmean(aucs)), "val_loss": float(np.mean(losses)), "n_tasks": len(aucs)}


def _lr_at(progress: float, warmup: float, peak: float) -> float:
    if progress < warmup:
        return peak * progress / warmup
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, (progress - warmup) / (1 - warmup)))))


def pretrain(
    out,
    *,
    minutes: float = 5.0,
    max_steps: int | None = None,
    device: str = "cpu",
    seed: int = 0,
    config: PFNConfig | None = None,
    prior_config: PriorConfig | None = None,
    learning_rate: float = 1e-3,
    weight_decay: float = 0.01,
    warmup: float = 0.05,
    init=None,
    eval_every: int = 0,
    verbose: int = 1,
) -> dict:
    """Pretrain :class:`CausalMixPFN` on the SCM prior and write weights + manifest to ``out``.

    Training stops after ``minutes`` of wall time or ``max_steps`` steps, whichever comes first; the
    learning-rate schedule (linear warm-up, cosine decay) follows the elapsed share of that budget. Mixed
    precision (bfloat16 autocast) on CUDA.

    Parameters
    ----------
    out : str or Path
        Output folder; receives ``model.safetensors`` and its manifest ``model.json``.
    minutes : float, default=5.0
        Wall-time budget.
    max_steps : int, default=None
        Step budget (None = time only).
    device : str, default="cpu"
    seed : int, default=0
        Seeds the model's initialisation and the prior's stream.
    config : PFNConfig, default=None
    prior_config : PriorConfig, default=None
    learning_rate, weight_decay, warmup : float
        AdamW peak learning rate, weight decay, warm-up share of the budget.
    init : str or Path, default=None
        A manifest to start from (continue pretraining) instead of a fresh initialisation.
    eval_every : int, default=0
        Evaluate held-out prior AUC every this many steps (0: only at the end).
    verbose : int, default=1
        Progress lines.

    Returns
    -------
    manifest : dict
        What was written to ``out/model.json`` (config, sha256, seed, steps, rows seen, hardware,
        wall time, validation AUC, loss curve).

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_causalmix.prior import pretrain, PriorConfig
    >>> from sklearn_causalmix.backbones import PFNConfig
    >>> m = pretrain(tempfile.mkdtemp(), max_steps=2, config=PFNConfig(d_model=16, n_layers=1),
    ...              prior_config=PriorConfig(max_rows=64, max_features=4, tokens_per_batch=1024), verbose=0)
    >>> m["steps"]
    2
    """
    from sklearn_causalmix.backbones._weights import load_weights

    device = torch.device(device)
    torch.manual_seed(seed)
    if init is not None:
        model = load_weights(init, device=device)
        config = model.config
    else:
        model = CausalMixPFN(config).to(device)
        config = model.config
    model.train()
    prior = SCMPrior(prior_config, device=device, seed=seed)
    opt = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    use_amp = device.type == "cuda"
    budget_s = minutes * 60.0
    start = time.perf_counter()
    steps = rows = tasks = 0
    curve, gen_time = [], 0.0
    ema = None
    while True:
        elapsed = time.perf_counter() - start
        progress = elapsed / budget_s if budget_s > 0 else 0.0
        if max_steps is not None:
            progress = max(progress, steps / max_steps)
            if steps >= max_steps:
                break
        if progress >= 1.0:
            break
        for group in opt.param_groups:
            group["lr"] = _lr_at(progress, warmup, learning_rate)
        t_gen = time.perf_counter()
        batch = prior.sample()
        gen_time += time.perf_counter() - t_gen
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_amp):
            loss = episode_loss(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        steps += 1
        tasks += batch.X.shape[0]
        rows += batch.X.shape[0] * batch.X.shape[1]
        value = float(loss.detach()) if steps % 25 == 0 or steps < 3 else None
        if value is not None:
            ema = value if ema is None else 0.9 * ema + 0.1 * value
            curve.append({"step": steps, "seconds": round(time.perf_counter() - start, 2), "loss_ema": ema})
            if verbose and steps % 250 == 0:
                print(f"step {steps:6d}  {time.perf_counter() - start:7.1f}s  loss(ema) {ema:.4f}", flush=True)
        if eval_every and steps % eval_every == 0:
            scores = prior_validation_auc(model, n_batches=4, prior_config=prior_config, device=device)
            curve[-1:] = [dict(curve[-1] if curve else {"step": steps}, **scores)]
            if verbose:
                print(f"step {steps:6d}  val_auc {scores['val_auc']:.4f}", flush=True)
    wall = time.perf_counter() - start
    scores = prior_validation_auc(model, n_batches=16, prior_config=prior_config, device=device)
    hardware = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    manifest = save_weights(
        model,
        Path(out) / "model.json",
        seed=seed,
        steps=steps,
        tasks_seen=tasks,
        rows_seen=rows,
        wall_time_s=round(wall, 1),
        prior_generation_s=round(gen_time, 1),
        steps_per_s=round(steps / wall, 2),
        tasks_per_s=round(tasks / wall, 1),
        hardware=hardware,
        device=str(device),
        mixed_precision="bf16" if use_amp else "fp32",
        torch_version=torch.__version__,
        learning_rate=learning_rate,
        prior=(prior_config or PriorConfig()).to_dict(),
        prior_version=PRIOR_VERSION,
        init=str(init) if init is not None else None,
        loss_curve=curve[-200:],
        **scores,
    )
    if verbose:
        print(f"done: {steps} steps in {wall:.0f}s, val_auc {scores['val_auc']:.4f} -> {out}", flush=True)
    return manifest
