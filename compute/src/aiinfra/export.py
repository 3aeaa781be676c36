"""Export a trainer checkpoint as a Hugging Face ``LlamaForCausalLM`` directory (safetensors),
which transformers and vLLM load: ``python -m aiinfra.export --checkpoint URI --output URI``.

Our GPT is the Llama architecture (RMSNorm, SwiGLU, GQA, no biases) and its rotary embedding
is the non-interleaved "rotate_half" form, the one transformers' and vLLM's Llama use. So the
weights map one to one by name, with no q/k permutation: HF's ``permute`` in
``convert_llama_weights_to_hf.py`` converts Meta's *interleaved* (complex-pair) layout, which
this model does not use. tests/test_export.py checks transformers' logits on the export
against ours.

Output (CONTRACT.md): ``model.safetensors`` (or ``model-0000i-of-0000n.safetensors`` shards
with ``model.safetensors.index.json``), ``generation_config.json``, the tokenizer (the byte
tokenizer as an equivalent byte-level ``tokenizer.json`` with the server's chat template, or
the ``hf:`` tokenizer the trainer config names), ``aiinfra_export.json`` (where it came
from), and ``config.json`` written last, so a half-written export is never loadable. An
export of the same checkpoint step with the same manifest is skipped (idempotent init step).

A checkpoint of a Hugging Face model (manifest ``hf``) is exported with
``aiinfra.hf.export_pretrained`` (``save_pretrained``) and copied the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from typing import Any, Sequence

import fsspec
import torch

from .checkpoint import CheckpointError, _resolve, load_state_for_export
from .model import GPT, GPTConfig

__all__ = ["HF_LLAMA_LAYER_NAMES", "gpt_to_hf_state_dict", "hf_llama_config", "export_checkpoint", "main"]

# our per-layer parameter names -> transformers' Llama names (the server's loader maps back)
HF_LLAMA_LAYER_NAMES = {
    "attention_norm.weight": "input_layernorm.weight",
    "attention.wq.weight": "self_attn.q_proj.weight",
    "attention.wk.weight": "self_attn.k_proj.weight",
    "attention.wv.weight": "self_attn.v_proj.weight",
    "attention.wo.weight": "self_attn.o_proj.weight",
    "ffn_norm.weight": "post_attention_layernorm.weight",
    "feed_forward.w1.weight": "mlp.gate_proj.weight",
    "feed_forward.w2.weight": "mlp.down_proj.weight",
    "feed_forward.w3.weight": "mlp.up_proj.weight",
}

_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
_DTYPE_NAMES = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}
EXPORT_INFO = "aiinfra_export.json"
BYTE_EOS = "<|endoftext|>"
# the byte tokenizer's chat format (aiinfra.serve.tokenizer.render_chat) as a Jinja template
BYTE_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|' + message['role'] + '|>\n' + message['content'] + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)


def gpt_to_hf_state_dict(config: GPTConfig, state: dict[str, torch.Tensor],
                         source: str) -> dict[str, torch.Tensor]:
    """Our GPT's weights under transformers' LlamaForCausalLM names. Every weight of
    ``GPT(config)`` must be present with its shape (a tied head excepted) and nothing else,
    or a CheckpointError names the missing, unexpected and mis-shaped keys."""
    from .hf import check_weights_match

    with torch.device("meta"):
        reference = GPT(config)
    check_weights_match(reference, state, source)
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key == "tok_embeddings.weight":
            out["model.embed_tokens.weight"] = value
        elif key == "norm.weight":
            out["model.norm.weight"] = value
        elif key == "output.weight":
            if not config.tie_embeddings:
                out["lm_head.weight"] = value
        else:
            _, idx, rest = key.split(".", 2)  # layers.<i>.<name>
            out[f"model.layers.{idx}.{HF_LLAMA_LAYER_NAMES[rest]}"] = value
    return out


def hf_llama_config(config: GPTConfig, dtype: torch.dtype, eos_token_id: int | None) -> dict[str, Any]:
    """config.json of the export. Written directly (no transformers needed to export); the
    fields are LlamaConfig's, which transformers 4.x and 5.x and vLLM read."""
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": config.vocab_size,
        "hidden_size": config.d_model,
        "intermediate_size": config.ffn_hidden,
        "num_hidden_layers": config.n_layer,
        "num_attention_heads": config.n_head,
        "num_key_value_heads": config.n_kv_head,
        "head_dim": config.head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": config.max_seq_len,
        "rms_norm_eps": config.norm_eps,
        "rope_theta": float(config.rope_theta),
        "rope_scaling": None,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "mlp_bias": False,
        "initializer_range": 0.02,
        "tie_word_embeddings": bool(config.tie_embeddings),
        "bos_token_id": None,
        "eos_token_id": eos_token_id,
        "pad_token_id": None,
        "use_cache": True,
        "torch_dtype": _DTYPE_NAMES[dtype],
    }


