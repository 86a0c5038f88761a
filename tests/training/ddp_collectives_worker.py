"""Run by torchrun with 2 processes: the collectives of ``DataParallel``; rank 0 writes what it saw as JSON."""

import json
import sys

import torch

from sklearn_causalmix._training import data_parallel


def main(path):
    with data_parallel("cpu") as ranks:
        torch.manual_seed(ranks.rank)  # different weights on every rank ...
        model = torch.nn.Linear(3, 2)
        ranks.broadcast_module(model)  # ... until rank 0's are broadcast
        weights = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).tolist()
        if ranks.rank == 0:  # rank 1 has no micro-batch: no gradient at all
            model(torch.ones(1, 3)).sum().backward()
        sums = ranks.sum_gradients(model.parameters(), [1.0 + ranks.rank, 10.0])
        grads = [p.grad.tolist() for p in model.parameters()]
        stop_by_1, _ = ranks.agree(ranks.rank == 1, 0.0)
        stop_none, value = ranks.agree(False, 0.25 if ranks.is_main else 0.75)
        everyone = ranks.broadcast_object({"from": ranks.rank})
        result = {"rank": ranks.rank, "world_size": ranks.world_size, "weights": weights, "sums": sums,
                  "grads": grads, "stop_by_1": stop_by_1, "stop_none": stop_none, "value": value,
                  "object": everyone, "shard": list(ranks.shard(5))}
        gathered = [None, None]
        torch.distributed.all_gather_object(gathered, result)
        if ranks.is_main:
            with open(path, "w") as f:
                json.dump(gathered, f)


if __name__ == "__main__":
    main(sys.argv[1])
