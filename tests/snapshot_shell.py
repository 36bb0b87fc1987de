"""The shell of a schema-valid snapshot around given namespaces, shared by the test fixture builders."""

from __future__ import annotations

from typing import Any


def snapshot_document(
    namespaces: list[dict[str, Any]], host: dict[str, Any], captured_at: str, **extra: Any
) -> dict[str, Any]:
    """Every top-level section the schema requires, empty; `extra` replaces whole sections."""
    doc: dict[str, Any] = {
        "schema_version": 1,
        "meta": {"captured_at": captured_at, "tool_version": "test"},
        "host": host,
        "namespaces": namespaces,
        "bpf": {"programs": []},
        "daemons": [],
        "state": {},
        "gaps": [],
    }
    doc.update(extra)
    return doc
