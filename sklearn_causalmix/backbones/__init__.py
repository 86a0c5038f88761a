"""Backbones: the protocol every tabular foundation model implements, the embedded model, and adapters.

``"default"`` is the embedded pretrained model (a :class:`RowPFN` or a :class:`CausalMixPFN`, as its manifest
says), whose weights ship inside the package. The runtime that runs a backbone in context
(:class:`InContextEnsemble`, :func:`subsample_context`, local contexts, devices, out-of-memory handling) is public here too:
fine-tuning and pretraining use it through these names, never through the private modules.

Floor plan: the protocol, the registry and the runtime sit at the top (``_base``, ``_inference``,
``_members``, ``_memory``, ``_device``, and the zero-shot ``_classifier``); ``embedded/`` holds the two
embedded architectures with their preprocessing and shipped weights, ``adapters/`` the third-party networks.
Every public name is imported from here; the sub-packages are not namespaces of their own.
"""

from sklearn_causalmix._core import get_thread_policy, set_thread_policy, thread_policy
from sklearn_causalmix.backbones._base import (
    BackboneLimits,
    EncodedContext,
    TabularBackbone,
    get_backbone,
    list_backbones,
    register_backbone,
)
from sklearn_causalmix.backbones._classifier import InContextClassifier
from sklearn_causalmix.backbones._device import cpu_state, resolve_device
from sklearn_causalmix.backbones._inference import InContextEnsemble
from sklearn_causalmix.backbones._local import (
    LocalContexts,
    LocalEnsemble,
    nearest_rows,
    neighbour_space,
    split_context,
)
from sklearn_causalmix.backbones._members import subsample_context
from sklearn_causalmix.backbones._memory import free_accelerator_memory, is_out_of_memory
from sklearn_causalmix.backbones.adapters import (
    TabICLBackbone,
    TabPFNV2Backbone,
    load_tabicl_backbone,
    load_tabpfn_v2_backbone,
)
from sklearn_causalmix.backbones.embedded import (
    EMBEDDED_WEIGHTS,
    RECIPE_V2,
    CausalMixPFN,
    PFNConfig,
    RowPFN,
    RowPFNConfig,
    WeightsChecksumError,
    build_model,
    file_sha256,
    load_default_backbone,
    load_weights,
    save_weights,
)

register_backbone("default", load_default_backbone)
# Adapters: weights from a local path (or the documented environment variable); the optional packages
# are imported only when the backbone is built.
register_backbone("tabicl", load_tabicl_backbone)
register_backbone("tabpfn-v2", load_tabpfn_v2_backbone)

# Module-level data, documented here where the API reference reads them (``#:`` comments).
#: Path of the manifest of the weights shipped inside the package (``load_weights(EMBEDDED_WEIGHTS)``).
EMBEDDED_WEIGHTS = EMBEDDED_WEIGHTS
#: The :class:`PFNConfig` options of the per-cell model's second recipe (the pretraining speedrun's changes),
#: kept to describe and load weights trained with it.
RECIPE_V2 = RECIPE_V2

__all__ = [
    "EMBEDDED_WEIGHTS",
    "RECIPE_V2",
    "InContextEnsemble",
    "LocalContexts",
    "LocalEnsemble",
    "nearest_rows",
    "neighbour_space",
    "split_context",
    "cpu_state",
    "free_accelerator_memory",
    "is_out_of_memory",
    "subsample_context",
    "TabICLBackbone",
    "TabPFNV2Backbone",
    "load_tabicl_backbone",
    "load_tabpfn_v2_backbone",
    "BackboneLimits",
    "EncodedContext",
    "TabularBackbone",
    "CausalMixPFN",
    "InContextClassifier",
    "PFNConfig",
    "RowPFN",
    "RowPFNConfig",
    "WeightsChecksumError",
    "get_backbone",
    "list_backbones",
    "register_backbone",
    "load_default_backbone",
    "load_weights",
    "build_model",
    "save_weights",
    "file_sha256",
    "resolve_device",
    "get_thread_policy",
    "set_thread_policy",
    "thread_policy",
]
