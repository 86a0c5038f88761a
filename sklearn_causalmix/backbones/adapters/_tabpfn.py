"""TabPFN v2 (Hollmann et al., Nature 2025; PriorLabs/TabPFN) as a backbone, from local weights.

Only the **v2** weights are supported: they are released under the Prior Labs licence (based on Apache 2.0,
with an attribution requirement, "Built with TabPFN"). Later TabPFN weights (v2.5 and up) are
non-commercial and gated; loading one raises an error.

The network is the official ``tabpfn`` v2 architecture, built offline from the configuration stored in the
checkpoint (the ``.ckpt`` released on the Hugging Face Hub, or a safetensors file written by ``tabpfn``).
The network itself removes constant columns, imputes and flags missing values, scales every column with the
context statistics and densifies the context labels. Outside the network, ``tabpfn.TabPFNClassifier``
applies per ensemble member a preprocessing pipeline; this adapter reproduces, in torch and from the context
rows of each episode, the pipeline of the configuration :func:`parity_inference_config`:

1. columns constant over the context (or missing everywhere in it) are dropped (all are kept when every
   column is constant: the network then predicts from the context labels; ``tabpfn`` refuses such tables);
2. categorical columns — ours, and numeric columns with fewer than 4 distinct context values when the
   context has more than 100 rows, as ``tabpfn`` infers them — are moved before the numeric ones;
3. in a column whose observed context values are all equal (possible with missing context values), query
   values are set to that value: the network's per-group scaling is fitted on context and query rows, so
   they would otherwise change each other's predictions (``tabpfn`` keeps them);
4. numeric columns are softly clipped at ``outlier_removal_std`` (12) context standard deviations after a
   second, outlier-free estimate (as ``tabpfn``'s soft outlier clipping); categorical codes are left as
   they are;
5. the logits are divided by the checkpoint's softmax temperature (0.9 for v2).

It does **not** reproduce the quantile transform, SVD features and row fingerprint of the first member of
the official default ensemble, so zero-shot numbers equal ``TabPFNClassifier(n_estimators=1,
inference_config=parity_inference_config(), inference_precision=torch.float32)`` (see the parity test), not
the default estimator's. The adapter runs in float32; ``tabpfn``'s ``inference_precision="auto"`` autocasts
to bfloat16 on CPU, which moves probabilities by up to ~1e-2.

The network maps the context labels to ``0 .. k-1`` by rank, so a class absent from an episode's context has
no output; its logit is set 10 below the smallest logit of the present classes (finite loss in fine-tuning).
"""

from __future__ import annotations

import torch

from sklearn_causalmix.backbones._base import BackboneLimits, EncodedContext, TabularBackbone
from sklearn_causalmix.backbones.adapters._adapters import cpu_state_dict, episode_tables, missing_extra
from sklearn_causalmix.backbones.adapters._checkpoint import how_to_get_weights, load_checkpoint
from sklearn_causalmix.backbones.adapters._spec import BackboneSpec
from sklearn_causalmix.backbones.adapters._tabpfn_preprocess import (
    apply_context_stats, fit_context_stats, tabpfn_preprocess,
)

__all__ = ["TabPFNV2Backbone", "TabPFNV2Adapter", "load_tabpfn_v2_backbone", "parity_inference_config"]

ENV_VAR = "SKLEARN_CAUSALMIX_TABPFN_V2_WEIGHTS"
DEFAULT_CHECKPOINT = "tabpfn-v2-classifier.ckpt"
_ABSENT_CLASS_MARGIN = 10.0
_HOW_TO_GET = how_to_get_weights(
    f"Download {DEFAULT_CHECKPOINT} from https://huggingface.co/Prior-Labs/TabPFN-v2-clf (accept the Prior "
    "Labs licence)",
    spec="TabPFNV2Backbone", example=f"path/to/{DEFAULT_CHECKPOINT}", env_var=ENV_VAR,
)


def _import_tabpfn():
    try:
        from tabpfn.architectures import tabpfn_v2
        from tabpfn.checkpoint import Checkpoint
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise missing_extra("TabPFN v2", "tabpfn") from exc
    return tabpfn_v2, Checkpoint


def _download():
    """Path of the v2 classifier in ``tabpfn``'s cache, downloaded by ``tabpfn`` if absent (needs internet)."""
    from tabpfn.constants import ModelVersion
    from tabpfn.model_loading import download_model, get_cache_dir

    path = get_cache_dir() / DEFAULT_CHECKPOINT
    if not path.exists():
        result = download_model(path, version=ModelVersion.V2, which="classifier", model_name=DEFAULT_CHECKPOINT)
        if result != "ok":
            raise RuntimeError(f"The TabPFN v2 download failed: {result}. {_HOW_TO_GET}")
    return path


