"""Model registry in the bucket: immutable versions with lineage, and aliases moved by conditional writes.

Layout under one registry root (``<bucket>/models/<pipeline>/``, compute/CONTRACT.md)::

    versions/00000003/
        .claim              created first with "create only if absent": two runs never take the same number
        model/...           the weights, copied from the run's checkpoint (so checkpoint clean-up cannot remove them)
        manifest.json       written last: lineage (data manifest, parent model, trainer image, config) and metrics;
                            a version without it does not exist
        decision.json       the gate's decision (accepted or rejected, with the reasons), written once
    aliases/production.json {"version": 3, "previous": 2, "run": "..."}

An alias moves only by a conditional write against the state the mover read (S3 ``If-Match`` / ``If-None-Match``,
GCS ``ifGenerationMatch``, Azure Blob ``If-Match`` ETags, a lock on a local file system), so of two runs that both
saw version 2 in production and both try to promote, exactly one wins and the other gets ``AliasConflict``.
Endpoints serve an alias: a promotion is runtime data, not a Terraform change.
"""

from __future__ import annotations

import abc
import argparse
import fcntl
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable

import fsspec

VERSION_DIGITS = 8
ALIAS_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")
# checkpoint.STEP_RE, repeated so that this module (run in small init containers) does not import torch.
STEP_RE = re.compile(r"^step-(\d{8})$")


class RegistryError(RuntimeError):
    """A registry operation cannot proceed (missing version, bad name, unsupported store)."""


class AliasConflict(RegistryError):
    """The alias moved since it was read: another run promoted first."""


class AlreadyExists(RegistryError):
    """A create-only write found the object there."""


@dataclass(frozen=True)
class Token:
    """What a conditional write compares against: an ETag / generation, or None for "must not exist yet"."""

    value: str | None


# --- conditional object stores -------------------------------------------------------------------------------


class ConditionalStore(abc.ABC):
    """Small objects with compare-and-swap writes. ``read`` returns (bytes, token) or (None, Token(None))."""

    @abc.abstractmethod
    def read(self, key: str) -> tuple[bytes | None, Token]: ...

    @abc.abstractmethod
    def write(self, key: str, data: bytes, expect: Token) -> None:
        """Write ``data`` if the object is still at ``expect`` (absent when ``expect.value`` is None)."""


