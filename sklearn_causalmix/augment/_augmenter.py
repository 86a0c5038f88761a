"""CausalSCMAugmenter: synthetic labelled rows from SCMs fitted on sampled causal graphs."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import networkx as nx
import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._tags import InputTags, Tags
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from sklearn_causalmix._tabular import TableSchema
from sklearn_causalmix.augment._dag import sample_dags
from sklearn_causalmix.augment._discovery import bootstrap_edge_probabilities
from sklearn_causalmix.augment._resample import resample_with_ratio
from sklearn_causalmix.augment._rng import spawn_seeds
from sklearn_causalmix.augment._scm import (
    codes_to_labels,
    draw,
    draw_with_intervention,
    fit_scm,
    labels_to_codes,
)

__all__ = ["CausalSCMAugmenter"]

#: Smallest number of rows accepted by ``fit`` (independence tests need n - |S| - 3 >= 1).
MIN_SAMPLES = 10
_MAX_REJECTION_ROUNDS = 8


@dataclass(slots=True)
class _SamplerTags:
    """Mirror of imbalanced-learn's sampler tags (imbalanced-learn is not a dependency)."""

    sample_indices: bool = False


@dataclass(slots=True)
class _AugmenterInputTags(InputTags):
    """sklearn input tags plus imbalanced-learn's ``dataframe`` flag."""

    dataframe: bool = True


@dataclass(slots=True)
class _AugmenterTags(Tags):
    """sklearn tags plus imbalanced-learn's ``sampler_tags`` (read by its pipeline and checks)."""

    sampler_tags: _SamplerTags | None = None


@dataclass
class _TargetInfo:
    """How ``y`` was passed, to return labels in the same container."""

    container: str  # "series", "frame", "array" or "list"
    name: object
    dtype: object


def _check_target(y):
    """Validate class labels; return a 1D array and how to restore the container."""
    if y is None:
        raise ValueError(
            "CausalSCMAugmenter requires y to be passed, but the target y is None; pass the "
            "class labels (they are a node of the causal graph)."
        )
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(
                f"y should be a 1d array of class labels, got a DataFrame with {y.shape[1]} "
                f"columns. Multilabel and multioutput targets are not supported."
            )
        info = _TargetInfo("frame", y.columns[0], y.dtypes.iloc[0])
        y_arr = y.iloc[:, 0].to_numpy()
    elif isinstance(y, pd.Series):
        info = _TargetInfo("series", y.name, y.dtype)
        y_arr = y.to_numpy()
    else:
        container = "list" if isinstance(y, (list, tuple)) else "array"
        y_arr = np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] == 1:
            y_arr = y_arr.ravel()
        if y_arr.ndim != 1:
            raise ValueError(
                f"y should be a 1d array of class labels, got an array of shape {y_arr.shape}. "
                f"Multilabel and multioutput targets are not supported."
            )
        info = _TargetInfo(container, None, y_arr.dtype)
    if pd.isna(pd.Series(y_arr, dtype=object)).any():
        raise ValueError(
            "y contains missing values; drop those rows or impute the labels before fitting."
        )
    check_classification_targets(y_arr)
    if type_of_target(y_arr) not in ("binary", "multiclass"):
        raise ValueError(
            f"Unknown label type: {type_of_target(y_arr)!r}. CausalSCMAugmenter needs class "
            f"labels (binary or multiclass)."
        )
    return y_arr, info


def _largest_remainder(n, proportions):
    """Split ``n`` into integer counts as close as possible to ``n * proportions``."""
    raw = n * np.asarray(proportions, dtype=float)
    counts = np.floor(raw).astype(int)
    short = n - counts.sum()
    if short > 0:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


