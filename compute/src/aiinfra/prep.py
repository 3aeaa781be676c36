"""Data preparation: raw records in the bucket -> cleaned, deduplicated, deterministically split datasets that the
trainer reads, published atomically with a data manifest.

``python -m aiinfra.prep --source s3://b/raw/chat/ --output s3://b/datasets/chat --run <id> --validation 0.02 --test 0.02
[--format jsonl|parquet|text] [--tokenizer bytes|<dir with tokenizer.json>] [--text-field text]``

- Reads every ``.jsonl`` / ``.parquet`` / ``.txt`` object under the source prefix (``--format`` picks one; ``auto``
  takes each file by its suffix), in name order.
- Cleans: drops empty records, drops exact duplicates (sha256 of the record's canonical JSON), keeping the first.
- Splits by that hash: a record's split is a function of its content alone, so a record never moves between train
  and test when records are added or removed, and two runs on the same data make the same split.
- Writes ``train.jsonl`` / ``validation.jsonl`` / ``test.jsonl`` (for fine-tuning and evaluation) and, with a
  tokenizer, the trainer's token files ``train.bin`` / ``val.bin`` / ``test.bin`` (documents joined by the EOS token).
- Large inputs: ``--shard-index i --shard-count n`` (a Kubernetes Indexed Job's ``JOB_COMPLETION_INDEX``) makes each
  worker keep the records whose hash falls in its partition, so duplicates meet in one worker; ``--publish`` then
  joins the parts. Each part is written under ``<output>/runs/<run>/parts/<i>/``.
- Atomic: everything is written under ``<output>/runs/<run>/``; the dataset exists only once ``manifest.json`` there is
  written and ``<output>/current.json`` names the run (one small write, last). A failed run publishes nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import fsspec
import numpy as np

SPLITS = ("train", "validation", "test")
TOKEN_FILES = {"train": "train.bin", "validation": "val.bin", "test": "test.bin"}  # the trainer's names (data.py)
SUFFIXES = {".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".txt": "text"}


class PrepError(ValueError):
    """Bad arguments or input the step cannot prepare."""


@dataclass
class SplitConfig:
    validation: float
    test: float

    def __post_init__(self) -> None:
        for name in ("validation", "test"):
            v = getattr(self, name)
            if not 0 <= v < 0.5:
                raise PrepError(f"--{name} {v}: use a fraction in [0, 0.5)")
        if self.validation + self.test >= 1:
            raise PrepError("--validation + --test must be below 1")

    def split_of(self, digest: bytes) -> str:
        # The first 8 bytes of the record's sha256 as a number in [0, 1): uniform and content-only.
        u = int.from_bytes(digest[:8], "big") / 2**64
        if u < self.test:
            return "test"
        if u < self.test + self.validation:
            return "validation"
        return "train"


def canonical(record: Any) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def is_empty(record: Any) -> bool:
    if record is None:
        return True
    if isinstance(record, str):
        return not record.strip()
    if isinstance(record, dict):
        return all(is_empty(v) for v in record.values())
    if isinstance(record, list):
        return all(is_empty(v) for v in record)
    return False


def input_files(source: str, fmt: str) -> list[tuple[str, dict[str, Any]]]:
    """(uri, object info) of every input under the source prefix, in name order."""
    fs, path = fsspec.core.url_to_fs(source)
    paths = [path] if fs.isfile(path) else sorted(fs.find(path))
    protocol = source.split("://", 1)[0] + "://" if "://" in source else ""
    out = []
    for p in paths:
        kind = SUFFIXES.get(os.path.splitext(p)[1].lower())
        if kind and (fmt == "auto" or kind == fmt):
            out.append((protocol + p, fs.info(p)))
    if not out:
        raise PrepError(f"no {fmt if fmt != 'auto' else 'jsonl/parquet/text'} files under {source!r}")
    return out


def read_records(uri: str) -> Iterator[Any]:
    kind = SUFFIXES[os.path.splitext(uri)[1].lower()]
    with fsspec.open(uri, "rb") as fh:
        if kind == "parquet":
            import pyarrow.parquet as pq

            yield from pq.read_table(io.BytesIO(fh.read())).to_pylist()
            return
        for n, line in enumerate(io.TextIOWrapper(fh, encoding="utf-8"), 1):
            if kind == "text":
                yield {"text": line.rstrip("\n")}
                continue
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as err:
                raise PrepError(f"{uri}:{n}: not JSON ({err.msg})") from err


def object_version(info: dict[str, Any]) -> str | None:
    """The store's own version of an input object (S3 VersionId/ETag, GCS generation, Azure etag, local mtime)."""
    for key in ("VersionId", "generation", "ETag", "etag", "mtime"):
        if info.get(key) is not None:
            return f"{key}:{info[key]}"
    return None


