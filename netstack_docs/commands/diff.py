"""`netstack-docs diff OLD NEW`: what changed between two snapshots or two snapshot directories."""

from __future__ import annotations

from pathlib import Path

import click

from netstack_docs.commands.options import config_option, repository_assumptions, repository_outside
from netstack_docs.errors import UserError
from netstack_docs.versions.diff import diff_sets
from netstack_docs.versions.report import to_json, to_text
from netstack_docs.versions.sources import load_side


@click.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON (for tools).")
@click.option(
    "--reach",
    "reach",
    is_flag=True,
    help="Compare who can reach what instead: the packets that became able, or stopped being able, to "
    "reach each listening socket (per host and from outside), with the configuration changes that caused it.",
)
@config_option
def command(old: Path, new: Path, as_json: bool, reach: bool, config_file: Path | None) -> int:
    """Compare OLD and NEW: two snapshot files, or two directories laid out <env>/<host>.json.

    Prints what was added (+), removed (-) and changed (~ field: old -> new) per host, namespace and
    kind; volatile state (counters, timers, pids, kernel-assigned ids) is ignored. With --reach, the
    reachability changes instead, under the docs repository's stated outcomes and outside
    (extra.netstack.assume and .outside of mkdocs.yml). Exit status as diff(1): 0 identical (with
    --reach: nothing became or stopped being reachable), 1 different, 2 trouble.
    """
    old_side, new_side = load_side(old), load_side(new)
    if isinstance(old_side, dict) != isinstance(new_side, dict):
        raise UserError(f"{old} and {new}: compare two files or two directories, not one of each")
    if isinstance(old_side, tuple) and isinstance(new_side, tuple):
        # Two files: the user says they are the same host, whatever their names.
        old_map, new_map = {new_side[0]: old_side[1]}, dict([new_side])
    else:
        assert isinstance(old_side, dict) and isinstance(new_side, dict)
        if not old_side and not new_side:
            raise UserError(f"{old} and {new}: no snapshots found (expected <env>/<host>.json files)")
        old_map, new_map = old_side, new_side
    if reach:
        return _reach(old_map, new_map, as_json, config_file)
    result = diff_sets(old_map, new_map)
    click.echo(to_json(result) if as_json else to_text(result), nl=False)
    return 0 if result.identical else 1


def _reach(old: dict, new: dict, as_json: bool, config_file: Path | None) -> int:  # type: ignore[type-arg]
    from netstack_docs.analysis.reach.delta import reach_diff
    from netstack_docs.analysis.trace import TraceInputError
    from netstack_docs.versions import reachreport

    try:
        result = reach_diff(old, new, repository_assumptions(config_file), repository_outside(config_file))
    except TraceInputError as exc:
        raise UserError(f"diff --reach: {exc}") from None
    click.echo(reachreport.to_json(result) if as_json else reachreport.to_text(result), nl=False)
    return 0 if result.identical else 1
