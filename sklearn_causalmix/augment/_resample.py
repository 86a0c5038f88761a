"""The ``fit_resample`` contract of every augmenter: real rows plus a ``synthetic_ratio`` share."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import _num_samples

__all__ = ["resample_with_counts", "resample_with_ratio"]


def _stack(original, synthetic, real):
    """Stack ``real`` (or nothing) above ``synthetic`` in the container of ``original``."""
    if isinstance(original, (pd.DataFrame, pd.Series)):
        if real is None:
            return synthetic
        if isinstance(original, pd.DataFrame) and not isinstance(synthetic, pd.DataFrame):
            synthetic = pd.DataFrame(synthetic, columns=original.columns)
        return pd.concat([real.reset_index(drop=True), synthetic], ignore_index=True)
    synthetic = np.asarray(synthetic)
    if real is not None:
        real_arr = np.asarray(real)
        if real_arr.ndim == 2 and synthetic.ndim == 1 and real_arr.shape[1] == 1:
            real_arr = real_arr.ravel()
        out = np.concatenate([real_arr, synthetic.astype(real_arr.dtype, copy=False)])
    else:
        out = synthetic
    return out.tolist() if isinstance(original, (list, tuple)) else out


def resample_with_ratio(sampler, X, y):
    """Fit ``sampler`` on ``(X, y)``; return the real rows plus a ``synthetic_ratio`` share more.

    All real rows are kept and ``round(r / (1 - r) * n)`` synthetic rows drawn with
    ``sampler.sample`` are appended (r = ``sampler.synthetic_ratio``); at r = 1 only ``n``
    synthetic rows, at r = 0 ``(X, y)`` as given. Outputs keep the containers of ``X`` and ``y``
    (DataFrames get a fresh ``RangeIndex``).

    Parameters
    ----------
    sampler : object
        Has ``fit(X, y)``, ``sample(n)`` and a ``synthetic_ratio`` parameter.
    X : DataFrame, ndarray or list of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)

    Returns
    -------
    X_resampled, y_resampled

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment import NoiseAugmenter
    >>> from sklearn_causalmix.augment._resample import resample_with_ratio
    >>> X, y = np.random.RandomState(0).normal(size=(20, 2)), np.arange(20) % 2
    >>> augmenter = NoiseAugmenter(synthetic_ratio=0.5, random_state=0)
    >>> X_mix, y_mix = resample_with_ratio(augmenter, X, y)
    >>> X_mix.shape, y_mix.shape
    ((40, 2), (40,))
    """
    sampler.fit(X, y)
    r = float(sampler.synthetic_ratio)
    n_real = _num_samples(X)
    if r == 0.0:
        return X, y
    n_syn = n_real if r == 1.0 else int(round(r / (1.0 - r) * n_real))
    X_syn, y_syn = sampler.sample(n_syn)
    if r == 1.0:
        return _stack(X, X_syn, None), _stack(y, y_syn, None)
    return _stack(X, X_syn, X), _stack(y, y_syn, y)


def resample_with_counts(X, y, X_syn, y_syn):
    """The real rows of ``(X, y)``, then the synthetic ones, in the containers of ``X`` and ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._resample import resample_with_counts
    >>> X_mix, y_mix = resample_with_counts(np.zeros((3, 2)), [0, 1, 1], np.ones((2, 2)), [0, 0])
    >>> X_mix.shape, y_mix
    ((5, 2), [0, 1, 1, 0, 0])
    """
    return _stack(X, X_syn, X), _stack(y, y_syn, y)
