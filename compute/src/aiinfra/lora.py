"""LoRA fine-tuning with PEFT, on Hugging Face causal LMs and on the GPT, and its adapter artifact.

The adapters are injected before the model is sharded (FSDP: each block's LoRA weights are part
of its FSDP unit; DDP: reduced like any parameter); the base weights are frozen. The adapter is
written into every checkpoint as ``adapter/adapter_config.json`` + ``adapter/adapter_model.safetensors``,
PEFT's layout, which ``peft.PeftModel.from_pretrained`` and vLLM's LoRA loader read, and which
the checkpoint manifest hashes like every other file.

GPT adapters are written under the module names of the GPT's Hugging Face Llama export
(``q_proj`` ... ``down_proj`` under ``model.layers.N``): the GPT's rotary layout is Llama's
(rotate-half), so its LoRA matrices apply unchanged to the exported model.
"""

from __future__ import annotations

import json
import math
from typing import Any

import torch
from torch import nn

from .config import LORA_GPT_TARGETS, ConfigError, LoraConfig

ADAPTER_DIR = "adapter"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"

# GPT module name -> the name in its Hugging Face Llama export.
GPT_TO_LLAMA = {
    "attention.wq": "self_attn.q_proj",
    "attention.wk": "self_attn.k_proj",
    "attention.wv": "self_attn.v_proj",
    "attention.wo": "self_attn.o_proj",
    "feed_forward.w1": "mlp.gate_proj",
    "feed_forward.w2": "mlp.down_proj",
    "feed_forward.w3": "mlp.up_proj",
}


def _peft():
    try:
        import peft
    except ImportError:
        raise ConfigError("lora needs the 'peft' package (pip install 'aiinfra[sft]')") from None
    return peft


def _linear_names(model: nn.Module) -> list[str]:
    return sorted({name.rsplit(".", 1)[-1] for name, m in model.named_modules() if isinstance(m, nn.Linear)})


def peft_config(cfg: LoraConfig, targets: list[str] | str, base: str | None):
    peft = _peft()
    return peft.LoraConfig(
        r=cfg.rank,
        lora_alpha=cfg.alpha if cfg.alpha is not None else 2 * cfg.rank,
        lora_dropout=cfg.dropout,
        target_modules=targets,
        bias="none",
        task_type="CAUSAL_LM",
        base_model_name_or_path=base,
    )


def apply_lora(model: nn.Module, cfg: LoraConfig, hf: bool, base: str | None) -> None:
    """Inject LoRA adapters into ``model`` (an HFCausalLM or a GPT, possibly on the meta device)
    and freeze everything else."""
    peft = _peft()
    if hf:
        inner = model.model  # type: ignore[attr-defined]
        linear = _linear_names(inner)
        targets: list[str] | str = cfg.target_modules or "all-linear"
        missing = sorted(set(cfg.target_modules or []) - set(linear))
        if missing:
            raise ConfigError(f"lora.target_modules {missing} are not Linear modules of this model; it has: {linear}")
        model.model = peft.get_peft_model(inner, peft_config(cfg, targets, base))  # type: ignore[assignment]
    else:
        targets = list(cfg.target_modules or LORA_GPT_TARGETS)
        peft.inject_adapter_in_model(peft_config(cfg, targets, base), model)
    for name, p in model.named_parameters():
        p.requires_grad_("lora_" in name)


def lora_parameters(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    return [(n, p) for n, p in model.named_parameters() if "lora_" in n]


@torch.no_grad()
def init_lora_weights(model: nn.Module, seed: int) -> None:
    """PEFT's initialisation (A: kaiming-uniform, B: zeros) for adapters materialized from the
    meta device, each matrix from a generator of its own, so any sharding gets the same values."""
    from .model import _seeded_init

    for name, p in lora_parameters(model):
        if ".lora_B." in name:
            p.zero_()
            continue
        fan_in = p.shape[1]
        _seeded_init(p, name, None, seed, uniform_bound=1.0 / math.sqrt(fan_in))


def _peft_key(name: str, hf: bool) -> str:
    """PEFT's saved key for a parameter name of our model (adapter name dropped)."""
    name = name.replace(".default", "")
    if hf:  # HFCausalLM.model is the PeftModel: its names start with base_model.model.
        return name[len("model.") :]
    layer, rest = name.split(".", 1)[1].split(".", 1)  # layers.N.<module>.lora_X.weight
    module, tail = rest.rsplit(".lora_", 1)
    return f"base_model.model.model.layers.{layer}.{GPT_TO_LLAMA[module]}.lora_{tail}"


def adapter_files(model: nn.Module, cfg: LoraConfig, hf: bool, base: str | None) -> dict[str, bytes] | None:
    """Collective under FSDP (every rank gathers each adapter matrix in the same order);
    returns the adapter's files on rank 0, None on the other ranks."""
    from safetensors.torch import save

    import torch.distributed as dist

    rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
    tensors: dict[str, torch.Tensor] = {}
    for name, p in lora_parameters(model):
        full = p.full_tensor() if hasattr(p, "full_tensor") else p.detach()
        tensors[_peft_key(name, hf)] = full.detach().to("cpu", torch.float32).contiguous()
    if rank != 0:
        return None
    if hf:
        targets = sorted(model.model.peft_config["default"].target_modules)  # type: ignore[attr-defined,union-attr,index]
    else:
        targets = sorted(GPT_TO_LLAMA[m].split(".")[1] for m in GPT_TO_LLAMA if m.split(".")[1] in (cfg.target_modules or LORA_GPT_TARGETS))
    config = peft_config(cfg, targets, base).to_dict()
    config = {k: sorted(v) if isinstance(v, set) else v for k, v in config.items()}
    config["inference_mode"] = True
    return {
        f"{ADAPTER_DIR}/{ADAPTER_CONFIG}": json.dumps(config, indent=2, sort_keys=True, default=str).encode(),
        f"{ADAPTER_DIR}/{ADAPTER_WEIGHTS}": save(dict(sorted(tensors.items())), metadata={"format": "pt"}),
    }
