"""The snapshot document: its schema, loading with validation, and atomic, deterministic writing."""

from netstack_docs.snapshot.load import (
    SCHEMA_VERSION,
    SnapshotError,
    config_view,
    load_snapshot,
    validate_document,
)
from netstack_docs.snapshot.write import dump_snapshot, write_atomic

__all__ = [
    "SCHEMA_VERSION",
    "SnapshotError",
    "config_view",
    "dump_snapshot",
    "load_snapshot",
    "validate_document",
    "write_atomic",
]
