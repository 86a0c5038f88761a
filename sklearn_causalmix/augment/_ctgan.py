"""CTGANAugmenter: an adapter to the conditional tabular GAN of the optional ``ctgan`` package."""

from __future__ import annotations

import importlib
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval

from sklearn_causalmix.augment._base import BaseAugmenter
from sklearn_causalmix._core import spawn_seeds, third_party_state

__all__ = ["CTGANAugmenter"]


class CTGANAugmenter(BaseAugmenter):
    """Adapter to the conditional tabular GAN of the ``ctgan`` package (an optional extra).

    The label is one more discrete column of the GAN; ``sample`` asks the GAN for each class in
    turn through its conditional vector and keeps the requested label on every row. ``ctgan``
    requires ``pandas<3`` and is not a dependency of this package: install it in an environment
    where it fits, e.g. ``pip install ctgan``.

    Parameters
    ----------
    epochs : int, default=100
        Training epochs of the GAN.
    synthetic_ratio : float in [0, 1], default=0.5
        Share of synthetic rows in the output of :meth:`fit_resample`.
    random_state : int, RandomState instance or None, default=None
        Seeds the GAN (torch's and numpy's global generators, set for the GAN's calls only
        and restored afterwards) and :meth:`sample`.

    Attributes
    ----------
    model_ : ctgan.CTGAN
        The fitted GAN.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_prior_ : ndarray of shape (n_classes,)
        Share of each class in the training labels.
    missing_rate_ : ndarray of shape (n_features,)
        Share of missing values per column, re-applied in samples.
    schema_ : TableSchema
        Column kinds, levels and dtypes of the training table.
    n_features_in_ : int
        Number of features seen during :term:`fit`.

    Examples
    --------
    >>> from sklearn_causalmix.augment import CTGANAugmenter
    >>> CTGANAugmenter(epochs=10).epochs
    10
    """

    _parameter_constraints: dict = {
        **BaseAugmenter._parameter_constraints,
        "epochs": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, epochs=100, synthetic_ratio=0.5, random_state=None):
        self.epochs = epochs
        self.synthetic_ratio = synthetic_ratio
        self.random_state = random_state

    def _fit(self, table, rng):
        try:
            ctgan = importlib.import_module("ctgan")
        except ImportError as exc:
            raise ImportError(
                "CTGANAugmenter needs the 'ctgan' package, which is not installed (it requires "
                "pandas<3); install it with `pip install ctgan` in a compatible environment."
            ) from exc
        names = [f"c{j}" for j in range(table.codes.shape[1])] + ["label"]
        frame = pd.DataFrame(np.column_stack([table.codes, table.target]), columns=names)
        discrete = [f"c{j}" for j in self._categorical_columns()] + ["label"]
        for name in discrete:
            frame[name] = frame[name].astype(np.int64)
        model = ctgan.CTGAN(epochs=self.epochs)
        # ctgan draws from torch's and numpy's global generators: seed them for this call only.
        with third_party_state(spawn_seeds(rng, 1)[0], torch_seed=True):
            model.fit(frame, discrete_columns=discrete)
        self.model_ = model
        self._names = names

    def _sample(self, counts, rng):
        parts_Z, parts_t = [], []
        for c, k in enumerate(counts):
            if k == 0:
                continue
            with third_party_state(spawn_seeds(rng, 1)[0], torch_seed=True):
                frame = self.model_.sample(
                    int(k), condition_column="label", condition_value=int(c)
                )
            parts_Z.append(frame[self._names[:-1]].to_numpy(dtype=np.float64))
            parts_t.append(np.full(int(k), c, dtype=np.int64))
        return np.concatenate(parts_Z), np.concatenate(parts_t)
