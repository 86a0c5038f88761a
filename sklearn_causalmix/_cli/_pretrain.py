"""The ``causalmix pretrain`` subcommand: its options, their checks and the pretraining run."""

from __future__ import annotations

import json
import os
import shlex
import sys


def portable_command(argv) -> str:
    """The command line of a ``causalmix pretrain`` call as another machine can run it.

    The output folder is written ``OUT`` (the manifest lives in it, so every resumed call of a run
    names the same folder), and paths under the home folder start with ``~``.

    Examples
    --------
    >>> portable_command(["pretrain", "--out", "/data/run1", "--resume", "--max-steps", "90"])
    'causalmix pretrain --out OUT --resume --max-steps 90'
    """
    words, out_next = [], False
    for word in argv:
        if out_next:
            word, out_next = "OUT", False
        elif word in ("--out", "-o"):
            out_next = True
        elif word.startswith("--out="):
            word = "--out=OUT"
        words.append(_quote_home_relative(word))
    return " ".join(["causalmix", *words])


def _quote_home_relative(word: str) -> str:
    """``word`` quoted for a shell, a path under the home folder as ``~/...`` (left outside the quotes)."""
    home = os.path.expanduser("~")
    if word.startswith(home + os.sep):
        return "~/" + shlex.quote(word[len(home) + 1:])
    return shlex.quote(word)


def _pretrain_arg_error(args) -> str | None:
    """What is wrong with the ``pretrain`` arguments (a message for the user), or None."""
    from pathlib import Path

    positive = {"--minutes": args.minutes, "--lr": args.lr, "--cpu-minutes": args.cpu_minutes,
                "--validate-minutes": args.validate_minutes, "--checkpoint-minutes": args.checkpoint_minutes}
    for flag, value in positive.items():
        if value is not None and not value > 0:
            return f"{flag} must be positive, got {value}."
    at_least = {"--max-steps": (args.max_steps, 1), "--steps": (args.steps, 1), "--threads": (args.threads, 1),
                "--n-layers": (args.n_layers, 1), "--n-heads": (args.n_heads, 1), "--mlp-ratio": (args.mlp_ratio, 1),
                "--min-rows": (args.min_rows, 4), "--max-features": (args.max_features, 2),
                "--tokens": (args.tokens, 64), "--d-feature": (args.d_feature, 1), "--n-cls": (args.n_cls, 1),
                "--feature-layers": (args.feature_layers, 0), "--micro-batches": (args.micro_batches, 1)}
    for flag, (value, low) in at_least.items():
        if value is not None and value < low:
            return f"{flag} must be at least {low}, got {value}."
    if (args.d_feature * args.n_cls) % args.n_heads:
        return (f"--d-feature {args.d_feature} x --n-cls {args.n_cls} (the row width) must be divisible by "
                f"--n-heads {args.n_heads}.")
    if args.d_feature % 4:
        return f"--d-feature {args.d_feature} must be divisible by 4 (the row stage's attention heads)."
    if not all(0.0 <= v <= 1.0 for v in (args.wide_fraction, args.p_binary, args.p_irrelevant)):
        return ("--wide-fraction, --p-binary and --p-irrelevant must be in [0, 1], got "
                f"{args.wide_fraction}, {args.p_binary}, {args.p_irrelevant}.")
    if args.wide_fraction and args.max_wide_features <= args.max_features:
        return (f"--max-wide-features ({args.max_wide_features}) must exceed --max-features ({args.max_features}): "
                "wide tasks have max-features + 1 .. max-wide-features features.")
    for flag, value in (("--wide-fraction", args.wide_fraction), ("--p-irrelevant", args.p_irrelevant)):
        if value and args.prior == "tabicl":
            return f"{flag} applies to the SCM prior: use --prior scm or mix (its SCM half)."
    if args.max_rows < args.min_rows:
        return f"--max-rows ({args.max_rows}) must be at least --min-rows ({args.min_rows})."
    if args.init is not None and not Path(args.init).is_file():
        return f"--init {args.init!r}: no such manifest (a model.json written by causalmix pretrain)."
    if args.resume and not (Path(args.out) / "checkpoint.pt").is_file():
        return (f"--resume: no checkpoint.pt in {args.out!r}; start the run without --resume, or continue saved "
                "weights with --init MANIFEST.")
    return None


