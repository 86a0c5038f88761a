#!/usr/bin/env bash
# The full ratio study behind benchmarks/results/ratio_study.md, sized for 2 CPU cores (66 min of
# wall time on a shared 2-core machine). Resumable: finished runs are cached in
# benchmarks/results/ratio_study/cache, so running it again only runs what is missing (and, with
# everything cached, just rewrites the results, figures and reports in a few seconds).
#
# Then benchmarks/results/ratio_study.md = the generated report.md with the hand-written reading
# (benchmarks/results/ratio_study/reading.md) inserted after the settings.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
causalmix study \
  --output benchmarks/results/ratio_study \
  --datasets all \
  --seeds 0 \
  --ratios 0 0.25 0.5 0.75 1 \
  --baseline-ratios 0.5 \
  --cv-ratios 0 0.5 1 --cv-folds 2 \
  --n-train 256 --max-test 500 \
  --max-steps 20 --eval-every 5 --episode-size 128 \
  --augmenter-preset fast \
  --device cpu --n-jobs 2 \
  --reliability credit_data penguins \
  "$@" || status=$?
python - <<'PY'
from pathlib import Path

folder = Path("benchmarks/results/ratio_study")
report = (folder / "report.md").read_text()
reading = (folder / "reading.md").read_text().strip()
head, sep, tail = report.partition("\n## Medians over datasets x seeds")
text = head.rstrip() + "\n\n" + reading + "\n" + sep + tail
text = text.replace("](", "](ratio_study/").replace("# Ratio study\n", "# Ratio study (full run)\n", 1)
text = text.replace("Command:\n", "Command (`benchmarks/run_ratio_study.sh`):\n", 1)
Path("benchmarks/results/ratio_study.md").write_text(text)
print("wrote benchmarks/results/ratio_study.md")
PY
exit "$status"
