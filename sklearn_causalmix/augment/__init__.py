"""Causal data augmentation, and the comparison generators that share its protocol.

Causal discovery (PC / FCI on bootstrap resamples) gives edge probabilities, DAGs are sampled from
them, one structural causal model is fitted per DAG, and synthetic labelled rows are drawn from the
models: :class:`CausalSCMAugmenter`. :class:`NoiseAugmenter`, :class:`SMOTEAugmenter`,
:class:`GaussianCopulaAugmenter` and :class:`CTGANAugmenter` (``compare`` extra) offer the same
``fit`` / ``sample`` / ``fit_resample`` contract, so any of them can be passed as
``CausalMixFTClassifier(augmenter=...)``. Two controls say whether the *causal* graph matters:
:class:`RandomGraphSCMAugmenter` (the same SCMs on random graphs with as many edges) and
:class:`IndependenceAugmenter` (every column drawn from its marginal, all dependence destroyed).
:class:`InterventionalAugmenter` draws rows under interventions of a fitted augmenter.
"""

from sklearn_causalmix.augment._augmenter import CausalSCMAugmenter
from sklearn_causalmix.augment._copula import GaussianCopulaAugmenter
from sklearn_causalmix.augment._ctgan import CTGANAugmenter
from sklearn_causalmix.augment._interventional import InterventionalAugmenter
from sklearn_causalmix.augment._marginal import IndependenceAugmenter
from sklearn_causalmix.augment._noise import NoiseAugmenter
from sklearn_causalmix.augment._random_graph import RandomGraphSCMAugmenter
from sklearn_causalmix.augment._smote import SMOTEAugmenter

__all__ = [
    "CausalSCMAugmenter",
    "NoiseAugmenter",
    "SMOTEAugmenter",
    "GaussianCopulaAugmenter",
    "CTGANAugmenter",
    "RandomGraphSCMAugmenter",
    "IndependenceAugmenter",
    "InterventionalAugmenter",
]