def _config_from_args(args):
    """The architecture the command line asks for."""
    from sklearn_causalmix.backbones import RowPFNConfig

    return RowPFNConfig(d_feature=args.d_feature, n_cls=args.n_cls, n_feature_layers=args.feature_layers,
                        n_layers=args.n_layers, n_heads=args.n_heads, mlp_ratio=args.mlp_ratio,
                        max_context_rows=args.max_rows)


def _cmd_pretrain(args) -> int:
    import os

    problem = _pretrain_arg_error(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2

    # OpenMP threads that spin while waiting burn the cores other jobs need; set before torch loads OpenMP.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    from sklearn_causalmix.prior import PriorConfig, ValidationSuite, pretrain

    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        print("error: --device cuda was asked for, but torch sees no CUDA device; use --device cpu.", file=sys.stderr)
        return 2
    config = _config_from_args(args)
    prior = PriorConfig(min_rows=args.min_rows, max_rows=args.max_rows, max_features=args.max_features,
                        tokens_per_batch=args.tokens, p_binary=args.p_binary, wide_fraction=args.wide_fraction,
                        max_wide_features=args.max_wide_features, p_irrelevant=args.p_irrelevant)
    validation = None
    main_rank = int(os.environ.get("RANK", "0")) == 0  # under torchrun, rank 0 validates and reports
    if args.validation != "none" and main_rank:
        try:
            validation = ValidationSuite(groups=tuple(args.validation_groups.split(",")),
                                         seeds=(0, 1) if args.validation == "full" else (0,))
        except ValueError as exc:  # an unknown group, with the known ones
            print(f"error: --validation-groups: {exc}", file=sys.stderr)
            return 2
    manifest = pretrain(
        args.out,
        minutes=args.minutes,
        cpu_minutes=args.cpu_minutes,
        max_steps=args.max_steps,
        steps=args.steps,
        device=device,
        seed=args.seed,
        recipe=args.recipe,
        config=config,
        prior=args.prior,
        prior_config=prior,
        learning_rate=args.lr,
        optimizer=args.optimizer,
        init=args.init,
        resume=args.resume,
        checkpoint_minutes=args.checkpoint_minutes,
        validation=validation,
        validate_minutes=args.validate_minutes,
        threads=args.threads,
        eval_every=args.eval_every,
        micro_batches=args.micro_batches,
        command=portable_command(args.argv),
        verbose=0 if args.quiet else 1,
    )
    if not main_rank:
        return 0
    keys = ["steps", "steps_per_s", "wall_time_s", "cpu_time_s", "val_auc", "val_loss", "sha256", "hardware"]
    summary = {k: manifest[k] for k in keys}
    if manifest.get("validation_curve"):
        summary["real_table_auc"] = manifest["validation_curve"][-1]["mean_auc"]
    print(json.dumps(summary, indent=2))
    return 0


def add_pretrain_parser(sub) -> None:
    """The ``pretrain`` subcommand's parser, added to the subparsers ``sub``."""
    p = sub.add_parser(
        "pretrain",
        help="pretrain the embedded model on the SCM prior",
        description="Pretrain the embedded in-context transformer on random-SCM tasks; writes "
        "model.safetensors and its manifest model.json (architecture, sha256, seed, steps, rows seen, hardware, "
        "wall time, held-out prior AUC) to --out. Data parallel when launched by torchrun "
        "(python -m torch.distributed.run --nproc_per_node N -m sklearn_causalmix._cli pretrain ... "
        "--micro-batches M): gloo on CPUs, NCCL on GPUs (one per process).",
    )
    p.add_argument("--out", required=True, help="output folder (also holds the resume state checkpoint.pt)")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --out exactly where it stopped")
    p.add_argument("--recipe", choices=["row"], default="row",
                   help="training recipe: row trains the row-token model (the per-cell recipes v1/v2 were retired)")
    p.add_argument("--optimizer", choices=["adamw", "muon"], default=None,
                   help="AdamW, or Muon on the transformer blocks + AdamW (default: the recipe's, adamw)")
    p.add_argument("--prior", choices=["scm", "tabicl", "mix"], default="scm",
                   help="task prior: ours, TabICL's (needs the pretrain extra) or both alternating")
    p.add_argument("--minutes", type=float, default=5.0, help="wall-time budget of this call (default: 5)")
    p.add_argument("--cpu-minutes", type=float, default=None, help="stop at this much training CPU time in total")
    p.add_argument("--max-steps", type=int, default=None, help="total steps of the run (default: time only)")
    p.add_argument("--steps", type=int, default=None,
                   help="steps of this call at most (e.g. stop halfway and --resume later)")
    p.add_argument("--device", default="auto", help="cuda, cpu, cuda:1, ... or auto (default)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default: the recipe's)")
    p.add_argument("--d-feature", type=int, default=64, help="cell-token width of the row stage")
    p.add_argument("--n-cls", type=int, default=4, help="summary tokens per row; row width = n_cls x d_feature")
    p.add_argument("--feature-layers", type=int, default=2, help="layers across the cells of a row")
    p.add_argument("--n-layers", type=int, default=4)
    p.add_argument("--n-heads", type=int, default=4)
    p.add_argument("--mlp-ratio", type=int, default=2)
    p.add_argument("--min-rows", type=int, default=64, help="smallest prior task (rows)")
    p.add_argument("--max-rows", type=int, default=512, help="largest prior task (rows)")
    p.add_argument("--max-features", type=int, default=24, help="widest prior task (features)")
    p.add_argument("--wide-fraction", type=float, default=0.0,
                   help="share of wide batches: max-features + 1 .. max-wide-features features, rows capped so that "
                   "two tasks fit --tokens (drawn per batch from its seed: resumable; default 0)")
    p.add_argument("--max-wide-features", type=int, default=100, help="widest wide task (default: 100)")
    p.add_argument("--p-irrelevant", type=float, default=0.0,
                   help="probability that a batch's tasks get irrelevant columns (noise independent of the task) in "
                   "place of a random share of their features (default 0: the earlier stream)")
    p.add_argument("--p-binary", type=float, default=0.5,
                   help="probability of a two-class task; the others have 3 .. 10 classes (default: 0.5)")
    p.add_argument("--tokens", type=int, default=65536, help="cells per batch (per micro-batch)")
    p.add_argument("--micro-batches", type=int, default=1,
                   help="prior batches per step, their losses averaged (the global batch; fixed for the run). Under "
                   "torchrun --nproc_per_node N, each process takes every N-th micro-batch and the gradients are "
                   "summed: the same updates as one process (needs N <= micro-batches)")
    p.add_argument("--init", default=None, help="manifest to continue from (fresh optimiser)")
    p.add_argument("--validation", choices=["full", "quick", "none"], default="quick",
                   help="real-table validation suite: 2 seeds, 1 seed, or none (default: quick)")
    p.add_argument("--validation-groups", default="default",
                   help="table groups of the suite, comma-separated: default (the 13 tables of every earlier curve), "
                   "wide (111-751 features), many_class (5-10 classes); each group's mean AUC is recorded")
    p.add_argument("--validate-minutes", type=float, default=10.0, help="wall minutes between validations")
    p.add_argument("--checkpoint-minutes", type=float, default=5.0, help="wall minutes between checkpoints")
    p.add_argument("--eval-every", type=int, default=0, help="held-out prior AUC every N steps (0: at the end)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_pretrain)
