"""The settings of one ratio study: a frozen, hashable value that plans the units; each reads it."""

from __future__ import annotations

import logging
import numbers
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sklearn_causalmix.study._methods import (
    DEFAULT_METHODS,
    METHODS,
    default_augmenters,
    method_spec,
)

__all__ = ["StudySettings", "study_settings"]

logger = logging.getLogger("sklearn_causalmix.study")


@dataclass(frozen=True)
class StudySettings:
    """What the units of one ratio study share: methods, grids, model, augmenters, protocol.

    Built by :func:`study_settings` from the arguments of
    :func:`~sklearn_causalmix.study.ratio_study`, checked and with their defaults filled in;
    sent to every unit. Frozen and hashable (estimators count by identity), so a unit cannot
    change what the next one reads.

    Parameters
    ----------
    methods : tuple of MethodSpec
        The methods to run, in the order asked for.
    seeds : tuple of int
        Seeds, without repeats.
    ratios : tuple of float
        The ratio grid, sorted, without repeats.
    method_ratios : tuple of (str, tuple of float)
        The grid of each method (``ratios`` unless ``method_ratios=`` gave it its own).
    model : estimator, default=None
        The fine-tunable classifier (None when only references run).
    augmenters : tuple of (str, augmenter), default=()
        Augmenter of each augmented method.
    max_steps : int, default=None
        Fine-tuning steps (None: the model's default).
    n_train : int, default=512
        Largest number of training rows.
    max_test : int, default=2000
        Largest size of each test set.
    in_domain_fraction : float, default=0.25
        Share of the source rows held out as the in-domain test.
    n_folds : int, default=5
        Folds of the i.i.d. protocol's stratified K-fold split.
    cv : int, default=3
        Folds of the inner cross-validation.
    monitor : bool, default=True
        Whether monitored methods receive the shifted test as ``monitor=``.
    errors : {"raise", "record"}, default="raise"
        What a failing unit does.
    augmenter_cache : str, default=None
        Folder of the models' augmenter cache (``memory=``).

    Examples
    --------
    >>> from sklearn_causalmix.study._settings import study_settings
    >>> settings = study_settings(methods=["logreg", "hgb"], ratios=[1, 0.5, 0.5], seeds=[0])
    >>> settings.ratios, [spec.name for spec in settings.methods], settings.model
    ((0.5, 1.0), ['logreg', 'hgb'], None)
    >>> settings.spec("hgb").needs_model, hash(settings) == hash(settings)
    (False, True)
    """

    methods: tuple
    seeds: tuple
    ratios: tuple
    method_ratios: tuple
    model: object = None
    augmenters: tuple = ()
    max_steps: int | None = None
    n_train: int = 512
    max_test: int = 2000
    in_domain_fraction: float = 0.25
    n_folds: int = 5
    cv: int = 3
    monitor: bool = True
    errors: str = "raise"
    augmenter_cache: str | None = None

    def spec(self, method):
        """The :class:`~sklearn_causalmix.study.MethodSpec` of ``method``."""
        for spec in self.methods:
            if spec.name == method:
                return spec
        raise KeyError(f"{method!r} is not among the study's methods "
                       f"{[spec.name for spec in self.methods]}.")

    def grid(self, method):
        """The ratios of ``method``: its own grid or the study's."""
        return dict(self.method_ratios)[method]

    def augmenter(self, name):
        """The (unfitted, unseeded) augmenter named ``name``."""
        return dict(self.augmenters)[name]


def _check_ratios(ratios):
    values = np.atleast_1d(np.asarray(ratios, dtype=np.float64)) if not isinstance(ratios, str) \
        else None
    if values is None or values.ndim != 1 or len(values) == 0:
        raise ValueError(f"ratios must be a non-empty list of numbers in [0, 1]; got {ratios!r}.")
    if not np.all((values >= 0) & (values <= 1)):
        raise ValueError(f"every ratio must lie in [0, 1]; got {values.tolist()}.")
    return tuple(float(v) for v in np.unique(values))