class LocalStore(ConditionalStore):
    """A local directory; compare-and-swap under an exclusive lock, the token is the content's sha256."""

    def __init__(self, root: str) -> None:
        self.root = root

    def _path(self, key: str) -> str:
        return os.path.join(self.root, *key.split("/"))

    def read(self, key: str) -> tuple[bytes | None, Token]:
        try:
            with open(self._path(key), "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return None, Token(None)
        return data, Token(hashlib.sha256(data).hexdigest())

    def write(self, key: str, data: bytes, expect: Token) -> None:
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(os.path.join(os.path.dirname(path), ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _, current = self.read(key)
            if current != expect:
                raise (AlreadyExists if expect.value is None else AliasConflict)(key)
            tmp = f"{path}.tmp-{os.getpid()}"
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)


class S3Store(ConditionalStore):
    """S3 conditional writes (PutObject with If-Match / If-None-Match, generally available since 2024)."""

    def __init__(self, bucket: str, prefix: str, client: Any = None) -> None:
        import boto3  # the trainer image installs it with s3fs

        self.bucket, self.prefix = bucket, prefix
        self.client = client or boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3") or None)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def read(self, key: str) -> tuple[bytes | None, Token]:
        try:
            got = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            return None, Token(None)
        return got["Body"].read(), Token(got["ETag"])

    def write(self, key: str, data: bytes, expect: Token) -> None:
        cond = {"IfNoneMatch": "*"} if expect.value is None else {"IfMatch": expect.value}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **cond)
        except self.client.exceptions.ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey"):
                raise (AlreadyExists if expect.value is None else AliasConflict)(key) from err
            raise


class GcsStore(ConditionalStore):
    """Cloud Storage preconditions: ifGenerationMatch (0 means "must not exist")."""

    def __init__(self, bucket: str, prefix: str) -> None:
        from google.cloud import storage  # installed in the trainer image for gs:// registries

        self.bucket = storage.Client().bucket(bucket)
        self.prefix = prefix

    def _blob(self, key: str) -> Any:
        return self.bucket.blob(f"{self.prefix}/{key}" if self.prefix else key)

    def read(self, key: str) -> tuple[bytes | None, Token]:
        from google.api_core.exceptions import NotFound

        blob = self._blob(key)
        try:
            data = blob.download_as_bytes()
        except NotFound:
            return None, Token(None)
        return data, Token(str(blob.generation))

    def write(self, key: str, data: bytes, expect: Token) -> None:
        from google.api_core.exceptions import PreconditionFailed

        try:
            self._blob(key).upload_from_string(data, if_generation_match=int(expect.value or 0))
        except PreconditionFailed as err:
            raise (AlreadyExists if expect.value is None else AliasConflict)(key) from err


class AzureBlobStore(ConditionalStore):
    """Azure Blob conditional writes: If-Match on the ETag, If-None-Match: * to create."""

    def __init__(self, account: str, container: str, prefix: str) -> None:
        from azure.identity import DefaultAzureCredential  # workload identity in the pod
        from azure.storage.blob import ContainerClient

        self.container = ContainerClient(f"https://{account}.blob.core.windows.net", container, DefaultAzureCredential())
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def read(self, key: str) -> tuple[bytes | None, Token]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            got = self.container.download_blob(self._name(key))
        except ResourceNotFoundError:
            return None, Token(None)
        return got.readall(), Token(got.properties.etag)

    def write(self, key: str, data: bytes, expect: Token) -> None:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError

        blob = self.container.get_blob_client(self._name(key))
        try:
            if expect.value is None:
                blob.upload_blob(data, overwrite=False)
            else:
                blob.upload_blob(data, overwrite=True, etag=expect.value, match_condition=MatchConditions.IfNotModified)
        except (ResourceExistsError, ResourceModifiedError) as err:
            raise (AlreadyExists if expect.value is None else AliasConflict)(key) from err


def store_for(root: str) -> ConditionalStore:
    """The conditional store of a registry root URI (local path, s3://, gs://, az://<container>/... on an account)."""
    protocol = fsspec.utils.get_protocol(root)
    rest = root.split("://", 1)[1] if "://" in root else root
    bucket, _, prefix = rest.partition("/")
    prefix = prefix.strip("/")
    if protocol in ("file", "local"):
        return LocalStore(rest if "://" in root else root)
    if protocol in ("s3", "s3a"):
        return S3Store(bucket, prefix)
    if protocol in ("gs", "gcs"):
        return GcsStore(bucket, prefix)
    if protocol in ("az", "abfs", "abfss"):
        account = os.environ.get("AZURE_STORAGE_ACCOUNT_NAME") or os.environ.get("AZURE_STORAGE_ACCOUNT")
        if not account:
            raise RegistryError("an az:// registry needs AZURE_STORAGE_ACCOUNT_NAME (the storage account) in the environment")
        return AzureBlobStore(account, bucket, prefix)
    raise RegistryError(f"registry root {root!r}: no conditional writes for the {protocol!r} store (use s3://, gs://, az:// or a local path)")


# --- the registry ---------------------------------------------------------------------------------------------


def version_dir(n: int) -> str:
    return f"versions/{n:0{VERSION_DIGITS}d}"


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True).encode("utf-8")


def check_alias_name(name: str) -> str:
    if not name or len(name) > 63 or not set(name) <= ALIAS_NAME_CHARS or name[0] == "-":
        raise RegistryError(f"alias {name!r}: use 1-63 lowercase letters, digits and '-', not starting with '-'")
    return name


