"""Out-of-memory errors on accelerators (CUDA, Apple MPS): recognising them and freeing cached memory."""

from __future__ import annotations

import torch

__all__ = ["free_accelerator_memory", "is_out_of_memory"]

_OOM_MESSAGES = ("out of memory", "mps backend out of memory")


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says that an accelerator (CUDA or Apple MPS) ran out of memory.

    CUDA raises :class:`torch.OutOfMemoryError`; MPS raises a plain ``RuntimeError`` whose message starts with
    "MPS backend out of memory".

    Parameters
    ----------
    exc : BaseException

    Returns
    -------
    oom : bool

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones._memory import is_out_of_memory
    >>> is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory")), is_out_of_memory(ValueError("x"))
    (True, False)
    >>> is_out_of_memory(RuntimeError("MPS backend out of memory (MPS allocated: 1 GB)"))
    True
    """
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and any(m in str(exc).lower() for m in _OOM_MESSAGES)


def free_accelerator_memory(device) -> None:
    """Return cached blocks of the CUDA / MPS allocator after an out-of-memory error (no-op on the CPU).

    Parameters
    ----------
    device : torch.device

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones._memory import free_accelerator_memory
    >>> free_accelerator_memory(torch.device("cpu"))
    """
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":
        torch.mps.empty_cache()

