"""``POST /v1/chat/completions`` (as vLLM's ``serving_chat``): messages through the tokenizer's
chat template, one choice, streaming (``chat.completion.chunk`` deltas) or one JSON response."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from .protocol import ChatCompletionRequest, ChatFormat, usage_json
from .serving_engine import ApiError, OpenAIServing

__all__ = ["OpenAIServingChat"]


class OpenAIServingChat(OpenAIServing):
    async def create(self, request: Request) -> Response:
        engine = self.gate(request)
        with self.inflight():
            req: ChatCompletionRequest = self.validate(ChatCompletionRequest, await self.read_json(request))
            model = self.check_model(req)
            try:
                messages = [{"role": m.role, "content": m.text()} for m in req.messages]
            except ValueError as exc:
                raise ApiError(400, str(exc), "invalid_request_error", "invalid_value", "messages") from None
            ids = await self.off_loop(lambda: engine.tokenizer.chat_prompt(messages),
                                      sum(len(m["content"]) for m in messages))
            params = self.sampling(req, req.effective_max_tokens(), len(ids), engine, None)
            seqs, queue = self.submit_all(engine, [ids], [params])
            fmt = ChatFormat(model)
            if req.stream:
                return self.stream_response(engine, seqs, queue, first=fmt.stream_first, chunk=fmt.stream_chunk,
                                            final_usage=fmt.stream_usage if req.include_usage() else None)
            results = await self.run_blocking(request, engine, seqs, queue)
            self.check_results(results)
            [(text, _, out)] = results
            return JSONResponse(fmt.response(text, out.finish_reason, usage_json(len(ids), out.completion_tokens)))
