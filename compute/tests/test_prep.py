"""Data preparation: cleaning, a content-only split that is stable as data grows, sharded == unsharded, token files
the trainer reads, and an atomic publish (a crash leaves the previous dataset published and nothing half-written)."""

import json

import pytest

from aiinfra import prep
from aiinfra.config import DataConfig
from aiinfra.data import build_sources


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _records(n, start=0):
    return [{"prompt": f"question {i}?", "response": f"answer {i}."} for i in range(start, start + n)]


def _run(tmp_path, source, run, *extra):
    out = str(tmp_path / "out")
    assert prep.main(["--source", str(source), "--output", out, "--run", run, "--validation", "0.1", "--test", "0.1", *extra]) == 0
    return out, json.loads((tmp_path / "out" / "runs" / run / "manifest.json").read_text())


def _split_of(prefix):
    found = {}
    for s in prep.SPLITS:
        for line in open(f"{prefix}/{s}.jsonl"):
            found[line] = s
    return found


def test_cleans_dedupes_and_counts(tmp_path):
    src = tmp_path / "raw"
    src.mkdir()
    rows = _records(50)
    _jsonl(src / "a.jsonl", rows + [{"prompt": "", "response": "  "}, {}])
    _jsonl(src / "b.jsonl", rows[:10])  # exact duplicates in another file
    out, manifest = _run(tmp_path, src, "r1")
    assert manifest["counts"] == {"read": 62, "empty": 2, "duplicate": 10}
    assert sum(f["records"] for k, f in manifest["files"].items() if k.endswith(".jsonl")) == 50
    assert [i["uri"].rsplit("/", 1)[1] for i in manifest["inputs"]] == ["a.jsonl", "b.jsonl"]
    assert all(i["version"] for i in manifest["inputs"])
    assert prep.current(out) == f"{out}/runs/r1"
    assert manifest["test_split"].startswith("sha256:")


def test_split_is_stable_when_records_are_added(tmp_path):
    src = tmp_path / "raw"
    src.mkdir()
    _jsonl(src / "a.jsonl", _records(300))
    out, _ = _run(tmp_path, src, "r1")
    before = _split_of(f"{out}/runs/r1")
    _jsonl(src / "b.jsonl", _records(300, start=300))
    _, manifest = _run(tmp_path, src, "r2")
    after = _split_of(f"{out}/runs/r2")
    assert all(after[line] == split for line, split in before.items())
    sizes = {s: manifest["files"][f"{s}.jsonl"]["records"] for s in prep.SPLITS}
    assert 40 <= sizes["test"] <= 80 and 40 <= sizes["validation"] <= 80  # ~10 % of 600 each


def test_sharded_run_equals_unsharded_and_publishes_only_when_every_part_is_done(tmp_path):
    src = tmp_path / "raw"
    src.mkdir()
    _jsonl(src / "a.jsonl", _records(120) + _records(30))
    out, whole = _run(tmp_path, src, "whole")
    args = ["--source", str(src), "--output", out, "--run", "sharded", "--validation", "0.1", "--test", "0.1", "--shard-count", "3"]
    for i in (0, 2):
        assert prep.main(args + ["--shard-index", str(i)]) == 0
    assert prep.main(args + ["--publish"]) == 2  # part 1 is missing
    assert prep.current(out).endswith("/runs/whole")
    assert prep.main(args + ["--shard-index", "1"]) == 0
    assert prep.main(args + ["--publish"]) == 0
    sharded = json.loads((tmp_path / "out" / "runs" / "sharded" / "manifest.json").read_text())
    assert sharded["counts"] == whole["counts"] == {"read": 150, "empty": 0, "duplicate": 30}
    assert {k: v["sha256"] for k, v in sharded["files"].items()} == {k: v["sha256"] for k, v in whole["files"].items()}
    assert prep.current(out).endswith("/runs/sharded")


def test_a_crash_before_the_manifest_publishes_nothing(tmp_path, monkeypatch):
    src = tmp_path / "raw"
    src.mkdir()
    _jsonl(src / "a.jsonl", _records(20))
    out, _ = _run(tmp_path, src, "good")
    real_write = prep._write

    def dies_at_manifest(uri, data):
        if uri.endswith("manifest.json"):
            raise OSError("node lost")
        return real_write(uri, data)

    monkeypatch.setattr(prep, "_write", dies_at_manifest)
    with pytest.raises(OSError):
        prep.main(["--source", str(src), "--output", out, "--run", "bad"])
    assert prep.current(out).endswith("/runs/good")
    assert not (tmp_path / "out" / "runs" / "bad" / "manifest.json").exists()
    monkeypatch.setattr(prep, "_write", real_write)
    assert prep.main(["--source", str(src), "--output", out, "--run", "good"]) == 2  # published runs are immutable


def _tokenizer(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = sorted({w for r in _records(200) for w in (r["prompt"] + " " + r["response"]).split()})
    vocab = {"</s>": 0, "<unk>": 1, **{w: i + 2 for i, w in enumerate(words)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    d = tmp_path / "tok"
    d.mkdir()
    tok.save(str(d / "tokenizer.json"))
    return str(d), len(vocab)


def test_token_files_are_what_the_trainer_reads(tmp_path):
    src = tmp_path / "raw"
    src.mkdir()
    _jsonl(src / "a.jsonl", _records(200))
    tok_dir, vocab = _tokenizer(tmp_path)
    out, manifest = _run(tmp_path, src, "r1", "--tokenizer", tok_dir)
    assert manifest["files"]["train.bin"]["dtype"] == "uint16"
    train_records = manifest["files"]["train.jsonl"]["records"]
    assert manifest["files"]["train.bin"]["tokens"] == train_records * 5  # "question i?" "answer i." + EOS
    train, val = build_sources(DataConfig(source="tokens", path=prep.current(out), cache_dir=str(tmp_path / "cache")), vocab_size=vocab, seq_len=8, seed=0)
    assert len(train) == (train_records * 5 - 1) // 8 and val is not None


def test_parquet_and_text_inputs(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "raw"
    src.mkdir()
    pq.write_table(pa.Table.from_pylist(_records(10)), src / "a.parquet")
    (src / "b.txt").write_text("one line\n\nanother line\n")
    _, manifest = _run(tmp_path, src, "r1")
    assert manifest["counts"] == {"read": 13, "empty": 1, "duplicate": 0}


def test_bad_input_is_a_clear_error(tmp_path, capsys):
    src = tmp_path / "raw"
    src.mkdir()
    (src / "a.jsonl").write_text('{"text": "ok"}\n{not json\n')
    out = str(tmp_path / "out")
    assert prep.main(["--source", str(src), "--output", out, "--run", "r"]) == 2
    assert "a.jsonl:2: not JSON" in capsys.readouterr().err
    assert prep.main(["--source", str(src), "--output", out, "--run", "r", "--test", "0.6"]) == 2
    assert "[0, 0.5)" in capsys.readouterr().err
    assert prep.main(["--source", str(tmp_path / "nothing"), "--output", out, "--run", "r"]) == 2
    with pytest.raises(prep.PrepError, match="no dataset is published"):
        prep.current(out)
