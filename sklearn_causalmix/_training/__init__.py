"""The training core: what pretraining (:mod:`sklearn_causalmix.prior`) and fine-tuning
(:mod:`sklearn_causalmix.finetune`) share.

One episode type (:class:`Episode`), one loss (:func:`query_loss`), one autocast, one optimiser wrapper
(:class:`Optimizers`: AdamW, or Muon + AdamW groups, gradient clipping) and one step (:func:`train_step`);
and the small pieces a loop is made of: :class:`Budget`, :class:`StopRequests`, :class:`BestState`,
:class:`WeightAverage` (LAWA), the atomic checkpoint and memory helpers; and data parallelism over processes
(:class:`DataParallel`, :func:`data_parallel`: micro-batches shared out over ranks, gradients summed). Both
loops are short loops over these.
"""

from sklearn_causalmix._training._run import (
    CHECKPOINT_NAME,
    BestState,
    Budget,
    StopRequests,
    WeightAverage,
    load_checkpoint,
    release_freed_memory,
    rss_mb,
    save_checkpoint,
    snapshot,
)
from sklearn_causalmix._training._distributed import DataParallel, data_parallel, local_torchrun
from sklearn_causalmix._training._step import (
    Episode,
    L2SP,
    Optimizers,
    accumulate_gradients,
    autocast,
    parameter_groups,
    query_loss,
    train_step,
)

__all__ = [
    "CHECKPOINT_NAME",
    "BestState",
    "Budget",
    "DataParallel",
    "Episode",
    "L2SP",
    "Optimizers",
    "StopRequests",
    "WeightAverage",
    "accumulate_gradients",
    "autocast",
    "data_parallel",
    "load_checkpoint",
    "local_torchrun",
    "parameter_groups",
    "query_loss",
    "release_freed_memory",
    "rss_mb",
    "save_checkpoint",
    "snapshot",
    "train_step",
]
