"""aiinfra: compute core of cdktf-ai-infra (GPT model, distributed trainer, checkpoints, server)."""

__version__ = "0.1.0"
