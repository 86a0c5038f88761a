"""
======================================================
How much synthetic data helps under a domain shift?
======================================================

:func:`~sklearn_causalmix.study.ratio_study` fine-tunes the pretrained tabular model with a share
``r`` of synthetic rows (``synthetic_ratio``) and scores it on a held-out *in-domain* test set and
on a *shifted* test set from another domain. Here we run a small study on two synthetic tasks
with a known covariate or concept shift
(:func:`~sklearn_causalmix.datasets.make_shifted_classification`), compare CausalMixFT with plain
fine-tuning, the zero-shot model, a noise augmenter (full mode only) and logistic regression, and
draw ROC-AUC and calibration (ECE) against the ratio.

The same study runs on the real shifted tables from the command line::

    causalmix study --quick --output study-quick

With ``CAUSALMIX_FAST=1`` in the environment (the documentation build) the grid is small: two
tasks, one seed, two ratios and up to 40 fine-tuning steps, enough for fine-tuning to move the
model on these tasks but not to tell the ratios apart: one seed is one draw, and differences between
methods in such a run are within the noise of a single split. The documentation build shows how to
run and read the study, not its result. :doc:`benchmarks/results/ratio_study.md </benchmarks/ratio_study>` holds the study on the
17 real shifted tables (|ratio-study-weights|).
"""

# %%
# A small study
# -------------
# Every (dataset, seed, method, ratio) is one *unit*: the source-domain rows are subsampled to
# ``n_train`` training rows, held-out source rows form the in-domain test and target-domain rows
# the shifted test. The ``r = 0`` point of every augmented method is plain fine-tuning.
import os

import matplotlib.pyplot as plt
import numpy as np

from sklearn_causalmix import CausalSCMAugmenter
from sklearn_causalmix.augment import NoiseAugmenter
from sklearn_causalmix.datasets import make_shifted_classification
from sklearn_causalmix.finetune import CausalMixFTClassifier
from sklearn_causalmix.study import (
    plot_aggregate,
    plot_metric_by_dataset,
    plot_reliability,
    ratio_study,
    summary_table,
)

FAST = os.environ.get("CAUSALMIX_FAST") == "1"

tasks = {
    "covariate shift": make_shifted_classification(
        n_samples=600, n_features=6, shift="covariate", random_state=0),
    "concept shift": make_shifted_classification(
        n_samples=600, n_features=6, shift="concept", shift_strength=0.5, random_state=1),
}
results, predictions = ratio_study(
    tasks,
    ratios=(0.0, 1.0) if FAST else (0.0, 0.5, 1.0),
    seeds=[0] if FAST else [0, 1, 2],
    n_train=192,
    methods=["zero-shot", "finetune", "causalmix", "logreg"] if FAST else [
        "zero-shot", "finetune", "causalmix", "noise", "logreg"],
    model=CausalMixFTClassifier(device="cpu", eval_every=5, n_estimators=1),
    augmenters={
        "causalmix": CausalSCMAugmenter(discovery="pc", n_bootstrap=2, n_graphs=2),
        "noise": NoiseAugmenter(noise_scale=0.2),
    },
    max_steps=40 if FAST else 60,
    max_test=200 if FAST else 500,
    return_predictions=True,
    verbose=0,
)
results[["dataset", "seed", "method", "ratio", "best_step", "auc_shifted", "ece_shifted"]].round(3)

# %%
# How many fine-tuned runs moved away from the pretrained weights? ``best_step`` 0 means early
# stopping kept the pretrained model, whose predictions are then those of ``zero-shot``.
tuned = results[results["method"].isin(["finetune", "causalmix"])]
if "best_step" in tuned:
    print(f"{int((tuned['best_step'] > 0).sum())} of {len(tuned)} fine-tuned runs kept weights "
          "after step 0")

# %%
# Medians over datasets and seeds
# -------------------------------
# ``normalized_improvement`` is the % gain of the shifted ROC-AUC over the zero-shot model on the
# same split; Δ columns are paired differences from plain fine-tuning.
summary_table(results)[["method", "ratio", "median auc_shifted",
                        "median Δauc_shifted vs finetune", "median ece_shifted"]].round(3)

# %%
# ROC-AUC and calibration against the ratio
# -----------------------------------------
# One panel per task; lines are the augmented methods (r = 0 is plain fine-tuning), dashed lines
# the methods without a ratio (zero-shot, logistic regression). Where a fine-tuned line and the
# zero-shot line coincide, the fine-tuned model kept the pretrained weights.
fig = plot_metric_by_dataset(results, "auc_shifted", n_cols=2)
plt.show()

# %%
fig = plot_metric_by_dataset(results, "ece_shifted", n_cols=2)
plt.show()

# %%
# Aggregated over the (dataset, seed) pairs
# -----------------------------------------
# ``plot_aggregate`` draws the mean over (dataset, seed) pairs with bootstrap 95% intervals and,
# below, paired differences from plain fine-tuning. A bootstrap interval over a handful of pairs
# is not a confidence interval worth drawing, so the figure is drawn only with at least 5 pairs.
n_pairs = results.groupby(["dataset", "seed"]).ngroups
if n_pairs >= 5:
    fig = plot_aggregate(results, n_boot=1000)
    plt.show()
else:
    print(f"{n_pairs} (dataset, seed) pairs: too few for bootstrap intervals; "
          "run more seeds or tasks (the full mode uses 3 seeds x 2 tasks).")

# %%
# Reliability diagrams on the shifted test of one task
# ----------------------------------------------------
# One curve per model on the same shifted test rows. Models with identical predictions draw
# identical curves, and the last one drawn hides the others; the lines printed first name them.
drawn = [u for u in predictions if u.dataset == "covariate shift" and u.seed == 0
         and u.method in ("zero-shot", "finetune", "causalmix")]
groups = []
for unit in drawn:
    for group in groups:
        if np.allclose(predictions[group[0]]["proba"], predictions[unit]["proba"]):
            group.append(unit)
            break
    else:
        groups.append([unit])
for group in groups:
    if len(group) > 1:
        print("identical predictions:", " = ".join(
            u.method if u.ratio is None or u.method == "finetune" else f"{u.method} r={u.ratio:g}"
            for u in group))
fig = plot_reliability(predictions, "covariate shift", method="causalmix")
plt.show()

# sphinx_gallery_thumbnail_number = 1