@dataclass
class Part:
    counts: dict[str, int] = field(default_factory=lambda: {"read": 0, "empty": 0, "duplicate": 0})
    records: dict[str, list[bytes]] = field(default_factory=lambda: {s: [] for s in SPLITS})


def prepare_part(files: list[str], split: SplitConfig, index: int, count: int) -> Part:
    part, seen = Part(), set()
    for uri in files:
        for record in read_records(uri):
            part.counts["read"] += 1
            if is_empty(record):
                part.counts["empty"] += 1
                continue
            data = canonical(record)
            digest = hashlib.sha256(data).digest()
            if int.from_bytes(digest[8:16], "big") % count != index:
                continue  # another worker's partition
            if digest in seen:
                part.counts["duplicate"] += 1
                continue
            seen.add(digest)
            part.records[split.split_of(digest)].append(data)
    return part


def text_of(record: dict[str, Any], field_name: str) -> str:
    if field_name in record and isinstance(record[field_name], str):
        return record[field_name]
    if "prompt" in record and "response" in record:
        prompt = str(record["prompt"])
        # Keep the two apart when the prompt does not end in its own separator ("...?" + "answer" -> "?answer").
        return prompt + ("" if not prompt or prompt[-1].isspace() else "\n") + str(record["response"])
    if isinstance(record.get("messages"), list):
        return "\n".join(str(m.get("content", "")) for m in record["messages"] if isinstance(m, dict))
    raise PrepError(f"record has no {field_name!r} text (nor prompt/response or messages): {sorted(record)}")


BYTE_EOS = 256  # the builtin server's byte tokenizer (serve/tokenizer.py): UTF-8 bytes, 256 = end of text


def load_tokenizer(path: str) -> tuple[Callable[[list[str]], list[int]], type]:
    """(encode documents -> ids with an end-of-text after each, token dtype) for ``bytes`` or an HF tokenizer dir."""
    if path == "bytes":
        return (lambda texts: [i for t in texts for i in (*t.encode("utf-8"), BYTE_EOS)]), np.uint16
    from tokenizers import Tokenizer

    file = path if path.endswith(".json") else path.rstrip("/") + "/tokenizer.json"
    with fsspec.open(file, "rb") as fh:
        tok = Tokenizer.from_str(fh.read().decode("utf-8"))
    eos = None
    for name in ("</s>", "<|endoftext|>", "<|end_of_text|>", "<eos>"):
        eos = tok.token_to_id(name)
        if eos is not None:
            break
    if eos is None:
        raise PrepError(f"tokenizer {file!r} has no end-of-text token (</s>, <|endoftext|>, <|end_of_text|>, <eos>)")

    def encode(texts: list[str]) -> list[int]:
        return [i for enc in (tok.encode_batch(texts, add_special_tokens=False) if texts else []) for i in (*enc.ids, eos)]

    return encode, (np.uint16 if tok.get_vocab_size() <= 2**16 else np.uint32)


def _write(uri: str, data: bytes) -> str:
    fs, path = fsspec.core.url_to_fs(uri)
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    with fs.open(path, "wb") as fh:
        fh.write(data)
    return hashlib.sha256(data).hexdigest()


def write_dataset(prefix: str, records: dict[str, list[bytes]], tokenizer: str | None, text_field: str) -> dict[str, Any]:
    """Write the split JSONL (and token) files under prefix; returns {file: {sha256, records|tokens}}."""
    files: dict[str, Any] = {}
    for s in SPLITS:
        # In hash order: shuffled for training, and the same files whatever the input order or number of shards.
        records[s] = sorted(records[s], key=lambda r: hashlib.sha256(r).digest())
    for s in SPLITS:
        body = b"".join(r + b"\n" for r in records[s])
        files[f"{s}.jsonl"] = {"sha256": _write(f"{prefix}/{s}.jsonl", body), "records": len(records[s])}
    if tokenizer:
        encode, dtype = load_tokenizer(tokenizer)
        for s in SPLITS:
            ids = encode([text_of(json.loads(r), text_field) for r in records[s]])
            data = np.asarray(ids, dtype=dtype).tobytes()
            files[TOKEN_FILES[s]] = {"sha256": _write(f"{prefix}/{TOKEN_FILES[s]}", data), "tokens": len(ids), "dtype": np.dtype(dtype).name}
    return files


def _read_json(uri: str) -> dict[str, Any] | None:
    fs, path = fsspec.core.url_to_fs(uri)
    if not fs.exists(path):
        return None
    with fs.open(path, "rb") as fh:
        return json.loads(fh.read())


