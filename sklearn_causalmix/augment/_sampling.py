"""Sampling synthetic rows from the fitted SCMs: rows split over the SCMs, class quotas met.

Each SCM yields a share of the rows. To return exactly the requested rows per class, rows are
drawn in batches and kept per class until every quota is met (rejection sampling, batch sizes
from the observed class rates); a class the SCMs almost never produce is completed by sampling
under ``do(target := class)``, with a warning.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from sklearn_causalmix._core import spawn_seeds
from sklearn_causalmix.augment._scm import (
    codes_to_labels,
    labels_to_codes,
    sample_interventional,
    sample_observational,
)

__all__ = ["SCMLayout", "sample_from_scms", "sample_under_interventions"]

#: Batches of rejection sampling per SCM before the rest is drawn under an intervention.
_MAX_REJECTION_ROUNDS = 8


@dataclasses.dataclass
class SCMLayout:
    """How the nodes of the fitted SCMs map onto the encoded table.

    Attributes
    ----------
    feature_nodes : list of str
        SCM nodes of the modelled (active) features, in the order of their columns.
    categorical_nodes : set of str
        Nodes whose values are the labels ``"c0"``, ``"c1"``, ... (see ``codes_to_labels``).
    target_node : str
        The target's node.
    classes : ndarray of shape (n_classes,)
        Class labels (for messages).
    class_prior : ndarray of shape (n_classes,)
        Training class shares (the first guess of each class's rate in the SCMs' samples).
    """

    feature_nodes: list
    categorical_nodes: set
    target_node: str
    classes: np.ndarray
    class_prior: np.ndarray

    def to_codes(self, frame):
        """DoWhy samples -> (encoded active features, target codes)."""
        columns = []
        for name in self.feature_nodes:
            values = frame[name].to_numpy()
            columns.append(labels_to_codes(values) if name in self.categorical_nodes else values)
        if columns:
            Z = np.column_stack(columns).astype(np.float64)
        else:
            Z = np.empty((len(frame), 0))
        return Z, labels_to_codes(frame[self.target_node].to_numpy()).astype(np.int64)


def _sample_quota(scm, quota, layout, rng):
    """Rejection-sample rows of ``scm`` until class ``c`` has ``quota[c]`` rows."""
    n_classes = len(quota)
    need = quota.copy()
    parts_Z, parts_t = [], []
    seen = np.zeros(n_classes)
    drawn = 0
    for _ in range(_MAX_REJECTION_ROUNDS):
        if need.sum() == 0:
            break
        rate = (seen + layout.class_prior) / (drawn + 1.0)
        wanted = need[need > 0] / np.maximum(rate[need > 0], 1e-3)
        batch = int(min(max(1.2 * wanted.max() + 16, need.sum()), 50 * quota.sum() + 1000))
        frame = sample_observational(scm, batch, spawn_seeds(rng, 1)[0])
        Z, t = layout.to_codes(frame)
        drawn += batch
        seen += np.bincount(t, minlength=n_classes)
        for c in np.flatnonzero(need > 0):
            rows = np.flatnonzero(t == c)[: need[c]]
            parts_Z.append(Z[rows])
            parts_t.append(t[rows])
            need[c] -= len(rows)
    for c in np.flatnonzero(need > 0):
        label = layout.classes[c]
        warnings.warn(
            f"The causal models rarely generate class {label!r}; {need[c]} of its rows were "
            f"drawn under do({layout.target_node} := {label!r}), which keeps the label's effect "
            f"on its descendants but not its dependence on its causes.",
            UserWarning,
        )
        do = {layout.target_node: codes_to_labels([c])[0]}
        frame = sample_interventional(scm, do, int(need[c]), spawn_seeds(rng, 1)[0])
        Z, t = layout.to_codes(frame)
        parts_Z.append(Z)
        parts_t.append(np.full(len(t), c))
    return np.concatenate(parts_Z), np.concatenate(parts_t)


def _split(n_samples, n_scms, rng):
    """Rows per SCM: as even as possible, the remainder to random SCMs."""
    sizes = np.full(n_scms, n_samples // n_scms)
    sizes[rng.permutation(n_scms)[: n_samples % n_scms]] += 1
    return sizes


def sample_under_interventions(scms, n_samples, layout, interventions, rng):
    """Rows drawn under ``do(node := value)`` for each item of ``interventions``, pooled.

    ``interventions`` maps node names to node values (categorical nodes: codes). The classes are
    whatever the SCMs generate under the intervention. Returns ``(Z, t)`` as
    :func:`sample_from_scms`.
    """
    do = {
        node: (codes_to_labels([value])[0] if node in layout.categorical_nodes else float(value))
        for node, value in interventions.items()
    }
    parts_Z, parts_t = [], []
    for scm, size in zip(scms, _split(n_samples, len(scms), rng)):
        if size == 0:
            continue
        frame = sample_interventional(scm, do, int(size), spawn_seeds(rng, 1)[0])
        Z, t = layout.to_codes(frame)
        parts_Z.append(Z)
        parts_t.append(t)
    return np.concatenate(parts_Z), np.concatenate(parts_t).astype(np.int64)


def sample_from_scms(scms, counts, layout, rng, *, match_class_balance=True):
    """Encoded rows of the active features and target codes, pooled over ``scms``.

    Parameters
    ----------
    scms : list of dowhy.gcm.StructuralCausalModel
        Fitted models; each gives ``n // len(scms)`` rows (the remainder to random ones).
    counts : ndarray of int of shape (n_classes,)
        Rows wanted per class; ``counts.sum()`` rows in all.
    layout : SCMLayout
        Node names and classes.
    rng : numpy.random.RandomState
        Source of every seed.
    match_class_balance : bool, default=True
        Meet ``counts`` exactly (rejection sampling); otherwise only the total, with the
        classes the SCMs generate.

    Returns
    -------
    Z : ndarray of shape (n, n_active_features)
    t : ndarray of int of shape (n,)

    Examples
    --------
    >>> import networkx as nx
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix.augment._sampling import SCMLayout, sample_from_scms
    >>> from sklearn_causalmix.augment._scm import fit_scm
    >>> rng = np.random.RandomState(0)
    >>> a = rng.normal(size=200)
    >>> data = pd.DataFrame({"a": a, "y": np.where(a > 0, "c1", "c0")})
    >>> scm = fit_scm(nx.DiGraph([("a", "y")]), data, {"y"})
    >>> layout = SCMLayout(["a"], {"y"}, "y", np.array([0, 1]), np.array([0.5, 0.5]))
    >>> Z, t = sample_from_scms([scm], np.array([3, 7]), layout, rng)
    >>> Z.shape, np.bincount(t).tolist()
    ((10, 1), [3, 7])
    """
    sizes = _split(int(np.sum(counts)), len(scms), rng)
    if match_class_balance:
        labels = rng.permutation(np.repeat(np.arange(len(counts)), counts))
        bounds = np.concatenate([[0], np.cumsum(sizes)])
    parts_Z, parts_t = [], []
    for g, scm in enumerate(scms):
        if sizes[g] == 0:
            continue
        if match_class_balance:
            quota = np.bincount(labels[bounds[g] : bounds[g + 1]], minlength=len(counts))
            Z, t = _sample_quota(scm, quota, layout, rng)
        else:
            Z, t = layout.to_codes(sample_observational(scm, sizes[g], spawn_seeds(rng, 1)[0]))
        parts_Z.append(Z)
        parts_t.append(t)
    if not parts_Z:
        return np.empty((0, len(layout.feature_nodes))), np.empty(0, dtype=np.int64)
    return np.concatenate(parts_Z), np.concatenate(parts_t).astype(np.int64)
