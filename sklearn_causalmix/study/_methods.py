"""The catalogue of the ratio study's methods: each named method is an instance of a spec family.

The families (how a method's units are built, fitted and keyed) are in :mod:`._specs`; this module
names the instances, their descriptions and dispatch priorities, and the default augmenters.
"""

from __future__ import annotations

from sklearn_causalmix.study._arms import InterventionalSpec, PlacementSpec, RandomGraphSpec
from sklearn_causalmix.study._estimators import make_reference  # noqa: F401 (benchmarks use it)
from sklearn_causalmix.study._specs import (
    AugmentedSpec,
    CVSpec,
    FinetuneSpec,
    MethodSpec,
    ReferenceSpec,
    ZeroShotSpec,
)

__all__ = ["METHODS", "MethodSpec", "default_augmenters", "list_methods", "method_spec"]


METHODS = {
    spec.name: spec
    for spec in (
        ZeroShotSpec("zero-shot", "pretrained model, training rows as its context, no "
                     "fine-tuning (max_steps=0)", priority=3),
        FinetuneSpec("finetune", "plain fine-tuning on the real rows (synthetic ratio 0)",
                     priority=4),
        AugmentedSpec("causalmix", "CausalMixFT: fine-tuning with a share r of "
                      "CausalSCMAugmenter rows", priority=5),
        CVSpec("causalmix-cv", "CausalMixFT with r chosen by inner cross-validation "
               "(GridSearchCV, ROC-AUC) on the training rows", priority=10,
               augmenter_name="causalmix"),
        RandomGraphSpec("random-graph", "control: CausalMixFT with its SCMs fitted on random "
                        "graphs with the discovered edge counts (RandomGraphSCMAugmenter)",
                        priority=5, augmenter_name="causalmix"),
        AugmentedSpec("independence", "control: fine-tuning with a share r of rows whose "
                      "columns and label are drawn independently (IndependenceAugmenter)",
                      priority=6),
        PlacementSpec("causalmix-query", "CausalMixFT with the synthetic rows among the "
                      "queries only (the context stays real)", priority=7,
                      augmenter_name="causalmix", placement="query"),
        PlacementSpec("causalmix-context", "CausalMixFT with the synthetic rows in the context "
                      "only (the queries stay real)", priority=7, augmenter_name="causalmix",
                      placement="context"),
        InterventionalSpec("causalmix-do", "CausalMixFT with rows drawn under do(shifting "
                           "variable := values spread over its source range); NaN with a note "
                           "where that variable is not a column of X (see --keep-domain) or "
                           "takes one value in the training rows", priority=8,
                           augmenter_name="causalmix"),
        AugmentedSpec("noise", "fine-tuning with a share r of Gaussian-jitter rows", priority=6),
        AugmentedSpec("smote", "fine-tuning with a share r of SMOTE-style rows", priority=7),
        AugmentedSpec("copula", "fine-tuning with a share r of Gaussian-copula rows", priority=8),
        AugmentedSpec("ctgan", "fine-tuning with a share r of CTGAN rows (needs the optional "
                      "ctgan package)", priority=9, requires="ctgan"),
        ReferenceSpec("logreg", "LogisticRegression (one-hot categoricals, scaled)", priority=0),
        ReferenceSpec("rf", "RandomForestClassifier (one-hot categoricals)", priority=1),
        ReferenceSpec("hgb", "HistGradientBoostingClassifier (ordinal-coded native "
                      "categoricals)", priority=2),
    )
}

#: Methods run when ``methods=None``.
DEFAULT_METHODS = tuple(name for name, spec in METHODS.items() if spec.default)

#: Dispatch order of a method that ``augmenters=`` adds: after the built-in augmenters'
#: (with ctgan's), before ``causalmix-cv``.
_ADDED_AUGMENTER_PRIORITY = 9


def method_spec(name, augmenters):
    """The spec of the method ``name``: its entry of :data:`METHODS`, else an added augmenter's.

    A key of ``augmenters`` that is not a known method adds fine-tuning with that augmenter's
    rows, once per ratio (an augmented method).

    Parameters
    ----------
    name : str
        A key of :data:`METHODS` or of ``augmenters``.
    augmenters : dict of str to augmenter
        The study's ``augmenters=``.

    Returns
    -------
    spec : MethodSpec

    Examples
    --------
    >>> from sklearn_causalmix.augment import NoiseAugmenter
    >>> from sklearn_causalmix.study._methods import method_spec
    >>> spec = method_spec("jitter", {"jitter": NoiseAugmenter()})
    >>> spec.description, spec.uses_ratio, spec.augmenter_name
    ('fine-tuning with a share r of NoiseAugmenter rows', True, 'jitter')
    """
    if name in METHODS:
        return METHODS[name]
    return AugmentedSpec(
        name, f"fine-tuning with a share r of {type(augmenters[name]).__name__} rows",
        priority=_ADDED_AUGMENTER_PRIORITY)


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


def default_augmenters():
    """The augmenter of each augmented method, unseeded (the study seeds them per run).

    Returns
    -------
    augmenters : dict of str to estimator
        ``"causalmix"``: :class:`~sklearn_causalmix.CausalSCMAugmenter` with its defaults
        (``random-graph``, ``causalmix-query``, ``causalmix-context`` and ``causalmix-do`` use
        it too); ``"independence"``: the control
        :class:`~sklearn_causalmix.augment.IndependenceAugmenter`; ``"noise"``, ``"smote"``,
        ``"copula"``: the comparison augmenters of :mod:`sklearn_causalmix.augment`;
        ``"ctgan"`` only when ``ctgan`` is installed.

    Examples
    --------
    >>> from sklearn_causalmix.study._methods import default_augmenters
    >>> sorted(default_augmenters())[:3]
    ['causalmix', 'copula', 'independence']
    """
    from sklearn_causalmix.augment import (
        CausalSCMAugmenter,
        CTGANAugmenter,
        GaussianCopulaAugmenter,
        IndependenceAugmenter,
        NoiseAugmenter,
        SMOTEAugmenter,
    )

    augmenters = {
        "causalmix": CausalSCMAugmenter(),
        "independence": IndependenceAugmenter(),
        "noise": NoiseAugmenter(),
        "smote": SMOTEAugmenter(),
        "copula": GaussianCopulaAugmenter(),
    }
    if METHODS["ctgan"].available:
        augmenters["ctgan"] = CTGANAugmenter()
    return augmenters
