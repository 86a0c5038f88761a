"""
=======================================================
Choosing the share of synthetic rows with a grid search
=======================================================

:class:`~sklearn_causalmix.CausalMixFTClassifier` fine-tunes the embedded tabular foundation model
on real rows mixed with synthetic rows from :class:`~sklearn_causalmix.CausalSCMAugmenter`; the
parameter ``synthetic_ratio`` is the share of synthetic rows in every fine-tuning episode. Because
the estimator follows the scikit-learn API, choosing that share is an ordinary
:class:`~sklearn.model_selection.GridSearchCV`.

The synthetic pool depends on the training fold but not on the ratio, so ``memory=`` (as in
:class:`~sklearn.pipeline.Pipeline`) caches it: the augmenter is fitted once per fold instead of
once per fold and candidate.

With ``CAUSALMIX_FAST=1`` in the environment (the documentation build) the table, the folds, the
synthetic pool and the number of fine-tuning steps are small -- too small to tell the ratios apart
reliably; the lines printed under "What this run shows" compare the differences between ratios
with those between folds.
"""

# %%
# The data
# --------
# The Swiss labour-force table (AER/SwissLabor): does a woman participate in the labour force? We
# use rows of the source domain (Swiss women) of the shifted-dataset registry.
import os
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

from sklearn_causalmix import CausalMixFTClassifier, CausalSCMAugmenter
from sklearn_causalmix.datasets import load_shifted_dataset

FAST = os.environ.get("CAUSALMIX_FAST") == "1"
if FAST:  # the documentation build runs on a few shared cores: one torch thread
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
# To show what the cache saves, a subclass counts how often an augmenter is really fitted. It
# changes nothing else: parameters, cloning and the cache key are those of the parent class.
class CountingAugmenter(CausalSCMAugmenter):
    """A :class:`CausalSCMAugmenter` that counts its fits in a class attribute."""

    n_fits = 0

    def fit(self, X, y):
        type(self).n_fits += 1
        return super().fit(X, y)


# %%
# The grid search
# ---------------
# Five ratios, from plain fine-tuning (0) to synthetic rows only (1). Every candidate on a fold
# shares the same split into training and validation rows and the same augmenter seed, and
# therefore the same cached pool. ``scoring="roc_auc_ovr"`` is ROC-AUC for two classes and the
# one-vs-rest macro average for more, so the same code runs on multiclass tables.
ratios = [0.0, 0.25, 0.5, 0.75, 1.0]
settings = dict(
    n_synthetic=256 if FAST else 512,
    max_steps=4 if FAST else 30,
    eval_every=2 if FAST else 10,
    n_estimators=1 if FAST else 4,
    device="cpu",
    random_state=0,
)
clf = CausalMixFTClassifier(
    augmenter=CountingAugmenter(n_bootstrap=2 if FAST else 5, n_graphs=1 if FAST else 3),
    memory=tempfile.mkdtemp(prefix="causalmix-example-"),
    **settings,
)
cv = StratifiedKFold(3 if FAST else 5, shuffle=True, random_state=0)
search = GridSearchCV(clf, {"synthetic_ratio": ratios}, cv=cv, scoring="roc_auc_ovr")
start = time.perf_counter()
search.fit(X, y)
without_cache = len([r for r in ratios if r > 0]) * search.n_splits_ + 1
print(
    f"grid search: {time.perf_counter() - start:.0f} s; augmenter fitted "
    f"{CountingAugmenter.n_fits} times ({search.n_splits_} folds + 1 refit); "
    f"without memory= it would be {without_cache}"
)

# %%
# The same folds scored zero-shot (``max_steps=0``: the pretrained model in context, no
# fine-tuning) give the reference every fine-tuned candidate should beat.
zero_shot = cross_val_score(
    CausalMixFTClassifier(max_steps=0, n_estimators=settings["n_estimators"], device="cpu"),
    X, y, cv=cv, scoring="roc_auc_ovr",
)
results = pd.DataFrame(search.cv_results_)[
    ["param_synthetic_ratio", "mean_test_score", "std_test_score"]
].astype(float)
print(results.round(4).to_string(index=False))
print(f"zero-shot: {zero_shot.mean():.4f} +- {zero_shot.std():.4f}")

# %%
# What this run shows
# -------------------
# ``best_params_`` always names *a* ratio, even when the candidates are indistinguishable. The
# lines below check two things before reading anything into it: are the scores above chance, and
# do the best and the worst ratio differ by more than twice the standard error of their difference
# (from the spread over the folds; with few folds a weak check)?
scores = results.set_index("param_synthetic_ratio")
best_ratio, worst_ratio = scores["mean_test_score"].idxmax(), scores["mean_test_score"].idxmin()
difference = scores.loc[best_ratio, "mean_test_score"] - scores.loc[worst_ratio, "mean_test_score"]
standard_error = np.sqrt(
    (scores.loc[best_ratio, "std_test_score"] ** 2 + scores.loc[worst_ratio, "std_test_score"] ** 2)
    / search.n_splits_
)
print(f"best synthetic_ratio: {search.best_params_['synthetic_ratio']}")
print(f"best - worst mean ROC-AUC: {difference:.4f} (ratio {best_ratio:g} vs {worst_ratio:g}); "
      f"twice its standard error: {2 * standard_error:.4f}")
if scores["mean_test_score"].max() < 0.6:
    print("Every candidate scores close to chance (ROC-AUC 0.5): this run does not tell the "
          "ratios apart, whatever best_params_ says.")
elif difference < 2 * standard_error:
    print("The ratios differ by less than twice the standard error: this run does not tell them "
          "apart.")
else:
    print(f"The best and the worst ratio differ by more than twice the standard error over "
          f"{search.n_splits_} folds.")

# %%
# Mean test ROC-AUC against the share of synthetic rows
# -----------------------------------------------------
# Points are the mean over the folds, bars one standard deviation; the dashed line is the
# zero-shot model on the same folds.
fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
ax.errorbar(
    results["param_synthetic_ratio"], results["mean_test_score"], yerr=results["std_test_score"],
    marker="o", capsize=4, label="fine-tuned (mean +- sd over folds)",
)
ax.axhline(zero_shot.mean(), ls="--", color="tab:gray", label="zero-shot (mean over folds)")
ax.set_xlabel("synthetic_ratio (share of synthetic rows per episode)", fontsize=11)
ax.set_ylabel(f"ROC-AUC, {search.n_splits_}-fold CV (0.5 = chance)", fontsize=11)
ax.set_xticks(ratios)
ax.tick_params(labelsize=10)
ax.set_title(f"Grid search over the synthetic ratio ({len(y)} rows)", fontsize=12)
fig.legend(loc="outside lower center", ncols=2, fontsize=10, frameon=False)
plt.show()

# %%
# The refitted model
# ------------------
# ``best_estimator_`` was refitted on all rows with the chosen ratio; its ``history_`` holds the
# validation score of each evaluation (step 0 is the pretrained model, which early stopping keeps
# unless fine-tuning improves the validation score -- ``best_step_`` says which step was kept).
best = search.best_estimator_
print("kept the weights of step", best.best_step_)
history = pd.DataFrame(best.history_)[["step", "train_loss", "val_score"]]
print(history.round(4).to_string(index=False))

# sphinx_gallery_thumbnail_number = 1
