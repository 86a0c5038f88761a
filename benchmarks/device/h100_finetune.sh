#!/usr/bin/env bash
# One device session on a lent H100 for CausalMixFTClassifier: GPU-only tests, then the fine-tuning benchmark
# (100 steps on 1,000 rows x 20 features, predict latency, cache saving with a cheap augmenter).
# Needs torch, scikit-learn, pandas, numpy, safetensors, tqdm, pytest -- not causal-learn, DoWhy or networkx
# (nothing run here imports them). Run from the repository root; results go to $OUT (./.devout when unset).
# Usage: bash benchmarks/device/h100_finetune.sh [DEVICE] [MODE]   (at most 180 s + 360 s: one device call)
#   DEVICE: cuda (default) or cpu (a dry run here); MODE: full (default) or tiny (small sizes, for a dry run)
set -u
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
OUT="${OUT:-$PWD/.devout}"; mkdir -p "$OUT"
DEVICE="${1:-cuda}"; MODE="${2:-full}"
TINY=""; [ "$MODE" = "tiny" ] && TINY="--tiny"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi";
  python -c "import torch, sklearn; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'sklearn', sklearn.__version__)"; } > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"
# GPU-specific tests (bf16 autocast, OOM halving on the device, CUDA-fitted model predicting in a CPU-only process);
# they skip without CUDA.
timeout 180 python -m pytest -q -p no:cacheprovider -o addopts="" tests/finetune/test_finetune_gpu.py -rs 2>&1 \
    | tee "$OUT/finetune_gpu_tests.log"
# Timings: 100 steps + predict latency + a 5-ratio x 5-fold grid without / with memory= (the jitter augmenter
# sleeps 3 s per fit to stand in for CausalSCMAugmenter, which is not installed there).
timeout 360 python benchmarks/bench_finetune.py --device "$DEVICE" --augmenter jitter $TINY \
    --out "$OUT/finetune_$DEVICE.md" 2>&1 | tee "$OUT/finetune_bench.log"
