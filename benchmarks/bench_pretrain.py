"""Throughput of pretraining the embedded model: steps/s and tasks/s, prior generation included and alone.

Usage::

    python benchmarks/bench_pretrain.py --device cpu --seconds 60
    python benchmarks/bench_pretrain.py --device cuda --seconds 20

Prints a markdown table and appends it (with the device and the command) to
``benchmarks/results/pretrain.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig
from sklearn_causalmix.prior import PriorConfig, SCMPrior, episode_loss


def measure(device: str, seconds: float, seed: int = 0) -> dict:
    dev = torch.device(device)
    torch.manual_seed(seed)
    model = CausalMixPFN(PFNConfig()).to(dev).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    prior = SCMPrior(PriorConfig(), device=dev, seed=seed)
    amp = dev.type == "cuda"

    def sync():
        if amp:
            torch.cuda.synchronize()

    # prior generation alone
    n, tasks, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < seconds / 3:
        tasks += prior.sample().X.shape[0]
        n += 1
    sync()
    gen_batches_s = n / (time.perf_counter() - start)
    # full training steps (generation included); first steps are warm-up
    for _ in range(3):
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            loss = episode_loss(model, prior.sample())
        loss.backward()
    sync()
    steps, tasks, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < 2 * seconds / 3:
        batch = prior.sample()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            loss = episode_loss(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        steps += 1
        tasks += batch.X.shape[0]
    sync()
    wall = time.perf_counter() - start
    name = torch.cuda.get_device_name(dev) if amp else (platform.processor() or "cpu")
    return {
        "device": f"{device} ({name}, {torch.get_num_threads()} threads)" if not amp else f"{device} ({name})",
        "params": sum(p.numel() for p in model.parameters()),
        "steps/s": steps / wall,
        "tasks/s": tasks / wall,
        "prior batches/s (alone)": gen_batches_s,
        "precision": "bf16 autocast" if amp else "fp32",
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "pretrain.md"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    row = measure(args.device, args.seconds)
    header = "| " + " | ".join(row) + " |\n|" + "---|" * len(row) + "\n"
    line = "| " + " | ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()) + " |\n"
    print(header + line)
    if not args.no_write:
        out = Path(args.out)
        if not out.exists():
            out.write_text(
                "# Pretraining throughput\n\nDefault `PFNConfig` (d_model 128, 4 layers) on the default "
                "`PriorConfig` (64-512 rows, 2-24 features, 65,536 cells per batch), prior generated on the "
                "training device.\n\n"
            )
        with out.open("a") as f:
            f.write(f"\n`python benchmarks/bench_pretrain.py {' '.join(sys.argv[1:])}`, torch {torch.__version__}\n\n")
            f.write(header + line)


if __name__ == "__main__":
    main()
