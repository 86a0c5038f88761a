"""Pretraining of the embedded model on a synthetic prior (``causalmix pretrain``).

One run is a sequence of steps; step ``s`` is ``micro_batches`` micro-batches, each drawing its prior batch
and the model's random feature identities from generators seeded by ``(seed, s, m)``, so a run is reproducible,
a resumed run continues exactly where it stopped, and the stream does not depend on the number of processes
(``torchrun``: the micro-batches are shared out over them and their gradients summed, see
:mod:`sklearn_causalmix.prior._trainer`). The loop is short: it takes the training core's micro-batch
gradients (:func:`~sklearn_causalmix._training.accumulate_gradients`) and one optimiser step under a
:class:`~sklearn_causalmix._training.Budget`, averages weights (LAWA), scores the real-table
:class:`ValidationSuite` every few minutes (its curve, AUC against wall-clock and CPU time, goes into the
manifest) and writes the resume state atomically every few minutes to ``checkpoint.pt``. Rank 0 alone
validates and writes; all ranks stop together. The shipped weights (``model.safetensors`` + manifest) are the
LAWA average of the last snapshots.
"""

from __future__ import annotations

import contextlib
import dataclasses
import platform
import time
from numbers import Integral, Real
from pathlib import Path

import torch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params

from sklearn_causalmix._core import fork_torch_rng, package_threads, thread_policy
from sklearn_causalmix._training import Budget, StopRequests, data_parallel, load_checkpoint
from sklearn_causalmix.backbones import RowPFNConfig, build_model, load_weights, save_weights
from sklearn_causalmix.prior._heldout import prior_validation_auc
from sklearn_causalmix.prior._scm_prior import PRIOR_VERSION, PriorConfig, SCMPrior
from sklearn_causalmix.prior._trainer import Trainer

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


def _make_prior(name: str, prior_config: PriorConfig, device):
    if name == "scm":
        return lambda seed: SCMPrior(prior_config, device=device, seed=seed).sample()
    from sklearn_causalmix.prior._tabicl_prior import TabICLPrior

    for field in ("wide_fraction", "p_irrelevant"):
        if name == "tabicl" and getattr(prior_config, field):
            raise ValueError(f"{field} applies to the SCM prior: use prior='scm' or 'mix' (its SCM half), or 0.")
    tabicl = TabICLPrior(
        min_rows=prior_config.min_rows, max_rows=prior_config.max_rows, max_features=prior_config.max_features,
        max_classes=prior_config.max_classes,
    )
    if name == "tabicl":
        return lambda seed: tabicl.sample(seed)
    # "mix" alternates: odd seeds TabICL's tasks, even seeds ours
    return lambda seed: tabicl.sample(seed) if seed % 2 else SCMPrior(prior_config, device=device, seed=seed).sample()


