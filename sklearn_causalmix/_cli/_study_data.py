"""``causalmix study --data FILE``: the user's CSV or Parquet table as the Bunch ``ratio_study`` takes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sklearn_causalmix._cli._study_options import BadArguments

__all__ = ["read_user_table"]


def _read_frame(path):
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise BadArguments(f"--data {str(path)!r} is not a file; give a .csv or .parquet table.")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise BadArguments(f"--data {str(path)!r}: read .csv and .parquet files; save the table as "
                           "one of them.")
    try:
        return pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except ImportError as exc:
        raise BadArguments(f"--data {str(path)!r}: reading Parquet needs pyarrow ({exc}); pip "
                           "install pyarrow, or save the table as CSV.") from None
    except (ValueError, OSError) as exc:
        raise BadArguments(f"--data {str(path)!r} could not be read ({exc}).") from None


def _column(frame, name, option):
    if name not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:20]))
        raise BadArguments(f"{option} {name!r} is not a column of the --data table; its columns "
                           f"are: {shown}{', ...' if frame.shape[1] > 20 else ''}.")


def _domain(frame, domain, source):
    """0 for the rows whose ``domain`` is ``source`` (compared as text), 1 for the others."""
    values = frame[domain].astype(str)
    is_source = (values == str(source)).to_numpy()
    if not is_source.any():
        levels = ", ".join(sorted(values.unique())[:20])
        raise BadArguments(f"--source {source!r} is not a value of --domain {domain!r}; its values "
                           f"are: {levels}.")
    if is_source.all():
        raise BadArguments(f"every row has --domain {domain!r} == {source!r}; the shift protocol "
                           "needs target-domain rows too (or leave out --domain for the i.i.d. "
                           "protocol).")
    return np.where(is_source, 0, 1)


def read_user_table(path, target, domain=None, source=None, *, keep_domain=False):
    """The Bunch of ``--data``: ``X``, ``y``, ``name`` (the file's stem) and, with ``--domain``,
    ``domain`` (0 for the ``--source`` rows, 1 for all other rows) and ``domain_name``; the
    ``--domain`` column is a feature of ``X`` only with ``keep_domain`` (``--keep-domain``).

    Rows with a missing label (or a missing domain) are dropped; ``n_dropped`` counts them.

    Raises
    ------
    BadArguments
        Naming the option and the fix.
    """
    from sklearn.utils import Bunch

    if (domain is None) != (source is None):
        raise BadArguments("--domain COL and --source VALUE go together: the column that splits "
                           "the rows into domains, and its value of the source domain.")
    frame = _read_frame(path)
    _column(frame, target, "--target")
    needed = [target] if domain is None else [target, domain]
    if domain is not None:
        _column(frame, domain, "--domain")
        if domain == target:
            raise BadArguments("--domain must be another column than --target.")
    kept = frame.dropna(subset=needed).reset_index(drop=True)
    bunch = Bunch(X=kept.drop(columns=[target] if keep_domain else needed),
                  y=kept[target].to_numpy(), name=Path(path).stem,
                  n_dropped=len(frame) - len(kept))
    if kept[target].nunique() < 2:
        raise BadArguments(f"--target {target!r} has fewer than two classes in the --data table.")
    if domain is not None:
        bunch.domain = _domain(kept, domain, source)
        bunch.domain_name = domain
    return bunch
