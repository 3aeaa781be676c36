"""Prometheus metrics of the server (names fixed by compute/CONTRACT.md; the alert rules and
dashboards of MonitoringStack use them). Each server has its own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["ServerMetrics"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
_ITL_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 1.0, 2.5)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256)


class ServerMetrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter("aiinfra_server_requests_total", "HTTP API requests by status code", ["code"], registry=r)
        self.duration = Histogram(
            "aiinfra_server_request_duration_seconds", "API request duration (to the last byte)",
            buckets=_LATENCY_BUCKETS, registry=r,
        )
        self.ttft = Histogram(
            "aiinfra_server_time_to_first_token_seconds", "Time from arrival to the first generated token",
            buckets=_LATENCY_BUCKETS, registry=r,
        )
        self.itl = Histogram(
            "aiinfra_server_inter_token_latency_seconds", "Time between consecutive tokens of a request",
            buckets=_ITL_BUCKETS, registry=r,
        )
        self.queue_depth = Gauge("aiinfra_server_queue_depth", "Requests waiting for a batch slot", registry=r)
        self.running = Gauge("aiinfra_server_running_requests", "Requests in the running batch", registry=r)
        self.batch_size = Histogram(
            "aiinfra_server_batch_size", "Sequences per decode step", buckets=_BATCH_BUCKETS, registry=r
        )
        self.kv_usage = Gauge("aiinfra_server_kv_cache_usage_ratio", "Fraction of KV cache positions in use", registry=r)
        self.prompt_tokens = Counter("aiinfra_server_prompt_tokens_total", "Prompt tokens prefilled", registry=r)
        self.generation_tokens = Counter("aiinfra_server_generation_tokens_total", "Tokens generated", registry=r)

    # the engine's metrics interface
    def observe_batch(self, n: int) -> None:
        self.batch_size.observe(n)

    def observe_ttft(self, s: float) -> None:
        self.ttft.observe(s)

    def observe_itl(self, s: float) -> None:
        self.itl.observe(s)

    def add_prompt_tokens(self, n: int) -> None:
        self.prompt_tokens.inc(n)

    def add_generation_tokens(self, n: int) -> None:
        self.generation_tokens.inc(n)

    def set_queue(self, waiting: int, running: int, kv_usage: float) -> None:
        self.queue_depth.set(waiting)
        self.running.set(running)
        self.kv_usage.set(kv_usage)

    def render(self) -> bytes:
        return generate_latest(self.registry)
