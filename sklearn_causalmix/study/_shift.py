"""Which columns of a study table the domain shift acts on (the *shifting variables*), when known."""

from __future__ import annotations

__all__ = ["shift_variables"]


def shift_variables(data, columns):
    """The columns of ``X`` a dataset's domain shift acts on, and why there are none when none.

    In order: an explicit ``shift_variables`` entry of the Bunch (a list of column names); the
    features marked ``shifted`` in its ``graph`` (the true graph of
    :func:`~sklearn_causalmix.datasets.make_shifted_classification`: the shifted root features
    of a covariate shift); the column ``domain_name`` that defines the domains, when it is a
    column of ``X``. The real tables of :func:`~sklearn_causalmix.datasets.load_shifted_dataset`
    define their domains by a column the loader drops from ``X`` (the study must not train on
    the domain), so they have none.

    Parameters
    ----------
    data : Bunch
        A study dataset (``X``, ``y``, ``domain``; optionally ``shift_variables``, ``graph``,
        ``domain_name``).
    columns : sequence of str
        The columns of ``X``.

    Returns
    -------
    variables : tuple of str
        Columns of ``X`` (possibly empty).
    note : str
        Why ``variables`` is empty ("" otherwise).

    Examples
    --------
    >>> from sklearn.utils import Bunch
    >>> from sklearn_causalmix.datasets import make_shifted_classification
    >>> from sklearn_causalmix.study._shift import shift_variables
    >>> data = make_shifted_classification(n_samples=100, random_state=0)
    >>> shift_variables(data, list(data.X.columns))
    (('x1', 'x2'), '')
    >>> shift_variables(Bunch(domain_name="Job"), ["Age", "Income"])[1]
    "the domain is defined by 'Job', which is not a column of X"
    """
    columns = [str(column) for column in columns]
    explicit = data.get("shift_variables") if hasattr(data, "get") else None
    if explicit is not None:
        found = tuple(str(name) for name in explicit if str(name) in columns)
        return found, "" if found else (
            f"none of the shift variables {list(explicit)} is a column of X")
    graph = data.get("graph") if hasattr(data, "get") else None
    if graph is not None:
        shifted = [str(node) for node, attrs in graph.nodes(data=True) if attrs.get("shifted")]
        found = tuple(name for name in shifted if name in columns)
        return found, "" if found else (
            "the shift changes the label's mechanism (concept shift), not a column of X")
    name = data.get("domain_name") if hasattr(data, "get") else None
    if name is not None and str(name) in columns:
        return (str(name),), ""
    if name is None:
        return (), "the dataset does not say which variable shifts"
    return (), f"the domain is defined by {str(name)!r}, which is not a column of X"