def _save_safetensors(weights: dict[str, torch.Tensor], out_dir: str, max_shard_bytes: int) -> list[str]:
    """model.safetensors, or shards plus the index transformers and vLLM read."""
    from safetensors.torch import save_file

    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for name in sorted(weights):
        t = weights[name].contiguous()
        nbytes = t.numel() * t.element_size()
        if shards[-1] and size + nbytes > max_shard_bytes:
            shards.append({})
            size = 0
        shards[-1][name] = t
        size += nbytes
    meta = {"format": "pt"}
    if len(shards) == 1:
        save_file(shards[0], os.path.join(out_dir, "model.safetensors"), metadata=meta)
        return ["model.safetensors"]
    names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    weight_map = {}
    for fname, shard in zip(names, shards):
        save_file(shard, os.path.join(out_dir, fname), metadata=meta)
        weight_map.update({k: fname for k in shard})
    total = sum(t.numel() * t.element_size() for t in weights.values())
    _write_json(os.path.join(out_dir, "model.safetensors.index.json"),
                {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))})
    return names + ["model.safetensors.index.json"]


def _write_json(path: str, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True)
        fh.write("\n")


def _byte_tokenizer_files(out_dir: str, vocab_size: int) -> int | None:
    """The server's byte tokenizer (UTF-8 bytes are ids 0..255, id 256 end-of-text when the
    vocabulary has room) as a Hugging Face tokenizer: byte-level BPE with no merges, whose
    id for byte b is b. Returns the end-of-text id."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    table = _bytes_to_unicode()  # GPT-2's printable stand-in of each byte, as ByteLevel maps them
    vocab = {table[b]: b for b in range(256)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    eos = 256 if vocab_size > 256 else None
    kwargs: dict[str, Any] = {}
    if eos is not None:
        tok.add_special_tokens([BYTE_EOS])
        kwargs["eos_token"] = BYTE_EOS
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, clean_up_tokenization_spaces=False, **kwargs)
    fast.chat_template = BYTE_CHAT_TEMPLATE
    fast.save_pretrained(out_dir)
    return eos


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character table (what ByteLevel uses)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def _tokenizer_files(out_dir: str, spec: str | None, vocab_size: int) -> tuple[int | None, str]:
    """Write the checkpoint's tokenizer; returns (eos id, what was written)."""
    if spec in (None, "", "bytes", "byte"):
        return _byte_tokenizer_files(out_dir, vocab_size), "bytes"
    if spec.startswith("hf:"):
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(spec[3:])
        tok.save_pretrained(out_dir)
        return tok.eos_token_id, spec
    raise CheckpointError(f"the checkpoint names tokenizer {spec!r}; the export knows 'bytes' and 'hf:<name-or-path>'")


