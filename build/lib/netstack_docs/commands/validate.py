"""`netstack-docs validate FILE...`: check snapshots, naming the file and field of every problem."""

from __future__ import annotations

from pathlib import Path

import click

from netstack_docs.snapshot import SnapshotError, load_snapshot


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(p.rglob("*.json")) if p.is_dir() else [p])
    return files


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def command(paths: tuple[Path, ...]) -> int:
    """Validate snapshot FILEs (or every *.json under a directory).

    Prints one line per problem (file: field: problem) and exits 1 when any snapshot is invalid.
    """
    bad = 0
    files = _expand(paths)
    for path in files:
        try:
            load_snapshot(path)
        except SnapshotError as exc:
            bad += 1
            click.echo(f"netstack-docs: invalid: {exc}", err=True)
    click.echo(f"{len(files) - bad} of {len(files)} snapshot(s) valid")
    return 1 if bad or not files else 0
