"""Paired effects over tables (bootstrap, Wilcoxon, Holm, detectable effect) and the arm profile."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sklearn_causalmix.study import (
    arm_profile_table,
    holm_adjust,
    paired_effects_table,
    summarize_deltas,
    table_deltas,
)

NAN = float("nan")


def _results(n_tables=6, seeds=(0, 1)):
    """finetune; causalmix r=0.5 is 0.02 better on every table; noise r=0.5 is a coin flip."""
    rng = np.random.RandomState(0)
    rows = []
    for t in range(n_tables):
        for seed in seeds:
            base = 0.7 + 0.02 * t + 0.005 * seed
            rows += [
                (f"t{t}", seed, "zero-shot", NAN, base - 0.01),
                (f"t{t}", seed, "finetune", 0.0, base),
                (f"t{t}", seed, "causalmix", 0.5, base + 0.02 + 0.001 * rng.randn()),
                (f"t{t}", seed, "noise", 0.5, base + 0.01 * (-1) ** t),
                (f"t{t}", seed, "logreg", NAN, base + 0.1),
            ]
    frame = pd.DataFrame(rows, columns=["dataset", "seed", "method", "ratio", "auc_shifted"])
    return frame.assign(error="", note="", ece_shifted=0.1)


def test_holm_matches_its_definition():
    p = np.array([0.01, 0.04, 0.03, 0.2])
    # sorted 0.01, 0.03, 0.04, 0.2 times 4, 3, 2, 1 -> 0.04, 0.09, 0.08 -> 0.09 (monotone), 0.2
    np.testing.assert_allclose(holm_adjust(p), [0.04, 0.09, 0.09, 0.2])
    assert holm_adjust([0.5, 0.6]).tolist() == [1.0, 1.0]
    assert np.isnan(holm_adjust([NAN])[0]) and holm_adjust([]).shape == (0,)


def test_effects_against_finetune_per_run():
    table = paired_effects_table(_results(), metrics=["auc_shifted"], n_resamples=500)
    assert table["run"].tolist() == ["zero-shot", "causalmix r=0.5", "noise r=0.5"]  # no logreg
    row = table.set_index("run").loc["causalmix r=0.5"]
    assert row["tables"] == 6 and row["Δ mean"] == pytest.approx(0.02, abs=1e-3)
    assert row["CI low"] <= row["Δ mean"] <= row["CI high"]
    assert (row["win"], row["tie"], row["loss"]) == (6, 0, 0)
    assert row["Wilcoxon p"] == pytest.approx(2 / 2 ** 6)  # all six tables positive
    expected = holm_adjust(table["Wilcoxon p"])
    np.testing.assert_allclose(table["Holm p"], expected)
    assert row["Holm p"] >= row["Wilcoxon p"]
    noise = table.set_index("run").loc["noise r=0.5"]
    assert (noise["win"], noise["loss"]) == (3, 3) and noise["Wilcoxon p"] > 0.5
    zero = table.set_index("run").loc["zero-shot"]
    assert zero["Δ mean"] == pytest.approx(-0.01) and zero["loss"] == 6


def test_effects_against_causalmix_pair_each_control_with_its_own_ratio():
    results = _results()
    # causalmix and a random-graph control at two ratios; noise only at 0.5, smote at a ratio causalmix lacks
    extra = results[results["method"] == "causalmix"].assign(ratio=1.0, auc_shifted=lambda d: d["auc_shifted"] - 0.03)
    graph = pd.concat([results[results["method"] == "causalmix"].assign(auc_shifted=lambda d: d["auc_shifted"] - 0.01),
                       extra.assign(auc_shifted=lambda d: d["auc_shifted"] + 0.004)]).assign(method="random-graph")
    smote = results[results["method"] == "noise"].assign(method="smote", ratio=0.25)
    table = paired_effects_table(pd.concat([results, extra, graph, smote]), "causalmix", metrics=["auc_shifted"],
                                 n_resamples=200).set_index("run")
    assert sorted(table.index) == ["noise r=0.5", "random-graph r=0.5", "random-graph r=1"]  # no smote r=0.25
    assert table.loc["random-graph r=0.5", "Δ mean"] == pytest.approx(-0.01)  # against causalmix r=0.5
    assert table.loc["random-graph r=1", "Δ mean"] == pytest.approx(0.004)  # against causalmix r=1
    assert table.loc["random-graph r=1", "tables"] == 6
    # with causalmix at one ratio only, runs without a ratio (zero-shot, finetune) are still left out
    one = paired_effects_table(pd.concat([results, graph[graph["ratio"] == 0.5]]), "causalmix",
                               metrics=["auc_shifted"], n_resamples=200)
    assert sorted(one["run"]) == ["noise r=0.5", "random-graph r=0.5"]


def test_effects_against_zero_shot_and_lower_is_better_metrics():
    results = _results()
    results["log_loss_shifted"] = 1 - results["auc_shifted"]  # better AUC, lower loss here
    table = paired_effects_table(results, "zero-shot", metrics=["log_loss_shifted"],
                                 methods=["finetune", "causalmix"], n_resamples=200)
    assert table["run"].tolist() == ["finetune", "causalmix r=0.5"]
    assert (table["win"] == 6).all() and (table["Δ mean"] < 0).all()


def test_detectable_effect_is_the_paired_power_formula():
    deltas = table_deltas(_results(), "auc_shifted", "noise", "finetune")["delta"]
    summary = summarize_deltas(deltas)
    factor = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    assert summary["detectable"] == pytest.approx(factor * deltas.std(ddof=1) / np.sqrt(6))


def test_different_table_sets_are_named_and_notes_left_out():
    results = _results()
    gone = (results["method"] == "causalmix") & (results["dataset"] == "t5")
    results.loc[gone, "note"] = "not applicable here"
    results.loc[gone, "auc_shifted"] = NAN
    table = paired_effects_table(results, metrics=["auc_shifted"], n_resamples=200)
    by_run = table.set_index("run")
    assert by_run.loc["causalmix r=0.5", "tables"] == 5
    assert by_run.loc["causalmix r=0.5", "missing tables"] == "t5"
    assert by_run.loc["noise r=0.5", "missing tables"] == ""


def test_each_protocol_is_its_own_family():
    a, b = _results().assign(protocol="shift"), _results(n_tables=4).assign(protocol="iid")
    table = paired_effects_table(pd.concat([a, b]), metrics=["auc_shifted"], n_resamples=200)
    assert table.groupby("protocol", sort=False)["tables"].max().to_dict() == {
        "shift": 6, "iid": 4}
    for _, part in table.groupby("protocol"):
        np.testing.assert_allclose(part["Holm p"], holm_adjust(part["Wilcoxon p"]))


def test_arm_profile_gain_spread_steps_fidelity_and_val_test_correlation():
    results = _results()
    zero = results[results["method"] == "zero-shot"].set_index(["dataset", "seed"])["auc_shifted"]
    results["normalized_improvement"] = (results["auc_shifted"] / zero.reindex(
        pd.MultiIndex.from_frame(results[["dataset", "seed"]])).to_numpy() - 1) * 100
    results["val_test_gap"] = np.where(results["method"] == "causalmix", 0.4, NAN)
    results["best_step"] = np.where(results["method"] == "causalmix", 0, 10)
    results["fidelity_detection_auc"] = np.where(
        (results["method"] == "causalmix") & (results["seed"] == 0), 0.6, NAN)
    query = results[results["method"] == "causalmix"].assign(method="causalmix-query",
                                                             fidelity_detection_auc=NAN)
    profile = arm_profile_table(pd.concat([results, query])).set_index("run")
    gains = results[results["method"] == "causalmix"].groupby("dataset")[
        "normalized_improvement"].mean()
    row = profile.loc["causalmix r=0.5"]
    assert row["gain median"] == pytest.approx(gains.median())
    assert row["gain IQR"] == pytest.approx(gains.quantile(0.75) - gains.quantile(0.25))
    assert row["gain sd"] == pytest.approx(gains.std(ddof=1))
    assert row["val-test ρ"] == pytest.approx(0.6) and row["ρ runs"] == 12
    assert row["kept pretrained"] == 1.0 and profile.loc["finetune", "best step"] == 10
    assert row["fidelity detection AUC"] == pytest.approx(0.6)
    # the query arm shares causalmix's augmenter, hence its fidelity
    assert profile.loc["causalmix-query r=0.5", "fidelity detection AUC"] == pytest.approx(0.6)
    assert np.isnan(profile.loc["finetune", "val-test ρ"])


def test_arm_profile_counts_each_dataset_seed_fidelity_once_whatever_ratio_carries_it():
    # t0 measured at both ratios (a fresh run), t1 at r=0.5 only (units from an older cache):
    # the mean is over the two (dataset, seed) pairs, the same for every ratio, and says so
    rows = [("t0", 0.5, 0.6), ("t0", 1.0, 0.6), ("t1", 0.5, 0.9), ("t1", 1.0, NAN)]
    results = pd.DataFrame(rows, columns=["dataset", "ratio", "fidelity_detection_auc"]).assign(
        seed=0, method="causalmix", protocol="shift", error="", normalized_improvement=1.0)
    results = pd.concat([results, results.iloc[:2].assign(
        method="finetune", ratio=0.0, fidelity_detection_auc=NAN)])
    profile = arm_profile_table(results).set_index("run")
    assert profile.loc["causalmix r=0.5", "fidelity detection AUC"] == pytest.approx(0.75)
    assert profile.loc["causalmix r=1", "fidelity detection AUC"] == pytest.approx(0.75)
    assert profile.loc["causalmix r=1", "fidelity runs"] == 2
    assert profile.loc["finetune", "fidelity runs"] == 0
    assert np.isnan(profile.loc["finetune", "fidelity detection AUC"])


def test_report_gives_the_paired_sections_and_says_when_table_sets_differ(tmp_path):
    from sklearn_causalmix.study import write_report

    results = _results().assign(n_train=64, fit_time_s=1.0, normalized_improvement=0.0,
                                val_test_gap=0.5, ece_shifted_ts=0.05, ece_in_domain=0.1,
                                auc_in_domain=0.8, brier_shifted=0.2)
    text = write_report(results, tmp_path / "same.md").read_text()
    assert "## Paired effects against finetune (over tables)" in text
    assert "## Paired effects against zero-shot (over tables)" in text
    assert "Holm p" in text and "detectable Δ" in text and "## The arms beside their effects" in text
    assert "not over the same tables" not in text and "Not all rows" not in text
    gone = (results["method"] == "noise") & (results["dataset"].isin(["t4", "t5"]))
    results.loc[gone, "note"] = "noise does not apply"
    text = write_report(results, tmp_path / "differ.md").read_text()
    assert "Not all rows are over the same tables." in text and "noise r=0.5: without t4, t5" in text
    assert "**Rows differ in their tables**" in text and "| t4, t5 |" in text
    assert "## Runs that do not apply to their dataset" in text and "noise does not apply" in text


# ------------------------------------------------------------------------------ figures
@pytest.fixture
def agg():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _curves():
    results = _results()
    more = results[results["method"] == "causalmix"].assign(
        ratio=1.0, auc_shifted=lambda f: f["auc_shifted"] - 0.03)
    return pd.concat([results, more], ignore_index=True)


def test_ratio_curves_one_panel_per_protocol_with_bootstrap_bands(agg):
    from sklearn_causalmix.study import plot_ratio_curves

    fig = plot_ratio_curves(_curves(), n_resamples=200)
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert sorted(lines) == ["causalmix", "noise"]
    np.testing.assert_allclose(lines["causalmix"].get_xdata(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(lines["causalmix"].get_ydata(), [0.0, 0.02, -0.01], atol=2e-3)
    assert len(ax.collections) == 2  # one band per method
    both = pd.concat([_curves().assign(protocol="shift"), _curves().assign(protocol="iid")])
    assert [a.get_title() for a in plot_ratio_curves(both, n_resamples=100).axes] == [
        "shift", "iid"]


def test_forest_plot_rows_are_tables_and_the_mean(agg):
    from sklearn_causalmix.study import plot_forest

    fig = plot_forest(_curves(), runs=["causalmix r=0.5", "noise r=0.5"])
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"t{k}" for k in range(6)] + ["mean over tables"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "causalmix r=0.5", "noise r=0.5"]


def test_validation_test_figure_draws_both_panels(agg):
    from sklearn_causalmix.study import plot_validation_test

    results = _curves().assign(val_test_gap=0.3)
    results["auc_in_domain"] = results["auc_shifted"] + 0.05
    left, right = plot_validation_test(results).axes
    assert len(left.collections) == 4  # every method but the baseline (finetune)
    assert "Spearman" in left.get_title() and len(right.get_xticklabels()) == 5
    plot_validation_test(results.drop(columns="val_test_gap"))  # an older frame still draws