def _manifest_digest(manifest: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


def _existing_info(fs: Any, root: str) -> dict[str, Any] | None:
    try:
        if not fs.exists(f"{root}/config.json"):
            return None
        with fs.open(f"{root}/{EXPORT_INFO}", "rb") as fh:
            return json.loads(fh.read())
    except (FileNotFoundError, ValueError):
        return None


def export_checkpoint(checkpoint: str, output: str, select: str = "newest", dtype: str = "bf16",
                      force: bool = False, max_shard_bytes: int = 5 << 30, verify: bool = True) -> dict[str, Any]:
    """Export one checkpoint (a root, picked by ``select``, or a ``step-XXXXXXXX`` dir) to
    ``output`` (a local path or fsspec URI). Returns the export info (``skipped`` true when
    ``output`` already holds this export). Raises CheckpointError on a bad checkpoint, or when
    ``output`` holds another export and not ``force``."""
    from .serve.loader import _tokenizer_spec

    if dtype not in _DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; use one of {', '.join(_DTYPES)}")
    store, step, manifest = _resolve(checkpoint, select)
    source = store.step_uri(step)
    info = {"format": "hf-llama" if manifest.get("model_config") else "hf-save-pretrained",
            "source": source, "step": step, "manifest_sha256": _manifest_digest(manifest), "dtype": dtype}
    fs, root = fsspec.core.url_to_fs(output)
    root = root.rstrip("/")
    existing = _existing_info(fs, root)
    if existing:  # this very export: nothing to do, --force or not (an init step may run it on every start)
        same = {k: existing.get(k) for k in ("step", "manifest_sha256", "dtype", "format")}
        if same == {k: info[k] for k in same}:
            return {**existing, "skipped": True}
    if fs.exists(f"{root}/config.json") and not force:
        raise CheckpointError(f"{output} already holds another export ({(existing or {}).get('source', 'unknown')}, "
                              f"step {(existing or {}).get('step')}); pass --force to replace it")
    with tempfile.TemporaryDirectory(prefix="aiinfra-export-") as tmp:
        if manifest.get("model_config"):
            config = GPTConfig.from_dict(manifest["model_config"])
            state = load_state_for_export(store, step, manifest, verify=verify)
            weights = gpt_to_hf_state_dict(config, state, f"checkpoint {source}")
            torch_dtype = _DTYPES[dtype]
            weights = {k: v.to(torch_dtype) for k, v in weights.items()}
            del state
            _save_safetensors(weights, tmp, max_shard_bytes)
            del weights
            eos, tokenizer = _tokenizer_files(tmp, _tokenizer_spec(manifest), config.vocab_size)
            _write_json(os.path.join(tmp, "generation_config.json"),
                        {"_from_model_config": True, "bos_token_id": None, "eos_token_id": eos})
            config_json = hf_llama_config(config, torch_dtype, eos)
            info["tokenizer"] = tokenizer
        else:  # a Hugging Face model the trainer trained: save_pretrained of it
            from .hf import export_pretrained

            export_pretrained(source, tmp)
            with open(os.path.join(tmp, "config.json"), encoding="utf-8") as fh:
                config_json = json.load(fh)
            os.remove(os.path.join(tmp, "config.json"))
            hf_source = (manifest.get("hf") or {}).get("source")
            if hf_source:
                try:
                    from transformers import AutoTokenizer

                    AutoTokenizer.from_pretrained(hf_source).save_pretrained(tmp)
                    info["tokenizer"] = "hf:" + hf_source
                except (OSError, ValueError) as exc:
                    info["tokenizer"] = f"none ({exc})"
        files = sorted(os.listdir(tmp))
        _write_json(os.path.join(tmp, EXPORT_INFO), info)
        fs.makedirs(root, exist_ok=True)
        if fs.exists(f"{root}/config.json"):  # --force: no loader may see old config + new weights
            fs.rm(f"{root}/config.json")
        for name in files + [EXPORT_INFO]:
            fs.put_file(os.path.join(tmp, name), f"{root}/{name}")
        with fs.open(f"{root}/config.json", "w") as fh:  # last: its presence means complete
            fh.write(json.dumps(config_json, indent=2, sort_keys=True) + "\n")
    return {**info, "files": sorted(files + [EXPORT_INFO, "config.json"]), "output": output, "skipped": False}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m aiinfra.export",
                                description="Export a trainer checkpoint as a Hugging Face LlamaForCausalLM "
                                            "safetensors directory (for vLLM and transformers)")
    p.add_argument("--checkpoint", required=True,
                   help="checkpoint root (path, s3://, gs://, az://, memory://) or one step-XXXXXXXX directory")
    p.add_argument("--output", required=True, help="directory to write (path or fsspec URI), e.g. <checkpoint>/hf")
    p.add_argument("--select", choices=["newest", "best"], default="newest",
                   help="with a checkpoint root: the newest complete step or the best by eval loss")
    p.add_argument("--dtype", choices=sorted(_DTYPES), default="bf16", help="weights dtype in the export")
    p.add_argument("--force", action="store_true",
                   help="replace an export of another checkpoint step or dtype (this same export is always skipped)")
    p.add_argument("--max-shard-gb", type=float, default=5.0, help="largest safetensors file (GB)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Exit 0: exported, or already exported (``skipped``); 1: the checkpoint cannot be
    exported (missing, corrupt, keys that do not match); 2: bad arguments."""
    args = build_parser().parse_args(argv)
    if args.max_shard_gb <= 0:
        print("aiinfra.export: --max-shard-gb must be > 0", file=sys.stderr)
        return 2
    try:
        result = export_checkpoint(args.checkpoint, args.output, select=args.select, dtype=args.dtype,
                                   force=args.force, max_shard_bytes=int(args.max_shard_gb * (1 << 30)))
    except (CheckpointError, ValueError, OSError) as exc:
        print(f"aiinfra.export: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"event": "export_done", **result}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