def publish(output: str, run: str, manifest: dict[str, Any]) -> None:
    """The two writes that make a run's dataset visible: its manifest, then the current pointer."""
    run_prefix = f"{output}/runs/{run}"
    _write(f"{run_prefix}/manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode())
    _write(f"{output}/current.json", json.dumps({"run": run, "prefix": run_prefix}, sort_keys=True).encode())


def current(output: str) -> str:
    """The prefix of the published dataset (what training reads)."""
    pointer = _read_json(f"{output.rstrip('/')}/current.json")
    if pointer is None:
        raise PrepError(f"no dataset is published under {output!r} yet")
    return pointer["prefix"]


def run(args: argparse.Namespace) -> dict[str, Any]:
    output = args.output.rstrip("/")
    run_prefix = f"{output}/runs/{args.run}"
    if _read_json(f"{run_prefix}/manifest.json") is not None:
        raise PrepError(f"run {args.run!r} is already published under {output!r}; use a new run id")
    split = SplitConfig(args.validation, args.test)
    inputs = input_files(args.source, args.format)
    base = {
        "source": args.source,
        "inputs": [{"uri": u, "size": i.get("size"), "version": object_version(i)} for u, i in inputs],
        "split": {"validation": split.validation, "test": split.test, "by": "sha256 of the record's canonical JSON"},
        "tokenizer": args.tokenizer,
    }
    if args.publish:
        return join_parts(output, args, base)
    part = prepare_part([u for u, _ in inputs], split, args.shard_index, args.shard_count)
    where = run_prefix if args.shard_count == 1 else f"{run_prefix}/parts/{args.shard_index:05d}"
    files = write_dataset(where, part.records, args.tokenizer, args.text_field)
    summary = {**base, "counts": part.counts, "files": files}
    if args.shard_count > 1:
        _write(f"{where}/part.json", json.dumps(summary, sort_keys=True).encode())  # this part is complete
        return summary
    summary["test_split"] = _split_id(files)
    publish(output, args.run, summary)
    return summary


def _split_id(files: dict[str, Any]) -> str:
    # Identifies the held-out set: the gate compares models only on the same one.
    return "sha256:" + files["test.jsonl"]["sha256"]


def join_parts(output: str, args: argparse.Namespace, base: dict[str, Any]) -> dict[str, Any]:
    run_prefix = f"{output}/runs/{args.run}"
    records: dict[str, list[bytes]] = {s: [] for s in SPLITS}
    counts = {"read": 0, "empty": 0, "duplicate": 0}
    for i in range(args.shard_count):
        part = _read_json(f"{run_prefix}/parts/{i:05d}/part.json")
        if part is None:
            raise PrepError(f"part {i} of {args.shard_count} of run {args.run!r} is not complete; nothing is published")
        # Every worker reads every record (read, empty alike); duplicates are found only in the own partition.
        counts["read"], counts["empty"] = part["counts"]["read"], part["counts"]["empty"]
        counts["duplicate"] += part["counts"]["duplicate"]
        for s in SPLITS:
            with fsspec.open(f"{run_prefix}/parts/{i:05d}/{s}.jsonl", "rb") as fh:
                records[s].extend(line.rstrip(b"\n") for line in fh if line.strip())
    files = write_dataset(run_prefix, records, args.tokenizer, args.text_field)
    summary = {**base, "counts": counts, "files": files, "parts": args.shard_count, "test_split": _split_id(files)}
    publish(output, args.run, summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m aiinfra.prep", description=__doc__.split("\n\n")[0])
    p.add_argument("--source", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--format", choices=["auto", "jsonl", "parquet", "text"], default="auto")
    p.add_argument("--validation", type=float, default=0.02)
    p.add_argument("--test", type=float, default=0.02)
    p.add_argument("--tokenizer")
    p.add_argument("--text-field", default="text")
    p.add_argument("--shard-index", type=int, default=int(os.environ.get("JOB_COMPLETION_INDEX", "0")))
    p.add_argument("--shard-count", type=int, default=1)
    p.add_argument("--publish", action="store_true", help="join the parts of a sharded run and publish it")
    args = p.parse_args(argv)
    try:
        if not 0 <= args.shard_index < args.shard_count:
            raise PrepError(f"--shard-index {args.shard_index} must be in [0, --shard-count {args.shard_count})")
        summary = run(args)
    except PrepError as err:
        print(f"prep: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"event": "prep_done", "run": args.run, "counts": summary["counts"],
                      "records": {s: summary["files"][f"{s}.jsonl"]["records"] for s in SPLITS}}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
