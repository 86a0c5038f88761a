"""The synthetic-SCM prior, the pretraining of the embedded model, and its real-table validation suite."""

from sklearn_causalmix.prior._heldout import episode_loss, prior_validation_auc
from sklearn_causalmix.prior._pretrain import RECIPES, pretrain
from sklearn_causalmix.prior._scm_prior import PRIOR_VERSION, PriorBatch, PriorConfig, SCMPrior
from sklearn_causalmix.prior._validation import ValidationSuite

# Module-level data, documented here where the API reference reads them (``#:`` comments).
#: Version of the synthetic SCM prior, recorded in every weights manifest (bumped whenever the generating
#: process changes).
PRIOR_VERSION = PRIOR_VERSION
#: The pretraining recipes of :func:`pretrain`: name -> architecture config class, optimiser, peak learning
#: rate and gradient clipping (``"row"``: the shipped :class:`~sklearn_causalmix.backbones.RowPFN`).
RECIPES = RECIPES

__all__ = [
    "PRIOR_VERSION",
    "RECIPES",
    "PriorConfig",
    "PriorBatch",
    "SCMPrior",
    "ValidationSuite",
    "pretrain",
    "episode_loss",
    "prior_validation_auc",
]
