"""CausalSCMAugmenter: synthetic labelled rows from SCMs fitted on sampled causal graphs.

The estimator strings the method together: node handling (:mod:`._nodes`), discovery on
bootstrap resamples (:mod:`._discovery`), DAG sampling (:mod:`._dag`), one DoWhy SCM per DAG
(:mod:`._scm`) and sampling from them (:mod:`._sampling`); validation, containers, imputation and
row counts come from :class:`~sklearn_causalmix.augment._base.BaseAugmenter`.
"""

from __future__ import annotations

from numbers import Integral, Real

import networkx as nx
import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, StrOptions

from sklearn_causalmix.augment._base import BaseAugmenter
from sklearn_causalmix.augment._methods import CausalMethodsMixin
from sklearn_causalmix.augment._dag import sample_dags
from sklearn_causalmix._core import spawn_seeds
from sklearn_causalmix.augment._nodes import (
    impute_from_observed,
    indicator_names,
    node_names,
    parse_background_knowledge,
)
from sklearn_causalmix.augment._edges import edge_probabilities
from sklearn_causalmix.augment._nodetable import NodeTable
from sklearn_causalmix.augment._sampling import SCMLayout, sample_from_scms
from sklearn_causalmix.augment._scm import fit_scms
from sklearn_causalmix.augment._semantics import categorical_mask
from sklearn_causalmix.augment._strategy import STRATEGY_NAMES, synthetic_counts

__all__ = ["CausalSCMAugmenter"]

#: Smallest number of rows accepted by ``fit`` (independence tests need n - |S| - 3 >= 1).
MIN_SAMPLES = 10


