"""The TabICL prior (``tabicl.prior``, MLP-SCM tasks) as a source of pretraining batches.

An optional dependency (``pip install "sklearn-causalmix[pretrain]"``), imported lazily. TabICL's generator
draws from NumPy's and torch's global random state; each batch is drawn inside the package's process-state
guard (:func:`~sklearn_causalmix._core.third_party_state`) with that state seeded from the run's seed and step
and restored afterwards, its progress output silenced, so a batch depends only on ``(seed, step)`` (which makes
resumed runs exact) and the caller's global state is left as it was.
"""

from __future__ import annotations

import torch

from sklearn_causalmix._core import third_party_state
from sklearn_causalmix.prior._scm_prior import PriorBatch

__all__ = ["TabICLPrior"]


class TabICLPrior:
    """Batches of TabICL ``mlp_scm`` tasks shaped like :class:`~sklearn_causalmix.prior.PriorBatch`.

    Parameters
    ----------
    batch_size : int, default=2
        Tasks per batch (they share rows and features).
    min_rows, max_rows : int, default=256, 1024
        Rows per task (context + query).
    max_features : int, default=16
    max_classes : int, default=10
    prior_type : str, default="mlp_scm"
        ``"mix_scm"`` and ``"tree_scm"`` also need ``xgboost``.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("tabicl")
    >>> from sklearn_causalmix.prior._tabicl_prior import TabICLPrior
    >>> batch = TabICLPrior(min_rows=64, max_rows=96, max_features=4).sample(seed=0)
    >>> batch.X.shape[0], 64 <= batch.X.shape[1] <= 96
    (2, True)
    """

    def __init__(self, batch_size=2, *, min_rows=256, max_rows=1024, max_features=16, max_classes=10,
                 prior_type="mlp_scm"):
        try:
            from tabicl.prior import PriorDataset
        except ImportError as exc:
            raise ImportError(
                "The TabICL prior needs the `tabicl` package: pip install \"sklearn-causalmix[pretrain]\"."
            ) from exc
        self._dataset = PriorDataset(
            batch_size=batch_size, batch_size_per_gp=batch_size, min_features=2, max_features=max_features,
            max_classes=max_classes, min_seq_len=min_rows, max_seq_len=max(max_rows, min_rows + 1), prior_type=prior_type,
            n_jobs=1, num_threads_per_generate=1, device="cpu",
        )

    def sample(self, seed: int) -> PriorBatch:
        """One batch, fixed by ``seed``.

        Parameters
        ----------
        seed : int

        Returns
        -------
        batch : PriorBatch
            Features truncated to the narrowest task of the batch; no categorical columns.
        """
        with third_party_state(seed, torch_seed=True, silence=True):
            X, y, d, _, train_sizes = self._dataset.get_batch()
        n_features = int(d.min())
        y = y.long()
        n_classes = max(2, int(y.max()) + 1)
        n_context = int(train_sizes.min())
        return PriorBatch(
            X=X[..., :n_features].float(), y=y, n_context=n_context, n_classes=n_classes,
            categorical_mask=torch.zeros(n_features, dtype=torch.bool),
        )
