"""Fine-tuning of a backbone on real rows mixed with a ``synthetic_ratio`` share of synthetic rows.

Episodes that mix real and synthetic rows (``_episodes``), the training loop with early stopping and history
(``_loop``), the cached synthetic pool (``_cache``) and the estimator :class:`CausalMixFTClassifier`.
"""

from sklearn_causalmix.finetune._classifier import CausalMixFTClassifier

__all__ = ["CausalMixFTClassifier"]
