"""The ``causalmix`` command line: the parser and ``main``; one module per subcommand.

Each subcommand imports its stage lazily, so ``causalmix --help`` is instant.
"""

from __future__ import annotations

import argparse
import os
import sys

from sklearn_causalmix._cli._datasets import add_datasets_parser
from sklearn_causalmix._cli._pretrain import add_pretrain_parser
from sklearn_causalmix._cli._study import add_study_parser

__all__ = ["main", "run"]


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="causalmix",
        description="Causal SCM augmentation and synthetic-ratio fine-tuning of tabular foundation models.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_pretrain_parser(sub)
    add_study_parser(sub)
    add_datasets_parser(sub)
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
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or bad arguments (2, message already printed)
        return int(exc.code or 0)
    args.argv = argv
    return args.func(args)


def run() -> None:
    """The ``causalmix`` command: :func:`main`, then exit with its status.

    A rank of a data-parallel run (``torchrun``, ``WORLD_SIZE > 1``) leaves without the interpreter's teardown
    (``os._exit`` once its output is flushed): gloo's background threads can abort a process while the
    interpreter finalises ("terminate called without an active exception", SIGABRT), after the run has written
    its weights and even after the process group was destroyed, and torchrun then reports the whole job failed.
    """
    status = main()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)

