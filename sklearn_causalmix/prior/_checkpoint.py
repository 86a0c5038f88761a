"""Resume state of a pretraining run: written atomically, read without pickle."""

from __future__ import annotations

import os
from pathlib import Path

import torch

__all__ = ["save_checkpoint", "load_checkpoint", "CHECKPOINT_NAME"]

CHECKPOINT_NAME = "checkpoint.pt"


def save_checkpoint(state: dict, folder) -> Path:
    """Write ``state`` to ``folder/checkpoint.pt`` atomically (a temporary file, then a rename).

    A run killed while writing leaves the previous checkpoint intact.

    Parameters
    ----------
    state : dict
        Tensors, numbers, strings, lists and dicts only (what ``torch.load(weights_only=True)`` reads back).
    folder : str or Path

    Returns
    -------
    path : Path

    Examples
    --------
    >>> import tempfile, torch
    >>> from sklearn_causalmix.prior._checkpoint import load_checkpoint, save_checkpoint
    >>> folder = tempfile.mkdtemp()
    >>> _ = save_checkpoint({"step": 3, "w": torch.ones(2)}, folder)
    >>> load_checkpoint(folder)["step"]
    3
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CHECKPOINT_NAME
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def load_checkpoint(folder) -> dict:
    """Read ``folder/checkpoint.pt`` with ``torch.load(weights_only=True)`` (no arbitrary code).

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    state : dict

    Raises
    ------
    FileNotFoundError
        When the folder holds no checkpoint (with the path in the message).
    """
    path = Path(folder) / CHECKPOINT_NAME
    if not path.exists():
        raise FileNotFoundError(
            f"No pretraining checkpoint at {path}; start a run with `causalmix pretrain --out {folder}` first, "
            "or pass --init MANIFEST to continue from saved weights with a fresh optimiser."
        )
    return torch.load(path, map_location="cpu", weights_only=True)
