"""`netstack-docs capture`: the capture half's own argparse command (netstack_docs.capture.cli), run here
with the schema check before writing. One definition of the options for this CLI and the bundle."""

from __future__ import annotations

import click


@click.command(
    "capture",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args: tuple[str, ...]) -> int:
    """Capture this host's network stack into a snapshot file (see `netstack-docs capture --help`)."""
    from netstack_docs.capture.cli import run
    from netstack_docs.snapshot.load import validate_document

    return run(list(args), validate=validate_document)
