"""The families of methods of the ratio study: one frozen spec class per family.

A spec says which units a method has on one dataset and seed (:meth:`MethodSpec.unit_ratios`),
what keys their cache entries (:meth:`MethodSpec.cache_fields`) and how each unit's estimator is
built and fitted (:meth:`MethodSpec.build`, :meth:`MethodSpec.fit`). Callers ask the spec; none
branches on the family. The catalogue of named methods is :mod:`._methods`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import tempfile
from dataclasses import dataclass
from typing import ClassVar

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_causalmix.evaluation import roc_auc_scorer
from sklearn_causalmix.study._estimators import (
    configure,
    fit_with_monitor,
    has_param,
    make_reference,
)
from sklearn_causalmix.study._fidelity import augmenter_fidelity
from sklearn_causalmix.study._weights import feature_subset_width, weights_fingerprint

__all__ = ["AugmentedSpec", "CVSpec", "FinetuneSpec", "MethodSpec", "NotApplicable",
           "ReferenceSpec", "ZeroShotSpec"]


class NotApplicable(Exception):
    """Raised by a spec when its method cannot run on a dataset: the unit reports NaN and a note.

    Not a failure: the unit's row has NaN scores, an empty ``error`` and the message in ``note``
    (e.g. ``causalmix-do`` on a table whose shifting variable is not a column of ``X``).
    """


@dataclass(frozen=True)
class MethodSpec:
    """One method of the study: its units, their cache key and how their estimator is built.

    The base class of the families of methods (references, zero-shot, plain fine-tuning,
    augmented fine-tuning, fine-tuning with the ratio chosen by inner cross-validation); every
    entry of :data:`METHODS` is an instance of one of them. Specs are frozen and hashable.

    Parameters
    ----------
    name : str
        Name used in ``methods=`` and in the ``method`` column of the results.
    description : str
        One line for reports and ``--help``.
    priority : int
        Dispatch order, lowest first: cheap and central runs go first, so that an interrupted
        study has the most useful part done.
    requires : str, default=None
        Module of an optional dependency. Without it the method is skipped (with a logged note),
        and a method with one is not run by ``methods=None``.

    Attributes
    ----------
    kind : str
        Name of the family, for display: ``"reference"``, ``"zero-shot"``, ``"finetune"``,
        ``"augmented"`` or ``"cv"``.
    uses_ratio : bool
        Whether the method runs once per synthetic ratio of its grid.
    needs_model : bool
        Whether its estimator is built from the study's ``model``.
    fixed_ratio : float or None
        The ratio of its single unit when it does not use the grid: 0 for plain fine-tuning,
        None for methods without a synthetic ratio.
    needs_augmenter : bool
        Whether it needs an augmenter (``augmenter_name`` names its entry of ``augmenters=``).
    monitored : bool
        Whether its fit receives the shifted test as ``monitor=`` (with ``monitor=True``).
    available : bool
        Whether its optional dependency (if any) is importable.
    default : bool
        Whether ``methods=None`` runs it.

    Examples
    --------
    >>> from sklearn_causalmix.study import METHODS
    >>> spec = METHODS["causalmix-cv"]
    >>> spec.uses_ratio, spec.needs_model, spec.augmenter_name
    (False, True, 'causalmix')
    >>> spec.unit_ratios((0.0, 0.5, 1.0))  # one unit: the ratio is chosen inside it
    [None]
    >>> METHODS["causalmix"].unit_ratios((0.0, 0.5, 1.0))  # r = 0 is the finetune run
    [0.5, 1.0]
    """

    name: str
    description: str
    priority: int
    requires: str | None = None

    kind: ClassVar[str] = ""
    uses_ratio: ClassVar[bool] = False
    fixed_ratio: ClassVar[float | None] = None
    needs_model: ClassVar[bool] = True
    needs_augmenter: ClassVar[bool] = False
    monitored: ClassVar[bool] = False

    @property
    def available(self):
        """bool : Whether the optional dependency of the method (if any) is importable."""
        return self.requires is None or importlib.util.find_spec(self.requires) is not None

    @property
    def default(self):
        """bool : Whether ``methods=None`` runs the method (those without optional dependency)."""
        return self.requires is None

    def unit_ratios(self, grid):
        """The synthetic ratio of each unit of the method on one dataset and seed.

        Parameters
        ----------
        grid : sequence of float
            The method's ratios (``ratios=``, or its entry of ``method_ratios=``).

        Returns
        -------
        ratios : list of float or None
            The positive ratios of ``grid`` for a method that uses it (its r = 0 point is the
            ``finetune`` run), else one ratio: 0 for plain fine-tuning, None otherwise.
        """
        if self.uses_ratio:
            return [r for r in grid if r > 0]
        return [self.fixed_ratio]

    def cache_fields(self, settings):
        """What keys a unit's cache entry besides its data, its name and the protocol sizes.

        Parameters
        ----------
        settings : StudySettings
            The study's settings.

        Returns
        -------
        fields : dict
            Name to value (estimators are keyed by their class and parameters).
        """
        return {}

    def table_fields(self, settings, n_features):
        """What keys a unit's cache entry that depends on the table's width (none here).

        Parameters
        ----------
        settings : StudySettings
            The study's settings.
        n_features : int or None
            Columns of the dataset (None: unknown).

        Returns
        -------
        fields : dict
            Name to value.
        """
        return {}

    def build(self, unit, split, settings):
        """The unit's unfitted estimator and the extra columns of its result row.

        Parameters
        ----------
        unit : StudyUnit
            The unit (dataset, seed, method, ratio).
        split : StudySplit
            Its training rows and test sets.
        settings : StudySettings
            The study's settings.

        Returns
        -------
        estimator : estimator
            Unfitted.
        extras : dict
            Result columns the method fills itself (e.g. ``chosen_ratio``).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement build().")

    def fit(self, unit, split, settings):
        """The unit's estimator fitted on the training rows, and its extra result columns.

        Takes the parameters of :meth:`build` and returns what it returns, the estimator fitted
        (with the split's main test -- the shifted test, or the held-out fold of the i.i.d.
        protocol -- as ``monitor=`` when the method is monitored and the study's ``monitor`` is on).
        """
        estimator, extras = self.build(unit, split, settings)
        monitor = split.main_test if self.monitored and settings.monitor else None
        return fit_with_monitor(estimator, split.X_train, split.y_train, monitor), extras


