"""Prometheus metrics of the trainer (names are part of compute/CONTRACT.md) and the
device peak-FLOPs table used for model FLOPs utilization (MFU)."""

from __future__ import annotations

import os

import torch
from prometheus_client import CollectorRegistry, Counter, Gauge, Info, start_http_server

# Dense (no sparsity) peak tensor-core throughput in TFLOP/s, by a substring of the CUDA
# device name: (bf16/fp16, tf32). Sources: NVIDIA data sheets (SXM parts unless named).
PEAK_TFLOPS: list[tuple[str, float, float]] = [
    ("GB200", 2500.0, 1250.0),
    ("B200", 2250.0, 1100.0),
    ("H200", 989.4, 494.7),
    ("H100 PCIe", 756.0, 378.0),
    ("H100 NVL", 835.0, 417.5),
    ("H100", 989.4, 494.7),
    ("H800", 989.4, 494.7),
    ("GH200", 989.4, 494.7),
    ("A100", 312.0, 156.0),
    ("A800", 312.0, 156.0),
    ("L40S", 362.1, 181.0),
    ("L40", 181.0, 90.5),
    ("L4", 121.0, 60.0),
    ("A10G", 70.0, 35.0),
    ("A10", 125.0, 62.5),
    ("RTX 4090", 165.2, 82.6),
    ("V100", 125.0, 15.7),
    ("T4", 65.0, 8.1),
]


def device_peak_flops(device: torch.device, precision: str, override_tflops: float | None = None) -> tuple[float | None, str]:
    """(peak FLOP/s or None, label). None on CPU or an unknown GPU: no MFU is reported then,
    unless ``override_tflops`` (config ``peak_tflops``) gives the peak."""
    if override_tflops:
        return override_tflops * 1e12, "configured"
    if device.type != "cuda":
        return None, "cpu (no peak table entry; MFU not reported)"
    name = torch.cuda.get_device_name(device)
    for key, low, tf32 in PEAK_TFLOPS:
        if key in name:
            peak = low if precision in ("bf16", "fp16") else tf32
            return peak * 1e12, name
    return None, f"{name} (not in the peak table; set peak_tflops for MFU)"


class TrainMetrics:
    """The trainer's gauges and counters in their own registry; served on ``port`` when
    ``serve`` (local rank 0 of each node) so that a pod exposes exactly one endpoint."""

    def __init__(self, port: int, serve: bool, mfu_available: bool, labels: dict[str, str] | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.step = Gauge("aiinfra_train_step", "Last completed optimizer step", registry=r)
        self.loss = Gauge("aiinfra_train_loss", "Training loss (mean over ranks) at the last logged step", registry=r)
        self.tokens_per_second = Gauge(
            "aiinfra_train_tokens_per_second", "Training throughput over all ranks, tokens per second", registry=r
        )
        # Absent (not a fake 0) when the device peak is unknown, e.g. on CPU.
        self.mfu = (
            Gauge(
                "aiinfra_train_mfu",
                "Model FLOPs utilization (0-1): model training FLOPs per second / device peak",
                registry=r,
            )
            if mfu_available
            else None
        )
        self.step_seconds = Gauge("aiinfra_train_step_seconds", "Mean wall time per optimizer step since the previous logged step", registry=r)
        self.last_checkpoint = Gauge(
            "aiinfra_train_last_checkpoint_timestamp_seconds",
            "Unix time when the last complete checkpoint (manifest) was written",
            registry=r,
        )
        # Lets the stale-checkpoint alert fire for a run that never wrote a checkpoint since it (re)started.
        self.start_time = Gauge(
            "aiinfra_train_start_timestamp_seconds",
            "Unix time when this trainer process started (the run began or resumed)",
            registry=r,
        )
        self.start_time.set_to_current_time()
        self.restarts = Counter(
            "aiinfra_train_restarts", "Times this run resumed from a checkpoint (restarts)", registry=r
        )
        self.gpu_memory = Gauge(
            "aiinfra_train_gpu_memory_bytes", "Peak GPU memory allocated by this process", registry=r
        )
        self.val_loss = Gauge("aiinfra_train_val_loss", "Validation loss at the last evaluation", registry=r)
        self.info = Info("aiinfra_train", "Trainer run information", registry=r)
        if labels:
            self.info.info(labels)
        self.port = None
        if serve and port:
            # AIINFRA_METRICS_ADDR: listen address (default all interfaces, as a pod needs).
            addr = os.environ.get("AIINFRA_METRICS_ADDR", "0.0.0.0")
            try:
                start_http_server(port, addr=addr, registry=r)
                self.port = port
            except OSError as exc:
                # Training matters more than its metrics: report loudly and go on.
                from .logs import log_event

                log_event("metrics_unavailable", level=40, port=port, addr=addr, error=str(exc))

    def set_mfu(self, value: float | None) -> None:
        if self.mfu is not None and value is not None:
            self.mfu.set(value)
