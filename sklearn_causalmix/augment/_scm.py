"""Fitting DoWhy ``gcm`` structural causal models on sampled DAGs and drawing from them.

Categorical nodes (and the target) reach DoWhy as strings ``"c0"``, ``"c1"``, ... (their codes):
integer-coded categories would be treated as ordered numbers and produce impossible values.
gcm draws from numpy's global random state and warns freely, so every call runs under
:func:`~sklearn_causalmix._core.third_party_state` (a lock, the seed given, the
caller's state restored exactly afterwards).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from sklearn_causalmix._core import parallel_map, third_party_state

__all__ = [
    "codes_to_labels",
    "fit_scm",
    "fit_scms",
    "labels_to_codes",
    "sample_interventional",
    "sample_observational",
]


def _gcm():
    """Import ``dowhy.gcm`` without its side effects on the interpreter.

    Importing dowhy runs ``sympy.init_printing()``, which replaces ``sys.displayhook`` (the
    REPL and doctests then print strings without quotes); the original hook is restored (under
    the process-state lock, so that two threads importing at once cannot swap hooks).
    """
    with third_party_state():
        hook = sys.displayhook
        try:
            from dowhy import gcm
        except ImportError as exc:  # pragma: no cover - dowhy is a core dependency
            raise ImportError(
                "CausalSCMAugmenter needs dowhy; install it with `pip install dowhy`."
            ) from exc
        finally:
            sys.displayhook = hook
    gcm.config.disable_progress_bars()
    return gcm


def _run_gcm(gcm, description, seed, call):
    """``call()`` under the process-state lock with numpy's global state seeded; errors wrapped.

    gcm's model selection would start one worker per core (``default_n_jobs=-1``) inside each of
    our own jobs; it is kept sequential for the call (CausalSCMAugmenter parallelises over DAGs).
    """
    with third_party_state(seed, silence=True):
        n_jobs = gcm.config.default_n_jobs
        gcm.config.default_n_jobs = 1
        try:
            return call()
        except Exception as exc:
            raise RuntimeError(
                f"{description} with DoWhy failed: {type(exc).__name__}: {exc}"
            ) from exc
        finally:
            gcm.config.default_n_jobs = n_jobs


def codes_to_labels(codes):
    """Integer codes -> the string labels given to DoWhy (``2 -> "c2"``).

    Examples
    --------
    >>> from sklearn_causalmix.augment._scm import codes_to_labels
    >>> codes_to_labels([0, 2]).tolist()
    ['c0', 'c2']
    """
    codes = np.asarray(codes, dtype=np.float64).astype(np.int64)
    return np.char.add("c", codes.astype(str)).astype(object)


def labels_to_codes(labels):
    """String labels from DoWhy -> float codes (``"c2" -> 2.0``).

    Examples
    --------
    >>> from sklearn_causalmix.augment._scm import labels_to_codes
    >>> labels_to_codes(["c0", "c2"]).tolist()
    [0.0, 2.0]
    """
    return np.array([float(str(v)[1:]) for v in labels], dtype=np.float64)


def _fast_mechanisms(gcm, scm, categorical_nodes):
    """Assign quick mechanisms: empirical roots, ridge + additive noise, logistic classifiers."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    graph = scm.graph
    for node in graph.nodes:
        if graph.in_degree(node) == 0:
            scm.set_causal_mechanism(node, gcm.EmpiricalDistribution())
        elif node in categorical_nodes:
            clf = make_pipeline(
                StandardScaler(), LogisticRegression(C=10.0, solver="newton-cholesky")
            )
            scm.set_causal_mechanism(
                node, gcm.ClassifierFCM(gcm.ml.SklearnClassificationModel(clf))
            )
        else:
            reg = make_pipeline(StandardScaler(), Ridge(alpha=1e-3))
            scm.set_causal_mechanism(
                node, gcm.AdditiveNoiseModel(gcm.ml.SklearnRegressionModel(reg))
            )


