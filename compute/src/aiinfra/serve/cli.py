"""``aiinfra-serve``: the model server's command line (flags and env names per CONTRACT.md).

SIGTERM (or the first Ctrl-C) starts a drain: /readyz and new API requests answer 503, the
requests already accepted run to completion (at most ``--drain-timeout`` seconds), then the
server stops and the process exits 0. A second signal stops at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from types import FrameType
from typing import Any, Sequence

import uvicorn

__all__ = ["main", "build_parser"]

log = logging.getLogger("aiinfra.serve")


def _env(name: str, default: Any) -> Any:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aiinfra-serve", description="OpenAI-compatible model server with continuous batching")
    p.add_argument("--model", default=_env("AIINFRA_MODEL_URI", None),
                   help="checkpoint dir URI (local, s3://, gs://, az://, memory://) or hf:<name-or-path> [env AIINFRA_MODEL_URI]")
    p.add_argument("--select", choices=["newest", "best"], default=_env("AIINFRA_MODEL_SELECT", "newest"),
                   help="checkpoint to serve: newest complete step or best eval loss [env AIINFRA_MODEL_SELECT]")
    p.add_argument("--model-root", default=_env("AIINFRA_MODEL_ROOT", None),
                   help="comma-separated storage roots (s3://bucket/prefix, gs://..., a local dir) the model must lie under; "
                        "a hub id is then refused [env AIINFRA_MODEL_ROOT]")
    p.add_argument("--served-model-name", default=_env("AIINFRA_SERVED_MODEL_NAME", None),
                   help="model id in the API (default: last part of --model) [env AIINFRA_SERVED_MODEL_NAME]")
    p.add_argument("--host", default=_env("AIINFRA_HOST", "0.0.0.0"), help="[env AIINFRA_HOST]")
    p.add_argument("--port", type=int, default=int(_env("AIINFRA_PORT", 8000)), help="HTTP and /metrics port [env AIINFRA_PORT]")
    p.add_argument("--precision", choices=["auto", "bf16", "fp16", "fp32"], default=_env("AIINFRA_PRECISION", "auto"),
                   help="weights and KV cache dtype; auto: bf16 on GPU, fp32 on CPU [env AIINFRA_PRECISION]")
    p.add_argument("--quantization", choices=["none", "int8"], default=_env("AIINFRA_QUANTIZATION", "none"),
                   help="int8: per-channel int8 weights (CPU: int8 GEMM with per-token int8 activations; refused where "
                        "slower than fp32) [env AIINFRA_QUANTIZATION]")
    p.add_argument("--device", default=_env("AIINFRA_DEVICE", "auto"), help="auto, cpu, cuda, cuda:N [env AIINFRA_DEVICE]")
    p.add_argument("--api-keys-file", default=_env("AIINFRA_API_KEYS_FILE", None),
                   help="file with one API key per line [env AIINFRA_API_KEYS_FILE]; keys may also come from env AIINFRA_API_KEYS (comma separated)")
    p.add_argument("--max-batch-size", type=int, default=int(_env("AIINFRA_MAX_BATCH_SIZE", 64)),
                   help="running sequences (KV cache slots) [env AIINFRA_MAX_BATCH_SIZE]")
    p.add_argument("--max-num-batched-tokens", type=int, default=int(_env("AIINFRA_MAX_NUM_BATCHED_TOKENS", 2048)),
                   help="token budget per engine step (decode + prefill) [env AIINFRA_MAX_NUM_BATCHED_TOKENS]")
    p.add_argument("--max-queue", type=int, default=int(_env("AIINFRA_MAX_QUEUE", 256)),
                   help="waiting requests beyond the running batch; more get 429 [env AIINFRA_MAX_QUEUE]")
    p.add_argument("--max-model-len", type=int, default=int(_env("AIINFRA_MAX_MODEL_LEN", 0)) or None,
                   help="context length (default: the model's) [env AIINFRA_MAX_MODEL_LEN]")
    p.add_argument("--request-timeout", type=float, default=float(_env("AIINFRA_REQUEST_TIMEOUT", 600)),
                   help="seconds from arrival to the last token [env AIINFRA_REQUEST_TIMEOUT]")
    p.add_argument("--max-prompts-per-request", type=int, default=int(_env("AIINFRA_MAX_PROMPTS_PER_REQUEST", 128)),
                   help="prompts in one /v1/completions request; more get 400 [env AIINFRA_MAX_PROMPTS_PER_REQUEST]")
    p.add_argument("--max-request-bytes", type=int, default=int(_env("AIINFRA_MAX_REQUEST_BYTES", 1 << 20)),
                   help="largest request body [env AIINFRA_MAX_REQUEST_BYTES]")
    p.add_argument("--drain-timeout", type=float, default=float(_env("AIINFRA_DRAIN_TIMEOUT", 120)),
                   help="after SIGTERM, longest wait for in-flight requests [env AIINFRA_DRAIN_TIMEOUT]")
    p.add_argument("--threads", type=int, default=int(_env("AIINFRA_THREADS", 0)),
                   help="torch CPU threads (0: torch's default) [env AIINFRA_THREADS]")
    p.add_argument("--engine-process", action=argparse.BooleanOptionalAction,
                   default=_env("AIINFRA_ENGINE_PROCESS", "1") not in ("0", "false", "no"),
                   help="run the engine in its own process (default) rather than a thread of the HTTP "
                        "process [env AIINFRA_ENGINE_PROCESS]")
    p.add_argument("--log-level", default=_env("AIINFRA_LOG_LEVEL", "info"), help="[env AIINFRA_LOG_LEVEL]")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.model:
        print("aiinfra-serve: --model (or env AIINFRA_MODEL_URI) is required", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from .app import ServerConfig, ServerState, create_app, load_api_keys, start_loader
    from .process import start_engine_process
    from .types import EngineConfig

    if not args.engine_process:
        # An engine thread gives up the GIL inside every torch op and must win it back from the
        # event loop thread; a shorter switch interval than the default 5 ms shortens that wait.
        sys.setswitchinterval(0.0005)
    try:
        keys = load_api_keys(args.api_keys_file, os.environ.get("AIINFRA_API_KEYS"))
    except OSError as exc:
        print(f"aiinfra-serve: cannot read the API keys file: {exc}", file=sys.stderr)
        return 2
    # No log line of this process prints a key, whatever raised or logged it (metrics carry no key either:
    # their only label is the status code).
    from ..logs import redact_in_logs

    redact_in_logs(keys)
    engine_config = EngineConfig(
        max_batch_size=args.max_batch_size,
        max_num_batched_tokens=args.max_num_batched_tokens,
        max_waiting=args.max_queue,
        max_model_len=args.max_model_len,
    )
    try:
        engine_config.validate()
        if args.max_prompts_per_request < 1:
            raise ValueError(f"--max-prompts-per-request must be >= 1, got {args.max_prompts_per_request}")
    except ValueError as exc:
        print(f"aiinfra-serve: {exc}", file=sys.stderr)
        return 2
    state = ServerState(ServerConfig(
        api_keys=keys,
        max_request_bytes=args.max_request_bytes,
        max_prompts_per_request=args.max_prompts_per_request,
        request_timeout=args.request_timeout,
        drain_timeout=args.drain_timeout,
    ))

    from ..safety import UnsafeInputError, parse_roots
    from .loader import check_model_source

    roots = parse_roots(args.model_root)
    try:
        check_model_source(args.model, args.served_model_name, roots)
    except UnsafeInputError as exc:
        print(f"aiinfra-serve: {exc}", file=sys.stderr)
        return 2
    load_kwargs = dict(uri=args.model, select=args.select, precision=args.precision,
                       quantization=args.quantization, device=args.device, name=args.served_model_name, roots=roots)

    def load() -> tuple[Any, str, dict[str, Any]]:
        if args.engine_process:
            engine, name, info = start_engine_process({**load_kwargs, "log_level": args.log_level},
                                                      engine_config, state.metrics, threads=args.threads,
                                                      cancel=state.cancel_load)
            engine.on_dead = lambda message: setattr(state, "fatal_error", message)
            return engine, name, info
        import torch

        from .engine import Engine
        from .loader import load_model
        from .model_runner import ModelRunner

        if args.threads > 0:
            torch.set_num_threads(args.threads)
        loaded = load_model(**load_kwargs)
        engine = Engine(lambda slots, max_len: ModelRunner(loaded.model, slots, max_len), loaded.tokenizer,
                        engine_config, metrics=state.metrics, model_max_len=loaded.model.config.max_seq_len)
        return engine, loaded.name, loaded.info

    server: _DrainingServer | None = None

    def failed(_: str) -> None:
        if server is not None:
            server.should_exit = True

    app = create_app(state, on_startup=lambda st: start_loader(st, load, failed))
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level.lower(),
                            timeout_graceful_shutdown=30, access_log=False)
    server = _DrainingServer(config, state)
    server.run()
    if state.load_error:
        print(f"aiinfra-serve: model load failed: {state.load_error}", file=sys.stderr)
        return 1
    if state.fatal_error:
        print(f"aiinfra-serve: {state.fatal_error}", file=sys.stderr)
        return 1
    return 0


class _DrainingServer(uvicorn.Server):
    """uvicorn.Server whose first SIGTERM/SIGINT drains instead of stopping."""

    def __init__(self, config: Any, state: Any) -> None:
        super().__init__(config)
        self.state = state
        self.drain_started: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.drain_started is None:
            self.drain_started = time.monotonic()
            self.state.draining = True
            log.info("received %s: draining (no new requests, finishing %d in flight)",
                     signal.Signals(sig).name, self.state.inflight + (self.state.engine.num_running + self.state.engine.num_waiting if self.state.engine else 0))
            return
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True

    async def on_tick(self, counter: int) -> bool:
        if self.state.fatal_error and not self.should_exit:
            log.error("%s; stopping", self.state.fatal_error)
            self.should_exit = True
        if self.drain_started is not None and not self.should_exit:
            waited = time.monotonic() - self.drain_started
            if self.state.idle():
                log.info("drained in %.1f s; stopping", waited)
                self.should_exit = True
            elif waited > self.state.config.drain_timeout:
                log.warning("drain timeout (%.0f s) with requests in flight; stopping", waited)
                self.should_exit = True
        return await super().on_tick(counter)


if __name__ == "__main__":
    sys.exit(main())
