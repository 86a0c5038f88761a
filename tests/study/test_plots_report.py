"""Tests of the study's figures, tables and markdown report (on hand-made result frames)."""

import numpy as np
import pandas as pd
import pytest

from sklearn_causalmix.study import (
    StudyUnit,
    bootstrap_ci,
    per_dataset_table,
    plot_aggregate,
    plot_improvement,
    plot_metric_by_dataset,
    plot_reliability,
    summary_table,
    write_outputs,
    write_report,
)
from sklearn_causalmix.study._plots import ratio_curves
from sklearn_causalmix.study._tables import minmax_normalized_auc, win_loss_table

NAN = float("nan")


def _results():
    rows = []
    for dataset, shift in (("a", 0.0), ("b", 0.05)):
        for seed in (0, 1):
            base = 0.70 + shift + 0.01 * seed
            rows += [
                ("zero-shot", NAN, base, 0.20),
                ("finetune", 0.0, base + 0.02, 0.15),
                ("causalmix", 0.5, base + 0.04, 0.10),
                ("causalmix", 1.0, base - 0.01, 0.12),
                ("noise", 0.5, base + 0.02, 0.18),
                ("logreg", NAN, base + 0.10, 0.05),
            ]
            rows = [(dataset, seed, *r) if len(r) == 4 else r for r in rows]
    frame = pd.DataFrame(rows, columns=["dataset", "seed", "method", "ratio", "auc_shifted",
                                        "ece_shifted"])
    frame["auc_in_domain"] = frame["auc_shifted"] + 0.05
    frame["brier_shifted"] = 0.2
    zero = frame[frame["method"] == "zero-shot"].set_index(["dataset", "seed"])["auc_shifted"]
    ref = zero.reindex(pd.MultiIndex.from_frame(frame[["dataset", "seed"]])).to_numpy()
    frame["normalized_improvement"] = (frame["auc_shifted"] / ref - 1) * 100
    frame["val_test_gap"] = np.where(frame["ratio"].notna(), 0.5, NAN)
    frame["fit_time_s"] = 1.0
    frame["n_train"] = 64
    frame["chosen_ratio"] = NAN
    frame["error"] = ""
    return frame


def test_bootstrap_ci_contains_the_mean_and_shrinks_with_n():
    rng = np.random.RandomState(0)
    small = bootstrap_ci(rng.normal(size=10))
    large = bootstrap_ci(rng.normal(size=1000))
    assert small[1] < small[0] < small[2]
    assert (large[2] - large[1]) < (small[2] - small[1])
    assert bootstrap_ci([np.nan, 0.5]) == (0.5, 0.5, 0.5)
    assert all(np.isnan(bootstrap_ci([])))


def test_ratio_curves_start_at_plain_finetuning():
    curves = ratio_curves(_results())
    causal = curves[(curves["method"] == "causalmix") & (curves["dataset"] == "a")
                    & (curves["seed"] == 0)]
    assert causal["ratio"].tolist() == [0.0, 0.5, 1.0]
    assert causal["auc_shifted"].round(3).tolist() == [0.72, 0.74, 0.69]
    assert set(curves["method"]) == {"causalmix", "noise"}


def test_summary_table_medians_and_paired_deltas():
    table = summary_table(_results()).set_index(["method", "ratio"], drop=False)
    row = table[(table["method"] == "causalmix") & (table["ratio"] == 0.5)].iloc[0]
    assert row["runs"] == 4
    assert row["median Δauc_shifted vs finetune"] == pytest.approx(0.02)
    assert row["median Δece_shifted vs finetune"] == pytest.approx(-0.05)
    assert table["method"].tolist()[:2] == ["zero-shot", "finetune"]
    # Min-max normalised AUC: logreg is best (1) and causalmix r=1 worst (0) in every group,
    # zero-shot sits at (0.70 - 0.69) / (0.80 - 0.69).
    zero_norm = 0.01 / 0.11
    logreg = table[table["method"] == "logreg"].iloc[0]
    assert logreg["median normalized-AUC gain over zero-shot"] == pytest.approx(1 - zero_norm)


def test_minmax_normalized_auc_ties_and_failures():
    frame = pd.DataFrame({"dataset": ["a"] * 3, "seed": 0, "method": ["x", "y", "z"],
                          "auc_shifted": [0.7, 0.7, 0.9], "error": ["", "", "boom"]})
    assert minmax_normalized_auc(frame).tolist()[:2] == [1.0, 1.0]   # all tie: all are the best
    assert np.isnan(minmax_normalized_auc(frame).iloc[2])


def test_per_dataset_and_win_loss_tables():
    table = per_dataset_table(_results())
    assert table.index.tolist() == ["a", "b"]
    assert table.columns.tolist() == ["zero-shot", "finetune", "causalmix r=0.5",
                                      "causalmix r=1", "noise r=0.5", "logreg"]
    assert table.loc["a", "finetune"] == pytest.approx(0.725)
    wins = win_loss_table(_results()).set_index("run")
    assert wins.loc["causalmix r=0.5", ["better", "tie", "worse"]].tolist() == [2, 0, 0]
    assert wins.loc["causalmix r=1", "worse on"] == "a, b"
    assert wins.loc["noise r=0.5", "tie"] == 2


def test_figures_have_the_expected_content():
    import matplotlib.pyplot as plt

    fig = plot_metric_by_dataset(_results(), "auc_shifted")
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["a", "b"]
    # 2 ratio curves + zero-shot and logreg lines per panel.
    assert len(fig.axes[0].lines) == 4
    plt.close(fig)
    fig = plot_aggregate(_results(), n_boot=200)
    assert len(fig.axes) == 4
    plt.close(fig)
    fig = plot_improvement(_results())
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["finetune", "causalmix r=0.5", "causalmix r=1", "noise r=0.5", "logreg"]
    plt.close(fig)


