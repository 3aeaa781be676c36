"""Copy the LoRA adapter of one checkpoint to a local directory, for vLLM's ``--lora-modules``.

``python -m aiinfra.fetch_adapter --checkpoint URI --select newest|best --subdir adapter --dest DIR``

``--checkpoint`` is a fine-tuning job's checkpoint root (local or fsspec URI); the step ``--select`` picks is
the one the trainer's manifest calls complete, and every file under ``<step>/<subdir>/`` is checked against the
sha256 the manifest records before it is written, so a pod never serves a torn or altered adapter. Exit codes:
0 copied, 1 no complete checkpoint / no adapter in it / a hash mismatch, 2 bad arguments. The inference
endpoint runs it as an init container (in the trainer image) for ``job.adapter()`` references.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

from .checkpoint import CheckpointError, CheckpointStore


def fetch_adapter(checkpoint: str, dest: str, select: str = "best", subdir: str = "adapter") -> dict:
    store = CheckpointStore(checkpoint)
    step, manifest = store.select(select)
    hashes = manifest.get("files") or {}
    prefix = subdir.strip("/") + "/"
    wanted = sorted(rel for rel in hashes if rel.startswith(prefix))
    if not wanted:
        raise CheckpointError(f"checkpoint step {step} under {checkpoint!r} records no files under {prefix!r}")
    os.makedirs(dest, exist_ok=True)
    for rel in wanted:
        data = store.read_bytes(step, rel)
        if hashlib.sha256(data).hexdigest() != hashes[rel]:
            raise CheckpointError(f"{rel} of step {step} does not match its manifest sha256")
        out = os.path.join(dest, rel[len(prefix):])
        os.makedirs(os.path.dirname(out) or dest, exist_ok=True)
        tmp = f"{out}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, out)
    return {"event": "adapter_fetched", "step": step, "files": [rel[len(prefix):] for rel in wanted], "dest": dest}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aiinfra.fetch_adapter", description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True, help="checkpoint root (local path or s3:// gs:// az://)")
    parser.add_argument("--dest", required=True, help="local directory to write the adapter into")
    parser.add_argument("--select", choices=["newest", "best"], default="best")
    parser.add_argument("--subdir", default="adapter", help="the adapter's folder inside each step")
    args = parser.parse_args(argv)
    try:
        info = fetch_adapter(args.checkpoint, args.dest, args.select, args.subdir)
    except CheckpointError as exc:
        print(f"fetch_adapter: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
