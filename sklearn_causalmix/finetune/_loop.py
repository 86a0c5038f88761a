"""The fine-tuning loop: steps on episodes, periodic evaluation, the best weights kept, early stopping.

A short loop over the training core (:mod:`sklearn_causalmix._training`: the step, the optimiser wrapper,
:class:`~sklearn_causalmix._training.BestState`). It knows nothing about tables or labels: it takes a backbone,
an :class:`~sklearn_causalmix.finetune._episodes.EpisodeSampler` and an ``evaluate`` callable returning
``(val_score, monitor_score)`` (greater is better). What only fine-tuning needs lives here too: a step that
backs off on out-of-memory errors (smaller episodes, then smaller batches) and the history of evaluations.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from sklearn_causalmix._training import L2SP, BestState, Optimizers, train_step
from sklearn_causalmix.backbones import free_accelerator_memory, is_out_of_memory

__all__ = ["FinetuneResult", "finetune"]

_GRAD_CLIP = 1.0


@dataclass
class FinetuneResult:
    """What :func:`finetune` returns.

    Parameters
    ----------
    history : list of dict
        One entry per evaluation: ``step``, ``train_loss`` (mean query cross-entropy of the steps since the
        previous evaluation; NaN at step 0), ``val_score``, ``monitor_score`` (when monitoring), ``episode_size``
        and ``elapsed`` (seconds since the start).
    best_step : int
        Step whose weights the model holds at the end.
    n_steps : int
        Optimisation steps taken.
    best_score : float
        Validation score at ``best_step`` (NaN without validation).
    episode_size : int
        Episode size at the end (smaller than at the start after out-of-memory halvings).
    val_probas : list of ndarray or None
        The validation rows' class probabilities at every evaluation (None entries when the evaluator gives
        none); read by the selection across folds and by the temperature fit.
    """

    history: list = field(default_factory=list)
    best_step: int = 0
    n_steps: int = 0
    best_score: float = float("nan")
    episode_size: int = 0
    val_probas: list = field(default_factory=list)


def _step_with_backoff(model, optimizers, sampler, batch_size, device, penalty=None):
    """One step; on an out-of-memory error halve the episodes (then the batch) and retry.

    Returns ``(loss, batch_size)``: the batch size may have shrunk.
    """
    while True:
        try:
            return train_step(model, optimizers, sampler.sample(batch_size), penalty), batch_size
        except (RuntimeError, MemoryError) as exc:
            if not is_out_of_memory(exc):
                raise
            optimizers.zero_grad()
            free_accelerator_memory(device)
            old = (sampler.episode_size, batch_size)
            if not sampler.shrink():
                if batch_size == 1:
                    raise MemoryError(
                        f"Fine-tuning runs out of accelerator memory even with episodes of {sampler.episode_size} "
                        f"rows and batch_size=1; use device='cpu' or free memory on the device."
                    ) from None
                batch_size = max(1, batch_size // 2)
            warnings.warn(
                f"Out of memory on {device} with episodes of {old[0]} rows x batch_size={old[1]}; retrying with "
                f"{sampler.episode_size} rows x batch_size={batch_size}. Set episode_size (and batch_size) to at "
                "most these values to avoid the retry.",
                RuntimeWarning,
            )


class _History:
    """The evaluations of a run: ``record`` scores the model and appends one entry (and the validation rows'
    probabilities, when the evaluator keeps them as ``last_val_proba``)."""

    def __init__(self, evaluate, sampler):
        self.evaluate, self.sampler, self.entries, self.probas = evaluate, sampler, [], []
        self._start = time.perf_counter()

    def record(self, model, step, losses) -> float:
        val, monitor = self.evaluate(model)
        entry = {"step": step, "train_loss": float(np.mean(losses)) if losses else float("nan"),
                 "val_score": float(val)}
        if monitor is not None:
            entry["monitor_score"] = float(monitor)
        entry["episode_size"] = self.sampler.episode_size
        entry["elapsed"] = time.perf_counter() - self._start
        self.entries.append(entry)
        self.probas.append(getattr(self.evaluate, "last_val_proba", None))
        return float(val)


def finetune(
    model,
    sampler,
    evaluate,
    *,
    max_steps,
    learning_rate,
    weight_decay,
    batch_size,
    eval_every,
    patience,
    early_stopping,
    device,
    warmup_steps=0,
    l2sp=0.0,
    fixed_feature_ids=False,
    verbose=0,
) -> FinetuneResult:
    """Fine-tune ``model`` in place and return its history.

    Step 0 (the weights as given) is evaluated first. Every ``eval_every`` steps, and after the last step, the
    model is evaluated in eval mode; with ``early_stopping`` the weights with the best validation score so far
    are kept (ties keep the earlier step, so step 0 wins unless fine-tuning strictly improves the validation
    score), training stops after ``patience`` evaluations without improvement, and the best weights are
    restored at the end. Without ``early_stopping`` all ``max_steps`` steps run and the final weights are kept.

    AdamW (fused kernel on CPU and CUDA), gradient norm clipped at 1, bfloat16 autocast on CUDA; the learning
    rate rises linearly over the first ``warmup_steps`` steps, then stays constant; ``l2sp`` pulls the
    weights toward where they started (:class:`~sklearn_causalmix._training.L2SP`). A CUDA or MPS out-of-memory
    error during a step halves the episode size (then the batch size, once the episode cannot shrink), warns,
    and retries the step.

    Parameters
    ----------
    model : TabularBackbone
        On ``device``.
    sampler : EpisodeSampler
    evaluate : callable
        ``evaluate(model) -> (val_score, monitor_score)``; either may be NaN (no validation / no monitor);
        ``monitor_score`` None means no monitor set (the key is then left out of the history).
    max_steps : int
    learning_rate, weight_decay : float
        AdamW settings.
    batch_size : int
        Episodes per step.
    eval_every : int
    patience : int
        Evaluations without improvement before stopping.
    early_stopping : bool
    device : torch.device
    warmup_steps : float, default=0
        Steps over which the learning rate rises linearly to ``learning_rate`` (0: constant from the start).
    l2sp : float, default=0.0
        Strength of the pull toward the starting weights (0: none).
    fixed_feature_ids : bool, default=False
        Train with the feature-identity vectors that prediction uses (``model.fixed_feature_ids``, restored
        afterwards) instead of fresh random ones per step.
    verbose : int, default=0
        A tqdm bar over the steps (with the latest validation score) when > 0.

    Returns
    -------
    result : FinetuneResult
    """
    history = _History(evaluate, sampler)
    best = BestState(model, patience)
    result = FinetuneResult(history=history.entries, episode_size=sampler.episode_size, val_probas=history.probas)
    score = history.record(model, 0, [])
    result.best_score = score
    if early_stopping:
        best.start(score)
    if max_steps == 0:
        return result
    fused = device.type in ("cpu", "cuda") and all(p.dtype.is_floating_point for p in model.parameters())
    optimizers = Optimizers(model, "adamw", lr=learning_rate, weight_decay=weight_decay, grad_clip=_GRAD_CLIP,
                            fused=fused)
    penalty = L2SP(model, l2sp) if l2sp > 0 else None
    from tqdm.auto import tqdm

    bar = tqdm(total=max_steps, desc="fine-tuning", disable=verbose <= 0, leave=False)
    bar.set_postfix(val=f"{score:.4f}")
    losses = []
    was_fixed = getattr(model, "fixed_feature_ids", False)
    if fixed_feature_ids:
        model.fixed_feature_ids = True
    try:
        for step in range(1, max_steps + 1):
            model.train()
            if warmup_steps > 0:
                optimizers.set_lr(learning_rate * min(1.0, step / warmup_steps))
            loss, batch_size = _step_with_backoff(model, optimizers, sampler, batch_size, device, penalty)
            if not math.isfinite(loss):
                _non_finite(loss, step, early_stopping, best.step)
                break
            losses.append(loss)
            result.n_steps = step
            bar.update(1)
            if step % eval_every == 0 or step == max_steps:
                score = history.record(model, step, losses)
                losses = []
                bar.set_postfix(val=f"{score:.4f}", loss=f"{history.entries[-1]['train_loss']:.4f}")
                if early_stopping and best.update(step, score):
                    break
    finally:
        bar.close()
        if fixed_feature_ids:
            model.fixed_feature_ids = was_fixed
    if early_stopping:
        best.restore()
        result.best_step, result.best_score = best.step, best.score
    else:
        result.best_step, result.best_score = result.n_steps, history.entries[-1]["val_score"]
    result.episode_size = sampler.episode_size
    model.eval()
    return result


def _non_finite(loss, step, early_stopping, best_step):
    """A NaN/inf loss: an error without early stopping, else a warning (the best weights so far are kept)."""
    if not early_stopping:
        raise FloatingPointError(f"The fine-tuning loss became {loss} at step {step}; lower learning_rate.")
    warnings.warn(
        f"The fine-tuning loss became {loss} at step {step}; stopping and keeping the weights of step {best_step}. "
        "Lower learning_rate to fine-tune further.",
        RuntimeWarning,
    )
