"""The synthetic-SCM prior and the pretraining of the embedded model."""

from sklearn_causalmix.prior._pretrain import episode_loss, pretrain, prior_validation_auc
from sklearn_causalmix.prior._scm_prior import PRIOR_VERSION, PriorBatch, PriorConfig, SCMPrior

__all__ = ["PRIOR_VERSION", "PriorConfig", "PriorBatch", "SCMPrior", "pretrain", "episode_loss", "prior_validation_auc"]
