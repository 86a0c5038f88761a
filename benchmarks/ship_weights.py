"""Ship pretrained weights into the package, only if they beat the shipped ones on the real-table suite.

Scores a candidate manifest (written by ``causalmix pretrain``) and the weights shipped in
``sklearn_causalmix/backbones/embedded/weights/default.*`` on the full pretraining validation suite
(:class:`sklearn_causalmix.prior.ValidationSuite`, 13 real tables apart from the study's, 2 splits each,
zero-shot, one ensemble member) with a random forest on the same splits for scale. If the candidate's mean
ROC-AUC is higher, its tensors are copied to ``default.safetensors`` (the sha256 stays the manifest's) and its
manifest, with the suite's scores and the replaced weights' identity added, becomes ``default.json``.
Otherwise nothing changes and the exit status is 1.

Usage::

    python benchmarks/ship_weights.py ~/.cache/causalmix/longrun/row-scm/model.json
    python benchmarks/ship_weights.py RUN/model.json --dry-run      # score only
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sys
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parents[1] / "sklearn_causalmix" / "backbones" / "embedded" / "weights"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", type=Path, help="model.json of the candidate weights")
    parser.add_argument("--dry-run", action="store_true", help="score both, change nothing")
    parser.add_argument("--earlier-command", action="append", default=[],
                        help="a command of the run that its manifest does not list (repeatable; oldest first)")
    args = parser.parse_args(argv)

    from sklearn.ensemble import RandomForestClassifier

    from sklearn_causalmix.backbones import file_sha256, load_default_backbone, load_weights
    from sklearn_causalmix.prior import ValidationSuite

    candidate, shipped = load_weights(args.manifest), load_default_backbone()
    suite = ValidationSuite(seeds=(0, 1))
    new, old = suite.score(candidate), suite.score(shipped)
    forest = suite.reference(RandomForestClassifier(300, random_state=0, n_jobs=1))
    print(f"{'table':16s} {'candidate':>9s} {'shipped':>9s} {'forest':>9s}")
    for table in new["tables"]:
        print(f"{table:16s} {new['tables'][table]:9.3f} {old['tables'][table]:9.3f} {forest['tables'][table]:9.3f}")
    for key in ("mean_auc", "median_auc"):
        print(f"{key:16s} {new[key]:9.3f} {old[key]:9.3f} {forest[key]:9.3f}")
    if new["mean_auc"] <= old["mean_auc"]:
        print("not shipped: the candidate does not beat the shipped weights on the suite's mean ROC-AUC")
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
            "what": "sklearn_causalmix.prior.ValidationSuite(seeds=(0, 1)): mean zero-shot ROC-AUC over 13 real "
                    "tables (not the study tables), one ensemble member",
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
