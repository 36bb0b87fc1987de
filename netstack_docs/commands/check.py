"""`netstack-docs check`: declared intents and built-in checks against the snapshots; exit 0, 1 or 2.

0: nothing failed (undetermined findings are listed, and do not fail the run: they are not passes
either, the summary counts them apart); 1: at least one finding failed; 2: bad input (an intent
file, a snapshot, an unknown --disable name), with file:line and key named.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from netstack_docs.commands.options import (
    config_option,
    repository_assumptions,
    repository_snapshots,
    snapshots_option,
)


def _line(f: object) -> str:
    from netstack_docs.analysis.check import Finding

    assert isinstance(f, Finding)
    where = f"{f.env}/{f.host}" + (f" [{f.netns}]" if f.netns else "")
    return (
        f"{f.status.upper():12} {where}: {f.check}\n"
        f"{'':13}expected: {f.expected}\n{'':13}actual:   {f.actual}\n{'':13}see:      {f.url}"
    )


@click.command()
@snapshots_option
@config_option
@click.option(
    "--intent",
    "intent_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Intent file (repeatable) [default: intent.yaml and intent/*.yaml of the docs repository].",
)
@click.option("--json", "as_json", is_flag=True, help="Print every finding as JSON on stdout.")
@click.option(
    "--junit",
    "junit_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write a JUnit XML report to this file (one test case per check and host).",
)
@click.option("--disable", multiple=True, metavar="NAME", help="Switch a built-in check off (repeatable).")
def command(
    snapshots_dir: Path | None,
    config_file: Path | None,
    intent_files: tuple[Path, ...],
    as_json: bool,
    junit_file: Path | None,
    disable: tuple[str, ...],
) -> int:
    """Check every snapshot against declared intents and the built-in checks.

    Each finding names the intent or built-in, the host, the component (with its URL on the site),
    what was expected and what the snapshot shows.
    """
    from netstack_docs.analysis.check import (
        FAIL,
        UNDETERMINED,
        Host,
        default_intent_files,
        load_intents,
        run_checks,
    )
    from netstack_docs.analysis.check.junit import junit_xml
    from netstack_docs.site.inputs import load_snapshots

    root = config_file.resolve().parent if config_file is not None else Path.cwd()  # the docs repository
    files = list(intent_files) or default_intent_files(root)
    declared = load_intents(files)
    hosts = [
        Host(s.env, s.slug, s.doc) for s in load_snapshots(repository_snapshots(snapshots_dir, config_file))
    ]
    assume = repository_assumptions(config_file)
    report = run_checks(hosts, declared.intents, declared.disabled | set(disable), assume)
    if junit_file is not None:
        junit_file.write_bytes(junit_xml(report))
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, sort_keys=True))
    else:
        for f in report.findings:
            if f.status in (FAIL, UNDETERMINED):
                click.echo(_line(f))
        for name in report.unmatched:
            click.echo(f"warning: intent {name!r} selects no host", err=True)
        counts = report.counts()
        source = ", ".join(str(p) for p in files) if files else "no intent file (built-ins only)"
        click.echo(
            f"{len(hosts)} host(s), {len(report.checks)} check(s) from {source}: "
            f"{counts[FAIL]} failed, {counts[UNDETERMINED]} undetermined, {counts['pass']} passed"
        )
    return 1 if report.failed else 0
