"""How many CPU threads torch uses inside the package's own calls, so that a shared machine degrades gracefully.

torch runs its CPU kernels on an OpenMP thread pool (GNU libgomp in the Linux wheels). Threads that finish a
parallel region early *spin* while they wait for the others (libgomp's default ``OMP_WAIT_POLICY`` /
``GOMP_SPINCOUNT``). On a machine whose cores are also busy with other processes, a descheduled thread stalls
every region while its siblings burn the CPU they are waiting for: measured on 2 shared cores
(``benchmarks/results/inference.md``), two threads made predictions and fine-tuning steps 4-6x slower than one.

The waiting policy is read by libgomp once, when torch is imported; setting ``OMP_WAIT_POLICY`` or
``GOMP_SPINCOUNT`` afterwards has no effect (measured), and setting it on import would change the user's whole
process. What can change at any time is the number of threads. So every ``fit`` and ``predict_proba`` of the
package's estimators runs inside :func:`thread_policy`'s choice, and restores torch's setting afterwards:

* ``"auto"`` (the default): torch's current thread count (``torch.get_num_threads()``, which follows
  ``OMP_NUM_THREADS`` and the user's ``torch.set_num_threads``), lowered to the cores that other processes
  leave free at the start of the call (runnable tasks in ``/proc/loadavg`` minus this process's own running
  threads), at least 1. Never more threads than the user's setting.
* an int: exactly that many threads inside the package's calls.
* ``None``: the package leaves torch's thread settings alone.

Users who control the whole process can still start it with ``OMP_WAIT_POLICY=PASSIVE`` (threads sleep instead
of spinning), which the package never sets for them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from numbers import Integral

__all__ = [
    "busy_cores_elsewhere",
    "get_thread_policy",
    "package_threads",
    "resolve_n_threads",
    "set_thread_policy",
    "thread_policy",
    "uses_package_threads",
]

_POLICY = {"n_threads": "auto"}  # process-wide, like torch's own thread setting
_STATE = threading.local()  # whether this thread is inside a package call already


def get_thread_policy():
    """The current thread policy of the package's calls (see :func:`set_thread_policy`).

    Returns
    -------
    n_threads : "auto", int or None

    Examples
    --------
    >>> from sklearn_causalmix.backbones import get_thread_policy
    >>> get_thread_policy()
    'auto'
    """
    return _POLICY["n_threads"]


def _check(n_threads):
    if n_threads is None or n_threads == "auto":
        return n_threads
    if isinstance(n_threads, Integral) and not isinstance(n_threads, bool) and n_threads >= 1:
        return int(n_threads)
    raise ValueError(f"n_threads must be 'auto', None or an int >= 1, got {n_threads!r}.")


def set_thread_policy(n_threads="auto"):
    """Choose how many torch threads the package's ``fit`` and ``predict`` calls use (process-wide).

    Parameters
    ----------
    n_threads : "auto", int >= 1 or None, default="auto"
        ``"auto"``: torch's current thread count, lowered to the cores other processes leave free at the start
        of each call. An int: that many threads. None: leave torch's thread settings alone.

    Returns
    -------
    previous : "auto", int or None
        The policy that was in place.

    Examples
    --------
    >>> from sklearn_causalmix.backbones import set_thread_policy
    >>> previous = set_thread_policy(1)
    >>> set_thread_policy(previous)
    1
    """
    previous = get_thread_policy()
    _POLICY["n_threads"] = _check(n_threads)
    return previous


@contextlib.contextmanager
def thread_policy(n_threads="auto"):
    """A context in which the package's calls use the thread policy ``n_threads`` (restored on exit).

    Parameters
    ----------
    n_threads : "auto", int >= 1 or None, default="auto"
        See :func:`set_thread_policy`.

    Yields
    ------
    None

    Examples
    --------
    >>> from sklearn_causalmix.backbones import get_thread_policy, thread_policy
    >>> with thread_policy(1):
    ...     get_thread_policy()
    1
    >>> get_thread_policy()
    'auto'
    """
    previous = set_thread_policy(n_threads)
    try:
        yield
    finally:
        set_thread_policy(previous)


def _own_running_threads() -> int:
    count = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # the thread ended meanwhile
            continue
        if stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3] == b"R":
            count += 1
    return count


def busy_cores_elsewhere() -> int | None:
    """Cores kept busy by other processes right now: runnable tasks minus this process's running threads.

    Linux only (``/proc``); None elsewhere.

    Returns
    -------
    busy : int or None

    Examples
    --------
    >>> from sklearn_causalmix._core import busy_cores_elsewhere
    >>> busy = busy_cores_elsewhere()
    >>> busy is None or busy >= 0
    True
    """
    try:
        with open("/proc/loadavg") as f:
            running = int(f.read().split()[3].split("/")[0])
        return max(0, running - _own_running_threads())
    except (OSError, ValueError, IndexError):
        return None


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resolve_n_threads(n_threads="auto") -> int | None:
    """The torch thread count a call runs with under the policy ``n_threads`` (None: leave torch alone).

    Parameters
    ----------
    n_threads : "auto", int >= 1 or None, default="auto"

    Returns
    -------
    n : int or None

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._core import resolve_n_threads
    >>> resolve_n_threads(3), resolve_n_threads(None)
    (3, None)
    >>> 1 <= resolve_n_threads("auto") <= torch.get_num_threads()
    True
    """
    n_threads = _check(n_threads)
    if n_threads is None or isinstance(n_threads, int):
        return n_threads
    import torch

    current = torch.get_num_threads()
    busy = busy_cores_elsewhere()
    if busy is None:
        return current
    return max(1, min(current, _available_cores() - busy))


@contextlib.contextmanager
def package_threads():
    """Run the block with the thread count of the current policy; torch's setting is restored afterwards.

    Used around the package's own ``fit`` and ``predict_proba``; nested uses keep the outer choice.

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._core import package_threads, thread_policy
    >>> before = torch.get_num_threads()
    >>> with thread_policy(1), package_threads():
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if getattr(_STATE, "active", False):
        yield
        return
    import torch

    n = resolve_n_threads(get_thread_policy())
    previous = torch.get_num_threads()
    _STATE.active = True
    try:
        if n is not None and n != previous:
            torch.set_num_threads(n)
        yield
    finally:
        _STATE.active = False
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


def uses_package_threads(method):
    """Decorator: run an estimator method inside :func:`package_threads`.

    Parameters
    ----------
    method : callable

    Returns
    -------
    wrapped : callable

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._core import thread_policy, uses_package_threads
    >>> @uses_package_threads
    ... def threads():
    ...     return torch.get_num_threads()
    >>> with thread_policy(1):
    ...     threads()
    1
    """

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with package_threads():
            return method(*args, **kwargs)

    return wrapper
