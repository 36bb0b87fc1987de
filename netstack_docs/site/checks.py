"""The build's check step: the docs repository's intents and the built-ins, run on the snapshots.

Intent files are read from the project (docs repository) directory: `intent.yaml` and
`intent/*.yaml`. A bad intent file stops the build before anything is written, like a bad snapshot.
"""

from __future__ import annotations

from pathlib import Path

from netstack_docs.analysis.check import CheckReport, Host, default_intent_files, load_intents, run_checks
from netstack_docs.render.checks import check_changes_md
from netstack_docs.site.inputs import SnapshotFile, load_snapshots


def check_fleet(
    project_dir: Path, snapshots: list[SnapshotFile], assume: list[str] | None = None
) -> CheckReport:
    declared = load_intents(default_intent_files(project_dir), root=project_dir)  # origins: repo-relative
    hosts = [Host(s.env, s.slug, s.doc) for s in snapshots]
    return run_checks(hosts, declared.intents, declared.disabled, assume or [])


def add_check_changes(
    docs: Path,
    project_dir: Path,
    report: CheckReport,
    previous_snapshots: Path | None,
    assume: list[str] | None = None,
) -> None:
    """Add findings that appeared or resolved to the changes pages (old snapshots, today's intents)."""
    if previous_snapshots is None:
        return
    previous = check_fleet(project_dir, load_snapshots(previous_snapshots), assume)
    for page, markdown in check_changes_md(previous, report).items():
        path = docs / page
        if path.is_file():  # a host that is gone has no changes page of its own
            path.write_text(
                path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + markdown, encoding="utf-8"
            )
