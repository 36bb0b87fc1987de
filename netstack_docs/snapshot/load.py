"""Load a snapshot file and validate it against the JSON Schema, naming the file and field on error."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from netstack_docs.errors import UserError
from netstack_docs.snapshot.slug import is_slug as is_slug  # the build half imports it from here
from netstack_docs.snapshot.slug import schema

SCHEMA_VERSION = 2  # what capture writes
# Versions this netstack-docs reads. Version 2 only added fields (nftables table and chain handles,
# namespaces left out of a capture, running daemons, CNI/flannel and OVS facts), all optional: a
# version 1 snapshot (a previous published version's, say) is read as it is.
READABLE_VERSIONS = (1, 2)


class SnapshotError(UserError):
    """A snapshot that cannot be used: unreadable, not JSON, foreign, or not matching the schema."""

    def __init__(self, path: Path | str, field: str, problem: str):
        self.path = str(path)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.path}: {field}: {problem}")

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        """Pickled as its three parts (a build's worker process sends it back whole)."""
        return type(self), (self.path, self.field, self.problem)


@cache
def _fast_validator() -> Any:
    """A compiled Rust validator: answers "valid?" in microseconds for multi-megabyte fleets."""
    return jsonschema_rs.validator_for(schema())


def field_path(parts: Any) -> str:
    """`a.b[2].c`: a JSON path as messages name it (snapshot and intent errors alike)."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def validate_document(doc: Any, path: Path | str) -> dict[str, Any]:
    """Raise SnapshotError for the first problem, most specific field first."""
    if not isinstance(doc, dict):
        raise SnapshotError(path, "(document)", f"expected a JSON object, found {type(doc).__name__}")
    if "schema_version" not in doc:
        raise SnapshotError(path, "schema_version", "missing: this is not a netstack-docs snapshot")
    if doc["schema_version"] not in READABLE_VERSIONS:
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise SnapshotError(
            path,
            "schema_version",
            f"{doc['schema_version']!r} is not supported (this netstack-docs reads versions {readable})",
        )
    if _fast_validator().is_valid(doc):
        errors = []
    else:  # the pure-Python validator explains the problem best (most specific field first)
        import jsonschema  # only here: its import costs a capture 0.06-0.09 s on every host

        validator = jsonschema.Draft202012Validator(schema())
        errors = sorted(
            validator.iter_errors(doc), key=lambda e: (-len(e.absolute_path), str(e.absolute_path))
        )
    if errors:
        from jsonschema.exceptions import best_match

        best = best_match(errors)
        message = best.message if len(best.message) < 300 else best.message[:300] + "..."
        raise SnapshotError(path, field_path(best.absolute_path), message)
    ids = [ns["id"] for ns in doc["namespaces"]]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate is not None:
        raise SnapshotError(path, "namespaces", f"namespace id {duplicate!r} appears more than once")
    return doc


def load_snapshot(path: Path | str) -> dict[str, Any]:
    """Read and validate one snapshot file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(path, "(file)", exc.strerror or str(exc)) from None
    return parse_snapshot(raw, path)


def parse_snapshot(raw: bytes | str, path: Path | str) -> dict[str, Any]:
    """Parse and validate a snapshot's text; `path` names where it came from in errors."""
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = (
            f"line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "(bytes)"
        )
        raise SnapshotError(path, where, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise SnapshotError(path, "(document)", "nested too deeply to be a snapshot") from None
    return validate_document(doc, path)


VOLATILE_KEYS = ("meta", "state")


def config_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The part of a snapshot that two captures of an unchanged host share: no metadata, no state."""
    return {k: v for k, v in doc.items() if k not in VOLATILE_KEYS}
