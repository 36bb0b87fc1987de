"""Turn DOT sources into SVG files: content-addressed cache, parallel `dot` processes, byte-stable output.

Why SVG: it stays sharp at any zoom (glightbox). Graphviz links icons by absolute local path, which
breaks once published: svg.embed_icons inlines them as data URIs (and refuses any other path).
Graphviz writes no time into SVG, so the same DOT gives the same bytes. Why a thread pool: each
render is a separate `dot` process, so threads that wait on them give process-level parallelism
without pickling graphs. The cache key is the masked DOT source plus the renderer identity (this
module's version, diagrams and Graphviz versions), so a host whose DOT did not change is copied
from the cache instead of rendered.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from netstack_docs.diagrams.dot import unmasked
from netstack_docs.diagrams.svg import IconError, embed_icons
from netstack_docs.errors import UserError

RENDERER_VERSION = "2"  # bump when rendering or post-processing changes the output bytes
FORMAT = "svg"


class DiagramError(UserError):
    """Graphviz failed on one figure: names the figure and shows dot's message."""


GRAPHVIZ_MISSING = (
    "Graphviz is not installed: the diagrams are drawn by its `dot` program, which is not on PATH. "
    "Install it (Debian/Ubuntu: `sudo apt-get install graphviz`; Fedora/RHEL: `sudo dnf install graphviz`; "
    "macOS: `brew install graphviz`) and build again, or build without pictures: "
    "`netstack-docs build --no-diagrams` (each diagram's text equivalent stays on its page). "
    "The previous site was left as it was."
)


def check_graphviz() -> None:
    """Stop before anything is drawn when `dot` is missing: a clear message, not a traceback."""
    if shutil.which("dot") is None:
        raise UserError(GRAPHVIZ_MISSING)


@dataclass(frozen=True)
class Job:
    name: str  # for messages: "prod/edge-01 topology"
    source: str  # masked DOT
    dest: Path


@dataclass
class RenderStats:
    rendered: int = 0
    cached: int = 0
    rendered_names: list[str] = field(default_factory=list)


@functools.cache
def renderer_id() -> str:
    dot = subprocess.run(["dot", "-V"], capture_output=True, text=True, check=False)
    return f"netstack-diagrams {RENDERER_VERSION}; diagrams {version('diagrams')}; {dot.stderr.strip()}"


def cache_key(source: str) -> str:
    return hashlib.sha256(f"{renderer_id()}\x00{source}".encode()).hexdigest()


def _dot(job: Job) -> bytes:
    proc = subprocess.run(
        ["dot", "-Tsvg"], input=unmasked(job.source).encode(), capture_output=True, check=False
    )
    if proc.returncode != 0 or not proc.stdout:
        raise DiagramError(
            f"Graphviz failed on the {job.name} diagram: {proc.stderr.decode(errors='replace')[:500]}"
        )
    try:
        return embed_icons(proc.stdout.decode("utf-8")).encode("utf-8")
    except IconError as exc:
        raise DiagramError(f"the {job.name} diagram: {exc}") from None


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def render_all(
    jobs: list[Job],
    cache_dir: Path,
    workers: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> RenderStats:
    """Render every job not in the cache (each distinct source once, `workers` dot processes at a time)."""
    stats = RenderStats()
    if jobs:
        check_graphviz()
    keyed = [(job, cache_key(job.source)) for job in jobs]
    cached_path = {key: cache_dir / key[:2] / f"{key}.{FORMAT}" for _, key in keyed}
    todo: dict[str, Job] = {}
    for job, key in keyed:
        if not cached_path[key].is_file() and key not in todo:
            todo[key] = job

    def one(item: tuple[str, Job]) -> None:
        key, job = item
        _write_atomic(cached_path[key], _dot(job))

    done = 0
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        for _ in pool.map(one, sorted(todo.items())):
            done += 1
            if progress:
                progress("diagrams", done, len(todo))
    stats.rendered = len(todo)
    stats.rendered_names = sorted(job.name for job in todo.values())
    stats.cached = len(jobs) - len(todo)
    for job, key in keyed:
        job.dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached_path[key], job.dest)
        os.utime(cached_path[key])  # used now: pruning keeps it
    prune(cache_dir)
    return stats


CACHE_MAX_AGE_S = 30 * 24 * 3600


def prune(cache_dir: Path, max_age_s: float = CACHE_MAX_AGE_S) -> int:
    """Remove cached figures no build has used for `max_age_s` (the cache would otherwise only grow)."""
    cutoff = time.time() - max_age_s
    removed = 0
    for path in cache_dir.glob("*/*.*"):  # PNGs of renderer version 1 age out too
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass  # another build pruned it first
    return removed
