"""Read one side of a comparison: a snapshot file, or a directory of snapshots keyed by (env, host slug).

Two layouts are read: the source tree's `<dir>/<env>/<host>.json`, and a published version's
`<dir>/<env>/<host>/snapshot.json` (what each version carries), so a published version can be
compared with the working tree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netstack_docs.errors import UserError
from netstack_docs.snapshot import SnapshotError, load_snapshot
from netstack_docs.snapshot.load import is_slug
from netstack_docs.versions.diff import HostKey

PUBLISHED_NAME = "snapshot.json"


def host_key(path: Path, root: Path) -> HostKey:
    """(env, host slug) from a snapshot's place under `root`."""
    rel = path.relative_to(root).parts
    env, host = (rel[0], rel[1]) if path.name == PUBLISHED_NAME else (rel[0], path.stem)
    for what, value in (("environment directory", env), ("host file name", host)):
        if not is_slug(value):
            problem = f"{what} {value!r} is not a slug ([a-z0-9-], it is part of URLs)"
            raise SnapshotError(path, "(file name)", problem)
    return env, host


def _snapshot_files(root: Path) -> list[Path]:
    """A published version (it also holds search/*.json and the like) is read only for its snapshot.json."""
    published = [p for p in root.glob(f"*/*/{PUBLISHED_NAME}") if p.is_file()]
    return sorted(published or [p for p in root.glob("*/*.json") if p.is_file()])


def load_directory(root: Path) -> dict[HostKey, dict[str, Any]]:
    """Every snapshot under `root`, validated; the env directory must match the snapshot's host.env."""
    out: dict[HostKey, dict[str, Any]] = {}
    for path in _snapshot_files(root):
        key = host_key(path, root)
        doc = load_snapshot(path)
        if doc["host"]["env"] != key[0]:
            raise SnapshotError(path, "host.env", f"{doc['host']['env']!r} but the file is under {key[0]}/")
        if key in out:
            raise SnapshotError(path, "(file name)", f"host {key[0]}/{key[1]} appears twice under {root}")
        out[key] = doc
    return out


def load_side(path: Path) -> dict[HostKey, dict[str, Any]] | tuple[HostKey, dict[str, Any]]:
    """A directory -> all its snapshots; a file -> one (key, snapshot)."""
    if path.is_dir():
        return load_directory(path)
    if not path.exists():
        raise UserError(f"{path}: (file): no such file or directory")
    doc = load_snapshot(path)
    host = path.parent.name if path.name == PUBLISHED_NAME else path.stem  # <env>/<host>/snapshot.json
    return (str(doc["host"]["env"]), host), doc
