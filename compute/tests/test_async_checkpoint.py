"""Periodic checkpoints in the background (dcp.async_save): training goes on while the files are
written, the manifest comes once every rank's write is done, and a SIGKILL mid-write leaves the
previous checkpoint complete and usable."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys

import pytest
import torch

from aiinfra.checkpoint import CheckpointStore
from aiinfra.config import config_from_dict
from aiinfra.trainer import Trainer
from trainer_helpers import child_env, cli_cmd, events, one_thread, tiny_config, wait_for, write_config  # noqa: F401

pytestmark = pytest.mark.usefixtures("one_thread")

# The CLI with background checkpoint writes from the second one on slowed by SLOW_ASYNC_S per
# file, as a large model on object storage would be.
SLOW_ASYNC_WORKER = """
import contextlib, os, sys, time
from aiinfra import checkpoint
from aiinfra.cli import _exit, main
from aiinfra.logs import log_event

delay = float(os.environ["SLOW_ASYNC_S"])
original = checkpoint.dcp.async_save
calls = []

def slow_async_save(state, *, storage_writer, **kw):
    calls.append(1)
    if len(calls) > 1:
        create = storage_writer.fs.create_stream

        @contextlib.contextmanager
        def slow(path, mode):
            log_event("slow_write", path=str(path))
            time.sleep(delay)
            with create(path, mode) as stream:
                yield stream

        storage_writer.fs.create_stream = slow
    return original(state, storage_writer=storage_writer, **kw)

checkpoint.dcp.async_save = slow_async_save
_exit(main(sys.argv[1:]))
"""


def test_background_checkpoints_complete_verify_and_resume_identically(tmp_path):
    ckpt = tmp_path / "ckpt"
    t = Trainer(config_from_dict(tiny_config(steps=9, checkpoint_dir=str(ckpt), checkpoint_interval=2)))
    assert t.ckpt_group is None and t.cfg.checkpoint_async
    async_losses = t.run().losses
    store = CheckpointStore(str(ckpt))
    assert [s for s, _ in store.complete()] == [9, 8, 6]  # keep_last 3; 2 and 4 cleaned up
    for step, manifest in store.complete():
        assert set(manifest["files"]) == set(store.files(step))
        for rel, sha in manifest["files"].items():
            assert hashlib.sha256(store.read_bytes(step, rel)).hexdigest() == sha
    # the background checkpoint of step 6 holds the state of step 6: resuming it replays 7..9 exactly
    sync_dir = tmp_path / "sync"
    ref = Trainer(config_from_dict(tiny_config(steps=9, checkpoint_dir=str(sync_dir), checkpoint_interval=2, checkpoint_async=False)))
    ref_losses = ref.run().losses
    assert async_losses == ref_losses  # writing in the background does not touch training
    for step in (8, 6):
        for s in [x for x in store.list_steps() if x > step]:
            store.delete(s)
        resumed = Trainer(config_from_dict(tiny_config(steps=9, checkpoint_dir=str(ckpt), checkpoint_interval=0)))
        losses = resumed.run().losses
        assert {k: v for k, v in ref_losses.items() if k > step} == losses
        for (n, a), (_, b) in zip(ref.gpt.named_parameters(), resumed.gpt.named_parameters()):
            assert torch.equal(a, b), n


def test_sigkill_mid_background_write_leaves_the_previous_checkpoint(tmp_path):
    ckpt = tmp_path / "ckpt"
    cfg = tiny_config(steps=1000, checkpoint_dir=str(ckpt), checkpoint_interval=2, log_interval=1)
    path = write_config(tmp_path / "cfg.json", cfg)
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_ASYNC_WORKER, "train", "--config", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env(SLOW_ASYNC_S="600"),
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        import threading

        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
        reader.start()
        assert wait_for(lambda: any('"slow_write"' in line for line in lines), timeout=120), "".join(lines)[-3000:]
        out = "".join(lines)
        # step 2 was written in the background and completed; step 4's write is under way
        saved = [e["step"] for e in events(out, "checkpoint_saved")]
        started = [e["step"] for e in events(out, "checkpoint_started")]
        assert saved == [2] and started == [2, 4], out[-3000:]
        steps = [e["step"] for e in events(out, "step")]
        assert max(steps) >= 4  # training went on past the checkpoint
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    store = CheckpointStore(str(ckpt))
    assert store.read_manifest(4) is None and [s for s, _ in store.complete()] == [2]
    resumed = Trainer(config_from_dict(tiny_config(steps=3, checkpoint_dir=str(ckpt), checkpoint_interval=0)))
    assert resumed.resume() and resumed.step == 2