def fit_scm(dag, data, categorical_nodes, mechanisms="fast", seed=0):
    """Fit a gcm ``StructuralCausalModel`` on a copy of ``dag``.

    Parameters
    ----------
    dag : networkx.DiGraph
        Acyclic graph over the columns of ``data``; copied, never modified.
    data : DataFrame
        Training data without missing values; categorical nodes as strings.
    categorical_nodes : set of str
        Nodes modelled with a classifier.
    mechanisms : {"fast", "auto"}, default="fast"
        ``"fast"``: empirical distribution for roots, standardised ridge regression with
        additive empirical noise for numeric nodes, standardised logistic regression for
        categorical nodes (no model selection). ``"auto"``:
        ``gcm.auto.assign_causal_mechanisms`` with quality GOOD (cross-validated model
        selection; much slower).
    seed : int, default=0
        Seed of numpy's global random state during fitting (set for this call only).

    Returns
    -------
    scm : dowhy.gcm.StructuralCausalModel

    Examples
    --------
    >>> import networkx as nx
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix.augment._scm import fit_scm, sample_observational
    >>> rng = np.random.RandomState(0)
    >>> a = rng.normal(size=200)
    >>> data = pd.DataFrame({"a": a, "b": np.where(a + rng.normal(size=200) > 0, "c1", "c0")})
    >>> scm = fit_scm(nx.DiGraph([("a", "b")]), data, {"b"})
    >>> sample_observational(scm, 5, seed=0).shape
    (5, 2)
    """
    gcm = _gcm()
    scm = gcm.StructuralCausalModel(dag.copy())

    def fit():
        if mechanisms == "auto":
            gcm.auto.assign_causal_mechanisms(scm, data, quality=gcm.auto.AssignmentQuality.GOOD)
        else:
            _fast_mechanisms(gcm, scm, categorical_nodes)
        gcm.fit(scm, data)

    description = f"Fitting the structural causal model (mechanisms={mechanisms!r})"
    _run_gcm(gcm, description, seed, fit)
    return scm


def fit_scms(graphs, data, names, categorical_nodes, mechanisms, seeds, *, n_jobs=None, verbose=0):
    """One fitted SCM per DAG of ``graphs`` (in parallel with ``n_jobs``).

    ``data`` holds the node values in the order of ``names``; categorical nodes hold codes,
    passed to DoWhy as labels (see :func:`codes_to_labels`). See :func:`fit_scm`.
    """
    frame = pd.DataFrame(
        {
            name: (codes_to_labels(data[:, k]) if name in categorical_nodes else data[:, k])
            for k, name in enumerate(names)
        }
    )
    if verbose > 0:
        from tqdm.auto import tqdm

        graphs = tqdm(graphs, desc="fitting SCMs")
    tasks = ((dag, frame, categorical_nodes, mechanisms, seed) for dag, seed in zip(graphs, seeds))
    return parallel_map(fit_scm, tasks, n_jobs)


def sample_observational(scm, n_samples, seed):
    """Draw ``n_samples`` joint (observational) samples from a fitted SCM with a fixed seed.

    Parameters
    ----------
    scm : dowhy.gcm.StructuralCausalModel
        Fitted model.
    n_samples : int
        Number of rows.
    seed : int
        Seed of numpy's global random state during sampling (set for this call only).

    Returns
    -------
    samples : DataFrame of shape (n_samples, n_nodes)
    """
    gcm = _gcm()
    return _run_gcm(
        gcm,
        "Drawing samples from the structural causal model",
        seed,
        lambda: gcm.draw_samples(scm, int(n_samples)),
    )


def sample_interventional(scm, interventions, n_samples, seed):
    """Draw samples under ``do(node := value)`` for every item of ``interventions``.

    Descendants of the intervened nodes are regenerated, all other nodes keep the values of an
    observational draw with the same seed.

    Parameters
    ----------
    scm : dowhy.gcm.StructuralCausalModel
        Fitted model.
    interventions : dict
        ``{node: value}`` forced on the nodes.
    n_samples : int
        Number of rows.
    seed : int
        Seed of numpy's global random state during sampling (set for this call only).

    Returns
    -------
    samples : DataFrame of shape (n_samples, n_nodes)
    """
    gcm = _gcm()
    do = {node: (lambda _, value=value: value) for node, value in interventions.items()}
    out = _run_gcm(
        gcm,
        "Interventional sampling from the structural causal model",
        seed,
        lambda: gcm.interventional_samples(scm, do, num_samples_to_draw=int(n_samples)),
    )
    return pd.DataFrame(out)
