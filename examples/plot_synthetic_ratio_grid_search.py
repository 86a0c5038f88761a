"""
=====================================================================
Choosing the share of synthetic rows with a grid search
=====================================================================

:class:`~sklearn_causalmix.CausalMixFTClassifier` fine-tunes the embedded tabular foundation model on
real rows mixed with synthetic rows from :class:`~sklearn_causalmix.CausalSCMAugmenter`; the parameter
``synthetic_ratio`` is the share of synthetic rows in every fine-tuning episode. Because the estimator
follows the scikit-learn API, choosing that share is an ordinary :class:`~sklearn.model_selection.GridSearchCV`.

The synthetic pool depends on the training fold but not on the ratio, so ``memory=`` (as in
:class:`~sklearn.pipeline.Pipeline`) caches it: the augmenter is fitted once per fold instead of once
per fold and candidate.

With ``CAUSALMIX_FAST=1`` in the environment (the documentation build) the data, the folds and the
number of fine-tuning steps are smaller.
"""

# %%
# The data
# --------
# The Swiss labour-force table (AER/SwissLabor): does a woman participate in the labour force? We
# use the rows of the source domain (Swiss women) of the shifted-dataset registry.
import os
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_causalmix import CausalMixFTClassifier, CausalSCMAugmenter
from sklearn_causalmix.datasets import load_shifted_dataset

FAST = os.environ.get("CAUSALMIX_FAST") == "1"
if FAST:  # the documentation build runs examples side by side on a few cores: one torch thread each
    torch.set_num_threads(1)

data = load_shifted_dataset("swiss_labor")
source = np.asarray(data.domain) == 0
X, y = data.X[source], np.asarray(data.y)[source]
rng = np.random.default_rng(0)
keep = np.sort(rng.choice(len(y), size=150 if FAST else 400, replace=False))
X, y = X.iloc[keep], y[keep]
print(X.shape, "rows per class:", pd.Series(y).value_counts().to_dict())
X.head()

# %%
# Counting augmenter fits
# -----------------------
# To show what the cache saves we count the calls of ``CausalSCMAugmenter.fit``.
n_fits = {"n": 0}
_fit = CausalSCMAugmenter.fit


def counting_fit(self, X, y):
    n_fits["n"] += 1
    return _fit(self, X, y)


CausalSCMAugmenter.fit = counting_fit

# %%
# The grid search
# ---------------
# Five ratios, from plain fine-tuning (0) to synthetic rows only (1). Every candidate on a fold
# shares the same split into training and validation rows, the same augmenter seed and therefore
# the same cached pool.
ratios = [0.0, 0.25, 0.5, 0.75, 1.0]
clf = CausalMixFTClassifier(
    augmenter=CausalSCMAugmenter(n_bootstrap=2 if FAST else 5, n_graphs=1 if FAST else 3),
    n_synthetic=256 if FAST else 512,
    max_steps=4 if FAST else 30,
    eval_every=2 if FAST else 10,
    n_estimators=1 if FAST else 4,
    memory=tempfile.mkdtemp(prefix="causalmix-example-"),
    device="cpu",
    random_state=0,
)
search = GridSearchCV(
    clf,
    {"synthetic_ratio": ratios},
    cv=StratifiedKFold(3 if FAST else 5, shuffle=True, random_state=0),
    scoring="roc_auc",
)
start = time.perf_counter()
search.fit(X, y)
print(f"grid search: {time.perf_counter() - start:.0f} s, augmenter fitted {n_fits['n']} times "
      f"({search.n_splits_} folds + 1 refit) instead of {len([r for r in ratios if r > 0]) * search.n_splits_ + 1}")
print("best synthetic_ratio:", search.best_params_["synthetic_ratio"])
results = pd.DataFrame(search.cv_results_)[["param_synthetic_ratio", "mean_test_score", "std_test_score"]]
print(results.round(4))

# %%
# Mean test ROC-AUC against the share of synthetic rows
# -----------------------------------------------------
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.errorbar(
    results["param_synthetic_ratio"].astype(float), results["mean_test_score"], yerr=results["std_test_score"],
    marker="o", capsize=3,
)
ax.set_xlabel("synthetic_ratio")
ax.set_ylabel(f"mean ROC-AUC over {search.n_splits_} folds")
ax.set_title("GridSearchCV over the synthetic ratio")
fig.tight_layout()
plt.show()

# %%
# The refitted model
# ------------------
# ``best_estimator_`` was refitted on all rows with the chosen ratio; its ``history_`` holds the
# validation score of each evaluation (step 0 is the pretrained model, which early stopping keeps
# unless fine-tuning improves the validation score).
best = search.best_estimator_
print(pd.DataFrame(best.history_)[["step", "train_loss", "val_score"]].round(4))
