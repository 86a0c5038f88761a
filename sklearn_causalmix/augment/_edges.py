"""Edge probabilities of CausalSCMAugmenter: discovery on bootstrap resamples, or a given graph.

Background knowledge is enforced on the result (forbidden edges 0, required edges 1 and their
reverse 0); constraints that touch nodes left out of the model are dropped with a warning.
"""

from __future__ import annotations

import warnings

import numpy as np

from sklearn_causalmix.augment._discovery import bootstrap_edge_probabilities
from sklearn_causalmix.augment._nodes import fixed_graph_probabilities

__all__ = ["edge_probabilities"]


def edge_probabilities(params, data, discrete, names, model_index, bk, target, rng):
    """Discovered (or given) edge probabilities over all nodes, background knowledge applied.

    Parameters
    ----------
    params : CausalSCMAugmenter
        Its ``discovery``, ``n_bootstrap``, ``alpha``, ``indep_test``, ``n_jobs`` and ``verbose``.
    data : ndarray of shape (n_samples, n_model_nodes)
        Imputed values of the model's nodes (``model_index``), the target last.
    discrete : ndarray of bool of shape (n_model_nodes,)
        Discrete model nodes.
    names : list of str
        All node names (features, target, missingness indicators).
    model_index : list of int
        Indices into ``names`` of the model's nodes.
    bk : dict
        Parsed background knowledge (see ``parse_background_knowledge``).
    target : ndarray of int
        Class codes (bootstrap strata).
    rng : numpy.random.RandomState
        Source of the resamples.

    Returns
    -------
    probabilities : ndarray of shape (len(names), len(names))
    indep_test : str or None
        The independence test used; None for a fixed graph.
    """
    position = {full: k for k, full in enumerate(model_index)}

    def _restrict(edges):
        return [(position[a], position[b]) for a, b in edges if a in position and b in position]

    for a, b in bk["required"]:
        if a not in position or b not in position:
            excluded = [names[v] for v in (a, b) if v not in position]
            warnings.warn(
                f"Required edge {names[a]} -> {names[b]} ignored: {excluded} is constant or a "
                f"deterministic function of another column and not a node of the causal model.",
                UserWarning,
            )
    probabilities = np.zeros((len(names), len(names)))
    if isinstance(params.discovery, str):
        discovered, indep_test = bootstrap_edge_probabilities(
            data,
            discrete,
            method=params.discovery,
            n_bootstrap=params.n_bootstrap,
            alpha=params.alpha,
            indep_test=params.indep_test,
            forbidden=_restrict(bk["forbidden"]),
            required=_restrict(bk["required"]),
            strata=target,
            random_state=rng,
            n_jobs=params.n_jobs,
            verbose=params.verbose,
        )
        probabilities[np.ix_(model_index, model_index)] = discovered
    else:
        rng.randint(np.iinfo(np.int32).max)  # keep later draws independent of this branch
        probabilities = fixed_graph_probabilities(params.discovery, names, model_index[-1] + 1)
        indep_test = None
        outside = [
            j
            for j in range(len(names))
            if j not in position and (probabilities[j].any() or probabilities[:, j].any())
        ]
        if outside:
            warnings.warn(
                f"Edges touching {[names[j] for j in outside]} are ignored: these columns "
                f"are constant or deterministic functions of another column "
                f"(deterministic_features_) and not nodes of the causal model.",
                UserWarning,
            )
    for a, b in bk["forbidden"]:
        probabilities[a, b] = 0.0
    for a, b in bk["required"]:
        probabilities[a, b], probabilities[b, a] = 1.0, 0.0
    np.fill_diagonal(probabilities, 0.0)
    return probabilities, indep_test

