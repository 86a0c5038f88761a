#!/usr/bin/env bash
# The full ratio study behind benchmarks/results/ratio_study.md, sized for 2 CPU cores (about an
# hour of wall time on a shared 2-core machine). Resumable: finished runs are cached in
# benchmarks/results/ratio_study/cache, so running it again only runs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
exec causalmix study \
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
  "$@"
