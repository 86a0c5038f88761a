"""Adapter checkpoints: finding one (a path, an environment variable, or an allowed download) and reading it.

The loaders of the third-party networks (:func:`~sklearn_causalmix.backbones.load_tabicl_backbone`,
:func:`~sklearn_causalmix.backbones.load_tabpfn_v2_backbone`) share this skeleton and differ only in how they
download, read and build: :func:`load_checkpoint` returns the checked checkpoint, and every error says what
went wrong and how to get weights that work.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

__all__ = ["how_to_get_weights", "load_checkpoint", "resolve_weights_path"]


def how_to_get_weights(download: str, *, spec: str, example: str, env_var: str) -> str:
    """The sentence that tells a user the three ways to give an adapter its weights.

    Parameters
    ----------
    download : str
        Where to download the weights by hand (the start of the sentence).
    spec : str
        Name of the backbone spec class.
    example : str
        Example path of a local checkpoint.
    env_var : str
        Environment variable read when no path is given.

    Returns
    -------
    sentence : str

    Examples
    --------
    >>> from sklearn_causalmix.backbones.adapters._checkpoint import how_to_get_weights
    >>> print(how_to_get_weights("Download it from https://example.org", spec="XBackbone", example="x.ckpt",
    ...                          env_var="X_WEIGHTS"))
    Download it from https://example.org and pass XBackbone(weights='x.ckpt'), or set the environment
    variable X_WEIGHTS to its path, or allow the official download with XBackbone(allow_download=True).
    """
    return (
        f"{download} and pass {spec}(weights='{example}'), or set the environment variable {env_var} to its "
        f"path, or allow the official download with {spec}(allow_download=True)."
    )


def resolve_weights_path(weights, *, env_var: str, name: str, how_to_get: str) -> Path | None:
    """The checkpoint path from ``weights`` or the environment variable ``env_var``; None if neither.

    Parameters
    ----------
    weights : str, Path or None
    env_var : str
        Environment variable read when ``weights`` is None.
    name : str
        Backbone name for error messages.
    how_to_get : str
        A sentence telling the user how to obtain the weights.

    Returns
    -------
    path : Path or None

    Raises
    ------
    FileNotFoundError
        If a path is given (directly or through ``env_var``) but no file exists there.

    Examples
    --------
    >>> from sklearn_causalmix.backbones.adapters._checkpoint import resolve_weights_path
    >>> resolve_weights_path(None, env_var="NO_SUCH_VARIABLE_X", name="x", how_to_get="") is None
    True
    """
    source = "weights"
    if weights is None:
        value = os.environ.get(env_var, "").strip()
        if not value:
            return None
        weights, source = value, f"the environment variable {env_var}"
    path = Path(weights).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"No {name} checkpoint at {str(path)!r} (from {source}). {how_to_get}"
        )
    return path


def _torch_load(path) -> dict:
    """A ``torch.save`` checkpoint read without unpickling code (tensors and plain containers only)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def load_checkpoint(weights, *, name: str, env_var: str, how_to_get: str, download=None, read=None,
                    required_keys=("config", "state_dict")) -> tuple[Path, dict]:
    """Find, read and check an adapter's checkpoint (see the module docstring).

    Parameters
    ----------
    weights : str, Path or None
        Path of the checkpoint; None reads the environment variable ``env_var``.
    name : str
        The network's name in error messages (e.g. ``"TabICL"``).
    env_var : str
        Environment variable read when ``weights`` is None.
    how_to_get : str
        A sentence telling the user how to obtain the weights (see :func:`how_to_get_weights`).
    download : callable or None, default=None
        Called with no argument when neither ``weights`` nor ``env_var`` names a checkpoint; returns the path
        of the downloaded file. None: downloading is not allowed, so no path is an error.
    read : callable or None, default=None
        ``read(path) -> checkpoint``; None uses ``torch.load(path, map_location="cpu", weights_only=True)``.
    required_keys : tuple of str, default=("config", "state_dict")
        Entries the checkpoint must hold.

    Returns
    -------
    path : Path
        Where the checkpoint was read from.
    checkpoint : dict

    Raises
    ------
    FileNotFoundError
        No path and no permission to download, or no file at the path given: the message says how to get one.
    ValueError
        The file cannot be read, or does not hold ``required_keys``.

    Examples
    --------
    >>> import pathlib, tempfile, torch
    >>> from sklearn_causalmix.backbones.adapters._checkpoint import load_checkpoint
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.ckpt"
    >>> torch.save({"config": {"width": 4}, "state_dict": {}}, path)
    >>> load_checkpoint(path, name="Toy", env_var="TOY_WEIGHTS", how_to_get="")[1]["config"]
    {'width': 4}
    >>> torch.save({"weights": torch.zeros(1)}, path)
    >>> load_checkpoint(path, name="Toy", env_var="TOY_WEIGHTS", how_to_get="")
    Traceback (most recent call last):
    ...
    ValueError: '...tiny.ckpt' is not a Toy checkpoint: it must hold 'config' and 'state_dict' entries.
    """
    path = resolve_weights_path(weights, env_var=env_var, name=name, how_to_get=how_to_get)
    if path is None:
        if download is None:
            raise FileNotFoundError(f"No {name} weights were given. {how_to_get}")
        path = Path(download())
    try:
        checkpoint = (read or _torch_load)(path)
    except Exception as exc:
        raise ValueError(f"{str(path)!r} is not a readable {name} checkpoint: {exc}") from exc
    if not isinstance(checkpoint, dict) or not set(required_keys) <= set(checkpoint):
        entries = " and ".join(repr(key) for key in required_keys)
        raise ValueError(f"{str(path)!r} is not a {name} checkpoint: it must hold {entries} entries.")
    return path, checkpoint
