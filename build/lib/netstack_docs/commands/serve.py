"""`netstack-docs serve`: live preview of the site while editing hand-written pages or snapshots."""

from __future__ import annotations

from pathlib import Path

import click

from netstack_docs.commands.options import config_option, repository_snapshots, snapshots_option


def _dev_addr(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise click.BadParameter(f"{value!r}: expected HOST:PORT, e.g. 127.0.0.1:8000")
    return host.strip("[]") or "127.0.0.1", int(port)


@click.command(
    epilog="""\b
Examples:
  netstack-docs serve                                 # http://127.0.0.1:8000/
  netstack-docs serve --snapshots /srv/snaps --dev-addr 0.0.0.0:8080

\b
Edit a page in docs/, mkdocs.yml or a snapshot and the site is rebuilt and open browsers reload.
A build that fails (an invalid snapshot, a dangling link) prints why and keeps serving the last
good site. Nothing is written into the source tree.""",
)
@snapshots_option
@config_option
@click.option(
    "--dev-addr",
    default="127.0.0.1:8000",
    show_default=True,
    metavar="HOST:PORT",
    help="Address to serve on.",
)
def command(snapshots_dir: Path | None, config_file: Path | None, dev_addr: str) -> None:
    """Serve a live preview of the site, rebuilt whenever docs/ or the snapshots change."""
    from netstack_docs.site.serve import serve

    host, port = _dev_addr(dev_addr)
    serve(repository_snapshots(snapshots_dir, config_file), host, port, config_file=config_file)
