"""Local contexts: tables larger than the context predicted from the training rows nearest each query.

With ``context="local"`` a training set larger than the context limit is not subsampled once for every
prediction (the default, ``"subsample"``) but split into neighbourhoods, the retrieval of LoCalPFN (Thomas et al.,
2024) made affordable on a CPU: k-means groups the training rows into :func:`n_local_contexts` clusters, the
context of cluster ``g`` is the ``max_rows`` training rows nearest its centre, and each query row is predicted
with the context of its nearest centre. So every training row serves some prediction, and each prediction sees
the rows most like it. Fine-tuning draws matching local views (:mod:`sklearn_causalmix.finetune`): the rows
nearest a random training row, split into context and queries.

Distances are Euclidean in :func:`neighbour_space`: numeric columns median-imputed and standardised, categorical
codes one-hot encoded (missing a level of its own), so one standard deviation and one changed level count alike.
"""

from __future__ import annotations

import math

import numpy as np
from threadpoolctl import threadpool_limits

from sklearn_causalmix.backbones._members import subsample_context

__all__ = ["LocalContexts", "LocalEnsemble", "n_local_contexts", "nearest_rows", "neighbour_space", "split_context"]

#: Local contexts per ``max_rows`` training rows: clusters average half a context, so a query's context holds
#: its cluster and the rows around it.
_CONTEXTS_PER_LIMIT = 2

#: At most this many local contexts (each one is encoded once per ensemble member).
_MAX_LOCAL_CONTEXTS = 32


