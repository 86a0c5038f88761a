"""The estimators of the study's units: the model configured per unit, reference pipelines, fit."""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.base import clone

__all__ = ["configure", "fit_accepts", "fit_with_monitor", "has_param", "make_reference"]


def has_param(estimator, name):
    """Whether ``estimator`` has the constructor parameter ``name``."""
    return name in estimator.get_params(deep=False)


def fit_accepts(estimator, name):
    """Whether ``estimator.fit`` takes the keyword argument ``name``."""
    try:
        parameters = inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters


def fit_with_monitor(estimator, X, y, monitor):
    """``estimator.fit(X, y, monitor=monitor)`` when it takes a monitor set, else ``fit(X, y)``."""
    if monitor is not None and fit_accepts(estimator, "monitor"):
        return estimator.fit(X, y, monitor=monitor)
    return estimator.fit(X, y)


def configure(model, method, required=None, optional=None):
    """``clone(model)`` with the ``required`` parameters set and those of ``optional`` it has.

    Raises
    ------
    ValueError
        If ``model`` lacks a required parameter: the method cannot be run with it.
    """
    est = clone(model)
    required = dict(required or {})
    missing = [key for key in required if not has_param(est, key)]
    if missing:
        raise ValueError(
            f"Method {method!r} needs a model with the parameter(s) {missing}, but "
            f"{type(est).__name__} has {sorted(est.get_params(deep=False))}. Pass a model such as "
            "CausalMixFTClassifier, or leave this method out of methods=."
        )
    accepted = {key: value for key, value in (optional or {}).items() if has_param(est, key)}
    return est.set_params(**required, **accepted)


def _categorical_selector(X):
    import pandas as pd

    return [
        column for column in X.columns
        if isinstance(X[column].dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(X[column].dtype)
        or pd.api.types.is_string_dtype(X[column].dtype)
        or pd.api.types.is_bool_dtype(X[column].dtype)
    ]


def make_reference(name, X, random_state):
    """A reference pipeline (``"logreg"``, ``"rf"`` or ``"hgb"``) for the columns of ``X``.

    Categorical, string and boolean columns are one-hot encoded (``logreg``, ``rf``) or ordinal
    coded and passed as native categoricals (``hgb``); numeric columns are median-imputed (and
    standardised for ``logreg``); HistGradientBoosting keeps missing values as they are.

    Parameters
    ----------
    name : {"logreg", "rf", "hgb"}
        Which reference.
    X : DataFrame
        Training table (only its dtypes are read).
    random_state : int
        Seed of the estimator.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study._estimators import make_reference
    >>> X = pd.DataFrame({"a": [1.0, 2.0, None, 4.0], "c": pd.Categorical(list("xyxy"))})
    >>> make_reference("logreg", X, 0).fit(X, [0, 1, 0, 1]).predict_proba(X).shape
    (4, 2)
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    categorical = _categorical_selector(X)
    numeric = [column for column in X.columns if column not in categorical]
    if name == "hgb":
        encoder = ColumnTransformer(
            [("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                    encoded_missing_value=np.nan), categorical),
             ("num", "passthrough", numeric)],
            verbose_feature_names_out=False,
        )
        mask = [True] * len(categorical) + [False] * len(numeric)
        model = HistGradientBoostingClassifier(
            categorical_features=mask if categorical else None, random_state=random_state)
        return make_pipeline(encoder, model)
    one_hot = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    if name == "logreg":
        num = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        model = LogisticRegression(max_iter=2000)
    elif name == "rf":
        num = SimpleImputer(strategy="median")
        model = RandomForestClassifier(n_estimators=300, random_state=random_state, n_jobs=1)
    else:
        raise ValueError(f"Unknown reference {name!r}; choose 'logreg', 'rf' or 'hgb'.")
    encoder = ColumnTransformer([("cat", one_hot, categorical), ("num", num, numeric)])
    return make_pipeline(encoder, model)
