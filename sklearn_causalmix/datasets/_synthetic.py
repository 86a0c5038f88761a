"""Synthetic classification tasks with a domain shift, drawn from a known causal model (SCM)."""

import numbers

import networkx as nx
import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

LABEL = "y"
_LEVELS = ("a", "b", "c")
_CUTS = np.array([-0.4307, 0.4307])  # terciles of N(0, 1): balanced levels in the source domain
_TRANSFORMS = ("linear", "tanh", "abs")
_N_PILOT = 4096
_LABEL_SHARPNESS = 2.0


def _transform(name, value):
    if name == "linear":
        return value
    if name == "tanh":
        return 1.5 * np.tanh(value)
    return np.abs(value) - 0.8  # centred |v| for v ~ N(0, 1): a non-monotone effect


class _ShiftedSCM:
    """A random SCM over ``n_features`` features and a binary label, with a target-domain variant.

    Nodes are sampled in topological order. A node's input is the sum of its parents' effects:
    ``w * f(v)`` for a numeric parent (``f`` linear, tanh or centred absolute value), an embedding
    ``e[level]`` for a categorical parent and ``w * (2y - 1)`` for the label. Root features are
    ``N(0, 1)`` in the source domain; other features add Gaussian noise to their input and are
    standardised with constants fixed on a source-domain pilot sample, so that every mechanism is a
    fixed function. Categorical features cut their standardised value at the terciles of N(0, 1).
    The label is ``Bernoulli(sigmoid(2 * standardised input))``.

    In the target domain, covariate shift moves the mean (by ``strength * m_j``, ``|m_j|`` in
    [0.75, 1.5]) and widens the scale (by ``1 + 0.5 * strength``) of every root feature; concept
    shift turns the vector of the label's weights and embeddings by ``strength * 90°``. No other
    mechanism changes, so under covariate shift alone ``P(y | x)`` is the same in both domains.
    """

    def __init__(self, n_features, n_categorical, shift, strength, rng):
        features = [f"x{i}" for i in range(n_features)]
        categorical = set(rng.choice(features, size=n_categorical, replace=False).tolist())
        order = [features[i] for i in rng.permutation(n_features)]
        # At least one feature after the label, and two before it when there are three or more.
        order.insert(int(rng.integers(min(2, n_features - 1), n_features)), LABEL)
        self.order = order
        self.kind = {
            name: ("categorical" if name in categorical else "numeric") for name in features
        }
        self.kind[LABEL] = "label"
        position = {name: i for i, name in enumerate(order)}
        self.parents = {name: [] for name in order}
        for j, child in enumerate(order):
            probability = min(1.0, 1.5 / j) if j else 0.0
            for parent in order[:j]:
                if rng.uniform() < probability:
                    self.parents[child].append(parent)
        label_at = position[LABEL]
        # The label gets at least two parents (one if only one feature precedes it), so that a
        # change of its weights changes the direction of its dependence, not only its sharpness.
        candidates = [name for name in order[:label_at] if name not in self.parents[LABEL]]
        while len(self.parents[LABEL]) < min(2, label_at):
            pick = candidates.pop(int(rng.integers(0, len(candidates))))
            self.parents[LABEL].append(pick)
        if not any(LABEL in self.parents[name] for name in order[label_at + 1:]):
            child = order[int(rng.integers(label_at + 1, len(order)))]
            self.parents[child].append(LABEL)
        for child in order:
            self.parents[child].sort(key=position.__getitem__)

        self.effect = {child: {p: self._draw_effect(p, child, rng) for p in self.parents[child]}
                       for child in order}
        self.noise = {name: float(rng.uniform(0.8, 1.5)) for name in order}
        self.roots = [name for name in features if not self.parents[name]]
        covariate = shift in ("covariate", "both")
        concept = shift in ("concept", "both")
        # Draw every shift parameter whatever ``shift`` is, so that one seed gives the same graph,
        # mechanisms and source rows for all three kinds of shift.
        offsets = {name: rng.choice([-1.0, 1.0]) * rng.uniform(0.75, 1.5) for name in self.roots}
        self.root_shift = {
            name: (float(strength * offsets[name]), float(1.0 + 0.5 * strength))
            if covariate else (0.0, 1.0)
            for name in self.roots
        }
        self.label_effect_target = self._rotate_label(strength if concept else 0.0, rng)
        self.shifted = {name: covariate for name in self.roots}
        self.shifted[LABEL] = concept
        self.loc, self.scale = {}, {}
        self._fit_standardisation(rng)

    def _draw_effect(self, parent, child, rng):
        n_parents = max(1, len(self.parents[child]))
        size = 1.0 / np.sqrt(n_parents)
        if self.kind[parent] == "categorical":
            embedding = rng.normal(size=len(_LEVELS))
            return ("embedding", (embedding - embedding.mean()) * size * 1.2)
        weight = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5) * size
        if self.kind[parent] == "label":
            # Halved, so that the label's children do not reveal it almost surely.
            return ("linear", float(0.5 * weight))
        return (str(rng.choice(_TRANSFORMS)), float(weight))

    def _rotate_label(self, strength, rng):
        """The label's target-domain effects: its parameter vector turned by ``strength * 90°``.

        All of the label's weights and (centred) embeddings form one vector ``w``; the target
        vector is ``cos(a) w + sin(a) u`` with ``a = strength * pi / 2`` and ``u`` a random
        direction orthogonal to ``w`` of the same length: 1 gives an unrelated mechanism of equal
        strength, 2 the reversed one. A single scalar weight becomes ``cos(a) w``.
        """
        effects = self.effect[LABEL]
        blocks = [
            np.atleast_1d(np.asarray(value, dtype=np.float64)) for _, value in effects.values()
        ]
        weights = np.concatenate(blocks)
        direction = np.concatenate([
            block - block.mean() if block.size > 1 else block
            for block in (rng.normal(size=b.size) for b in blocks)
        ])
        direction -= direction @ weights / (weights @ weights) * weights
        norm = np.linalg.norm(direction)
        # A single scalar weight has no orthogonal direction: it is only scaled by cos(a).
        if norm > 1e-12:
            direction = direction * (np.linalg.norm(weights) / norm)
        else:
            direction = np.zeros_like(direction)
        angle = strength * np.pi / 2
        turned = np.cos(angle) * weights + np.sin(angle) * direction
        target, start = {}, 0
        for (parent, (transform, value)), block in zip(effects.items(), blocks):
            piece = turned[start:start + block.size]
            start += block.size
            target[parent] = (transform, piece if transform == "embedding" else float(piece[0]))
        return target

    def _input(self, values, effects):
        total = 0.0
        for parent, (transform, parameter) in effects.items():
            value = values[parent]
            if transform == "embedding":
                total = total + parameter[value]
            elif self.kind[parent] == "label":
                total = total + parameter * (2.0 * value - 1.0)
            else:
                total = total + parameter * _transform(transform, value)
        return np.asarray(total, dtype=np.float64)

    def _fit_standardisation(self, rng):
        values = {}
        for node in self.order:
            self.loc[node], self.scale[node] = 0.0, 1.0
            if node == LABEL:
                raw = self._input(values, self.effect[LABEL])
            elif self.parents[node]:
                raw = self._input(values, self.effect[node])
                raw = raw + self.noise[node] * rng.normal(size=_N_PILOT)
            else:
                values[node] = self._finish(node, rng.normal(size=_N_PILOT))
                continue
            self.loc[node] = float(raw.mean())
            self.scale[node] = float(raw.std()) or 1.0
            if node == LABEL:
                proba = self.label_proba(values, 0)
                values[node] = (rng.uniform(size=_N_PILOT) < proba).astype(int)
            else:
                values[node] = self._finish(node, raw)

    def _finish(self, node, raw):
        standardised = (raw - self.loc[node]) / self.scale[node]
        if self.kind[node] == "categorical":
            return np.searchsorted(_CUTS, standardised)
        return standardised

    def label_proba(self, values, domain):
        """``P(y = 1 | parents of y)`` in ``domain`` (0 source, 1 target) for parent ``values``."""
        effects = self.effect[LABEL] if domain == 0 else self.label_effect_target
        raw = self._input(values, effects)
        return expit(_LABEL_SHARPNESS * (raw - self.loc[LABEL]) / self.scale[LABEL])

    def sample(self, n, domain, rng):
        """Draw ``n`` rows of every node in ``domain``; categorical nodes as level codes."""
        values = {}
        for node in self.order:
            if node == LABEL:
                values[node] = (rng.uniform(size=n) < self.label_proba(values, domain)).astype(int)
            elif self.parents[node]:
                raw = self._input(values, self.effect[node])
                values[node] = self._finish(node, raw + self.noise[node] * rng.normal(size=n))
            else:
                mean, scale = self.root_shift[node] if domain == 1 else (0.0, 1.0)
                values[node] = self._finish(node, mean + scale * rng.normal(size=n))
        return values

    def graph(self, features):
        graph = nx.DiGraph()
        for node in [*features, LABEL]:
            graph.add_node(node, kind=self.kind[node], shifted=bool(self.shifted.get(node, False)))
        for child, parents in self.parents.items():
            for parent in parents:
                graph.add_edge(parent, child, effect=self.effect[child][parent][0])
        return graph


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 4, None, closed="left")],
        "n_features": [Interval(numbers.Integral, 2, None, closed="left")],
        "shift": [StrOptions({"covariate", "concept", "both"})],
        "shift_strength": [Interval(numbers.Real, 0, None, closed="left")],
        "n_categorical": [Interval(numbers.Integral, 0, None, closed="left")],
        "target_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_shifted_classification(
    n_samples=1000,
    n_features=8,
    *,
    shift="covariate",
    shift_strength=1.0,
    n_categorical=2,
    target_fraction=0.5,
    random_state=None,
):
    """Generate a binary classification task with a source and a shifted target domain.

    A random DAG over the features and the label ``y`` is drawn (the label has at least one parent
    and at least one child, so the features hold both causes and effects of the label), with a
    random structural causal model on it (see Notes). Rows of the source domain and of the target
    domain are sampled from two variants of that SCM:

    - ``shift="covariate"``: the root features (exogenous causes) have shifted distributions in
      the target domain; every mechanism is unchanged, so ``P(y | x)`` is the same in both domains
      while ``P(x)`` differs.
    - ``shift="concept"``: the mechanism of the label changes (its weights on its parents), so
      ``P(y | x)`` differs; the root distributions stay.
    - ``shift="both"``: both.

    One ``random_state`` gives the same graph, mechanisms and source-domain rows for the three
    kinds of shift, so they can be compared on equal terms.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of rows, source and target together.
    n_features : int, default=8
        Number of features (at least 2).
    shift : {"covariate", "concept", "both"}, default="covariate"
        Kind of shift between the domains.
    shift_strength : float, default=1.0
        Size of the shift; 0 gives two samples of the same distribution. Covariate shift moves each
        root feature's mean by ``shift_strength`` times a random amount in ``±[0.75, 1.5]`` standard
        deviations and multiplies its scale by ``1 + 0.5 * shift_strength``. Concept shift turns
        the vector of the label's weights by ``shift_strength * 90°`` towards a random orthogonal
        direction: 1 makes the target mechanism unrelated to the source one (equal strength), 2
        reverses it.
    n_categorical : int, default=2
        How many features are categorical (three levels ``"a"``, ``"b"``, ``"c"``, as
        ``category`` dtype); at most ``n_features``.
    target_fraction : float in (0, 1), default=0.5
        Share of the rows in the target domain.
    random_state : int, RandomState instance or None, default=None
        Seed of the graph, the mechanisms and the rows.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        The layout of :func:`load_shifted_dataset`: ``X`` (DataFrame ``x0 .. x{n_features-1}``),
        ``y`` (Series of 0/1), ``domain`` (0 for the first ``n_source`` rows, 1 for the rest),
        ``domain_name``, ``domain_labels``, ``shift``, ``target_name``, ``target_names``,
        ``feature_names``, ``categorical_features``, ``n_dropped`` (all zero),
        ``n_rows_with_missing_features`` (0), ``description``, ``license``, ``source``,
        ``citation``, ``name``; plus ``graph``, the true causal graph (``networkx.DiGraph`` over
        the features and ``"y"``; node attributes ``kind`` and ``shifted``, whether the node's
        distribution or mechanism differs in the target domain) and ``adjacency``, the same graph
        as a 0/1 DataFrame (row = cause, column = effect).

    Raises
    ------
    ValueError
        If ``n_categorical > n_features``, or a domain would get fewer than 2 rows.

    See Also
    --------
    load_shifted_dataset : Real tables with natural domain shifts.

    Notes
    -----
    Features are standardised to about unit variance in the source domain. A node's input is a
    sum over its parents of ``w * f(v)`` (``f`` linear, ``1.5 tanh`` or centred absolute value;
    ``|w|`` in [0.5, 1.5] over the square root of the number of parents), a per-level effect for a
    categorical parent, and ``±w / 2`` for the label; non-root features add Gaussian noise (scale
    0.8 to 1.5) before standardisation with fixed constants, and categorical ones are cut at the
    terciles of N(0, 1). ``P(y = 1 | parents) = sigmoid(2 * standardised input)``. Both domains
    use the same constants, so only the parts named by ``shift`` differ.

    Examples
    --------
    >>> from sklearn_causalmix.datasets import make_shifted_classification
    >>> data = make_shifted_classification(n_samples=200, n_features=5, random_state=0)
    >>> data.X.shape, data.y.shape, int(data.domain.sum())
    ((200, 5), (200,), 100)
    >>> sorted(data.graph.nodes)
    ['x0', 'x1', 'x2', 'x3', 'x4', 'y']
    >>> data.graph.nodes["y"]["shifted"]         # covariate shift leaves the label's mechanism
    False
    """
    if n_categorical > n_features:
        raise ValueError(
            f"n_categorical={n_categorical} exceeds n_features={n_features}; at most every "
            "feature can be categorical."
        )
    n_target = int(round(n_samples * target_fraction))
    n_source = n_samples - n_target
    if min(n_source, n_target) < 2:
        raise ValueError(
            f"n_samples={n_samples} with target_fraction={target_fraction} gives {n_source} source "
            f"and {n_target} target rows; each domain needs at least 2. Raise n_samples."
        )
    rng = check_random_state(random_state)
    generator = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
    scm = _ShiftedSCM(n_features, n_categorical, shift, float(shift_strength), generator)
    features = [f"x{i}" for i in range(n_features)]
    source_rows = scm.sample(n_source, 0, generator)
    target_rows = scm.sample(n_target, 1, generator)

    columns = {}
    for name in features:
        values = np.concatenate([source_rows[name], target_rows[name]])
        if scm.kind[name] == "categorical":
            columns[name] = pd.Categorical.from_codes(values, categories=list(_LEVELS))
        else:
            columns[name] = values
    X = pd.DataFrame(columns, columns=features)
    y = pd.Series(np.concatenate([source_rows[LABEL], target_rows[LABEL]]), name=LABEL)
    domain = np.repeat(np.array([0, 1], dtype=np.int64), [n_source, n_target])

    graph = scm.graph(features)
    nodes = [*features, LABEL]
    adjacency = pd.DataFrame(
        nx.to_numpy_array(graph, nodelist=nodes, dtype=np.int64), index=nodes, columns=nodes
    )
    shifted_roots = [name for name in scm.roots if scm.shifted[name]]
    shift_text = {
        "covariate": f"covariate shift of the root features {shifted_roots}",
        "concept": "concept shift: the label's mechanism changes",
        "both": f"covariate shift of the root features {shifted_roots} and a changed label "
        "mechanism",
    }[shift] + f" (strength {float(shift_strength):g})"
    categorical = [name for name in features if scm.kind[name] == "categorical"]
    description = "\n".join([
        "Synthetic shifted classification task [make_shifted_classification]",
        "",
        f"Label: y, a binary node of a random causal graph with parents "
        f"{scm.parents[LABEL]} and children "
        f"{[c for c in scm.order if LABEL in scm.parents[c]]}.",
        f"Domain shift: {shift_text}. Source domain (domain == 0): {n_source} rows; target "
        f"domain (domain == 1): {n_target} rows.",
        f"Features: {n_features} ({len(categorical)} categorical: {categorical}).",
        "The true graph is in the 'graph' and 'adjacency' entries.",
    ])
    return Bunch(
        X=X,
        y=y,
        domain=domain,
        domain_name="domain",
        domain_labels=("source", "target"),
        shift=shift_text,
        target_name=LABEL,
        target_names=[0, 1],
        feature_names=features,
        categorical_features=categorical,
        n_dropped={"missing_target": 0, "missing_domain": 0, "outside_domains": 0,
                   "missing_features": 0},
        n_rows_with_missing_features=0,
        description=description,
        license="BSD-3-Clause (generated data)",
        source="generated by make_shifted_classification",
        citation="",
        name="make_shifted_classification",
        graph=graph,
        adjacency=adjacency,
    )
