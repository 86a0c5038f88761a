"""Adapters of third-party tabular foundation models (TabICL, TabPFN v2), run from local weights.

Each adapter wraps the official network behind the backbone protocol and reimplements, in torch, the
preprocessing its official estimator applies outside the network; a clone-able spec
(:class:`~sklearn_causalmix.backbones.TabICLBackbone`, :class:`~sklearn_causalmix.backbones.TabPFNV2Backbone`)
builds it. ``_checkpoint`` finds and reads the checkpoints, ``_adapters`` holds the tensor helpers both
share. This is a floor plan, not a namespace of its own: import these names from
:mod:`sklearn_causalmix.backbones`.
"""

from sklearn_causalmix.backbones.adapters._checkpoint import load_checkpoint
from sklearn_causalmix.backbones.adapters._spec import BackboneSpec
from sklearn_causalmix.backbones.adapters._tabicl import TabICLAdapter, TabICLBackbone, load_tabicl_backbone
from sklearn_causalmix.backbones.adapters._tabpfn import (
    TabPFNV2Adapter,
    TabPFNV2Backbone,
    load_tabpfn_v2_backbone,
    parity_inference_config,
)

__all__ = [
    "BackboneSpec",
    "TabICLAdapter",
    "TabICLBackbone",
    "TabPFNV2Adapter",
    "TabPFNV2Backbone",
    "load_checkpoint",
    "load_tabicl_backbone",
    "load_tabpfn_v2_backbone",
    "parity_inference_config",
]
