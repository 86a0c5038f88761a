"""Pretraining of the embedded model on a synthetic prior (``causalmix pretrain``).

One run is a sequence of steps; step ``s`` draws its prior batch and the model's random feature identities
from generators seeded by ``(seed, s)``, so a run is reproducible and a resumed run continues exactly where it
stopped. The resume state (weights, optimiser state, step, LAWA snapshots, curves, elapsed time) is written
atomically every few minutes to ``checkpoint.pt``; the shipped weights (``model.safetensors`` + manifest) are
the LAWA average of the last snapshots. Real-table validation (:class:`ValidationSuite`) is scored every few
minutes and its curve (AUC against wall-clock and CPU time) goes into the manifest.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import platform
import signal
import threading
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from sklearn_causalmix._core import fork_torch_rng
from sklearn_causalmix.backbones import RECIPE_V2, PFNConfig, RowPFNConfig, build_model, save_weights
from sklearn_causalmix.prior._checkpoint import load_checkpoint, save_checkpoint
from sklearn_causalmix.prior._optim import CheckpointAverage, make_optimizers
from sklearn_causalmix.prior._scm_prior import PRIOR_VERSION, PriorConfig, SCMPrior

__all__ = ["pretrain", "episode_loss", "prior_validation_auc", "RECIPES"]

#: Named recipes. "v1": the first embedded model's (AdamW, LayerNorm, output projections, label-token decoder,
#: gradient clipping 1). "v2": the pretraining-speedrun changes that apply to our model (Muon + AdamW, RMSNorm,
#: no attention output projection, residual decay, thinking rows, feature grouping, feature-mean decoder,
#: gradient clipping 2, LAWA). "row": the row-token :class:`RowPFN` (RMSNorm, no attention output projection,
#: thinking rows, feature grouping) with AdamW (Muon's bfloat16 Newton-Schulz has no fast path on CPUs without
#: AVX-512), gradient clipping 2, LAWA.
RECIPES = {
    "v1": {"config": PFNConfig, "architecture": {}, "optimizer": "adamw", "learning_rate": 1e-3, "grad_clip": 1.0},
    "v2": {"config": PFNConfig, "architecture": RECIPE_V2, "optimizer": "muon", "learning_rate": 2e-3,
           "grad_clip": 2.0},
    "row": {"config": RowPFNConfig, "architecture": {}, "optimizer": "adamw", "learning_rate": 1e-3,
            "grad_clip": 2.0},
}




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
    import warnings

    from sklearn.exceptions import UndefinedMetricWarning

    from sklearn_causalmix.evaluation import multiclass_roc_auc

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


def _step_seed(seed: int, step: int) -> int:
    return (int(seed) * 1_000_003 + int(step)) % (2**63 - 1)


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return float("nan")


def _release_freed_memory() -> None:
    # Episodes change shape every step; glibc keeps freed blocks of every size class. Hand them back.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class _StopRequests:
    """SIGINT / SIGTERM during a run ask it to stop after the current step (a second one stops at once).

    Installed only in the main thread (elsewhere signals cannot be caught), restored on exit; the run then
    writes its checkpoint and weights as after a normal stop, so an interrupted run resumes exactly.
    """

    def __init__(self):
        self.requested = False
        self._saved = {}

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)
        return False


def _make_prior(name: str, prior_config: PriorConfig, device):
    if name not in ("scm", "tabicl", "mix"):
        raise ValueError(f"prior must be 'scm', 'tabicl' or 'mix', got {name!r}.")
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


def _settings(recipe, config, prior, prior_config, seed, learning_rate, max_steps, budget_minutes, lawa, threads):
    return {
        "recipe": recipe, "architecture": config.to_dict(), "prior": prior, "prior_config": prior_config.to_dict(),
        "prior_version": PRIOR_VERSION, "seed": seed, "learning_rate": learning_rate, "max_steps": max_steps,
        "budget_minutes": budget_minutes, "lawa": lawa, "threads": threads,
        "optimizer": RECIPES[recipe]["optimizer"], "grad_clip": RECIPES[recipe]["grad_clip"],
    }


def _with_context_limit(model, max_context_rows: int):
    import dataclasses

    resized = build_model(dataclasses.replace(model.config, max_context_rows=max_context_rows))
    resized.load_state_dict(model.state_dict())
    return resized


def _averaged_model(model, lawa):
    averaged = build_model(model.config)
    averaged.load_state_dict(lawa.average() if lawa.snapshots else model.state_dict())
    return averaged.eval()


def pretrain(
    out,
    *,
    minutes: float = 5.0,
    cpu_minutes: float | None = None,
    max_steps: int | None = None,
    steps: int | None = None,
    device: str = "cpu",
    seed: int = 0,
    recipe: str = "v2",
    config: PFNConfig | RowPFNConfig | None = None,
    prior: str = "scm",
    prior_config: PriorConfig | None = None,
    learning_rate: float | None = None,
    warmup: float = 0.05,
    lawa: int = 10,
    lawa_every: int = 50,
    init=None,
    resume: bool = False,
    checkpoint_minutes: float = 5.0,
    validation=None,
    validate_minutes: float = 10.0,
    threads: int | None = None,
    eval_every: int = 0,
    prior_eval_batches: int = 16,
    command: str | None = None,
    verbose: int = 1,
) -> dict:
    """Pretrain an embedded model on a synthetic prior and write weights + manifest to ``out``.

    The recipe chooses the architecture (:class:`RowPFN` for ``"row"``, :class:`CausalMixPFN` otherwise).

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
    recipe : {"v1", "v2", "row"}, default="v2"
        See :data:`RECIPES`: architecture, optimiser, learning rate and gradient clipping.
    config : PFNConfig or RowPFNConfig, default=None
        Architecture, of the recipe's kind; the recipe's options on top of its defaults if None.
    prior : {"scm", "tabicl", "mix"}, default="scm"
        Our SCM prior, TabICL's MLP-SCM prior (``pretrain`` extra), or both alternating.
    prior_config : PriorConfig, default=None
        Shapes of the prior tasks (rows, features, classes, batch size in cells).
    learning_rate : float, default=None
        Peak learning rate; the recipe's if None.
    warmup : float, default=0.05
        Warm-up share of the schedule.
    lawa, lawa_every : int, default=10, 50
        Number of snapshots averaged for the written weights, and steps between snapshots.
    init : str or Path, default=None
        A manifest to start from (fresh optimiser), e.g. the shipped weights. Its architecture is kept; a
        ``config`` given as well only sets the context limit (``max_context_rows``) to what this run trains on.
    resume : bool, default=False
        Continue the run saved in ``out/checkpoint.pt`` (its settings win over the arguments above, except
        ``minutes``, ``max_steps``, ``validation``, ``threads`` and ``verbose``).
    checkpoint_minutes : float, default=5.0
        Wall time between checkpoints.
    validation : ValidationSuite, default=None
        Real tables scored every ``validate_minutes`` and at the end (on the LAWA average).
    validate_minutes : float, default=10.0
    threads : int, default=None
        ``torch.set_num_threads`` for the run (None: leave torch's setting).
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
    >>> from sklearn_causalmix.backbones import PFNConfig
    >>> m = pretrain(tempfile.mkdtemp(), max_steps=2, config=PFNConfig(d_model=16, n_layers=1),
    ...              prior_config=PriorConfig(max_rows=64, max_features=4, tokens_per_batch=1024), verbose=0)
    >>> m["steps"], m["recipe"]
    (2, 'v2')
    """
    from tqdm.auto import tqdm

    from sklearn_causalmix.backbones import load_weights

    if threads is not None:
        torch.set_num_threads(int(threads))
    device = torch.device(device)
    out = Path(out)
    state = load_checkpoint(out) if resume else None
    if state is not None:
        settings = state["settings"]
        recipe, prior, seed = settings["recipe"], settings["prior"], settings["seed"]
        config = RECIPES[recipe]["config"](**settings["architecture"])
        prior_config = PriorConfig(**settings["prior_config"])
        learning_rate, lawa = settings["learning_rate"], settings["lawa"]
        max_steps = max_steps if max_steps is not None else settings["max_steps"]
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {sorted(RECIPES)}, got {recipe!r}.")
    spec = RECIPES[recipe]
    learning_rate = spec["learning_rate"] if learning_rate is None else learning_rate
    prior_config = prior_config or PriorConfig()
    if init is not None and state is None:
        model = load_weights(init, device="cpu")
        if config is not None and config.max_context_rows != model.config.max_context_rows:
            # the architecture is the manifest's; the context limit is what this run trains on
            model = _with_context_limit(model, config.max_context_rows)
        config = model.config
    else:
        config = config or spec["config"](**spec["architecture"])
        if not isinstance(config, spec["config"]):
            raise ValueError(f"recipe {recipe!r} trains a {spec['config'].__name__}, got a {type(config).__name__}.")
        with fork_torch_rng(torch.device("cpu"), seed):  # module initialisation reads the global generator
            model = build_model(config)
    model = model.to(device).train()
    optimizers = make_optimizers(model, optimizer=spec["optimizer"], lr=learning_rate)
    average = CheckpointAverage(size=lawa, every=lawa_every)
    settings = _settings(recipe, config, prior, prior_config, seed, learning_rate, max_steps, minutes, lawa,
                         threads)
    run = {"step": 0, "tasks": 0, "rows": 0, "wall_s": 0.0, "cpu_s": 0.0, "loss_curve": [], "val_curve": [],
           "sessions": []}
    if state is not None:
        model.load_state_dict(state["model"])
        for opt, opt_state in zip(optimizers, state["optimizers"]):
            opt.load_state_dict(opt_state)
        average.load_state_dict(state["lawa"])
        run = state["run"]
    if command is not None:
        run.setdefault("commands", []).append(command)
    sample = _make_prior(prior, prior_config, device)
    use_amp = device.type == "cuda"

    def checkpoint():
        save_checkpoint(
            {"settings": settings, "model": model.state_dict(), "optimizers": [o.state_dict() for o in optimizers],
             "lawa": average.state_dict(), "run": run}, out)

    def validate():
        nonlocal wall0, cpu0
        t_wall, t_cpu = time.perf_counter(), time.process_time()
        scores = validation.score(_averaged_model(model, average).to(device))
        wall0 -= time.perf_counter() - t_wall  # validation time is not training time
        cpu0 -= time.process_time() - t_cpu
        entry = {"step": run["step"], "wall_s": round(run["wall_s"], 1), "cpu_s": round(run["cpu_s"], 1),
                 "mean_auc": scores["mean_auc"], "median_auc": scores["median_auc"]}
        run["val_curve"].append(entry)
        return entry

    start, cpu_start = time.perf_counter(), time.process_time()
    wall0, cpu0, first_step = run["wall_s"], run["cpu_s"], run["step"]
    last_ckpt = last_val = start
    budget_s = minutes * 60.0
    ema = run["loss_curve"][-1]["loss_ema"] if run["loss_curve"] else None
    bar = tqdm(total=max_steps, initial=run["step"], disable=not verbose, unit="step", dynamic_ncols=True)
    last_val_auc = run["val_curve"][-1]["mean_auc"] if run["val_curve"] else float("nan")
    try:
        with _StopRequests() as stop:
            while not stop.requested:
                now = time.perf_counter()
                run["wall_s"] = wall0 + now - start
                run["cpu_s"] = cpu0 + time.process_time() - cpu_start
                if (max_steps is not None and run["step"] >= max_steps) or now - start >= budget_s:
                    break
                if cpu_minutes is not None and run["cpu_s"] >= cpu_minutes * 60.0:
                    break
                if steps is not None and run["step"] >= first_step + steps:
                    break
                if validation is not None and (now - last_val >= validate_minutes * 60.0 or not run["val_curve"]):
                    last_val_auc = validate()["mean_auc"]
                    last_val = time.perf_counter()
                if now - last_ckpt >= checkpoint_minutes * 60.0:
                    checkpoint()
                    last_ckpt = time.perf_counter()
                step = run["step"]
                progress = step / max_steps if max_steps else (now - start) / budget_s
                for opt in optimizers:
                    for group in opt.param_groups:
                        group["lr"] = _lr_at(progress, warmup, learning_rate)
                batch = sample(_step_seed(seed, step))
                model.feature_generator = torch.Generator().manual_seed(_step_seed(seed + 1, step))
                with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_amp):
                    loss = episode_loss(model, batch)
                for opt in optimizers:
                    opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), spec["grad_clip"])
                for opt in optimizers:
                    opt.step()
                value = float(loss.detach())
                run["tasks"] += batch.X.shape[0]
                run["rows"] += batch.X.shape[0] * batch.X.shape[1]
                del loss, batch
                run["step"] = step = step + 1
                ema = value if ema is None else 0.95 * ema + 0.05 * value
                if step % average.every == 0:
                    average.add(model.state_dict())
                if step % 25 == 0 or step < 3:
                    _release_freed_memory()
                    run["loss_curve"].append({"step": step, "wall_s": round(run["wall_s"], 1),
                                              "cpu_s": round(run["cpu_s"], 1), "loss_ema": ema,
                                              "rss_mb": round(_rss_mb(), 1)})
                if eval_every and step % eval_every == 0:
                    scores = prior_validation_auc(model, n_batches=4, prior_config=prior_config, device=device)
                    run["loss_curve"][-1:] = [dict(run["loss_curve"][-1] if run["loss_curve"] else {}, **scores)]
                bar.update(1)
                bar.set_postfix(loss=f"{ema:.3f}", val_auc=f"{last_val_auc:.3f}",
                                left_min=f"{max(0.0, budget_s - (time.perf_counter() - start)) / 60:.0f}")
    finally:
        bar.close()
        model.feature_generator = None
    run["sessions"].append({"steps_to": run["step"], "wall_s": round(time.perf_counter() - start, 1),
                            "threads": torch.get_num_threads(), "hardware": _hardware(device)})
    if validation is not None:
        validate()
    checkpoint()
    return _write_weights(out, model, average, run, settings, prior_config, device, init, prior_eval_batches)


def _hardware(device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"


def _write_weights(out, model, average, run, settings, prior_config, device, init, n_batches) -> dict:
    shipped = _averaged_model(model, average).to(device)
    scores = prior_validation_auc(shipped, n_batches=n_batches, prior_config=prior_config, device=device)
    wall = max(run["wall_s"], 1e-9)
    return save_weights(
        shipped,
        Path(out) / "model.json",
        seed=settings["seed"],
        steps=run["step"],
        recipe=settings["recipe"],
        optimizer=settings["optimizer"],
        grad_clip=settings["grad_clip"],
        lawa={"snapshots": len(average.snapshots), "every": average.every},
        prior_source=settings["prior"],
        tasks_seen=run["tasks"],
        rows_seen=run["rows"],
        wall_time_s=round(run["wall_s"], 1),
        cpu_time_s=round(run["cpu_s"], 1),
        steps_per_s=round(run["step"] / wall, 3),
        tasks_per_s=round(run["tasks"] / wall, 2),
        hardware=_hardware(device),
        device=str(device),
        mixed_precision="bf16" if device.type == "cuda" else "fp32",
        torch_version=torch.__version__,
        learning_rate=settings["learning_rate"],
        prior=prior_config.to_dict(),
        prior_version=PRIOR_VERSION,
        init=str(init) if init is not None else None,
        sessions=run["sessions"],
        commands=run.get("commands", []),
        loss_curve=run["loss_curve"][-200:],
        validation_curve=run["val_curve"],
        **scores,
    )
