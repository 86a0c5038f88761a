"""The methods compared by the ratio study and how each one's estimator is built."""

from __future__ import annotations

import importlib.util
import inspect
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

__all__ = ["METHODS", "MethodSpec", "default_augmenters", "make_reference", "list_methods"]


@dataclass(frozen=True)
class MethodSpec:
    """One method of the study.

    Parameters
    ----------
    name : str
        Name used in ``methods=`` and in the ``method`` column of the results.
    kind : {"zero-shot", "finetune", "augmented", "cv", "reference"}
        How its estimator is built (see :data:`METHODS`).
    description : str
        One line for reports and ``--help``.

    Examples
    --------
    >>> from sklearn_causalmix.study import METHODS
    >>> METHODS["causalmix"].kind
    'augmented'
    """

    name: str
    kind: str
    description: str

    @property
    def uses_ratio(self):
        """bool : Whether the method runs once per synthetic ratio."""
        return self.kind == "augmented"


METHODS = {
    spec.name: spec
    for spec in (
        MethodSpec("zero-shot", "zero-shot",
                   "pretrained model, training rows as its context, no fine-tuning (max_steps=0)"),
        MethodSpec("finetune", "finetune",
                   "plain fine-tuning on the real rows (synthetic ratio 0)"),
        MethodSpec("causalmix", "augmented",
                   "CausalMixFT: fine-tuning with a share r of CausalSCMAugmenter rows"),
        MethodSpec("causalmix-cv", "cv",
                   "CausalMixFT with r chosen by inner cross-validation (GridSearchCV, ROC-AUC) "
                   "on the training rows"),
        MethodSpec("noise", "augmented", "fine-tuning with a share r of Gaussian-jitter rows"),
        MethodSpec("smote", "augmented", "fine-tuning with a share r of SMOTE-style rows"),
        MethodSpec("copula", "augmented", "fine-tuning with a share r of Gaussian-copula rows"),
        MethodSpec("ctgan", "augmented",
                   "fine-tuning with a share r of CTGAN rows (needs the optional ctgan package)"),
        MethodSpec("logreg", "reference", "LogisticRegression (one-hot categoricals, scaled)"),
        MethodSpec("rf", "reference", "RandomForestClassifier (one-hot categoricals)"),
        MethodSpec("hgb", "reference",
                   "HistGradientBoostingClassifier (ordinal-coded native categoricals)"),
    )
}

#: Methods run when ``methods=None``.
DEFAULT_METHODS = ("zero-shot", "finetune", "causalmix", "causalmix-cv", "noise", "smote", "copula",
                   "logreg", "rf", "hgb")


def list_methods():
    """Names and descriptions of the methods the study knows.

    Returns
    -------
    methods : dict of str to str
        Method name to a one-line description.

    Examples
    --------
    >>> from sklearn_causalmix.study import list_methods
    >>> list_methods()["finetune"]
    'plain fine-tuning on the real rows (synthetic ratio 0)'
    """
    return {name: spec.description for name, spec in METHODS.items()}


def optional_method_available(name):
    """Whether the optional dependency of ``name`` is importable (True for built-in methods)."""
    if name == "ctgan":
        return importlib.util.find_spec("ctgan") is not None
    return True


def default_augmenters():
    """The augmenter of each augmented method, unseeded (the study seeds them per run).

    Returns
    -------
    augmenters : dict of str to estimator
        ``"causalmix"``: :class:`~sklearn_causalmix.CausalSCMAugmenter` with its defaults;
        ``"noise"``, ``"smote"``, ``"copula"``: the comparison augmenters of
        :mod:`sklearn_causalmix.augment`; ``"ctgan"`` only when ``ctgan`` is installed.

    Examples
    --------
    >>> from sklearn_causalmix.study._methods import default_augmenters
    >>> sorted(default_augmenters())[:3]
    ['causalmix', 'copula', 'noise']
    """
    from sklearn_causalmix.augment import CausalSCMAugmenter
    from sklearn_causalmix.augment import (
        CTGANAugmenter,
        GaussianCopulaAugmenter,
        NoiseAugmenter,
        SMOTEAugmenter,
    )

    augmenters = {
        "causalmix": CausalSCMAugmenter(),
        "noise": NoiseAugmenter(),
        "smote": SMOTEAugmenter(),
        "copula": GaussianCopulaAugmenter(),
    }
    if optional_method_available("ctgan"):
        augmenters["ctgan"] = CTGANAugmenter()
    return augmenters


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
    >>> from sklearn_causalmix.study._methods import make_reference
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
