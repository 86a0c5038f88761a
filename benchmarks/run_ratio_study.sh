#!/usr/bin/env bash
# The ratio study behind benchmarks/results/ratio_study.md: the shift protocol on every shifted table,
# three seeds, the package's defaults (512 source-domain training rows, the estimator's fine-tuning
# recipe, CausalSCMAugmenter's defaults), every causalmix ratio, the other augmenters at the same
# ratios and the three references. benchmarks/results/study_cost.md prices it: about 5 CPU-hours
# without causalmix-cv (add `--methods ... causalmix-cv` for its ~6 more), one torch thread per unit.
#
# Resumable: finished units are cached in $CAUSALMIX_STUDY_CACHE (default ~/.cache/causalmix/study-v2/cache),
# so running it again runs only what is missing and, with everything cached, rewrites the results,
# figures and report in a minute. Extra arguments are passed on. CAUSALMIX_STUDY_DATASETS and
# CAUSALMIX_STUDY_METHODS replace the tables and the arms (space-separated), so the command written into
# the report names each once: `CAUSALMIX_STUDY_METHODS="zero-shot finetune causalmix logreg rf hgb"
# benchmarks/run_ratio_study.sh` runs the question's arms first.
#
# CAUSALMIX_STUDY_TITLE sets the title of the results file (default "Ratio study (full run)").
#
# Then benchmarks/results/ratio_study.md = the generated report.md with the hand-written reading
# (benchmarks/results/ratio_study/reading.md) inserted after the settings.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# CAUSALMIX_STUDY_PROTOCOL=iid runs the i.i.d. protocol on the i.i.d. tables instead, into
# benchmarks/results/ratio_study_iid.md (its reading: benchmarks/results/ratio_study_iid/reading.md).
protocol=${CAUSALMIX_STUDY_PROTOCOL:-shift}
case "$protocol" in
  shift) name=ratio_study; reliability="credit_data penguins" ;;
  iid) name=ratio_study_iid; reliability="churn beps" ;;
  *) echo "CAUSALMIX_STUDY_PROTOCOL must be shift or iid, got '$protocol'" >&2; exit 2 ;;
esac
# CAUSALMIX_STUDY_NAME writes another results file of the same protocol, e.g. ratio_study_controls for the
# control arms beside the question's arms (its reading: benchmarks/results/<name>/reading.md).
name=${CAUSALMIX_STUDY_NAME:-$name}
export CAUSALMIX_STUDY_NAME=$name
status=0
causalmix study \
  --output benchmarks/results/$name \
  --cache-dir "${CAUSALMIX_STUDY_CACHE:-$HOME/.cache/causalmix/study-v2/cache}" \
  --protocol "$protocol" \
  --datasets ${CAUSALMIX_STUDY_DATASETS:-all} \
  --seeds 0 1 2 \
  --methods ${CAUSALMIX_STUDY_METHODS:-zero-shot finetune causalmix noise smote copula logreg rf hgb} \
  --n-jobs "${N_JOBS:-1}" \
  --reliability $reliability \
  "$@" || status=$?
python - <<'PY'
import os
from pathlib import Path

name = os.environ["CAUSALMIX_STUDY_NAME"]
folder = Path("benchmarks/results") / name
# the cache folder of this machine: a results file names no home
report = (folder / "report.md").read_text().replace(str(Path.home()), "~")
(folder / "report.md").write_text(report)
reading = (folder / "reading.md").read_text().strip()
head, sep, tail = report.partition("\n## Medians over datasets x seeds")
text = head.rstrip() + "\n\n" + reading + "\n" + sep + tail
title = os.environ.get("CAUSALMIX_STUDY_TITLE", "Ratio study (full run)")
text = text.replace("](", f"]({name}/")
text = f"# {title}\n" + text.split("\n", 1)[1]  # the report's own first line is its heading
text = text.replace("Command:\n", "Command (`benchmarks/run_ratio_study.sh`):\n", 1)
Path(f"benchmarks/results/{name}.md").write_text(text)
print(f"wrote benchmarks/results/{name}.md")
PY
exit "$status"
