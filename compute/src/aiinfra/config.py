"""Typed trainer configuration.

Sources, lowest to highest precedence: dataclass defaults, a JSON/YAML file (``--config`` or
env ``AIINFRA_CONFIG``), environment variables (``AIINFRA_CHECKPOINT_DIR``,
``AIINFRA_METRICS_PORT``), then command-line flags (``--checkpoint-dir``, ``--set a.b=v`` ...).
Every problem is reported at once as a :class:`ConfigError` with the key path, the value and
what is allowed; unknown keys come with a "did you mean" suggestion.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

import yaml

from .model import GPTConfig, load_presets
from .safety import UnsafeInputError, check_location, check_name, parse_roots


class ConfigError(ValueError):
    """A configuration problem that the user can fix; the message says how."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("invalid trainer config:\n  - " + "\n  - ".join(self.problems))


@dataclass
class ModelConfig:
    """Model: a preset from presets.json, optionally with dims overridden; or a Hugging Face
    causal LM (``hf``: directory or hub name for from_pretrained; ``hf_config``: a config
    mapping with ``model_type`` for a fresh model). Needs ``transformers`` for the latter two."""

    preset: str | None = "gpt-tiny"
    hf: str | None = None
    hf_config: dict[str, Any] | None = None
    vocab_size: int | None = None
    n_layer: int | None = None
    n_head: int | None = None
    n_kv_head: int | None = None
    d_model: int | None = None
    ffn_hidden: int | None = None
    max_seq_len: int | None = None
    rope_theta: float | None = None
    norm_eps: float | None = None
    tie_embeddings: bool | None = None
    # GPT only: start from the weights of a trainer checkpoint (a root: its newest; or one
    # step-XXXXXXXX directory), e.g. to fine-tune a pre-trained model
    init_from: str | None = None

    def to_gpt_config(self) -> GPTConfig:
        overrides = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ("preset", "hf", "hf_config", "init_from") and getattr(self, f.name) is not None
        }
        try:
            if self.preset:
                return GPTConfig.from_preset(self.preset, **overrides)
            return GPTConfig(**overrides)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None


@dataclass
class DataConfig:
    """Training data.

    source: ``synthetic`` (a learnable generated task, for tests and benchmarks) or
    ``tokens`` (a nanoGPT-style flat binary file of token ids).
    path: for ``tokens``: a ``.bin`` file (the last ``val_fraction`` of it is the validation
    split) or a directory holding ``train.bin`` and ``val.bin``; local or any fsspec URI
    (``s3://``, ``gs://``, ``az://``, ``memory://``). Remote files are copied once to
    ``cache_dir`` and memory-mapped from there.
    """

    source: Literal["synthetic", "tokens", "sft"] = "synthetic"
    path: str | None = None
    dtype: Literal["uint16", "uint32"] = "uint16"
    val_fraction: float = 0.05
    cache_dir: str = "/tmp/aiinfra-data"
    # sft only (aiinfra/sft.py): tokenizer directory (default model.hf), a Jinja chat template
    # instead of the tokenizer's, and whether several conversations share a row
    tokenizer: str | None = None
    chat_template: str | None = None
    pack: bool = True


LORA_GPT_TARGETS = ("wq", "wk", "wv", "wo", "w1", "w2", "w3")


@dataclass
class LoraConfig:
    """LoRA (PEFT): ``rank`` 0 = off (full fine-tuning). ``target_modules``: names of Linear
    modules (the last part of the module path); default: every attention and MLP projection
    (GPT: wq wk wv wo w1 w2 w3; Hugging Face: PEFT's 'all-linear', the output head excepted)."""

    rank: int = 0
    alpha: float | None = None  # default: 2 x rank
    dropout: float = 0.0
    target_modules: list[str] | None = None


