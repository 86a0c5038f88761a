"""
==========================================================
Synthetic rows from a learned causal graph: the augmenter
==========================================================

:class:`~sklearn_causalmix.CausalSCMAugmenter` learns a causal graph of a table *and its label*
(PC and FCI on bootstrap resamples give edge probabilities), samples DAGs from it, fits one
structural causal model (SCM) per DAG and draws synthetic labelled rows from them. Here we fit it
on the Palmer penguins table -- numeric, integer and categorical columns with missing values --
look at the learned graph, compare real and synthetic marginals and pairs of features, and score
the synthetic table with :func:`~sklearn_causalmix.evaluation.synthetic_fidelity`.

With ``CAUSALMIX_FAST=1`` in the environment (the documentation build) fewer bootstrap resamples
and graphs are used (3 and 2 instead of 10 and 5): the edge probabilities then rest on three
resamples only and are coarse.
"""

# %%
# The data
# --------
# 344 penguins of three species; ``island`` and ``sex`` are categorical, ``year`` is an
# integer, and a few measurements are missing. The label ``species`` becomes a node of the graph.
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from palmerpenguins import load_penguins

from sklearn_causalmix import CausalSCMAugmenter
from sklearn_causalmix.evaluation import synthetic_fidelity

FAST = os.environ.get("CAUSALMIX_FAST") == "1"

penguins = load_penguins()
y = penguins.pop("species")
X = penguins
print(X.dtypes)
print("missing values per column:", X.isna().sum().to_dict())

# %%
# Fit the augmenter
# -----------------
# The defaults run PC and FCI on 10 bootstrap resamples and fit 5 SCMs. Missing values are
# imputed for discovery and fitting and re-applied in the samples at each column's rate.
augmenter = CausalSCMAugmenter(
    n_bootstrap=3 if FAST else 10, n_graphs=2 if FAST else 5, random_state=0
).fit(X, y)
print("independence test:", augmenter.indep_test_)
print(augmenter.edge_probabilities_.round(2))

# %%
# The learned graph
# -----------------
# Edge width and opacity grow with the share of bootstrap graphs holding the edge; the label is
# the orange node.
fig, ax = plt.subplots(figsize=(7.5, 7), layout="constrained")
augmenter.plot_graph(ax=ax, threshold=0.2)
for text in ax.texts:  # node names: larger, on a light box so that edges do not cross them
    text.set_fontsize(11)
    text.set_bbox(dict(facecolor="white", alpha=0.8, edgecolor="none", pad=1))
ax.set_title(f"Edge probabilities over {augmenter.n_bootstrap} bootstrap resamples "
             "(edges above 0.2)", fontsize=12)
plt.show()

# %%
# Real and synthetic marginals
# ----------------------------
# ``sample`` returns a DataFrame with the input's columns and dtypes (``year`` stays an integer,
# categories are the observed levels) and labels in the real class proportions.
X_syn, y_syn = augmenter.sample(len(X))
print(X_syn.dtypes.equals(X.dtypes), y_syn.value_counts().to_dict(), y.value_counts().to_dict())

units = {"bill_length_mm": "mm", "bill_depth_mm": "mm", "flipper_length_mm": "mm",
         "body_mass_g": "g"}
categorical = ["island", "sex"]
fig, axes = plt.subplots(2, 3, figsize=(12, 7), layout="constrained")
for ax, (col, unit) in zip(axes.ravel(), units.items()):
    bins = np.histogram_bin_edges(X[col].dropna(), bins=20)
    ax.hist(X[col].dropna(), bins=bins, alpha=0.6, label="real", density=True)
    ax.hist(X_syn[col].dropna(), bins=bins, alpha=0.6, label="synthetic", density=True)
    ax.set_xlabel(f"{col.rsplit('_', 1)[0].replace('_', ' ')} ({unit})", fontsize=11)
    ax.set_ylabel(f"density (1/{unit})", fontsize=11)
for ax, col in zip(axes.ravel()[len(units):], categorical):
    shares = pd.DataFrame(
        {
            "real": X[col].value_counts(normalize=True),
            "synthetic": X_syn[col].value_counts(normalize=True),
        }
    )
    shares.plot.bar(ax=ax, rot=0, legend=False, color=["tab:blue", "tab:orange"], alpha=0.8)
    ax.set_xlabel(col, fontsize=11)
    ax.set_ylabel("share of rows", fontsize=11)
for ax in axes.ravel():
    ax.tick_params(labelsize=10)
handles, labels = axes[0, 0].get_legend_handles_labels()
fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=11, frameon=False)
fig.suptitle("Marginal distributions of the penguins table: real and synthetic rows", fontsize=13)
plt.show()

# %%
# Pairs of features
# -----------------
# Do the species clusters of the real rows reappear in the synthetic rows? Compare the two rows
# of panels.
pairs = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]
colours = dict(zip(sorted(y.unique()), ["tab:blue", "tab:orange", "tab:green"]))
fig, axes = plt.subplots(2, 3, figsize=(12, 7.5), sharex="col", sharey="col", layout="constrained")
for row, (name, table, labels) in enumerate([("real", X, y), ("synthetic", X_syn, y_syn)]):
    for ax, (a, b) in zip(axes[row], [(0, 1), (0, 2), (1, 2)]):
        for species, colour in colours.items():
            mask = (labels == species).to_numpy()
            ax.scatter(table[pairs[a]][mask], table[pairs[b]][mask], color=colour, s=8,
                       alpha=0.7, label=species)
        ax.set_xlabel(pairs[a].replace("_mm", " (mm)").replace("_", " "), fontsize=11)
        ax.set_ylabel(pairs[b].replace("_mm", " (mm)").replace("_", " "), fontsize=11)
        ax.set_title(f"{name} rows", fontsize=11)
        ax.tick_params(labelsize=10)
handles, names = axes[0, 0].get_legend_handles_labels()
fig.legend(handles, names, loc="outside lower center", ncols=3, fontsize=11, frameon=False,
           title="species", title_fontsize=11, markerscale=2)
plt.show()

# %%
# Fidelity report
# ---------------
# Marginal distances per column, the difference of the correlation matrices, how well a
# classifier tells real from synthetic rows (0.5: not at all), and how well a model trained on
# synthetic rows predicts the real labels. As a reference, the same report for a table whose
# columns were shuffled independently (right marginals, no dependencies).
report = synthetic_fidelity(X, X_syn, y, y_syn, random_state=0)
rng = np.random.RandomState(0)
table = X.assign(species=y)
shuffled = pd.DataFrame({c: rng.permutation(table[c].to_numpy()) for c in table})
baseline = synthetic_fidelity(
    X, shuffled.drop(columns="species"), y, shuffled["species"], random_state=0
)
print(pd.DataFrame({"causal SCMs": report.summary(), "shuffled columns": baseline.summary()}))
print(report.marginals.round(3))

# %%
# Augmenting a training set
# -------------------------
# ``fit_resample`` keeps every real row and adds synthetic ones so that they make up the share
# ``synthetic_ratio`` of the result -- the imbalanced-learn sampler contract, usable in an
# ``imblearn.pipeline.Pipeline``.
X_mix, y_mix = CausalSCMAugmenter(
    synthetic_ratio=0.5, n_bootstrap=2 if FAST else 10, n_graphs=2 if FAST else 5, random_state=0
).fit_resample(X, y)
print(len(X), "real rows ->", len(X_mix), "rows")

# sphinx_gallery_thumbnail_number = 3
