"""Causal SCM data augmentation and synthetic-ratio fine-tuning of tabular foundation models.

The package follows the CausalMixFT recipe (Bühler, Purucker & Hutter, 2026): learn a causal graph of a
table, fit structural causal models (SCMs) on DAGs sampled from it, draw synthetic labelled rows, and
fine-tune a tabular foundation model on real rows mixed with a ``synthetic_ratio`` share of synthetic ones.

Public estimators are re-exported here; everything else lives in the stage sub-packages
:mod:`~sklearn_causalmix.augment`, :mod:`~sklearn_causalmix.backbones`, :mod:`~sklearn_causalmix.prior`,
:mod:`~sklearn_causalmix.finetune`, :mod:`~sklearn_causalmix.evaluation`,
:mod:`~sklearn_causalmix.datasets` and :mod:`~sklearn_causalmix.study`.
"""

__version__ = "0.2.0.dev0"

__all__ = ["CausalMixFTClassifier", "CausalSCMAugmenter", "InContextClassifier", "__version__"]

# Public estimators are imported on first use (PEP 562), so that ``import sklearn_causalmix.prior`` on a
# training machine does not pull in causal-learn and DoWhy.
_LAZY = {
    "CausalSCMAugmenter": "sklearn_causalmix.augment",
    "CausalMixFTClassifier": "sklearn_causalmix.finetune",
    "InContextClassifier": "sklearn_causalmix.backbones",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sklearn_causalmix' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
