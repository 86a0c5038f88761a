"""The report follows the protocol: the i.i.d. protocol's test is the held-out fold.

Results whose runs are all i.i.d. are reported on the ``*_in_domain`` columns (the ``*_shifted``
ones are NaN there); every other frame gets the report it got before, byte for byte (golden
files written by the code before this change from ``report_frames.study_frame``).
"""

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_frames import study_frame

from sklearn_causalmix.study import (
    StudyUnit,
    arm_profile_table,
    paired_effects_table,
    per_dataset_table,
    plot_aggregate,
    plot_forest,
    plot_improvement,
    plot_metric_by_dataset,
    plot_ratio_curves,
    plot_reliability,
    plot_validation_test,
    summary_table,
    write_outputs,
    write_report,
)
from sklearn_causalmix.study._tables import main_test, win_loss_table

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def iid_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("iid")
    return write_outputs(study_frame("iid"), out, command="causalmix study --protocol iid",
                         title="Ratio study, iid protocol")


# ------------------------------------------------------------------------- which test
@pytest.mark.parametrize("protocols, suffix", [
    (["iid", "iid"], "in_domain"),
    (["shift", "shift"], "shifted"),
    (["shift", "iid"], "shifted"),  # a mix of protocols: the report of both, as before
    (["", ""], "shifted"),
    (["iid", np.nan], "shifted"),
    ([], "shifted"),
])
def test_main_test_is_the_held_out_fold_only_when_every_run_is_iid(protocols, suffix):
    assert main_test(pd.DataFrame({"protocol": protocols}, dtype=object)).suffix == suffix


def test_main_test_without_a_protocol_column_is_the_shifted_test():
    test = main_test(pd.DataFrame({"dataset": ["a"]}))
    assert test.suffix == "shifted" and test.column("ece_shifted_ts") == "ece_shifted_ts"
    iid = main_test(pd.DataFrame({"protocol": ["iid"]}))
    assert [iid.column(c) for c in ("auc_shifted", "ece_shifted_ts", "normalized_improvement",
                                    "val_test_gap")] == [
        "auc_in_domain", "ece_in_domain_ts", "normalized_improvement_in_domain", "val_test_gap"]


# ----------------------------------------------------------------- the shift report: unchanged
def test_shift_report_is_the_one_written_before(tmp_path):
    files = write_outputs(study_frame("shift"), tmp_path, command="causalmix study --quick",
                          notes=["a note"])
    assert files["report"].read_text() == (HERE / "golden_report_shift.md").read_text()
    assert "validation_test" in files


@pytest.mark.parametrize("protocol", [None, ""])
def test_report_without_a_protocol_is_the_one_written_before(tmp_path, protocol):
    results = study_frame("shift")
    results = (results.drop(columns="protocol") if protocol is None
               else results.assign(protocol=protocol))
    text = write_report(results, tmp_path / "report.md",
                        command="causalmix study --quick").read_text()
    assert text == (HERE / "golden_report_no_protocol.md").read_text()


# ------------------------------------------------------------------- the i.i.d. report
def test_iid_report_is_about_the_held_out_fold(iid_files):
    text = iid_files["report"].read_text()
    assert "- test: the held-out fold of each seed's stratified K-fold split" in text
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert "## Held-out-fold ROC-AUC per dataset (mean over seeds)" in headings
    assert "## Calibration: held-out-fold ECE vs plain fine-tuning" in headings
    assert "## Where synthetic rows help or hurt (held-out-fold ROC-AUC vs plain fine-tuning)" \
        in headings
    assert not [h for h in headings if "shift" in h.lower()]
    # no shifted column, no shifted wording; the in-domain ROC-AUC is not listed twice
    assert "_shifted" not in text and not re.search(r"shifted (ROC-AUC|ECE|test)", text)
    assert "## In-domain ROC-AUC per dataset" not in text
    header = next(line for line in text.splitlines() if line.startswith("| method | ratio"))
    assert header.count("median auc_in_domain") == 1
    assert "`normalized_improvement_in_domain` of the held-out-fold ROC-AUC" in text
    assert "cross-fitted: fitted on one half of the held-out fold" in text


def test_iid_report_has_the_numbers_of_auc_in_domain(iid_files):
    results = study_frame("iid")
    text = iid_files["report"].read_text()
    section = text.split("## Held-out-fold ROC-AUC per dataset")[1].split("\n## ")[0]
    means = results[results["method"] == "finetune"].groupby("dataset")["auc_in_domain"].mean()
    for dataset, mean in means.items():
        assert re.search(rf"\| {dataset} \| [0-9.]+ \| {mean:.3f} \|", section), dataset
    finetune = results.loc[results["method"] == "finetune", "auc_in_domain"].median()
    assert f"| finetune | 0.000 | 10 | {finetune:.3f} |" in text
    effects = text.split("## Paired effects against finetune")[1].split("\n## ")[0]
    assert "| iid | auc_in_domain | causalmix r=0.5 |" in effects
    assert "| iid | ece_in_domain_ts | causalmix r=0.5 |" in effects


