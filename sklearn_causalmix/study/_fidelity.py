"""The fidelity of an augmenter's rows beside their effect: one measurement per dataset, seed, augmenter."""

from __future__ import annotations

import logging

import numpy as np

from sklearn_causalmix.evaluation import synthetic_fidelity

__all__ = ["FIDELITY_COLUMNS", "augmenter_fidelity"]

logger = logging.getLogger("sklearn_causalmix.study")

#: Result columns of :func:`augmenter_fidelity`.
FIDELITY_COLUMNS = ("fidelity_detection_auc", "fidelity_tstr_auc", "fidelity_trtr_auc")


def augmenter_fidelity(augmenter, split, seed, *, memory=None, max_rows=500):
    """Detection AUC and TSTR / TRTR ROC-AUC of an augmenter fitted on a unit's training rows.

    The augmenter is fitted on the training rows of ``split`` (as the fine-tuner's is, there on
    its training part) and draws as many rows as are compared. The real rows compared with them
    are the *in-domain test* rows (held-out source rows, never seen by the augmenter), at most
    ``max_rows`` of them (a seeded subsample), so a generator that copies its training rows does
    not look perfect. :func:`~sklearn_causalmix.evaluation.synthetic_fidelity` then gives the
    classifier two-sample test (``fidelity_detection_auc``: 0.5 = indistinguishable), the
    ROC-AUC on those real rows of a model trained on the synthetic rows (``fidelity_tstr_auc``)
    and the cross-validated ROC-AUC of the same model on the real rows (``fidelity_trtr_auc``).

    Parameters
    ----------
    augmenter : estimator
        Unfitted (a seeded clone).
    split : StudySplit
        The unit's training rows and in-domain test.
    seed : int
        Seed of the subsample and of the fidelity models.
    memory : joblib.Memory, default=None
        Caches the measurement (the study's augmenter cache).
    max_rows : int, default=500
        Largest number of real (and of synthetic) rows compared.

    Returns
    -------
    fidelity : dict of str to float
        The :data:`FIDELITY_COLUMNS`; NaN (with a logged warning) when the measurement fails,
        e.g. on an in-domain test with one class: fidelity never fails a unit.

    Examples
    --------
    >>> from sklearn_causalmix.augment import IndependenceAugmenter
    >>> from sklearn_causalmix.datasets import make_shifted_classification
    >>> from sklearn_causalmix.study._data import make_split
    >>> from sklearn_causalmix.study._fidelity import augmenter_fidelity
    >>> split = make_split(make_shifted_classification(n_samples=800, random_state=0), 0)
    >>> scores = augmenter_fidelity(IndependenceAugmenter(random_state=0), split, 0)
    >>> scores["fidelity_detection_auc"] > 0.6, scores["fidelity_tstr_auc"] < 0.65
    (True, True)
    """
    run = _fidelity if memory is None else memory.cache(_fidelity)
    try:
        return run(augmenter, split.X_train, split.y_train, split.X_test, split.y_test, seed,
                   max_rows)
    except ValueError as exc:
        logger.warning("Fidelity of %s not measured: %s", type(augmenter).__name__, exc)
        return dict.fromkeys(FIDELITY_COLUMNS, float("nan"))


def _fidelity(augmenter, X_train, y_train, X_real, y_real, seed, max_rows):
    keep = np.sort(np.random.RandomState(seed).permutation(len(y_real))[:max_rows])
    X_real, y_real = X_real.iloc[keep].reset_index(drop=True), np.asarray(y_real)[keep]
    X_syn, y_syn = augmenter.fit(X_train, y_train).sample(len(keep))
    report = synthetic_fidelity(X_real, X_syn, y_real, np.asarray(y_syn), random_state=seed)
    utility = report.utility["roc_auc"]
    return {"fidelity_detection_auc": float(report.detection_auc),
            "fidelity_tstr_auc": float(utility["train_synthetic_test_real"]),
            "fidelity_trtr_auc": float(utility["train_real_cv"])}