@dataclass(frozen=True)
class ReferenceSpec(MethodSpec):
    """A classical reference pipeline (:func:`make_reference`), without the study's model."""

    kind: ClassVar[str] = "reference"
    needs_model: ClassVar[bool] = False

    def build(self, unit, split, settings):
        return make_reference(self.name, split.X_train, int(unit.seed)), {}


@dataclass(frozen=True)
class _ModelSpec(MethodSpec):
    """A method built from the study's model: keyed by the model, its weights and ``max_steps``."""

    def cache_fields(self, settings):
        return {"model": settings.model, "weights": weights_fingerprint(settings.model),
                "max_steps": settings.max_steps}

    def table_fields(self, settings, n_features):
        # the model's feature-subset width, where it splits this table (key-neutral elsewhere, _cache._KEY_NEUTRAL)
        width = feature_subset_width(settings.model)
        if width is None or n_features is None or n_features <= width:
            return {}
        return {"feature_subset_size": width}

    @staticmethod
    def _optional(unit, settings):
        """Parameters set on the model when it has them: the seed and ``max_steps``."""
        optional = {"random_state": int(unit.seed)}
        if settings.max_steps is not None:
            optional["max_steps"] = settings.max_steps
        return optional


@dataclass(frozen=True)
class ZeroShotSpec(_ModelSpec):
    """The pretrained model with the training rows as its context (``max_steps=0``)."""

    kind: ClassVar[str] = "zero-shot"

    def build(self, unit, split, settings):
        return configure(settings.model, self.name, required={"max_steps": 0},
                         optional={"random_state": int(unit.seed), "synthetic_ratio": 0.0,
                                   "augmenter": None}), {}


@dataclass(frozen=True)
class FinetuneSpec(_ModelSpec):
    """Plain fine-tuning on the real rows: the r = 0 point of every augmented method."""

    kind: ClassVar[str] = "finetune"
    fixed_ratio: ClassVar[float | None] = 0.0
    monitored: ClassVar[bool] = True

    def build(self, unit, split, settings):
        return configure(settings.model, self.name, required={"synthetic_ratio": 0.0},
                         optional={**self._optional(unit, settings), "augmenter": None}), {}


