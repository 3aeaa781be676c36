"""aiinfra.fetch_adapter: the endpoint's init step for a fine-tuning job's adapter (job.adapter())."""
import hashlib
import json
import uuid

import pytest

from aiinfra.checkpoint import FORMAT_VERSION, CheckpointStore
from aiinfra.fetch_adapter import main


def _step(store: CheckpointStore, step: int, val_loss: float, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        store.write_bytes(step, rel, data)
    store.write_manifest(step, {
        "format_version": FORMAT_VERSION, "step": step, "eval": {"val_loss": val_loss, "perplexity": 1.0},
        "files": {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()},
    })


def _adapter(tag: str) -> dict[str, bytes]:
    return {
        "adapter/adapter_config.json": json.dumps({"r": 16, "tag": tag}).encode(),
        "adapter/adapter_model.safetensors": f"weights-{tag}".encode(),
        "trainer_state/rank-00000.pt": b"optimizer",
    }


@pytest.fixture(params=["local", "memory"])
def root(request, tmp_path):
    return str(tmp_path / "ckpt") if request.param == "local" else f"memory://fetch-{uuid.uuid4().hex}/ckpt"


def test_best_and_newest_pick_their_step_and_copy_only_the_adapter(root, tmp_path, capsys):
    store = CheckpointStore(root)
    _step(store, 100, 2.0, _adapter("a"))
    _step(store, 200, 1.5, _adapter("b"))   # best
    _step(store, 300, 1.9, _adapter("c"))   # newest
    for select, tag, step in (("best", "b", 200), ("newest", "c", 300)):
        dest = tmp_path / f"out-{select}"
        assert main(["--checkpoint", root, "--select", select, "--dest", str(dest)]) == 0
        assert sorted(p.name for p in dest.iterdir()) == ["adapter_config.json", "adapter_model.safetensors"]
        assert json.loads((dest / "adapter_config.json").read_text())["tag"] == tag
        done = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert done["step"] == step and done["event"] == "adapter_fetched"


def test_a_file_that_does_not_match_its_manifest_is_refused(root, tmp_path, capsys):
    store = CheckpointStore(root)
    _step(store, 100, 1.0, _adapter("a"))
    store.write_bytes(100, "adapter/adapter_model.safetensors", b"tampered")
    dest = tmp_path / "out"
    assert main(["--checkpoint", root, "--dest", str(dest)]) == 1
    assert "does not match its manifest sha256" in capsys.readouterr().err
    assert not (dest / "adapter_model.safetensors").exists()


def test_no_checkpoint_or_no_adapter_exits_1_and_bad_arguments_2(root, tmp_path, capsys):
    assert main(["--checkpoint", root, "--dest", str(tmp_path / "out")]) == 1
    assert "no complete checkpoint" in capsys.readouterr().err
    store = CheckpointStore(root)
    _step(store, 100, 1.0, {"model/weights.bin": b"x"})
    assert main(["--checkpoint", root, "--dest", str(tmp_path / "out")]) == 1
    assert "records no files under 'adapter/'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["--checkpoint", root, "--dest", str(tmp_path / "out"), "--select", "latest"])
    assert exc.value.code == 2
