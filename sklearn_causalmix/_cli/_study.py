"""The ``causalmix study`` subcommand: its parser, the model and folders it needs, the run.

The options and their checks are in :mod:`sklearn_causalmix._cli._study_options`.
"""

from __future__ import annotations

import argparse
import sys

from sklearn_causalmix._cli._study_options import (
    BadArguments,
    augmenter_presets,
    chosen_methods,
    method_ratios,
    study_options,
)


def _study_backbone(args):
    """``backbone=`` for --backbone/--weights: a name, or a spec with an explicit path; built once as a check."""
    import os

    from sklearn_causalmix.backbones import TabICLBackbone, TabPFNV2Backbone, get_backbone, list_backbones

    specs = {"tabicl": TabICLBackbone, "tabpfn-v2": TabPFNV2Backbone}
    name = args.backbone
    if name not in list_backbones():
        raise BadArguments(f"--backbone: unknown backbone {name!r}; choose from {', '.join(list_backbones())}.")
    if name not in specs:
        if args.weights is not None:
            raise BadArguments(f"--weights applies to --backbone {' or '.join(specs)}; {name!r} needs none.")
        return name
    spec_class = specs[name]
    # an explicit path (not the environment variable) goes into the run notes and the run cache keys
    backbone = spec_class(weights=args.weights or os.environ.get(spec_class.env_var) or None)
    try:
        get_backbone(backbone)
    except (ImportError, OSError, ValueError) as exc:
        raise BadArguments(f"--backbone {name}: {exc} On the command line: --weights PATH.") from None
    return backbone


def _check_device(device):
    """Refuse a device torch cannot use, before any folder is made."""
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise BadArguments("--device cuda was asked for, but torch sees no CUDA device; use "
                               "--device cpu or auto.")
    from sklearn_causalmix.backbones import resolve_device

    try:
        resolve_device(device)
    except (ValueError, RuntimeError) as exc:
        raise BadArguments(f"--device {device!r} is not usable ({exc}); use cpu, cuda, cuda:N, "
                           "mps or auto.") from None


def _output_folders(args):
    """``(output, cache_dir)``, both created and checked writable (an explicit cache first)."""
    from pathlib import Path

    output = Path(args.output)
    cache_dir = Path(args.cache_dir) if args.cache_dir else output / "cache"
    # an explicit --cache-dir first, so that a bad one leaves no --output folder behind
    folders = [("--output", output), ("--cache-dir", cache_dir)][:: -1 if args.cache_dir else 1]
    for option, folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".causalmix-write-test"
            probe.touch()
            probe.unlink()
        except OSError as exc:
            raise BadArguments(f"{option} {str(folder)!r} is not a writable folder "
                               f"({exc.strerror or exc}); choose another path.") from None
    return output, cache_dir


def _study_model(args, options):
    """The fine-tuned model of the study (its backbone checked), or None for references only."""
    from sklearn_causalmix.study import METHODS

    if not any(METHODS[m].needs_model for m in chosen_methods(options)):
        return None
    from sklearn_causalmix.finetune import CausalMixFTClassifier

    model = CausalMixFTClassifier(backbone=_study_backbone(args), device=args.device)
    if args.eval_every is not None:
        model.set_params(eval_every=args.eval_every)
    if args.episode_size is not None:
        model.set_params(episode_size=args.episode_size)
    return model


def _notes(results, model, ratios, options):
    """Lines of the report's settings section: model and weights, ratios, augmenter, warnings."""
    notes = []
    if model is not None:
        notes.append(f"model: {model!r}; embedded weights sha256 "
                     f"{results.attrs['weights_sha256']}")
    if ratios:
        notes.append("per-method ratios: " + "; ".join(
            f"{m}: {', '.join(f'{r:g}' for r in rs)}" for m, rs in ratios.items()))
    if options["keep_domain"]:
        notes.append("the column that splits the domains is a feature of X (--keep-domain)")
    if options["augmenter_preset"] == "fast":
        notes.append("causalmix augmenter: CausalSCMAugmenter(discovery='pc', n_bootstrap=3, "
                     "n_graphs=2)")
    return notes + [f"WARNING: {message}" for message in results.attrs["warnings"]]