def test_iid_figures_draw_the_held_out_fold_and_leave_validation_test_out(iid_files):
    text = iid_files["report"].read_text()
    assert "validation_test" not in iid_files
    assert "is not drawn: under the i.i.d. protocol the held-out fold is the only test" in text
    for key in ("auc_by_dataset", "ece_by_dataset", "aggregate", "improvement", "ratio_curves",
                "forest"):
        assert iid_files[key].read_bytes()[:4] == b"\x89PNG", key
    captions = [line[4:] for line in text.splitlines() if line.startswith("### ")]
    assert "Held-out-fold ROC-AUC against the synthetic ratio, per dataset" in captions
    assert "Δ held-out-fold ROC-AUC vs plain fine-tuning per table (95% interval over seeds)" \
        in captions
    assert not [c for c in captions if "shift" in c.lower()]


def test_tables_take_the_test(tmp_path):
    results = study_frame("iid")
    table = summary_table(results, test="in_domain")
    assert not [c for c in table.columns if "shifted" in c]
    assert list(table.columns[3:5]) == ["median auc_in_domain",
                                        "median Δauc_in_domain vs finetune"]
    row = table[table["method"] == "causalmix"].iloc[0]
    values = results[(results["method"] == "causalmix") & (results["ratio"] == 0.5)]
    assert row["median auc_in_domain"] == pytest.approx(values["auc_in_domain"].median())
    assert row["median gain over zero-shot (%)"] == pytest.approx(
        values["normalized_improvement_in_domain"].median())
    profile = arm_profile_table(results, test="in_domain").set_index("run")
    assert profile.loc["causalmix r=0.5", "ECE after T"] == pytest.approx(
        values["ece_in_domain_ts"].median())
    assert profile.loc["causalmix r=0.5", "gain median"] == pytest.approx(
        values.groupby("dataset")["normalized_improvement_in_domain"].mean().median())
    # the defaults are the shifted test's, NaN for these results
    assert summary_table(results)["median auc_shifted"].isna().all()
    assert arm_profile_table(results)["gain median"].isna().all()
    with pytest.raises(ValueError, match="test must be one of"):
        summary_table(results, test="iid")
    with pytest.raises(ValueError, match="test must be one of"):
        arm_profile_table(results, test="shift")


# ------------------------------------------------------- no difference to draw must not crash
def _without_finetune():
    results = study_frame("shift")
    return results[results["method"] != "finetune"]


@pytest.mark.parametrize("results", [study_frame("iid"), _without_finetune(),
                                     study_frame("shift").iloc[:0]],
                         ids=["all-NaN metric", "no baseline", "no rows"])
def test_tables_and_figures_without_any_paired_difference(results, tmp_path):
    """The shifted columns of i.i.d. runs are NaN: every delta frame is empty (the forest plot's
    t quantile raised a TypeError on its object-dtype ``n``)."""
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # empty legends, all-NaN slices
        for table in (summary_table(results), per_dataset_table(results), win_loss_table(results),
                      paired_effects_table(results, n_resamples=50),
                      paired_effects_table(results, "zero-shot", n_resamples=50),
                      arm_profile_table(results)):
            assert isinstance(table, pd.DataFrame)
        for fig in (plot_metric_by_dataset(results), plot_aggregate(results, n_boot=50),
                    plot_improvement(results), plot_ratio_curves(results, n_resamples=50),
                    plot_forest(results), plot_forest(results, runs=["causalmix r=0.5", "nothere"]),
                    plot_validation_test(results)):
            fig.savefig(tmp_path / "figure.png")
            plt.close(fig)
        files = write_outputs(results, tmp_path / "out")
    assert files["report"].read_text().startswith("# Ratio study")


def test_forest_of_a_metric_without_values_has_no_marker():
    import matplotlib.pyplot as plt

    fig = plot_forest(study_frame("iid"), metric="auc_shifted")
    points = [x for line in fig.axes[0].get_lines() if line.get_marker() in ("o", "D")
              for x in np.atleast_1d(line.get_xdata())]  # the markers (not the line at 0)
    assert points and np.isnan(np.asarray(points, dtype=float)).all()
    plt.close(fig)
    fig = plot_forest(study_frame("iid"), metric="auc_in_domain")
    assert fig.axes[0].get_yticklabels()[0].get_text() == "iid / a"
    plt.close(fig)


def test_reliability_title_names_the_test_of_the_units():
    import matplotlib.pyplot as plt

    rng = np.random.RandomState(0)
    p = rng.uniform(size=100)
    pred = {"y_true": (rng.uniform(size=100) < p).astype(int),
            "proba": np.column_stack([1 - p, p]), "classes": np.array([0, 1])}
    for protocol, words in (("iid", "held-out fold"), ("shift", "shifted test")):
        predictions = {StudyUnit("d", 0, m, r, protocol): pred
                       for m, r in (("finetune", 0.0), ("causalmix", 0.5))}
        fig = plot_reliability(predictions, "d")
        assert fig.axes[0].get_title() == f"Reliability on the {words} of d (seed 0)"
        plt.close(fig)
