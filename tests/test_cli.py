"""Tests of the ``causalmix`` command line: ``datasets`` and ``study`` (exit codes, files)."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sklearn_causalmix._cli import main
from sklearn_causalmix.datasets import list_shifted_datasets


def test_help_exits_zero(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "pretrain" in out and "study" in out and "datasets" in out
    assert main(["study", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--quick", "--output", "--datasets", "--ratios", "--seeds", "--n-train",
                   "--device", "--n-jobs", "--max-steps", "--methods", "exit status"):
        assert option in out, option


@pytest.mark.parametrize("world_size, teardown", [("1", True), ("2", False)])
def test_the_command_skips_the_interpreter_teardown_only_in_a_data_parallel_rank(world_size, teardown):
    """A torchrun rank exits with ``os._exit`` (gloo's threads can abort the teardown): atexit handlers do not
    run there, the exit status and the flushed output are kept."""
    code = ("import atexit, sys; atexit.register(lambda: print('teardown ran'));"
            "from sklearn_causalmix._cli import run; sys.argv = ['causalmix', 'study', '--no-such-flag']; run()")
    env = {**os.environ, "WORLD_SIZE": world_size}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 2
    assert "required: --output" in done.stderr
    assert ("teardown ran" in done.stdout) is teardown


def test_datasets_lists_every_table(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in list_shifted_datasets()["name"]:
        assert name in out
    assert "tables; data packages not installed" in out


def test_datasets_lists_the_iid_tables(capsys):
    from sklearn_causalmix.datasets import list_iid_datasets

    assert main(["datasets", "--iid"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in list_iid_datasets()["name"])
    assert "15 tables" in out and "suite" in out


def test_datasets_csv(capsys):
    import io

    assert main(["datasets", "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert table["name"].tolist() == list_shifted_datasets()["name"].tolist()


@pytest.mark.parametrize("argv, message", [
    (["--datasets", "no_such_table"],
     "unknown dataset(s) ['no_such_table']. Valid names: credit_data"),
    (["--ratios", "0", "1.5"], "--ratios must lie in [0, 1]; got [1.5]"),
    (["--ratios", "half"], "--ratios: 'half' is not a valid float"),
    (["--methods", "magic"], "unknown method(s) ['magic']. Valid methods: zero-shot"),
    (["--seeds", "-1"], "--seeds must be non-negative integers"),
    (["--n-train", "2"], "--n-train must be at least 8"),
    (["--max-steps", "-1"], "--max-steps must be >= 0"),
    (["--n-jobs", "0"], "--n-jobs must not be 0"),
    (["--n-jobs", "2", "--scheduler", "local:2"], "give one of them"),
    (["--methods", "finetune", "noise", "--method-ratios", "noise"], "--method-ratios takes NAME=R[,R...]"),
    (["--methods", "finetune", "noise", "--method-ratios", "noise=2"], "--method-ratios noise must lie in [0, 1]"),
    (["--methods", "finetune", "noise", "--method-ratios", "smote=0.5"],
     "--method-ratios names ['smote'], which are not among the chosen methods with a ratio grid: noise"),
])
def test_bad_study_arguments_exit_2_with_a_message(tmp_path, capsys, argv, message):
    assert main(["study", "--output", str(tmp_path / "out"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_bad_scheduler_exits_2_with_a_message(tmp_path, capsys):
    argv = ["study", "--output", str(tmp_path / "out"), "--quick", "--datasets", "anes96",
            "--methods", "logreg", "--scheduler", "local:0", "--quiet"]
    assert main(argv) == 2
    assert "'local:N' with N >= 1" in capsys.readouterr().err


def test_missing_output_is_an_argparse_error(capsys):
    assert main(["study", "--quick"]) == 2
    assert "--output" in capsys.readouterr().err


def test_unknown_subcommand_exit_2(capsys):
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_study_writes_results_report_and_figures(tmp_path, capsys):
    out = tmp_path / "study"
    argv = ["study", "--quick", "--output", str(out), "--datasets", "anes96,seattle_weather",
            "--methods", "logreg", "hgb", "--quiet"]
    assert main(argv) == 0
    results = pd.read_csv(out / "results.csv")
    assert results[["dataset", "method"]].values.tolist() == [
        ["anes96", "logreg"], ["anes96", "hgb"], ["seattle_weather", "logreg"],
        ["seattle_weather", "hgb"]]
    assert (results["n_train"] == 128).all() and results["n_test_shifted"].le(500).all()
    report = (out / "report.md").read_text()
    assert "# Ratio study (--quick)" in report and "causalmix study --quick" in report
    for figure in ("auc_by_dataset", "ece_by_dataset", "aggregate", "improvement"):
        png = out / f"{figure}.png"
        assert png.stat().st_size > 1000 and png.read_bytes()[:4] == b"\x89PNG"
        assert f"({figure}.png)" in report
    assert "wrote" in capsys.readouterr().out
    # Running it again reads every run from the cache.
    assert main(argv) == 0
    assert "4 from the cache" in capsys.readouterr().out


def test_console_script_entry_point(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sklearn_causalmix._cli", "datasets"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "penguins" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "sklearn_causalmix._cli", "study", "-o",
                           str(tmp_path), "--datasets", "nope"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "Valid names" in proc.stderr


def test_study_with_the_fine_tuned_model(tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "tiny"
    argv = ["study", "--quick", "--output", str(out), "--datasets", "penguins", "--methods",
            "zero-shot", "finetune", "--max-steps", "2", "--eval-every", "1", "--episode-size",
            "16", "--n-train", "32", "--max-test", "40", "--device", "cpu", "--quiet"]
    assert main(argv) == 0
    results = pd.read_csv(out / "results.csv")
    assert results["method"].tolist() == ["zero-shot", "finetune"]
    assert results["n_evaluations"].tolist() == [0, 3]  # steps 0, 1, 2 with the monitor set
    assert results["auc_shifted"].between(0, 1).all()
    report = (out / "report.md").read_text()
    assert "episode_size=16" in report and "embedded weights sha256" in report


def test_study_reports_weights_that_changed_during_the_run(tmp_path, monkeypatch):
    from sklearn_causalmix.study import _weights

    readings = iter(["sha-before", "sha-after"])
    monkeypatch.setattr(_weights, "weights_fingerprint", lambda model: next(readings))
    out = tmp_path / "study"
    assert main(["study", "--quick", "--output", str(out), "--datasets", "anes96", "--methods",
                 "logreg", "--quiet"]) == 0
    report = (out / "report.md").read_text()
    assert ("- WARNING: the model's weights changed while the study ran "
            "(sha256 sha-before -> sha-after)") in report


def test_the_command_line_uses_only_the_public_face_of_the_study():
    from pathlib import Path

    import sklearn_causalmix._cli as cli

    for path in Path(cli.__file__).parent.glob("*.py"):
        assert "sklearn_causalmix.study._" not in path.read_text(), path.name


def test_baseline_ratios_set_the_grid_of_the_augmenters_and_controls_not_causalmix():
    from sklearn_causalmix._cli._study_options import method_ratios

    methods = ["finetune", "causalmix", "causalmix-cv", "noise", "random-graph", "independence",
               "causalmix-query", "causalmix-do", "rf"]
    ratios = method_ratios({"methods": methods, "baseline_ratios": [0.5], "cv_ratios": [0, 1]})
    assert ratios == {"noise": [0.5], "random-graph": [0.5], "independence": [0.5],
                      "causalmix-query": [0.5], "causalmix-do": [0.5], "causalmix-cv": [0, 1]}
    assert method_ratios({"methods": methods, "baseline_ratios": None, "cv_ratios": None}) == {}
    # --method-ratios names a method's own grid, over --baseline-ratios
    ratios = method_ratios({"methods": methods, "baseline_ratios": [0.5], "cv_ratios": None,
                            "method_grids": {"random-graph": [0.5, 1.0]}})
    assert ratios["random-graph"] == [0.5, 1.0] and ratios["independence"] == [0.5]


# ------------------------------------------------------------------ protocols and --data
def _user_csv(tmp_path, n=240, rare=False):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=n), "colour": rng.choice(["red", "blue"], size=n),
                          "site": rng.choice(["north", "south"], size=n, p=[0.6, 0.4])})
    frame["label"] = np.where(frame["x"] + rng.normal(scale=0.7, size=n) > 0, "sick", "well")
    if rare:
        frame.loc[0, "label"] = "other"  # a class with one row
    path = tmp_path / "mine.csv"
    frame.to_csv(path, index=False)
    return path


def test_study_on_the_users_csv_without_domain_runs_the_iid_protocol(tmp_path):
    out = tmp_path / "out"
    argv = ["study", "--data", str(_user_csv(tmp_path, rare=True)), "--target", "label",
            "--output", str(out), "--methods", "logreg", "hgb", "--seeds", "0", "1", "--quiet"]
    assert main(argv) == 0
    results = pd.read_csv(out / "results.csv", keep_default_na=False, na_values=[""])
    assert (results["dataset"] == "mine").all() and (results["protocol"] == "iid").all()
    assert results["auc_shifted"].isna().all() and results["auc_in_domain"].between(0, 1).all()
    # the one 'other' row trains in this fold: left out with a note, not a failed run
    assert (results["error"].isna()).all()
    assert results["note"].str.contains("left out class").any()
    report = (out / "report.md").read_text()
    assert "iid protocol" in report and "## Held-out-fold ROC-AUC per dataset" in report


def test_study_on_the_users_table_with_a_domain_runs_the_shift_protocol(tmp_path):
    out = tmp_path / "out"
    argv = ["study", "--data", str(_user_csv(tmp_path)), "--target", "label", "--domain", "site",
            "--source", "north", "--output", str(out), "--methods", "logreg", "--seeds", "0",
            "--quiet"]
    assert main(argv) == 0
    results = pd.read_csv(out / "results.csv")
    assert results["protocol"].tolist() == ["shift"] and results["auc_shifted"].notna().all()


def test_keep_domain_makes_the_domain_column_a_feature_that_causalmix_do_intervenes_on(tmp_path):
    common = ["--methods", "causalmix-do", "--ratios", "0.5", "--seeds", "0", "--n-train", "64",
              "--max-steps", "2", "--augmenter-preset", "fast", "--quiet"]
    # penguins: the source domain is the years 2007-2008, so do(year := ...) has two values
    assert main(["study", "--datasets", "penguins", *common,
                 "--output", str(tmp_path / "drop")]) == 0
    dropped = pd.read_csv(tmp_path / "drop" / "results.csv")
    assert dropped["auc_shifted"].isna().all()
    assert dropped["note"].str.contains("'year', which is not a column of X").all()
    assert main(["study", "--datasets", "penguins", *common, "--keep-domain",
                 "--output", str(tmp_path / "keep")]) == 0
    kept = pd.read_csv(tmp_path / "keep" / "results.csv")
    assert kept["auc_shifted"].notna().all() and (kept["n_synthetic"] > 0).all()
    report = (tmp_path / "keep" / "report.md").read_text()
    assert "domains is a feature of X (--keep-domain)" in report
    # a user's table: the source domain is one value of --domain, nothing to intervene on
    assert main(["study", "--data", str(_user_csv(tmp_path)), "--target", "label", "--domain",
                 "site", "--source", "north", *common, "--keep-domain",
                 "--output", str(tmp_path / "user")]) == 0
    user = pd.read_csv(tmp_path / "user" / "results.csv")
    assert user["error"].isna().all() and user["auc_shifted"].isna().all()
    assert user["note"].str.contains(r"\['site'\] take one value in the training rows").all()


def test_both_protocols_write_one_report_each(tmp_path):
    out = tmp_path / "out"
    argv = ["study", "--quick", "--protocol", "both", "--datasets", "anes96", "wells",
            "--methods", "logreg", "--output", str(out), "--quiet"]
    assert main(argv) == 0
    results = pd.read_csv(out / "results.csv")
    assert results[["dataset", "protocol"]].values.tolist() == [
        ["anes96", "shift"], ["anes96", "iid"], ["wells", "iid"]]
    assert (out / "shift" / "report.md").exists() and (out / "iid" / "report.md").exists()
    assert len(pd.read_csv(out / "iid" / "results.csv")) == 2
    # each report is about its protocol's test: the shifted test, the held-out fold
    shift, iid = ((out / p / "report.md").read_text() for p in ("shift", "iid"))
    assert "## Shifted-test ROC-AUC per dataset" in shift and "held-out fold" not in shift
    assert "## Held-out-fold ROC-AUC per dataset" in iid and "auc_shifted" not in iid


@pytest.mark.parametrize("argv, message", [
    (["--datasets", "wells"], "have no domains, which --protocol shift needs"),
    (["--target", "label"], "give --data FILE too"),
    (["--data", "DATA", "--target", "nope"], "--target 'nope' is not a column"),
    (["--data", "DATA"], "--data needs --target COL"),
    (["--data", "DATA", "--target", "label", "--domain", "site"], "go together"),
    (["--data", "DATA", "--target", "label", "--domain", "site", "--source", "east"],
     "--source 'east' is not a value of --domain 'site'; its values are: north, south"),
    (["--data", "DATA", "--target", "label", "--protocol", "shift"], "needs --domain COL"),
    (["--data", "DATA", "--target", "label", "--datasets", "penguins"], "exclude each other"),
    (["--data", "missing.csv", "--target", "label"], "is not a file"),
    (["--n-folds", "1"], "--n-folds must be at least 2"),
    (["--data", "DATA", "--target", "label", "--keep-domain"], "give --domain COL"),
    (["--datasets", "penguins", "--protocol", "iid", "--keep-domain"], "has no domains"),
])
def test_bad_protocol_and_data_arguments_exit_2(tmp_path, capsys, argv, message):
    data = str(_user_csv(tmp_path))
    argv = [data if a == "DATA" else str(tmp_path / a) if a == "missing.csv" else a for a in argv]
    assert main(["study", "--output", str(tmp_path / "out"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