def _cmd_study(args) -> int:
    import logging
    import shlex

    try:
        options = study_options(args)
        _check_device(args.device)
        output, cache_dir = _output_folders(args)
        model = _study_model(args, options)
    except BadArguments as exc:
        print(f"causalmix study: error: {exc}", file=sys.stderr)
        return 2
    from sklearn_causalmix.study import ratio_study, write_outputs

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    ratios = method_ratios(options)
    try:
        results, predictions = ratio_study(
            options["datasets"], options["ratios"], protocol=options["protocol"],
            seeds=options["seeds"], n_folds=args.n_folds,
            n_train=options["n_train"], methods=options["methods"], model=model,
            augmenters=augmenter_presets(options["augmenter_preset"]),
            max_steps=options["max_steps"], device=args.device, n_jobs=args.n_jobs,
            scheduler=args.scheduler, cache_dir=cache_dir, max_test=options["max_test"],
            cv=args.cv_folds, method_ratios=ratios or None, errors="record",
            return_predictions=True, verbose=0 if args.quiet else 1,
        )
    except (ValueError, ImportError, OSError) as exc:
        # with errors="record" a failing run is recorded; what raises is a setting that cannot
        # work (a --scheduler that is not an address, Dask not installed, no scheduler there)
        print(f"causalmix study: error: {exc}", file=sys.stderr)
        return 2
    command = "causalmix " + " ".join(shlex.quote(a) for a in args.argv)
    title = "Ratio study" + (" (--quick)" if args.quick else "")
    protocols = list(dict.fromkeys(results["protocol"]))
    if len(protocols) > 1:  # one report per protocol, beside the results of both
        results.to_csv(output / "results.csv", index=False)
        print(f"wrote {output / 'results.csv'} (both protocols)")
    for protocol in protocols:
        part = results[results["protocol"] == protocol]
        reliability = [d for d in args.reliability or [] if d in set(part["dataset"])] or None
        files = write_outputs(
            part, output if len(protocols) == 1 else output / protocol,
            predictions={unit: p for unit, p in predictions.items() if unit.protocol == protocol},
            reliability=reliability, command=command,
            notes=_notes(part, model, ratios, options),
            title=title + (f", {protocol} protocol" if protocol != "shift" else ""))
        _summary(part, files)
    return _status(results)


def _summary(results, files):
    """Print what was written."""
    print(f"wrote {files['results']} ({len(results)} runs, {int(results['cached'].sum())} from "
          f"the cache), {files['report']} and {len(files) - 2} figures")


def _status(results):
    """The exit status: 0, or 1 (with a message) when some runs failed."""
    failed = int((results["error"] != "").sum())
    if failed:
        print(f"causalmix study: {failed} run(s) failed; see the 'error' column of "
              "results.csv.", file=sys.stderr)
        return 1
    return 0


