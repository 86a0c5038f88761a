"""Device selection shared by every estimator that runs a backbone."""

from __future__ import annotations

import copy

import torch

__all__ = ["resolve_device", "cpu_state"]


def resolve_device(device="auto") -> torch.device:
    """The torch device for ``device``: ``"auto"`` picks CUDA, then Apple MPS, then the CPU.

    Parameters
    ----------
    device : str or torch.device, default="auto"

    Returns
    -------
    device : torch.device

    Raises
    ------
    ValueError
        If the device is not one of ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:<index>"``, ``"mps"``, or a
        CUDA or MPS device is asked for but not available.

    Examples
    --------
    >>> from sklearn_causalmix.backbones import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("tpu")
    Traceback (most recent call last):
    ...
    ValueError: device='tpu' is not a device this package runs on; use 'auto', 'cpu', 'cuda', 'cuda:<index>' or 'mps'.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        dev = None
    if dev is None or dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(
            f"device={device!r} is not a device this package runs on; use 'auto', 'cpu', 'cuda', 'cuda:<index>' "
            "or 'mps'."
        )
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but torch sees no CUDA device; use 'auto' or 'cpu'.")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r} was asked for, but torch sees {torch.cuda.device_count()} CUDA device(s); use "
            f"'cuda' or an index below {torch.cuda.device_count()}."
        )
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"device={device!r} was asked for, but MPS is not available; use 'auto' or 'cpu'.")
    return dev


def cpu_state(estimator) -> dict:
    """``estimator.__dict__`` for pickling, with every fitted ``nn.Module`` copied to the CPU.

    A model fitted on a GPU then unpickles — and predicts — on a machine without one. The live estimator
    keeps its modules where they are.

    Parameters
    ----------
    estimator : object

    Returns
    -------
    state : dict

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones import cpu_state
    >>> class Fitted:
    ...     def __init__(self):
    ...         self.model_ = torch.nn.Linear(2, 1)
    ...     def __getstate__(self):
    ...         return cpu_state(self)
    >>> cpu_state(Fitted())["model_"].weight.device
    device(type='cpu')
    """
    state = estimator.__dict__.copy()
    for key, value in state.items():
        if isinstance(value, torch.nn.Module) and any(p.device.type != "cpu" for p in value.parameters()):
            state[key] = copy.deepcopy(value).to("cpu")
    return state
