import fsspec
import numpy as np
import pytest
import torch

from aiinfra.config import ConfigError, DataConfig
from aiinfra.data import Batcher, SyntheticSource, build_sources, write_token_file


def _batches(source, world, step, global_batch=8, micro=2):
    """All micro batches of one step, in rank-major order, concatenated."""
    rows = []
    for rank in range(world):
        b = Batcher(source, global_batch, micro, rank, world, torch.device("cpu"))
        for m in range(global_batch // (micro * world)):
            x, y, _ = b.batch(step * global_batch, m)
            assert torch.equal(x[:, 1:], y[:, :-1])
            rows.append(x)
    return torch.cat(rows)


def test_sharding_covers_the_global_batch_independent_of_world_size():
    src = SyntheticSource(vocab_size=100, seq_len=16, seed=3, split=0)
    one = _batches(src, 1, step=5)
    two = _batches(src, 2, step=5)
    four = _batches(src, 4, step=5)
    assert torch.equal(one, two) and torch.equal(one, four)
    # ranks see disjoint samples, consecutive steps differ, order is a pure function of the seed
    b0 = Batcher(src, 8, 2, 0, 2, torch.device("cpu"))
    b1 = Batcher(src, 8, 2, 1, 2, torch.device("cpu"))
    assert set(b0.indices(40, 0)).isdisjoint(b1.indices(40, 0))
    assert not torch.equal(_batches(src, 1, step=6), one)
    again = SyntheticSource(vocab_size=100, seq_len=16, seed=3, split=0)
    assert torch.equal(_batches(again, 2, step=5), one)


def test_synthetic_task_is_a_learnable_progression():
    src = SyntheticSource(vocab_size=1000, seq_len=12, seed=0, split=0)
    val = SyntheticSource(vocab_size=1000, seq_len=12, seed=0, split=1)
    s = src.get(42)
    assert s.shape == (13,) and s.max() < 256
    stride = (s[1] - s[0]) % 256
    assert 1 <= stride <= 4
    assert np.all((np.diff(s) % 256) == stride)
    assert not np.array_equal(src.get(0), val.get(0)) or not np.array_equal(src.get(1), val.get(1))


def test_token_file_split_shuffle_and_remote(tmp_path):
    tokens = np.arange(1000, dtype=np.uint16) % 500
    local = tmp_path / "data.bin"
    write_token_file(str(local), tokens)
    cfg = DataConfig(source="tokens", path=str(local), val_fraction=0.1, cache_dir=str(tmp_path / "cache"))
    train, val = build_sources(cfg, vocab_size=512, seq_len=10, seed=1)
    assert len(train) == (900 - 1) // 10 and len(val) == (100 - 1) // 10
    assert val.get(0).tolist() == tokens[900:911].tolist()
    epoch = sorted(int(train.get(i)[0]) for i in range(len(train)))
    assert epoch == sorted(int(tokens[w * 10]) for w in range(len(train)))  # a permutation of all windows
    first = [int(train.get(i)[0]) for i in range(len(train))]
    second = [int(train.get(len(train) + i)[0]) for i in range(len(train))]
    assert first != second  # reshuffled each epoch

    # the same data from an fsspec URI (copied once to the cache, then memory-mapped)
    fs = fsspec.filesystem("memory")
    fs.pipe("/corpus/train.bin", tokens[:900].tobytes())
    fs.pipe("/corpus/val.bin", tokens[900:].tobytes())
    rcfg = DataConfig(source="tokens", path="memory://corpus", cache_dir=str(tmp_path / "cache"))
    rtrain, rval = build_sources(rcfg, vocab_size=512, seq_len=10, seed=1)
    assert [rtrain.get(i).tolist() for i in range(5)] == [train.get(i).tolist() for i in range(5)]
    assert rval.get(3).tolist() == val.get(3).tolist()


def test_uint32_and_errors(tmp_path):
    big = (np.arange(300, dtype=np.uint32) * 1000) % 70000
    path = tmp_path / "big.bin"
    write_token_file(str(path), big, dtype="uint32")
    train, _ = build_sources(DataConfig(source="tokens", path=str(path), dtype="uint32", val_fraction=0.0), 70000, 8, 0)
    assert int(max(train.get(i).max() for i in range(len(train)))) > 65535
    with pytest.raises(ConfigError, match="vocab_size"):
        build_sources(DataConfig(source="tokens", path=str(path), dtype="uint32"), 50000, 8, 0)
    with pytest.raises(ConfigError, match="does not exist"):
        build_sources(DataConfig(source="tokens", path=str(tmp_path / "nope.bin")), 100, 8, 0)
    with pytest.raises(ConfigError, match="fewer than seq_len"):
        build_sources(DataConfig(source="tokens", path=str(path), dtype="uint32", val_fraction=0.01), 70000, 8, 0)


def test_batch_with_token_beyond_vocab_is_a_clear_error(tmp_path):
    tokens = np.arange(200, dtype=np.uint16)
    path = tmp_path / "t.bin"
    write_token_file(str(path), tokens)
    train, _ = build_sources(DataConfig(source="tokens", path=str(path), val_fraction=0.0), 1000, 8, 0)
    b = Batcher(train, 4, 4, 0, 1, torch.device("cpu"), vocab_size=100)
    with pytest.raises(ValueError, match=r"token id \d+ in the batch starting at sample 0 is >= the model's vocab_size 100"):
        for step in range(10):
            b.batch(step * 4, 0)
