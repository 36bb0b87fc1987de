"""The `netstack-docs` command line: one module per command under netstack_docs.commands, loaded lazily."""

from __future__ import annotations

import importlib
import sys

import click

from netstack_docs import __version__
from netstack_docs.errors import UserError

COMMANDS = {
    "new": "Create a docs repository: your settings and pages beside the generated ones.",
    "capture": "Capture this host's network stack into a snapshot file.",
    "validate": "Check snapshot files against the schema.",
    "build": "Generate and build the documentation site from snapshots.",
    "serve": "Live preview of the site while editing pages or snapshots.",
    "publish": "Build and publish a dated version of the site with mike.",
    "diff": "Show what changed between two snapshots or snapshot directories.",
    "bundle": "Write the single-file capture bundle (zipapp) for hosts where nothing is installed.",
    "redact": "Apply keyed pseudonyms to an existing snapshot (the key stays on this machine).",
    "trace": "Walk a packet through a host's captured stack: where does it go?",
    "reach": "Who can reach what: every packet from an interface, as regions with their deciding rules.",
    "check": "Check snapshots against declared intents (intent.yaml) and built-in checks.",
}


class LazyGroup(click.Group):
    """Import a command's module only when it runs, so `--help` and small commands start fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"netstack_docs.commands.{cmd_name}")
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl(list(COMMANDS.items()))


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Typical flow: `netstack-docs capture --env prod` on each host, collect the JSON files under "
    "snapshots/<env>/, then `netstack-docs build` (or `publish`) anywhere.",
)
@click.version_option(__version__, prog_name="netstack-docs")
def cli() -> None:
    """Document the Linux network stack of real hosts as a versioned MkDocs site.

    The pipeline runs one way: capture (on the host) -> snapshot (a JSON file) -> model -> pages -> site.
    """


def main(argv: list[str] | None = None) -> None:
    try:
        rv = cli.main(args=argv, prog_name="netstack-docs", standalone_mode=False)
    except UserError as exc:
        click.echo(f"netstack-docs: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("netstack-docs: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("netstack-docs: interrupted", err=True)
        sys.exit(130)
    sys.exit(rv if isinstance(rv, int) else 0)
