"""The shared floor: what every stage of the package uses, in one private package.

- the table: :class:`TableSchema` (column kinds, levels, ``check`` / ``encode`` / ``decode``, in
  ``_schema``, ``_columns`` and ``_codec``), :func:`largest_remainder` (integer allocations) and
  :func:`spread_values` (observed values spread over their range);
- estimator rules: :func:`keep_state_on_failure` (all-or-nothing ``fit``), :func:`check_2d_table`,
  :class:`TabularClassifierMixin`, and the target checks (:func:`check_target`, :func:`encode_labels`, ...);
- process-wide state, under one guard (``_process``): :func:`spawn_seeds`, :func:`fork_torch_rng`,
  :func:`third_party_state`, and the torch thread policy of the package's calls (``_threads``).

Any stage may import these names from ``sklearn_causalmix._core``; nothing here imports a stage, and torch
is imported only inside the functions that need it.
"""

from sklearn_causalmix._core._allocation import largest_remainder, spread_values
from sklearn_causalmix._core._codec import UnseenLevelWarning
from sklearn_causalmix._core._columns import ColumnSpec
from sklearn_causalmix._core._estimator import (
    TabularClassifierMixin,
    check_2d_table,
    keep_state_on_failure,
    stacklevel_outside_package,
)
from sklearn_causalmix._core._process import (
    fork_torch_rng,
    inside_guard,
    parallel_map,
    spawn_seeds,
    third_party_state,
)
from sklearn_causalmix._core._schema import TableSchema
from sklearn_causalmix._core._targets import (
    TargetInfo,
    check_no_missing_labels,
    check_target,
    codes_of_known_labels,
    encode_labels,
    restore_target,
)
from sklearn_causalmix._core._threads import (
    busy_cores_elsewhere,
    get_thread_policy,
    package_threads,
    resolve_n_threads,
    set_thread_policy,
    thread_policy,
    uses_package_threads,
)

__all__ = [
    "ColumnSpec",
    "TableSchema",
    "TabularClassifierMixin",
    "TargetInfo",
    "UnseenLevelWarning",
    "busy_cores_elsewhere",
    "check_2d_table",
    "check_no_missing_labels",
    "check_target",
    "codes_of_known_labels",
    "encode_labels",
    "fork_torch_rng",
    "get_thread_policy",
    "inside_guard",
    "keep_state_on_failure",
    "largest_remainder",
    "package_threads",
    "parallel_map",
    "resolve_n_threads",
    "restore_target",
    "set_thread_policy",
    "spawn_seeds",
    "spread_values",
    "stacklevel_outside_package",
    "third_party_state",
    "thread_policy",
    "uses_package_threads",
]
