"""Benchmark tasks in the evaluation step: EleutherAI's lm-eval on a tiny model and tiny local multiple-choice tasks
(task YAML + JSONL written here, read through a bucket-style fsspec prefix), the refusal of task data that is not
local, and the gate's score rules on what evaluate wrote."""

from __future__ import annotations

import json
from pathlib import Path

import fsspec
import pytest
import torch

pytest.importorskip("lm_eval", reason="the eval extra (lm-eval) is not installed")

from aiinfra import evaluate, gate, prep  # noqa: E402
from aiinfra.benchmarks import BenchmarkError, resolve_tasks  # noqa: E402
from aiinfra.checkpoint import CheckpointStore, save_checkpoint  # noqa: E402
from aiinfra.gate import GateConfig, decide  # noqa: E402
from aiinfra.model import GPT, GPTConfig  # noqa: E402
from aiinfra.registry import ModelRegistry  # noqa: E402

CONFIG = GPTConfig(vocab_size=257, n_layer=1, n_head=2, n_kv_head=1, d_model=32, ffn_hidden=64, max_seq_len=32)
LONG = "the quick brown fox jumps"

TASK_YAML = """task: {name}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{question}}}}"
doc_to_choice: "{{{{choices}}}}"
doc_to_target: "{{{{gold}}}}"
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: acc_norm
    aggregation: mean
    higher_is_better: true
"""


def _task(root: Path, name: str, gold: int, data: str = "data/items.jsonl", yaml: str | None = None) -> None:
    """Four items whose choices are one byte and 25 bytes long. A near-uniform model gives a 25-byte continuation
    about 24 * ln(257) less log-likelihood than a one-byte one, so lm-eval's ``acc`` (summed log-likelihood) is 1.0
    when the gold answer is the short choice and 0.0 when it is the long one."""
    folder = root / name
    (folder / "data").mkdir(parents=True)
    items = [{"question": f"Question {i}: pick one.", "choices": ["a", LONG], "gold": gold} for i in range(4)]
    (folder / "data" / "items.jsonl").write_text("".join(json.dumps(item) + "\n" for item in items))
    (folder / f"{name}.yaml").write_text(yaml if yaml is not None else TASK_YAML.format(name=name, data=data))


def _checkpoint(root: Path, seed: int) -> str:
    torch.manual_seed(seed)
    save_checkpoint(CheckpointStore(str(root)), 1, GPT(CONFIG), None, {"step": 1}, {}, CONFIG, None, keep_last=1)
    return f"{root}/step-00000001"


@torch.no_grad()
def _our_choice_task(root: Path, checkpoint: str) -> None:
    """Items with equal-length choices whose gold answer is the one OUR model (not the export) gives the highest
    log-likelihood after the question and lm-eval's " " delimiter (byte ids), by a clear margin: lm-eval scoring the
    exported model gets acc 1.0 only if export, tokenizer and scoring all agree with the trainer's model."""
    model = evaluate.load_gpt(checkpoint)
    items = []
    for i in range(40):
        pool = ["xq", "ab", "zz", "mo", "k3", "e!", "wu", "pt"]
        question, choices = f"Item {i}: which?", [pool[(i * 3 + k) % len(pool)] for k in range(4)]
        logliks = []
        for choice in choices:
            ctx, cont = list(question.encode()), list((" " + choice).encode())
            ids = torch.tensor([ctx + cont])
            logp = torch.log_softmax(model(ids[:, :-1])[0].float(), dim=-1)
            logliks.append(sum(float(logp[len(ctx) - 1 + j, t]) for j, t in enumerate(cont)))
        ranked = sorted(logliks, reverse=True)
        if ranked[0] - ranked[1] > 1e-2:
            items.append({"question": question, "choices": choices, "gold": logliks.index(ranked[0])})
        if len(items) == 4:
            break
    assert len(items) == 4 and len({item["gold"] for item in items}) > 1  # not just "always the first choice"
    (root / "ours" / "data").mkdir(parents=True)
    (root / "ours" / "data" / "items.jsonl").write_text("".join(json.dumps(item) + "\n" for item in items))
    (root / "ours" / "ours.yaml").write_text(TASK_YAML.format(name="ours_right", data="data/items.jsonl"))


