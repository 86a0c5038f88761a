"""Causal data augmentation.

Causal discovery (PC / FCI on bootstrap resamples) gives edge probabilities, DAGs are sampled from
them, one structural causal model is fitted per DAG, and synthetic labelled rows are drawn from the
models: :class:`CausalSCMAugmenter`.
"""

from sklearn_causalmix.augment._augmenter import CausalSCMAugmenter

__all__ = ["CausalSCMAugmenter"]
