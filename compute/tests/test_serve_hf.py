"""hf: models (optional: needs `transformers`): a Llama-architecture causal LM is mapped onto
the GPT modules and served by the same engine. Uses a tiny random model and a byte-level BPE
tokenizer made here (no downloads)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from aiinfra.serve.engine import Engine, EngineConfig, SamplingParams  # noqa: E402
from aiinfra.serve.loader import hf_config_to_gpt, load_model  # noqa: E402
from aiinfra.serve.model_runner import ModelRunner  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def hf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hf-llama")
    tok = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token=None))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(vocab_size=300, special_tokens=["</s>"],
                                             initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(["the quick brown fox jumps over the lazy dog " * 20, "naïve café 日本語 ✓ " * 10], trainer)
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>")
    fast.save_pretrained(path)
    config = transformers.LlamaConfig(
        vocab_size=len(fast), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-5, rope_theta=10000.0,
        tie_word_embeddings=False, eos_token_id=fast.eos_token_id, bos_token_id=None, pad_token_id=None,
    )
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config)
    with torch.no_grad():  # sharper than the default init, so the context matters to the output
        for layer in model.model.layers:
            layer.self_attn.q_proj.weight.mul_(12.0)
            layer.self_attn.k_proj.weight.mul_(12.0)
            layer.self_attn.v_proj.weight.mul_(6.0)
            layer.self_attn.o_proj.weight.mul_(6.0)
    model.save_pretrained(path)
    return path


def test_hf_llama_logits_match_transformers(hf_dir: Path) -> None:
    loaded = load_model(f"hf:{hf_dir}", precision="fp32", device="cpu")
    hf = transformers.AutoModelForCausalLM.from_pretrained(hf_dir, torch_dtype=torch.float32).eval()
    ids = torch.tensor([loaded.tokenizer.encode("the lazy fox jumps over the quick dog")])
    with torch.no_grad():
        ref = hf(ids).logits[0]
        ours = loaded.model(ids)[0]
        torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4)
        runner = ModelRunner(loaded.model, num_slots=1)
        last = runner.forward(ids, torch.tensor([0]), torch.tensor([ids.shape[1]]), slots=torch.tensor([0]), fresh=True)
        torch.testing.assert_close(last[0], ref[-1], rtol=1e-4, atol=1e-4)
    # a local directory is served under its last part (issue 21: served names carry no path)
    assert loaded.name == hf_dir.name and loaded.info["model_type"] == "llama"
    plain = load_model(str(hf_dir), precision="fp32", device="cpu")  # a save_pretrained dir without hf:
    assert plain.info["model_type"] == "llama" and plain.tokenizer.spec == f"hf:{hf_dir}"


def test_hf_engine_greedy_equals_generate_and_text_streams(hf_dir: Path) -> None:
    loaded = load_model(f"hf:{hf_dir}", precision="fp32", device="cpu")
    hf = transformers.AutoModelForCausalLM.from_pretrained(hf_dir, torch_dtype=torch.float32).eval()
    tok = loaded.tokenizer
    engine = Engine(lambda slots, n: ModelRunner(loaded.model, slots, n), tok, EngineConfig(max_batch_size=4),
                    model_max_len=loaded.model.config.max_seq_len)
    prompts = ["the quick", "naïve café", "over the lazy dog and the"]
    outs: dict[int, list] = {i: [] for i in range(len(prompts))}
    for i, p in enumerate(prompts):
        engine.submit(tok.encode(p), SamplingParams(max_tokens=12, temperature=0.0, ignore_eos=True),
                      lambda o, i=i: outs[i].append(o))
    while engine.has_work():
        engine.step()
    for i, p in enumerate(prompts):
        ids = torch.tensor([tok.encode(p)])
        with torch.no_grad():
            gen = hf.generate(ids, max_new_tokens=12, do_sample=False, eos_token_id=None, pad_token_id=0)
        want = gen[0, ids.shape[1]:].tolist()
        got = [t for o in outs[i] for t in o.token_ids]
        assert got == want
        assert "".join(o.text for o in outs[i]) == tok.decode(got)
    # chat without a template of its own: the simple template
    assert tok.decode(tok.chat_prompt([{"role": "user", "content": "hi"}])) == "<|user|>\nhi\n<|assistant|>\n"
    # with the tokenizer's own template
    tok._tok.chat_template = ("{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}"
                              "{% if add_generation_prompt %}[assistant] {% endif %}")
    ids = tok.chat_prompt([{"role": "system", "content": "be brief"}, {"role": "user", "content": "the fox"}])
    assert all(isinstance(t, int) for t in ids)
    assert tok.decode(ids) == "[system] be brief\n[user] the fox\n[assistant] "


def test_unsupported_hf_architectures_are_refused() -> None:
    cfg = transformers.GPT2Config(n_layer=1, n_head=2, n_embd=32)
    with pytest.raises(ValueError, match="not supported"):
        hf_config_to_gpt(cfg)
    llama = transformers.LlamaConfig(hidden_size=64, num_attention_heads=4, num_hidden_layers=1,
                                     intermediate_size=64, attention_bias=True)
    with pytest.raises(ValueError, match="biases"):
        hf_config_to_gpt(llama)


def test_trainer_checkpoint_of_an_hf_model_is_served(tmp_path: Path) -> None:
    """The trainer trains a (fresh, tiny) Llama via model.hf_config; the server loads that
    checkpoint directly and its greedy output matches the exported model's generate."""
    import json
    import os
    import subprocess
    import sys

    from aiinfra.hf import export_pretrained

    cfg = {"steps": 2, "global_batch_size": 4, "micro_batch_size": 4, "seq_len": 32, "warmup_steps": 1,
           "log_interval": 1, "eval_interval": 0, "checkpoint_interval": 0, "metrics_port": 0, "device": "cpu",
           "precision": "fp32",
           "model": {"preset": None, "hf_config": {"model_type": "llama", "vocab_size": 300, "hidden_size": 32,
                                                   "intermediate_size": 64, "num_hidden_layers": 2,
                                                   "num_attention_heads": 4, "num_key_value_heads": 2,
                                                   "max_position_embeddings": 64}},
           "data": {"source": "synthetic"}}
    (tmp_path / "train.json").write_text(json.dumps(cfg))
    ckpt = tmp_path / "ckpt"
    train = Path(sys.executable).parent / "aiinfra-train"
    run = subprocess.run([str(train), "train", "--config", str(tmp_path / "train.json"), "--checkpoint-dir", str(ckpt)],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stdout + run.stderr
    loaded = load_model(str(ckpt), precision="fp32", device="cpu")
    assert loaded.info["step"] == 2 and loaded.info["model_type"] == "llama"
    export_pretrained(str(ckpt), str(tmp_path / "exported"))
    hf = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "exported", torch_dtype=torch.float32).eval()
    ids = torch.tensor([[5, 17, 200, 3, 99]])
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(ids)[0], hf(ids).logits[0], rtol=1e-4, atol=1e-4)


def test_generation_config_end_ids_stop_generation(hf_dir: Path) -> None:
    loaded = load_model(f"hf:{hf_dir}", precision="fp32", device="cpu")
    tok = loaded.tokenizer
    assert tok.eos_token_id in tok.eos_token_ids  # the tokenizer's own end id, and generation_config's
    engine = Engine(lambda slots, n: ModelRunner(loaded.model, slots, n), tok, EngineConfig(max_batch_size=2),
                    model_max_len=loaded.model.config.max_seq_len)
    prompt = tok.encode("the quick brown")

    def run(**kw) -> list:
        outs: list = []
        engine.submit(prompt, SamplingParams(max_tokens=10, temperature=0.0, **kw), outs.append)
        while engine.has_work():
            engine.step()
        return outs

    free = [t for o in run(ignore_eos=True) for t in o.token_ids]
    tok.extra_eos_token_ids.add(free[2])  # e.g. a chat model's end-of-turn id
    outs = run()
    assert [t for o in outs for t in o.token_ids] == free[: free.index(free[2]) + 1]
    assert outs[-1].finish_reason == "stop"