def parity_inference_config() -> dict:
    """The ``inference_config`` under which ``tabpfn.TabPFNClassifier`` preprocesses like this adapter.

    Returns
    -------
    config : dict
        Pass it as ``TabPFNClassifier(n_estimators=1, inference_config=...,
        inference_precision=torch.float32)``.

    Examples
    --------
    >>> import pytest
    >>> _ = pytest.importorskip("tabpfn")  # needs the tabpfn extra
    >>> from sklearn_causalmix.backbones.adapters._tabpfn import parity_inference_config
    >>> parity_inference_config()["FINGERPRINT_FEATURE"]
    False
    """
    from tabpfn.preprocessing import PreprocessorConfig

    return {
        "PREPROCESS_TRANSFORMS": [PreprocessorConfig("none", categorical_name="numeric")],
        "FINGERPRINT_FEATURE": False,
        "FEATURE_SHIFT_METHOD": None,
        "CLASS_SHIFT_METHOD": None,
        "POLYNOMIAL_FEATURES": "no",
        "OUTLIER_REMOVAL_STD": 12.0,
    }


class TabPFNV2Adapter(TabularBackbone):
    """The official TabPFN v2 network behind the backbone protocol.

    Preprocessing contract: see the module :mod:`sklearn_causalmix.backbones.adapters._tabpfn`. Limits: the
    checkpoint's number of outputs (10 classes for the released v2 classifier), 500 features and 10,000
    context rows (what v2 was pretrained for; ``max_context_rows`` can be changed on the spec).

    Parameters
    ----------
    model : tabpfn ``TabPFNV2`` module
    checkpoint : dict
        ``config`` and ``architecture_name`` of the checkpoint (written back by :meth:`save_checkpoint`).
    softmax_temperature : float, default=0.9
    outlier_removal_std : float or None, default=12.0
    max_context_rows : int, default=10000
    max_features : int, default=500

    Examples
    --------
    >>> import pytest
    >>> _ = pytest.importorskip("tabpfn")  # needs the tabpfn extra
    >>> import torch
    >>> from sklearn_causalmix.backbones.adapters._tabpfn import TabPFNV2Adapter, tiny_tabpfn_v2_model
    >>> model, checkpoint = tiny_tabpfn_v2_model()
    >>> adapter = TabPFNV2Adapter(model, checkpoint).eval()
    >>> Xc, yc, Xq = torch.randn(1, 20, 3), torch.randint(0, 2, (1, 20)), torch.randn(1, 5, 3)
    >>> adapter(Xc, yc, Xq, n_classes=2).shape
    torch.Size([1, 5, 2])
    """

    def __init__(self, model, checkpoint, *, softmax_temperature=0.9, outlier_removal_std=12.0,
                 max_context_rows=10_000, max_features=500):
        super().__init__()
        self.model = model
        self.checkpoint = {k: v for k, v in checkpoint.items() if k != "state_dict"}
        self.softmax_temperature = float(softmax_temperature)
        self.outlier_removal_std = outlier_removal_std
        self.limits = BackboneLimits(int(model.n_out), int(max_features), int(max_context_rows))

    def _to_classes(self, out, y_context, n_classes):
        """Network outputs ``(n_query, n_out)`` -> class logits: output j is the j-th smallest context label."""
        present = torch.unique(y_context.long())
        dense = out.float()[:, : len(present)]
        if len(present) == n_classes:
            return dense
        fill = dense.min(dim=-1, keepdim=True).values - _ABSENT_CLASS_MARGIN
        logits = fill.expand(-1, n_classes).clone()
        logits[:, present.to(logits.device)] = dense
        return logits

    def _episode(self, X, y_context, n_classes):
        # X: (n_rows, F) preprocessed, context rows first; y_context: (n_context,) class codes
        dtype = next(self.model.parameters()).dtype
        out = self.model(X[:, None].to(dtype), y_context[:, None].to(dtype))  # (n_query, 1, n_out)
        return self._to_classes(out[:, 0], y_context, n_classes)

    def forward(self, X_context, y_context, X_query, *, n_classes, categorical_mask=None):
        """Class logits of the query rows; see :meth:`TabularBackbone.forward`."""
        self._check_n_classes(n_classes, "TabPFN checkpoint")
        n_context = X_context.shape[1]
        X, mask = episode_tables(torch.cat([X_context, X_query], dim=1), categorical_mask)
        out = [
            self._episode(tabpfn_preprocess(X[b], n_context, mask[b], self.outlier_removal_std), y_context[b],
                          n_classes)
            for b in range(X.shape[0])
        ]
        return torch.stack(out) / self.softmax_temperature

    @torch.no_grad()
    def encode_context(self, X_context, y_context, *, n_classes, categorical_mask=None) -> EncodedContext:
        """The official key/value cache of every layer for the context rows, with their preprocessing.

        Equals :meth:`forward` (whose preprocessing makes every query row independent of the others).

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
        self._check_n_classes(n_classes, "TabPFN checkpoint")
        X, mask = episode_tables(X_context, categorical_mask)
        dtype = next(self.model.parameters()).dtype
        state = []
        for b in range(X.shape[0]):
            stats = fit_context_stats(X[b], mask[b], self.outlier_removal_std)
            Xb = apply_context_stats(X[b], stats)[:, None].to(dtype)
            _, cache = self.model(Xb, y_context[b][:, None].to(dtype), return_kv_cache=True)
            state.append((stats, cache, y_context[b].clone()))
        return EncodedContext(n_classes, categorical_mask, inputs=None, state=state)

    @torch.no_grad()
    def predict_queries(self, context: EncodedContext, X_query) -> torch.Tensor:
        """Class logits of query rows against :meth:`encode_context`'s cache.

        Parameters
        ----------
        context : EncodedContext
        X_query : torch.Tensor of shape (B, n_query, n_features)

        Returns
        -------
        logits : torch.Tensor of shape (B, n_query, n_classes)
        """
        X, _ = episode_tables(X_query, None)
        dtype = next(self.model.parameters()).dtype
        out = []
        for b, (stats, cache, y_context) in enumerate(context.state):
            Xb = apply_context_stats(X[b], stats)[:, None].to(dtype)
            raw = self.model(Xb, None, kv_cache=cache, x_is_test_only=True)
            out.append(self._to_classes(raw[:, 0], y_context, context.n_classes))
        return torch.stack(out) / self.softmax_temperature

    def save_checkpoint(self, path) -> None:
        """Write the (fine-tuned) weights as a checkpoint that ``tabpfn.TabPFNClassifier(model_path=...)`` loads.

        Parameters
        ----------
        path : str or Path
        """
        torch.save({**self.checkpoint, "state_dict": cpu_state_dict(self.model)}, path)


def tiny_tabpfn_v2_model(seed=0, **overrides):
    """A small random-weight TabPFN v2 network and its checkpoint metadata, for tests and examples.

    Parameters
    ----------
    seed : int, default=0
        Seed of the random weights.
    **overrides
        Fields of ``tabpfn``'s ``TabPFNV2Config``.

    Returns
    -------
    model : tabpfn ``TabPFNV2`` module
    checkpoint : dict
        ``config`` and ``architecture_name`` entries, to save with ``state_dict``.

    Examples
    --------
    >>> import pytest
    >>> _ = pytest.importorskip("tabpfn")  # needs the tabpfn extra
    >>> from sklearn_causalmix.backbones.adapters._tabpfn import tiny_tabpfn_v2_model
    >>> model, checkpoint = tiny_tabpfn_v2_model()
    >>> checkpoint["architecture_name"]
    'tabpfn_v2'
    """
    import dataclasses

    tabpfn_v2, _ = _import_tabpfn()
    fields = dict(emsize=16, nlayers=1, nhead=2, features_per_group=2, max_num_classes=10)
    fields.update(overrides)
    config = tabpfn_v2.TabPFNV2Config(**fields)
    model = tabpfn_v2.get_architecture(config)
    # The architecture zero-initialises its residual output projections, which makes a fresh network
    # predict the same for every row; redraw every parameter so that tests see row-dependent outputs.
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    return model, {"config": dataclasses.asdict(config), "architecture_name": "tabpfn_v2"}


def load_tabpfn_v2_backbone(weights=None, *, allow_download=False, softmax_temperature=None,
                            outlier_removal_std=12.0, max_context_rows=10_000):
    """A TabPFN v2 backbone from a local checkpoint (or, only when allowed, the official download).

    Parameters
    ----------
    weights : str or Path, default=None
        A v2 classifier checkpoint (``.ckpt`` or ``.safetensors``); None reads the environment variable
        ``SKLEARN_CAUSALMIX_TABPFN_V2_WEIGHTS``.
    allow_download : bool, default=False
        With no path: download the v2 classifier through ``tabpfn``'s own downloader (needs internet and
        the licence accepted on the Hub). Never done unless asked.
    softmax_temperature : float, default=None
        None uses the checkpoint's (0.9 for v2).
    outlier_removal_std : float or None, default=12.0
    max_context_rows : int, default=10000

    Returns
    -------
    backbone : TabPFNV2Adapter

    Raises
    ------
    ImportError
        Without the ``tabpfn`` extra.
    FileNotFoundError
        With no weights and no permission to download: the message says how to get them.
    ValueError
        A checkpoint of another architecture (v2.5 and later, under a non-commercial licence) or a
        regression checkpoint.

    Examples
    --------
    >>> import pytest
    >>> _ = pytest.importorskip("tabpfn")  # needs the tabpfn extra
    >>> import pathlib, tempfile, torch
    >>> from sklearn_causalmix.backbones.adapters._tabpfn import load_tabpfn_v2_backbone, tiny_tabpfn_v2_model
    >>> model, checkpoint = tiny_tabpfn_v2_model()
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.ckpt"
    >>> torch.save({**checkpoint, "state_dict": model.state_dict()}, path)
    >>> load_tabpfn_v2_backbone(path).limits.max_classes
    10
    """
    tabpfn_v2, Checkpoint = _import_tabpfn()
    path, checkpoint = load_checkpoint(  # a .ckpt (torch) or .safetensors file, as tabpfn reads them
        weights, name="TabPFN v2", env_var=ENV_VAR, how_to_get=_HOW_TO_GET,
        download=_download if allow_download else None, read=lambda path: Checkpoint(path).load(),
    )
    architecture = checkpoint.get("architecture_name", "tabpfn_v2")
    if architecture != "tabpfn_v2":
        raise ValueError(
            f"{str(path)!r} holds the TabPFN architecture {architecture!r}; only TabPFN v2 weights are "
            "supported (later TabPFN weights carry a non-commercial licence and are not supported here)."
        )
    config, _ = tabpfn_v2.parse_config(checkpoint["config"])
    if config.max_num_classes < 2:
        raise ValueError(f"{str(path)!r} is not a TabPFN classifier checkpoint (no classification head).")
    model = tabpfn_v2.get_architecture(config)
    state = {k: v for k, v in checkpoint["state_dict"].items() if not k.startswith("criterion.")}
    model.load_state_dict(state)
    if softmax_temperature is None:
        softmax_temperature = (checkpoint.get("inference_config") or {}).get("SOFTMAX_TEMPERATURE", 0.9)
    meta = {"config": checkpoint["config"], "architecture_name": "tabpfn_v2"}
    return TabPFNV2Adapter(
        model.eval(), meta, softmax_temperature=softmax_temperature, outlier_removal_std=outlier_removal_std,
        max_context_rows=max_context_rows,
    )


class TabPFNV2Backbone(BackboneSpec):
    """TabPFN v2 from local weights: a clone-able backbone spec (``backbone=TabPFNV2Backbone(weights=...)``).

    Parameters
    ----------
    weights : str or Path, default=None
        Local v2 classifier checkpoint; None reads the environment variable
        ``SKLEARN_CAUSALMIX_TABPFN_V2_WEIGHTS``.
    allow_download : bool, default=False
        Allow ``tabpfn``'s own download when no local weights are given.
    softmax_temperature : float, default=None
        None uses the checkpoint's (0.9 for v2).
    outlier_removal_std : float or None, default=12.0
        Soft outlier clipping threshold (the official classification default).
    max_context_rows : int, default=10000
        Largest prediction context; larger training sets are subsampled (stratified).

    Attributes
    ----------
    env_var : str
        The environment variable read when ``weights`` is None (``"SKLEARN_CAUSALMIX_TABPFN_V2_WEIGHTS"``).

    Examples
    --------
    >>> from sklearn.base import clone
    >>> from sklearn_causalmix import CausalMixFTClassifier
    >>> from sklearn_causalmix.backbones import TabPFNV2Backbone
    >>> clf = CausalMixFTClassifier(backbone=TabPFNV2Backbone(weights="tabpfn-v2-classifier.ckpt"))
    >>> clone(clf).get_params()["backbone__weights"]
    'tabpfn-v2-classifier.ckpt'
    """

    env_var = ENV_VAR

    def __init__(self, weights=None, *, allow_download=False, softmax_temperature=None,
                 outlier_removal_std=12.0, max_context_rows=10_000):
        self.weights = weights
        self.allow_download = allow_download
        self.softmax_temperature = softmax_temperature
        self.outlier_removal_std = outlier_removal_std
        self.max_context_rows = max_context_rows

    def build(self) -> TabPFNV2Adapter:
        """A fresh :class:`TabPFNV2Adapter` loaded from the weights."""
        return load_tabpfn_v2_backbone(**self.get_params(deep=False))
