"""The public methods of CausalSCMAugmenter beyond BaseAugmenter's: sampling under interventions,
per-class resampling (imbalanced-learn's ``sampling_strategy``), and drawing the graph.

A mixin, so that the estimator's module stays small; it relies on the fitted attributes and
private state that :class:`~sklearn_causalmix.augment.CausalSCMAugmenter` sets in ``fit``.
"""

from __future__ import annotations

import functools
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sklearn_causalmix._core import largest_remainder
from sklearn_causalmix.augment._base import as_pandas
from sklearn_causalmix.augment._resample import resample_with_counts
from sklearn_causalmix.augment._sampling import sample_under_interventions

__all__ = ["CausalMethodsMixin"]


class CausalMethodsMixin:
    """``sample`` with interventions, ``fit_resample`` with a sampling strategy, ``plot_graph``.

    Examples
    --------
    >>> from sklearn_causalmix import CausalSCMAugmenter
    >>> from sklearn_causalmix.augment._methods import CausalMethodsMixin
    >>> issubclass(CausalSCMAugmenter, CausalMethodsMixin)
    True
    """

    def sample(self, n_samples, *, random_state=None, interventions=None):
        """Draw synthetic labelled rows, optionally under interventions ``do(column := value)``.

        Without ``interventions``, class counts are the training proportions times
        ``n_samples``, rounded by largest remainder (see ``match_class_balance``). With
        ``interventions``, every SCM is sampled under the atomic interventions (DoWhy's
        ``gcm.interventional_samples``): the intervened columns take the given values, their
        descendants in each sampled DAG are regenerated from them, and every other column keeps
        its observational distribution; the labels are whatever the models generate (no class
        quota). The estimator is not modified. Reproducibility: with ``random_state`` given
        here, or an estimator built with a ``random_state`` other than None, the same call gives
        the same rows; with both None, every call draws new rows.

        Parameters
        ----------
        n_samples : int
            Number of rows (>= 0).
        random_state : int, RandomState instance or None, default=None
            Seed of this draw. ``None`` uses a seed fixed at fit time from the estimator's
            ``random_state``, or fresh entropy when that is None too.
        interventions : dict or None, default=None
            ``{column: value}`` with feature names (or the target name, :attr:`target_name_`)
            and values as in the training data (a level of a categorical column, a number of a
            numeric one). Columns left out of the model (constant, deterministic or identifier
            columns) cannot be intervened on; intervene on their source. A value the synthetic
            rows cannot hold is refused, not changed: a discrete column (few distinct values)
            takes its observed values only, an integer column whole numbers within its observed
            range; a float column may be set outside its range (its descendants stay within
            theirs: the models do not extrapolate).

        Returns
        -------
        X_syn : DataFrame or ndarray of shape (n_samples, n_features)
            Same columns, dtypes and categories as the training ``X``.
        y_syn : Series, DataFrame or ndarray of shape (n_samples,)
            Labels among ``classes_``, in the container, name and dtype of the training ``y``.

        Examples
        --------
        >>> import networkx as nx
        >>> import numpy as np
        >>> import pandas as pd
        >>> from sklearn_causalmix import CausalSCMAugmenter
        >>> rng = np.random.RandomState(0)
        >>> a = rng.normal(size=300)
        >>> X = pd.DataFrame({"a": a, "b": 2 * a + rng.normal(size=300)})
        >>> y = pd.Series((X["b"] > 0).astype(int), name="y")
        >>> graph = nx.DiGraph([("a", "b"), ("b", "y")])
        >>> aug = CausalSCMAugmenter(discovery=graph, n_graphs=1, random_state=0).fit(X, y)
        >>> X_do, y_do = aug.sample(200, interventions={"b": 3.0})
        >>> bool((X_do["b"] == 3.0).all()), bool(y_do.mean() > 0.9)  # b -> y: y follows
        (True, True)
        >>> bool(abs(X_do["a"].mean() - X["a"].mean()) < 0.3)  # a causes b: not moved by do(b)
        True
        """
        if not interventions:
            return super().sample(n_samples, random_state=random_state)
        check_is_fitted(self, "schema_")
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 0:
            raise ValueError(f"n_samples must be a non-negative integer, got {n_samples!r}.")
        do_nodes, fixed = self._parse_interventions(interventions)
        counts = largest_remainder(int(n_samples), self.class_prior_) if n_samples else None
        sampler = functools.partial(self._sample_do, do_nodes=do_nodes, fixed=fixed)
        return self._draw(counts, random_state, sampler=sampler)

    def _parse_interventions(self, interventions):
        """``{column: value}`` -> ({SCM node: node value}, {feature index: encoded value})."""
        if not isinstance(interventions, dict):
            raise TypeError(
                f"interventions must be a dict {{column: value}}, got {type(interventions)}."
            )
        features = [str(n) for n in self.schema_.names]
        modelled = set(self._layout.feature_nodes) | {self.target_name_}
        do_nodes, fixed = {}, {}
        for column, value in interventions.items():
            name = str(column)
            if name not in modelled:
                why = self._why_not_modelled(name, features)
                raise ValueError(f"Cannot intervene on {name!r}: {why}")
            if name == self.target_name_:
                codes = np.flatnonzero(self.classes_ == value)
                if not len(codes):
                    raise ValueError(f"{value!r} is not a class; classes: {list(self.classes_)}.")
                do_nodes[name] = int(codes[0])
                continue
            j = features.index(name)
            row = np.full((1, len(features)), np.nan)
            row[0, j] = self._encode_value(j, value)
            self._check_holds(j, row)
            do_nodes[name] = float(self._nodes.coder.encode(row)[0, j])
            fixed[j] = row[0, j]
        return do_nodes, fixed

    def _encode_value(self, j, value):
        spec = self.schema_.columns[j]
        if spec.is_categorical:
            if value not in spec.categories:
                raise ValueError(
                    f"{value!r} is not a level of column {spec.name!r}; levels: "
                    f"{list(spec.categories)}."
                )
            return float(list(spec.categories).index(value))
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"Column {spec.name!r} is numeric; got {value!r}.") from exc

    def _check_holds(self, j, row):
        """Refuse a numeric intervention value the synthetic rows cannot hold (never change it).

        Synthetic rows keep values a real row could hold: a discrete column (few distinct
        values) takes only its observed values, an integer column stays within its observed
        range. A value outside them would come back snapped or clipped; say so instead.
        """
        spec = self.schema_.columns[j]
        if spec.is_categorical:
            return
        value = row[0, j]
        coder = self._nodes.coder
        held = np.asarray(self.schema_.decode(row), dtype=object).reshape(1, -1)[0, j]
        discrete = coder.kinds[j] == "discrete"
        if (not discrete or value in coder.values[j]) and float(held) == value:
            return
        observed = coder.values[j]
        what = (f"only its observed values {observed.tolist()}" if discrete else
                f"whole numbers within its observed range [{observed.min():g}, "
                f"{observed.max():g}]")
        raise ValueError(
            f"Cannot intervene with {spec.name!r} := {value:g}: synthetic rows keep values a real "
            f"row could hold, and this column takes {what}; the value would be changed. "
            "Intervene with a value it takes.")

    def _why_not_modelled(self, name, features):
        if name in self.deterministic_features_:
            source, kind = self.deterministic_features_[name]
            return f"it is a {kind} of {source!r}; intervene on {source!r}."
        if name in self.constant_features_:
            return "it is constant."
        if name in getattr(self, "identifier_features_", []):
            return "it is an identifier column."
        return f"not a column of the model; columns: {features}."

    def _sample_do(self, counts, rng, *, do_nodes, fixed):
        Z_active, t = sample_under_interventions(
            self.scms_, int(np.sum(counts)), self._layout, do_nodes, rng
        )
        return self._nodes.complete(Z_active, t, fixed=fixed), t

    def fit_resample(self, X, y):
        """Fit, then return the real rows plus synthetic ones.

        With ``sampling_strategy`` None, a ``synthetic_ratio`` share of synthetic rows in the
        class proportions of ``y``; otherwise the
        synthetic rows of each class given by :attr:`sampling_strategy_`.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        X_resampled : DataFrame, ndarray or list
            Real rows first (all of them, unchanged), then the synthetic rows; same container
            as ``X`` (DataFrames get a fresh ``RangeIndex``).
        y_resampled : Series, DataFrame, ndarray or list
            Labels, in the container of ``y``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_causalmix import CausalSCMAugmenter
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2)); y = np.r_[np.zeros(80, int), np.ones(20, int)]
        >>> aug = CausalSCMAugmenter(sampling_strategy="minority", n_bootstrap=1, n_graphs=1,
        ...                          random_state=0)
        >>> X_res, y_res = aug.fit_resample(X, y)
        >>> np.bincount(y_res).tolist()  # imbalanced-learn's "minority": 20 -> 80
        [80, 80]
        """
        if self.sampling_strategy is None:
            return super().fit_resample(X, y)
        X, y = as_pandas(X), as_pandas(y)
        self.fit(X, y)
        wanted = self.sampling_strategy_
        counts = np.array([wanted.get(c, 0) for c in self.classes_], dtype=np.int64)
        X_syn, y_syn = self._draw(counts, exact=True)
        return resample_with_counts(X, y, X_syn, y_syn)

    # ------------------------------------------------------------------------------- plotting
    def plot_graph(self, ax=None, threshold=0.0, *, max_edges="auto", layout="layered"):
        """Draw the edge probabilities as a directed graph.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        threshold : float, default=0.0
            Only edges with probability above ``threshold`` are drawn.
        max_edges : int, "auto" or None, default="auto"
            Draw at most this many edges, the most probable ones. ``"auto"``: all up to 20
            nodes, else twice the number of nodes (readable at 40+ nodes); None: all.
        layout : {"layered", "circular"}, default="layered"
            ``"layered"``: causes above their effects (layers of the drawn edges, most
            probable first, kept acyclic), unconnected nodes in the bottom row;
            ``"circular"``: all nodes on a circle.

        Returns
        -------
        ax : matplotlib Axes
            Edge width and opacity grow with the probability; the target node is orange,
            constant and deterministic columns (not modelled) grey.

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
        inactive = set(self.constant_features_) | set(self.deterministic_features_)
        return plot_edge_probabilities(
            self.edge_probabilities_,
            target=self.target_name_,
            inactive=inactive,
            ax=ax,
            threshold=threshold,
            max_edges=max_edges,
            layout=layout,
        )