def _settings(state, *, recipe, config, prior, prior_config, seed, learning_rate, optimizer, max_steps, minutes,
              lawa, threads, micro_batches) -> dict:
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
        optimizer, micro_batches = saved["optimizer"], saved.get("micro_batches", 1)
        max_steps = max_steps if max_steps is not None else saved["max_steps"]
    spec = RECIPES[recipe]
    return {
        "recipe": recipe, "architecture": config.to_dict(), "prior": prior, "prior_config": prior_config.to_dict(),
        "prior_version": PRIOR_VERSION, "seed": seed,
        "learning_rate": spec["learning_rate"] if learning_rate is None else learning_rate,
        "max_steps": max_steps, "budget_minutes": minutes, "lawa": lawa, "threads": threads,
        "optimizer": optimizer or spec["optimizer"], "grad_clip": spec["grad_clip"], "micro_batches": micro_batches,
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


def _check_world_size(micro_batches: int, world_size: int) -> None:
    if micro_batches < world_size:
        raise ValueError(
            f"micro_batches={micro_batches} is smaller than the number of processes ({world_size}): every process "
            "takes the micro-batches m = rank, rank + world_size, ... of a step, so some would idle. Use "
            f"micro_batches >= {world_size} (--micro-batches; a run's micro-batches are fixed when it starts and "
            "kept by --resume, so resume it with at most that many processes)."
        )


def _hardware(device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"


def _loop(trainer, out, budget, sample, *, validation, validate_minutes, checkpoint_minutes, eval_every,
          prior_config, verbose) -> None:
    """Steps until the budget is spent or a stop is requested; validation and checkpoints on the way.

    Rank 0 alone validates, checkpoints and decides when the budget is spent; before every step the ranks
    agree on whether to go on (a signal on any rank stops all) and on the schedule's progress (rank 0's, which
    follows its wall clock when the run has no ``max_steps``).
    """
    from tqdm.auto import tqdm

    run, ranks = trainer.run, trainer.ranks
    last_ckpt = last_val = time.perf_counter()
    last_val_auc = run.val_curve[-1]["mean_auc"] if run.val_curve else float("nan")
    bar = tqdm(total=budget.max_steps, initial=run.step, disable=not (verbose and ranks.is_main), unit="step",
               dynamic_ncols=True)
    try:
        with StopRequests() as stop:
            while True:
                run.wall_s, run.cpu_s = budget.wall_s, budget.cpu_s
                halt, progress = ranks.agree(stop.requested or (ranks.is_main and budget.exhausted(run.step)),
                                             budget.progress(run.step))
                if halt:
                    break
                now = time.perf_counter()
                if ranks.is_main and validation is not None and (
                        now - last_val >= validate_minutes * 60.0 or not run.val_curve):
                    last_val_auc = trainer.validate(validation, budget)
                    last_val = time.perf_counter()
                if ranks.is_main and now - last_ckpt >= checkpoint_minutes * 60.0:
                    trainer.checkpoint(out)
                    last_ckpt = time.perf_counter()
                trainer.step(sample, budget, progress, eval_every=eval_every, prior_config=prior_config)
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
        micro_batches=settings["micro_batches"], world_size=trainer.ranks.world_size,
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
        "micro_batches": [Interval(Integral, 1, None, closed="left")],
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
    micro_batches=1,
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

    Data parallel: launched by ``torchrun --nproc_per_node N`` (or called in an initialised process group),
    the ``N`` processes train one model: each takes its share of a step's ``micro_batches`` micro-batches
    (``m = rank, rank + N, ...``) and the gradients are summed over the processes before the one optimiser
    step, so the updates are those of one process with the same ``micro_batches`` (up to the order of
    floating-point sums), and a checkpoint resumes with any number of processes up to ``micro_batches``.
    Rank 0 validates, writes the checkpoint and the weights, and decides when the budget is spent (wall time:
    its own; CPU time: the sum over processes); all ranks stop together and return the same manifest. gloo on
    the CPU, NCCL on GPUs (``device="cuda"`` is ``cuda:LOCAL_RANK``); ``out`` must be one folder all ranks see.

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
        The training device; under torchrun, ``"cuda"`` is each process's GPU (``cuda:LOCAL_RANK``).
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
        ``minutes``, ``max_steps``, ``validation``, ``threads`` and ``verbose``); with any number of processes.
    checkpoint_minutes : float, default=5.0
        Wall time between checkpoints.
    validation : ValidationSuite, default=None
        Real tables scored every ``validate_minutes`` and at the end (on the LAWA average).
    validate_minutes : float, default=10.0
    threads : int, default=None
        Torch threads during the call (restored afterwards; None: leave torch's setting).
    eval_every : int, default=0
        Held-out prior AUC every this many steps (0: only at the end).
    micro_batches : int, default=1
        Prior batches per step (the global batch: ``micro_batches`` x ``prior_config.tokens_per_batch``
        cells); their losses are averaged. A run's value is kept by ``resume``; at least the number of
        processes.
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
    out = Path(out)
    state = load_checkpoint(out) if resume else None
    settings = _settings(state, recipe=recipe, config=config or RowPFNConfig(), prior=prior,
                         prior_config=prior_config or PriorConfig(), seed=seed, learning_rate=learning_rate,
                         optimizer=optimizer, max_steps=max_steps, minutes=minutes, lawa=lawa, threads=threads,
                         micro_batches=micro_batches)
    with contextlib.ExitStack() as scope:
        ranks = scope.enter_context(data_parallel(device))
        _check_world_size(settings["micro_batches"], ranks.world_size)
        if threads is not None:  # the run's threads, torch's setting restored afterwards
            scope.enter_context(thread_policy(threads))
            scope.enter_context(package_threads())
        if state is None:
            model = _initial_model(config, init, settings["seed"])
            settings["architecture"] = model.config.to_dict()
        else:
            model = build_model(RowPFNConfig(**settings["architecture"]))
        trainer = Trainer(settings, model, ranks, lawa_every=lawa_every, warmup=warmup, state=state)
        if command is not None:
            trainer.run.commands.append(command)
        prior_config = PriorConfig(**settings["prior_config"])
        run = trainer.run
        budget = Budget(minutes=minutes, max_steps=settings["max_steps"], steps=steps, cpu_minutes=cpu_minutes,
                        first_step=run.step, wall_s=run.wall_s, cpu_s=run.cpu_s)
        _loop(trainer, out, budget, _make_prior(settings["prior"], prior_config, ranks.device),
              validation=validation, validate_minutes=validate_minutes, checkpoint_minutes=checkpoint_minutes,
              eval_every=eval_every, prior_config=prior_config, verbose=verbose)
        run.sessions.append({"steps_to": run.step, "wall_s": round(budget.call_s, 1),
                             "threads": torch.get_num_threads(), "hardware": _hardware(ranks.device),
                             "world_size": ranks.world_size})
        manifest = None
        if ranks.is_main:  # rank 0 validates and writes; every rank returns its manifest
            if validation is not None:
                trainer.validate(validation, budget)
            trainer.checkpoint(out)
            manifest = _write_weights(out, trainer, init, prior_eval_batches)
        return ranks.broadcast_object(manifest)
