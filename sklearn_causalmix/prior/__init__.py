"""The synthetic-SCM prior, the pretraining of the embedded model, and its real-table validation suite."""

from sklearn_causalmix.prior._heldout import episode_loss, prior_validation_auc
from sklearn_causalmix.prior._pretrain import RECIPES, pretrain
from sklearn_causalmix.prior._scm_prior import PRIOR_VERSION, PriorBatch, PriorConfig, SCMPrior
from sklearn_causalmix.prior._validation import ValidationSuite

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
