"""Checkpoints and token data on S3, against a local moto S3 server on 127.0.0.1
(skipped where moto or s3fs is not installed)."""

import urllib.request

import numpy as np
import pytest
import torch

moto_server = pytest.importorskip("moto.server")
pytest.importorskip("s3fs")

import fsspec  # noqa: E402

from aiinfra.checkpoint import CheckpointError, CheckpointStore, load_model_for_inference  # noqa: E402
from aiinfra.config import config_from_dict  # noqa: E402
from aiinfra.trainer import Trainer  # noqa: E402
from trainer_helpers import free_port, one_thread, tiny_config  # noqa: E402,F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def s3(monkeypatch):
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(var, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": endpoint, "key": "testing", "secret": "testing"})
    fsspec.AbstractFileSystem.clear_instance_cache()
    fs = fsspec.filesystem("s3")
    fs.mkdir("ckpt-bucket")
    try:
        yield fs
    finally:
        fsspec.AbstractFileSystem.clear_instance_cache()
        # moto keeps its buckets in-process: reset them so the next test's server starts empty.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
        server.stop()


def test_checkpoint_resume_and_data_on_s3(s3, tmp_path):
    tokens = (np.arange(4000) * 7 % 64).astype(np.uint16)
    s3.pipe("ckpt-bucket/data/train.bin", tokens[:3600].tobytes())
    s3.pipe("ckpt-bucket/data/val.bin", tokens[3600:].tobytes())
    uri = "s3://ckpt-bucket/runs/r1"
    over = dict(
        checkpoint_dir=uri,
        checkpoint_interval=2,
        keep_last=2,
        eval_samples=4,
        data={"source": "tokens", "path": "s3://ckpt-bucket/data", "cache_dir": str(tmp_path / "cache")},
    )
    first = Trainer(config_from_dict(tiny_config(steps=6, **over)))
    first.run()
    store = CheckpointStore(uri)
    assert store.list_steps() == [4, 6]  # keep_last=2 deleted step 2 from the bucket
    manifest = store.read_manifest(6)
    assert manifest["eval"] is not None and ".metadata" in manifest["files"]
    assert s3.exists("ckpt-bucket/runs/r1/step-00000006/manifest.json")

    _, state, m = load_model_for_inference(uri)
    assert m["step"] == 6
    assert torch.equal(state["norm.weight"], first.gpt.norm.weight.detach())

    second = Trainer(config_from_dict(tiny_config(steps=8, **over)))
    res = second.run()
    assert sorted(res.losses) == [7, 8] and second.restarts == 1

    # a corrupted object in the bucket is caught by its sha256
    key = "ckpt-bucket/runs/r1/step-00000008/__0_0.distcp"
    data = bytearray(s3.cat(key))
    data[100] ^= 0x01
    s3.pipe(key, bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        load_model_for_inference(uri)
