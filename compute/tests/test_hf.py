"""Hugging Face causal LMs in the trainer (skipped where transformers is not installed)."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from aiinfra.checkpoint import CheckpointError, CheckpointStore, load_model_for_inference  # noqa: E402
from aiinfra.config import ConfigError, config_from_dict  # noqa: E402
from aiinfra.hf import export_pretrained  # noqa: E402
from aiinfra.trainer import Trainer  # noqa: E402
from trainer_helpers import one_thread, tiny_config  # noqa: E402,F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

LLAMA = {
    "model_type": "llama",
    "vocab_size": 64,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "max_position_embeddings": 64,
}


def _cfg(**over):
    return config_from_dict(tiny_config(model={"preset": None, "hf_config": LLAMA} | over.pop("model", {}), **over))


def test_hf_model_trains_checkpoints_and_exports(tmp_path):
    ckpt = tmp_path / "ckpt"
    t = Trainer(_cfg(steps=40, lr=1e-2, checkpoint_dir=str(ckpt), checkpoint_interval=40))
    result = t.run()
    losses = result.losses
    assert losses[40] < losses[1] - 0.5, (losses[1], losses[40])
    manifest = CheckpointStore(str(ckpt)).read_manifest(40)
    assert manifest["model_config"] is None and manifest["hf"]["config"]["model_type"] == "llama"
    with pytest.raises(CheckpointError, match="Hugging Face model"):
        load_model_for_inference(str(ckpt))
    out = export_pretrained(str(ckpt), str(tmp_path / "export"))
    reloaded = transformers.AutoModelForCausalLM.from_pretrained(out)
    idx = torch.randint(0, 64, (2, 16))
    with torch.no_grad():
        expected = t.gpt.model(input_ids=idx).logits
        got = reloaded(input_ids=idx).logits
    torch.testing.assert_close(got, expected)


def test_hf_pretrained_directory_is_loaded(tmp_path):
    config = transformers.AutoConfig.for_model(**LLAMA)
    torch.manual_seed(123)
    source = transformers.AutoModelForCausalLM.from_config(config)
    source.save_pretrained(tmp_path / "base")
    t = Trainer(config_from_dict(tiny_config(steps=1, model={"preset": None, "hf": str(tmp_path / "base")})))
    for name, tensor in source.state_dict().items():
        assert torch.equal(t.gpt.model.state_dict()[name], tensor), name
    assert t.run().step == 1


def test_hf_config_errors_are_clear():
    with pytest.raises(ConfigError, match="not both"):
        config_from_dict(tiny_config(model={"preset": None, "hf": "x", "hf_config": LLAMA}))
    with pytest.raises(ConfigError, match="needs a model_type"):
        Trainer(_cfg(model={"hf_config": {"hidden_size": 32}}))
    with pytest.raises(ConfigError, match="max_position_embeddings"):
        Trainer(_cfg(model={"hf_config": LLAMA | {"max_position_embeddings": 16}}))


@pytest.mark.parametrize("tied", [False, True])
def test_export_is_strict_about_keys_and_shapes(tmp_path, tied):
    """A checkpoint whose weights do not match the model of its manifest is refused with the
    keys named; before, load_state_dict(strict=False) exported random weights silently."""
    import json

    ckpt = tmp_path / "ckpt"
    llama = LLAMA | {"tie_word_embeddings": tied}
    t = Trainer(_cfg(steps=2, checkpoint_dir=str(ckpt), checkpoint_interval=2, model={"hf_config": llama}))
    t.run()
    # the matching case exports exactly the trained weights (tied: the output head is the embedding)
    out = transformers.AutoModelForCausalLM.from_pretrained(export_pretrained(str(ckpt), str(tmp_path / "ok")))
    for name, tensor in t.gpt.model.state_dict().items():
        assert torch.equal(out.state_dict()[name], tensor), name

    manifest_path = ckpt / "step-00000002" / "manifest.json"
    original = json.loads(manifest_path.read_text())

    def export_with(**config):
        manifest = json.loads(json.dumps(original))
        manifest["hf"]["config"].update(config)
        manifest_path.write_text(json.dumps(manifest))
        return export_pretrained(str(ckpt), str(tmp_path / "bad"))

    with pytest.raises(CheckpointError, match=r"1?\d missing: model\.layers\.2\.") as err:
        export_with(num_hidden_layers=3)  # a layer the checkpoint does not have
    assert "Nothing was exported" in str(err.value)
    with pytest.raises(CheckpointError, match=r"unexpected: model\.layers\.1\."):
        export_with(num_hidden_layers=1)  # checkpoint weights the model has no place for
    with pytest.raises(CheckpointError, match=r"of another shape: .*model\.embed_tokens\.weight: \(64, 32\) in the checkpoint, \(80, 32\)"):
        export_with(vocab_size=80)
    assert not (tmp_path / "bad").exists()
