"""`netstack-docs check`: declared intents and built-in checks against the snapshots; exit 0, 1, 2 or 3.

0: everything passed; 1: at least one finding failed, or an intent (not `optional: true`) selected no
host (a typo in a selector must not silently disable a check in CI); 3: nothing failed but something
is undetermined (as `trace` exits; `--undetermined=ok` makes that 0, `--undetermined=fail` makes it
1); 2: bad input (an intent file, a snapshot, an unknown --disable name), with file:line and key named.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from netstack_docs.commands.options import (
    config_option,
    published_base,
    repository_assumptions,
    repository_snapshots,
    snapshots_option,
)

# exit status when nothing failed but something is undetermined, per --undetermined
UNDETERMINED_EXIT = {"exit3": 3, "fail": 1, "ok": 0}


def _line(f: object, base: str | None) -> str:
    from netstack_docs.analysis.check import Finding

    assert isinstance(f, Finding)
    where = f"{f.env}/{f.host}" + (f" [{f.netns}]" if f.netns else "")
    from netstack_docs.versions.report import safe

    trace = "".join(f"\n{'':13}  {i}. {safe(step)}" for i, step in enumerate(f.trace, 1))
    return (
        f"{f.status.upper():12} {where}: {f.check}\n"
        f"{'':13}expected: {f.expected}\n{'':13}actual:   {f.actual}\n{'':13}see:      {(base or '') + f.url}"
        + (f"\n{'':13}trace of the example:{trace}" if trace else "")
    )


@click.command(
    epilog="""\b
Exit status: 0 everything passed; 1 a finding failed, or an intent selects no host (unless it says
`optional: true`); 3 nothing failed but something is undetermined (--undetermined=ok: 0, =fail: 1);
2 bad input. With `site_url` in mkdocs.yml every finding links to the published site (latest version).""",
)
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
@click.option(
    "--undetermined",
    type=click.Choice(["exit3", "fail", "ok"]),
    default="exit3",
    show_default=True,
    help="Exit status when nothing failed but a finding is undetermined: 3, 1 (fail) or 0 (ok).",
)
def command(
    snapshots_dir: Path | None,
    config_file: Path | None,
    intent_files: tuple[Path, ...],
    as_json: bool,
    junit_file: Path | None,
    disable: tuple[str, ...],
    undetermined: str,
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
    base = published_base(config_file)
    if as_json:
        data = report.to_json()
        if base:  # `url` stays site-relative; the published address is added beside it
            for finding in data["findings"]:
                finding["component"]["absolute_url"] = base + finding["component"]["url"]
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        for f in report.findings:
            if f.status in (FAIL, UNDETERMINED):
                click.echo(_line(f, base))
        required = {n.intent for n in report.selects_nothing}
        for name in report.unmatched:
            if name not in required:
                click.echo(f"note: optional intent {name!r} selects no host", err=True)
        for missing in report.selects_nothing:
            click.echo(f"FAIL         {missing.message}")
        counts = report.counts()
        source = ", ".join(str(p) for p in files) if files else "no intent file (built-ins only)"
        unselected = len(report.selects_nothing)
        nothing = f", {unselected} intent(s) selecting no host" if unselected else ""
        click.echo(
            f"{len(hosts)} host(s), {len(report.checks)} check(s) from {source}: "
            f"{counts[FAIL]} failed, {counts[UNDETERMINED]} undetermined, {counts['pass']} passed{nothing}"
        )
    if report.failed:
        return 1
    return UNDETERMINED_EXIT[undetermined] if report.undetermined else 0
