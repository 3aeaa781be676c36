import json
import shutil

import fsspec
import pytest
import torch

from aiinfra.checkpoint import (
    MANIFEST,
    CheckpointError,
    CheckpointStore,
    load_model_for_inference,
)
from aiinfra.config import config_from_dict
from aiinfra.model import GPT
from aiinfra.trainer import Trainer
from trainer_helpers import one_thread, tiny_config  # noqa: F401 (fixture)


def _trainer(ckpt, **over):
    cfg = config_from_dict(tiny_config(checkpoint_dir=str(ckpt), **over))
    return Trainer(cfg)


pytestmark = pytest.mark.usefixtures("one_thread")


def test_manifest_layout_and_inference_load(tmp_path):
    ckpt = tmp_path / "ckpt"
    t = _trainer(ckpt, steps=10, checkpoint_interval=5, eval_interval=5)
    result = t.run()
    assert result.step == 10
    store = CheckpointStore(str(ckpt))
    assert store.list_steps() == [5, 10]
    manifest = json.loads((ckpt / "step-00000010" / MANIFEST).read_text())
    assert {"format_version", "step", "files", "eval", "config", "model_config", "created_by"} <= set(manifest)
    assert manifest["step"] == 10 and manifest["config"]["steps"] == 10
    assert set(manifest["eval"]) == {"val_loss", "perplexity", "val_tokens"}
    assert ".metadata" in manifest["files"] and "trainer_state/rank-00000.pt" in manifest["files"]
    assert all(len(h) == 64 for h in manifest["files"].values())

    gpt_cfg, state, m = load_model_for_inference(str(ckpt))
    assert m["step"] == 10 and gpt_cfg == t.gpt_config
    model = GPT(gpt_cfg)
    model.load_state_dict(state)
    for name, tensor in t.gpt.state_dict().items():
        assert torch.equal(tensor, model.state_dict()[name]), name
    # a single step directory works too, and select=best picks the lowest val_loss
    _, _, m5 = load_model_for_inference(str(ckpt / "step-00000005"))
    assert m5["step"] == 5
    evals = {s: store.read_manifest(s)["eval"]["val_loss"] for s in (5, 10)}
    _, _, best = load_model_for_inference(str(ckpt), select="best")
    assert best["step"] == min(evals, key=evals.get)


def test_checkpoint_without_manifest_is_ignored(tmp_path, monkeypatch):
    ckpt = tmp_path / "ckpt"
    _trainer(ckpt, steps=6, checkpoint_interval=3).run()
    # a crash mid-save: the state files of step 9 are written, the manifest is not
    t = _trainer(ckpt, steps=9, checkpoint_interval=3)

    def crash(self, step, manifest):
        raise RuntimeError("node lost while saving")

    monkeypatch.setattr(CheckpointStore, "write_manifest", crash)
    with pytest.raises(RuntimeError, match="node lost"):
        t.run()
    monkeypatch.undo()
    assert (ckpt / "step-00000009" / ".metadata").exists()
    assert not (ckpt / "step-00000009" / MANIFEST).exists()
    store = CheckpointStore(str(ckpt))
    assert [s for s, _ in store.complete()] == [6, 3]
    assert load_model_for_inference(str(ckpt))[2]["step"] == 6
    with pytest.raises(CheckpointError, match="incomplete"):
        load_model_for_inference(str(ckpt / "step-00000009"))
    # resume starts from step 6, redoes step 9 and finishes
    t2 = _trainer(ckpt, steps=9, checkpoint_interval=3)
    res = t2.run()
    assert t2.restarts == 1 and sorted(res.losses) == [7, 8, 9]
    assert store.read_manifest(9) is not None


