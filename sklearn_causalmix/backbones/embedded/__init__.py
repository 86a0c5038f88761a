"""The embedded models: the two in-context architectures, their preprocessing, and the shipped weights.

:class:`~sklearn_causalmix.backbones.RowPFN` (one token per row, the shipped model) and
:class:`~sklearn_causalmix.backbones.CausalMixPFN` (one token per cell) share ``_pfn_base`` and the cell
encoding of ``_preprocess``; ``_weights`` reads and writes safetensors + manifest pairs, and
``weights/`` holds the pretrained pair that ``backbone="default"`` loads (``_embedded``). This is a floor
plan, not a namespace of its own: import these names from :mod:`sklearn_causalmix.backbones`.
"""

from sklearn_causalmix.backbones.embedded._embedded import load_default_backbone
from sklearn_causalmix.backbones.embedded._pfn import RECIPE_V2, CausalMixPFN, PFNConfig
from sklearn_causalmix.backbones.embedded._rowpfn import RowPFN, RowPFNConfig
from sklearn_causalmix.backbones.embedded._weights import (
    EMBEDDED_WEIGHTS,
    WeightsChecksumError,
    build_model,
    file_sha256,
    load_weights,
    save_weights,
)

__all__ = [
    "EMBEDDED_WEIGHTS",
    "RECIPE_V2",
    "CausalMixPFN",
    "PFNConfig",
    "RowPFN",
    "RowPFNConfig",
    "WeightsChecksumError",
    "build_model",
    "file_sha256",
    "load_default_backbone",
    "load_weights",
    "save_weights",
]
