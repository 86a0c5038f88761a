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
and graphs are used.
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
fig, ax = plt.subplots(figsize=(6.5, 6.5))
augmenter.plot_graph(ax=ax, threshold=0.2)
plt.show()

# %%
# Real and synthetic marginals
# ----------------------------
# ``sample`` returns a DataFrame with the input's columns and dtypes (``year`` stays an integer,
# categories are the observed levels) and labels in the real class proportions.
X_syn, y_syn = augmenter.sample(len(X))
print(X_syn.dtypes.equals(X.dtypes), y_syn.value_counts().to_dict(), y.value_counts().to_dict())

numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
categorical = ["island", "sex"]
fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
for ax, col in zip(axes.ravel(), numeric):
    bins = np.histogram_bin_edges(X[col].dropna(), bins=20)
    ax.hist(X[col].dropna(), bins=bins, alpha=0.6, label="real", density=True)
    ax.hist(X_syn[col].dropna(), bins=bins, alpha=0.6, label="synthetic", density=True)
    ax.set_title(col)
axes[0, 0].legend()
for ax, col in zip(axes.ravel()[len(numeric) :], categorical):
    shares = pd.DataFrame(
        {
            "real": X[col].value_counts(normalize=True),
            "synthetic": X_syn[col].value_counts(normalize=True),
        }
    )
    shares.plot.bar(ax=ax, rot=0)
    ax.set_title(col)
fig.tight_layout()
plt.show()

# %%
# Pairs of features
# -----------------
# The SCMs carry the dependencies between features and with the label: the species clusters
# reappear in the synthetic rows.
pairs = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]
colours = dict(zip(sorted(y.unique()), ["tab:blue", "tab:orange", "tab:green"]))
fig, axes = plt.subplots(2, 3, figsize=(12, 7), sharex="col", sharey="col")
for row, (name, table, labels) in enumerate([("real", X, y), ("synthetic", X_syn, y_syn)]):
    for ax, (a, b) in zip(axes[row], [(0, 1), (0, 2), (1, 2)]):
        ax.scatter(
            table[pairs[a]], table[pairs[b]], c=labels.map(colours), s=8, alpha=0.7
        )
        ax.set_xlabel(pairs[a])
        ax.set_ylabel(pairs[b])
        ax.set_title(name)
fig.tight_layout()
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