def test_corrupted_file_is_detected_and_resume_falls_back(tmp_path, capsys):
    ckpt = tmp_path / "ckpt"
    _trainer(ckpt, steps=8, checkpoint_interval=4).run()
    shard = ckpt / "step-00000008" / "__0_0.distcp"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"__0_0.distcp: sha256 [0-9a-f]{64} != manifest"):
        load_model_for_inference(str(ckpt))
    t = _trainer(ckpt, steps=8, checkpoint_interval=4)
    res = t.run()
    out = capsys.readouterr().out
    assert '"event": "checkpoint_corrupt"' in out and '"event": "checkpoint_skipped"' in out
    assert sorted(res.losses) == [5, 6, 7, 8]  # resumed from step 4


def test_keep_last_n_and_keep_best(tmp_path):
    ckpt = tmp_path / "ckpt"
    _trainer(ckpt, steps=6, checkpoint_interval=2, keep_last=2, keep_best=False).run()
    assert CheckpointStore(str(ckpt)).list_steps() == [4, 6]
    ckpt2 = tmp_path / "ckpt2"
    _trainer(ckpt2, steps=6, checkpoint_interval=2, keep_last=1, keep_best=True).run()
    store = CheckpointStore(str(ckpt2))
    steps = store.list_steps()
    assert 6 in steps and len(steps) <= 2
    best = store.select("best")[0]
    assert best in steps


def test_memory_filesystem_checkpoint_and_resume():
    uri = "memory://aiinfra-test/run-mem"
    fs = fsspec.filesystem("memory")
    if fs.exists("/aiinfra-test"):
        fs.rm("/aiinfra-test", recursive=True)
    first = _trainer(uri, steps=4, checkpoint_interval=2)
    first.run()
    store = CheckpointStore(uri)
    assert [s for s, _ in store.complete()] == [4, 2]
    assert fs.exists("/aiinfra-test/run-mem/step-00000004/manifest.json")
    gpt_cfg, state, manifest = load_model_for_inference(uri)
    assert manifest["step"] == 4
    assert torch.equal(state["tok_embeddings.weight"], first.gpt.tok_embeddings.weight.detach())
    second = _trainer(uri, steps=6, checkpoint_interval=2)
    res = second.run()
    assert sorted(res.losses) == [5, 6] and second.restarts == 1
    fs.rm("/aiinfra-test", recursive=True)


def test_copy_of_checkpoint_dir_loads_elsewhere(tmp_path):
    """Checkpoints are relocatable: the manifest holds relative paths only."""
    ckpt = tmp_path / "a"
    _trainer(ckpt, steps=2, checkpoint_interval=2).run()
    shutil.copytree(ckpt, tmp_path / "b")
    assert load_model_for_inference(str(tmp_path / "b"))[2]["step"] == 2


@pytest.mark.parametrize("where", ["local", "memory"])
def test_files_are_hashed_while_written_not_read_back(tmp_path, monkeypatch, where):
    """The manifest's sha256 are computed as the bytes are written (DCP files, trainer state):
    saving never reads a file back (the stop checkpoint's time goes to writing), and the hashes
    are those of the files as stored, so the checkpoint verifies on resume."""
    import hashlib

    uri = str(tmp_path / "ckpt") if where == "local" else f"memory://aiinfra-hash/{tmp_path.name}"

    def no_read_back(self, step, rel):
        raise AssertionError(f"save read {rel} back to hash it")

    monkeypatch.setattr(CheckpointStore, "sha256", no_read_back)
    _trainer(uri, steps=4, checkpoint_interval=2).run()
    monkeypatch.undo()
    store = CheckpointStore(uri)
    for step in (2, 4):
        manifest = store.read_manifest(step)
        assert set(manifest["files"]) == set(store.files(step))
        assert ".metadata" in manifest["files"] and "__0_0.distcp" in manifest["files"]
        for rel, sha in manifest["files"].items():
            assert hashlib.sha256(store.read_bytes(step, rel)).hexdigest() == sha, rel
    resumed = _trainer(uri, steps=6, checkpoint_interval=2)
    assert resumed.resume() and resumed.step == 4
    if where == "memory":
        fsspec.filesystem("memory").rm("/aiinfra-hash", recursive=True)
