"""Device selection shared by every estimator that runs a backbone."""

from __future__ import annotations

import copy
import threading

import torch

__all__ = ["resolve_device", "cpu_state", "fork_torch_rng"]


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
    """
    state = estimator.__dict__.copy()
    for key, value in state.items():
        if isinstance(value, torch.nn.Module) and any(p.device.type != "cpu" for p in value.parameters()):
            state[key] = copy.deepcopy(value).to("cpu")
    return state


# Held while a seeded region runs: torch's global generator is process-wide, so two fits in threads would
# otherwise seed and restore it under each other's feet.
_TORCH_RNG_LOCK = threading.RLock()


def fork_torch_rng(device, seed):
    """Seed torch (CPU and the fitting CUDA device) inside a context that restores the global RNG state.

    The context holds a process-wide lock, so seeded regions of concurrent threads run one at a time and each
    sees exactly its own stream (same seed, same numbers, whatever else runs).

    Parameters
    ----------
    device : torch.device
    seed : int

    Returns
    -------
    context : context manager

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones._device import fork_torch_rng
    >>> with fork_torch_rng(torch.device("cpu"), 0):
    ...     a = torch.rand(1)
    >>> with fork_torch_rng(torch.device("cpu"), 0):
    ...     b = torch.rand(1)
    >>> bool(a == b)
    True
    """

    class _Fork:
        def __enter__(self):
            _TORCH_RNG_LOCK.acquire()
            try:
                devices = []
                if device.type == "cuda":
                    devices = [device.index if device.index is not None else torch.cuda.current_device()]
                self._ctx = torch.random.fork_rng(devices=devices)
                self._ctx.__enter__()
            except BaseException:
                _TORCH_RNG_LOCK.release()
                raise
            torch.random.default_generator.manual_seed(int(seed))
            if devices:
                with torch.cuda.device(devices[0]):
                    torch.cuda.manual_seed(int(seed))
            return self

        def __exit__(self, *exc):
            try:
                return self._ctx.__exit__(*exc)
            finally:
                _TORCH_RNG_LOCK.release()

    return _Fork()
