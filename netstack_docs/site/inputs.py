"""Find and validate every snapshots/<env>/<host>.json before anything is written.

The environment directory and the file name become URL path segments, so both must be slugs, the
directory must match the snapshot's own `host.env`, and neither may shadow a top-level page of the site.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netstack_docs.errors import UserError
from netstack_docs.snapshot import SnapshotError, load_snapshot
from netstack_docs.snapshot.load import is_slug

# Top-level names the site itself uses: an environment with one of these names would replace them.
RESERVED_ENVS = frozenset(
    {
        "handbook",
        "changes",
        "assets",
        "search",
        "stylesheets",
        "javascripts",
        "getting-started",
        "linking",
        "index",
        "404",
        "sitemap",
        "trace",
    }
)


# Pages of an environment next to its hosts: /<env>/checks/ (netstack_docs.render.checks).
RESERVED_HOSTS = frozenset({"checks"})


@dataclass(frozen=True)
class SnapshotFile:
    env: str
    slug: str
    path: Path
    doc: dict[str, Any]


def find_snapshot_files(snapshots_dir: Path) -> list[Path]:
    if not snapshots_dir.is_dir():
        raise UserError(
            f"{snapshots_dir}: no such snapshots directory (expected <env>/<host>.json files); make one by "
            f"capturing a host: `sudo netstack-docs capture --env prod --out {snapshots_dir}/prod/HOST.json` "
            "(or point --snapshots at yours)"
        )
    stray = sorted(p for p in snapshots_dir.glob("*.json"))
    if stray:
        raise UserError(
            f"{stray[0]}: snapshots belong in an environment directory: {snapshots_dir}/<env>/<host>.json"
        )
    return sorted(snapshots_dir.glob("*/*.json"))


def load_snapshot_file(path: Path) -> SnapshotFile:
    env, slug = path.parent.name, path.stem
    if not is_slug(env):
        raise SnapshotError(path, "(directory name)", f"environment {env!r} is not a slug: use [a-z0-9-]")
    if env in RESERVED_ENVS:
        raise SnapshotError(
            path, "(directory name)", f"environment {env!r} would replace the site's own /{env}/ page"
        )
    if not is_slug(slug):
        raise SnapshotError(
            path, "(file name)", f"host name {slug!r} is not a slug: use [a-z0-9-] (it is the URL)"
        )
    if slug in RESERVED_HOSTS:
        raise SnapshotError(path, "(file name)", f"host name {slug!r} would replace the /{env}/{slug}/ page")
    doc = load_snapshot(path)
    if doc["host"]["env"] != env:
        raise SnapshotError(path, "host.env", f"{doc['host']['env']!r} does not match its directory {env!r}")
    return SnapshotFile(env, slug, path, doc)


def empty_envs(snapshots_dir: Path, snapshots: list[SnapshotFile]) -> list[str]:
    """Environments with a directory but no host yet (`new --env staging`): shown, with how to fill them."""
    taken = {snap.env for snap in snapshots}
    return sorted(
        d.name
        for d in snapshots_dir.iterdir()
        if d.is_dir() and is_slug(d.name) and d.name not in RESERVED_ENVS and d.name not in taken
    )


def load_snapshots(
    snapshots_dir: Path, progress: Callable[[int, int], None] | None = None
) -> list[SnapshotFile]:
    """Every snapshot, validated; the first invalid file stops the build with its file and field named."""
    paths = find_snapshot_files(snapshots_dir)
    loaded = []
    for i, path in enumerate(paths, 1):
        loaded.append(load_snapshot_file(path))
        if progress:
            progress(i, len(paths))
    return loaded
