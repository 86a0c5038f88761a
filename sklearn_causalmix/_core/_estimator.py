"""What every estimator of the package shares: all-or-nothing ``fit``, the 2D-table check, the classifiers' face.

Shaped like ``sklearn.utils.validation``: small checks that every stage imports from here, so that a rule
(a clear error for a 1D table, a ``fit`` that leaves no half-fitted state) is written once.
"""

from __future__ import annotations

import functools
import os
import sys

import numpy as np

__all__ = ["TabularClassifierMixin", "check_2d_table", "keep_state_on_failure", "stacklevel_outside_package"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stacklevel_outside_package() -> int:
    """The ``stacklevel`` that makes a warning point at the first frame outside the package.

    Called by the function that warns: ``warnings.warn(message, stacklevel=stacklevel_outside_package())``
    then names the user's line (or the library that called us), not our internals.

    Examples
    --------
    >>> import warnings
    >>> from sklearn_causalmix._core import stacklevel_outside_package
    >>> def warns():
    ...     warnings.warn("here", stacklevel=stacklevel_outside_package())
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warns()
    >>> caught[0].filename.startswith("<doctest")  # the doctest's own line, outside the package
    True
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


def keep_state_on_failure(fit):
    """Make ``fit`` all-or-nothing: when it raises, the estimator is left exactly as before the call.

    A failed ``fit`` on a fitted estimator keeps the previous fitted state (still usable, not mixed
    with attributes of the failed attempt); on an unfitted one it leaves no fitted attribute.

    Examples
    --------
    >>> from sklearn_causalmix._core import keep_state_on_failure
    >>> class Model:
    ...     @keep_state_on_failure
    ...     def fit(self, value):
    ...         self.value_ = value
    ...         if value < 0:
    ...             raise ValueError("negative")
    ...         return self
    >>> model = Model().fit(1)
    >>> try:
    ...     model.fit(-1)
    ... except ValueError:
    ...     pass
    >>> model.value_
    1
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        saved = dict(vars(self))
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise

    return wrapper


def check_2d_table(X) -> None:
    """Clear errors for 1D and empty tables, in scikit-learn's wording, before anything reads them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix._core import check_2d_table
    >>> check_2d_table(np.zeros((3, 2)))
    >>> check_2d_table(np.zeros((3, 0)))
    Traceback (most recent call last):
    ...
    ValueError: 0 feature(s) (shape=(3, 0)) while a minimum of 1 is required.
    """
    shape = getattr(X, "shape", None)
    if shape is None:
        try:
            shape = np.asarray(X, dtype=object).shape
        except (TypeError, ValueError):  # ragged or exotic input: the table schema reports it
            return
    if len(shape) == 1:
        raise ValueError(
            f"Expected a 2D table, got a 1D array of shape {tuple(shape)} instead. Reshape your data either "
            "using array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) if it "
            "contains a single sample."
        )
    if len(shape) == 2 and shape[1] == 0:
        raise ValueError(f"0 feature(s) (shape={tuple(shape)}) while a minimum of 1 is required.")
    if len(shape) == 2 and shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={tuple(shape)}) while a minimum of 1 is required."
        )


class TabularClassifierMixin:
    """What both in-context classifiers share: input tags and ``predict`` from ``predict_proba``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = False
        tags.input_tags.categorical = True
        tags.non_deterministic = False
        return tags

    def predict(self, X):
        """Most probable class of each row of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
