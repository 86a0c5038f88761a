"""The embedded pretrained backbone that ships inside the package (``backbone="default"``)."""

from __future__ import annotations

from sklearn_causalmix.backbones.embedded._weights import EMBEDDED_WEIGHTS, load_weights

__all__ = ["load_default_backbone"]


def load_default_backbone(weights=None, *, device="cpu"):
    """The embedded pretrained model, loaded from the package (no network), sha256-checked.

    Parameters
    ----------
    weights : str or Path, default=None
        A manifest written by ``causalmix pretrain`` to use instead of the shipped weights.
    device : str or torch.device, default="cpu"

    Returns
    -------
    model : RowPFN or CausalMixPFN
        A fresh copy in eval mode; its ``manifest`` attribute describes how it was pretrained.

    Examples
    --------
    >>> from sklearn_causalmix.backbones import load_default_backbone
    >>> model = load_default_backbone()
    >>> model.manifest["format"]
    'sklearn-causalmix/rowpfn-v1'
    """
    return load_weights(EMBEDDED_WEIGHTS if weights is None else weights, device=device)