@dataclass
class TrainConfig:
    run_name: str = "run"
    seed: int = 1337
    steps: int = 1000
    global_batch_size: int = 8
    micro_batch_size: int = 8
    seq_len: int = 256

    lr: float = 3e-4
    min_lr_ratio: float = 0.1
    warmup_steps: int = 100
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    adam_eps: float = 1e-8
    grad_clip: float = 1.0

    device: Literal["auto", "cpu", "cuda"] = "auto"
    strategy: Literal["ddp", "fsdp"] = "fsdp"
    precision: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    compile: bool = False
    activation_checkpointing: bool = False
    fsdp_reduce_every_micro: bool = False
    tf32: bool = True
    fused_adamw: Literal["auto", "on", "off"] = "auto"
    dist_timeout_s: float = 600.0

    eval_interval: int = 100
    eval_samples: int = 64
    log_interval: int = 10

    checkpoint_dir: str | None = None
    # Comma-separated storage roots (the bucket or prefix this job was given): checkpoint_dir, data.path and a
    # local model.hf must lie under one of them; a hub id is then refused. Empty: any location without traversal.
    storage_root: str | None = None
    checkpoint_interval: int = 500
    checkpoint_async: bool = True
    keep_last: int = 3
    keep_best: bool = True
    resume: bool = True
    verify_checkpoint: bool = True

    metrics_port: int = 9095
    peak_tflops: float | None = None

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    lora: LoraConfig = field(default_factory=LoraConfig)

    # ------------------------------------------------------------------ helpers
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def gpt_config(self) -> GPTConfig:
        return self.model.to_gpt_config()

    @property
    def is_hf(self) -> bool:
        return bool(self.model.hf or self.model.hf_config)

    def grad_accum_steps(self, world_size: int) -> int:
        per_step = self.micro_batch_size * world_size
        if self.global_batch_size % per_step != 0:
            raise ConfigError(
                f"global_batch_size ({self.global_batch_size}) must be divisible by "
                f"micro_batch_size x world size ({self.micro_batch_size} x {world_size} = {per_step}); "
                f"try global_batch_size={max(per_step, self.global_batch_size // per_step * per_step)}"
            )
        return self.global_batch_size // per_step

    def _location_problems(self) -> list[str]:
        """Path traversal and locations outside storage_root (aiinfra.safety)."""
        roots = parse_roots(self.storage_root)
        problems: list[str] = []
        checks = [("checkpoint_dir", self.checkpoint_dir), ("data.path", self.data.path)]
        for key, value in checks:
            if value:
                try:
                    check_location(value, key, roots)
                except UnsafeInputError as exc:
                    problems.append(str(exc))
        hf = self.model.hf
        if hf:
            try:
                if "://" in hf or hf.startswith(("/", ".")) or os.path.isdir(hf):
                    check_location(hf, "model.hf", roots)
                else:
                    check_name(hf, "model.hf (Hugging Face hub id)")
                    if roots:
                        problems.append(f"model.hf {hf!r} downloads from the Hugging Face hub, outside storage_root ({', '.join(roots)})")
            except UnsafeInputError as exc:
                problems.append(str(exc))
        return problems

    def validate(self) -> None:
        problems: list[str] = []

        def positive(name: str, value: Any, allow_zero: bool = False) -> None:
            if value < 0 or (value == 0 and not allow_zero):
                problems.append(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")

        positive("steps", self.steps)
        positive("global_batch_size", self.global_batch_size)
        positive("micro_batch_size", self.micro_batch_size)
        positive("seq_len", self.seq_len)
        positive("lr", self.lr)
        positive("warmup_steps", self.warmup_steps, allow_zero=True)
        positive("weight_decay", self.weight_decay, allow_zero=True)
        positive("grad_clip", self.grad_clip, allow_zero=True)
        positive("eval_interval", self.eval_interval, allow_zero=True)
        positive("eval_samples", self.eval_samples, allow_zero=True)
        positive("log_interval", self.log_interval)
        positive("checkpoint_interval", self.checkpoint_interval, allow_zero=True)
        positive("keep_last", self.keep_last)
        positive("dist_timeout_s", self.dist_timeout_s)
        if not 0.0 <= self.min_lr_ratio <= 1.0:
            problems.append(f"min_lr_ratio must be in [0, 1], got {self.min_lr_ratio!r}")
        for name in ("beta1", "beta2"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                problems.append(f"{name} must be in [0, 1), got {value!r}")
        positive("adam_eps", self.adam_eps)
        if not 0 <= self.metrics_port <= 65535:
            problems.append(f"metrics_port must be 0 (off) or a TCP port, got {self.metrics_port!r}")
        if self.peak_tflops is not None:
            positive("peak_tflops", self.peak_tflops)
        if self.global_batch_size > 0 and self.micro_batch_size > 0 and self.global_batch_size % self.micro_batch_size:
            problems.append(
                f"global_batch_size ({self.global_batch_size}) must be a multiple of micro_batch_size ({self.micro_batch_size})"
            )
        if self.model.hf and self.model.hf_config:
            problems.append("set model.hf or model.hf_config, not both")
        if self.is_hf:
            pass  # dims come from the Hugging Face config, checked when the model is built
        elif self.model.preset is not None and self.model.preset not in load_presets():
            presets = sorted(load_presets())
            hint = difflib.get_close_matches(self.model.preset, presets, n=1)
            problems.append(
                f"model.preset {self.model.preset!r} is not a preset"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; available: {presets}"
            )
        else:
            try:
                gpt = self.gpt_config()
            except ConfigError as exc:
                problems.extend(exc.problems)
            else:
                if self.seq_len > gpt.max_seq_len:
                    problems.append(
                        f"seq_len ({self.seq_len}) exceeds the model's max_seq_len ({gpt.max_seq_len}); "
                        "lower seq_len or set model.max_seq_len"
                    )
        problems.extend(self._location_problems())
        if self.data.source in ("tokens", "sft") and not self.data.path:
            problems.append(f"data.path is required when data.source is {self.data.source!r}")
        if self.data.source == "sft" and not (self.data.tokenizer or self.model.hf):
            problems.append("data.source 'sft' needs a tokenizer: set data.tokenizer (a directory with tokenizer files) or model.hf")
        if self.model.init_from and self.is_hf:
            problems.append("model.init_from is for the GPT; a Hugging Face model starts from model.hf")
        lora = self.lora
        if not 0 <= lora.rank <= 1024:
            problems.append(f"lora.rank must be 0 (off) to 1024, got {lora.rank!r}")
        if lora.alpha is not None and lora.alpha <= 0:
            problems.append(f"lora.alpha must be > 0, got {lora.alpha!r}")
        if not 0.0 <= lora.dropout < 1.0:
            problems.append(f"lora.dropout must be in [0, 1), got {lora.dropout!r}")
        if lora.rank and not self.is_hf and lora.target_modules:
            unknown = sorted(set(lora.target_modules) - set(LORA_GPT_TARGETS))
            if unknown:
                problems.append(f"lora.target_modules {unknown} are not Linear modules of the GPT; allowed: {list(LORA_GPT_TARGETS)}")
        if lora.rank and not self.is_hf and not self.model.init_from:
            problems.append("lora on the GPT needs pre-trained weights: set model.init_from (a trainer checkpoint)")
        if not 0.0 <= self.data.val_fraction < 1.0:
            problems.append(f"data.val_fraction must be in [0, 1), got {self.data.val_fraction!r}")
        if problems:
            raise ConfigError(problems)


# ---------------------------------------------------------------------- parsing
def _type_name(tp: Any) -> str:
    if get_origin(tp) is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if get_origin(tp) in (Union, types.UnionType):
        return " | ".join(_type_name(a) for a in get_args(tp))
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, key: str, problems: list[str]) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        errors: list[str] = []
        for arg in args:
            if arg is type(None):
                continue
            sub: list[str] = []
            out = _coerce(value, arg, key, sub)
            if not sub:
                return out
            errors.extend(sub)
        problems.append(f"{key}: expected {_type_name(tp)}, got {value!r}")
        return value
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            hint = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
            problems.append(
                f"{key}: {value!r} is not one of {list(allowed)}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
            )
        return value
    if origin is list:
        if not isinstance(value, list):
            problems.append(f"{key}: expected a list, got {value!r}")
            return value
        (item,) = get_args(tp) or (Any,)
        return [_coerce(v, item, f"{key}[{i}]", problems) for i, v in enumerate(value)]
    if origin is dict:
        if isinstance(value, dict):
            return value
        problems.append(f"{key}: expected a mapping, got {value!r}")
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            return value.lower() in ("true", "1", "yes", "on")
        problems.append(f"{key}: expected a boolean, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        problems.append(f"{key}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        problems.append(f"{key}: expected a number, got {value!r}")
        return value
    if tp is str:
        if isinstance(value, str):
            return value
        problems.append(f"{key}: expected a string, got {value!r}")
        return value
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            problems.append(f"{key}: expected a mapping, got {value!r}")
            return tp()
        return _build(tp, value, key + ".", problems)
    return value


def _build(cls: type, data: dict[str, Any], prefix: str, problems: list[str]) -> Any:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            hint = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
            problems.append(
                f"unknown key {prefix}{key!s}"
                + (f" (did you mean {prefix}{hint[0]}?)" if hint else f"; known keys: {', '.join(names)}")
            )
            continue
        before = len(problems)
        coerced = _coerce(value, hints[key], prefix + key, problems)
        if len(problems) == before:
            kwargs[key] = coerced  # a bad value is reported and the default kept, so that
            # the remaining checks still run and every problem is reported at once
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        problems.append(str(exc))
        return cls()


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_config_file(path: str) -> dict[str, Any]:
    import fsspec

    try:
        with fsspec.open(path, "r", encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise ConfigError(f"config file {path!r} does not exist") from None
    try:
        data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {path!r} is not valid {'JSON' if path.endswith('.json') else 'YAML'}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path!r} must hold a mapping at the top level, got {type(data).__name__}")
    return data


def parse_override(item: str) -> dict[str, Any]:
    """``a.b=value`` -> {"a": {"b": value}}; the value is parsed as YAML (numbers, bools, null)."""
    if "=" not in item:
        raise ConfigError(f"--set expects key=value, got {item!r}")
    key, raw = item.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw != "" else ""
    except yaml.YAMLError:
        value = raw
    out: dict[str, Any] = {}
    cur = out
    parts = key.strip().split(".")
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
    cur[parts[-1]] = value
    return out


ENV_KEYS = {
    "AIINFRA_CHECKPOINT_DIR": "checkpoint_dir",
    "AIINFRA_STORAGE_ROOT": "storage_root",
    "AIINFRA_METRICS_PORT": "metrics_port",
}


def load_config(
    path: str | None = None,
    overrides: list[dict[str, Any]] | None = None,
    env: typing.Mapping[str, str] | None = None,
) -> TrainConfig:
    """Build and validate a TrainConfig from file, env and overrides (highest last)."""
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    path = path or env.get("AIINFRA_CONFIG") or None
    if path:
        data = read_config_file(path)
    for var, key in ENV_KEYS.items():
        if env.get(var):
            data = _merge(data, {key: env[var]})
    for over in overrides or []:
        data = _merge(data, over)
    return config_from_dict(data)


def config_from_dict(data: dict[str, Any]) -> TrainConfig:
    problems: list[str] = []
    cfg = _build(TrainConfig, data, "", problems)
    try:
        cfg.validate()
    except ConfigError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return cfg
