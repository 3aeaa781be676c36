"""OpenAI-compatible model server: protocol (request/response shapes), engine (continuous
batching, KV cache, scheduler), model_runner (KV-cached GPT forward), quant (int8 weights),
process (the engine in its own process), app (FastAPI), cli (``aiinfra-serve``)."""
