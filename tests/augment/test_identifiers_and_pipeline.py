"""Identifier-like columns, dtypes through fit_resample, and the documented imblearn pipeline."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn_causalmix import CausalSCMAugmenter

CHEAP = dict(n_bootstrap=2, n_graphs=2, random_state=0)


def _with_ids(mixed):
    X, y = mixed
    X = X.copy()
    X.insert(0, "rownames", np.arange(1, len(X) + 1))
    X["name"] = [f"passenger {k}" for k in range(len(X))]
    return X, y


def test_identifier_columns_are_warned_left_out_and_regenerated(mixed):
    X, y = _with_ids(mixed)
    with pytest.warns(UserWarning, match=r"\['rownames', 'name'\] look like row identifiers"):
        aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    assert aug.identifier_features_ == ["rownames", "name"]
    assert "rownames" not in aug.edge_probabilities_.index
    assert aug.n_features_in_ == X.shape[1] and list(aug.feature_names_in_) == list(X.columns)
    X_syn, _ = aug.sample(50)
    assert list(X_syn.columns) == list(X.columns) and (X_syn.dtypes == X.dtypes).all()
    assert X_syn["rownames"].tolist() == list(range(301, 351))
    assert X_syn["name"].is_unique and not set(X_syn["name"]) & set(X["name"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X_res, _ = aug.fit_resample(X, y)
    assert X_res["rownames"].is_unique and len(X_res) == 600


def test_ordinary_integer_columns_are_not_identifiers():
    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {"income": rng.permutation(np.arange(0, 4000, 40)), "k": rng.randint(0, 5, 100)}
    )
    y = (X["income"] > 2000).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aug = CausalSCMAugmenter(**CHEAP).fit(X, y)
    assert aug.identifier_features_ == []


def test_only_identifiers_is_an_error():
    X = pd.DataFrame({"id": np.arange(40)})
    with pytest.raises(ValueError, match="Every column of X looks like a row identifier"):
        CausalSCMAugmenter(**CHEAP).fit(X, np.arange(40) % 2)


def test_fit_resample_keeps_dtypes(make_mixed):
    X, y = make_mixed()
    X["colour"] = X["colour"].astype("category")
    X["level"] = pd.Categorical(
        np.where(X["a"] > 0, "hi", "lo"), categories=["lo", "hi", "unused"], ordered=True
    )
    X["city"] = pd.Series(np.where(X["b"] > 0, "Oslo", "Rome"), dtype="string")
    X["visits"] = pd.array(np.where(X["a"] > 1, None, X["count"]), dtype="Int64")
    X_res, y_res = CausalSCMAugmenter(**CHEAP).fit_resample(X, y.astype("category"))
    assert X_res.dtypes.to_dict() == X.dtypes.to_dict()
    assert y_res.dtype == "category"


def test_documented_pipeline_with_string_columns(mixed):
    # The pipeline of docs/user_guide/synthetic_ratio.rst ("... with string columns").
    pytest.importorskip("imblearn")
    from imblearn.pipeline import make_pipeline
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.preprocessing import OrdinalEncoder

    X, y = mixed
    encode = make_column_transformer(
        (
            OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
            make_column_selector(dtype_include=["object", "string", "category"]),
        ),
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    model = make_pipeline(
        CausalSCMAugmenter(synthetic_ratio=0.5, **CHEAP),
        encode,
        HistGradientBoostingClassifier(categorical_features=["colour"], random_state=0),
    )
    model.fit(X, y)
    assert model.score(X, y) > 0.7


class _PolarsLike:
    """Stands in for a polars DataFrame/Series (polars is not installed here): to_pandas()."""

    def __init__(self, data):
        self._data = data
        self.columns = list(data.columns) if isinstance(data, pd.DataFrame) else [data.name]
        self.shape = data.shape

    def __len__(self):
        return len(self._data)

    def to_pandas(self):
        return self._data.copy()


def test_polars_like_input_keeps_column_names(mixed):
    X, y = mixed
    aug = CausalSCMAugmenter(**CHEAP).fit(_PolarsLike(X), _PolarsLike(y))
    assert list(aug.feature_names_in_) == list(X.columns)
    X_syn, y_syn = aug.sample(20)
    assert list(X_syn.columns) == list(X.columns) and y_syn.name == "outcome"
    X_res, y_res = CausalSCMAugmenter(**CHEAP).fit_resample(_PolarsLike(X), _PolarsLike(y))
    assert list(X_res.columns) == list(X.columns) and len(X_res) == 600
    X_str, _ = CausalSCMAugmenter(sampling_strategy="all", **CHEAP).fit_resample(
        _PolarsLike(X), _PolarsLike(y)
    )
    assert list(X_str.columns) == list(X.columns)