class CausalSCMAugmenter(CausalMethodsMixin, BaseAugmenter):
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
        many as the real ones; at 0, the real rows unchanged. Ignored when
        ``sampling_strategy`` is set.
    sampling_strategy : {"auto", "minority", "not majority", "not minority", "all"}, float, \
            dict, callable or None, default=None
        Per-class over-sampling in :meth:`fit_resample`, with imbalanced-learn's semantics:
        ``"minority"`` grows the minority class to the majority's size, ``"not majority"`` (=
        ``"auto"``) every class but the majority, ``"not minority"`` every class but the
        minority, ``"all"`` every class; a float ``r`` (binary labels) grows the minority to
        ``int(r * n_majority)`` rows; a dict ``{class: rows wanted}`` or a callable ``f(y) ->
        dict`` names the sizes. All real rows are kept and the synthetic rows of each class
        (:attr:`sampling_strategy_`) appended, drawn from the SCMs with exactly these counts.
        None: ``synthetic_ratio`` decides, keeping the class proportions.
    match_class_balance : bool, default=True
        Whether :meth:`sample` returns exactly the class proportions of the training labels (by
        rejection sampling from the SCMs; for a class the SCMs almost never generate, the few
        missing rows are drawn under ``do(target := class)``, with a warning).
    max_features : int, default=100
        Largest number of features accepted (discovery time grows quickly with it).
    categorical_features : {"auto", "from_dtype"}, array-like of str, int or bool, \
            default="auto"
        Which numeric columns are modelled as categorical, i.e. sampled only among their observed
        values. Columns of categorical, string and boolean dtype always are. ``"auto"``: also
        numeric columns with at most 10 distinct observed values (a loan ``term`` in {36, 60}, a
        0/1 code, days per week); ``"from_dtype"``: no numeric column; a list of column names or
        indices, or a boolean mask over the features: exactly those numeric columns (at most 50
        distinct values each). Other numeric columns are continuous: modelled on their values
        when roughly normal (absolute skewness < 0.5, absolute excess kurtosis < 1, no value
        in more than 5 % of the rows), else on normal scores of their ranks and sampled
        through their empirical quantile function; samples stay within the observed range,
        and columns of whole numbers (integers, also floats that pandas made of integers with
        missing values) stay whole.
    random_state : int, RandomState instance or None, default=None
        Controls resampling, DAG sampling, SCM fitting and :meth:`sample`. Our code draws from
        generators derived from it; DoWhy, which reads numpy's global random state, gets that
        state seeded for each of its calls only, under a process-wide lock, and restored
        afterwards. With a fixed value, fresh fits give identical samples, also when several
        fits run in threads at once. :meth:`sample` without its own ``random_state`` repeats
        the same rows when this is set, and draws new rows on every call when it is None.
    verbose : int, default=0
        Show tqdm progress bars over resamples and graphs when > 0.
    n_jobs : int, default=None
        Parallel jobs (joblib) over bootstrap resamples and over SCM fits. ``None`` means 1.

    Attributes
    ----------
    edge_probabilities_ : DataFrame of shape (n_nodes, n_nodes)
        ``[a, b]`` is the share of discovered graphs with ``a -> b`` (index and columns: feature
        names, :attr:`target_name_`, then the missingness indicators of
        :attr:`missing_indicators_`). An edge with an arrowhead at one end only
        (``->``, ``o->``) counts 1 towards the arrowhead; undirected (PC ``-``), circle-circle
        (FCI ``o-o``) and bidirected (``<->``, a latent confounder) edges count 0.5 in each
        direction, since a DAG can keep the dependence only as a direct edge either way.
    graphs_ : list of networkx.DiGraph
        The ``n_graphs`` sampled DAGs over the modelled nodes (always acyclic).
    scms_ : list of dowhy.gcm.StructuralCausalModel
        One fitted SCM per DAG.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    sampling_strategy_ : OrderedDict
        ``{class: synthetic rows}`` that :meth:`fit_resample` adds; set only when
        ``sampling_strategy`` is not None.
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
    deterministic_features_ : dict
        ``{node: (source, kind)}`` for features (and missingness indicators) that are a
        one-to-one function of an earlier feature or of the target, with the same missing
        positions: ``kind`` is ``"duplicate"`` (same values), ``"recoding"`` (a bijection of at
        most 50 levels, e.g. ``Sex`` and its 0/1 code ``SexCode``) or ``"monotone"`` (numeric,
        absolute Spearman correlation 1, e.g. ``log(wage)``). They are left out of discovery (a
        deterministic pair breaks the faithfulness discovery relies on, and would lose both
        columns' edges) and of the SCMs, and regenerated from ``source`` by the learned map.
    duplicate_features_ : dict
        ``{feature: source}`` for the ``"duplicate"`` entries of
        :attr:`deterministic_features_` that are features.
    missing_indicators_ : dict
        ``{feature: node}``: for every feature with missing values, the name of its
        missingness indicator node (``"<feature>__missing"``), a discrete node of discovery and
        of the SCMs. Samples are missing where the sampled indicator says so, which keeps
        structural missingness (a column present exactly when another says "joint").
    identifier_features_ : list
        Columns of a training DataFrame that look like row identifiers (no missing value and
        distinct in every row: strings, or integers in row order or forming a consecutive
        range); left out of the causal model with a warning. Samples get new identifiers:
        integers after the largest training value, strings ``"synthetic-<k>"``.
    missing_rate_ : ndarray of shape (n_features,)
        Share of missing values per feature (identifier columns excluded, as in ``schema_``).
        For discovery and SCM fitting, missing node values are replaced by values drawn at
        random among the column's observed ones; no row is dropped.
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
    rules R0-R10. Conditioning sets are limited to ``n_samples - 5`` variables. A G² or
    chi-square test whose table has fewer rows than degrees of freedom is not performed and
    the edge stays (``MIN_ROWS_PER_DF = 1`` in ``_independence``), which bounds the search on
    wide tables of many-level categorical columns. Bootstrap resamples repeat rows, so the
    tests are somewhat anti-conservative; averaging over resamples turns the resulting
    spurious edges into low probabilities.

    **Input requirements** (each violation raises a ``ValueError``/``TypeError`` that names
    the fix): at least ``MIN_SAMPLES = 10`` rows and two classes; no infinite values,
    all-missing columns, datetime/timedelta/complex/sparse columns or object columns mixing
    value types; at most ``max_features`` features and 50 levels per categorical column.
    Column names must stay unique when converted to strings.

    References
    ----------
    .. [1] Bühler, Purucker & Hutter (2026). "Causal Data Augmentation for Robust Fine-Tuning
       of Tabular Foundation Models". arXiv:2601.04110.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix import CausalSCMAugmenter
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=200), "colour": rng.choice(["red", "blue"], 200)})
    >>> y = pd.Series((X["a"] + rng.normal(size=200) > 0).astype(int), name="label")
    >>> aug = CausalSCMAugmenter(n_bootstrap=2, n_graphs=2, random_state=0).fit(X, y)
    >>> aug.edge_probabilities_.round(2)  # a - label found, direction open; colour independent
              a  colour  label
    a       0.0     0.0    0.5
    colour  0.0     0.0    0.0
    label   0.5     0.0    0.0
    >>> X_syn, y_syn = aug.sample(50)
    >>> X_syn.shape, y_syn.name, list(X_syn.dtypes.astype(str))
    ((50, 2), 'label', ['float64', 'str'])
    >>> X_mix, y_mix = aug.fit_resample(X, y)
    >>> len(X_mix)
    400
    """

    _parameter_constraints: dict = {
        **BaseAugmenter._parameter_constraints,
        "discovery": [StrOptions({"pc", "fci", "pc+fci"}), nx.DiGraph, pd.DataFrame],
        "n_bootstrap": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "indep_test": [StrOptions({"auto", "fisherz", "gsq", "chisq"})],
        "background_knowledge": [dict, None],
        "n_graphs": [Interval(Integral, 1, None, closed="left")],
        "mechanisms": [StrOptions({"fast", "auto"})],
        "match_class_balance": ["boolean"],
        "max_features": [Interval(Integral, 1, None, closed="left")],
        "categorical_features": [StrOptions({"auto", "from_dtype"}), "array-like"],
        "sampling_strategy": [
            StrOptions(set(STRATEGY_NAMES)),
            Interval(Real, 0, 1, closed="right"),
            dict,
            callable,
            None,
        ],
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
        sampling_strategy=None,
        match_class_balance=True,
        max_features=100,
        categorical_features="auto",
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
        self.sampling_strategy = sampling_strategy
        self.match_class_balance = match_class_balance
        self.max_features = max_features
        self.categorical_features = categorical_features
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

    _min_samples = MIN_SAMPLES
    _min_samples_reason = " for the independence tests"
    _handles_identifiers = True

    # ------------------------------------------------------------------------------- fit
    def _fit(self, table, rng):
        schema, n_features = table.schema, table.schema.n_features
        if n_features > self.max_features:
            raise ValueError(
                f"X has {n_features} features, more than max_features={self.max_features}. "
                f"Select features first (e.g. with sklearn.feature_selection.SelectKBest) or "
                f"raise max_features; discovery time grows quickly with the number of features."
            )
        features, target = node_names(schema, table.target_name)
        declared = categorical_mask(self.categorical_features, schema, features)
        if self.sampling_strategy is not None:
            labels = table.classes[table.target]
            self.sampling_strategy_ = synthetic_counts(self.sampling_strategy, labels)
        nodes, values = NodeTable.learn(table, declared)
        names = features + [target]
        names += indicator_names(features, list(nodes.indicator_of), names)
        bk = parse_background_knowledge(self.background_knowledge, names)
        for attribute, value in nodes.describe(names).items():
            setattr(self, attribute, value)
        self._nodes = nodes

        # Nodes of the model: the active nodes, then the target (index n_features of names).
        model_index = nodes.active + [n_features]
        model_names = [names[i] for i in model_index]
        discrete = nodes.discrete_mask[model_index]
        data = impute_from_observed(values[:, model_index], rng)
        probabilities, self.indep_test_ = edge_probabilities(
            self, data, discrete, names, model_index, bk, table.target, rng
        )
        self.edge_probabilities_ = pd.DataFrame(probabilities, index=names, columns=names)
        self.graphs_ = self._graphs(probabilities[np.ix_(model_index, model_index)], model_names,
                                    rng)
        categorical_nodes = {name for k, name in enumerate(model_names) if discrete[k]}
        self.scms_ = fit_scms(
            self.graphs_,
            data,
            model_names,
            categorical_nodes,
            self.mechanisms,
            spawn_seeds(rng, self.n_graphs),
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )
        self._layout = SCMLayout(
            feature_nodes=model_names[:-1],
            categorical_nodes=categorical_nodes,
            target_node=target,
            classes=table.classes,
            class_prior=self.class_prior_,
        )

    def _graphs(self, probabilities, model_names, rng):
        """The DAGs the SCMs are fitted on: ``n_graphs`` drawn from the edge probabilities."""
        return sample_dags(probabilities, model_names, self.n_graphs, random_state=rng)

    # ------------------------------------------------------------------------------- sample
    def _sample(self, counts, rng):
        Z_active, t = sample_from_scms(
            self.scms_, counts, self._layout, rng, match_class_balance=self.match_class_balance
        )
        return self._nodes.complete(Z_active, t), t

    def _sample_exact(self, counts, rng):
        Z_active, t = sample_from_scms(self.scms_, counts, self._layout, rng)
        return self._nodes.complete(Z_active, t), t

    def _reapply_missing(self, Z, t, rng):
        # Missing values come from the indicator nodes, already in place (see _sample).
        return Z