def neighbour_space(categorical_mask):
    """The unfitted transformer whose Euclidean distances define the nearest rows.

    Parameters
    ----------
    categorical_mask : ndarray of bool of shape (n_features,)
        Which encoded columns hold category codes.

    Returns
    -------
    space : sklearn.compose.ColumnTransformer
        Numeric columns: median imputation, then standard scaling; categorical codes: one-hot (missing is a
        level; levels unseen in ``fit`` encode as all zeros). Dense output.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.backbones._local import neighbour_space
    >>> Z = np.array([[1.0, 0.0], [3.0, 1.0], [np.nan, 1.0]])
    >>> neighbour_space(np.array([False, True])).fit_transform(Z).shape
    (3, 3)
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    mask = np.asarray(categorical_mask, dtype=bool)
    return ColumnTransformer(
        [("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), np.flatnonzero(~mask)),
         ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), np.flatnonzero(mask))],
        sparse_threshold=0.0,
    )


def n_local_contexts(n_rows, max_rows):
    """Number of local contexts for ``n_rows`` training rows and contexts of ``max_rows`` rows.

    One when the rows fit one context, else ``ceil(2 * n_rows / max_rows)``, at most 32 (and
    :class:`LocalContexts` makes no more than the table has distinct rows).

    Parameters
    ----------
    n_rows, max_rows : int

    Returns
    -------
    n_contexts : int

    Examples
    --------
    >>> from sklearn_causalmix.backbones._local import n_local_contexts
    >>> n_local_contexts(800, 1024), n_local_contexts(1500, 1024), n_local_contexts(5000, 1024)
    (1, 3, 10)
    """
    if n_rows <= max_rows:
        return 1
    return min(_MAX_LOCAL_CONTEXTS, math.ceil(_CONTEXTS_PER_LIMIT * n_rows / max_rows))


def nearest_rows(points, centre, n):
    """Indices of the ``n`` rows of ``points`` nearest ``centre`` (Euclidean), nearest first; ties by index.

    Parameters
    ----------
    points : ndarray of shape (n_rows, n_dims)
    centre : ndarray of shape (n_dims,)
    n : int
        At most ``n_rows``.

    Returns
    -------
    idx : ndarray of int of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.backbones._local import nearest_rows
    >>> nearest_rows(np.array([[0.0], [5.0], [1.0], [2.0]]), np.array([0.9]), 2).tolist()
    [2, 0]
    """
    distance = ((points - centre) ** 2).sum(axis=1)
    return np.lexsort((np.arange(len(points)), distance))[:n]


def split_context(Z, codes, max_rows, *, context, categorical_mask, subsample_rng, seed):
    """``(rows, local)``: the rows of ``Z`` kept as context and their local contexts (None: one subsample).

    ``context="local"`` with more than ``max_rows`` rows: every row, split by :class:`LocalContexts`
    (k-means seeded by ``seed``); otherwise a stratified subsample of at most ``max_rows`` rows
    (:func:`~sklearn_causalmix.backbones.subsample_context`, drawn from ``subsample_rng``) and None.

    Parameters
    ----------
    Z : ndarray of shape (n_rows, n_features)
    codes : ndarray of shape (n_rows,)
    max_rows : int
    context : {"subsample", "local"}
    categorical_mask : ndarray of bool of shape (n_features,)
    subsample_rng : numpy.random.Generator
    seed : int

    Returns
    -------
    rows : ndarray of int
    local : LocalContexts or None

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.backbones._local import split_context
    >>> Z, codes = np.random.default_rng(0).normal(size=(300, 2)), np.arange(300) % 2
    >>> rows, local = split_context(Z, codes, 100, context="local", categorical_mask=np.zeros(2, bool),
    ...                             subsample_rng=np.random.default_rng(0), seed=0)
    >>> len(rows), len(local.groups_)
    (300, 6)
    """
    if context == "local" and len(codes) > max_rows:
        return np.arange(len(codes)), LocalContexts(max_rows, random_state=seed).fit(Z, categorical_mask)
    return subsample_context(codes, max_rows, subsample_rng), None


class LocalContexts:
    """The local contexts of a set of training rows: k-means clusters and the rows nearest each centre.

    Parameters
    ----------
    max_rows : int
        Rows per context.
    random_state : int, default=0
        Seeds k-means.

    Attributes
    ----------
    space_ : ColumnTransformer
        The fitted :func:`neighbour_space`.
    kmeans_ : sklearn.cluster.KMeans or None
        The clusters (None when the rows fit one context).
    groups_ : list of ndarray of int
        The training rows of each context (sorted); one group of every row when they fit one context.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.backbones._local import LocalContexts
    >>> Z = np.random.default_rng(0).normal(size=(300, 2))
    >>> contexts = LocalContexts(max_rows=100).fit(Z, np.zeros(2, bool))
    >>> len(contexts.groups_), {len(g) for g in contexts.groups_}
    (6, {100})
    >>> contexts.assign(Z[:4]).shape
    (4,)
    """

    def __init__(self, max_rows, random_state=0):
        self.max_rows = max_rows
        self.random_state = random_state

    def fit(self, Z, categorical_mask):
        """Cluster the rows ``Z`` and take each centre's nearest ``max_rows`` rows as its context.

        Parameters
        ----------
        Z : ndarray of shape (n_rows, n_features)
            Encoded rows (NaN for missing, category codes).
        categorical_mask : ndarray of bool of shape (n_features,)

        Returns
        -------
        self : LocalContexts
        """
        from sklearn.cluster import KMeans

        Z = np.asarray(Z, dtype=np.float64)
        self.space_ = neighbour_space(categorical_mask).fit(Z)
        n_contexts = n_local_contexts(len(Z), self.max_rows)
        if n_contexts == 1:
            self.kmeans_, self.groups_ = None, [np.arange(len(Z))]
            return self
        points = self.space_.transform(Z)
        n_contexts = min(n_contexts, len(np.unique(points, axis=0)))  # no more clusters than distinct rows
        with threadpool_limits(1):  # the same centres whatever the machine's thread count
            self.kmeans_ = KMeans(n_contexts, n_init=1, random_state=self.random_state).fit(points)
        self.groups_ = [np.sort(nearest_rows(points, centre, self.max_rows))
                        for centre in self.kmeans_.cluster_centers_]
        return self

    def assign(self, Z):
        """The context of each row of ``Z``: the index of its nearest centre.

        Parameters
        ----------
        Z : ndarray of shape (n_rows, n_features)

        Returns
        -------
        group : ndarray of int of shape (n_rows,)
        """
        if self.kmeans_ is None:
            return np.zeros(len(Z), dtype=int)
        points = self.space_.transform(np.asarray(Z, dtype=np.float64))
        with threadpool_limits(1):
            return self.kmeans_.predict(points).astype(int)


class LocalEnsemble:
    """One in-context ensemble per local context; every query row is predicted by the ensemble of its context.

    It answers as :class:`~sklearn_causalmix.backbones.InContextEnsemble` does (``encode``, ``predict_proba``,
    ``nbytes``, ``cache``), so the estimators predict through either.

    Parameters
    ----------
    contexts : LocalContexts
        Fitted.
    ensembles : list of InContextEnsemble
        The ensemble over each of ``contexts.groups_``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.backbones import InContextEnsemble, get_backbone
    >>> from sklearn_causalmix.backbones._local import LocalContexts, LocalEnsemble
    >>> rng = np.random.default_rng(0)
    >>> Z, y = rng.normal(size=(120, 2)), rng.integers(0, 2, 120)
    >>> contexts = LocalContexts(max_rows=60).fit(Z, np.zeros(2, bool))
    >>> model = get_backbone()
    >>> ensembles = [InContextEnsemble(model, Z[g], y[g], n_classes=2) for g in contexts.groups_]
    >>> LocalEnsemble(contexts, ensembles).predict_proba(Z[:3]).shape
    (3, 2)
    """

    def __init__(self, contexts, ensembles):
        self.contexts = contexts
        self.ensembles = list(ensembles)

    @property
    def cache(self) -> bool:
        """Whether the contexts are encoded once and kept (as every member ensemble says)."""
        return all(e.cache for e in self.ensembles)

    def encode(self) -> LocalEnsemble:
        """Encode every context (a no-op for ensembles without cache or already encoded).

        Returns
        -------
        self : LocalEnsemble
        """
        for ensemble in self.ensembles:
            ensemble.encode()
        return self

    def nbytes(self) -> int:
        """Bytes held by the encoded contexts.

        Returns
        -------
        nbytes : int
        """
        return int(sum(e.nbytes() for e in self.ensembles))

    def predict_proba(self, X_query) -> np.ndarray:
        """Class probabilities of ``X_query``, each row from the ensemble of its context.

        Parameters
        ----------
        X_query : ndarray of shape (n_query, n_features)

        Returns
        -------
        proba : ndarray of shape (n_query, n_classes)
        """
        X_query = np.asarray(X_query, dtype=np.float32)
        group = self.contexts.assign(X_query)
        proba = np.zeros((len(X_query), self.ensembles[0].n_classes))
        for g in np.unique(group):
            rows = group == g
            proba[rows] = self.ensembles[g].predict_proba(X_query[rows])
        return proba
