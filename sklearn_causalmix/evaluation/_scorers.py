"""Scorers for ``GridSearchCV(scoring=...)`` and ``cross_validate(scoring=...)``."""

from sklearn.metrics import log_loss, make_scorer

from sklearn_causalmix.evaluation._calibration import (
    expected_calibration_error,
    multiclass_brier_score,
)
from sklearn_causalmix.evaluation._roc_auc import roc_auc_scorer

ece_scorer = make_scorer(
    expected_calibration_error, greater_is_better=False, response_method="predict_proba"
)
ece_scorer.__doc__ = """Scorer of the negated top-label expected calibration error (15 bins).

Built with ``make_scorer(expected_calibration_error, greater_is_better=False,
response_method="predict_proba")``: it calls the estimator's ``predict_proba`` and returns ``-ECE``,
so greater is better, as scikit-learn's model selection expects. For a binary task scikit-learn
hands the metric the probability of ``classes_[-1]``. For a multiclass task every class must occur
in the scored fold (the columns are matched to the sorted labels), as for ``neg_log_loss``.

Examples
--------
>>> from sklearn.datasets import load_breast_cancer
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.model_selection import cross_val_score
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from sklearn_causalmix.evaluation import ece_scorer
>>> X, y = load_breast_cancer(return_X_y=True)
>>> model = make_pipeline(StandardScaler(), LogisticRegression())
>>> scores = cross_val_score(model, X, y, cv=3, scoring=ece_scorer)
>>> bool(((scores <= 0) & (scores > -0.2)).all())
True
"""

# The scorer is an object, which doctest does not search; list its docstring explicitly.
__test__ = {"ece_scorer": ece_scorer.__doc__}


def get_scoring():
    """Scorers of the robustness study, ready for ``cross_validate(scoring=...)``.

    Returns a new dict on each call:

    - ``"roc_auc"``: :func:`roc_auc_scorer`, ROC-AUC from ``predict_proba``; for multiclass
      targets one-vs-rest, macro-averaged over the classes present in the scored fold.
    - ``"neg_ece"``: :data:`ece_scorer`, the negated top-label expected calibration error.
    - ``"neg_brier_score"``: the negated :func:`multiclass_brier_score` (binary and multiclass).
    - ``"neg_log_loss"``: the negated log-loss.

    All four call ``predict_proba`` and follow scikit-learn's "greater is better" convention.

    Returns
    -------
    scoring : dict of str to callable
        Scorer name to scorer.

    See Also
    --------
    SCORING : The same dict, built once at import.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import StratifiedKFold, cross_validate
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn_causalmix.evaluation import get_scoring
    >>> X, y = load_iris(return_X_y=True)
    >>> cv = StratifiedKFold(3, shuffle=True, random_state=0)
    >>> result = cross_validate(GaussianNB(), X, y, cv=cv, scoring=get_scoring())
    >>> sorted(key for key in result if key.startswith("test_"))
    ['test_neg_brier_score', 'test_neg_ece', 'test_neg_log_loss', 'test_roc_auc']
    >>> bool(result["test_roc_auc"].min() > 0.9)
    True
    """
    return {
        "roc_auc": roc_auc_scorer,
        "neg_ece": ece_scorer,
        "neg_brier_score": make_scorer(
            multiclass_brier_score, greater_is_better=False, response_method="predict_proba"
        ),
        "neg_log_loss": make_scorer(
            log_loss, greater_is_better=False, response_method="predict_proba"
        ),
    }


#: The scorers of :func:`get_scoring` (``roc_auc``, ``neg_ece``, ``neg_brier_score``,
#: ``neg_log_loss``), built once; pass ``scoring=SCORING`` to ``cross_validate``.
SCORING = get_scoring()
