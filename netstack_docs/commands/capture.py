"""`netstack-docs capture`: the capture half's own argparse command (netstack_docs.capture.cli), run here
with the schema check before writing. One definition of the options for this CLI and the bundle.

Run in a docs repository, it adds `extra.netstack.exclude_netns` of its mkdocs.yml as --exclude-netns
options (the bundle, which has no YAML reader, gets them from the fleet's action instead).
The program (netstack_docs.entry) runs `run_capture` directly, without click, so a capture starts fast."""

from __future__ import annotations

import click

from netstack_docs.entry import run_capture


@click.command(
    "capture",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args: tuple[str, ...]) -> int:
    """Capture this host's network stack into a snapshot file (see `netstack-docs capture --help`)."""
    return run_capture(args)
