"""Hugging Face causal language models in the trainer (needs the ``transformers`` package).

``model.hf``: a local directory or hub name for ``AutoModelForCausalLM.from_pretrained``
(fine-tuning; the hub is only reachable where the cluster has egress).
``model.hf_config``: a config mapping with ``model_type`` (e.g. ``llama``, ``qwen2``,
``mistral``) for ``AutoModelForCausalLM.from_config``: a fresh model for pre-training.

The model is wrapped so that it has the trainer's interface, ``forward(idx, targets)`` ->
``(logits, loss)``; its decoder layers (the model's ``_no_split_modules``) are the FSDP units.
Checkpoints record ``hf`` in the manifest (``model_config`` is null) and can be exported in
``save_pretrained`` format with :func:`export_pretrained`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .config import ConfigError
from .logs import log_event
from .model import document_mask, lm_loss


def _transformers():
    try:
        import transformers
    except ImportError:
        raise ConfigError("model.hf / model.hf_config need the 'transformers' package (pip install transformers)") from None
    return transformers


def load_hf_config(hf: str | None, hf_config: dict[str, Any] | None):
    tf = _transformers()
    if hf_config is not None:
        data = dict(hf_config)
        model_type = data.pop("model_type", None)
        if not model_type:
            raise ConfigError("model.hf_config needs a model_type (e.g. 'llama')")
        try:
            return tf.AutoConfig.for_model(model_type, **data)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"model.hf_config is not a valid {model_type!r} config: {exc}") from None
    try:
        return tf.AutoConfig.from_pretrained(hf)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"model.hf {hf!r} could not be loaded: {exc}") from None


class HFCausalLM(nn.Module):
    """A transformers causal LM with the trainer's forward(idx, targets) interface."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    @property
    def config(self):
        return self.model.config

    def block_types(self) -> tuple[type, ...]:
        names = set(getattr(self.model, "_no_split_modules", None) or [])
        return tuple({type(m) for m in self.model.modules() if type(m).__name__ in names})

    def blocks(self) -> list[nn.Module]:
        types = self.block_types()
        return [m for m in self.model.modules() if types and isinstance(m, types)]

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, positions: torch.Tensor | None = None):
        """``positions``: rows packing several documents, positions restarting at 0 at each
        (aiinfra/sft.py): rotary positions per document and a document mask, so no token
        attends across a boundary."""
        kwargs: dict = {}
        if positions is not None:
            kwargs = {"position_ids": positions, "attention_mask": document_mask(positions)}
        logits = self.model(input_ids=idx, use_cache=False, **kwargs).logits
        if targets is None:
            return logits
        return logits, lm_loss(logits, targets)  # no fp32 copy of the whole logits


def build_hf_model(hf: str | None, hf_config: dict[str, Any] | None, device: torch.device, weights: bool = True) -> HFCausalLM:
    """The model on ``device``; ``weights=False``: its architecture only (from_config, e.g. on
    the meta device), whose weights come from elsewhere."""
    tf = _transformers()
    config = load_hf_config(hf, hf_config)
    with torch.device(device):
        if hf_config is not None or not weights:
            model = tf.AutoModelForCausalLM.from_config(config, torch_dtype=torch.float32)
        else:
            # safetensors only: a pickled pytorch_model.bin could run code when loaded
            model = tf.AutoModelForCausalLM.from_pretrained(hf, torch_dtype=torch.float32, use_safetensors=True)
    if device.type != "meta":
        model.to(device)
    if hf is not None and weights:
        log_event("hf_weights_loaded", source=hf, device=str(device))
    return HFCausalLM(model)


def hf_flops_per_token(model: HFCausalLM, seq_len: int) -> float:
    """6 x matmul parameters (input embeddings excluded unless tied) + attention scores."""
    c = model.config
    n = model.num_params()
    emb = model.model.get_input_embeddings().weight.numel()
    if not getattr(c, "tie_word_embeddings", False):
        n -= emb
    layers = getattr(c, "num_hidden_layers", 0)
    hidden = getattr(c, "hidden_size", 0)
    return 6.0 * n + 12.0 * layers * hidden * seq_len


def hf_manifest_entry(hf: str | None, model: HFCausalLM) -> dict[str, Any]:
    return {"source": hf, "config": model.config.to_dict()}


def export_pretrained(uri: str, out_dir: str, select: str = "newest") -> str:
    """Write the weights of a checkpoint of an HF model in ``save_pretrained`` format."""
    from .checkpoint import CheckpointError, _resolve, load_state_for_export

    store, step, manifest = _resolve(uri, select)
    entry = manifest.get("hf")
    if not entry:
        raise CheckpointError(f"{store.step_uri(step)} is not a checkpoint of a Hugging Face model")
    tf = _transformers()
    data = dict(entry["config"])
    config = tf.AutoConfig.for_model(data.pop("model_type"), **data)
    model = tf.AutoModelForCausalLM.from_config(config)
    state = load_state_for_export(store, step, manifest)
    # Checkpoint keys are HFCausalLM's: the transformers model sits under ``model.``.
    prefix = "model."
    weights = {k[len(prefix) :] if k.startswith(prefix) else k: v for k, v in state.items()}
    load_weights_strict(model, weights, f"checkpoint {store.step_uri(step)}")
    model.save_pretrained(out_dir)
    return out_dir


def load_weights_strict(model: nn.Module, weights: dict[str, torch.Tensor], source: str) -> None:
    """``model.load_state_dict(weights)`` that fails on any mismatch, naming the keys.

    A name missing from ``weights`` is accepted only when it is another name of a parameter
    that is loaded (tied input and output embeddings); anything else missing, unexpected or
    of another shape raises a CheckpointError rather than exporting freshly initialised
    weights under the checkpoint's name."""
    check_weights_match(model, weights, source)
    model.load_state_dict(weights, strict=False)  # checked above; tied names load through their twin


def check_weights_match(model: nn.Module, weights: dict[str, torch.Tensor], source: str) -> None:
    """The checks of :func:`load_weights_strict` alone (names and shapes; ``model`` may be on
    the meta device)."""
    from .checkpoint import CheckpointError

    aliases: dict[int, set[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        aliases.setdefault(id(param), set()).add(name)
    tied = {name: names for names in aliases.values() for name in names}
    expected = model.state_dict()
    missing = sorted(k for k in expected if k not in weights and not (tied.get(k, set()) & weights.keys()))
    unexpected = sorted(k for k in weights if k not in expected)
    shapes = sorted(
        f"{k}: {tuple(weights[k].shape)} in the checkpoint, {tuple(expected[k].shape)} in the model"
        for k in weights.keys() & expected.keys()
        if tuple(weights[k].shape) != tuple(expected[k].shape)
    )
    if missing or unexpected or shapes:

        def some(keys: list[str]) -> str:
            return ", ".join(keys[:8]) + (f" (+{len(keys) - 8} more)" if len(keys) > 8 else "")

        parts = [f"{len(missing)} missing: {some(missing)}"] if missing else []
        parts += [f"{len(unexpected)} unexpected: {some(unexpected)}"] if unexpected else []
        parts += [f"{len(shapes)} of another shape: {some(shapes)}"] if shapes else []
        raise CheckpointError(
            f"{source} does not match the model built from its manifest ({type(model).__name__}): "
            + "; ".join(parts)
            + ". Nothing was exported (a partial load would write randomly initialised weights)."
        )
