"""The study's units on a Dask cluster: the client of ``scheduler=``, the tasks, their results.

Every unit is one Dask task that runs :func:`~sklearn_causalmix.study._unit.run_unit` on a worker
(set to one torch thread and one BLAS/OpenMP thread) and returns its result to the client; the
client writes the study cache as results arrive, so the workers need no access to ``cache_dir``
and an interrupted study keeps every unit that finished. A unit's numbers depend only on its own
settings (dataset, protocol, seed, method, ratio), never on the worker or the order.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid

from sklearn_causalmix._core import set_thread_policy
from sklearn_causalmix.study._unit import failed_result, run_unit

__all__ = ["check_scheduler", "dask_client", "run_on_dask", "run_unit_on_worker"]

logger = logging.getLogger("sklearn_causalmix.study")

_EXTRA_HINT = 'pip install "sklearn-causalmix[distributed]"'
_LOCAL = re.compile(r"local:(\d+)")
_WORKER = {"one_thread": False}  # whether this (worker) process was set to one thread


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(
            f"scheduler= runs the study on Dask, which is not installed ({exc}); install it "
            f"with: {_EXTRA_HINT}, or leave scheduler=None to run the units in local processes."
        ) from exc
    return distributed


def check_scheduler(scheduler):
    """``(kind, value)`` of ``scheduler=``: a client, ``("local", n)`` or ``("address", str)``.

    Parameters
    ----------
    scheduler : distributed.Client, str or None
        A connected client, ``"local:N"`` (a ``LocalCluster`` of N one-thread worker processes
        for the run) or a scheduler address such as ``"tcp://host:8786"``.

    Returns
    -------
    kind : {"none", "client", "local", "address"}
    value : object
        The client, the number of workers, the address, or None.

    Examples
    --------
    >>> from sklearn_causalmix.study._dask import check_scheduler
    >>> check_scheduler("local:2"), check_scheduler("tcp://10.0.0.5:8786")
    (('local', 2), ('address', 'tcp://10.0.0.5:8786'))
    """
    if scheduler is None:
        return "none", None
    if not isinstance(scheduler, str):
        return "client", scheduler
    if scheduler.startswith("local"):
        match = _LOCAL.fullmatch(scheduler)
        if match is None or int(match.group(1)) < 1:
            raise ValueError(
                f"scheduler={scheduler!r}: write 'local:N' with N >= 1 worker processes "
                "(e.g. 'local:4'), or a scheduler address such as 'tcp://host:8786'.")
        return "local", int(match.group(1))
    if "://" not in scheduler and ":" not in scheduler:
        raise ValueError(
            f"scheduler={scheduler!r} is neither 'local:N' nor a scheduler address; pass e.g. "
            "'tcp://host:8786' (printed by `dask scheduler`), 'local:4' or a distributed.Client.")
    return "address", scheduler


@contextlib.contextmanager
def dask_client(scheduler):
    """A connected ``distributed.Client`` for ``scheduler=`` (see :func:`check_scheduler`).

    A client passed in is used as it is and left open; ``"local:N"`` starts a ``LocalCluster``
    (N processes, one thread each, its dashboard on a free port) and closes it on exit; an
    address connects to a running scheduler and closes only that connection.
    """
    kind, value = check_scheduler(scheduler)
    if kind == "client":
        yield value
        return
    distributed = _distributed()
    if kind == "local":
        # dashboard on a free port (its link is logged): the default 8787 may be taken
        with distributed.LocalCluster(n_workers=value, threads_per_worker=1, processes=True,
                                      dashboard_address=":0") as cluster, \
                distributed.Client(cluster) as client:
            logger.info("Dask LocalCluster of %d workers; dashboard: %s", value,
                        client.dashboard_link)
            yield client
        return
    try:
        client = distributed.Client(value, timeout="30s")
    except OSError as exc:
        raise OSError(
            f"Could not connect to the Dask scheduler at {value!r} ({exc}). Start one with "
            f"`dask scheduler` and workers with `dask worker {value}`, or pass "
            "scheduler='local:N' for a cluster on this machine.") from exc
    with client:
        yield client


def _one_thread_per_process():
    """One torch thread in the package's calls and one BLAS/OpenMP thread, for good.

    Set for the worker process and not restored: a worker with several threads runs several
    tasks at once, and a task restoring the setting on exit would undo it under another.
    """
    if not _WORKER["one_thread"]:
        from threadpoolctl import threadpool_limits

        set_thread_policy(1)
        threadpool_limits(1)
        _WORKER["one_thread"] = True


def run_unit_on_worker(unit, entry, settings):
    """``(unit, run_unit(...))`` with one torch and one BLAS/OpenMP thread (a worker's task)."""
    _one_thread_per_process()
    return unit, run_unit(unit, entry, settings)


_IMPORT_HINT = (" (a worker could not import what the unit needs: install the same packages on "
                "every worker, and make your own modules importable there, e.g. with "
                "client.upload_file)")


def _result(future, unit, settings):
    """The unit's result; a failure of the task itself (a lost worker, an import error on the
    worker) raises with ``errors="raise"`` and is recorded with ``errors="record"``."""
    try:
        return future.result()[1]
    except Exception as exc:
        if settings.errors == "raise":
            raise
        hint = _IMPORT_HINT if isinstance(exc, ImportError) else ""
        return failed_result(unit, exc, hint=hint)


def _scatter(client, entries, todo):
    """Bunches sent once to the cluster (names are loaded on the workers)."""
    needed = {unit.dataset for unit in todo}
    return {name: entry if isinstance(entry, str) else client.scatter([entry], hash=False)[0]
            for name, entry in entries.items() if name in needed}


def run_on_dask(client, todo, entries, settings, record):
    """Run ``todo`` as Dask tasks on ``client``; ``record(unit, result)`` each as it finishes.

    Units are submitted with the priority of their method (cheap and central runs first). When a
    unit fails with ``errors="raise"`` (or the client is interrupted), the units that finished
    meanwhile are recorded too, the others cancelled, and the error raised.
    """
    distributed = _distributed()
    token = uuid.uuid4().hex[:8]
    data = _scatter(client, entries, todo)
    [shared] = client.scatter([settings], hash=False)
    futures = {
        client.submit(run_unit_on_worker, unit, data[unit.dataset], shared, pure=False,
                      key=f"causalmix-unit-{unit.label}-{token}",
                      priority=-settings.spec(unit.method).priority): unit
        for unit in todo
    }
    done = set()
    try:
        for future in distributed.as_completed(futures):
            record(futures[future], _result(future, futures[future], settings))
            done.add(future)
    except BaseException:
        for future, unit in futures.items():
            if future not in done and future.status == "finished":
                record(unit, future.result()[1])
                done.add(future)
        raise
    finally:
        client.cancel([future for future in futures if future not in done])
