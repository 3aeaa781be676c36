"""Load a model to serve: a trainer checkpoint (newest complete step or best by eval loss,
local or fsspec URI) or ``hf:<name-or-path>`` (a Hugging Face Llama-architecture causal LM,
mapped onto the same GPT modules so it runs through the same batched engine)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import torch

from ..export import HF_LLAMA_LAYER_NAMES
from ..model import GPT, GPTConfig, rope_cos_sin
from ..safety import UnsafeInputError, check_location, check_name, redact_uri
from .quant import check_int8_supported, quantize_int8
from .tokenizer import HFTokenizer, Tokenizer, tokenizer_for

__all__ = ["LoadedModel", "load_model", "check_model_source", "resolve_device", "resolve_dtype", "build_gpt"]

log = logging.getLogger("aiinfra.serve.loader")

_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class LoadedModel:
    model: GPT
    tokenizer: Tokenizer
    name: str
    source: str
    info: dict[str, Any] = field(default_factory=dict)


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_dtype(precision: str, device: torch.device) -> torch.dtype:
    if precision == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if precision not in _DTYPES:
        raise ValueError(f"unknown precision {precision!r}; use one of auto, {', '.join(_DTYPES)}")
    return _DTYPES[precision]


def build_gpt(config: GPTConfig, state_dict: dict[str, torch.Tensor], device: torch.device, dtype: torch.dtype) -> GPT:
    """A GPT with these weights, built without a random init (meta device, then the weights)."""
    with torch.device("meta"):
        model = GPT(config)
    model.to_empty(device=device)
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    missing = [k for k in missing if not (k == "output.weight" and config.tie_embeddings)]
    if missing or unexpected:
        raise ValueError(f"checkpoint does not match the model: missing {missing}, unexpected {unexpected}")
    if config.tie_embeddings:
        model.output.weight = model.tok_embeddings.weight
    cos, sin = rope_cos_sin(config.head_dim, config.max_seq_len, config.rope_theta, device=device)
    model.rope_cos.copy_(cos)
    model.rope_sin.copy_(sin)
    model.to(dtype)
    # the rotary tables stay float32, as the trainer keeps them
    model.rope_cos = model.rope_cos.float()
    model.rope_sin = model.rope_sin.float()
    return model.eval().requires_grad_(False)


def _is_hf_directory(uri: str) -> bool:
    """A local directory in Hugging Face save_pretrained layout (config.json, no checkpoints)."""
    if "://" in uri or not os.path.isdir(uri):
        return False
    names = os.listdir(uri)
    return "config.json" in names and "manifest.json" not in names and not any(n.startswith("step-") for n in names)


def _default_name(uri: str) -> str:
    if uri.startswith("hf:"):
        target = uri[3:].rstrip("/")
        # a hub id names itself; a local directory is named by its last part
        return os.path.basename(target) if target.startswith(("/", ".")) or os.path.isdir(target) else target
    path = uri.split("://", 1)[-1].rstrip("/")
    return os.path.basename(path) or "model"


def _tokenizer_spec(manifest: dict[str, Any]) -> str | None:
    cfg = manifest.get("config") or {}
    for source in (cfg, cfg.get("data") or {}, cfg.get("model") or {}):
        if isinstance(source, dict) and isinstance(source.get("tokenizer"), str):
            return source["tokenizer"]
    return None


def check_model_source(uri: str, name: str | None, roots: Sequence[str] = ()) -> str:
    """The served model name, after checking ``uri`` and ``name`` (aiinfra.safety): no path traversal in
    either, and the model under one of ``roots`` (the storage this server was given) when any are set; a
    Hugging Face hub id is then refused, as it downloads from outside. Raises UnsafeInputError."""
    if uri.startswith("hf:"):
        target = uri[3:]
        if "://" in target or target.startswith(("/", ".")) or os.path.isdir(target):
            check_location(target, "model", roots)
        else:
            check_name(target, "model (Hugging Face hub id)")
            if roots:
                raise UnsafeInputError(f"model {uri!r} downloads from the Hugging Face hub, outside the configured storage ({', '.join(roots)})")
    else:
        check_location(uri, "model", roots)
    return check_name(name or _default_name(uri), "served model name")


def load_model(
    uri: str,
    select: str = "newest",
    precision: str = "auto",
    quantization: str = "none",
    device: str = "auto",
    name: str | None = None,
    roots: Sequence[str] = (),
) -> LoadedModel:
    name = check_model_source(uri, name, roots)
    dev = resolve_device(device)
    dtype = resolve_dtype(precision, dev)
    if quantization not in ("none", "int8"):
        raise ValueError(f"unknown quantization {quantization!r}; use none or int8")
    if not uri.startswith("hf:") and _is_hf_directory(uri):
        uri = "hf:" + uri  # a save_pretrained directory given as a plain path (e.g. a model baked into an image)
    if uri.startswith("hf:"):
        model, tokenizer, info = _load_hf(uri[3:], dev, dtype)
    else:
        from ..checkpoint import _resolve, load_model_for_inference

        _, _, manifest = _resolve(uri, select)
        if manifest.get("hf"):  # the trainer trained a Hugging Face model
            model, tokenizer, info = _load_hf_checkpoint(uri, select, manifest, dev, dtype)
        else:
            config, state_dict, manifest = load_model_for_inference(uri, select=select)
            model = build_gpt(config, state_dict, dev, dtype)
            tokenizer = tokenizer_for(_tokenizer_spec(manifest), config.vocab_size)
            info = {}
        info.update({"step": manifest.get("step"), "eval": manifest.get("eval"), "select": select})
    if quantization == "int8":
        check_int8_supported(dev, model.config.d_model)
        quantize_int8(model)
    info.update({"precision": str(dtype).replace("torch.", ""), "quantization": quantization, "device": str(dev)})
    log.info("loaded %s: %s", redact_uri(uri), info)
    return LoadedModel(model=model, tokenizer=tokenizer, name=name, source=uri, info=info)


# ---------------------------------------------------------------------- Hugging Face
# transformers' Llama names -> ours: the inverse of the export's map (one table for both ways)
_HF_LAYER_MAP = {hf: ours for ours, hf in HF_LLAMA_LAYER_NAMES.items()}


def hf_config_to_gpt(hf_config: Any) -> GPTConfig:
    """GPTConfig of a Llama-architecture HF config (Llama, Mistral without sliding window use)."""
    mt = getattr(hf_config, "model_type", None)
    if mt not in ("llama", "mistral"):
        raise ValueError(f"hf model_type {mt!r} is not supported: the server runs Llama-architecture models (llama, mistral)")
    if getattr(hf_config, "attention_bias", False) or getattr(hf_config, "mlp_bias", False):
        raise ValueError("hf models with attention or MLP biases are not supported")
    # transformers < 5: rope_theta + rope_scaling (None for plain RoPE); >= 5: rope_parameters
    rope = getattr(hf_config, "rope_parameters", None) or getattr(hf_config, "rope_scaling", None) or {}
    if rope.get("rope_type", rope.get("type", "default")) != "default":
        raise ValueError(f"rope scaling {rope!r} is not supported (plain RoPE only)")
    if getattr(hf_config, "hidden_act", "silu") != "silu":
        raise ValueError(f"hidden_act {hf_config.hidden_act!r} is not supported (SwiGLU with silu only)")
    n_head = hf_config.num_attention_heads
    d_model = hf_config.hidden_size
    head_dim = getattr(hf_config, "head_dim", None) or d_model // n_head
    if head_dim * n_head != d_model:
        raise ValueError("hf models whose head_dim * num_attention_heads != hidden_size are not supported")
    theta = rope.get("rope_theta") or getattr(hf_config, "rope_theta", None) or 10000.0
    max_len = getattr(hf_config, "max_position_embeddings", 2048)
    window = getattr(hf_config, "sliding_window", None)
    if window:
        max_len = min(max_len, window)
    return GPTConfig(
        vocab_size=hf_config.vocab_size,
        n_layer=hf_config.num_hidden_layers,
        n_head=n_head,
        n_kv_head=getattr(hf_config, "num_key_value_heads", None) or n_head,
        d_model=d_model,
        ffn_hidden=hf_config.intermediate_size,
        max_seq_len=max_len,
        rope_theta=float(theta),
        norm_eps=hf_config.rms_norm_eps,
        tie_embeddings=bool(getattr(hf_config, "tie_word_embeddings", False)),
    )


def hf_state_dict_to_gpt(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in sd.items():
        if key == "model.embed_tokens.weight":
            out["tok_embeddings.weight"] = value
        elif key == "model.norm.weight":
            out["norm.weight"] = value
        elif key == "lm_head.weight":
            out["output.weight"] = value
        elif key.startswith("model.layers."):
            idx, rest = key[len("model.layers.") :].split(".", 1)
            if rest in _HF_LAYER_MAP:
                out[f"layers.{idx}.{_HF_LAYER_MAP[rest]}"] = value
            elif not rest.endswith("rotary_emb.inv_freq"):
                raise ValueError(f"unexpected hf weight {key}")
        elif not key.endswith("rotary_emb.inv_freq"):
            raise ValueError(f"unexpected hf weight {key}")
    return out


def _load_hf_checkpoint(uri: str, select: str, manifest: dict[str, Any], dev: torch.device,
                        dtype: torch.dtype) -> tuple[GPT, Tokenizer, dict[str, Any]]:
    """A trainer checkpoint of a Hugging Face model: exported in save_pretrained format to a
    temporary directory, then loaded like hf:<dir>; the tokenizer comes from the model the
    training started from (``model.hf``) when there was one."""
    import tempfile

    from ..hf import export_pretrained

    source = (manifest.get("hf") or {}).get("source")
    with tempfile.TemporaryDirectory(prefix="aiinfra-serve-") as tmp:
        export_pretrained(uri, tmp, select=select)
        return _load_hf(tmp, dev, dtype, tokenizer_source=source, label=source or "hf_config")


def _load_hf(name: str, dev: torch.device, dtype: torch.dtype, tokenizer_source: str | None = None,
             label: str | None = None) -> tuple[GPT, Tokenizer, dict[str, Any]]:
    try:
        from transformers import AutoConfig, AutoModelForCausalLM
    except ImportError as exc:
        raise RuntimeError("serving hf: models needs the 'transformers' package (pip install aiinfra[hf])") from exc
    hf_config = AutoConfig.from_pretrained(name)
    config = hf_config_to_gpt(hf_config)
    # safetensors only: a pickled pytorch_model.bin could run code when loaded
    hf_model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.float32, use_safetensors=True)
    sd = hf_state_dict_to_gpt(hf_model.state_dict())
    gen_eos = getattr(getattr(hf_model, "generation_config", None), "eos_token_id", None)
    del hf_model
    if config.tie_embeddings:
        sd.pop("output.weight", None)
    model = build_gpt(config, sd, dev, dtype)
    try:
        tokenizer = tokenizer_for("hf:" + (tokenizer_source or name), config.vocab_size)
    except (OSError, ValueError, TypeError) as exc:
        log.warning("no tokenizer for %s (%s); using the byte tokenizer", tokenizer_source or name, exc)
        tokenizer = tokenizer_for(None, config.vocab_size)
    if isinstance(tokenizer, HFTokenizer) and gen_eos is not None:
        tokenizer.extra_eos_token_ids.update([gen_eos] if isinstance(gen_eos, int) else gen_eos)
    return model, tokenizer, {"hf": label or name, "model_type": hf_config.model_type}
