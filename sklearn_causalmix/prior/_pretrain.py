"""Pretraining of the embedded model on a synthetic prior (``causalmix pretrain``).

One run is a sequence of steps; step ``s`` draws its prior batch and the model's random feature identities
from generators seeded by ``(seed, s)``, so a run is reproducible and a resumed run continues exactly where it
stopped. The loop is short: it takes the training core's step (:func:`~sklearn_causalmix._training.train_step`)
under a :class:`~sklearn_causalmix._training.Budget`, averages weights (LAWA), scores the real-table
:class:`ValidationSuite` every few minutes (its curve, AUC against wall-clock and CPU time, goes into the
manifest) and writes the resume state atomically every few minutes to ``checkpoint.pt``. The shipped weights
(``model.safetensors`` + manifest) are the LAWA average of the last snapshots.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import platform
import time
from numbers import Integral, Real
from pathlib import Path

import torch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params

from sklearn_causalmix._core import fork_torch_rng, package_threads, thread_policy
from sklearn_causalmix._training import (
    Budget,
    Optimizers,
    StopRequests,
    WeightAverage,
    load_checkpoint,
    release_freed_memory,
    rss_mb,
    save_checkpoint,
    train_step,
)
from sklearn_causalmix.backbones import RowPFNConfig, build_model, load_weights, save_weights
from sklearn_causalmix.prior._heldout import prior_validation_auc
from sklearn_causalmix.prior._scm_prior import PRIOR_VERSION, PriorConfig, SCMPrior

__all__ = ["pretrain", "RECIPES"]

#: Named recipes: the architecture trained, the optimiser, the peak learning rate and the gradient clipping.
#: "row" trains the row-token :class:`~sklearn_causalmix.backbones.RowPFN` (RMSNorm, no attention output
#: projection, thinking rows, feature grouping) with AdamW (Muon's bfloat16 Newton-Schulz has no fast path on
#: CPUs without AVX-512; ``optimizer="muon"`` chooses it), gradient clipping 2, LAWA. The recipes "v1" and "v2"
#: of the per-cell :class:`~sklearn_causalmix.backbones.CausalMixPFN` were retired in 0.2 (see the changelog);
#: their weights still load.
RECIPES = {
    "row": {"config": RowPFNConfig, "optimizer": "adamw", "learning_rate": 1e-3, "grad_clip": 2.0},
}

_PRIORS = ("scm", "tabicl", "mix")


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


def _lr_at(progress: float, warmup: float, peak: float) -> float:
    if progress < warmup:
        return peak * progress / warmup
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, (progress - warmup) / (1 - warmup)))))


def _step_seed(seed: int, step: int) -> int:
    return (int(seed) * 1_000_003 + int(step)) % (2**63 - 1)


def _make_prior(name: str, prior_config: PriorConfig, device):
    if name == "scm":
        return lambda seed: SCMPrior(prior_config, device=device, seed=seed).sample()
    from sklearn_causalmix.prior._tabicl_prior import TabICLPrior

    tabicl = TabICLPrior(
        min_rows=prior_config.min_rows, max_rows=prior_config.max_rows, max_features=prior_config.max_features,
        max_classes=prior_config.max_classes,
    )
    if name == "tabicl":
        return lambda seed: tabicl.sample(seed)
    # "mix" alternates: odd seeds TabICL's tasks, even seeds ours
    return lambda seed: tabicl.sample(seed) if seed % 2 else SCMPrior(prior_config, device=device, seed=seed).sample()


def _settings(state, *, recipe, config, prior, prior_config, seed, learning_rate, optimizer, max_steps, minutes,
              lawa, threads) -> dict:
    """The run's settings: the checkpoint's when resuming (but the budget and threads of this call)."""
    if state is not None:
        saved = state["settings"]
        if saved["recipe"] not in RECIPES:
            raise ValueError(
                f"The checkpoint was written by the retired recipe {saved['recipe']!r} (the per-cell CausalMixPFN, "
                "retired in sklearn-causalmix 0.2); continue it with version 0.1, or start a run of recipe 'row'. "
                "Its weights (model.json) still load with load_weights."
            )
        recipe, prior, seed, lawa = saved["recipe"], saved["prior"], saved["seed"], saved["lawa"]
        config = RowPFNConfig(**saved["architecture"])
        prior_config, learning_rate = PriorConfig(**saved["prior_config"]), saved["learning_rate"]
        optimizer = saved["optimizer"]
        max_steps = max_steps if max_steps is not None else saved["max_steps"]
    spec = RECIPES[recipe]
    return {
        "recipe": recipe, "architecture": config.to_dict(), "prior": prior, "prior_config": prior_config.to_dict(),
        "prior_version": PRIOR_VERSION, "seed": seed,
        "learning_rate": spec["learning_rate"] if learning_rate is None else learning_rate,
        "max_steps": max_steps, "budget_minutes": minutes, "lawa": lawa, "threads": threads,
        "optimizer": optimizer or spec["optimizer"], "grad_clip": spec["grad_clip"],
    }


def _initial_model(config, init, seed):
    """The model a new run starts from: the ``init`` manifest's (with ``config``'s context limit) or fresh."""
    if init is not None:
        model = load_weights(init, device="cpu")
        if not isinstance(model.config, RowPFNConfig):
            raise ValueError(
                f"init={str(init)!r} holds a {type(model).__name__}; recipe 'row' continues RowPFN weights only."
            )
        if config is not None and config.max_context_rows != model.config.max_context_rows:
            # the architecture is the manifest's; the context limit is what this run trains on
            resized = build_model(dataclasses.replace(model.config, max_context_rows=config.max_context_rows))
            resized.load_state_dict(model.state_dict())
            model = resized
        return model
    with fork_torch_rng(torch.device("cpu"), seed):  # module initialisation reads the global generator
        return build_model(config or RowPFNConfig())


class _Trainer:
    """A pretraining run in memory: model, optimisers, weight average, counters; one method per event."""

    def __init__(self, settings, model, device, *, lawa_every, warmup, state=None):
        self.settings, self.device, self.warmup = settings, device, warmup
        self.model = model.to(device).train()
        self.optimizers = Optimizers(self.model, settings["optimizer"], lr=settings["learning_rate"],
                                     grad_clip=settings["grad_clip"])
        self.average = WeightAverage(size=settings["lawa"], every=lawa_every)
        self.run = PretrainRun()
        if state is not None:
            self.model.load_state_dict(state["model"])
            self.optimizers.load_state_dict(state["optimizers"])
            self.average.load_state_dict(state["lawa"])
            self.run = PretrainRun(**state["run"])
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
        self.run.val_curve.append({"step": self.run.step, "wall_s": round(self.run.wall_s, 1),
                                   "cpu_s": round(self.run.cpu_s, 1), "mean_auc": scores["mean_auc"],
                                   "median_auc": scores["median_auc"]})
        return scores["mean_auc"]

    def step(self, sample, budget, *, eval_every, prior_config) -> None:
        seed, run = self.settings["seed"], self.run
        self.optimizers.set_lr(_lr_at(budget.progress(run.step), self.warmup, self.settings["learning_rate"]))
        batch = sample(_step_seed(seed, run.step))
        self.model.feature_generator = torch.Generator().manual_seed(_step_seed(seed + 1, run.step))
        value = train_step(self.model, self.optimizers, batch.episode())
        run.tasks += batch.X.shape[0]
        run.rows += batch.X.shape[0] * batch.X.shape[1]
        del batch
        run.step = step = run.step + 1
        self.ema = value if self.ema is None else 0.95 * self.ema + 0.05 * value
        if step % self.average.every == 0:
            self.average.add(self.model.state_dict())
        if step % 25 == 0 or step < 3:
            release_freed_memory()
            run.loss_curve.append({"step": step, "wall_s": round(run.wall_s, 1), "cpu_s": round(run.cpu_s, 1),
                                   "loss_ema": self.ema, "rss_mb": round(rss_mb(), 1)})
        if eval_every and step % eval_every == 0:
            scores = prior_validation_auc(self.model, n_batches=4, prior_config=prior_config, device=self.device)
            run.loss_curve[-1:] = [dict(run.loss_curve[-1] if run.loss_curve else {}, **scores)]


def _hardware(device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"


def _loop(trainer, out, budget, sample, *, validation, validate_minutes, checkpoint_minutes, eval_every,
          prior_config, verbose) -> None:
    """Steps until the budget is spent or a stop is requested; validation and checkpoints on the way."""
    from tqdm.auto import tqdm

    run = trainer.run
    last_ckpt = last_val = time.perf_counter()
    last_val_auc = run.val_curve[-1]["mean_auc"] if run.val_curve else float("nan")
    bar = tqdm(total=budget.max_steps, initial=run.step, disable=not verbose, unit="step", dynamic_ncols=True)
    try:
        with StopRequests() as stop:
            while not stop.requested:
                run.wall_s, run.cpu_s = budget.wall_s, budget.cpu_s
                if budget.exhausted(run.step):
                    break
                now = time.perf_counter()
                if validation is not None and (now - last_val >= validate_minutes * 60.0 or not run.val_curve):
                    last_val_auc = trainer.validate(validation, budget)
                    last_val = time.perf_counter()
                if now - last_ckpt >= checkpoint_minutes * 60.0:
                    trainer.checkpoint(out)
                    last_ckpt = time.perf_counter()
                trainer.step(sample, budget, eval_every=eval_every, prior_config=prior_config)
                bar.update(1)
                bar.set_postfix(loss=f"{trainer.ema:.3f}", val_auc=f"{last_val_auc:.3f}",
                                left_min=f"{max(0.0, budget.minutes * 60.0 - budget.call_s) / 60:.0f}")
    finally:
        bar.close()
        trainer.model.feature_generator = None


def _write_weights(out, trainer, init, n_batches) -> dict:
    settings, run, device = trainer.settings, trainer.run, trainer.device
    shipped = trainer.averaged_model()
    prior_config = PriorConfig(**settings["prior_config"])
    scores = prior_validation_auc(shipped, n_batches=n_batches, prior_config=prior_config, device=device)
    wall = max(run.wall_s, 1e-9)
    return save_weights(
        shipped, Path(out) / "model.json", seed=settings["seed"], steps=run.step, recipe=settings["recipe"],
        optimizer=settings["optimizer"], grad_clip=settings["grad_clip"],
        lawa={"snapshots": len(trainer.average.snapshots), "every": trainer.average.every},
        prior_source=settings["prior"], tasks_seen=run.tasks, rows_seen=run.rows,
        wall_time_s=round(run.wall_s, 1), cpu_time_s=round(run.cpu_s, 1), steps_per_s=round(run.step / wall, 3),
        tasks_per_s=round(run.tasks / wall, 2), hardware=_hardware(device), device=str(device),
        mixed_precision="bf16" if device.type == "cuda" else "fp32", torch_version=torch.__version__,
        learning_rate=settings["learning_rate"], prior=settings["prior_config"], prior_version=PRIOR_VERSION,
        init=str(init) if init is not None else None, sessions=run.sessions, commands=run.commands,
        loss_curve=run.loss_curve[-200:], validation_curve=run.val_curve, **scores,
    )


@validate_params(
    {
        "out": [str, Path],
        "minutes": [Interval(Real, 0, None, closed="neither")],
        "cpu_minutes": [Interval(Real, 0, None, closed="neither"), None],
        "max_steps": [Interval(Integral, 1, None, closed="left"), None],
        "steps": [Interval(Integral, 1, None, closed="left"), None],
        "device": [str, torch.device],
        "seed": [Interval(Integral, 0, None, closed="left")],
        "recipe": [StrOptions(set(RECIPES))],
        "config": [RowPFNConfig, None],
        "prior": [StrOptions(set(_PRIORS))],
        "prior_config": [PriorConfig, None],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), None],
        "optimizer": [StrOptions({"adamw", "muon"}), None],
        "warmup": [Interval(Real, 0, 1, closed="neither")],
        "lawa": [Interval(Integral, 1, None, closed="left")],
        "lawa_every": [Interval(Integral, 1, None, closed="left")],
        "init": [str, Path, None],
        "resume": ["boolean"],
        "checkpoint_minutes": [Interval(Real, 0, None, closed="neither")],
        "validation": [HasMethods(["score"]), None],
        "validate_minutes": [Interval(Real, 0, None, closed="neither")],
        "threads": [Interval(Integral, 1, None, closed="left"), None],
        "eval_every": [Interval(Integral, 0, None, closed="left")],
        "prior_eval_batches": [Interval(Integral, 1, None, closed="left")],
        "command": [str, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def pretrain(
    out,
    *,
    minutes=5.0,
    cpu_minutes=None,
    max_steps=None,
    steps=None,
    device="cpu",
    seed=0,
    recipe="row",
    config=None,
    prior="scm",
    prior_config=None,
    learning_rate=None,
    optimizer=None,
    warmup=0.05,
    lawa=10,
    lawa_every=50,
    init=None,
    resume=False,
    checkpoint_minutes=5.0,
    validation=None,
    validate_minutes=10.0,
    threads=None,
    eval_every=0,
    prior_eval_batches=16,
    command=None,
    verbose=1,
) -> dict:
    """Pretrain the embedded row model on a synthetic prior and write weights + manifest to ``out``.

    This call runs until ``max_steps`` steps are done in total or ``minutes`` of wall time have passed in this
    call, whichever comes first, then writes ``checkpoint.pt`` (resume state) and the LAWA-averaged weights
    ``model.safetensors`` with their manifest ``model.json``. The learning-rate schedule (linear warm-up, cosine
    decay to 5 %) follows ``step / max_steps`` when ``max_steps`` is given (exactly resumable), else the elapsed
    share of ``minutes``. Mixed precision (bfloat16 autocast) on CUDA.

    Parameters
    ----------
    out : str or Path
        Output folder; holds ``checkpoint.pt``, ``model.safetensors`` and ``model.json``.
    minutes : float, default=5.0
        Wall-time budget of this call.
    cpu_minutes : float, default=None
        Also stop once the run's training CPU time (all threads, validation excluded) reaches this many
        minutes in total; compares recipes fairly on a shared machine.
    max_steps : int, default=None
        Total steps of the run (None: time only).
    steps : int, default=None
        Steps to run in this call at most (e.g. to stop a run halfway and resume it later).
    device : str, default="cpu"
    seed : int, default=0
        Seeds the initialisation, the prior stream and the feature identities.
    recipe : {"row"}, default="row"
        See :data:`RECIPES`: architecture, optimiser, learning rate and gradient clipping.
    config : RowPFNConfig, default=None
        Architecture; the default :class:`~sklearn_causalmix.backbones.RowPFNConfig` if None.
    prior : {"scm", "tabicl", "mix"}, default="scm"
        Our SCM prior, TabICL's MLP-SCM prior (``pretrain`` extra), or both alternating.
    prior_config : PriorConfig, default=None
        Shapes of the prior tasks (rows, features, classes, batch size in cells).
    learning_rate : float, default=None
        Peak learning rate; the recipe's if None.
    optimizer : {"adamw", "muon"}, default=None
        AdamW on every parameter, or Muon on the transformer blocks' matrices plus AdamW; the recipe's if None.
    warmup : float, default=0.05
        Warm-up share of the schedule.
    lawa, lawa_every : int, default=10, 50
        Number of snapshots averaged for the written weights, and steps between snapshots.
    init : str or Path, default=None
        A manifest of RowPFN weights to start from (fresh optimiser), e.g. the shipped weights. Its
        architecture is kept; a ``config`` given as well only sets the context limit (``max_context_rows``)
        to what this run trains on.
    resume : bool, default=False
        Continue the run saved in ``out/checkpoint.pt`` (its settings win over the arguments above, except
        ``minutes``, ``max_steps``, ``validation``, ``threads`` and ``verbose``).
    checkpoint_minutes : float, default=5.0
        Wall time between checkpoints.
    validation : ValidationSuite, default=None
        Real tables scored every ``validate_minutes`` and at the end (on the LAWA average).
    validate_minutes : float, default=10.0
    threads : int, default=None
        Torch threads during the call (restored afterwards; None: leave torch's setting).
    eval_every : int, default=0
        Held-out prior AUC every this many steps (0: only at the end).
    prior_eval_batches : int, default=16
        Held-out prior batches scored for the manifest's ``val_auc`` at the end.
    command : str, default=None
        The command line of this call (``causalmix pretrain`` passes its own); every call's command is kept in
        the resume state and listed in the manifest's ``commands``, so the weights can be reproduced.
    verbose : int, default=1
        A tqdm progress bar (steps/s, loss, last validation AUC).

    Returns
    -------
    manifest : dict
        What was written to ``out/model.json``.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_causalmix.prior import pretrain, PriorConfig
    >>> from sklearn_causalmix.backbones import RowPFNConfig
    >>> m = pretrain(tempfile.mkdtemp(), max_steps=2, config=RowPFNConfig(d_feature=8, n_cls=2, n_layers=1, n_heads=2),
    ...              prior_config=PriorConfig(max_rows=64, max_features=4, tokens_per_batch=1024), verbose=0)
    >>> m["steps"], m["recipe"]
    (2, 'row')
    """
    device, out = torch.device(device), Path(out)
    state = load_checkpoint(out) if resume else None
    settings = _settings(state, recipe=recipe, config=config or RowPFNConfig(), prior=prior,
                         prior_config=prior_config or PriorConfig(), seed=seed, learning_rate=learning_rate,
                         optimizer=optimizer, max_steps=max_steps, minutes=minutes, lawa=lawa, threads=threads)
    with contextlib.ExitStack() as scope:
        if threads is not None:  # the run's threads, torch's setting restored afterwards
            scope.enter_context(thread_policy(threads))
            scope.enter_context(package_threads())
        if state is None:
            model = _initial_model(config, init, settings["seed"])
            settings["architecture"] = model.config.to_dict()
        else:
            model = build_model(RowPFNConfig(**settings["architecture"]))
        trainer = _Trainer(settings, model, device, lawa_every=lawa_every, warmup=warmup, state=state)
        if command is not None:
            trainer.run.commands.append(command)
        prior_config = PriorConfig(**settings["prior_config"])
        run = trainer.run
        budget = Budget(minutes=minutes, max_steps=settings["max_steps"], steps=steps, cpu_minutes=cpu_minutes,
                        first_step=run.step, wall_s=run.wall_s, cpu_s=run.cpu_s)
        _loop(trainer, out, budget, _make_prior(settings["prior"], prior_config, device), validation=validation,
              validate_minutes=validate_minutes, checkpoint_minutes=checkpoint_minutes, eval_every=eval_every,
              prior_config=prior_config, verbose=verbose)
        run.sessions.append({"steps_to": run.step, "wall_s": round(budget.call_s, 1),
                             "threads": torch.get_num_threads(), "hardware": _hardware(device)})
        if validation is not None:
            trainer.validate(validation, budget)
        trainer.checkpoint(out)
        return _write_weights(out, trainer, init, prior_eval_batches)