class ModelRegistry:
    def __init__(self, root: str, store: ConditionalStore | None = None) -> None:
        self.root = root.rstrip("/")
        self.store = store or store_for(self.root)
        self.fs, self.path = fsspec.core.url_to_fs(self.root)

    # versions
    def versions(self) -> list[int]:
        """Registered versions (those whose manifest exists), oldest first."""
        base = f"{self.path}/versions"
        if not self.fs.exists(base):
            return []
        found = []
        for entry in self.fs.ls(base, detail=False):
            name = entry.rstrip("/").rsplit("/", 1)[-1]
            if name.isdigit() and self.fs.exists(f"{base}/{name}/manifest.json"):
                found.append(int(name))
        return sorted(found)

    def manifest(self, n: int) -> dict[str, Any]:
        data, _ = self.store.read(f"{version_dir(n)}/manifest.json")
        if data is None:
            raise RegistryError(f"{self.root}: version {n} is not registered (no manifest)")
        out = json.loads(data)
        decision, _ = self.store.read(f"{version_dir(n)}/decision.json")
        out["decision"] = json.loads(decision) if decision else None
        return out

    def model_uri(self, n: int) -> str:
        return f"{self.root}/{version_dir(n)}/model"

    def _claim(self, run: str) -> int:
        claimed = [int(e.rstrip("/").rsplit("/", 1)[-1]) for e in self._ls("versions") if e.rstrip("/").rsplit("/", 1)[-1].isdigit()]
        n = max(claimed, default=0) + 1
        while True:
            try:
                self.store.write(f"{version_dir(n)}/.claim", _json({"run": run}), Token(None))
                return n
            except AlreadyExists:
                n += 1  # another run took this number between our listing and our claim

    def _ls(self, rel: str) -> list[str]:
        path = f"{self.path}/{rel}"
        return self.fs.ls(path, detail=False) if self.fs.exists(path) else []

    def register(self, model_from: str, *, run: str, lineage: dict[str, Any], metrics: dict[str, Any]) -> int:
        """Copy a model directory into the next version and write its manifest last; returns the version."""
        src_fs, src_path = fsspec.core.url_to_fs(model_from)
        if not src_fs.exists(src_path):
            raise RegistryError(f"model directory {model_from!r} does not exist")
        n = self._claim(run)
        files: dict[str, str] = {}
        dest = f"{self.path}/{version_dir(n)}/model"
        name = src_path.rstrip("/").rsplit("/", 1)[-1]
        if STEP_RE.match(name):
            # One trainer checkpoint step: keep its directory name, so the version's model/ is a checkpoint root
            # that the server and aiinfra.evaluate load like any other.
            dest = f"{dest}/{name}"
        for path in sorted(src_fs.find(src_path)):
            rel = path[len(src_path.rstrip("/")) + 1 :]
            digest = hashlib.sha256()
            self.fs.makedirs(f"{dest}/{rel}".rsplit("/", 1)[0], exist_ok=True)  # local dirs; a no-op on object stores
            with src_fs.open(path, "rb") as src, self.fs.open(f"{dest}/{rel}", "wb") as out:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    digest.update(chunk)
                    out.write(chunk)
            files[rel] = digest.hexdigest()
        manifest = {"version": n, "run": run, "lineage": lineage, "metrics": metrics, "files": files}
        self.store.write(f"{version_dir(n)}/manifest.json", _json(manifest), Token(None))
        return n

    def decide(self, n: int, decision: dict[str, Any]) -> None:
        """Record the gate's decision for a version, once (a second decision is an error, not an overwrite)."""
        self.manifest(n)
        try:
            self.store.write(f"{version_dir(n)}/decision.json", _json(decision), Token(None))
        except AlreadyExists as err:
            raise RegistryError(f"{self.root}: version {n} already has a gate decision") from err

    # aliases
    def alias(self, name: str) -> tuple[dict[str, Any] | None, Token]:
        data, token = self.store.read(f"aliases/{check_alias_name(name)}.json")
        return (json.loads(data) if data else None), token

    def move_alias(self, name: str, n: int, *, run: str, expect: Token) -> None:
        """Point an alias at version n if it is still where the caller read it (``expect``); else AliasConflict."""
        manifest = self.manifest(n)
        if name == "production" and not (manifest["decision"] or {}).get("accepted"):
            raise RegistryError(f"{self.root}: version {n} was not accepted by the gate; it cannot become production")
        current, token = self.alias(name)
        if token != expect:
            raise AliasConflict(f"alias {name!r} moved since it was read (now {current and current.get('version')})")
        body = {"version": n, "previous": current and current.get("version"), "run": run}
        self.store.write(f"aliases/{name}.json", _json(body), expect)

    def resolve(self, name: str) -> str:
        """The model URI an alias points at (what an endpoint loads)."""
        current, _ = self.alias(name)
        if current is None:
            raise RegistryError(f"{self.root}: alias {name!r} is not set yet (no version was promoted)")
        return self.model_uri(int(current["version"]))

    def resolve_version(self, version: str) -> str:
        """The model URI of one version, given as the decimal string a pod annotation carries (a canary's version).

        Only a registered version the gate accepted: a typo or a rejected candidate must not reach users.
        """
        if not version.isdigit() or int(version) < 1:
            raise RegistryError(f"{self.root}: version {version!r} is not a positive decimal number")
        n = int(version)
        decision = self.manifest(n)["decision"] or {}
        if not decision.get("accepted"):
            raise RegistryError(f"{self.root}: version {n} was not accepted by the gate; an endpoint does not serve it")
        return self.model_uri(n)

    def resolve_for_pod(self, alias: str, version: str | None) -> str:
        """What an endpoint's pod loads: the version its template annotation names (a canary), else the alias."""
        version = (version or "").strip()
        return self.resolve_version(version) if version else self.resolve(alias)


