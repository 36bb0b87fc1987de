"""A captured snapshot arriving on the controller: validate it, compare it, keep it (or keep the old one).

One call per host of a fleet capture (the Ansible role's action plugin calls it in-process): the
bytes a host's capture printed become `snapshots/<env>/<host>.json` only when they are a complete,
valid snapshot of that host; otherwise the previous file stays byte for byte and the caller is told
why. Whether the configuration changed is decided as `netstack-docs diff` decides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netstack_docs.errors import UserError
from netstack_docs.snapshot import SnapshotError, dump_snapshot, load_snapshot, write_atomic
from netstack_docs.snapshot.load import parse_snapshot
from netstack_docs.snapshot.slug import is_slug
from netstack_docs.versions.diff import diff_snapshots


@dataclass(frozen=True)
class Stored:
    """What happened to the host's file: `reason` is one line for the per-host summary."""

    changed: bool
    reason: str


def target_path(snapshots: Path, env: str, host: str) -> Path:
    """snapshots/<env>/<host>.json, after checking both names are slugs (they become URLs)."""
    for what, value, variable in (("environment", env, "netstack_env"), ("host", host, "netstack_host")):
        if not is_slug(value):
            raise UserError(f"{what} {value!r} is not a slug (a-z, 0-9, '-'): set {variable}")
    return snapshots / env / f"{host}.json"


def parse_capture(raw: str | bytes, source: str, env: str) -> dict[str, Any]:
    """The document a capture printed, validated; `source` names it in errors."""
    if not raw.strip():
        raise SnapshotError(source, "(document)", "the capture printed nothing")
    doc = parse_snapshot(raw, source)
    if doc["host"]["env"] != env:
        raise SnapshotError(source, "host.env", f"{doc['host']['env']!r}, expected {env!r}")
    return doc


def _previous(target: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The snapshot the new one replaces, or why there is none to compare with."""
    if not target.exists():
        return None, None
    try:
        return load_snapshot(target), None
    except SnapshotError as exc:
        return None, f"replaced an unusable previous file ({exc.field}: {exc.problem})"


def store_capture(doc: dict[str, Any], target: Path, *, write: bool = True) -> Stored:
    """Replace `target` with `doc` atomically (unless `write` is false: check mode) and say what changed."""
    env, host = target.parent.name, target.stem
    previous, trouble = _previous(target)
    if previous is None:
        changed, reason = True, trouble or "new snapshot"
    else:
        changed = diff_snapshots(previous, doc, env, host).changed
        reason = "configuration changed" if changed else "configuration unchanged"
    if write:
        try:
            write_atomic(target, dump_snapshot(doc))
        except OSError as exc:
            raise UserError(f"{target}: cannot write the snapshot: {exc.strerror or exc}") from None
    return Stored(changed, reason)
