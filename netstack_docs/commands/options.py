"""Options several commands share, declared once so their names, defaults and help never drift."""

from __future__ import annotations

from pathlib import Path

import click

snapshots_option = click.option(
    "--snapshots",
    "snapshots_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("snapshots"),
    show_default=True,
    help="Directory of snapshots laid out as <env>/<host>.json.",
)
