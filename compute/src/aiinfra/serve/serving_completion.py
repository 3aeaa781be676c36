"""``POST /v1/completions`` (as vLLM's ``serving_completion``): prompts (strings or token ids,
several per request), ``echo``, streaming or one JSON response with ``token_ids`` per choice."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from .protocol import CompletionFormat, CompletionRequest, usage_json
from .serving_engine import ApiError, OpenAIServing

__all__ = ["OpenAIServingCompletion"]


class OpenAIServingCompletion(OpenAIServing):
    async def create(self, request: Request) -> Response:
        engine = self.gate(request)
        with self.inflight():
            body = await self.read_json(request)
            self.check_prompt_count(body, engine)  # before validating or tokenizing anything
            req: CompletionRequest = self.validate(CompletionRequest, body)
            model = self.check_model(req)
            tok = engine.tokenizer
            texts = req.prompts()
            encoded = await self.off_loop(lambda: [tok.encode(p) if isinstance(p, str) else list(p) for p in texts],
                                          sum(len(p) for p in texts))
            prompts: list[list[int]] = []
            for ids in encoded:
                if not ids:
                    raise ApiError(400, "prompt must not be empty", "invalid_request_error", "invalid_value", "prompt")
                if any(t < 0 or t >= engine.vocab_size for t in ids):
                    raise ApiError(400, "prompt token ids must be within the vocabulary", "invalid_request_error",
                                   "invalid_value", "prompt")
                prompts.append(ids)
            params = [self.sampling(req, req.max_tokens, len(ids), engine, self.cfg.default_max_tokens)
                      for ids in prompts]
            echo = [tok.decode(ids) if req.echo else "" for ids in prompts]
            seqs, queue = self.submit_all(engine, prompts, params)
            fmt = CompletionFormat(model)
            if req.stream:
                return self.stream_response(engine, seqs, queue, first=lambda i: fmt.stream_first(i, echo[i]),
                                            chunk=fmt.stream_chunk_ids if req.return_token_ids else fmt.stream_chunk,
                                            final_usage=fmt.stream_usage if req.include_usage() else None,
                                            with_ids=req.return_token_ids)
            results = await self.run_blocking(request, engine, seqs, queue)
            self.check_results(results)
            return JSONResponse(fmt.response(
                [(echo[i] + text, out.finish_reason, ids) for i, (text, ids, out) in enumerate(results)],
                usage_json(sum(len(p) for p in prompts), sum(out.completion_tokens for _, _, out in results)),
            ))
