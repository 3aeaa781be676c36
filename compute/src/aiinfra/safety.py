"""Checks on the names and storage locations a config or a request may name (trainer and server).

- A model or adapter *name* (served model name, Hugging Face hub id) is one to four ``/``-separated segments
  of letters, digits, ``.``, ``_``, ``-``, each starting with a letter or digit: no ``..``, no absolute
  path, no backslash, no control character, at most 128 characters a segment.
- A storage *location* (checkpoint dir, model URI, data path) never holds a ``.`` or ``..`` segment, a
  backslash, a control character or a percent-encoded ``.``, ``/`` or ``\\``; with configured roots (the
  bucket, or bucket prefix, the platform gave this workload) it must lie under one of them: same scheme and
  bucket, the root's path a whole-segment prefix of its path. Local paths are compared after resolving
  symlinks, so a link cannot lead out of the root.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

__all__ = ["UnsafeInputError", "check_name", "check_location", "parse_roots", "redact_uri"]

_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_NAME_RE = re.compile(rf"^{_SEGMENT}(/{_SEGMENT}){{0,3}}$")
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.-]*)://([^/]*)(.*)$")
_ENCODED = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)


class UnsafeInputError(ValueError):
    """A name or location that could reach outside what the workload was given."""


def check_name(name: str, what: str) -> str:
    """``name`` if it is a safe model/adapter name; raises UnsafeInputError naming ``what`` otherwise."""
    if not isinstance(name, str) or not _NAME_RE.match(name) or any(seg in (".", "..") for seg in name.split("/")):
        raise UnsafeInputError(
            f"{what} {name!r} is not allowed: use 1-4 '/'-separated segments of letters, digits, '.', '_', '-' "
            "(each starting with a letter or digit; no '..', no absolute path)"
        )
    return name


def _split(location: str) -> tuple[str, str, str]:
    """(scheme, bucket, path); a local path has scheme 'file' and an empty bucket."""
    m = _SCHEME_RE.match(location)
    if m:
        return m.group(1), m.group(2), m.group(3)
    return "file", "", location


def redact_uri(uri: str) -> str:
    """``uri`` without credentials in its authority (``s3://key:secret@bucket`` -> ``s3://***@bucket``)."""
    m = _SCHEME_RE.match(uri)
    if m and "@" in m.group(2):
        return f"{m.group(1)}://***@{m.group(2).rsplit('@', 1)[1]}{m.group(3)}"
    return uri


def parse_roots(value: str | None) -> list[str]:
    """Comma-separated roots (an env value) as a list; empty when unset."""
    return [r.strip() for r in (value or "").split(",") if r.strip()]


def check_location(location: str, what: str, roots: Sequence[str] = ()) -> str:
    """``location`` if it has no traversal and (with ``roots``) lies under one of them; raises otherwise."""
    shown = redact_uri(location) if isinstance(location, str) else location
    if not isinstance(location, str) or not location:
        raise UnsafeInputError(f"{what} {shown!r} is not a location")
    if "\\" in location or any(ord(c) < 32 or ord(c) == 127 for c in location) or _ENCODED.search(location):
        raise UnsafeInputError(f"{what} {shown!r} holds a backslash, a control character or a percent-encoded '.', '/' or '\\'")
    scheme, bucket, path = _split(location)
    if "@" in bucket:
        raise UnsafeInputError(f"{what} {shown!r} carries credentials in its URI: use the workload identity")
    if any(seg in (".", "..") for seg in path.split("/")):
        raise UnsafeInputError(f"{what} {shown!r} holds a '.' or '..' path segment")
    if not roots:
        return location
    for root in roots:
        r_scheme, r_bucket, r_path = _split(root.rstrip("/") or "/")
        if (r_scheme, r_bucket) != (scheme, bucket):
            continue
        if scheme == "file":
            real, real_root = os.path.realpath(path), os.path.realpath(r_path)
            if os.path.commonpath([real, real_root]) == real_root:
                return location
        else:
            base = r_path.rstrip("/")
            if path.rstrip("/") == base or path.startswith(base + "/"):
                return location
    raise UnsafeInputError(f"{what} {shown!r} is outside the configured storage ({', '.join(roots)})")
