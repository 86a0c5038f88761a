"""Optimisers and weight averaging of the pretraining recipe: Muon + AdamW groups, LAWA snapshots."""

from __future__ import annotations

from collections import deque

import torch
from torch import nn

__all__ = ["parameter_groups", "make_optimizers", "CheckpointAverage"]

#: Where the transformer blocks of the embedded models live (RowPFN also has its row-stage blocks).
_BLOCK_PREFIXES = ("blocks.", "feature_blocks.")


def parameter_groups(model: nn.Module) -> tuple[list, list]:
    """Split the parameters into the block matrices (for Muon) and everything else (for AdamW).

    Muon orthogonalises the update of a weight matrix, which suits the hidden linear maps of the transformer
    blocks; embeddings, the cell encoder, the decoder, norms, biases and the thinking rows stay with AdamW.

    Parameters
    ----------
    model : CausalMixPFN

    Returns
    -------
    muon, adamw : list of (name, parameter)
        Every trainable parameter is in exactly one of the two lists.

    Examples
    --------
    >>> from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig
    >>> from sklearn_causalmix.prior._optim import parameter_groups
    >>> muon, adamw = parameter_groups(CausalMixPFN(PFNConfig(d_model=16, n_layers=1)))
    >>> sorted(name for name, _ in muon)[:2]
    ['blocks.0.mlp.0.weight', 'blocks.0.mlp.2.weight']
    """
    muon, adamw = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (muon if name.startswith(_BLOCK_PREFIXES) and param.ndim == 2 else adamw).append((name, param))
    return muon, adamw


def make_optimizers(model, *, optimizer="muon", lr=1e-3, weight_decay=0.01, muon_weight_decay=0.1,
                    muon_momentum=0.95) -> list[torch.optim.Optimizer]:
    """The recipe's optimisers: ``torch.optim.Muon`` on the block matrices plus AdamW, or AdamW alone.

    Muon's step is scaled to match AdamW's update RMS (``adjust_lr_fn="match_rms_adamw"``), so both share one
    learning rate and schedule.

    Parameters
    ----------
    model : CausalMixPFN
    optimizer : {"muon", "adamw"}, default="muon"
    lr : float, default=1e-3
    weight_decay : float, default=0.01
        AdamW's decoupled weight decay.
    muon_weight_decay : float, default=0.1
    muon_momentum : float, default=0.95

    Returns
    -------
    optimizers : list of torch.optim.Optimizer

    Examples
    --------
    >>> from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig
    >>> from sklearn_causalmix.prior._optim import make_optimizers
    >>> [type(o).__name__ for o in make_optimizers(CausalMixPFN(PFNConfig(d_model=16, n_layers=1)))]
    ['Muon', 'AdamW']
    """
    muon, adamw = parameter_groups(model)
    if optimizer == "adamw":
        return [torch.optim.AdamW([p for _, p in muon + adamw], lr=lr, weight_decay=weight_decay)]
    if optimizer != "muon":
        raise ValueError(f"optimizer must be 'muon' or 'adamw', got {optimizer!r}.")
    return [
        torch.optim.Muon([p for _, p in muon], lr=lr, weight_decay=muon_weight_decay, momentum=muon_momentum,
                         adjust_lr_fn="match_rms_adamw"),
        torch.optim.AdamW([p for _, p in adamw], lr=lr, weight_decay=weight_decay),
    ]


class CheckpointAverage:
    """LAWA: the average of the last ``size`` weight snapshots, taken every ``every`` steps.

    The shipped weights are this average rather than the last iterate (latest-weight averaging smooths the
    noise of the final steps at no training cost).

    Parameters
    ----------
    size : int, default=10
        Snapshots kept.
    every : int, default=50
        Steps between snapshots.

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.prior._optim import CheckpointAverage
    >>> avg = CheckpointAverage(size=2, every=1)
    >>> for value in (1.0, 2.0, 4.0):
    ...     avg.add({"w": torch.tensor([value])})
    >>> avg.average()["w"]
    tensor([3.])
    """

    def __init__(self, size: int = 10, every: int = 50):
        self.size, self.every = size, every
        self.snapshots: deque = deque(maxlen=size)

    def add(self, state_dict) -> None:
        """Keep a CPU copy of a state dict (the oldest snapshot drops out)."""
        self.snapshots.append({k: v.detach().to("cpu", copy=True) for k, v in state_dict.items()})

    def average(self) -> dict:
        """The element-wise mean of the kept snapshots (floating tensors; others from the newest)."""
        if not self.snapshots:
            raise ValueError("No snapshot to average yet.")
        newest = self.snapshots[-1]
        return {
            k: torch.stack([s[k] for s in self.snapshots]).mean(0) if v.is_floating_point() else v.clone()
            for k, v in newest.items()
        }

    def state_dict(self) -> dict:
        """Snapshots and settings, for resuming."""
        return {"size": self.size, "every": self.every, "snapshots": list(self.snapshots)}

    def load_state_dict(self, state) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.size, self.every = int(state["size"]), int(state["every"])
        self.snapshots = deque(state["snapshots"], maxlen=self.size)
