#!/usr/bin/env bash
# One device session on a lent H100/H200: pretraining throughput, then pretraining the embedded weights with the
# recipe the CPU runs use (row-token RowPFN, AdamW, LAWA), prior generated on the device. With RESUME_FROM set to
# a CPU run's folder (carried to the device), the device continues that run instead of starting a new one.
# The run's resume state (checkpoint.pt) comes back in $OUT/weights too: continue it on the CPU with
#   causalmix pretrain --resume --out DIR --device cpu --threads 2 --minutes N
# Run from the repository root; results go to $OUT (or ./.devout when OUT is unset, e.g. a CPU dry run).
# Usage: bash benchmarks/device/h100_pretrain.sh [MINUTES] [DEVICE]
set -u
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD"
OUT="${OUT:-$PWD/.devout}"; mkdir -p "$OUT/weights"
MINUTES="${1:-6}"; DEVICE="${2:-cuda}"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi";
  python -c "import torch, sklearn, safetensors; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'sklearn', sklearn.__version__)"; } > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"
NGPU=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
NPROC=1; [ "$DEVICE" = "cuda" ] && [ "${NGPU:-0}" -gt 1 ] && NPROC="$NGPU"
if [ "$NPROC" -gt 1 ]; then
  PRETRAIN=(python -m torch.distributed.run --standalone --nproc_per_node "$NPROC" -m sklearn_causalmix._cli pretrain)
else
  PRETRAIN=(python -m sklearn_causalmix._cli pretrain)
fi
echo "GPUs: ${NGPU:-0}, pretraining processes: $NPROC" | tee -a "$OUT/env.txt"
timeout 120 python benchmarks/bench_pretrain.py --device "$DEVICE" --seconds "${BENCH_SECONDS:-24}" --out "$OUT/pretrain_bench.md" 2>&1 | tee "$OUT/bench.log"
if [ -n "${RESUME_FROM:-}" ]; then
  cp -r "$RESUME_FROM"/. "$OUT/weights/"
  "${PRETRAIN[@]}" --resume --device "$DEVICE" --minutes "$MINUTES" --out "$OUT/weights" \
      --validation quick --validate-minutes 2 --checkpoint-minutes 2 2>&1 | tee "$OUT/pretrain.log"
else
  "${PRETRAIN[@]}" --device "$DEVICE" --minutes "$MINUTES" --out "$OUT/weights" \
      --recipe row --prior scm --min-rows 128 --max-rows 1024 --max-features 24 --tokens 65536 \
      --wide-fraction "${WIDE_FRACTION:-0.25}" --max-wide-features 100 --micro-batches "${MICRO_BATCHES:-$NPROC}" \
      --max-steps "${MAX_STEPS:-20000}" --validation quick --validation-groups default,wide,many_class \
      --validate-minutes 2 --checkpoint-minutes 2 --eval-every "${EVAL_EVERY:-2000}" 2>&1 | tee "$OUT/pretrain.log"
fi
