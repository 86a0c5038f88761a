"""A pretraining run in memory: model, optimisers, weight average and counters, and its step over micro-batches.

Step ``s`` of a run is ``M`` micro-batches (``micro_batches``, default 1). Micro-batch ``m`` draws its prior
batch and the model's random feature identities from generators seeded by ``(seed, s, m)`` only, so the
stream of a run does not depend on how many processes share it: with ``W`` processes, rank ``r`` takes
``m = r, r + W, ...``, backpropagates each loss divided by ``M``, the gradients are summed over the processes
(:class:`~sklearn_causalmix._training.DataParallel`) and every process takes the same optimiser step.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from sklearn_causalmix._training import (
    Optimizers,
    WeightAverage,
    accumulate_gradients,
    release_freed_memory,
    rss_mb,
    save_checkpoint,
)
from sklearn_causalmix.backbones import build_model
from sklearn_causalmix.prior._heldout import prior_validation_auc

__all__ = ["PretrainRun", "micro_seed"]


@dataclasses.dataclass
class PretrainRun:
    """The counters and curves of a run, kept in its resume state."""

    step: int = 0
    tasks: int = 0
    rows: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    loss_curve: list = dataclasses.field(default_factory=list)
    val_curve: list = dataclasses.field(default_factory=list)
    sessions: list = dataclasses.field(default_factory=list)
    commands: list = dataclasses.field(default_factory=list)


def lr_at(progress: float, warmup: float, peak: float) -> float:
    """Linear warm-up over the first ``warmup`` share of the run, then cosine decay to 5 % of ``peak``."""
    if progress < warmup:
        return peak * progress / warmup
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, (progress - warmup) / (1 - warmup)))))


def step_seed(seed: int, step: int) -> int:
    """The seed of step ``step``'s first micro-batch (the only one of a run with ``micro_batches=1``)."""
    return (int(seed) * 1_000_003 + int(step)) % (2**63 - 1)


def micro_seed(seed: int, step: int, micro: int) -> int:
    """The seed of micro-batch ``micro`` of step ``step``: a function of the three numbers only.

    Micro-batch 0 keeps the seed that step had before micro-batches existed, so one-micro-batch runs draw the
    same stream as before; the others are hashed by numpy's ``SeedSequence``.
    """
    if micro == 0:
        return step_seed(seed, step)
    words = np.random.SeedSequence([int(seed), int(step), int(micro)]).generate_state(2, np.uint32)
    return (int(words[0]) << 32 | int(words[1])) % (2**63 - 1)


class Trainer:
    """A pretraining run in memory: model, optimisers, weight average, counters; one method per event."""

    def __init__(self, settings, model, ranks, *, lawa_every, warmup, state=None):
        self.settings, self.ranks, self.device, self.warmup = settings, ranks, ranks.device, warmup
        self.model = model.to(self.device).train()
        self.optimizers = Optimizers(self.model, settings["optimizer"], lr=settings["learning_rate"],
                                     grad_clip=settings["grad_clip"])
        self.average = WeightAverage(size=settings["lawa"], every=lawa_every)
        self.run = PretrainRun()
        if state is not None:
            self.model.load_state_dict(state["model"])
            self.optimizers.load_state_dict(state["optimizers"])
            self.average.load_state_dict(state["lawa"])
            self.run = PretrainRun(**state["run"])
        ranks.broadcast_module(self.model)  # every process starts from rank 0's weights
        self.ema = self.run.loss_curve[-1]["loss_ema"] if self.run.loss_curve else None

    def averaged_model(self):
        averaged = build_model(self.model.config)
        averaged.load_state_dict(self.average.average() if self.average.snapshots else self.model.state_dict())
        return averaged.eval().to(self.device)

    def checkpoint(self, out) -> None:
        save_checkpoint({"settings": self.settings, "model": self.model.state_dict(),
                         "optimizers": self.optimizers.state_dict(), "lawa": self.average.state_dict(),
                         "run": dataclasses.asdict(self.run)}, out)

    def validate(self, validation, budget) -> float:
        with budget.excluded():  # validation time is not training time
            scores = validation.score(self.averaged_model())
        point = {"step": self.run.step, "wall_s": round(self.run.wall_s, 1), "cpu_s": round(self.run.cpu_s, 1),
                 "mean_auc": scores["mean_auc"], "median_auc": scores["median_auc"]}
        if len(scores.get("groups", ())) > 1:  # a suite of several groups: each one's mean too
            point["groups"] = scores["groups"]
        self.run.val_curve.append(point)
        return scores["mean_auc"]

    def _gradients(self, sample, budget) -> tuple[float, int, int]:
        """This rank's micro-batches backpropagated, then summed over ranks: mean loss, tasks and rows."""
        seed, step, n_micro = self.settings["seed"], self.run.step, self.settings["micro_batches"]
        self.optimizers.zero_grad()
        loss = tasks = rows = 0.0
        for micro in self.ranks.shard(n_micro):
            batch = sample(micro_seed(seed, step, micro))
            self.model.feature_generator = torch.Generator().manual_seed(micro_seed(seed + 1, step, micro))
            loss += accumulate_gradients(self.model, batch.episode(), scale=1.0 / n_micro)
            tasks += batch.X.shape[0]
            rows += batch.X.shape[0] * batch.X.shape[1]
            del batch
        # the other ranks report their CPU time of this call, so that the budget counts every process
        cpu = 0.0 if self.ranks.is_main else budget.call_cpu_s
        loss, tasks, rows, cpu = self.ranks.sum_gradients(self.model.parameters(), [loss, tasks, rows, cpu])
        budget.others_cpu_s = cpu
        return loss / n_micro, int(tasks), int(rows)

    def step(self, sample, budget, progress, *, eval_every, prior_config) -> None:
        run = self.run
        self.optimizers.set_lr(lr_at(progress, self.warmup, self.settings["learning_rate"]))
        value, tasks, rows = self._gradients(sample, budget)
        self.optimizers.step()
        run.tasks += tasks
        run.rows += rows
        run.step = step = run.step + 1
        self.ema = value if self.ema is None else 0.95 * self.ema + 0.05 * value
        if step % self.average.every == 0:
            self.average.add(self.model.state_dict())
        if step % 25 == 0 or step < 3:
            release_freed_memory()
            run.loss_curve.append({"step": step, "wall_s": round(run.wall_s, 1), "cpu_s": round(run.cpu_s, 1),
                                   "loss_ema": self.ema, "rss_mb": round(rss_mb(), 1)})
        if eval_every and step % eval_every == 0 and self.ranks.is_main:
            scores = prior_validation_auc(self.model, n_batches=4, prior_config=prior_config, device=self.device)
            run.loss_curve[-1:] = [dict(run.loss_curve[-1] if run.loss_curve else {}, **scores)]
