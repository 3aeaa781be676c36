"""Model registry and promotion gate: versions with lineage, decisions written once, and an alias that only one of
two concurrent promotions can move, on a local directory and on S3 (moto server, real conditional PutObject)."""

import json
import threading

import pytest

from aiinfra import gate
from aiinfra.gate import GateConfig, decide
from aiinfra.registry import AliasConflict, ModelRegistry, RegistryError, Token
from test_s3 import s3  # noqa: F401 (fixture: a moto S3 server)


def _model_dir(tmp_path, name, payload):
    d = tmp_path / name
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"name": name}))
    (d / "weights").mkdir()
    (d / "weights" / "model.safetensors").write_bytes(payload)
    return str(d)


@pytest.fixture(params=["local", "s3"])
def root(request, tmp_path, monkeypatch):
    if request.param == "local":
        return str(tmp_path / "registry" / "chat")
    fs = request.getfixturevalue("s3")
    endpoint = fs.client_kwargs.get("endpoint_url") or fs.endpoint_url
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    return "s3://ckpt-bucket/models/chat"


def _register(registry, tmp_path, name, loss, split="split-a", **metrics):
    src = _model_dir(tmp_path, name, name.encode() * 100)
    return registry.register(src, run=name, lineage={"data": split}, metrics={"test_loss": loss, "test_split": split, **metrics})


def test_versions_are_numbered_copied_and_hashed(root, tmp_path):
    registry = ModelRegistry(root)
    v1 = _register(registry, tmp_path, "run-1", 2.0)
    v2 = _register(registry, tmp_path, "run-2", 1.9)
    assert (v1, v2) == (1, 2)
    assert registry.versions() == [1, 2]
    manifest = registry.manifest(2)
    assert manifest["run"] == "run-2" and manifest["lineage"] == {"data": "split-a"}
    assert set(manifest["files"]) == {"config.json", "weights/model.safetensors"}
    assert registry.fs.cat(registry.model_uri(2).split("://")[-1] + "/weights/model.safetensors") == b"run-2" * 100
    assert manifest["decision"] is None


def test_a_claimed_version_without_manifest_does_not_exist(root, tmp_path):
    registry = ModelRegistry(root)
    registry.store.write("versions/00000001/.claim", b"{}", Token(None))  # a run that died while copying
    assert registry.versions() == []
    assert _register(registry, tmp_path, "run-2", 1.0) == 2
    with pytest.raises(RegistryError, match="version 1 is not registered"):
        registry.manifest(1)


def test_concurrent_claims_get_distinct_numbers(tmp_path):
    root = str(tmp_path / "registry")
    got = []
    srcs = [_model_dir(tmp_path, f"m{i}", b"x") for i in range(6)]
    threads = [threading.Thread(target=lambda s=s: got.append(ModelRegistry(root).register(s, run=s, lineage={}, metrics={}))) for s in srcs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [1, 2, 3, 4, 5, 6]


def test_only_one_of_two_concurrent_promotions_wins(root, tmp_path):
    registry = ModelRegistry(root)
    for name in ("a", "b", "c"):
        n = _register(registry, tmp_path, name, 1.0)
        registry.decide(n, {"accepted": True, "reasons": []})
    _, token = registry.alias("production")
    registry.move_alias("production", 1, run="a", expect=token)
    # Runs b and c both read production = v1, both pass their gates, both promote.
    _, seen_by_b = registry.alias("production")
    _, seen_by_c = registry.alias("production")
    registry.move_alias("production", 2, run="b", expect=seen_by_b)
    with pytest.raises(AliasConflict):
        registry.move_alias("production", 3, run="c", expect=seen_by_c)
    current, _ = registry.alias("production")
    assert current == {"version": 2, "previous": 1, "run": "b"}
    assert registry.resolve("production") == registry.model_uri(2)


def test_only_accepted_versions_become_production_and_decisions_are_final(root, tmp_path):
    registry = ModelRegistry(root)
    n = _register(registry, tmp_path, "a", 1.0)
    with pytest.raises(RegistryError, match="not accepted by the gate"):
        registry.move_alias("production", n, run="a", expect=Token(None))
    registry.decide(n, {"accepted": False, "reasons": ["worse"]})
    with pytest.raises(RegistryError, match="already has a gate decision"):
        registry.decide(n, {"accepted": True, "reasons": []})
    with pytest.raises(RegistryError, match="not accepted"):
        registry.move_alias("production", n, run="a", expect=Token(None))
    with pytest.raises(RegistryError, match="not set yet"):
        registry.resolve("production")


def test_alias_names_are_checked(tmp_path):
    with pytest.raises(RegistryError, match="lowercase"):
        ModelRegistry(str(tmp_path)).alias("../prod")


# --- the gate ---------------------------------------------------------------------------------------------------


def _manifest(version, loss, split="s1", **metrics):
    return {"version": version, "metrics": {"test_loss": loss, "test_split": split, **metrics}}


def test_gate_first_version_needs_only_a_finite_loss_and_the_floors():
    assert decide(_manifest(1, 2.0), None, GateConfig())["accepted"]
    rejected = decide(_manifest(1, float("nan")), None, GateConfig())
    assert not rejected["accepted"] and "no finite held-out loss" in rejected["reasons"][0]
    floors = GateConfig(min_score={"hellaswag": 0.55})
    assert not decide(_manifest(1, 2.0, scores={"hellaswag": 0.5}), None, floors)["accepted"]
    assert decide(_manifest(1, 2.0, scores={"hellaswag": 0.6}), None, floors)["accepted"]
    assert decide(_manifest(1, 2.0), None, floors)["reasons"] == ["no hellaswag score"]


def test_gate_compares_with_production_on_the_same_split():
    prod = _manifest(4, 2.0)
    cfg = GateConfig(max_loss_regression=0.01)
    assert decide(_manifest(5, 2.019), prod, cfg)["accepted"]
    worse = decide(_manifest(5, 2.03), prod, cfg)
    assert not worse["accepted"] and "above production's 2" in worse["reasons"][0]
    assert worse["compared_with"] == 4
    other_split = decide(_manifest(5, 1.0, split="s2"), prod, cfg)
    assert not other_split["accepted"] and "not comparable" in other_split["reasons"][0]
    # Production evaluated on the candidate's split within the candidate's own run makes them comparable.
    measured = _manifest(5, 1.0, split="s2", baseline={"version": 4, "test_loss": 1.05})
    assert decide(measured, prod, cfg)["accepted"]


def test_gate_cli_exit_codes_and_recorded_decision(tmp_path, capsys):
    root = str(tmp_path / "registry")
    registry = ModelRegistry(root)
    v1 = _register(registry, tmp_path, "a", 2.0)
    assert gate.main(["--root", root, "--version", str(v1), "--promote", "--run", "a"]) == 0
    assert registry.resolve("production") == registry.model_uri(v1)
    v2 = _register(registry, tmp_path, "b", 2.5)
    assert gate.main(["--root", root, "--version", str(v2), "--promote", "--max-loss-regression", "0.01"]) == gate.EXIT_REJECTED
    assert registry.manifest(v2)["decision"]["accepted"] is False
    assert registry.resolve("production") == registry.model_uri(v1)  # production untouched
    assert "above production" in capsys.readouterr().out
