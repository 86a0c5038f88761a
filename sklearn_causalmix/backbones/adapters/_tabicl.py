"""TabICL (Qu et al., 2025; soda-inria/tabicl, BSD-3-Clause code and weights) as a backbone.

The network is the official ``tabicl.TabICL`` module, built from the configuration stored in a local checkpoint
(``{"config": ..., "state_dict": ...}``, read with ``torch.load(weights_only=True)``). Its preprocessing contract
is the one ``tabicl.TabICLClassifier`` applies outside the network to the first member of its ensemble (no
feature or class shuffle, normalisation ``"none"``), reimplemented here in torch with statistics from the
context rows of each episode:

1. categorical columns first, then numeric ones (the order of the official column transformer);
   missing category codes become ``-1``, missing numbers the context mean (0 for a column without any);
2. columns constant over the context are dropped (all kept when the context has a single row; the first one
   when all are constant);
3. standard scaling with the context mean and standard deviation (+1e-6), clipped to ``[-100, 100]``;
4. two-stage outlier clipping at ``outlier_threshold`` context standard deviations, softened with
   ``log1p`` (as ``tabicl``'s ``OutlierRemover``);
5. the logits are divided by ``softmax_temperature`` (0.9), so that ``softmax(logits)`` is the official
   probability; fine-tuning trains exactly the function used at prediction.

Our in-context ensemble (class and feature permutations) plays the role of the official one; with
``n_estimators=1`` the probabilities equal ``TabICLClassifier(n_estimators=1)``'s (see the parity test).
"""

from __future__ import annotations

import functools

import torch

from sklearn_causalmix.backbones._base import BackboneLimits, TabularBackbone
from sklearn_causalmix.backbones.adapters._adapters import (
    cpu_state_dict, episode_tables, missing_extra, nanmean, nanstd,
)
from sklearn_causalmix.backbones.adapters._checkpoint import how_to_get_weights, load_checkpoint
from sklearn_causalmix.backbones.adapters._spec import BackboneSpec

__all__ = ["TabICLBackbone", "TabICLAdapter", "load_tabicl_backbone"]

ENV_VAR = "SKLEARN_CAUSALMIX_TABICL_WEIGHTS"
DEFAULT_CHECKPOINT = "tabicl-classifier-v2-20260212.ckpt"
_HF_REPO = "jingang/TabICL"
_HOW_TO_GET = how_to_get_weights(
    f"Download a checkpoint (e.g. {DEFAULT_CHECKPOINT}) from https://huggingface.co/{_HF_REPO}",
    spec="TabICLBackbone", example="path/to/file.ckpt", env_var=ENV_VAR,
)


def _import_tabicl():
    try:
        import tabicl  # noqa: F401
        from tabicl._model.tabicl import TabICL
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise missing_extra("TabICL", "tabicl") from exc
    return TabICL


def _download(checkpoint_version: str) -> str:
    """Path of ``checkpoint_version`` fetched from the Hugging Face Hub (needs internet)."""
    from huggingface_hub import hf_hub_download

    return hf_hub_download(repo_id=_HF_REPO, filename=checkpoint_version)


def tabicl_preprocess(X: torch.Tensor, n_context: int, categorical: torch.Tensor, outlier_threshold: float):
    """One episode's table as ``tabicl.TabICLClassifier`` feeds it to the network (see module docstring).

    Parameters
    ----------
    X : torch.Tensor of shape (n_rows, n_features)
        Context rows first, then query rows; NaN for missing; category codes in categorical columns.
    n_context : int
    categorical : torch.Tensor of shape (n_features,), bool
    outlier_threshold : float

    Returns
    -------
    X_out : torch.Tensor of shape (n_rows, n_kept)

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix.backbones.adapters._tabicl import tabicl_preprocess
    >>> X = torch.tensor([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [9.0, 5.0]], dtype=torch.float64)
    >>> tabicl_preprocess(X, 3, torch.tensor([False, False]), 4.0).shape  # constant column dropped
    torch.Size([4, 1])
    """
    categorical = categorical.to(X.device, torch.bool)
    order = torch.cat([torch.nonzero(categorical).flatten(), torch.nonzero(~categorical).flatten()])
    X, categorical = X[:, order], categorical[order]
    missing = torch.isnan(X)
    mean = nanmean(X[:n_context])
    X = torch.where(missing, torch.where(categorical, torch.full_like(X, -1.0), mean.expand_as(X)), X)

    ctx = X[:n_context]
    if n_context > 1:
        keep = (ctx != ctx[:1]).any(dim=0)
        if not bool(keep.any()):
            keep[0] = True
        X = X[:, keep]
        ctx = X[:n_context]

    mu = ctx.mean(dim=0)
    sd = ctx.std(dim=0, unbiased=False) + 1e-6
    X = ((X - mu) / sd).clamp(-100.0, 100.0)

    ctx = X[:n_context]
    ddof = 1 if n_context > 1 else 0
    mu = ctx.mean(dim=0)
    sd = nanstd(ctx, ddof).clamp_min(1e-6)
    outlier = (ctx < mu - outlier_threshold * sd) | (ctx > mu + outlier_threshold * sd)
    clean = torch.where(outlier, torch.full_like(ctx, float("nan")), ctx)
    mu, sd = nanmean(clean), nanstd(clean, ddof).clamp_min(1e-6)
    lower, upper = mu - outlier_threshold * sd, mu + outlier_threshold * sd
    X = torch.maximum(-torch.log1p(X.abs()) + lower, X)
    return torch.minimum(torch.log1p(X.abs()) + upper, X)


