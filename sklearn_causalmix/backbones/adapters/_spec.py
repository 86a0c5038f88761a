"""Backbone specifications: small, clone-able factories with parameters (like scikit-learn's GP kernels).

An estimator's ``backbone`` parameter must survive :func:`sklearn.base.clone` and pickling, so it is never a
live :class:`torch.nn.Module`. A *spec* is a tiny :class:`~sklearn.base.BaseEstimator` whose ``__init__``
stores where the weights are and how to run them; calling it builds a fresh backbone. Because it has
``get_params``, its parameters show up in the estimator's ``get_params()`` as ``backbone__weights`` etc. and
can be searched over with :class:`~sklearn.model_selection.GridSearchCV`.
"""

from __future__ import annotations

import os
from pathlib import Path

from sklearn.base import BaseEstimator

__all__ = ["BackboneSpec", "resolve_weights_path"]


class BackboneSpec(BaseEstimator):
    """Base class of the backbone specs: a factory with parameters.

    Subclasses store their parameters in ``__init__`` (scikit-learn rules) and implement :meth:`build`.
    Calling the spec returns ``self.build()``, so a spec is accepted wherever a backbone factory is
    (``backbone=`` of every estimator, :func:`~sklearn_causalmix.backbones.get_backbone`).

    Examples
    --------
    >>> from sklearn_causalmix.backbones import TabICLBackbone
    >>> from sklearn.base import clone
    >>> spec = TabICLBackbone(weights="tabicl.ckpt")
    >>> clone(spec).get_params()["weights"]
    'tabicl.ckpt'
    """

    def build(self):  # pragma: no cover - abstract
        """A fresh backbone (implemented by subclasses)."""
        raise NotImplementedError

    def __call__(self, **kwargs):
        spec = type(self)(**{**self.get_params(deep=False), **kwargs}) if kwargs else self
        return spec.build()


def resolve_weights_path(weights, *, env_var: str, name: str, how_to_get: str) -> Path | None:
    """The checkpoint path from ``weights`` or the environment variable ``env_var``; None if neither.

    Parameters
    ----------
    weights : str, Path or None
    env_var : str
        Environment variable read when ``weights`` is None.
    name : str
        Backbone name for error messages.
    how_to_get : str
        A sentence telling the user how to obtain the weights.

    Returns
    -------
    path : Path or None

    Raises
    ------
    FileNotFoundError
        If a path is given (directly or through ``env_var``) but no file exists there.

    Examples
    --------
    >>> from sklearn_causalmix.backbones.adapters._spec import resolve_weights_path
    >>> resolve_weights_path(None, env_var="NO_SUCH_VARIABLE_X", name="x", how_to_get="") is None
    True
    """
    source = "weights"
    if weights is None:
        value = os.environ.get(env_var, "").strip()
        if not value:
            return None
        weights, source = value, f"the environment variable {env_var}"
    path = Path(weights).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"No {name} checkpoint at {str(path)!r} (from {source}). {how_to_get}"
        )
    return path
