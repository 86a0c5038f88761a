"""Backbone specifications: small, clone-able factories with parameters (like scikit-learn's GP kernels).

An estimator's ``backbone`` parameter must survive :func:`sklearn.base.clone` and pickling, so it is never a
live :class:`torch.nn.Module`. A *spec* is a tiny :class:`~sklearn.base.BaseEstimator` whose ``__init__``
stores where the weights are and how to run them; calling it builds a fresh backbone. Because it has
``get_params``, its parameters show up in the estimator's ``get_params()`` as ``backbone__weights`` etc. and
can be searched over with :class:`~sklearn.model_selection.GridSearchCV`.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator

__all__ = ["BackboneSpec"]


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