class TabICLAdapter(TabularBackbone):
    """The official TabICL network behind the backbone protocol.

    Preprocessing contract: see the module :mod:`sklearn_causalmix.backbones.adapters._tabicl`. Limits: the
    checkpoint's ``max_classes`` (10 for the released classifiers); no hard feature limit in the
    architecture (``max_features`` is a guard against accidental huge inputs); ``max_context_rows``
    from the spec.

    Parameters
    ----------
    model : tabicl TabICL module
    config : dict
        The checkpoint's configuration (written back by :meth:`save_checkpoint`).
    softmax_temperature : float, default=0.9
    outlier_threshold : float, default=4.0
    max_context_rows : int, default=10000
    max_features : int, default=2000

    Examples
    --------
    >>> import pytest
    >>> _ = pytest.importorskip("tabicl")  # needs the tabicl extra
    >>> import torch
    >>> from sklearn_causalmix.backbones.adapters._tabicl import TabICLAdapter, tiny_tabicl_config, _import_tabicl
    >>> config = tiny_tabicl_config()
    >>> adapter = TabICLAdapter(_import_tabicl()(**config), config).eval()
    >>> Xc, yc, Xq = torch.randn(1, 20, 3), torch.randint(0, 2, (1, 20)), torch.randn(1, 5, 3)
    >>> adapter(Xc, yc, Xq, n_classes=2).shape
    torch.Size([1, 5, 2])
    """

    def __init__(self, model, config, *, softmax_temperature=0.9, outlier_threshold=4.0,
                 max_context_rows=10_000, max_features=2000):
        super().__init__()
        self.model = model
        self.config = dict(config)
        self.softmax_temperature = float(softmax_temperature)
        self.outlier_threshold = float(outlier_threshold)
        self.limits = BackboneLimits(int(model.max_classes), int(max_features), int(max_context_rows))

    def _prepare(self, X_context, X_query, categorical_mask):
        B, n_context, _ = X_context.shape
        X, mask = episode_tables(torch.cat([X_context, X_query], dim=1), categorical_mask)
        return [tabicl_preprocess(X[b], n_context, mask[b], self.outlier_threshold) for b in range(B)]

    def _network(self, X, y_context, n_context, n_classes):
        y = y_context.to(X.device, torch.float32)
        # The training-mode paths of the official modules in both modes: the same computation as their
        # inference paths, without the inference manager's automatic batching, offloading and autocast.
        embeddings = self.model.col_embedder._train_forward(X, y)
        representations = self.model.row_interactor._train_forward(embeddings)
        logits = self.model.icl_predictor._icl_predictions(representations, y)
        return logits[:, n_context:, :n_classes]

    def forward(self, X_context, y_context, X_query, *, n_classes, categorical_mask=None):
        """Class logits of the query rows; see :meth:`TabularBackbone.forward`."""
        self._check_n_classes(n_classes, "TabICL checkpoint")
        n_context = X_context.shape[1]
        tables = self._prepare(X_context, X_query, categorical_mask)
        dtype = next(self.model.parameters()).dtype
        if len({t.shape[1] for t in tables}) == 1:
            out = self._network(torch.stack(tables).to(dtype), y_context, n_context, n_classes)
        else:  # episodes kept different numbers of columns: run them one by one
            out = torch.cat(
                [
                    self._network(t[None].to(dtype), y_context[b : b + 1], n_context, n_classes)
                    for b, t in enumerate(tables)
                ]
            )
        return out / self.softmax_temperature

    def save_checkpoint(self, path) -> None:
        """Write the (fine-tuned) weights in the official format, readable by ``tabicl.TabICLClassifier``.

        Parameters
        ----------
        path : str or Path
        """
        torch.save({"config": self.config, "state_dict": cpu_state_dict(self.model)}, path)


def tiny_tabicl_config(**overrides) -> dict:
    """A small TabICL configuration for tests and examples (random weights, fast on a CPU).

    Parameters
    ----------
    **overrides
        Replace entries of the configuration.

    Returns
    -------
    config : dict
        Keyword arguments of ``tabicl.TabICL``.

    Examples
    --------
    >>> from sklearn_causalmix.backbones.adapters._tabicl import tiny_tabicl_config
    >>> tiny_tabicl_config()["embed_dim"]
    16
    """
    config = dict(
        max_classes=10, embed_dim=16, col_num_blocks=1, col_nhead=2, col_num_inds=8,
        row_num_blocks=1, row_nhead=2, row_num_cls=2, icl_num_blocks=1, icl_nhead=2, ff_factor=2,
        zero_init=False,
    )
    config.update(overrides)
    return config


