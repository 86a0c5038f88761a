"""Profile pretraining steps of the embedded model on a device (top kernels by device time)."""

import sys

import torch
from torch.profiler import ProfilerActivity, profile

from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig
from sklearn_causalmix.prior import PriorConfig, SCMPrior, episode_loss

device = torch.device(sys.argv[1] if len(sys.argv) > 1 else "cuda")
model = CausalMixPFN(PFNConfig()).to(device).train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
prior = SCMPrior(PriorConfig(), device=device, seed=0)
amp = device.type == "cuda"


def step():
    batch = prior.sample()
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
        loss = episode_loss(model, batch)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


for _ in range(5):
    step()
acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if amp else [])
with profile(activities=acts) as prof:
    for _ in range(10):
        step()
    if amp:
        torch.cuda.synchronize()
key = "self_cuda_time_total" if amp else "self_cpu_time_total"
print(prof.key_averages().table(sort_by=key, row_limit=25, max_name_column_width=70))
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12, max_name_column_width=70))
