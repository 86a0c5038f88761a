"""Fidelity of synthetic tabular data: marginals, dependence, detectability, utility.

Self-contained (pandas, scipy, scikit-learn); imports nothing else from this package.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import wasserstein_distance
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.utils import check_random_state

from sklearn_causalmix.evaluation._roc_auc import multiclass_roc_auc, roc_auc_scorer

__all__ = ["FidelityReport", "missingness_pattern_distance", "synthetic_fidelity"]


@dataclass
class FidelityReport:
    """Result of :func:`synthetic_fidelity`.

    Attributes
    ----------
    marginals : DataFrame
        One row per column: ``kind`` ("numeric" or "categorical"), ``distance`` (Wasserstein
        distance between the real and synthetic values, both standardised with the real mean
        and standard deviation, for numeric columns; total variation distance between the
        level frequencies for categorical ones), the missing-value rates
        ``missing_real`` / ``missing_synthetic``, and ``impossible_synthetic``: the share of
        synthetic values that the real column rules out -- a level never seen, a number outside
        the real ``[min, max]``, a fraction in a column of whole numbers, or a value never seen
        in a numeric column with at most 10 distinct real values.
    dependence_difference : float
        Mean absolute difference between the real and synthetic correlation matrices over all
        pairs of encoded columns (numeric columns as they are, categorical ones one-hot);
        0 means identical pairwise correlations.
    detection_auc : float
        Cross-validated ROC-AUC of a random forest telling real from synthetic
        rows (classifier two-sample test): 0.5 means indistinguishable, 1.0 fully separable;
        values well below 0.5 flag synthetic rows that nearly copy real ones (the held-out
        "twin" of a training row gets the opposite label).
    missingness_distance : float
        Total variation distance between the real and synthetic distributions of missingness
        patterns (which columns of a row are missing): 0 when every pattern has the same share,
        1 when no pattern is shared.
    utility : DataFrame or None
        With labels: ROC-AUC on the real rows of a model trained on the synthetic rows
        (``train_synthetic_test_real``, TSTR) next to the cross-validated ROC-AUC of the same
        model trained on real rows (``train_real_cv``), and their difference.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix.evaluation._fidelity import synthetic_fidelity
    >>> rng = np.random.RandomState(0)
    >>> real = pd.DataFrame({"a": rng.normal(size=200)})
    >>> report = synthetic_fidelity(real, real.sample(frac=1.0, random_state=0), random_state=0)
    >>> float(round(report.summary()["mean_marginal_distance"], 6))  # same values, other order
    0.0
    """

    marginals: pd.DataFrame
    dependence_difference: float
    detection_auc: float
    utility: pd.DataFrame | None = None
    missingness_distance: float = 0.0

    def summary(self):
        """One-line summary as a Series.

        Returns
        -------
        summary : Series
            ``mean_marginal_distance``, ``dependence_difference``, ``detection_auc``,
            ``missingness_distance``, ``impossible_share`` (share of impossible synthetic
            values over all cells) and, with labels, ``tstr_auc`` and ``trtr_auc``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_causalmix.evaluation import synthetic_fidelity
        >>> X = np.random.RandomState(0).normal(size=(100, 2))
        >>> names = synthetic_fidelity(X, X[::-1], random_state=0).summary().index.tolist()
        >>> names[:3]
        ['mean_marginal_distance', 'dependence_difference', 'detection_auc']
        >>> names[3:]
        ['missingness_distance', 'impossible_share']
        """
        out = {
            "mean_marginal_distance": float(self.marginals["distance"].mean()),
            "dependence_difference": self.dependence_difference,
            "detection_auc": self.detection_auc,
            "missingness_distance": self.missingness_distance,
            "impossible_share": float(
                np.average(
                    self.marginals["impossible_synthetic"],
                    weights=1.0 - self.marginals["missing_synthetic"] + 1e-12,
                )
            ),
        }
        if self.utility is not None:
            out["tstr_auc"] = float(self.utility.loc["train_synthetic_test_real", "roc_auc"])
            out["trtr_auc"] = float(self.utility.loc["train_real_cv", "roc_auc"])
        return pd.Series(out)


def _as_frame(X, name):
    if isinstance(X, pd.DataFrame):
        return X.reset_index(drop=True)
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2D table, got an array of shape {arr.shape}.")
    return pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])


def _is_categorical(series):
    dtype = series.dtype
    if isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype, pd.BooleanDtype)):
        return True
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return True
    if pd.api.types.is_object_dtype(dtype):
        values = series.dropna()
        return not all(isinstance(v, (int, float, np.number)) for v in values)
    return False


def _numeric(series):
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _encode_codes(real, syn, categorical):
    """Both tables as float matrices; categorical columns as codes of the union of levels."""
    cols_r, cols_s = [], []
    for col in real.columns:
        if categorical[col]:
            levels = pd.Index(
                sorted(
                    set(real[col].dropna().astype(str)) | set(syn[col].dropna().astype(str))
                )
            )

            def codes(s, levels=levels):
                out = levels.get_indexer(s.astype(str)).astype(float)
                out[s.isna().to_numpy()] = np.nan
                return out

            cols_r.append(codes(real[col]))
            cols_s.append(codes(syn[col]))
        else:
            cols_r.append(_numeric(real[col]))
            cols_s.append(_numeric(syn[col]))
    return np.column_stack(cols_r), np.column_stack(cols_s)


def _one_hot(frame, categorical, levels):
    parts = []
    for col in frame.columns:
        if categorical[col]:
            values = frame[col].astype(str).where(frame[col].notna())
            for level in levels[col]:
                parts.append(
                    pd.Series((values == level).astype(float), name=f"{col}={level}")
                )
        else:
            parts.append(pd.Series(_numeric(frame[col]), name=str(col)))
    return pd.concat(parts, axis=1)


def _impossible(r, s):
    """Share of the synthetic numbers ``s`` that the real numbers ``r`` rule out."""
    if len(s) == 0:
        return 0.0
    bad = (s < r.min()) | (s > r.max())
    if np.all(r == np.rint(r)):
        bad |= s != np.rint(s)
    distinct = np.unique(r)
    if len(distinct) <= 10:
        bad |= ~np.isin(s, distinct)
    return float(bad.mean())


def missingness_pattern_distance(real, syn):
    """Total variation distance between the distributions of rows' missingness patterns.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix.evaluation._fidelity import missingness_pattern_distance
    >>> real = pd.DataFrame({"a": [1, np.nan, 3, np.nan], "b": [1, np.nan, 3, np.nan]})
    >>> syn = pd.DataFrame({"a": [1, np.nan, 3, 4], "b": [1, 2, 3, np.nan]})
    >>> missingness_pattern_distance(real, syn)  # (a, b) missing together vs one at a time
    0.5
    """
    def shares(frame):
        keys = pd.Series([row.tobytes() for row in frame.isna().to_numpy()])
        return keys.value_counts(normalize=True)

    p, q = shares(real), shares(syn)
    patterns = p.index.union(q.index)
    diff = p.reindex(patterns, fill_value=0) - q.reindex(patterns, fill_value=0)
    return float(0.5 * np.abs(diff).sum())


def _marginals(real, syn, categorical):
    rows = []
    for col in real.columns:
        if categorical[col]:
            p = real[col].dropna().astype(str).value_counts(normalize=True)
            q = syn[col].dropna().astype(str).value_counts(normalize=True)
            levels = p.index.union(q.index)
            dist = 0.5 * float(
                np.abs(p.reindex(levels, fill_value=0) - q.reindex(levels, fill_value=0)).sum()
            )
            impossible = float(q.drop(p.index, errors="ignore").sum())
            kind = "categorical"
        else:
            r, s = _numeric(real[col]), _numeric(syn[col])
            r, s = r[~np.isnan(r)], s[~np.isnan(s)]
            impossible = _impossible(r, s) if len(r) else np.nan
            if len(r) == 0 or len(s) == 0:
                dist = np.nan
            else:
                scale = r.std() if r.std() > 0 else 1.0
                dist = float(wasserstein_distance((r - r.mean()) / scale, (s - r.mean()) / scale))
            kind = "numeric"
        rows.append(
            {
                "column": col,
                "kind": kind,
                "distance": dist,
                "missing_real": float(real[col].isna().mean()),
                "missing_synthetic": float(syn[col].isna().mean()),
                "impossible_synthetic": impossible,
            }
        )
    return pd.DataFrame(rows).set_index("column")


def _dependence(real, syn, categorical):
    levels = {
        col: sorted(set(real[col].dropna().astype(str)) | set(syn[col].dropna().astype(str)))
        for col in real.columns
        if categorical[col]
    }
    A = _one_hot(real, categorical, levels)
    B = _one_hot(syn, categorical, levels)
    if A.shape[1] < 2:
        return 0.0
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ca, cb = A.corr().to_numpy(), B.corr().to_numpy()
    iu = np.triu_indices(ca.shape[0], k=1)
    diff = np.abs(np.nan_to_num(ca[iu]) - np.nan_to_num(cb[iu]))
    return float(diff.mean()) if diff.size else 0.0


def _model(random_state):
    """Random forest (handles missing values; categorical columns enter as level codes).

    Single-threaded trees rather than gradient boosting: HistGradientBoosting's OpenMP threads
    slow down by orders of magnitude on a machine whose cores are busy.
    """
    return RandomForestClassifier(n_estimators=100, min_samples_leaf=2, random_state=random_state)


def _folds(y, random_state):
    counts = pd.Series(y).value_counts()
    n_splits = int(min(5, counts.min()))
    if n_splits < 2:
        return None
    return StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)


def _auc(y_true, proba, classes):
    return multiclass_roc_auc(y_true, proba, labels=classes)


def synthetic_fidelity(X_real, X_syn, y_real=None, y_syn=None, *, random_state=None):
    """Compare a synthetic table with the real one.

    Parameters
    ----------
    X_real : DataFrame or array-like of shape (n_real, n_features)
        Real rows.
    X_syn : DataFrame or array-like of shape (n_synthetic, n_features)
        Synthetic rows with the same columns. Columns of object, string, category or boolean
        dtype are categorical, all others numeric; missing values are allowed.
    y_real, y_syn : array-like of shape (n_real,) and (n_synthetic,), default=None
        Class labels; when both are given the report includes train-on-synthetic /
        test-on-real utility.
    random_state : int, RandomState instance or None, default=None
        Controls the cross-validation splits and the classifiers.

    Returns
    -------
    report : FidelityReport
        Marginal distances and shares of impossible values per column, dependence difference,
        detection AUC, missingness-pattern distance and (with labels) utility;
        ``report.summary()`` gives the headline numbers.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.evaluation import synthetic_fidelity
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 2)); X[:, 1] += X[:, 0]
    >>> y = (X[:, 0] > 0).astype(int)
    >>> shuffled = np.column_stack([rng.permutation(X[:, 0]), rng.permutation(X[:, 1])])
    >>> report = synthetic_fidelity(X, shuffled, y, y, random_state=0)
    >>> report.dependence_difference > 0.5   # shuffling lost the correlation of about 0.7
    True
    >>> utility = report.utility["roc_auc"]
    >>> round(report.detection_auc, 2), round(float(utility["train_real_cv"]), 2)
    (0.54, 1.0)
    """
    real, syn = _as_frame(X_real, "X_real"), _as_frame(X_syn, "X_syn")
    if list(real.columns) != list(syn.columns):
        raise ValueError(
            f"X_real and X_syn must have the same columns in the same order; got "
            f"{list(real.columns)} and {list(syn.columns)}."
        )
    if len(real) < 2 or len(syn) < 2:
        raise ValueError("X_real and X_syn need at least 2 rows each.")
    if (y_real is None) != (y_syn is None):
        raise ValueError("Pass both y_real and y_syn, or neither.")
    rng = check_random_state(random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    categorical = {
        col: _is_categorical(real[col]) or _is_categorical(syn[col]) for col in real.columns
    }
    marginals = _marginals(real, syn, categorical)
    dependence = _dependence(real, syn, categorical)

    Zr, Zs = _encode_codes(real, syn, categorical)
    Z = np.vstack([Zr, Zs])
    origin = np.r_[np.zeros(len(Zr), dtype=int), np.ones(len(Zs), dtype=int)]
    folds = _folds(origin, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        detection = float(
            np.mean(cross_val_score(_model(seed), Z, origin, cv=folds, scoring="roc_auc"))
        )

    utility = None
    if y_real is not None:
        yr, ys = np.asarray(y_real).ravel(), np.asarray(y_syn).ravel()
        if len(yr) != len(Zr) or len(ys) != len(Zs):
            raise ValueError("y_real and y_syn must have one label per row of X_real and X_syn.")
        classes = np.unique(yr)
        if len(classes) < 2:
            raise ValueError("y_real needs at least two classes for ROC-AUC.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            folds_real = _folds(yr, seed)
            trtr = np.nan
            if folds_real is not None:
                trtr = float(
                    np.mean(
                        cross_val_score(
                            _model(seed), Zr, yr, cv=folds_real, scoring=roc_auc_scorer
                        )
                    )
                )
            tstr = np.nan
            if len(np.unique(ys)) >= 2:
                model = _model(seed).fit(Zs, ys)
                proba = np.zeros((len(Zr), len(classes)))
                for k, c in enumerate(model.classes_):
                    if c in classes:
                        proba[:, np.searchsorted(classes, c)] = model.predict_proba(Zr)[:, k]
                tstr = _auc(yr, proba, classes)
        utility = pd.DataFrame(
            {"roc_auc": [trtr, tstr]}, index=["train_real_cv", "train_synthetic_test_real"]
        )
        utility["difference_to_real"] = utility["roc_auc"] - trtr
    return FidelityReport(
        marginals=marginals,
        dependence_difference=dependence,
        detection_auc=detection,
        utility=utility,
        missingness_distance=missingness_pattern_distance(real, syn),
    )
