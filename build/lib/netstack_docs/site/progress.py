"""A rich progress bar on stderr for long builds; a no-op when quiet or not on a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STAGES = {
    "load": "Loading snapshots",
    "classify": "Classifying",
    "render": "Rendering pages",
    "diagrams": "Drawing diagrams",
    "mkdocs": "Building the site (mkdocs)",
}


@contextmanager
def progress_reporter(enabled: bool) -> Iterator[Any]:
    """Yield a `progress(stage, done, total)` callable, or None when progress is not shown."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress
