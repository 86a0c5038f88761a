"""In-context prediction with a backbone: an ensemble over class and feature permutations, run as one batch.

An :class:`InContextEnsemble` holds one labelled context and the ensemble's permutations. Member 0 sees the
table as it is; every further member sees a random permutation of the class codes and of the feature order
(undone on its output). With ``cache=True`` the context is encoded once for all members — batches of members
run as independent tasks, each with its own categorical mask (all members in one batch on an accelerator; on
the CPU small batches, which measured faster for large contexts) — and every prediction only runs its query rows
against that encoding, in chunks whose size never changes the numbers: every chunk is a whole number of blocks of
``_QUERY_BLOCK`` rows (the last one padded by repeating a row), because float32 matrix kernels choose their
blocking by the number of rows, so a row's probabilities would otherwise move by a few ulps between a one-row and
a twenty-row call (what ``check_methods_subset_invariance`` compares at 1e-7). With ``cache=False`` nothing is kept
between calls and the members run one after another (the least memory; the path used before the cache).

Out-of-memory errors on an accelerator (CUDA or Apple MPS) while predicting halve the query chunk and retry.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import torch

from sklearn_causalmix.backbones._members import ensemble_permutations, member_subsamples, subsample_context
from sklearn_causalmix.backbones._memory import free_accelerator_memory, is_out_of_memory

__all__ = [
    "InContextEnsemble",
    "ensemble_permutations",
    "free_accelerator_memory",
    "in_context_proba",
    "is_out_of_memory",
    "subsample_context",
]

#: Query cells (rows x features x tasks) per forward chunk by default: bounds the activations of one chunk
#: (about 2**17 tokens of width d) whatever the table's width and the ensemble's size.
_QUERY_CELLS = 2**17

#: Query rows are run in whole blocks of this many; with them a row's logits are bitwise the same whichever
#: other rows, and how many, are predicted with it (8-row blocks were not, on this CPU's kernels).
_QUERY_BLOCK = 16

#: On the CPU, context cells (rows x features) per encoding batch of ensemble members. Measured on one core
#: with the embedded model (benchmarks/results/inference.md): encoding 800 rows x 20 features costs 1.27 s per
#: member one at a time but 1.92 s per member four at a time (the batch's activations no longer fit the CPU
#: caches), while small contexts gain a little from batching. Accelerators encode all members in one batch.
_CPU_ENCODE_CELLS = 2**13


def _precision_context(device: torch.device, precision: str):
    if precision == "float32":
        return contextlib.nullcontext()
    if precision == "bfloat16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    raise ValueError(f"precision must be 'float32' or 'bfloat16', got {precision!r}.")


class InContextEnsemble:
    """A labelled context prepared for a backbone's ensemble of class and feature permutations.

    Parameters
    ----------
    model : TabularBackbone
        Used in eval mode (its mode is restored after every call).
    X_context : ndarray of shape (n_context, n_features)
        Encoded context rows (float, NaN for missing, category codes).
    y_context : ndarray of shape (n_context,)
        Class codes in ``[0, n_classes)``.
    n_classes : int
    categorical_mask : ndarray of bool of shape (n_features,), default=None
    n_estimators : int, default=1
    random_state : int, default=0
        Seeds the permutations.
    cache : bool, default=True
        Encode the context once, all members in one batch, and keep it until :meth:`clear` (call
        :meth:`encode`, or let the first prediction do it). False: keep nothing; every prediction runs the
        members one after another, each encoding the context anew (the least memory).
    device : torch.device, default=None
        The model's device if None.
    precision : {"float32", "bfloat16"}, default="float32"
        ``"bfloat16"`` runs the backbone under autocast (accelerators).
    query_chunk : int, default=None
        Query rows per forward call, rounded up to a multiple of 16; None bounds a chunk to about 131,072 cells
        (rows x features x members). Halved after an out-of-memory error. The numbers do not depend on it.
    member_batch : int, default=None
        Members encoded and predicted together (``cache=True``). None: all of them on an accelerator; on the
        CPU as many as keep a batch within 8,192 context cells (rows x features), at least one. The numbers
        do not depend on it.
    max_member_rows : int, default=None
        Largest context of one member. With more context rows, every member draws its own stratified
        subsample of this many (seeded by ``random_state``), so that the ensemble sees more of a large table
        than one member can (bagging the context). None: every member gets all context rows.

    Attributes
    ----------
    class_perms, feature_perms : ndarray
        See ``ensemble_permutations`` (a private helper of this module).
    member_rows : ndarray of shape (n_estimators, n_member_rows) or None
        The context rows of each member (``max_member_rows`` smaller than the context), else None.
    member_groups : list of ndarray
        The members of each batch.
    encoded : list of EncodedContext or None
        The encoded context of each batch of members (``cache=True``, once encoded).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.backbones import get_backbone
    >>> from sklearn_causalmix.backbones._inference import InContextEnsemble
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(60, 3)), rng.integers(0, 2, 60)
    >>> ens = InContextEnsemble(get_backbone(), X, y, n_classes=2, n_estimators=2).encode()
    >>> ens.predict_proba(X[:5]).shape, ens.nbytes() > 0
    ((5, 2), True)
    """

    def __init__(
        self,
        model,
        X_context,
        y_context,
        *,
        n_classes,
        categorical_mask=None,
        n_estimators=1,
        random_state=0,
        cache=True,
        device=None,
        precision="float32",
        query_chunk=None,
        member_batch=None,
        max_member_rows=None,
    ):
        self.model = model
        self.X_context = np.asarray(X_context, dtype=np.float32)
        self.y_context = np.asarray(y_context, dtype=np.int64)
        self.n_classes = int(n_classes)
        n_features = self.X_context.shape[1]
        self.categorical_mask = (
            np.zeros(n_features, bool) if categorical_mask is None else np.asarray(categorical_mask, bool)
        )
        self.cache = bool(cache)
        self.device = model.device if device is None else torch.device(device)
        self.precision = precision
        self.class_perms, self.feature_perms = ensemble_permutations(
            n_estimators, self.n_classes, n_features, random_state
        )
        self.member_rows = member_subsamples(self.y_context, n_estimators, max_member_rows, random_state)
        if member_batch is None:
            cells = max(1, self.n_member_rows * n_features)
            member_batch = n_estimators if self.device.type != "cpu" else max(1, _CPU_ENCODE_CELLS // cells)
        n_tasks = max(1, min(n_estimators, int(member_batch))) if self.cache else 1
        self.member_groups = [np.arange(i, min(i + n_tasks, n_estimators)) for i in range(0, n_estimators, n_tasks)]
        self.query_chunk = _whole_blocks(query_chunk or _QUERY_CELLS // (n_tasks * max(1, n_features)))
        self.encoded = None

    @property
    def n_estimators(self) -> int:
        """Number of ensemble members."""
        return len(self.class_perms)

    @property
    def n_member_rows(self) -> int:
        """Context rows of one member."""
        return len(self.y_context) if self.member_rows is None else self.member_rows.shape[1]

    # ------------------------------------------------------------------------------------------ tensors
    def _members(self, members):
        """Context tensors of the given members, stacked: ``(X, y, mask)`` of shapes (b, n, F), (b, n), (b, F)."""
        perms = self.feature_perms[members]
        if self.member_rows is None:
            X = np.ascontiguousarray(self.X_context[:, perms].transpose(1, 0, 2))
            y = self.class_perms[members][:, self.y_context]
        else:
            rows = self.member_rows[members]
            X = self.X_context[rows[:, :, None], perms[:, None, :]]
            y = np.take_along_axis(self.class_perms[members], self.y_context[rows], axis=1)
        mask = torch.as_tensor(self.categorical_mask[perms], device=self.device)
        return torch.as_tensor(X, device=self.device), torch.as_tensor(y, device=self.device), mask

    def _queries(self, X_query, members):
        pad = -len(X_query) % _QUERY_BLOCK  # rows repeated to fill the last block, their logits dropped
        X_query = np.concatenate([X_query, np.repeat(X_query[:1], pad, axis=0)]) if pad else X_query
        Xq = np.ascontiguousarray(X_query[:, self.feature_perms[members]].transpose(1, 0, 2))
        return torch.as_tensor(Xq, device=self.device)

    def _unpermute(self, logits, members) -> np.ndarray:
        """Softmax per member, columns back to the original class codes, summed over the members."""
        proba = torch.softmax(logits.float(), dim=-1)
        index = torch.as_tensor(self.class_perms[members], device=proba.device)  # column perm[c] is class c
        proba = torch.gather(proba, 2, index[:, None, :].expand(-1, proba.shape[1], -1))
        return proba.cpu().double().sum(dim=0).numpy()  # float64 sum: the same whatever the member batches

    @contextlib.contextmanager
    def _eval(self):
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad(), _precision_context(self.device, self.precision):
                yield
        finally:
            self.model.train(was_training)

    # ---------------------------------------------------------------------------------------------- API
    def encode(self) -> InContextEnsemble:
        """Encode the context of all members, batch by batch (``cache=True``; a no-op once encoded).

        Returns
        -------
        self : InContextEnsemble
        """
        if self.cache and self.encoded is None:
            encoded = []
            with self._eval():
                for members in self.member_groups:
                    X, y, mask = self._members(members)
                    encoded.append(
                        self.model.encode_context(X, y, n_classes=self.n_classes, categorical_mask=mask)
                    )
            self.encoded = encoded
        return self

    def estimate_nbytes(self, probe_rows: int = 64) -> int:
        """Bytes the encoded context of all members would hold, estimated without building it.

        Encodes member 0 on its first ``probe_rows`` context rows and scales linearly to the whole context
        and every member (an upper bound for backbones whose cache has a part that does not grow with rows).

        Parameters
        ----------
        probe_rows : int, default=64

        Returns
        -------
        nbytes : int
        """
        n = self.n_member_rows
        rows = min(n, probe_rows)
        X, y, mask = self._members(np.array([0]))
        with self._eval():
            probe = self.model.encode_context(X[:, :rows], y[:, :rows], n_classes=self.n_classes, categorical_mask=mask)
        return int(np.ceil(probe.nbytes() * n / rows)) * self.n_estimators

    def clear(self) -> None:
        """Drop the encoded context (it is rebuilt by the next prediction)."""
        self.encoded = None

    def nbytes(self) -> int:
        """Bytes held by the encoded context (0 when nothing is cached).

        Returns
        -------
        nbytes : int
        """
        return 0 if self.encoded is None else int(sum(e.nbytes() for e in self.encoded))

    def predict_proba(self, X_query) -> np.ndarray:
        """Class probabilities of ``X_query``, averaged over the members.

        Parameters
        ----------
        X_query : ndarray of shape (n_query, n_features)

        Returns
        -------
        proba : ndarray of shape (n_query, n_classes)
        """
        X_query = np.asarray(X_query, dtype=np.float32)
        total = np.zeros((len(X_query), self.n_classes))
        if len(X_query) == 0:
            return total
        if self.cache:
            self.encode()
            groups = list(zip(self.member_groups, self.encoded))
        else:
            groups = [(np.array([b]), None) for b in range(self.n_estimators)]
        warned = False
        with self._eval():
            for members, encoded in groups:
                if encoded is None:
                    X, y, mask = self._members(members)
                    encoded = self.model.encode_context(X, y, n_classes=self.n_classes, categorical_mask=mask)
                start = 0
                while start < len(X_query):
                    stop = min(len(X_query), start + self.query_chunk)
                    try:
                        logits = self.model.predict_queries(encoded, self._queries(X_query[start:stop], members))
                        logits = logits[:, : stop - start]
                    except (RuntimeError, MemoryError) as exc:
                        if not is_out_of_memory(exc):
                            raise
                        self._shrink_chunk(stop - start, warn=not warned)
                        warned = True
                        continue
                    total[start:stop] += self._unpermute(logits, members)
                    start = stop
                del encoded
        return total / self.n_estimators

    def _shrink_chunk(self, failed: int, warn: bool) -> None:
        free_accelerator_memory(self.device)
        if failed <= _QUERY_BLOCK:
            raise MemoryError(
                f"Predicting even {_QUERY_BLOCK} query rows runs out of memory on {self.device} (context of "
                f"{len(self.y_context)} rows x {self.n_estimators} ensemble member(s)); use fit_mode='low_memory', "
                "a smaller max_context_rows or n_estimators, or device='cpu'."
            ) from None
        self.query_chunk = _whole_blocks(failed // 2)
        if warn:
            warnings.warn(
                f"Out of memory on {self.device} predicting {failed} query rows at once; retrying in smaller "
                "chunks, halved until they fit (the predictions do not change).",
                RuntimeWarning,
                stacklevel=3,
            )


def _whole_blocks(rows: int) -> int:
    """``rows`` rounded up to a whole number of query blocks (at least one)."""
    return max(1, -(-int(rows) // _QUERY_BLOCK)) * _QUERY_BLOCK


def in_context_proba(
    model,
    X_context: np.ndarray,
    y_context: np.ndarray,
    X_query: np.ndarray,
    *,
    n_classes: int,
    categorical_mask: np.ndarray | None = None,
    n_estimators: int = 1,
    random_state: int = 0,
    device=None,
    cache: bool = True,
    precision: str = "float32",
) -> np.ndarray:
    """Class probabilities of ``X_query`` given the labelled context, averaged over an ensemble.

    A one-off :class:`InContextEnsemble` (see there for the parameters): with ``cache=True`` the context is
    encoded once for all members together, then the queries are predicted in chunks against it.

    Parameters
    ----------
    model : TabularBackbone
    X_context : ndarray of shape (n_context, n_features)
    y_context : ndarray of shape (n_context,)
    X_query : ndarray of shape (n_query, n_features)
    n_classes : int
    categorical_mask : ndarray of bool, default=None
    n_estimators : int, default=1
    random_state : int, default=0
    device : torch.device, default=None
    cache : bool, default=True
    precision : {"float32", "bfloat16"}, default="float32"

    Returns
    -------
    proba : ndarray of shape (n_query, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.backbones import get_backbone
    >>> from sklearn_causalmix.backbones._inference import in_context_proba
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(60, 3)), rng.integers(0, 2, 60)
    >>> in_context_proba(get_backbone(), X, y, X[:4], n_classes=2).shape
    (4, 2)
    """
    ensemble = InContextEnsemble(
        model, X_context, y_context, n_classes=n_classes, categorical_mask=categorical_mask,
        n_estimators=n_estimators, random_state=random_state, cache=cache, device=device, precision=precision,
    )
    return ensemble.predict_proba(X_query)
