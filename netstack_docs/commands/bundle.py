"""`netstack-docs bundle`: write the single-file capture bundle for hosts where nothing is installed."""

from __future__ import annotations

from pathlib import Path

import click

from netstack_docs.errors import UserError


@click.command(epilog="Then, on a host with Python 3.9 or later and nothing else installed:\n\n"
               "  sudo python3 netstack-capture.pyz capture --env prod --out /tmp/web-01.json")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("netstack-capture.pyz"),
              show_default=True, help="Where to write the bundle.")
def command(out: Path) -> None:
    """Write the capture half and pyroute2 as one zipapp (the same bytes for the same installation)."""
    from netstack_docs.bundle.build import write_bundle

    try:
        count = write_bundle(out)
    except OSError as exc:
        raise UserError(f"{out}: cannot write the bundle: {exc.strerror or exc}") from None
    click.echo(f"wrote {out}: {count} files, {out.stat().st_size // 1024} KiB")