def test_reliability_diagram_per_ratio():
    rng = np.random.RandomState(0)
    p = rng.uniform(size=300)
    pred = {"y_true": (rng.uniform(size=300) < p).astype(int).astype(str),
            "proba": np.column_stack([1 - p, p]), "classes": np.array(["0", "1"])}
    predictions = {StudyUnit("d", 0, m, r): pred for m, r in (
        ("zero-shot", None), ("finetune", 0.0), ("causalmix", 0.5), ("causalmix", 1.0),
        ("noise", 0.5))}
    fig = plot_reliability(predictions, "d", method="causalmix")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[1:] == ["zero-shot", "finetune", "causalmix r=0.5", "causalmix r=1"]
    with pytest.raises(ValueError, match="No predictions for dataset 'e'"):
        plot_reliability(predictions, "e")


def test_write_report_tables_figures_and_failures(tmp_path):
    results = _results()
    results.loc[len(results)] = {**results.iloc[0].to_dict(), "method": "smote", "ratio": 0.5,
                                 "auc_shifted": NAN, "error": "ValueError: boom"}
    figure = tmp_path / "figs" / "f.png"
    figure.parent.mkdir()
    figure.write_bytes(b"\x89PNG")
    path = write_report(results, tmp_path / "out" / "report.md", figures={"A figure": figure},
                        command="causalmix study --quick", reading="**Reading.** text",
                        notes=["a note"])
    text = path.read_text()
    assert text.startswith("# Ratio study")
    assert "```\ncausalmix study --quick\n```" in text
    assert "- a note" in text and "**Reading.** text" in text
    assert "runs: 25 (1 failed)" in text
    assert "## Failed runs" in text and "ValueError: boom" in text
    assert "![A figure](../figs/f.png)" in text
    assert "| causalmix r=0.5 |" not in text.split("## Medians")[0]
    assert "| dataset | zero-shot | finetune | causalmix r=0.5" in text


def test_write_outputs_with_predictions(tmp_path):
    rng = np.random.RandomState(1)
    p = rng.uniform(size=100)
    pred = {"y_true": (rng.uniform(size=100) < p).astype(int),
            "proba": np.column_stack([1 - p, p]), "classes": np.array([0, 1])}
    predictions = {StudyUnit("a", 0, "finetune", 0.0): pred,
                   StudyUnit("a", 0, "causalmix", 0.5): pred}
    files = write_outputs(_results(), tmp_path, predictions=predictions)
    assert files["reliability_a_causalmix"].read_bytes()[:4] == b"\x89PNG"
    assert pd.read_csv(files["results"]).shape[0] == 24
    assert "reliability_a_causalmix.png" in files["report"].read_text()
    for key in ("ratio_curves", "forest", "validation_test"):  # the paired-effect figures
        assert files[key].read_bytes()[:4] == b"\x89PNG", key
        assert f"{key}.png" in files["report"].read_text()


def test_normalized_gain_without_references():
    table = summary_table(_results())
    row = table[(table["method"] == "causalmix") & (table["ratio"] == 0.5)].iloc[0]
    # Without logreg, causalmix r=0.5 is the best TFM run (1) and r=1 the worst (0);
    # zero-shot sits at (0.70 - 0.69) / (0.74 - 0.69) = 0.2.
    assert row["same, TFM runs only"] == pytest.approx(1 - 0.2)
    assert np.isnan(table.loc[table["method"] == "logreg", "same, TFM runs only"].iloc[0])


def test_aggregate_draws_intervals_only_with_enough_pairs():
    from matplotlib.collections import PolyCollection

    from sklearn_causalmix.study import plot_aggregate

    def results(n_datasets):
        rows = []
        for i in range(n_datasets):
            for method, ratio, auc in (("finetune", 0.0, 0.7 + 0.01 * i), ("causalmix", 0.5, 0.71 + 0.01 * i)):
                rows.append({"dataset": f"d{i}", "seed": 0, "error": "", "method": method, "ratio": ratio,
                             "auc_shifted": auc, "ece_shifted": 0.1})
        return pd.DataFrame(rows)

    def bands(fig):
        return sum(isinstance(c, PolyCollection) for ax in fig.axes for c in ax.collections)

    few, many = plot_aggregate(results(2), n_boot=50), plot_aggregate(results(6), n_boot=50)
    assert bands(few) == 0 and "too few for intervals" in few._suptitle.get_text()
    assert bands(many) > 0 and "bootstrap 95% CIs" in many._suptitle.get_text()


def test_report_names_the_runs_that_kept_the_pretrained_weights(tmp_path):
    from sklearn_causalmix.study import write_report

    results = pd.DataFrame({
        "dataset": ["a", "a", "b", "b"], "seed": 0, "error": "", "ratio": [np.nan, 0.0, np.nan, 0.0],
        "method": ["zero-shot", "finetune"] * 2, "n_train": 64, "auc_shifted": [0.7, 0.7, 0.6, 0.65],
        "auc_in_domain": 0.8, "ece_shifted": 0.1, "brier_shifted": 0.2, "normalized_improvement": np.nan,
        "val_test_gap": 0.5, "fit_time_s": 1.0, "ece_in_domain": 0.1, "best_step": [0, 0, 0, 20],
        "n_steps": [0, 30, 0, 30]})
    text = write_report(results, tmp_path / "report.md").read_text()
    assert "1 of 2 fine-tuned runs chose step 0" in text
    assert "| finetune | 2 | 1 | a |" in text
