"""The ``causalmix`` command line: ``pretrain``, ``datasets`` and ``study`` subcommands.

Each subcommand imports its stage lazily, so ``causalmix --help`` is instant.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["main"]


def _cmd_pretrain(args) -> int:
    from sklearn_causalmix.backbones import PFNConfig
    from sklearn_causalmix.prior import PriorConfig, pretrain

    import torch

    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        print("error: --device cuda was asked for, but torch sees no CUDA device; use --device cpu.", file=sys.stderr)
        return 2
    config = PFNConfig(d_model=args.d_model, n_layers=args.n_layers, n_heads=args.n_heads)
    prior = PriorConfig(max_rows=args.max_rows, max_features=args.max_features, tokens_per_batch=args.tokens)
    manifest = pretrain(
        args.out,
        minutes=args.minutes,
        max_steps=args.max_steps,
        device=device,
        seed=args.seed,
        config=config,
        prior_config=prior,
        learning_rate=args.lr,
        init=args.init,
        eval_every=args.eval_every,
        verbose=0 if args.quiet else 1,
    )
    keys = ["steps", "steps_per_s", "tasks_per_s", "wall_time_s", "val_auc", "val_loss", "sha256", "hardware"]
    print(json.dumps({k: manifest[k] for k in keys}, indent=2))
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="causalmix",
        description="Causal SCM augmentation and synthetic-ratio fine-tuning of tabular foundation models.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "pretrain",
        help="pretrain the embedded model on the SCM prior",
        description="Pretrain the embedded in-context transformer on random-SCM tasks; writes "
        "model.safetensors and its manifest model.json (architecture, sha256, seed, steps, rows seen, hardware, "
        "wall time, held-out prior AUC) to --out.",
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--minutes", type=float, default=5.0, help="wall-time budget (default: 5)")
    p.add_argument("--max-steps", type=int, default=None, help="step budget (default: time only)")
    p.add_argument("--device", default="auto", help="cuda, cpu, cuda:1, ... or auto (default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=1e-3, help="peak AdamW learning rate")
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--n-layers", type=int, default=4)
    p.add_argument("--n-heads", type=int, default=4)
    p.add_argument("--max-rows", type=int, default=512, help="largest prior task (rows)")
    p.add_argument("--max-features", type=int, default=24, help="widest prior task (features)")
    p.add_argument("--tokens", type=int, default=65536, help="cells per batch")
    p.add_argument("--init", default=None, help="manifest to continue from")
    p.add_argument("--eval-every", type=int, default=0, help="held-out AUC every N steps (0: at the end)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_pretrain)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``causalmix`` console script.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (``sys.argv[1:]`` if None).

    Returns
    -------
    status : int
        Process exit status.
    """
    args = _build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
