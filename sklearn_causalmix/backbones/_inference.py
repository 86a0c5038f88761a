"""In-context prediction with a backbone: ensembles over class and feature permutations."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["in_context_proba", "subsample_context"]


def subsample_context(y_codes: np.ndarray, max_rows: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of at most ``max_rows`` rows, stratified by class (every class keeps at least one row).

    Parameters
    ----------
    y_codes : ndarray of shape (n_samples,)
        Integer class codes.
    max_rows : int
    rng : numpy.random.Generator

    Returns
    -------
    idx : ndarray of int, sorted

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.backbones._inference import subsample_context
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> idx = subsample_context(y, 20, np.random.default_rng(0))
    >>> len(idx), int((y[idx] == 1).sum())
    (20, 2)
    """
    n = len(y_codes)
    if n <= max_rows:
        return np.arange(n)
    classes, counts = np.unique(y_codes, return_counts=True)
    quota = np.maximum(1, np.floor(counts * max_rows / n)).astype(int)
    while quota.sum() > max_rows:
        quota[np.argmax(quota)] -= 1
    order = np.argsort(counts * max_rows / n - quota)[::-1]
    for j in order[: max_rows - quota.sum()]:
        quota[j] += 1
    picked = [rng.choice(np.flatnonzero(y_codes == c), size=q, replace=False) for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picked))


@torch.no_grad()
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
) -> np.ndarray:
    """Class probabilities of ``X_query`` given the labelled context, averaged over an ensemble.

    Member 0 sees the table as it is; every further member sees a random permutation of the class codes and
    of the feature order (undone on its output), which averages out the model's small dependence on them.

    Parameters
    ----------
    model : TabularBackbone
    X_context : ndarray of shape (n_context, n_features)
        Encoded context rows (float, NaN for missing, category codes).
    y_context : ndarray of shape (n_context,)
        Class codes in ``[0, n_classes)``.
    X_query : ndarray of shape (n_query, n_features)
    n_classes : int
    categorical_mask : ndarray of bool, default=None
    n_estimators : int, default=1
    random_state : int, default=0
    device : torch.device, default=None
        The model's device if None.

    Returns
    -------
    proba : ndarray of shape (n_query, n_classes)
    """
    device = model.device if device is None else device
    was_training = model.training
    model.eval()
    rng = np.random.default_rng(random_state)
    n_features = X_context.shape[1]
    mask = np.zeros(n_features, bool) if categorical_mask is None else np.asarray(categorical_mask, bool)
    total = np.zeros((len(X_query), n_classes))
    for member in range(n_estimators):
        class_perm = np.arange(n_classes) if member == 0 else rng.permutation(n_classes)
        feat_perm = np.arange(n_features) if member == 0 else rng.permutation(n_features)
        Xc = torch.as_tensor(X_context[:, feat_perm], dtype=torch.float32, device=device)[None]
        Xq = torch.as_tensor(X_query[:, feat_perm], dtype=torch.float32, device=device)[None]
        yc = torch.as_tensor(class_perm[y_context], dtype=torch.long, device=device)[None]
        cat = torch.as_tensor(mask[feat_perm], device=device)
        logits = model(Xc, yc, Xq, n_classes=n_classes, categorical_mask=cat)[0].float()
        proba = torch.softmax(logits, dim=-1).cpu().numpy()
        total += proba[:, class_perm]  # column class_perm[c] holds original class c
    model.train(was_training)
    return total / n_estimators