@dataclass(frozen=True)
class AugmentedSpec(_ModelSpec):
    """Fine-tuning with a share r of an augmenter's rows, once per ratio of its grid.

    ``augmenter_name`` names its entry of the study's augmenters (default: the method's name).
    Every unit at a positive ratio also records the fidelity of the augmenter's rows
    (:func:`._fidelity.augmenter_fidelity`), which depends on the dataset, seed and augmenter, not
    on the ratio: the same numbers in each, so that a unit means the same whatever grid it ran in
    and whether or not it came from a cache (with a cache the measurement is memoised: computed
    once per dataset, seed and augmenter).
    """

    augmenter_name: str | None = None

    kind: ClassVar[str] = "augmented"
    uses_ratio: ClassVar[bool] = True
    needs_augmenter: ClassVar[bool] = True
    monitored: ClassVar[bool] = True
    #: Whether the method measures its augmenter's fidelity (not when another method does).
    reports_fidelity: ClassVar[bool] = True

    def __post_init__(self):
        if self.augmenter_name is None:
            object.__setattr__(self, "augmenter_name", self.name)

    def cache_fields(self, settings):
        return {**super().cache_fields(settings),
                "augmenter": settings.augmenter(self.augmenter_name)}

    def _augmenter(self, unit, split, settings):
        """A clone of the method's augmenter, seeded with the unit's seed."""
        augmenter = clone(settings.augmenter(self.augmenter_name))
        if has_param(augmenter, "random_state"):
            augmenter.set_params(random_state=int(unit.seed))
        return augmenter

    def _model_at(self, ratio, unit, split, settings):
        """The model with a seeded clone of the augmenter at ``ratio`` (its pool cached)."""
        workdir = settings.augmenter_cache
        memory = joblib.Memory(str(workdir), verbose=0) if workdir is not None else None
        return configure(settings.model, self.name,
                         required={"synthetic_ratio": ratio,
                                   "augmenter": self._augmenter(unit, split, settings)},
                         optional={**self._optional(unit, settings), "memory": memory})

    def build(self, unit, split, settings):
        return self._model_at(float(unit.ratio), unit, split, settings), {}

    def fit(self, unit, split, settings):
        estimator, extras = super().fit(unit, split, settings)
        if self._measures_fidelity(unit):
            memory = (None if settings.augmenter_cache is None
                      else joblib.Memory(str(settings.augmenter_cache), verbose=0))
            extras = {**extras, **augmenter_fidelity(self._augmenter(unit, split, settings), split,
                                                     int(unit.seed), memory=memory)}
        return estimator, extras

    def _measures_fidelity(self, unit):
        """Whether this unit records the augmenter's fidelity (see the class docstring)."""
        return self.reports_fidelity and unit.ratio is not None and float(unit.ratio) > 0


@dataclass(frozen=True)
class CVSpec(AugmentedSpec):
    """Augmented fine-tuning with the ratio chosen by inner cross-validation on the training rows.

    ``GridSearchCV`` (ROC-AUC) over the method's grid, then a refit at the chosen ratio with the
    monitor set, which never influences the choice or the training. Without an augmenter cache
    the candidates share a temporary one, so the augmenter is fitted once per training fold.
    """

    kind: ClassVar[str] = "cv"
    uses_ratio: ClassVar[bool] = False
    reports_fidelity: ClassVar[bool] = False  # its augmenter's is measured by its ratio method

    def cache_fields(self, settings):
        return {**super().cache_fields(settings), "cv": settings.cv,
                "grid": list(settings.grid(self.name))}

    def fit(self, unit, split, settings):
        if settings.augmenter_cache is not None:
            return super().fit(unit, split, settings)
        with tempfile.TemporaryDirectory(prefix="causalmix-augmenters-") as scratch:
            return super().fit(unit, split, dataclasses.replace(settings, augmenter_cache=scratch))

    def build(self, unit, split, settings):
        base = self._model_at(0.0, unit, split, settings)
        smallest_class = np.bincount(np.unique(split.y_train, return_inverse=True)[1]).min()
        folds = int(min(settings.cv, smallest_class))
        if folds < 2:
            raise ValueError(
                f"{unit.label}: a class has a single training row, so no inner cross-validation "
                f"is possible; raise n_train or leave out {self.name}."
            )
        # Inner validation folds can hold categorical levels their training folds lack: the model
        # predicts through them as missing values, as on the test sets (handle_unknown="missing").
        search = GridSearchCV(
            base, {"synthetic_ratio": [float(r) for r in settings.grid(self.name)]},
            scoring=roc_auc_scorer,
            cv=StratifiedKFold(folds, shuffle=True, random_state=int(unit.seed)), refit=False,
            n_jobs=1, error_score="raise",
        )
        search.fit(split.X_train, split.y_train)
        chosen = float(search.best_params_["synthetic_ratio"])
        return clone(base).set_params(synthetic_ratio=chosen), {"chosen_ratio": chosen}
