"""Weight files: safetensors tensors plus a JSON manifest, verified by sha256 before loading (no pickle)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from sklearn_causalmix.backbones.embedded._pfn import CausalMixPFN, PFNConfig
from sklearn_causalmix.backbones.embedded._rowpfn import RowPFN, RowPFNConfig

__all__ = [
    "WeightsChecksumError", "save_weights", "load_weights", "file_sha256", "build_model", "EMBEDDED_WEIGHTS",
]

EMBEDDED_WEIGHTS = Path(__file__).parent / "weights" / "default.json"

#: Manifest ``format`` -> (model class, its configuration class), for every embedded architecture.
_FORMATS = {
    "sklearn-causalmix/pfn-v1": (CausalMixPFN, PFNConfig),
    "sklearn-causalmix/rowpfn-v1": (RowPFN, RowPFNConfig),
}


def build_model(config):
    """A freshly initialised embedded model for an architecture configuration.

    Parameters
    ----------
    config : PFNConfig or RowPFNConfig

    Returns
    -------
    model : CausalMixPFN or RowPFN

    Examples
    --------
    >>> from sklearn_causalmix.backbones import RowPFNConfig, build_model
    >>> type(build_model(RowPFNConfig(d_feature=16, n_cls=2, n_heads=2))).__name__
    'RowPFN'
    """
    for model_cls, config_cls in _FORMATS.values():
        if isinstance(config, config_cls):
            return model_cls(config)
    raise TypeError(f"No embedded architecture takes a {type(config).__name__}.")


def _format_of(model) -> str:
    for name, (model_cls, _) in _FORMATS.items():
        if type(model) is model_cls:
            return name
    raise TypeError(f"save_weights writes the embedded models only, not a {type(model).__name__}.")


class WeightsChecksumError(ValueError):
    """The weights file does not match the sha256 recorded in its manifest.

    Raised by :func:`load_weights` before any tensor is read, so a corrupt or replaced file is never loaded.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig, WeightsChecksumError
    >>> from sklearn_causalmix.backbones import load_weights, save_weights
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.json"
    >>> _ = save_weights(CausalMixPFN(PFNConfig(d_model=16, n_layers=1)), path)
    >>> _ = path.with_suffix(".safetensors").write_bytes(b"tampered")
    >>> try:
    ...     load_weights(path)
    ... except WeightsChecksumError as exc:
    ...     print("refused")
    refused
    """


def file_sha256(path) -> str:
    """Hex sha256 of a file, read in chunks.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    digest : str

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_causalmix.backbones import file_sha256
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.bin"; _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:12]
    'ba7816bf8f01'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_weights(model, manifest_path, **manifest) -> dict:
    """Write ``model`` as safetensors next to a JSON manifest that records its architecture and sha256.

    Parameters
    ----------
    model : CausalMixPFN or RowPFN
        The model to save.
    manifest_path : str or Path
        Path of the manifest (``*.json``); the tensors go to the same stem with ``.safetensors``.
    **manifest
        Extra JSON-serialisable facts (seed, steps, wall time, hardware, validation scores, ...).

    Returns
    -------
    manifest : dict
        What was written to ``manifest_path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig, save_weights, load_weights
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.json"
    >>> m = save_weights(CausalMixPFN(PFNConfig(d_model=16, n_layers=1)), path, seed=0)
    >>> load_weights(path).config.d_model
    16
    """
    from safetensors.torch import save_file

    manifest_path = Path(manifest_path)
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    tensors_path = manifest_path.with_suffix(".safetensors")
    state = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(tensors_path))
    record = {
        "format": _format_of(model),
        "weights_file": tensors_path.name,
        "sha256": file_sha256(tensors_path),
        "n_parameters": int(sum(p.numel() for p in model.parameters())),
        "architecture": model.config.to_dict(),
        **manifest,
    }
    manifest_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return record


def load_weights(manifest_path=EMBEDDED_WEIGHTS, *, device="cpu"):
    """Build the embedded model (:class:`CausalMixPFN` or :class:`RowPFN`) from a manifest and its safetensors file, checking the sha256 first.

    Parameters
    ----------
    manifest_path : str or Path, default=the embedded weights
        A manifest written by :func:`save_weights` (or by ``causalmix pretrain``).
    device : str or torch.device, default="cpu"

    Returns
    -------
    model : CausalMixPFN or RowPFN
        In eval mode, of the architecture the manifest's ``format`` names.

    Raises
    ------
    FileNotFoundError
        The manifest or its weights file is missing.
    WeightsChecksumError
        The weights file's sha256 differs from the manifest's.

    Examples
    --------
    >>> from sklearn_causalmix.backbones import load_weights
    >>> load_weights().limits.max_classes
    10
    """
    from safetensors.torch import load_file

    manifest_path = Path(manifest_path)
    if not manifest_path.is_file():
        raise FileNotFoundError(
            f"No weights manifest at {manifest_path}. Pass the manifest.json written by `causalmix pretrain`."
        )
    manifest = json.loads(manifest_path.read_text())
    tensors_path = manifest_path.parent / manifest["weights_file"]
    if not tensors_path.is_file():
        raise FileNotFoundError(f"The manifest {manifest_path} names {tensors_path}, which does not exist.")
    digest = file_sha256(tensors_path)
    if digest != manifest["sha256"]:
        raise WeightsChecksumError(
            f"Weights file {tensors_path} has sha256 {digest}, but its manifest expects {manifest['sha256']}: "
            "the file is corrupt or was replaced. Reinstall sklearn-causalmix (embedded weights) or re-run "
            "`causalmix pretrain` to write a matching pair."
        )
    if manifest.get("format") not in _FORMATS:
        raise ValueError(
            f"The manifest {manifest_path} has format {manifest.get('format')!r}; this version of "
            f"sklearn-causalmix reads {sorted(_FORMATS)}. Upgrade the package or re-run `causalmix pretrain`."
        )
    model_cls, config_cls = _FORMATS[manifest["format"]]
    model = model_cls(config_cls(**manifest["architecture"]))
    model.load_state_dict(load_file(str(tensors_path), device="cpu"), strict=True)
    model.manifest = manifest
    return model.to(device).eval()
