"""One training step of an in-context backbone, shared by pretraining and fine-tuning.

An :class:`Episode` is one batch of in-context tasks (labelled context rows, query rows whose labels the
backbone predicts); :func:`query_loss` is the cross-entropy of its query rows; :class:`Optimizers` holds the
optimisers of a run (AdamW alone, or Muon on the transformer blocks' matrices plus AdamW on the rest) and
:func:`train_step` is the step both loops take: forward under :func:`autocast`, loss, backward, clip, update.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "Episode", "L2SP", "Optimizers", "accumulate_gradients", "autocast", "parameter_groups", "query_loss", "train_step",
]

#: Where the transformer blocks of the embedded models live (RowPFN also has its row-stage blocks).
_BLOCK_PREFIXES = ("blocks.", "feature_blocks.")


@dataclass(frozen=True)
class Episode:
    """A batch of in-context tasks that share their shape.

    Parameters
    ----------
    X_context : ndarray or Tensor of shape (B, n_context, n_features)
        Encoded features (float, NaN for missing, category codes).
    y_context : ndarray or Tensor of shape (B, n_context)
        Class codes.
    X_query : ndarray or Tensor of shape (B, n_query, n_features)
    y_query : ndarray or Tensor of shape (B, n_query)
    categorical_mask : ndarray or Tensor of shape (n_features,), bool
    n_classes : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix._training import Episode
    >>> episode = Episode(np.zeros((1, 4, 2)), np.array([[0, 1, 0, 1]]), np.zeros((1, 2, 2)),
    ...                   np.array([[1, 0]]), np.zeros(2, bool), n_classes=2)
    >>> episode.to("cpu").X_query.dtype
    torch.float32
    """

    X_context: object
    y_context: object
    X_query: object
    y_query: object
    categorical_mask: object
    n_classes: int

    def to(self, device) -> Episode:
        """The episode as tensors on ``device`` (features float32, labels int64, mask bool).

        Parameters
        ----------
        device : str or torch.device

        Returns
        -------
        episode : Episode
        """

        def tensor(value, dtype):
            return torch.as_tensor(np.asarray(value) if not torch.is_tensor(value) else value, device=device,
                                   dtype=dtype)

        return Episode(
            tensor(self.X_context, torch.float32), tensor(self.y_context, torch.int64),
            tensor(self.X_query, torch.float32), tensor(self.y_query, torch.int64),
            tensor(self.categorical_mask, torch.bool), int(self.n_classes),
        )


def autocast(device):
    """bfloat16 autocast on CUDA (when the GPU supports it), a no-op context elsewhere.

    Parameters
    ----------
    device : torch.device

    Returns
    -------
    context : context manager

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._training import autocast
    >>> with autocast(torch.device("cpu")):
    ...     pass
    """
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def query_loss(model, episode) -> torch.Tensor:
    """Mean cross-entropy of the query rows of ``episode`` (tensors on the model's device).

    Parameters
    ----------
    model : TabularBackbone
    episode : Episode

    Returns
    -------
    loss : torch.Tensor (scalar, float32)

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._training import Episode, query_loss
    >>> from sklearn_causalmix.backbones import RowPFN, RowPFNConfig
    >>> model = RowPFN(RowPFNConfig(d_feature=8, n_cls=2, n_feature_layers=1, n_layers=1, n_heads=2))
    >>> episode = Episode(torch.randn(1, 8, 3), torch.arange(8).reshape(1, 8) % 2, torch.randn(1, 4, 3),
    ...                   torch.tensor([[0, 1, 0, 1]]), torch.zeros(3, dtype=torch.bool), n_classes=2)
    >>> float(query_loss(model, episode)) > 0
    True
    """
    logits = model(
        episode.X_context, episode.y_context, episode.X_query,
        n_classes=episode.n_classes, categorical_mask=episode.categorical_mask,
    )
    return F.cross_entropy(logits.float().reshape(-1, episode.n_classes), episode.y_query.reshape(-1))


def parameter_groups(model) -> tuple[list, list]:
    """Split the parameters into the block matrices (for Muon) and everything else (for AdamW).

    Muon orthogonalises the update of a weight matrix, which suits the hidden linear maps of the transformer
    blocks; embeddings, the cell encoder, the decoder, norms, biases and the thinking rows stay with AdamW.

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    muon, adamw : list of (name, parameter)
        Every trainable parameter is in exactly one of the two lists.

    Examples
    --------
    >>> from sklearn_causalmix._training import parameter_groups
    >>> from sklearn_causalmix.backbones import RowPFN, RowPFNConfig
    >>> muon, adamw = parameter_groups(RowPFN(RowPFNConfig(d_feature=8, n_cls=2, n_layers=1, n_heads=2)))
    >>> sorted(name for name, _ in muon)[0]
    'blocks.0.mlp.0.weight'
    """
    muon, adamw = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (muon if name.startswith(_BLOCK_PREFIXES) and param.ndim == 2 else adamw).append((name, param))
    return muon, adamw


class Optimizers:
    """The optimisers of a run, stepped, cleared, scheduled and saved together.

    ``"adamw"``: AdamW on every parameter. ``"muon"``: ``torch.optim.Muon`` on the transformer blocks'
    matrices (its step scaled to AdamW's update RMS, ``adjust_lr_fn="match_rms_adamw"``, so both share one
    learning rate and schedule) plus AdamW on the rest.

    Parameters
    ----------
    model : torch.nn.Module
    optimizer : {"adamw", "muon"}, default="adamw"
    lr : float, default=1e-3
    weight_decay : float, default=0.01
        AdamW's decoupled weight decay.
    grad_clip : float or None, default=None
        Largest gradient norm (all parameters together); None: no clipping.
    fused : bool, default=False
        AdamW's fused kernel (one pass over all parameters; on the CPU ~2x faster for the embedded model).
    muon_weight_decay, muon_momentum : float, default=0.1, 0.95

    Attributes
    ----------
    optimizers : list of torch.optim.Optimizer

    Examples
    --------
    >>> from sklearn_causalmix._training import Optimizers
    >>> from sklearn_causalmix.backbones import RowPFN, RowPFNConfig
    >>> model = RowPFN(RowPFNConfig(d_feature=8, n_cls=2, n_layers=1, n_heads=2))
    >>> [type(o).__name__ for o in Optimizers(model, "muon").optimizers]
    ['Muon', 'AdamW']
    """

    def __init__(self, model, optimizer="adamw", *, lr=1e-3, weight_decay=0.01, grad_clip=None, fused=False,
                 muon_weight_decay=0.1, muon_momentum=0.95):
        muon, adamw = parameter_groups(model)
        self.parameters = list(model.parameters())  # clipped in the module's order
        self.grad_clip = grad_clip
        adamw_options = dict(lr=lr, weight_decay=weight_decay, fused=fused or None)
        if optimizer == "adamw":  # parameters in the groups' order, as checkpoints store their states
            self.optimizers = [torch.optim.AdamW([p for _, p in muon + adamw], **adamw_options)]
        elif optimizer == "muon":
            self.optimizers = [
                torch.optim.Muon([p for _, p in muon], lr=lr, weight_decay=muon_weight_decay,
                                 momentum=muon_momentum, adjust_lr_fn="match_rms_adamw"),
                torch.optim.AdamW([p for _, p in adamw], **adamw_options),
            ]
        else:
            raise ValueError(f"optimizer must be 'muon' or 'adamw', got {optimizer!r}.")

    def zero_grad(self) -> None:
        """Drop every gradient (``set_to_none``)."""
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=True)

    def step(self) -> None:
        """Clip the gradient norm (when ``grad_clip`` is set), then update every optimiser."""
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.parameters, self.grad_clip)
        for opt in self.optimizers:
            opt.step()

    def set_lr(self, lr: float) -> None:
        """Set the learning rate of every parameter group."""
        for opt in self.optimizers:
            for group in opt.param_groups:
                group["lr"] = lr

    def state_dict(self) -> list:
        """The optimisers' states, for a checkpoint."""
        return [opt.state_dict() for opt in self.optimizers]

    def load_state_dict(self, states) -> None:
        """Restore what :meth:`state_dict` returned."""
        for opt, state in zip(self.optimizers, states):
            opt.load_state_dict(state)


class L2SP:
    """A pull toward the starting weights: ``strength * sum((w - w0) ** 2)`` over the trainable parameters.

    L2-SP (Li, Grandvalet & Davoine, 2018) keeps a fine-tuned model near its pretrained solution instead of
    near zero, as weight decay would; added to the loss of every fine-tuning step.

    Parameters
    ----------
    model : torch.nn.Module
        Its current weights are the anchor.
    strength : float

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._training import L2SP
    >>> model = torch.nn.Linear(2, 1, bias=False)
    >>> penalty = L2SP(model, strength=0.5)
    >>> with torch.no_grad():
    ...     _ = model.weight.add_(1.0)
    >>> float(penalty(model))
    1.0
    """

    def __init__(self, model, strength: float):
        self.strength = float(strength)
        self.anchor = {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}

    def __call__(self, model) -> torch.Tensor:
        total = sum(((p - self.anchor[name]) ** 2).sum() for name, p in model.named_parameters() if p.requires_grad)
        return self.strength * total


def accumulate_gradients(model, episode, *, scale=1.0, penalty=None) -> float:
    """Forward under :func:`autocast` and backpropagate ``scale`` times the query cross-entropy of ``episode``.

    The gradients are *added* to the parameters' ``.grad`` (nothing is cleared or stepped), so a step over
    ``M`` micro-batches calls this once per micro-batch with ``scale=1 / M`` and then steps once.

    Parameters
    ----------
    model : TabularBackbone
        In training mode.
    episode : Episode
        On any device: moved to the model's device.
    scale : float, default=1.0
        Factor of the loss in the backward pass (1: the loss itself, bit for bit).
    penalty : callable, default=None
        ``penalty(model) -> scalar tensor`` added to the loss (e.g. :class:`L2SP`), also scaled.

    Returns
    -------
    loss : float
        The query cross-entropy (unscaled, without the penalty).

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._training import Episode, accumulate_gradients
    >>> from sklearn_causalmix.backbones import RowPFN, RowPFNConfig
    >>> model = RowPFN(RowPFNConfig(d_feature=8, n_cls=2, n_feature_layers=1, n_layers=1, n_heads=2)).train()
    >>> episode = Episode(torch.randn(1, 8, 3), torch.arange(8).reshape(1, 8) % 2, torch.randn(1, 4, 3),
    ...                   torch.tensor([[0, 1, 0, 1]]), torch.zeros(3, dtype=torch.bool), n_classes=2)
    >>> loss = accumulate_gradients(model, episode, scale=0.5)
    >>> model.decoder[-1].weight.grad is not None
    True
    """
    device = next(model.parameters()).device
    episode = episode.to(device)
    with autocast(device):
        loss = query_loss(model, episode)
    total = loss if penalty is None else loss + penalty(model)
    (total if scale == 1 else total * scale).backward()
    return float(loss.detach())


def train_step(model, optimizers: Optimizers, episode, penalty=None) -> float:
    """One update on ``episode``: forward under :func:`autocast`, query cross-entropy, backward, clip, step.

    Parameters
    ----------
    model : TabularBackbone
        In training mode.
    optimizers : Optimizers
    episode : Episode
        On any device: moved to the model's device.
    penalty : callable, default=None
        ``penalty(model) -> scalar tensor`` added to the loss (e.g. :class:`L2SP`).

    Returns
    -------
    loss : float
        The query cross-entropy before the update (without the penalty).

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._training import Episode, Optimizers, train_step
    >>> from sklearn_causalmix.backbones import RowPFN, RowPFNConfig
    >>> model = RowPFN(RowPFNConfig(d_feature=8, n_cls=2, n_feature_layers=1, n_layers=1, n_heads=2)).train()
    >>> episode = Episode(torch.randn(1, 8, 3), torch.arange(8).reshape(1, 8) % 2, torch.randn(1, 4, 3),
    ...                   torch.tensor([[0, 1, 0, 1]]), torch.zeros(3, dtype=torch.bool), n_classes=2)
    >>> train_step(model, Optimizers(model, grad_clip=1.0), episode) > 0
    True
    """
    optimizers.zero_grad()
    loss = accumulate_gradients(model, episode, penalty=penalty)
    optimizers.step()
    return loss
