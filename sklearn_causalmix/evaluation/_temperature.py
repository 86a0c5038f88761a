"""Temperature scaling: one scalar that sharpens or softens class probabilities, fitted by log-loss.

``p_T ∝ p ** (1 / T)`` is softmax(logits / T) when ``p`` is a softmax; T > 1 softens over-confident
probabilities, T < 1 sharpens under-confident ones (Guo et al., 2017). It changes no ranking within a column,
so ROC-AUC of a binary problem is unchanged.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["apply_temperature", "fit_temperature"]

_EPS = 1e-12


@validate_params({"proba": ["array-like"], "temperature": [Interval(Real, 0, None, closed="neither")]},
                 prefer_skip_nested_validation=True)
def apply_temperature(proba, temperature):
    """Class probabilities at a temperature: ``p ** (1 / T)``, renormalised (float64 rows summing to 1).

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
    temperature : float > 0
        1 returns the probabilities unchanged (renormalised in float64).

    Returns
    -------
    proba_t : ndarray of shape (n_samples, n_classes), float64

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.evaluation import apply_temperature
    >>> apply_temperature(np.array([[0.8, 0.2]]), 2.0).round(3)
    array([[0.667, 0.333]])
    """
    log_p = np.log(np.clip(np.asarray(proba, dtype=np.float64), _EPS, 1.0)) / float(temperature)
    log_p -= log_p.max(axis=1, keepdims=True)
    out = np.exp(log_p)
    return out / out.sum(axis=1, keepdims=True)


@validate_params({"y_codes": ["array-like"], "proba": ["array-like"]}, prefer_skip_nested_validation=True)
def fit_temperature(y_codes, proba):
    """The temperature that minimises the log-loss of ``proba`` on ``y_codes`` (searched in [0.05, 20]).

    Fit it on out-of-fold probabilities (rows whose labels the model did not see), never on the rows it
    predicts afterwards.

    Parameters
    ----------
    y_codes : array-like of shape (n_samples,)
        Class codes ``0 .. n_classes-1`` (column indices of ``proba``).
    proba : array-like of shape (n_samples, n_classes)

    Returns
    -------
    temperature : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.evaluation import fit_temperature
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500)
    >>> overconfident = np.where(rng.random(500) < 0.7, y, 1 - y)  # right 70 % of the time, sure every time
    >>> proba = np.eye(2)[overconfident] * 0.98 + 0.01
    >>> fit_temperature(y, proba) > 1
    True
    """
    y_codes = np.asarray(y_codes, dtype=np.int64)
    log_p = np.log(np.clip(np.asarray(proba, dtype=np.float64), _EPS, 1.0))
    rows = np.arange(len(y_codes))

    def loss(log_t):
        z = log_p / np.exp(log_t)
        z -= z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[rows, y_codes]))

    result = minimize_scalar(loss, bounds=(np.log(0.05), np.log(20.0)), method="bounded",
                             options={"xatol": 1e-4})
    return float(np.exp(result.x))
