"""Shared helpers of the trainer tests: tiny configs, free ports, subprocess runs with timeouts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch

TINY_MODEL = {
    "preset": None,
    "vocab_size": 64,
    "n_layer": 2,
    "n_head": 2,
    "n_kv_head": 1,
    "d_model": 32,
    "ffn_hidden": 64,
    "max_seq_len": 32,
}


def tiny_config(**over: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "seed": 7,
        "steps": 20,
        "global_batch_size": 8,
        "micro_batch_size": 4,
        "seq_len": 32,
        "lr": 3e-3,
        "warmup_steps": 3,
        "log_interval": 1,
        "eval_interval": 0,
        "eval_samples": 16,
        "checkpoint_interval": 0,
        "metrics_port": 0,
        "device": "cpu",
        "precision": "fp32",
        "dist_timeout_s": 60,
        "model": dict(TINY_MODEL),
        "data": {"source": "synthetic"},
    }
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    return cfg


def write_config(path: Path, cfg: dict[str, Any]) -> Path:
    path.write_text(json.dumps(cfg))
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIINFRA_", "RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_"))}
    env.update({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": "ignore"})
    env.update(extra)
    return env


def cli_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "aiinfra.cli", *args]


def torchrun_cmd(nproc: int, *args: str, port: int | None = None, script: str | None = None) -> list[str]:
    """torchrun running ``aiinfra.cli`` (or ``script``) with ``args``."""
    return [
        sys.executable, "-m", "torch.distributed.run",
        f"--nproc-per-node={nproc}", "--nnodes=1", "--max-restarts=0", "--monitor-interval=0.2",
        "--master-addr=127.0.0.1", f"--master-port={port or free_port()}",
        *([script] if script else ["-m", "aiinfra.cli"]), *args,
    ]


def run(cmd: list[str], timeout: float = 180, **kw: Any) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=kw.pop("env", child_env()), **kw)


def events(stdout: str, name: str | None = None) -> list[dict[str, Any]]:
    out = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if name is None or rec.get("event") == name:
            out.append(rec)
    return out


def step_losses(stdout: str) -> dict[int, float]:
    return {e["step"]: e["loss"] for e in events(stdout, "step") if e.get("rank", 0) == 0}


def wait_for(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@pytest.fixture(autouse=False)
def one_thread():
    """In-process training with one intra-op thread: deterministic and kind to a shared
    2-core machine (oversubscribed spin-waiting threads make tiny models crawl)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