class CausalSCMAugmenter(OneToOneFeatureMixin, BaseEstimator):
    """Causal data augmenter: synthetic labelled rows from structural causal models.

    Reproduces the generator of CausalMixFT (Bühler, Purucker & Hutter, 2026,
    arXiv:2601.04110). ``fit`` learns a probabilistic causal graph over the features *and the
    target* (PC and/or FCI on bootstrap resamples), samples ``n_graphs`` DAGs from it, and fits
    one structural causal model (DoWhy ``gcm``) per DAG. ``sample`` draws synthetic rows pooled
    over the SCMs; ``fit_resample`` returns the real rows plus a ``synthetic_ratio`` share of
    synthetic ones (the imbalanced-learn sampler contract, usable in
    ``imblearn.pipeline.Pipeline``).

    Parameters
    ----------
    discovery : {"pc+fci", "pc", "fci"}, networkx.DiGraph or DataFrame, default="pc+fci"
        How the graph is learned. ``"pc"`` / ``"fci"``: that algorithm on every bootstrap
        resample; ``"pc+fci"``: both on every resample, all graphs averaged. A
        ``networkx.DiGraph`` is a fixed, acyclic graph whose nodes are feature names and/or the
        target name (:attr:`target_name_`); an adjacency ``DataFrame`` (index and columns: all
        feature names and the target name, values in [0, 1]) is used directly as edge
        probabilities. Feature names are the column names of a DataFrame, ``"x0"``, ``"x1"``,
        ... for arrays.
    n_bootstrap : int, default=10
        Number of bootstrap resamples for discovery. Resampling is stratified by class, so every
        class is present in every resample.
    alpha : float, default=0.05
        Significance level of the conditional-independence tests.
    indep_test : {"auto", "fisherz", "gsq", "chisq"}, default="auto"
        Conditional-independence test. ``"auto"`` picks Fisher-z when every node (features and
        target) is numeric, G² when every node is categorical/boolean, and for mixed tables
        Fisher-z on normal scores of the ranks of the values and category codes (the
        rank-based Gaussian-copula PC of Harris & Drton, 2013; Cui et al., 2016): as fast as
        Fisher-z, exact for binary and ordinal categories and monotone relations, an
        approximation for unordered categories with more than two levels (codes follow the
        sorted levels). ``"fisherz"`` uses raw values and codes; ``"gsq"``/``"chisq"`` cut
        numeric columns into 5 quantile bins (several times slower).
    background_knowledge : dict or None, default=None
        ``{"forbidden": [(a, b), ...], "required": [(a, b), ...]}`` with node names; ``(a, b)``
        is the edge ``a -> b``. Passed to causal-learn and enforced on the edge probabilities
        (forbidden: 0; required: 1 and its reverse 0). Required edges must not form a cycle.
    n_graphs : int, default=5
        Number of DAGs sampled from the edge probabilities, one SCM each.
    mechanisms : {"fast", "auto"}, default="fast"
        ``"fast"``: roots draw from their empirical distribution; numeric nodes are a
        standardised ridge regression on their parents plus additive noise drawn from the
        empirical residuals; categorical nodes and the target are a standardised logistic
        regression on their parents (categorical parents one-hot encoded) -- no model
        selection. ``"auto"``: DoWhy's ``gcm.auto.assign_causal_mechanisms`` with quality GOOD
        (cross-validated choice among linear, boosting, forest ... models; several times
        slower).
    synthetic_ratio : float in [0, 1], default=0.5
        Share r of synthetic rows in the output of :meth:`fit_resample`: all real rows are kept
        and ``round(r / (1 - r) * n_real)`` synthetic rows added; at 1, only synthetic rows, as
        many as the real ones; at 0, the real rows unchanged.
    match_class_balance : bool, default=True
        Whether :meth:`sample` returns exactly the class proportions of the training labels (by
        rejection sampling from the SCMs; for a class the SCMs almost never generate, the few
        missing rows are drawn under ``do(target := class)``, with a warning).
    max_features : int, default=100
        Largest number of features accepted (discovery time grows quickly with it).
    random_state : int, RandomState instance or None, default=None
        Controls resampling, DAG sampling, SCM fitting and :meth:`sample` (numpy's global random
        state, read by causal-learn and DoWhy, is seeded inside those calls and restored
        afterwards). With a fixed value, fresh fits give identical samples.
    verbose : int, default=0
        Show tqdm progress bars over resamples and graphs when > 0.
    n_jobs : int, default=None
        Parallel jobs (joblib) over bootstrap resamples and over SCM fits. ``None`` means 1.

    Attributes
    ----------
    edge_probabilities_ : DataFrame of shape (n_features + 1, n_features + 1)
        ``[a, b]`` is the share of discovered graphs with ``a -> b`` (index and columns: feature
        names and :attr:`target_name_`). An edge with an arrowhead at one end only
        (``->``, ``o->``) counts 1 towards the arrowhead; undirected (PC ``-``), circle-circle
        (FCI ``o-o``) and bidirected (``<->``, a latent confounder) edges count 0.5 in each
        direction, since a DAG can keep the dependence only as a direct edge either way.
    graphs_ : list of networkx.DiGraph
        The ``n_graphs`` sampled DAGs over the modelled nodes (always acyclic).
    scms_ : list of dowhy.gcm.StructuralCausalModel
        One fitted SCM per DAG.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_prior_ : ndarray of shape (n_classes,)
        Share of each class in the training labels.
    target_name_ : str
        Name of the target node: ``y.name`` for a named Series, else ``"target"``; underscores
        are appended if that collides with a feature name.
    indep_test_ : str or None
        Independence test used (see ``indep_test``); None for a fixed graph.
    constant_features_ : list of str
        Features with a single observed value: left out of discovery and the SCMs and sampled
        as that constant.
    duplicate_features_ : dict
        ``{feature: source}`` for features identical to an earlier feature or to the target
        (same values, same missing positions): left out of discovery and the SCMs and sampled
        as a copy of ``source``.
    missing_rate_ : ndarray of shape (n_features,)
        Share of missing values per feature. Missing values are imputed (median for numeric and
        integer columns, most frequent level for categorical and boolean ones) for discovery and
        SCM fitting, and re-applied completely at random at this rate in samples: no row is
        dropped.
    schema_ : TableSchema
        Column kinds, levels and dtypes, used to return samples in the input's format.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has feature names that
        are all strings.

    Notes
    -----
    **Discovery.** On every resample one PC-stable adjacency search (Colombo & Maathuis,
    2014; the first separating set found is kept) is shared by both algorithms, as FCI's first
    stage is the same search. PC then orients unshielded colliders (an existing collider is
    never overwritten) and applies Meek's rules 1-3; FCI runs its possible-D-SEP stage with
    conditioning sets of at most ``POSSIBLE_DSEP_MAX_SIZE = 2`` variables (unbounded, that
    stage enumerates every subset and dominates run time) and orients with causal-learn's
    rules R0-R10. Conditioning sets are limited to ``n_samples - 5`` variables. Bootstrap
    resamples repeat rows, so the tests are somewhat anti-conservative; averaging over
    resamples turns the resulting spurious edges into low probabilities.

    **Input requirements** (each violation raises a ``ValueError``/``TypeError`` that names
    the fix): at least ``MIN_SAMPLES = 10`` rows and two classes; no infinite values,
    all-missing columns, datetime/timedelta/complex/sparse columns or object columns mixing
    value types; at most ``max_features`` features and 50 levels per categorical column.
    Column names must stay unique when converted to strings.

    References
    ----------
    .. [1] Bühler, Purucker & Hutter (2026). "CausalMixFT: causal data augmentation for
       fine-tuning tabular foundation models". arXiv:2601.04110.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix import CausalSCMAugmenter
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=200), "colour": rng.choice(["red", "blue"], 200)})
    >>> y = pd.Series((X["a"] + rng.normal(size=200) > 0).astype(int), name="label")
    >>> aug = CausalSCMAugmenter(n_bootstrap=2, n_graphs=2, random_state=0).fit(X, y)
    >>> X_syn, y_syn = aug.sample(50)
    >>> X_syn.shape, y_syn.name, list(X_syn.dtypes.astype(str))
    ((50, 2), 'label', ['float64', 'str'])
    >>> X_mix, y_mix = aug.fit_resample(X, y)
    >>> len(X_mix)
    400
    """

    _parameter_constraints: dict = {
        "discovery": [StrOptions({"pc", "fci", "pc+fci"}), nx.DiGraph, pd.DataFrame],
        "n_bootstrap": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "indep_test": [StrOptions({"auto", "fisherz", "gsq", "chisq"})],
        "background_knowledge": [dict, None],
        "n_graphs": [Interval(Integral, 1, None, closed="left")],
        "mechanisms": [StrOptions({"fast", "auto"})],
        "synthetic_ratio": [Interval(Real, 0, 1, closed="both")],
        "match_class_balance": ["boolean"],
        "max_features": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        discovery="pc+fci",
        n_bootstrap=10,
        alpha=0.05,
        indep_test="auto",
        background_knowledge=None,
        n_graphs=5,
        mechanisms="fast",
        synthetic_ratio=0.5,
        match_class_balance=True,
        max_features=100,
        random_state=None,
        verbose=0,
        n_jobs=None,
    ):
        self.discovery = discovery
        self.n_bootstrap = n_bootstrap
        self.alpha = alpha
        self.indep_test = indep_test
        self.background_knowledge = background_knowledge
        self.n_graphs = n_graphs
        self.mechanisms = mechanisms
        self.synthetic_ratio = synthetic_ratio
        self.match_class_balance = match_class_balance
        self.max_features = max_features
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------------------- tags
    def __sklearn_tags__(self):
        base = super().__sklearn_tags__()
        tags = _AugmenterTags(
            estimator_type="sampler",
            target_tags=base.target_tags,
            transformer_tags=None,
            classifier_tags=None,
            regressor_tags=None,
            input_tags=_AugmenterInputTags(
                allow_nan=True, string=True, categorical=True, sparse=False, dataframe=True
            ),
            array_api_support=base.array_api_support,
            no_validation=base.no_validation,
            non_deterministic=base.non_deterministic,
            requires_fit=base.requires_fit,
            _skip_test=base._skip_test,
            sampler_tags=_SamplerTags(),
        )
        tags.target_tags.required = True
        return tags

    # ------------------------------------------------------------------------------- fit
    def _validate_X(self, X):
        """sklearn-style validation (sets n_features_in_/feature_names_in_); returns the table."""
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=True, skip_check_array=True)
            if X.shape[1] == 0:
                raise ValueError(
                    f"0 feature(s) (shape={X.shape}) while a minimum of 1 is required."
                )
            if X.shape[0] == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is "
                    f"required."
                )
            return X
        if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
            raise TypeError(
                "Sparse input is not supported by CausalSCMAugmenter; convert it with "
                "`X.toarray()` (categorical codes and missing values need a dense table)."
            )
        return validate_data(
            self, X, reset=True, dtype=None, ensure_all_finite="allow-nan", ensure_2d=True
        )

    def _node_names(self, schema, info):
        features = [str(n) for n in schema.names]
        if len(set(features)) != len(features):
            raise ValueError(
                f"Column names must be unique once converted to strings, got {schema.names}; "
                f"rename the columns."
            )
        target = "target" if info.name is None else str(info.name)
        while target in features:
            target += "_"
        return features, target

    def _parse_background_knowledge(self, names):
        bk = self.background_knowledge or {}
        unknown_keys = set(bk) - {"forbidden", "required"}
        if unknown_keys:
            raise ValueError(
                f"background_knowledge keys must be 'forbidden' and/or 'required', got "
                f"{sorted(unknown_keys)}."
            )
        index = {n: i for i, n in enumerate(names)}
        parsed = {}
        for key in ("forbidden", "required"):
            edges = []
            for edge in bk.get(key, ()) or ():
                if not isinstance(edge, (tuple, list)) or len(edge) != 2:
                    raise ValueError(
                        f"background_knowledge[{key!r}] must hold (a, b) pairs of node names, "
                        f"got {edge!r}."
                    )
                a, b = (str(v) for v in edge)
                missing = [v for v in (a, b) if v not in index]
                if missing:
                    raise ValueError(
                        f"background_knowledge[{key!r}] names unknown nodes {missing}; valid "
                        f"nodes are the features and the target: {names}."
                    )
                if a == b:
                    raise ValueError(f"background_knowledge[{key!r}] holds a self-loop {edge!r}.")
                edges.append((index[a], index[b]))
            parsed[key] = edges
        clash = set(parsed["forbidden"]) & set(parsed["required"])
        if clash:
            pairs = [(names[a], names[b]) for a, b in sorted(clash)]
            raise ValueError(f"Edges {pairs} are both forbidden and required.")
        if parsed["required"] and not nx.is_directed_acyclic_graph(
            nx.DiGraph(parsed["required"])
        ):
            raise ValueError(
                "The required edges of background_knowledge form a cycle; a DAG cannot hold them."
            )
        return parsed

    def _fixed_graph_probabilities(self, names):
        """Edge probabilities from a user-given DiGraph or adjacency DataFrame."""
        index = {n: i for i, n in enumerate(names)}
        P = np.zeros((len(names), len(names)))
        if isinstance(self.discovery, nx.DiGraph):
            nodes = [str(v) for v in self.discovery.nodes]
            unknown = [v for v in nodes if v not in index]
            if unknown:
                raise ValueError(
                    f"discovery graph has nodes {unknown} that are neither features nor the "
                    f"target; valid nodes: {names}."
                )
            if not nx.is_directed_acyclic_graph(self.discovery):
                raise ValueError(
                    "discovery graph has a cycle; pass an acyclic networkx.DiGraph, or an "
                    "adjacency DataFrame of edge probabilities (cycles are then broken)."
                )
            for a, b in self.discovery.edges:
                P[index[str(a)], index[str(b)]] = 1.0
            return P
        frame = self.discovery
        rows, cols = [str(v) for v in frame.index], [str(v) for v in frame.columns]
        if sorted(rows) != sorted(names) or sorted(cols) != sorted(names):
            raise ValueError(
                f"discovery adjacency DataFrame must have index and columns equal to the feature "
                f"names plus the target name {names}; got index {rows} and columns {cols}."
            )
        values = np.asarray(frame.to_numpy(dtype=float, na_value=np.nan))
        if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
            raise ValueError(
                "discovery adjacency DataFrame must hold edge probabilities in [0, 1] without "
                "missing values."
            )
        r = [rows.index(n) for n in names]
        c = [cols.index(n) for n in names]
        P = values[np.ix_(r, c)].copy()
        np.fill_diagonal(P, 0.0)
        return P

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the causal graph of ``X`` and ``y`` and fit the structural causal models.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features: numeric, integer, boolean or categorical (strings / ``category``) columns;
            missing values allowed.
        y : array-like of shape (n_samples,)
            Class labels (a node of the causal graph).

        Returns
        -------
        self : CausalSCMAugmenter
            Fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_causalmix import CausalSCMAugmenter
        >>> rng = np.random.RandomState(0)
        >>> a = rng.normal(size=300); b = a + 0.5 * rng.normal(size=300)
        >>> y = (b + 0.5 * rng.normal(size=300) > 0).astype(int)
        >>> aug = CausalSCMAugmenter(n_bootstrap=3, n_graphs=2, random_state=0)
        >>> aug.fit(np.c_[a, b], y).edge_probabilities_.round(2)
                  x0   x1  target
        x0      0.00  0.5     0.0
        x1      0.50  0.0     0.5
        target  0.00  0.5     0.0
        """
        y_arr, info = _check_target(y)
        X = self._validate_X(X)
        check_consistent_length(X, y_arr)
        classes, t = np.unique(y_arr, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has one class ({classes[0]!r}); CausalSCMAugmenter needs at least two "
                f"classes to model the target."
            )
        n_samples = len(y_arr)
        if n_samples < MIN_SAMPLES:
            raise ValueError(
                f"CausalSCMAugmenter needs at least {MIN_SAMPLES} samples for the independence "
                f"tests, got {n_samples} sample(s); collect more rows."
            )
        schema = TableSchema.from_data(X)
        if schema.n_features > self.max_features:
            raise ValueError(
                f"X has {schema.n_features} features, more than max_features="
                f"{self.max_features}. Select features first (e.g. with "
                f"sklearn.feature_selection.SelectKBest) or raise max_features; discovery time "
                f"grows quickly with the number of features."
            )
        features, target = self._node_names(schema, info)
        names = features + [target]
        bk = self._parse_background_knowledge(names)
        rng = check_random_state(self.random_state)

        Z = schema.encode(X)
        p = schema.n_features
        missing = np.isnan(Z)
        self.missing_rate_ = missing.mean(axis=0)
        fill = np.empty(p)
        for j, spec in enumerate(schema.columns):
            col = Z[~missing[:, j], j]
            if spec.is_categorical:
                fill[j] = np.bincount(col.astype(np.int64)).argmax()
            else:
                fill[j] = np.median(col)
        Z_imp = np.where(missing, fill, Z)

        constant = [j for j in range(p) if np.ptp(Z_imp[:, j]) == 0]
        duplicates = {}
        seen = {}
        t_float = t.astype(np.float64)
        for j in range(p):
            if j in constant:
                continue
            key = np.where(missing[:, j], np.inf, Z[:, j]).tobytes()
            if not missing[:, j].any() and np.array_equal(Z[:, j], t_float):
                duplicates[j] = -1  # copy of the target codes
            elif key in seen:
                duplicates[j] = seen[key]
            else:
                seen[key] = j
        active = [j for j in range(p) if j not in constant and j not in duplicates]
        self.constant_features_ = [features[j] for j in constant]
        self.duplicate_features_ = {
            features[j]: (target if s == -1 else features[s]) for j, s in duplicates.items()
        }
        self._constant_values = {j: fill[j] for j in constant}
        self._duplicates = duplicates

        # Nodes of the model: active features, then the target (index p in `names`).
        model_idx = active + [p]
        model_names = [names[i] for i in model_idx]
        discrete = np.array([schema.columns[j].is_categorical for j in active] + [True])
        data = np.column_stack([Z_imp[:, active], t_float])
        position = {full: k for k, full in enumerate(model_idx)}

        def _restrict(edges):
            return [(position[a], position[b]) for a, b in edges if a in position and b in position]

        for a, b in bk["required"]:
            if a not in position or b not in position:
                excluded = [names[v] for v in (a, b) if v not in position]
                warnings.warn(
                    f"Required edge {names[a]} -> {names[b]} ignored: {excluded} is constant or a "
                    f"duplicate and not a node of the causal model.",
                    UserWarning,
                )

        P = np.zeros((p + 1, p + 1))
        if isinstance(self.discovery, str):
            P_model, self.indep_test_ = bootstrap_edge_probabilities(
                data,
                discrete,
                method=self.discovery,
                n_bootstrap=self.n_bootstrap,
                alpha=self.alpha,
                indep_test=self.indep_test,
                forbidden=_restrict(bk["forbidden"]),
                required=_restrict(bk["required"]),
                strata=t,
                random_state=rng,
                n_jobs=self.n_jobs,
                verbose=self.verbose,
            )
            P[np.ix_(model_idx, model_idx)] = P_model
        else:
            rng.randint(np.iinfo(np.int32).max)  # keep later draws independent of this branch
            P = self._fixed_graph_probabilities(names)
            self.indep_test_ = None
            outside = [j for j in range(p) if j not in position and (P[j].any() or P[:, j].any())]
            if outside:
                warnings.warn(
                    f"Edges touching {[names[j] for j in outside]} are ignored: these columns "
                    f"are constant or duplicates and not nodes of the causal model.",
                    UserWarning,
                )
        for a, b in bk["forbidden"]:
            P[a, b] = 0.0
        for a, b in bk["required"]:
            P[a, b], P[b, a] = 1.0, 0.0
        np.fill_diagonal(P, 0.0)
        self.edge_probabilities_ = pd.DataFrame(P, index=names, columns=names)

        self.graphs_ = sample_dags(
            P[np.ix_(model_idx, model_idx)], model_names, self.n_graphs, random_state=rng
        )
        frame = pd.DataFrame(
            {
                name: (codes_to_labels(data[:, k]) if discrete[k] else data[:, k])
                for k, name in enumerate(model_names)
            }
        )
        categorical_nodes = {name for k, name in enumerate(model_names) if discrete[k]}
        seeds = spawn_seeds(rng, self.n_graphs)
        graphs = self.graphs_
        if self.verbose > 0:
            from tqdm.auto import tqdm

            graphs = tqdm(graphs, desc="fitting SCMs")
        tasks = (
            delayed(fit_scm)(dag, frame, categorical_nodes, self.mechanisms, seed)
            for dag, seed in zip(graphs, seeds)
        )
        if self.n_jobs is None or self.n_jobs == 1:
            self.scms_ = [task[0](*task[1], **task[2]) for task in tasks]
        else:
            self.scms_ = Parallel(n_jobs=self.n_jobs)(tasks)

        self.schema_ = schema
        self.classes_ = classes
        self.class_prior_ = np.bincount(t, minlength=len(classes)) / n_samples
        self.target_name_ = target
        self._target_info = info
        self._active = active
        self._model_names = model_names
        self._categorical_nodes = categorical_nodes
        self._sample_seed = int(rng.randint(np.iinfo(np.int32).max))
        return self

    # ------------------------------------------------------------------------------- sample
    def _frame_to_codes(self, frame):
        """DoWhy samples -> (encoded active features, target codes)."""
        cols = []
        for j, name in zip(self._active, self._model_names[:-1]):
            values = frame[name].to_numpy()
            cols.append(labels_to_codes(values) if name in self._categorical_nodes else values)
        Z = np.column_stack(cols).astype(np.float64) if cols else np.empty((len(frame), 0))
        return Z, labels_to_codes(frame[self.target_name_].to_numpy()).astype(np.int64)

    def _draw_balanced(self, scm, quota, rng):
        """Rejection-sample rows of ``scm`` until each class reaches its quota."""
        n_classes = len(quota)
        need = quota.copy()
        parts_Z, parts_t = [], []
        seen = np.zeros(n_classes)
        drawn = 0
        for _ in range(_MAX_REJECTION_ROUNDS):
            if need.sum() == 0:
                break
            rate = (seen + self.class_prior_) / (drawn + 1.0)
            wanted = need[need > 0] / np.maximum(rate[need > 0], 1e-3)
            batch = int(min(max(1.2 * wanted.max() + 16, need.sum()), 50 * quota.sum() + 1000))
            Z, t = self._frame_to_codes(draw(scm, batch, spawn_seeds(rng, 1)[0]))
            drawn += batch
            seen += np.bincount(t, minlength=n_classes)
            for c in np.flatnonzero(need > 0):
                rows = np.flatnonzero(t == c)[: need[c]]
                parts_Z.append(Z[rows])
                parts_t.append(t[rows])
                need[c] -= len(rows)
        for c in np.flatnonzero(need > 0):
            warnings.warn(
                f"The causal models rarely generate class {self.classes_[c]!r}; {need[c]} of its "
                f"rows were drawn under do({self.target_name_} := {self.classes_[c]!r}), which "
                f"keeps the label's effect on its descendants but not its dependence on its "
                f"causes.",
                UserWarning,
            )
            frame = draw_with_intervention(
                scm,
                self.target_name_,
                codes_to_labels([c])[0],
                int(need[c]),
                spawn_seeds(rng, 1)[0],
            )
            Z, t = self._frame_to_codes(frame)
            parts_Z.append(Z)
            parts_t.append(np.full(len(t), c))
        return np.concatenate(parts_Z), np.concatenate(parts_t)

    def _sample_codes(self, n_samples, rng):
        """Encoded synthetic rows (all features, missingness re-applied) and target codes."""
        G = len(self.scms_)
        sizes = np.full(G, n_samples // G)
        sizes[rng.permutation(G)[: n_samples % G]] += 1
        if self.match_class_balance:
            quota = _largest_remainder(n_samples, self.class_prior_)
            labels = rng.permutation(np.repeat(np.arange(len(quota)), quota))
            bounds = np.concatenate([[0], np.cumsum(sizes)])
        parts_Z, parts_t = [], []
        for g, scm in enumerate(self.scms_):
            if sizes[g] == 0:
                continue
            if self.match_class_balance:
                chunk = labels[bounds[g] : bounds[g + 1]]
                Zg, tg = self._draw_balanced(
                    scm, np.bincount(chunk, minlength=len(self.classes_)), rng
                )
            else:
                Zg, tg = self._frame_to_codes(draw(scm, sizes[g], spawn_seeds(rng, 1)[0]))
            parts_Z.append(Zg)
            parts_t.append(tg)
        p = self.schema_.n_features
        Z_active = np.concatenate(parts_Z) if parts_Z else np.empty((0, len(self._active)))
        t = np.concatenate(parts_t) if parts_t else np.empty(0, dtype=np.int64)
        Z = np.full((n_samples, p), np.nan)
        Z[:, self._active] = Z_active
        for j, value in self._constant_values.items():
            Z[:, j] = value
        for j in range(p):
            k = int(round(self.missing_rate_[j] * n_samples))
            if k > 0 and j not in self._duplicates:
                Z[rng.choice(n_samples, size=k, replace=False), j] = np.nan
        for j, source in sorted(self._duplicates.items()):
            Z[:, j] = t if source == -1 else Z[:, source]
        order = rng.permutation(n_samples)
        return Z[order], t[order]

    def _restore_y(self, labels):
        info = self._target_info
        if info.container == "series":
            return pd.Series(labels, name=info.name, dtype=info.dtype)
        if info.container == "frame":
            return pd.DataFrame({info.name: pd.Series(labels, dtype=info.dtype)})
        return np.asarray(labels, dtype=info.dtype)

    def sample(self, n_samples, *, random_state=None):
        """Draw synthetic labelled rows pooled over the fitted SCMs.

        The estimator is not modified: the same call gives the same rows.

        Parameters
        ----------
        n_samples : int
            Number of rows (>= 0).
        random_state : int, RandomState instance or None, default=None
            Seed of this draw. ``None`` uses a seed fixed at fit time (drawn from the
            estimator's ``random_state``).

        Returns
        -------
        X_syn : DataFrame or ndarray of shape (n_samples, n_features)
            Same columns, dtypes and categories as the training ``X`` (integer columns stay
            integer and within their observed range, categorical columns hold only seen
            levels); a DataFrame when ``X`` was one.
        y_syn : Series, DataFrame or ndarray of shape (n_samples,)
            Labels among :attr:`classes_`, in the container, name and dtype of the training
            ``y``. With ``match_class_balance=True`` the class counts are the training
            proportions times ``n_samples``, rounded by largest remainder.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_causalmix import CausalSCMAugmenter
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 3)); y = (X[:, 0] > 0).astype(int)
        >>> aug = CausalSCMAugmenter(n_bootstrap=2, n_graphs=2, random_state=0).fit(X, y)
        >>> X_syn, y_syn = aug.sample(10)
        >>> X_syn.shape, np.bincount(y_syn).tolist(), np.bincount(y).tolist()
        ((10, 3), [5, 5], [48, 52])
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 0:
            raise ValueError(f"n_samples must be a non-negative integer, got {n_samples!r}.")
        if random_state is None:
            rng = np.random.RandomState(self._sample_seed)
        else:
            rng = np.random.RandomState(spawn_seeds(check_random_state(random_state), 1)[0])
        Z, t = self._sample_codes(int(n_samples), rng)
        return self.schema_.decode(Z), self._restore_y(self.classes_[t])

    # ------------------------------------------------------------------------------- resample
    def fit_resample(self, X, y):
        """Fit, then return the real rows plus a ``synthetic_ratio`` share of synthetic rows.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        X_resampled : DataFrame, ndarray or list
            Real rows first (all of them, unchanged), then ``round(r / (1 - r) * n_samples)``
            synthetic rows, r = ``synthetic_ratio``. At r = 1 only ``n_samples`` synthetic rows;
            at r = 0 the real ``X`` as given. Same container as ``X`` (DataFrames get a fresh
            ``RangeIndex``).
        y_resampled : Series, DataFrame, ndarray or list
            Labels, in the container of ``y``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_causalmix import CausalSCMAugmenter
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(60, 2)); y = (X[:, 0] > 0).astype(int)
        >>> aug = CausalSCMAugmenter(synthetic_ratio=0.25, n_bootstrap=2, n_graphs=1,
        ...                          random_state=0)
        >>> X_res, y_res = aug.fit_resample(X, y)
        >>> X_res.shape, bool((X_res[:60] == X).all())
        ((80, 2), True)
        """
        return resample_with_ratio(self, X, y)


    # ------------------------------------------------------------------------------- plotting
    def plot_graph(self, ax=None, threshold=0.0):
        """Draw the edge probabilities as a directed graph.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        threshold : float, default=0.0
            Only edges with probability above ``threshold`` are drawn.

        Returns
        -------
        ax : matplotlib Axes
            Edge width and opacity grow with the probability; the target node is orange,
            constant and duplicate columns (not modelled) grey.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn_causalmix import CausalSCMAugmenter
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 3)); y = (X[:, 0] > 0).astype(int)
        >>> aug = CausalSCMAugmenter(n_bootstrap=2, n_graphs=1, random_state=0).fit(X, y)
        >>> ax = aug.plot_graph(threshold=0.2)
        >>> ax.get_title()
        'Edge probabilities'
        """
        from sklearn_causalmix.augment._plot import plot_edge_probabilities

        check_is_fitted(self)
        inactive = set(self.constant_features_) | set(self.duplicate_features_)
        return plot_edge_probabilities(
            self.edge_probabilities_,
            target=self.target_name_,
            inactive=inactive,
            ax=ax,
            threshold=threshold,
        )
