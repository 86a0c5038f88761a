"""Ship pretrained weights into the package, only if they beat the shipped ones on the real-table suite.

Scores a candidate manifest (written by ``causalmix pretrain``) and the weights shipped in
``sklearn_causalmix/backbones/embedded/weights/default.*`` on the full pretraining validation suite
(:class:`sklearn_causalmix.prior.ValidationSuite` of ``--groups``, by default the 13 real tables apart from
the study's; 2 splits each, zero-shot, one ensemble member), each read as the classifiers read it
(``--feature-subset-size``, default ``auto``: the width of the weights' own pretraining prior), with a random
forest on the same splits for scale. If the candidate's mean ROC-AUC is higher and no group's mean is lower,
its tensors are copied to ``default.safetensors`` (the sha256 stays the manifest's) and its manifest, with
the suite's scores and the replaced weights' identity added, becomes ``default.json``. Otherwise nothing
changes and the exit status is 1.

Usage::

    python benchmarks/ship_weights.py ~/.cache/causalmix/longrun/row-scm/model.json
    python benchmarks/ship_weights.py RUN/model.json --dry-run      # score only
    python benchmarks/ship_weights.py RUN/model.json --groups default wide many_class
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sys
from pathlib import Path

from _results import feature_subset_size_arg  # benchmarks/ is the script's folder

WEIGHTS = Path(__file__).resolve().parents[1] / "sklearn_causalmix" / "backbones" / "embedded" / "weights"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", type=Path, help="model.json of the candidate weights")
    parser.add_argument("--dry-run", action="store_true", help="score both, change nothing")
    parser.add_argument("--groups", nargs="+", default=["default"],
                        help="ValidationSuite table groups (default: default); none may fall")
    parser.add_argument("--feature-subset-size", default="auto", type=feature_subset_size_arg,
                        help="'auto' (default: as the classifiers read tables), 'none' or a width")
    parser.add_argument("--earlier-command", action="append", default=[],
                        help="a command of the run that its manifest does not list (repeatable; oldest first)")
    args = parser.parse_args(argv)

    from sklearn.ensemble import RandomForestClassifier

    from sklearn_causalmix.backbones import file_sha256, load_default_backbone, load_weights
    from sklearn_causalmix.prior import ValidationSuite

    width = args.feature_subset_size
    candidate, shipped = load_weights(args.manifest), load_default_backbone()
    suite = ValidationSuite(groups=tuple(args.groups), seeds=(0, 1))
    new = suite.score(candidate, feature_subset_size=width)
    old = suite.score(shipped, feature_subset_size=width)
    forest = suite.reference(RandomForestClassifier(300, random_state=0, n_jobs=1))
    print(f"{'table':16s} {'candidate':>9s} {'shipped':>9s} {'forest':>9s}")
    for table in new["tables"]:
        print(f"{table:16s} {new['tables'][table]:9.3f} {old['tables'][table]:9.3f} {forest['tables'][table]:9.3f}")
    for key in ("mean_auc", "median_auc"):
        print(f"{key:16s} {new[key]:9.3f} {old[key]:9.3f} {forest[key]:9.3f}")
    for group in args.groups:
        print(f"{'group ' + group:16s} {new['groups'][group]:9.3f} {old['groups'][group]:9.3f} "
              f"{forest['groups'][group]:9.3f}")
    if new["mean_auc"] <= old["mean_auc"]:
        print("not shipped: the candidate does not beat the shipped weights on the suite's mean ROC-AUC")
        return 1
    fallen = [g for g in args.groups if new["groups"][g] < old["groups"][g]]
    if fallen:
        print(f"not shipped: the candidate is below the shipped weights on the group(s) {fallen}")
        return 1
    if args.dry_run:
        print("would ship (dry run)")
        return 0

    manifest = json.loads(args.manifest.read_text())
    tensors = args.manifest.parent / manifest["weights_file"]
    if file_sha256(tensors) != manifest["sha256"]:
        raise SystemExit(f"{tensors} does not match its manifest's sha256; nothing shipped.")
    commands = [*args.earlier_command, *manifest.get("commands", [])]
    manifest.update(
        weights_file="default.safetensors",
        commands=commands,
        validation_suite={
            "what": f"sklearn_causalmix.prior.ValidationSuite(groups={tuple(args.groups)}, seeds=(0, 1)): mean "
                    f"zero-shot ROC-AUC over {len(new['tables'])} real tables (not the study tables), one "
                    f"ensemble member, feature_subset_size={width!r}",
            "groups": {k: round(v, 4) for k, v in new["groups"].items()},
            "measured": f"{datetime.date.today().isoformat()}, benchmarks/ship_weights.py",
            "mean_auc": round(new["mean_auc"], 4), "median_auc": round(new["median_auc"], 4),
            "tables": {k: round(v, 4) for k, v in new["tables"].items()},
            "previous_weights_mean_auc": round(old["mean_auc"], 4),
            "previous_weights_median_auc": round(old["median_auc"], 4),
            "random_forest_mean_auc": round(forest["mean_auc"], 4),
            "random_forest_median_auc": round(forest["median_auc"], 4),
        },
        previous_weights={"sha256": shipped.manifest["sha256"], "format": shipped.manifest["format"],
                          "n_parameters": shipped.manifest["n_parameters"]},
    )
    shutil.copyfile(tensors, WEIGHTS / "default.safetensors")
    (WEIGHTS / "default.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"shipped {manifest['sha256'][:12]}... into {WEIGHTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
