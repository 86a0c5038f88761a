"""The weights file behind the study's model: its fingerprint, and whether it changed in a run."""

from __future__ import annotations

import functools
import json
import logging
import os

__all__ = ["WeightsWatch", "feature_subset_width", "weights_fingerprint"]

logger = logging.getLogger("sklearn_causalmix.study")


def weights_fingerprint(model):
    """sha256 of the weights file ``model`` uses (else None).

    The embedded pretrained weights for ``backbone="default"``; for a backbone spec with a
    ``weights`` parameter naming a file (e.g. ``TabICLBackbone(weights="tabicl.ckpt")``) the
    file's content. Part of the cache key, so that runs made with other weights are never read
    back, also when a checkpoint is overwritten at the same path. None otherwise (then the
    backbone's parameters alone key the runs), and None for ``model=None``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_causalmix.study._weights import weights_fingerprint
    >>> weights_fingerprint(LogisticRegression()) is None
    True
    """
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    backbone = params.get("backbone")
    if isinstance(backbone, str):
        if backbone != "default":
            return None
        try:
            from sklearn_causalmix.backbones import EMBEDDED_WEIGHTS

            with open(EMBEDDED_WEIGHTS) as fh:
                return json.load(fh).get("sha256")
        except (ImportError, OSError, ValueError):
            return None
    weights = backbone.get_params(deep=False).get("weights") if hasattr(
        backbone, "get_params") else None
    if not isinstance(weights, (str, os.PathLike)):
        return None
    path = os.path.abspath(os.path.expanduser(os.fspath(weights)))
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _file_digest(path, stat.st_mtime_ns, stat.st_size)


def feature_subset_width(model):
    """The widest feature subset one pass of ``model``'s backbone reads (``feature_subset_size`` resolved), or None.

    None where the model has no such parameter, for ``feature_subset_size=None`` (only the backbone's limit
    splits) and for backbones that read every column at once. ``"auto"`` is resolved by loading the backbone
    (once per backbone).

    Examples
    --------
    >>> from sklearn_causalmix import CausalMixFTClassifier
    >>> from sklearn_causalmix.study._weights import feature_subset_width
    >>> feature_subset_width(CausalMixFTClassifier()), feature_subset_width(CausalMixFTClassifier(feature_subset_size=8))
    (24, 8)
    """
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    size = params.get("feature_subset_size")
    if size == "auto":
        try:
            return _pretrained_width(params.get("backbone", "default"))
        except TypeError:  # an unhashable backbone spec: load it each time
            return _pretrained_width.__wrapped__(params.get("backbone", "default"))
    return size


@functools.lru_cache(maxsize=16)
def _pretrained_width(backbone):
    from sklearn_causalmix.backbones import get_backbone

    return get_backbone(backbone).use_feature_subsets("auto")


@functools.lru_cache(maxsize=16)
def _file_digest(path, mtime_ns, size):
    """sha256 of a file, computed once per (path, modification time, size)."""
    from sklearn_causalmix.backbones import file_sha256

    return file_sha256(path)


class WeightsWatch:
    """The fingerprint of a model's weights file at the start of a study, checked at its end.

    A checkpoint overwritten while a study runs leaves runs made with two sets of weights in one
    result frame (each unit's cache key names the weights it saw, but the frame mixes them).

    Parameters
    ----------
    model : estimator or None
        The study's model (None: nothing to watch).

    Attributes
    ----------
    sha256 : str or None
        :func:`weights_fingerprint` of ``model`` when the watch was made.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_causalmix.study._weights import WeightsWatch
    >>> watch = WeightsWatch(LogisticRegression())
    >>> watch.sha256 is None, watch.changes()
    (True, [])
    """

    def __init__(self, model):
        self.model = model
        self.sha256 = weights_fingerprint(model)

    def changes(self):
        """Messages (none or one) saying that the weights file changed since the watch began.

        Each message is also logged as a warning of the ``sklearn_causalmix.study`` logger.

        Returns
        -------
        messages : list of str
        """
        after = weights_fingerprint(self.model)
        if after == self.sha256:
            return []
        message = (f"the model's weights changed while the study ran (sha256 {self.sha256} -> "
                   f"{after}); runs made before and after the change are mixed: run the study "
                   "again")
        logger.warning("%s", message)
        return [message]
