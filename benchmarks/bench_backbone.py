"""Zero-shot quality and inference speed of a backbone (the embedded one by default).

Quality: ROC-AUC of ``InContextClassifier`` (zero-shot; the shipped weights unless ``--backbone`` /
``--weights`` name another backbone) against LogisticRegression,
RandomForest (300 trees) and HistGradientBoosting on the same splits:

* scikit-learn's bundled tables (random split, at most 512 training rows), and
* the real tables with natural domain shifts of :mod:`sklearn_causalmix.datasets` (at most 512 source-domain
  training rows; test on the shifted target domain, at most 2,000 rows), with the study's split protocol, and
* wide and many-class tables (111-751 features or 5-10 classes: the ``"wide"`` and ``"many_class"`` groups of
  :class:`sklearn_causalmix.prior.ValidationSuite`, its stratified splits with at most 512 training rows and
  2,000 test rows), where the goal is a median zero-shot AUC of at least RF + 0.01 and no table more than 0.05
  below RF.

Distractor columns: a synthetic binary task whose label depends on one skewed column only, with 0 to 30
pure-noise columns beside it (at a random position; 512 training and 2,000 test rows; seeds as above), scored
with one ensemble member, with ``--n-estimators`` members and by the random forest: how well the model finds
the one column that matters.

Calibration: the expected calibration error (top-label ECE, 15 bins) and log-loss of the same predictions,
and of the zero-shot model with ``calibration="temperature"`` (one temperature fitted on out-of-fold
predictions of the training rows), as medians per table group.

Speed: one forward pass with 1,000 context rows x 1,000 query rows x 20 features (best of 3).

Usage::

    python benchmarks/bench_backbone.py                 # all tables, seeds 0 1 2
    python benchmarks/bench_backbone.py --quick         # 4 shifted tables, one seed
    python benchmarks/bench_backbone.py --backbone tabicl --weights tabicl-classifier-v2-20260212.ckpt
    python benchmarks/bench_backbone.py --backbone tabpfn-v2 --weights tabpfn-v2-classifier.ckpt

Prints a markdown table and writes it to ``benchmarks/results/backbone.md`` (``backbone-NAME.md`` for
another backbone); a hand-written ``## Reading`` section at the end of that file is kept on a rerun.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from sklearn_causalmix.backbones import (
    EMBEDDED_WEIGHTS,
    InContextClassifier,
    TabICLBackbone,
    TabPFNV2Backbone,
    file_sha256,
    get_backbone,
)
from sklearn_causalmix.datasets import list_shifted_datasets, load_shifted_dataset
from sklearn_causalmix.evaluation import expected_calibration_error, multiclass_roc_auc
from sklearn_causalmix.prior import ValidationSuite
from sklearn_causalmix.study._data import make_split
from sklearn_causalmix.study._methods import make_reference
from sklearn_causalmix.study._report import markdown_table

from _results import feature_subset_size_arg, write_keeping_reading  # benchmarks/ is the script's folder

MODELS = ["zero-shot", "logreg", "rf", "hgb"]
REFERENCES = MODELS[1:]
#: Models of the calibration table: the zero-shot model with a fitted temperature beside the others.
CALIBRATED = ["zero-shot", "zero-shot +T", *REFERENCES]
BUNDLED = {"breast_cancer": load_breast_cancer, "wine": load_wine, "iris": load_iris, "digits": load_digits}


def auc(y, proba, classes):
    return multiclass_roc_auc(y, proba, labels=classes)


ADAPTERS = {"tabicl": TabICLBackbone, "tabpfn-v2": TabPFNV2Backbone}


def backbone_param(name, weights):
    """``backbone=`` for ``--backbone`` / ``--weights``: a registered name, or an adapter spec."""
    if name in ADAPTERS:
        return ADAPTERS[name](weights=weights)
    if weights is not None:
        raise SystemExit(f"--weights applies to --backbone {' or '.join(ADAPTERS)}, not {name!r}.")
    return name


def evaluate(X_train, y_train, X_test, y_test, seed, n_estimators, backbone="default", subset="auto"):
    """ROC-AUC of every model (``MODELS``), ECE and log-loss of every model of ``CALIBRATED``."""
    row = {}
    for name in CALIBRATED:
        model = (
            InContextClassifier(backbone, n_estimators=n_estimators, feature_subset_size=subset, device="cpu",
                                calibration="temperature" if name.endswith("+T") else None, random_state=seed)
            if name.startswith("zero-shot")
            else make_reference(name, X_train, seed)
        )
        model.fit(X_train, y_train)
        proba = model.predict_proba(X_test)
        row[name] = auc(y_test, proba, model.classes_)
        row[f"ECE {name}"] = expected_calibration_error(y_test, proba, labels=model.classes_)
        row[f"log-loss {name}"] = log_loss(y_test, proba, labels=model.classes_)
    return row


def calibration_table(df):
    """Median ECE and log-loss per table group (tables averaged over seeds first) of every calibrated model."""
    columns = [f"{metric} {name}" for metric in ("ECE", "log-loss") for name in CALIBRATED]
    per_table = df.groupby(["test", "table"], sort=False)[columns].mean()
    return per_table.groupby(level="test", sort=False).median().reset_index()


def bundled_splits(seed):
    for name, loader in BUNDLED.items():
        X, y = loader(return_X_y=True, as_frame=True)
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, train_size=min(512, len(X) // 2), stratify=y, random_state=seed
        )
        yield name, "i.i.d. split", X_tr, y_tr.to_numpy(), X_te, y_te.to_numpy()


def shifted_splits(seed, names):
    for name in names:
        split = make_split(load_shifted_dataset(name), seed, n_train=512, max_test=2000)
        yield name, "shifted domain", split.X_train, split.y_train, split.X_shift, split.y_shift


WIDE = "wide / many-class"
WIDE_GAP = 0.05  # no wide or many-class table more than this below RF


def wide_splits(seed):
    suite = ValidationSuite(groups=("wide", "many_class"), seeds=(seed,), max_train=512, max_test=2000)
    for name, reason in suite.skipped.items():
        print(f"{name}: skipped ({reason})", file=sys.stderr)
    for split in suite.splits:
        yield split.table, WIDE, split.X_train, split.y_train.to_numpy(), split.X_test, split.y_test.to_numpy()


DISTRACTORS = (0, 5, 10, 15, 20, 30)


def distractor_table(seeds, n_estimators, backbone="default", subset="auto", n_train=512, n_test=2000):
    """ROC-AUC on one informative column among k pure-noise ones: per k, the mean (and min) over seeds."""
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        n = n_train + n_test
        strong = rng.lognormal(11.0, 0.6, n)
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(np.log(strong) - 11.0) / 0.3))).astype(int)
        noise = rng.normal(size=(n, max(DISTRACTORS)))
        for k in DISTRACTORS:
            columns = [f"noise_{i}" for i in range(k)]
            columns.insert(int(rng.integers(k + 1)), "strong")
            X = pd.DataFrame(noise[:, :k], columns=[c for c in columns if c != "strong"]).assign(strong=strong)[columns]
            X_tr, X_te, y_tr, y_te = X[:n_train], X[n_train:], y[:n_train], y[n_train:]
            row = {"noise columns": k, "seed": seed}
            for members in (1, n_estimators):
                model = InContextClassifier(backbone, n_estimators=members, feature_subset_size=subset, device="cpu",
                                            random_state=seed)
                row[f"zero-shot, {members} member{'s' * (members > 1)}"] = auc(
                    y_te, model.fit(X_tr, y_tr).predict_proba(X_te), model.classes_)
            rf = make_reference("rf", X_tr, seed).fit(X_tr, y_tr)
            row["rf"] = auc(y_te, rf.predict_proba(X_te), rf.classes_)
            rows.append(row)
    df = pd.DataFrame(rows).drop(columns="seed")
    mean, low = df.groupby("noise columns").mean(), df.groupby("noise columns").min()
    table = mean.map(lambda v: f"{v:.3f}")
    for column in table.columns:
        table[column] = table[column] + low[column].map(lambda v: f" ({v:.3f})")
    return table.reset_index()


def inference_speed(backbone="default", subset="auto", repeats=3):
    model = get_backbone(backbone).eval()
    model.use_feature_subsets(subset)  # the forward pass as the zero-shot model runs it, feature subsets included
    g = torch.Generator().manual_seed(0)
    Xc, Xq = torch.randn(1, 1000, 20, generator=g), torch.randn(1, 1000, 20, generator=g)
    yc = torch.randint(0, 2, (1, 1000), generator=g)
    times = []
    with torch.inference_mode():
        model(Xc, yc, Xq, n_classes=2)
        for _ in range(repeats):
            start = time.perf_counter()
            model(Xc, yc, Xq, n_classes=2)
            times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Zero-shot quality and speed of a backbone.")
    parser.add_argument("--backbone", default="default", help="default (embedded), tabicl or tabpfn-v2")
    parser.add_argument("--weights", default=None, help="local checkpoint of --backbone tabicl / tabpfn-v2")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-estimators", type=int, default=4)
    parser.add_argument("--feature-subset-size", default="auto", type=feature_subset_size_arg,
                        help="the zero-shot model's feature_subset_size: auto (default), none or an int")
    parser.add_argument("--quick", action="store_true", help="4 shifted tables, seed 0, no other tables")
    parser.add_argument("--out", default=None, help="default: results/backbone.md (backbone-NAME.md)")
    args = parser.parse_args(argv)
    backbone = backbone_param(args.backbone, args.weights)
    if args.out is None:
        stem = "backbone" if args.backbone == "default" else f"backbone-{args.backbone}"
        args.out = str(Path(__file__).parent / "results" / f"{stem}.md")

    names = list(list_shifted_datasets()["name"])
    seeds = args.seeds
    if args.quick:
        names, seeds = names[:4], [0]
    speed = inference_speed(backbone, args.feature_subset_size)
    print(f"inference 1000 context x 1000 query x 20 features: {speed:.3f} s", flush=True)
    rows = []
    for seed in seeds:
        splits = list(shifted_splits(seed, names))
        if not args.quick:
            splits = list(bundled_splits(seed)) + splits + list(wide_splits(seed))
        for name, kind, X_tr, y_tr, X_te, y_te in splits:
            start = time.perf_counter()
            scores = evaluate(X_tr, y_tr, X_te, y_te, seed, args.n_estimators, backbone, args.feature_subset_size)
            rows.append({"table": name, "test": kind, "seed": seed, **scores})
            print(f"{name:18s} seed {seed}  " + "  ".join(f"{m} {scores[m]:.3f}" for m in MODELS)
                  + f"  ({time.perf_counter() - start:.1f}s)", flush=True)
    distractors = None if args.quick else distractor_table(seeds, args.n_estimators, backbone,
                                                           args.feature_subset_size)
    df = pd.DataFrame(rows)
    per_table = df.groupby(["test", "table"], sort=False)[MODELS].mean().reset_index()
    medians = per_table.groupby("test", sort=False)[MODELS].median().reset_index()
    medians.insert(1, "table", "**median**")
    table = pd.concat([per_table, medians], ignore_index=True)
    goals = [
        _goal_line(per_table[per_table["test"] == kind], kind)
        for kind in ("shifted domain", "i.i.d. split", WIDE)
        if (per_table["test"] == kind).any()
    ]
    if args.backbone == "default":
        manifest = json.loads(EMBEDDED_WEIGHTS.read_text())
        title = "Embedded backbone"
        weights = (f"Weights sha256 `{manifest['sha256'][:16]}...`, "
                   f"{manifest.get('steps_total', manifest['steps'])} pretraining steps, held-out prior AUC "
                   f"{manifest['val_auc']:.3f}.")
    else:
        title = f"Backbone {args.backbone}"
        weights = "Weights from the environment variable."
        if backbone.weights:
            digest = file_sha256(backbone.weights)[:16]
            weights = f"Weights `{Path(backbone.weights).name}` sha256 `{digest}...`."
    text = "\n".join([
        f"# {title}: zero-shot ROC-AUC and inference speed",
        "",
        f"Command: `python benchmarks/bench_backbone.py {' '.join(argv if argv is not None else sys.argv[1:])}`",
        f"Machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}. "
        + weights,
        f"Zero-shot = `InContextClassifier(n_estimators={args.n_estimators}, "
        f"feature_subset_size={args.feature_subset_size!r})`; references in a Pipeline with "
        "imputation and one-hot (LR, RF) or native categorical (HGB) encoding. Seeds: "
        f"{', '.join(map(str, seeds))}; ROC-AUC is one-vs-rest macro for multiclass tables; training rows: at "
        "most 512 (source domain for the shifted tables). The wide / many-class tables are the opt-in groups "
        "of the pretraining validation suite (`ValidationSuite(groups=('wide', 'many_class'))`): held out "
        "from the shipped weights, but a pretraining run that selects on those groups makes them validation "
        "tables.",
        "",
        f"**Inference:** 1,000 context x 1,000 query rows x 20 features, one forward pass: **{speed:.3f} s** "
        f"(target <= 1 s on 2 cores; load average {os.getloadavg()[0]:.1f} when measured: other jobs share "
        "the cores, so compare only figures measured at a low load).",
        "",
        *goals,
        "",
        markdown_table(table),
        "",
        "## Calibration", "",
        "Median over the tables of each group (each table's mean over the seeds) of the top-label ECE (15 bins) "
        "and the log-loss on the test rows; 'zero-shot +T' is the zero-shot model with "
        "`calibration='temperature'` (one temperature fitted on out-of-fold predictions of the training rows).",
        "",
        markdown_table(calibration_table(df)), "",
        *([] if distractors is None else [
            "## Distractor columns", "",
            "One informative column (log-normal; the label is a logistic function of its log) among k pure-noise "
            "columns, at a random position; 512 training and 2,000 test rows per seed. ROC-AUC, mean over the "
            "seeds (minimum in brackets).", "",
            markdown_table(distractors), ""]),
    ])
    write_keeping_reading(args.out, text)
    print(text)


def _goal_line(per_table, kind):
    """The goal (median zero-shot >= median RF) and the moonshot (>= best reference median + 0.01) for one kind."""
    medians = per_table[MODELS].median()
    best = max(REFERENCES, key=lambda m: medians[m])
    gap = per_table["zero-shot"] - per_table["rf"]
    line = (
        f"- **{kind}** ({len(per_table)} tables): median zero-shot AUC minus median RandomForest AUC = "
        f"**{medians['zero-shot'] - medians['rf']:+.3f}** (zero-shot >= RF on {int((gap >= 0).sum())} of "
        f"{len(per_table)} tables); minus (best reference median, {best}, + 0.01) = "
        f"{medians['zero-shot'] - medians[best] - 0.01:+.3f}."
    )
    if kind == WIDE:
        worst = per_table.loc[gap.idxmin(), "table"]
        line += (f" Tables more than {WIDE_GAP} below RF: {int((gap < -WIDE_GAP).sum())} (largest gap "
                 f"{gap.min():+.3f}, {worst}).")
    return line


if __name__ == "__main__":
    main()