def _check_seeds(seeds):
    if isinstance(seeds, numbers.Integral):
        seeds = [seeds]
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                            and s >= 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of non-negative integers; got {seeds!r}.")
    return tuple(dict.fromkeys(int(s) for s in seeds))


def _resolve_methods(methods, augmenters):
    """(names asked for, specs of those to run): unknown names refused, unavailable ones skipped."""
    names = [methods] if isinstance(methods, str) else list(
        DEFAULT_METHODS if methods is None else methods)
    names = list(dict.fromkeys(names))
    known = set(METHODS) | set(augmenters)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"Unknown method(s) {unknown}; the methods are {sorted(known)}.")
    specs = []
    for spec in (method_spec(name, augmenters) for name in names):
        if not spec.available:
            logger.warning(
                "Skipping method %r: its optional dependency is not installed (for ctgan: "
                "`pip install ctgan`, which needs pandas<3).", spec.name)
            continue
        specs.append(spec)
    return names, tuple(specs)


def _method_grids(method_ratios, ratios, requested, specs):
    """Each method's grid; ``method_ratios`` may name skipped methods, not others."""
    run = [spec.name for spec in specs]
    own = {m: r for m, r in (method_ratios or {}).items() if m in run or m not in requested}
    wrong = [m for m in own if m not in run]
    if wrong:
        raise ValueError(
            f"method_ratios names method(s) {wrong} that are not among the methods {run}.")
    return tuple((m, _check_ratios(own.get(m, ratios))) for m in run)


def _with_default_augmenters(augmenters, specs):
    merged = dict(augmenters)
    missing = [spec.augmenter_name for spec in specs
               if spec.needs_augmenter and spec.augmenter_name not in merged]
    if missing:
        defaults = default_augmenters()
        merged.update({name: defaults[name] for name in missing})
    return tuple(merged.items())


def _default_model(device):
    try:
        from sklearn_causalmix.finetune import CausalMixFTClassifier
    except ImportError as exc:
        raise ImportError(
            "The default model of the study, CausalMixFTClassifier, could not be imported "
            f"({exc}); pass model= (an estimator with synthetic_ratio, augmenter and max_steps "
            "parameters) or run only the reference methods."
        ) from exc
    return CausalMixFTClassifier(device=device)


def study_settings(*, ratios=(0.0, 0.25, 0.5, 0.75, 1.0), seeds=(0, 1, 2), methods=None,
                   model=None, augmenters=None, method_ratios=None, max_steps=None, n_train=512,
                   max_test=2000, in_domain_fraction=0.25, n_folds=5, cv=3, monitor=True,
                   errors="raise", device="auto", cache_dir=None):
    """The :class:`StudySettings` of :func:`~sklearn_causalmix.study.ratio_study`'s arguments.

    Checks what the parameter constraints of ``ratio_study`` cannot express (ratios in [0, 1],
    seeds, method names), resolves the methods to specs (skipping those whose optional
    dependency is missing), and fills in the default model and augmenters where a method needs
    them. The parameters are those of ``ratio_study``.

    Examples
    --------
    >>> from sklearn_causalmix.study._settings import study_settings
    >>> study_settings(methods="hgb", seeds=3).seeds
    (3,)
    """
    ratios = _check_ratios(ratios)
    seeds = _check_seeds(seeds)
    augmenters = dict(augmenters or {})
    requested, specs = _resolve_methods(methods, augmenters)
    grids = _method_grids(method_ratios, ratios, requested, specs)
    augmenters = _with_default_augmenters(augmenters, specs)
    if model is None and any(spec.needs_model for spec in specs):
        model = _default_model(device)
    return StudySettings(
        methods=specs, seeds=seeds, ratios=ratios, method_ratios=grids, model=model,
        augmenters=augmenters, max_steps=max_steps, n_train=n_train, max_test=max_test,
        in_domain_fraction=in_domain_fraction, n_folds=int(n_folds), cv=int(cv),
        monitor=bool(monitor), errors=errors,
        augmenter_cache=None if cache_dir is None else str(Path(cache_dir) / "augmenters"))
