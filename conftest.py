"""Test-session settings shared by the tests and the doctests."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_configure(config):
    # `pytest -n 2` on a 2-core machine: one BLAS / torch thread per worker, or every sklearn and torch call
    # oversubscribes the cores (measured 10-25x slower fits).
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        torch.set_num_threads(1)