def load_tabicl_backbone(weights=None, *, allow_download=False, checkpoint_version=DEFAULT_CHECKPOINT,
                         softmax_temperature=0.9, outlier_threshold=4.0, max_context_rows=10_000):
    """A TabICL backbone from a local checkpoint (or, only when allowed, the official download).

    Parameters
    ----------
    weights : str or Path, default=None
        Path of a ``.ckpt`` file; None reads the environment variable ``SKLEARN_CAUSALMIX_TABICL_WEIGHTS``.
    allow_download : bool, default=False
        With no path: download ``checkpoint_version`` from the Hugging Face Hub through the official
        package's downloader (needs internet). Never done unless asked.
    checkpoint_version : str, default="tabicl-classifier-v2-20260212.ckpt"
    softmax_temperature, outlier_threshold : float
    max_context_rows : int

    Returns
    -------
    backbone : TabICLAdapter

    Raises
    ------
    ImportError
        Without the ``tabicl`` extra.
    FileNotFoundError
        With no weights and no permission to download: the message says how to get them.
    ValueError
        A file that is not a readable TabICL classifier checkpoint (e.g. a regression checkpoint).

    Examples
    --------
    >>> import pytest
    >>> _ = pytest.importorskip("tabicl")  # needs the tabicl extra
    >>> import pathlib, tempfile, torch
    >>> from sklearn_causalmix.backbones.adapters._tabicl import load_tabicl_backbone, tiny_tabicl_config
    >>> from sklearn_causalmix.backbones.adapters._tabicl import _import_tabicl
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.ckpt"
    >>> model = _import_tabicl()(**tiny_tabicl_config())
    >>> torch.save({"config": tiny_tabicl_config(), "state_dict": model.state_dict()}, path)
    >>> load_tabicl_backbone(path).limits.max_classes
    10
    """
    TabICL = _import_tabicl()
    path, checkpoint = load_checkpoint(
        weights, name="TabICL", env_var=ENV_VAR, how_to_get=_HOW_TO_GET,
        download=functools.partial(_download, checkpoint_version) if allow_download else None,
    )
    config = dict(checkpoint["config"])
    if int(config.get("max_classes", 10)) == 0:
        raise ValueError(f"{str(path)!r} is a TabICL regression checkpoint; use a classifier checkpoint.")
    model = TabICL(**config)
    model.load_state_dict(checkpoint["state_dict"])
    return TabICLAdapter(
        model.eval(), config, softmax_temperature=softmax_temperature, outlier_threshold=outlier_threshold,
        max_context_rows=max_context_rows,
    )


class TabICLBackbone(BackboneSpec):
    """TabICL from local weights: a clone-able backbone spec (``backbone=TabICLBackbone(weights=...)``).

    Parameters
    ----------
    weights : str or Path, default=None
        Local checkpoint; None reads the environment variable ``SKLEARN_CAUSALMIX_TABICL_WEIGHTS``.
    allow_download : bool, default=False
        Allow the official download from the Hugging Face Hub when no local weights are given.
    checkpoint_version : str, default="tabicl-classifier-v2-20260212.ckpt"
        Which checkpoint to download when allowed.
    softmax_temperature : float, default=0.9
        Logits are divided by it (the official default).
    outlier_threshold : float, default=4.0
        Outlier clipping threshold in context standard deviations (the official default).
    max_context_rows : int, default=10000
        Largest prediction context; larger training sets are subsampled (stratified).

    Attributes
    ----------
    env_var : str
        The environment variable read when ``weights`` is None (``"SKLEARN_CAUSALMIX_TABICL_WEIGHTS"``).

    Examples
    --------
    >>> from sklearn.base import clone
    >>> from sklearn_causalmix.backbones import TabICLBackbone, InContextClassifier
    >>> clf = InContextClassifier(backbone=TabICLBackbone(weights="tabicl.ckpt"))
    >>> clone(clf).get_params()["backbone__weights"]
    'tabicl.ckpt'
    """

    env_var = ENV_VAR

    def __init__(self, weights=None, *, allow_download=False, checkpoint_version=DEFAULT_CHECKPOINT,
                 softmax_temperature=0.9, outlier_threshold=4.0, max_context_rows=10_000):
        self.weights = weights
        self.allow_download = allow_download
        self.checkpoint_version = checkpoint_version
        self.softmax_temperature = softmax_temperature
        self.outlier_threshold = outlier_threshold
        self.max_context_rows = max_context_rows

    def build(self) -> TabICLAdapter:
        """A fresh :class:`TabICLAdapter` loaded from the weights."""
        return load_tabicl_backbone(**self.get_params(deep=False))