def add_study_parser(sub) -> None:
    """The ``study`` subcommand's parser, added to the subparsers ``sub``."""
    from textwrap import dedent

    p = sub.add_parser(
        "study",
        help="run the ratio study on shifted tables; write results.csv, report.md and figures",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=dedent("""\
            How does the share of synthetic rows change ROC-AUC and calibration of a fine-tuned tabular
            foundation model when the test data come from a shifted domain?

            For every dataset and seed: at most --n-train source-domain rows train every method; held-out
            source rows are the in-domain test, target-domain rows (at most --max-test) the shifted test.
            Methods: zero-shot, finetune (plain, ratio 0), causalmix (CausalMixFT at each ratio),
            causalmix-cv (ratio chosen by inner CV), noise / smote / copula (other augmenters, same
            protocol), ctgan (when installed), and the references logreg / rf / hgb.

            --protocol iid: stratified K-fold splits of each table (the i.i.d. tables of `causalmix datasets`
            --iid, or a shifted table's source domain); the held-out fold is the test, seed s is fold s % K.
            --protocol both: the shift protocol where a table has domains, and the iid protocol.
            --data FILE --target COL [--domain COL --source VALUE]: your own CSV or Parquet table.

            Writes DIR/results.csv (one row per run), DIR/report.md (tables), PNG figures, and a cache of
            finished runs (DIR/cache): run the same command again to resume an interrupted study. With both
            protocols, one report per protocol in DIR/shift and DIR/iid. --scheduler runs on Dask.
            Lists take spaces or commas: --ratios 0 0.5 1 or --ratios 0,0.5,1."""),
        epilog=dedent("""\
            --quick: datasets penguins, anes96, seattle_weather; seed 0; ratios 0, 0.5, 1; --n-train 128;
            --max-test 500; --max-steps 10; methods zero-shot, finetune, causalmix, noise, copula, logreg, hgb;
            a fast CausalSCMAugmenter (PC only, 3 bootstraps, 2 graphs). Explicit options override these.
            Without --quick: every installed table, seeds 0 1 2, ratios 0 .25 .5 .75 1, --n-train 512,
            --max-test 2000, all methods but ctgan, the default augmenter and fine-tuning settings.

            exit status: 0 ok, 1 some runs failed (see results.csv), 2 bad arguments.

            examples:
              causalmix study --quick --output study-quick
              causalmix study --output study --datasets credit_data wage --seeds 0 1 --n-jobs 2
              causalmix study --output study --scheduler tcp://scheduler:8786"""),
    )
    p.add_argument("--output", "-o", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument("--quick", action="store_true", help="a small grid that runs in minutes on a laptop CPU")
    p.add_argument("--protocol", choices=["shift", "iid", "both"], default=None,
                   help="shift: train on the source domain, test on it and on the shifted domain (default); "
                        "iid: stratified K-fold splits of each table; both: shift where a table has domains, "
                        "and iid (default with --data and no --domain: iid)")
    p.add_argument("--n-folds", type=int, default=5, metavar="K",
                   help="folds of the iid protocol (default 5); seed s is fold s %% K")
    p.add_argument("--data", default=None, metavar="FILE",
                   help="your own table, .csv or .parquet, instead of --datasets (needs --target)")
    p.add_argument("--target", default=None, metavar="COL", help="label column of --data")
    p.add_argument("--domain", default=None, metavar="COL",
                   help="column of --data that splits source and target domain (with --source)")
    p.add_argument("--source", default=None, metavar="VALUE",
                   help="value of --domain of the source-domain rows; all other rows are the target domain")
    p.add_argument("--keep-domain", action="store_true",
                   help="keep the column that splits the domains as a feature (out of its source "
                        "range or at unseen levels in the shifted test), so causalmix-do can "
                        "intervene on it; by default it is removed")
    p.add_argument("--datasets", nargs="+", metavar="NAME",
                   help="tables from `causalmix datasets`, or 'all' (default: all installed)")
    p.add_argument("--ratios", nargs="+", metavar="R", help="synthetic ratios in [0, 1] (default: 0 .25 .5 .75 1)")
    p.add_argument("--seeds", nargs="+", metavar="S", help="seeds (default: 0 1 2)")
    p.add_argument("--n-train", type=int, default=None, metavar="N", help="training rows per run (default: 512)")
    p.add_argument("--max-test", type=int, default=None, metavar="N",
                   help="largest in-domain and shifted test sets (default: 2000)")
    p.add_argument("--methods", nargs="+", metavar="M", help="subset of the methods listed above")
    p.add_argument("--baseline-ratios", nargs="+", metavar="R",
                   help="ratios of the other augmenters (noise/smote/copula/ctgan) and of the controls "
                   "(random-graph, independence, causalmix-query/-context/-do) (default: --ratios)")
    p.add_argument("--cv-ratios", nargs="+", metavar="R", help="grid of causalmix-cv (default: --ratios)")
    p.add_argument("--method-ratios", nargs="+", metavar="NAME=R[,R...]",
                   help="the grid of particular methods, over the options above (e.g. random-graph=0.5,1 "
                   "noise=0.5)")
    p.add_argument("--cv-folds", type=int, default=3, metavar="K", help="inner CV folds of causalmix-cv (default: 3)")
    p.add_argument("--max-steps", type=int, default=None, metavar="N",
                   help="fine-tuning steps (default: the estimator's default)")
    p.add_argument("--eval-every", type=int, default=None, metavar="N",
                   help="validation (and monitor) evaluation every N steps (default: the estimator's)")
    p.add_argument("--episode-size", type=int, default=None, metavar="N",
                   help="rows per fine-tuning episode (default: the estimator's)")
    p.add_argument("--augmenter-preset", choices=["default", "fast"], default=None,
                   help="CausalSCMAugmenter settings: its defaults, or fast (PC only, 3 bootstraps, 2 graphs)")
    p.add_argument("--backbone", default="default", metavar="NAME",
                   help="foundation model to fine-tune: default (embedded), tabicl or tabpfn-v2")
    p.add_argument("--weights", default=None, metavar="PATH",
                   help="local checkpoint of --backbone tabicl / tabpfn-v2 (default: the environment variable "
                        "SKLEARN_CAUSALMIX_TABICL_WEIGHTS / SKLEARN_CAUSALMIX_TABPFN_V2_WEIGHTS)")
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:1, ... or auto (default)")
    p.add_argument("--n-jobs", type=int, default=None, metavar="N",
                   help="runs in parallel (joblib; default 1, -1 = all cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local:N",
                   help="run on a Dask cluster (extra [distributed]): a scheduler address such as "
                        "tcp://host:8786, or local:N for N one-thread worker processes here")
    p.add_argument("--cache-dir", default=None, metavar="DIR", help="run cache (default: DIR/cache)")
    p.add_argument("--reliability", nargs="+", metavar="NAME",
                   help="datasets for reliability diagrams (default: the first)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or log")
    p.set_defaults(func=_cmd_study)
