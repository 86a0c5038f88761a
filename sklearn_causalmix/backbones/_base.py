"""The backbone protocol: what any tabular foundation model offers to the fine-tuning and prediction code.

A backbone is a :class:`torch.nn.Module` that maps a batch of *episodes* — context rows with labels and query
rows without — to class logits for the query rows, in one differentiable forward pass::

    logits = backbone(X_context, y_context, X_query, n_classes=k, categorical_mask=mask)

Shapes: ``X_context`` is ``(B, n_context, n_features)`` float with NaN for missing values, ``y_context`` is
``(B, n_context)`` integer class codes in ``[0, n_classes)``, ``X_query`` is ``(B, n_query, n_features)`` and
the result is ``(B, n_query, n_classes)``. Categorical columns arrive as integer codes (``0 .. k-1``) flagged by
``categorical_mask`` (``(n_features,)`` bool). Everything else — normalisation from the context rows only, how
missing values and categories are embedded — is the backbone's own business (its *preprocessing contract*,
documented on each implementation), so the fine-tuning code never needs to know which model it drives.

Inference splits that forward in two (queries attend to context rows only, so the context's per-layer states
do not depend on the queries and can be computed once)::

    context = backbone.encode_context(X_context, y_context, n_classes=k, categorical_mask=mask)
    logits = backbone.predict_queries(context, X_query)          # as often as needed, in any chunks

Here ``B`` may hold several independent tasks at once (the members of an inference ensemble), and
``categorical_mask`` may be ``(n_features,)`` shared by all of them or ``(B, n_features)`` per task (members
see permuted feature orders).

What an adapter must offer:

* :meth:`TabularBackbone.forward` and :attr:`TabularBackbone.limits` — enough for fine-tuning and prediction.
  The default :meth:`~TabularBackbone.encode_context` only stores the context tensors
  (:attr:`EncodedContext.inputs`), and the default :meth:`~TabularBackbone.predict_queries` runs the full
  forward on them with each query chunk: correct, just not faster. That fallback hands ``forward`` a
  ``(n_features,)`` mask only, calling it once per group of tasks that share a mask.
* Optionally a real cache: override **both** methods; ``encode_context`` puts whatever it needs (e.g. every
  layer's context keys/values) in :attr:`EncodedContext.state` and ``predict_queries`` reads it. Its results
  must equal ``forward`` on the same context and queries (up to float rounding), must not depend on how the
  queries are chunked or which other query rows are predicted with them, and ``predict_queries`` must not
  modify the context. Both run under ``torch.no_grad()`` in eval mode.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

__all__ = ["BackboneLimits", "EncodedContext", "TabularBackbone", "register_backbone", "get_backbone", "list_backbones"]


@dataclass(frozen=True)
class BackboneLimits:
    """What a backbone can take in one forward pass.

    Parameters
    ----------
    max_classes : int
        Largest number of classes the output head supports.
    max_features : int
        Largest number of features seen at once. Wider tables are handled by the backbone itself
        (see :meth:`TabularBackbone.forward`) or refused with a clear error, as its documentation says.
    max_context_rows : int
        Largest number of context rows per episode that the backbone is designed (and was pretrained) for.
        Estimators subsample larger training sets to this size for the prediction context.

    Examples
    --------
    >>> from sklearn_causalmix.backbones import BackboneLimits
    >>> BackboneLimits(max_classes=10, max_features=100, max_context_rows=4096).max_classes
    10
    """

    max_classes: int
    max_features: int
    max_context_rows: int


@dataclass
class EncodedContext:
    """A labelled context prepared once for many query batches (see :meth:`TabularBackbone.encode_context`).

    Parameters
    ----------
    n_classes : int
        Number of classes of the task.
    categorical_mask : torch.Tensor or None
        ``(n_features,)`` shared by every task of the batch, or ``(B, n_features)``.
    inputs : tuple of torch.Tensor or None
        ``(X_context, y_context)`` for backbones that cannot cache (the fallback re-runs them with each query
        batch).
    state : object, default=None
        Backbone-specific cached tensors (the embedded model keeps each layer's row-attention keys and values).

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones import EncodedContext
    >>> ctx = EncodedContext(2, None, inputs=(torch.zeros(1, 4, 3), torch.zeros(1, 4, dtype=torch.long)))
    >>> ctx.nbytes()
    80
    """

    n_classes: int
    categorical_mask: torch.Tensor | None
    inputs: tuple | None
    state: Any = None

    def nbytes(self) -> int:
        """Bytes of memory kept alive by the tensors of ``inputs`` and ``state``.

        Counts whole storages, once each: a view (e.g. keys sliced out of a fused query/key/value output)
        keeps its entire storage alive, so it counts in full.
        """
        storages = {}

        def walk(obj):
            if isinstance(obj, torch.Tensor):
                storage = obj.untyped_storage()
                storages[(obj.device, storage.data_ptr())] = storage.nbytes()
            elif isinstance(obj, dict):
                for v in obj.values():
                    walk(v)
            elif isinstance(obj, (list, tuple)):
                for v in obj:
                    walk(v)

        walk(self.inputs)
        walk(self.state)
        return int(sum(storages.values()))


class TabularBackbone(nn.Module, abc.ABC):
    """Base class of every backbone: an in-context classifier over tables.

    Subclasses implement :meth:`forward` and set :attr:`limits`. Weight I/O uses the ordinary
    ``state_dict`` / ``load_state_dict`` of :class:`torch.nn.Module`; device moves use ``.to(device)``.

    Examples
    --------
    >>> from sklearn_causalmix.backbones import get_backbone
    >>> backbone = get_backbone("default")
    >>> backbone.limits.max_classes
    10
    """

    limits: BackboneLimits
    #: Whether the backbone reads tables wider than ``limits.max_features`` (as feature subsets, see
    #: :meth:`use_feature_subsets`); the estimators refuse wider tables, with the way out, when it does not.
    splits_wide_tables: bool = False

    @abc.abstractmethod
    def forward(
        self,
        X_context: torch.Tensor,
        y_context: torch.Tensor,
        X_query: torch.Tensor,
        *,
        n_classes: int,
        categorical_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Class logits of the query rows given the labelled context rows.

        Parameters
        ----------
        X_context : torch.Tensor of shape (B, n_context, n_features)
            Context features, float, NaN marks a missing value.
        y_context : torch.Tensor of shape (B, n_context)
            Integer class codes of the context rows.
        X_query : torch.Tensor of shape (B, n_query, n_features)
            Query features.
        n_classes : int
            Number of classes of the task (``<= limits.max_classes``).
        categorical_mask : torch.Tensor of shape (n_features,), default=None
            True where a column holds integer category codes.

        Returns
        -------
        logits : torch.Tensor of shape (B, n_query, n_classes)
        """

    def encode_context(self, X_context, y_context, *, n_classes, categorical_mask=None) -> EncodedContext:
        """Prepare a labelled context once, for :meth:`predict_queries` to reuse.

        The fallback keeps the inputs and re-runs :meth:`forward` for every query batch; backbones whose
        context computation does not depend on the queries override both methods with a real cache.

        Parameters
        ----------
        X_context : torch.Tensor of shape (B, n_context, n_features)
        y_context : torch.Tensor of shape (B, n_context)
        n_classes : int
        categorical_mask : torch.Tensor of shape (n_features,) or (B, n_features), default=None

        Returns
        -------
        context : EncodedContext
        """
        return EncodedContext(n_classes, categorical_mask, inputs=(X_context, y_context))

    def predict_queries(self, context: EncodedContext, X_query) -> torch.Tensor:
        """Class logits of query rows against a context from :meth:`encode_context`.

        The fallback runs :meth:`forward` on the stored inputs; a per-task ``(B, n_features)`` mask is handed
        to it as one shared ``(n_features,)`` mask per group of tasks that have the same mask.

        Parameters
        ----------
        context : EncodedContext
        X_query : torch.Tensor of shape (B, n_query, n_features)

        Returns
        -------
        logits : torch.Tensor of shape (B, n_query, n_classes)
        """
        X_context, y_context = context.inputs
        mask = context.categorical_mask
        if mask is None or mask.dim() == 1:
            return self.forward(X_context, y_context, X_query, n_classes=context.n_classes, categorical_mask=mask)
        # One mask per task: forward takes a shared (n_features,) mask, so run each group of tasks sharing one.
        masks, group = torch.unique(mask, dim=0, return_inverse=True)
        if len(masks) == 1:
            return self.forward(
                X_context, y_context, X_query, n_classes=context.n_classes, categorical_mask=masks[0]
            )
        out = None
        for g in range(len(masks)):
            rows = torch.nonzero(group == g).flatten().to(X_context.device)
            logits = self.forward(
                X_context[rows], y_context[rows], X_query[rows], n_classes=context.n_classes,
                categorical_mask=masks[g],
            )
            if out is None:
                out = logits.new_empty((X_query.shape[0], *logits.shape[1:]))
            out[rows] = logits
        return out

    @property
    def device(self) -> torch.device:
        """The device the backbone's parameters live on."""
        return next(self.parameters()).device

    def use_feature_subsets(self, size):
        """Read tables wider than ``size`` as feature subsets; return the width in use (None: no such split).

        This backbone reads every column at once, so it takes only ``"auto"`` and None; the embedded models
        (:class:`~sklearn_causalmix.backbones.RowPFN`, :class:`~sklearn_causalmix.backbones.CausalMixPFN`)
        override it.

        Parameters
        ----------
        size : "auto", int or None
            ``feature_subset_size`` of :class:`~sklearn_causalmix.backbones.InContextClassifier`.

        Returns
        -------
        width : int or None
            Widest feature subset of one pass; None here.
        """
        if size not in ("auto", None):
            raise ValueError(
                f"feature_subset_size={size!r} needs a backbone that splits tables into feature subsets (the "
                f"embedded ones); {type(self).__name__} reads every column at once. Use feature_subset_size='auto' "
                "or None."
            )
        return None

    def _check_n_classes(self, n_classes: int, what: str = "backbone") -> None:
        """Raise a ``ValueError`` unless ``1 <= n_classes <= limits.max_classes``; ``what`` names the model."""
        if not 1 <= n_classes <= self.limits.max_classes:
            raise ValueError(
                f"n_classes={n_classes} is outside what this {what} supports (1..{self.limits.max_classes})."
            )


_REGISTRY: dict[str, Callable[..., TabularBackbone]] = {}


def register_backbone(name: str, factory: Callable[..., TabularBackbone]) -> None:
    """Register a backbone factory under ``name`` so estimators accept ``backbone=name``.

    Parameters
    ----------
    name : str
        Registry key.
    factory : callable
        Called with no positional argument (keyword options allowed); returns a fresh
        :class:`TabularBackbone` each call.

    Examples
    --------
    >>> from sklearn_causalmix.backbones import register_backbone, get_backbone, list_backbones
    >>> from sklearn_causalmix.backbones import load_default_backbone
    >>> register_backbone("my-default", load_default_backbone)
    >>> "my-default" in list_backbones()
    True
    """
    if not callable(factory):
        raise TypeError(f"factory for backbone {name!r} must be callable, got {type(factory).__name__}.")
    _REGISTRY[name] = factory


def list_backbones() -> list[str]:
    """Names of the registered backbones.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> from sklearn_causalmix.backbones import list_backbones
    >>> "default" in list_backbones()
    True
    """
    return sorted(_REGISTRY)


def get_backbone(backbone="default", **kwargs) -> TabularBackbone:
    """A fresh backbone from a registered name or a factory.

    Parameters
    ----------
    backbone : str or callable, default="default"
        A registered name (see :func:`list_backbones`) or a zero-argument factory returning a
        :class:`TabularBackbone`. A live ``nn.Module`` is refused: estimators are cloned, and a module
        passed as a parameter would be shared (and fine-tuned) across clones.
    **kwargs
        Passed to the factory.

    Returns
    -------
    backbone : TabularBackbone
        A new instance; fine-tuning it never touches another estimator's weights.

    Examples
    --------
    >>> from sklearn_causalmix.backbones import get_backbone
    >>> get_backbone("default").limits.max_features
    100
    """
    if isinstance(backbone, nn.Module):
        raise TypeError(
            "backbone must be a registered name or a factory (a callable returning a fresh backbone), "
            "not a live nn.Module: scikit-learn clones estimators, and a module passed as a parameter would be "
            "shared between clones. Wrap it: backbone=lambda: MyBackbone(...)."
        )
    if isinstance(backbone, str):
        if backbone not in _REGISTRY:
            raise ValueError(
                f"Unknown backbone {backbone!r}. Registered backbones: {list_backbones()}; "
                "register your own with sklearn_causalmix.backbones.register_backbone(name, factory)."
            )
        model = _REGISTRY[backbone](**kwargs)
    elif callable(backbone):
        model = backbone(**kwargs)
    else:
        raise TypeError(f"backbone must be a str or a callable, got {type(backbone).__name__}.")
    if not isinstance(model, TabularBackbone):
        raise TypeError(
            f"The backbone factory returned {type(model).__name__}; it must return a "
            "sklearn_causalmix.backbones.TabularBackbone."
        )
    return model
