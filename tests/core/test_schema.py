"""Tests of the shared table schema (sklearn_causalmix._core: TableSchema, its codec and columns)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_causalmix._core import ColumnSpec, TableSchema, UnseenLevelWarning


def _mixed_frame():
    return pd.DataFrame(
        {
            "num": [1.5, np.nan, 2.5, 0.0],
            "int": [1, 5, 3, 2],
            "flag": [True, False, True, True],
            "city": ["Oslo", "Rome", None, "Oslo"],
            "cat": pd.Categorical(["u", "v", "u", "u"], categories=["u", "v", "w"]),
            "nint": pd.array([1, None, 3, 4], dtype="Int64"),
            "nbool": pd.array([True, None, False, True], dtype="boolean"),
            "obj": pd.Series(["p", "q", "r", "p"], dtype=object),
        }
    )


def test_kinds_categories_and_bounds():
    schema = TableSchema.from_data(_mixed_frame())
    kinds = {c.name: c.kind for c in schema.columns}
    assert kinds == {
        "num": "numeric",
        "int": "integer",
        "flag": "boolean",
        "city": "categorical",
        "cat": "categorical",
        "nint": "integer",
        "nbool": "boolean",
        "obj": "categorical",
    }
    spec = {c.name: c for c in schema.columns}
    assert spec["city"].categories == ("Oslo", "Rome")
    assert spec["cat"].categories == ("u", "v")  # observed levels only
    assert spec["flag"].categories == (False, True)
    assert spec["int"].bounds == (1.0, 5.0)
    assert schema.is_frame
    assert schema.n_features == 8
    assert schema.categorical_mask.tolist() == [False, False, True, True, True, False, True, True]


def test_encode_codes_and_missing():
    X = _mixed_frame()
    Z = TableSchema.from_data(X).encode(X)
    assert Z.dtype == np.float64
    assert np.isnan(Z[1, 0]) and np.isnan(Z[2, 3]) and np.isnan(Z[1, 5]) and np.isnan(Z[1, 6])
    np.testing.assert_array_equal(Z[:, 2], [1, 0, 1, 1])
    np.testing.assert_array_equal(Z[[0, 1, 3], 3], [0, 1, 0])


def test_roundtrip_restores_dtypes_and_values():
    X = _mixed_frame()
    schema = TableSchema.from_data(X)
    out = schema.decode(schema.encode(X))
    assert list(out.columns) == list(X.columns)
    for col in X.columns:
        assert out[col].dtype == X[col].dtype, col
    pd.testing.assert_frame_equal(out, X)


def test_decode_rounds_and_clips():
    X = pd.DataFrame({"n": [1, 4], "c": ["a", "b"], "f": [0.5, 1.5]})
    schema = TableSchema.from_data(X)
    out = schema.decode(np.array([[2.6, 7.0, -3.0], [-10.0, -1.0, 9.0]]))
    assert out["n"].tolist() == [3, 1]  # rounded; clipped to the observed [1, 4]
    assert out["c"].tolist() == ["b", "a"]  # codes clipped to valid levels
    assert out["f"].tolist() == [-3.0, 9.0]  # floats are not clipped


def test_decode_missing_in_integer_and_bool_columns_become_nullable():
    X = pd.DataFrame({"n": np.array([1, 2], dtype=np.int32), "b": [True, False]})
    out = TableSchema.from_data(X).decode(np.array([[np.nan, np.nan], [2.0, 1.0]]))
    assert str(out["n"].dtype) == "Int32"
    assert str(out["b"].dtype) == "boolean"
    assert out["n"].isna().tolist() == [True, False]


def test_numpy_arrays():
    Xf = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    s = TableSchema.from_data(Xf)
    assert s.names == ["x0", "x1"] and not s.is_frame
    out = s.decode(s.encode(Xf))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, Xf)

    Xi = np.array([[1, 2], [3, 4]])
    assert [c.kind for c in TableSchema.from_data(Xi).columns] == ["integer", "integer"]

    Xs = np.array([["a", "b"], ["c", "b"]])
    s = TableSchema.from_data(Xs)
    assert [c.kind for c in s.columns] == ["categorical", "categorical"]
    np.testing.assert_array_equal(s.decode(s.encode(Xs)), Xs)

    Xo = np.array([[1.5, "x"], [2, None]], dtype=object)
    s = TableSchema.from_data(Xo)
    assert [c.kind for c in s.columns] == ["numeric", "categorical"]
    out = s.decode(s.encode(Xo))
    assert out.dtype == object and out[0, 1] == "x" and pd.isna(out[1, 1])


@pytest.mark.parametrize(
    "X, error, match",
    [
        (
            pd.DataFrame({"t": pd.to_datetime(["2020-01-01", "2020-01-02"])}),
            TypeError,
            "'t'.*datetime",
        ),
        (pd.DataFrame({"t": pd.to_timedelta([1, 2], unit="s")}), TypeError, "total_seconds"),
        (np.array([[1 + 2j], [1.0]]), TypeError, "complex.*imaginary"),
        (pd.DataFrame({"t": [1, "a"]}), TypeError, "'t'.*types.*astype\\(str\\)"),
        (pd.DataFrame({"t": [1.0, np.inf]}), ValueError, "'t' contains infinite"),
        (pd.DataFrame({"t": [np.nan, np.nan]}), ValueError, "'t' contains only missing"),
        (pd.DataFrame({"t": [str(i) for i in range(60)]}), ValueError, "60 distinct levels"),
        (np.zeros(3), ValueError, "Expected a 2D table"),
        (pd.Series([1.0, 2.0]), ValueError, "to_frame"),
        (np.zeros((0, 2)), ValueError, "0 sample"),
        (np.zeros((3, 0)), ValueError, "0 feature"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), ValueError, "Duplicated column names"),
    ],
)
def test_from_data_errors(X, error, match):
    with pytest.raises(error, match=match):
        TableSchema.from_data(X)


def test_sparse_input_error():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="toarray"):
        TableSchema.from_data(sparse.csr_matrix(np.eye(3)))


def test_check_columns_and_unseen_levels():
    schema = TableSchema.from_data(pd.DataFrame({"a": [1.0, 2.0], "c": ["x", "y"]}))
    schema.check(pd.DataFrame({"a": [3.0], "c": ["y"]}))
    with pytest.raises(ValueError, match=r"missing \['c'\], unexpected \['d'\]"):
        schema.check(pd.DataFrame({"a": [3.0], "d": ["y"]}))
    with pytest.raises(ValueError, match="different order"):
        schema.check(pd.DataFrame({"c": ["y"], "a": [3.0]}))
    with pytest.raises(ValueError, match=r"'c' has levels not seen at fit time: \['z'\]"):
        schema.check(pd.DataFrame({"a": [3.0], "c": ["z"]}))
    schema.check(pd.DataFrame({"a": [3.0], "c": ["z"]}), allow_unseen=True)
    schema.check(pd.DataFrame({"a": [3.0], "c": ["z"]}), handle_unknown="missing")
    with pytest.warns(UnseenLevelWarning, match=r"column 'c': 1 cell\(s\), 1 level\(s\) \['z'\]"):
        Z = schema.encode(pd.DataFrame({"a": [3.0], "c": ["z"]}))
    assert np.isnan(Z[0, 1])
    with pytest.raises(ValueError, match="not seen at fit time.*handle_unknown='missing'"):
        schema.encode(pd.DataFrame({"a": [3.0], "c": ["z"]}), handle_unknown="error")
    with pytest.raises(ValueError, match="handle_unknown must be one of"):
        schema.encode(pd.DataFrame({"a": [3.0], "c": ["x"]}), handle_unknown="ignore")
    with pytest.raises(TypeError, match="'a' was numeric.*pd.to_numeric"):
        schema.check(pd.DataFrame({"a": ["oops"], "c": ["x"]}))
    with pytest.raises(ValueError, match="3 features but 2"):
        schema.check(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="infinite"):
        schema.check(pd.DataFrame({"a": [np.inf], "c": ["x"]}))


def test_decode_shape_error():
    schema = TableSchema.from_data(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="2 columns"):
        schema.decode(np.zeros((2, 3)))


def test_columnspec_is_frozen():
    spec = ColumnSpec("a", "numeric", np.dtype(float), None)
    with pytest.raises(AttributeError):
        spec.kind = "integer"


_column = st.sampled_from(["float", "int", "bool", "str", "category", "Int64"])


@st.composite
def mixed_frames(draw):
    n = draw(st.integers(min_value=2, max_value=12))
    kinds = draw(st.lists(_column, min_size=1, max_size=5))
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    data = {}
    for j, kind in enumerate(kinds):
        if kind == "float":
            col = rng.normal(size=n)
            col[rng.rand(n) < 0.2] = np.nan
            col[0] = 0.5  # never all-missing
            data[f"c{j}"] = col
        elif kind == "int":
            data[f"c{j}"] = rng.randint(-3, 4, size=n)
        elif kind == "bool":
            data[f"c{j}"] = rng.rand(n) < 0.5
        elif kind == "str":
            data[f"c{j}"] = pd.Series(rng.choice(["a", "b", "c"], size=n), dtype=object)
        elif kind == "category":
            data[f"c{j}"] = pd.Categorical(rng.choice(["x", "y"], size=n))
        else:
            values = [int(v) if rng.rand() > 0.2 else None for v in rng.randint(0, 9, size=n)]
            values[0] = 1
            data[f"c{j}"] = pd.array(values, dtype="Int64")
    return pd.DataFrame(data)


@settings(max_examples=40, deadline=None)
@given(mixed_frames())
def test_roundtrip_property(X):
    schema = TableSchema.from_data(X)
    out = schema.decode(schema.encode(X))
    pd.testing.assert_frame_equal(out, X)


def test_one_warning_names_every_column_with_unseen_levels():
    import warnings

    X = pd.DataFrame({"c": ["x", "y"], "d": pd.Categorical(["p", "q"]), "b": [True, False]})
    schema = TableSchema.from_data(X)
    new = pd.DataFrame({"c": ["x", "u", "v", None], "d": pd.Categorical(["w", "w", "p", "q"]),
                        "b": [True, True, False, False]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Z = schema.encode(new)
    assert len(caught) == 1 and caught[0].category is UnseenLevelWarning
    message = str(caught[0].message)
    assert "column 'c': 2 cell(s), 2 level(s) ['u', 'v']" in message
    assert "column 'd': 2 cell(s), 1 level(s) ['w']" in message and "'b'" not in message
    assert np.isnan(Z[1:, 0]).all() and Z[0, 0] == 0 and np.isnan(Z[:2, 1]).all()
    assert schema.count_unseen(new) == {"c": 2, "d": 2}
    # seen tables encode silently
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schema.encode(X)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint8])
def test_numeric_array_fast_path_matches_the_column_path(dtype):
    rng = np.random.default_rng(0)
    arr = (rng.normal(size=(25, 7)) * 10).astype(dtype)
    if arr.dtype.kind == "f":
        arr[::4, 2] = np.nan
    fast = TableSchema.from_data(arr)
    slow = TableSchema.from_data(pd.DataFrame(arr, columns=[f"x{j}" for j in range(7)]))
    assert fast.columns == slow.columns and not fast.is_frame
    np.testing.assert_array_equal(fast.encode(arr), slow.encode(pd.DataFrame(arr, columns=slow.names)))
    if arr.dtype.kind == "f":
        bad = arr.copy()
        bad[3, 5] = np.inf
        with pytest.raises(ValueError, match="'x5' contains infinite values"):
            fast.encode(bad)
        with pytest.raises(ValueError, match="'x5' contains infinite values"):
            TableSchema.from_data(bad)
        bad[:, 4] = np.nan
        with pytest.raises(ValueError, match="'x4' contains only missing values"):
            TableSchema.from_data(bad)


def test_wide_numeric_arrays_are_fast():
    import time

    arr = np.random.default_rng(0).normal(size=(30, 10_000))
    start = time.process_time()
    schema = TableSchema.from_data(arr)
    schema.encode(arr)
    assert time.process_time() - start < 1.0


def test_wide_dataframes_match_the_column_path_and_are_fast():
    import time

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, 3000)), columns=[f"f{j}" for j in range(3000)])
    X["i"] = rng.integers(0, 5, 30)
    X["c"] = rng.choice(["a", "b"], 30)
    X.loc[::3, "f7"] = np.nan
    start = time.process_time()
    schema = TableSchema.from_data(X)
    Z = schema.encode(X)
    assert time.process_time() - start < 1.5
    for j in (0, 7, 3000, 3001):  # same specs as one-column tables give
        name = X.columns[j]
        assert schema.columns[j] == TableSchema.from_data(X[[name]]).columns[0]
    np.testing.assert_array_equal(Z[:, :3000], X.iloc[:, :3000].to_numpy())
    assert schema.columns[3000].kind == "integer" and schema.columns[3001].kind == "categorical"
    with pytest.raises(ValueError, match="'f5' contains infinite values"):
        schema.encode(X.assign(f5=np.inf))
    with pytest.raises(ValueError, match="'f5' contains infinite values"):
        TableSchema.from_data(X.assign(f5=np.inf))
    with pytest.raises(ValueError, match="'f9' contains only missing values"):
        TableSchema.from_data(X.assign(f9=np.nan))