# --- CLI ------------------------------------------------------------------------------------------------------

EXIT_CONFLICT = 3


def _load_json_arg(value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    if value.startswith("@"):
        with fsspec.open(value[1:], "r") as fh:
            return json.load(fh)
    return json.loads(value)


def download(uri: str, dest: str) -> None:
    """Copy a model directory (any fsspec URI) into the local directory ``dest``, keeping its layout."""
    src_fs, src_path = fsspec.core.url_to_fs(uri)
    base = src_path.rstrip("/")
    files = sorted(src_fs.find(base))
    if not files:
        raise RegistryError(f"{uri}: no files to download")
    for path in files:
        target = os.path.join(dest, path[len(base) + 1 :])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        src_fs.get_file(path, target)


def _write_atomically(path: str, text: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    os.replace(tmp, path)


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m aiinfra.registry", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", required=True, help="registry root, e.g. s3://bucket/models/chat-model")
    sub = parser.add_subparsers(dest="cmd", required=True)
    reg = sub.add_parser("register", help="copy a model directory into a new version")
    reg.add_argument("--model", required=True)
    reg.add_argument("--run", required=True)
    reg.add_argument("--lineage", help="JSON or @file")
    reg.add_argument("--metrics", help="JSON or @file")
    res = sub.add_parser("resolve", help="print the model URI a version (when given and not empty) or an alias points at")
    res.add_argument("--alias", default="production")
    res.add_argument("--version", default="", help="a version number; empty: the alias (a pod's AIINFRA_MODEL_VERSION, often unset)")
    res.add_argument("--out", help="also write the URI to this file (atomically: a rename), for the server container")
    res.add_argument("--download", help="also copy the resolved model directory into this local directory (vLLM loads it)")
    show = sub.add_parser("show", help="print a version's manifest and decision")
    show.add_argument("--version", type=int, required=True)
    args = parser.parse_args(argv)
    registry = ModelRegistry(args.root)
    try:
        if args.cmd == "register":
            n = registry.register(args.model, run=args.run, lineage=_load_json_arg(args.lineage), metrics=_load_json_arg(args.metrics))
            out(json.dumps({"version": n, "model": registry.model_uri(n)}))
        elif args.cmd == "resolve":
            uri = registry.resolve_for_pod(args.alias, args.version)
            if args.download:
                download(uri, args.download)
            if args.out:
                _write_atomically(args.out, uri)
            out(uri)
        else:
            out(json.dumps(registry.manifest(args.version), indent=2, sort_keys=True))
    except AliasConflict as err:
        print(f"registry: {err}", file=sys.stderr)
        return EXIT_CONFLICT
    except RegistryError as err:
        print(f"registry: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
