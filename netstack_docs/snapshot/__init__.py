"""The snapshot document: its schema, loading with validation, and atomic, deterministic writing.

The names below are imported on first use (PEP 562): `netstack_docs.snapshot.content` and `.slug`
stay importable without the validator's jsonschema, as the browser trace needs (netstack_docs.browser).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netstack_docs.snapshot.load import (
        SCHEMA_VERSION,
        SnapshotError,
        config_view,
        load_snapshot,
        validate_document,
    )
    from netstack_docs.snapshot.write import dump_snapshot, write_atomic

_FROM = {
    "SCHEMA_VERSION": "load",
    "SnapshotError": "load",
    "config_view": "load",
    "load_snapshot": "load",
    "validate_document": "load",
    "dump_snapshot": "write",
    "write_atomic": "write",
}

__all__ = [
    "SCHEMA_VERSION",
    "SnapshotError",
    "config_view",
    "dump_snapshot",
    "load_snapshot",
    "validate_document",
    "write_atomic",
]


def __getattr__(name: str) -> Any:
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
