"""What an endpoint pod loads (issue 25): the version its template annotation names (a canary), else the alias."""

import json

import pytest

from aiinfra import registry as registry_cli
from aiinfra.registry import ModelRegistry, RegistryError, Token


def _version(registry, tmp_path, name, accepted):
    src = tmp_path / name
    (src / "weights").mkdir(parents=True)
    (src / "weights" / "model.safetensors").write_bytes(name.encode() * 10)
    n = registry.register(str(src), run=name, lineage={}, metrics={"test_loss": 1.0})
    registry.decide(n, {"accepted": accepted, "reasons": [] if accepted else ["worse"]})
    return n


@pytest.fixture
def reg(tmp_path):
    registry = ModelRegistry(str(tmp_path / "registry" / "chat"))
    one = _version(registry, tmp_path, "one", True)
    registry.move_alias("production", one, run="one", expect=Token(None))
    _version(registry, tmp_path, "two", True)
    _version(registry, tmp_path, "three", False)
    return registry


def test_an_empty_version_resolves_the_alias(reg):
    assert reg.resolve_for_pod("production", "") == reg.model_uri(1)
    assert reg.resolve_for_pod("production", None) == reg.model_uri(1)
    assert reg.resolve_for_pod("production", "  ") == reg.model_uri(1)


def test_a_version_wins_over_the_alias(reg):
    assert reg.resolve_for_pod("production", "2") == reg.model_uri(2)
    assert reg.model_uri(2).endswith("/versions/00000002/model")


@pytest.mark.parametrize("version, message", [
    ("3", "not accepted by the gate"),
    ("9", "not registered"),
    ("0", "positive decimal"),
    ("-1", "positive decimal"),
    ("v2", "positive decimal"),
])
def test_bad_or_rejected_versions_are_refused(reg, version, message):
    with pytest.raises(RegistryError, match=message):
        reg.resolve_for_pod("production", version)


def test_cli_writes_the_uri_for_the_server_and_fails_cleanly(reg, tmp_path, capsys):
    out = tmp_path / "model-uri"
    assert registry_cli.main(["--root", reg.root, "resolve", "--alias", "production", "--version", "", "--out", str(out)]) == 0
    assert out.read_text().strip() == reg.model_uri(1)
    assert registry_cli.main(["--root", reg.root, "resolve", "--version", "2", "--out", str(out)]) == 0
    assert out.read_text().strip() == reg.model_uri(2)
    assert registry_cli.main(["--root", reg.root, "resolve", "--version", "3", "--out", str(out)]) == 1
    assert "not accepted" in capsys.readouterr().err
    # a failed resolve leaves the previous file, never a half-written one
    assert out.read_text().strip() == reg.model_uri(2)
    assert not (tmp_path / "model-uri.tmp").exists()
    assert json.loads(json.dumps(reg.alias("production")[0]))["version"] == 1


def test_cli_downloads_the_resolved_version_for_vllm(reg, tmp_path):
    dest = tmp_path / "models" / "model"
    assert registry_cli.main(["--root", reg.root, "resolve", "--version", "2", "--download", str(dest)]) == 0
    assert (dest / "weights" / "model.safetensors").read_bytes() == b"two" * 10
    other = tmp_path / "models" / "alias"
    assert registry_cli.main(["--root", reg.root, "resolve", "--download", str(other)]) == 0
    assert (other / "weights" / "model.safetensors").read_bytes() == b"one" * 10