def _hellaswag(root: Path) -> None:
    """lm-eval's own hellaswag task (its YAML and utils.py, as shipped in the installed harness) with its hub
    dataset replaced by local JSONL files in hellaswag's schema: how a real benchmark is put in the bucket."""
    import lm_eval

    shipped = Path(lm_eval.__file__).parent / "tasks" / "hellaswag"
    folder = root / "hellaswag"
    (folder / "data").mkdir(parents=True)
    yaml = (shipped / "hellaswag.yaml").read_text()
    assert "dataset_path: Rowan/hellaswag\n" in yaml
    yaml = yaml.replace("dataset_path: Rowan/hellaswag\n", "dataset_path: json\ndataset_kwargs:\n  data_files:\n"
                        "    train: data/train.jsonl\n    validation: data/validation.jsonl\n")
    (folder / "hellaswag.yaml").write_text(yaml)
    (folder / "utils.py").write_text((shipped / "utils.py").read_text())
    rows = [{"ind": i, "activity_label": "Cooking", "ctx_a": f"A cook [title] stirs pot {i}.", "ctx_b": "then she",
             "ctx": "", "endings": ["adds salt.", "sings loudly.", "drives away.", "reads a book."],
             "source_id": "x", "split": "val", "split_type": "indomain", "label": str(i % 4)} for i in range(4)]
    for split in ("train", "validation"):
        (folder / "data" / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A published dataset, a registry whose production is one random tiny model, a candidate, and the tasks in a
    bucket-style (memory://) prefix."""
    tmp = tmp_path_factory.mktemp("bench")
    (tmp / "raw").mkdir()
    (tmp / "raw" / "lines.jsonl").write_text("".join(json.dumps({"text": f"line {i} alpha beta gamma"}) + "\n" for i in range(300)))
    assert prep.main(["--source", str(tmp / "raw"), "--output", str(tmp / "data"), "--run", "d1",
                      "--validation", "0.1", "--test", "0.2", "--tokenizer", "bytes"]) == 0
    registry = ModelRegistry(str(tmp / "registry"))
    v1 = registry.register(_checkpoint(tmp / "prod", seed=1), run="first", lineage={}, metrics={"test_loss": 5.0})
    assert gate.main(["--root", str(tmp / "registry"), "--version", str(v1), "--run", "first", "--promote"]) == 0
    local = tmp / "tasks"
    _task(local, "short_right", gold=0)
    _task(local, "long_right", gold=1)
    candidate = _checkpoint(tmp / "cand", seed=2)
    _our_choice_task(local, candidate)
    _hellaswag(local)
    fs = fsspec.filesystem("memory")
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        fs.pipe(f"/bench-tasks/{path.relative_to(local)}", path.read_bytes())
    out = tmp / "metrics.json"
    code = evaluate.main(["--model", candidate, "--dataset", str(tmp / "data"), "--registry", str(tmp / "registry"),
                          "--max-windows", "8", "--tasks", "short_right,long_right,ours_right,hellaswag", "--task-dir", "memory://bench-tasks",
                          "--batch-size", "4", "--device", "cpu", "--out", str(out)])
    assert code == 0
    return {"tmp": tmp, "registry": registry, "v1": v1, "candidate": candidate, "metrics": json.loads(out.read_text())}


def test_lm_eval_scores_candidate_and_production_on_the_same_tasks(run):
    m = run["metrics"]
    assert m["tasks"]["short_right"]["acc"] == 1.0 and m["tasks"]["long_right"]["acc"] == 0.0
    assert set(m["tasks"]["short_right"]) == {"acc", "acc_stderr", "acc_norm", "acc_norm_stderr"}
    assert {k: v for k, v in m["scores"].items() if k != "hellaswag"} == {"short_right": 1.0, "long_right": 0.0, "ours_right": 1.0}
    # The real hellaswag task definition (process_docs from its utils.py) on local data.
    assert m["task_info"]["hellaswag"]["samples"] == 4 and 0 <= m["scores"]["hellaswag"] <= 1
    assert m["scores"]["hellaswag"] == m["tasks"]["hellaswag"]["acc"] and "acc_norm" in m["tasks"]["hellaswag"]
    info = m["task_info"]["short_right"]
    assert info["primary"] == "acc" and info["samples"] == 4 and len(info["sha256"]) == 64
    # The two tasks differ only in their data: their fingerprints differ.
    assert info["sha256"] != m["task_info"]["long_right"]["sha256"]
    # Production (another random model) scored in the same run on the same tasks, next to its held-out loss.
    base = m["baseline"]
    assert base["version"] == run["v1"] and base["scores"]["short_right"] == 1.0 and base["scores"]["long_right"] == 0.0
    assert "test_loss" in base and "acc_norm" in base["tasks"]["long_right"]
    assert m["test_windows"] == 8 and m["test_loss"] > 0


def test_gate_min_score_on_evaluated_tasks(run, capsys):
    registry, root = run["registry"], str(run["tmp"] / "registry")
    # Two random models: their held-out losses differ a little; this test is about the score rules.
    loose = ["--max-loss-regression", "0.5"]
    over = registry.register(run["candidate"], run="over", lineage={}, metrics=run["metrics"])
    assert gate.main(["--root", root, "--version", str(over), *loose, "--min-score", "short_right=0.55",
                      "--min-score", "short_right:acc=1.0", "--max-score-regression", "0"]) == 0
    under = registry.register(run["candidate"], run="under", lineage={}, metrics=run["metrics"])
    assert gate.main(["--root", root, "--version", str(under), *loose, "--min-score", "long_right=0.55"]) == gate.EXIT_REJECTED
    decision = registry.manifest(under)["decision"]
    assert not decision["accepted"] and decision["reasons"] == ["long_right score 0.0 is below the floor 0.55"]
    assert registry.alias("production")[0]["version"] == run["v1"]  # production untouched


def _refused(tmp_path: Path, match: str, names=("t",), **task) -> None:
    root = tmp_path / "tasks"
    if task:
        _task(root, "t", gold=0, **task)
    else:
        root.mkdir()
    with pytest.raises(BenchmarkError, match=match):
        resolve_tasks(list(names), root.resolve())


def test_hub_dataset_is_refused_before_anything_runs(tmp_path, capsys):
    hub = TASK_YAML.format(name="t", data="x").replace("dataset_path: json", "dataset_path: Rowan/hellaswag")
    _task(tmp_path / "tasks", "t", gold=0, yaml=hub)
    # The model does not exist: the task check fails first, so nothing was loaded or downloaded.
    code = evaluate.main(["--model", str(tmp_path / "missing"), "--dataset", str(tmp_path / "missing-data"),
                          "--tasks", "t", "--task-dir", str(tmp_path / "tasks")])
    assert code == 2
    err = capsys.readouterr().err
    assert "dataset_path 'Rowan/hellaswag' is not local data" in err


@pytest.mark.parametrize("task,match", [
    ({"data": "data/absent.jsonl"}, "'data/absent.jsonl' is not in the task directory"),
    ({"data": "../../outside.jsonl"}, "outside the task directory"),
    ({"data": "https://example.com/items.jsonl"}, "is not a local file"),
    ({"yaml": TASK_YAML.format(name="t", data="x").replace("dataset_kwargs:\n  data_files:\n    test: x\n", "")},
     "needs dataset_kwargs.data_files"),
    ({"yaml": "task: t\ncustom_dataset: 1\ndataset_path: json\noutput_type: multiple_choice\n"}, "custom_dataset"),
], ids=["missing-file", "outside", "url", "no-data-files", "custom-dataset"])
def test_non_local_task_data_is_refused(tmp_path, task, match):
    _refused(tmp_path, match, **task)


def test_unknown_task_and_groups_are_refused(tmp_path, capsys):
    _refused(tmp_path, r"task 'hellaswag' is not defined in the task directory \(it defines: nothing\)", names=("hellaswag",))
    root = tmp_path / "g"
    _task(root, "t", gold=0)
    (root / "group.yaml").write_text("group: g\ntask:\n  - t\n")
    with pytest.raises(BenchmarkError, match="'g' is a group; list its tasks instead"):
        resolve_tasks(["g"], root.resolve())
    assert evaluate.main(["--model", "m", "--dataset", "d", "--task-dir", str(root)]) == 2  # --task-dir without --tasks
    for bad, why in ((["--tasks", "t"], "--tasks needs --task-dir"),
                     (["--tasks", "t,,u", "--task-dir", str(root)], "a comma-separated list"),
                     (["--tasks", "t,t", "--task-dir", str(root)], "names a task twice"),
                     (["--tasks", "t", "--task-dir", "memory://no-such-prefix"], "no such prefix"),
                     (["--tasks", "t", "--task-dir", str(root / "none")], "is not a directory")):
        capsys.readouterr()
        assert evaluate.main(["--model", "m", "--dataset", "d", *bad]) == 2, bad
        assert why in capsys.readouterr().err


def test_a_tag_expands_to_its_tasks(tmp_path):
    root = tmp_path / "tasks"
    for name, gold in (("one", 0), ("two", 1)):
        _task(root, name, gold=gold, yaml="tag: mini\n" + TASK_YAML.format(name=name, data="data/items.jsonl"))
    resolved = resolve_tasks(["mini"], root.resolve())
    assert sorted(resolved) == ["one", "two"]
    cfg, fingerprint = resolved["one"]
    assert cfg["dataset_kwargs"]["data_files"] == {"test": str(root.resolve() / "one" / "data" / "items.jsonl")}
    assert fingerprint != resolved["two"][1]


def test_gate_score_rules():
    cand = {"version": 3, "metrics": {
        "test_loss": 1.0, "test_split": "s", "scores": {"hs": 0.6}, "tasks": {"hs": {"acc": 0.6, "acc_norm": 0.4}},
        "task_info": {"hs": {"sha256": "f1"}}, "baseline": {"version": 2, "test_loss": 1.0, "scores": {"hs": 0.65}}}}
    prod = {"version": 2, "metrics": {"test_loss": 1.0, "test_split": "s"}}
    assert decide(cand, prod, GateConfig(min_score={"hs": 0.55}))["accepted"]
    low = decide(cand, prod, GateConfig(min_score={"hs:acc_norm": 0.5}))
    assert low["reasons"] == ["hs:acc_norm score 0.4 is below the floor 0.5"]
    assert decide(cand, prod, GateConfig(min_score={"hs:f1": 0.1}))["reasons"] == ["no hs:f1 score"]
    # 0.05 below production's score measured in the same run: within 0.1, not within 0.01.
    assert decide(cand, prod, GateConfig(max_score_regression=0.1))["accepted"]
    worse = decide(cand, prod, GateConfig(max_score_regression=0.01))
    assert "hs score 0.6 is below production's 0.65" in worse["reasons"][0]
    # Production's own recorded score counts only for the same task data (fingerprint).
    recorded = {"version": 2, "metrics": {**prod["metrics"], "scores": {"hs": 0.7}, "task_info": {"hs": {"sha256": "f1"}}}}
    no_base = {**cand, "metrics": {k: v for k, v in cand["metrics"].items() if k != "baseline"}}
    assert "below production's 0.7" in decide(no_base, recorded, GateConfig(max_score_regression=0.05))["reasons"][0]
    recorded["metrics"]["task_info"]["hs"]["sha256"] = "other"
    assert "not comparable" in decide(no_base, recorded, GateConfig(max_score_regression=0.05))["reasons"][0]
    for bad in ({"hs:": 0.5}, {"a:b:c": 0.5}, {"hs": float("nan")}):
        with pytest.raises(ValueError):
            GateConfig(min_score=bad)
    with pytest.raises(ValueError):
        GateConfig(max_score_regression=1.5)
