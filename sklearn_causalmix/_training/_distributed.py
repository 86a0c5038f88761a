"""Data-parallel training over processes: one model, N processes, each computing part of a step's gradient.

A step's global batch is ``M`` micro-batches; process (rank) ``r`` of ``W`` takes the micro-batches
``m = r, r + W, r + 2W, ...``, backpropagates each one's loss divided by ``M`` into its gradients, and the
gradients are then **summed across processes** before the one optimiser step that every process takes alike.
With micro-batches drawn from seeds that depend on ``(seed, step, m)`` only, 1 process and ``W`` processes
compute the same sum (up to the order of floating-point additions), so they give the same updates.

Why an explicit all-reduce and not :class:`~torch.nn.parallel.DistributedDataParallel`:

- ranks may hold different numbers of micro-batches (``M`` needs not be a multiple of ``W``); DDP's reducer
  expects every rank to run the same number of backward passes, and its ``no_sync`` accumulation does not
  help there;
- DDP *averages* gradients over ranks, while the exact sum over micro-batches is what 1 process computes;
- episodes change shape every step and the embedded model has 2 M parameters (8 MB of gradients): DDP's
  bucketing and the overlap of communication with the backward pass gain nothing measurable, while one
  flat all-reduce per step is simple to reason about and checks bit-for-bit on one process (it is skipped).

The process group comes from the ``torchrun`` environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``, ``MASTER_PORT``), or is the one the caller already initialised: gloo on the CPU, NCCL on GPUs
(one GPU per process, ``cuda:LOCAL_RANK``). Without either, a run is one process and nothing here
communicates.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys

import torch
import torch.distributed as dist

__all__ = ["DataParallel", "data_parallel", "local_torchrun"]


class DataParallel:
    """The processes of a data-parallel run, as the training loop sees them.

    Every collective is a no-op on one process (``world_size == 1``), so a one-process run computes exactly
    what it computed before data parallelism existed.

    Parameters
    ----------
    device : torch.device, default="cpu"
        This process's training device; collectives of the NCCL backend run on it.

    Attributes
    ----------
    rank, world_size : int
        This process's rank and the number of processes (0 and 1 without a process group).

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._training import DataParallel
    >>> ranks = DataParallel()
    >>> ranks.is_main, list(ranks.shard(3))
    (True, [0, 1, 2])
    >>> model = torch.nn.Linear(2, 1)
    >>> ranks.sum_gradients(model.parameters(), [1.5, 2.0])
    [1.5, 2.0]
    """

    def __init__(self, device="cpu"):
        self.device = torch.device(device)
        self.distributed = dist.is_available() and dist.is_initialized()
        self.rank = dist.get_rank() if self.distributed else 0
        self.world_size = dist.get_world_size() if self.distributed else 1

    @property
    def is_main(self) -> bool:
        """Whether this is rank 0, the process that validates and writes checkpoints and weights."""
        return self.rank == 0

    def _comm_device(self):
        return self.device if dist.get_backend() == "nccl" else torch.device("cpu")

    def shard(self, n_items: int) -> range:
        """This rank's share of ``n_items`` (micro-batches): ``rank, rank + world_size, ...``."""
        return range(self.rank, n_items, self.world_size)

    def sum_gradients(self, parameters, values) -> list:
        """Sum every parameter's gradient, and the numbers ``values``, over the processes (in place).

        A parameter without a gradient on a rank (no micro-batch there) counts as zero; afterwards every
        parameter has the summed gradient on every rank.

        Parameters
        ----------
        parameters : iterable of torch.nn.Parameter
        values : list of float
            Statistics of this rank's micro-batches (e.g. loss sum, tasks, rows, CPU seconds), summed in
            float64.

        Returns
        -------
        sums : list of float
            ``values`` summed over the processes.
        """
        if self.world_size == 1:
            return list(values)
        params = [p for p in parameters if p.requires_grad]
        flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params])
        dist.all_reduce(flat)
        offset = 0
        for p in params:
            p.grad = flat[offset : offset + p.numel()].view_as(p)
            offset += p.numel()
        sums = torch.tensor(list(values), dtype=torch.float64, device=self._comm_device())
        dist.all_reduce(sums)
        return sums.tolist()

    def agree(self, stop: bool, value: float = 0.0) -> tuple[bool, float]:
        """Stop if any rank asks to (a signal) or rank 0 decides to (its budget); rank 0's ``value`` for all.

        Parameters
        ----------
        stop : bool
            This rank's wish to stop (rank 0 adds its budget's decision).
        value : float, default=0.0
            A non-negative number only rank 0 knows exactly (e.g. the schedule's progress when it follows the
            wall clock); the other ranks' values are ignored.

        Returns
        -------
        stop, value : bool, float
        """
        if self.world_size == 1:
            return bool(stop), value
        flags = torch.tensor([float(stop), float(value) if self.is_main else 0.0], dtype=torch.float64,
                             device=self._comm_device())
        dist.all_reduce(flags, op=dist.ReduceOp.MAX)
        return bool(flags[0] > 0), float(flags[1])

    def broadcast_module(self, module) -> None:
        """Give every rank rank 0's parameters and buffers (at the start of a run)."""
        if self.world_size == 1:
            return
        for tensor in module.state_dict().values():
            dist.broadcast(tensor, src=0)

    def broadcast_object(self, obj):
        """Rank 0's ``obj`` (picklable) on every rank."""
        if self.world_size == 1:
            return obj
        box = [obj if self.is_main else None]
        dist.broadcast_object_list(box, src=0, device=self._comm_device())
        return box[0]


def _rank_device(device: torch.device) -> torch.device:
    """``cuda`` without an index means this process's GPU, ``cuda:LOCAL_RANK``, under torchrun."""
    if device.type == "cuda" and device.index is None and "LOCAL_RANK" in os.environ:
        return torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    return device


@contextlib.contextmanager
def data_parallel(device="cpu", *, timeout_minutes: float = 30.0):
    """The processes of this run: the process group already initialised, the one torchrun describes, or none.

    A group this call initialises (``WORLD_SIZE > 1`` in the environment) is destroyed on exit; one the
    caller initialised is left alone.

    Parameters
    ----------
    device : str or torch.device, default="cpu"
        The training device; ``"cuda"`` becomes ``cuda:LOCAL_RANK`` under torchrun (NCCL), the CPU uses gloo.
    timeout_minutes : float, default=30.0
        How long a collective waits for the other ranks (rank 0 validates while they wait).

    Yields
    ------
    ranks : DataParallel
        With ``device`` set to this process's device.

    Examples
    --------
    >>> from sklearn_causalmix._training import data_parallel
    >>> with data_parallel("cpu") as ranks:
    ...     ranks.world_size, str(ranks.device)
    (1, 'cpu')
    """
    device = _rank_device(torch.device(device))
    owned = False
    if not (dist.is_available() and dist.is_initialized()) and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        from datetime import timedelta

        dist.init_process_group("nccl" if device.type == "cuda" else "gloo",
                                timeout=timedelta(minutes=timeout_minutes))
        owned = True
    try:
        yield DataParallel(device)
    finally:
        if owned:
            # every rank reaches the end before any closes its connections: a rank that tears down gloo
            # while its peer is still sending aborts the peer ("terminate called without an active exception")
            dist.barrier()
            dist.destroy_process_group()


def local_torchrun(nproc: int, args, *, port: int | None = None) -> list:
    """The command line that runs ``python ARGS`` in ``nproc`` processes on this machine with torchrun.

    Parameters
    ----------
    nproc : int
        Processes (``--nproc_per_node``).
    args : list of str
        What follows ``python``: a script and its arguments, or ``-m module ...``.
    port : int, default=None
        The rendezvous port on 127.0.0.1; a free one if None.

    Returns
    -------
    command : list of str

    Examples
    --------
    >>> from sklearn_causalmix._training import local_torchrun
    >>> local_torchrun(2, ["-m", "sklearn_causalmix._cli", "pretrain", "--out", "run"], port=29500)[1:6]
    ['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_addr']
    """
    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(nproc), "--master_addr",
            "127.0.0.1", "--master_port", str(port), *map(str, args)]
