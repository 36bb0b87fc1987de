"""Run intents given as YAML text on chosen snapshots, and pick findings out of the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netstack_docs.analysis.check import BUILTINS, CheckReport, Finding, Host, load_intents, run_checks


def report_for(
    docs: dict[str, dict[str, Any]],
    intent_yaml: str,
    tmp_path: Path,
    disabled: tuple[str, ...] = tuple(BUILTINS),
) -> CheckReport:
    """Check `docs` (host slug -> snapshot) against `intent_yaml` (built-ins off by default)."""
    path = tmp_path / "intent.yaml"
    path.write_text(intent_yaml)
    hosts = [Host(doc["host"]["env"], slug, doc) for slug, doc in sorted(docs.items())]
    return run_checks(hosts, load_intents([path]).intents, disabled)


def statuses(report: CheckReport, check: str) -> dict[str, str]:
    """host slug -> worst status of `check` there."""
    hosts = sorted({f.host for f in report.findings if f.check == check})
    return {
        h: report.status(check, next(f.env for f in report.findings if f.host == h), h) or "" for h in hosts
    }


def failures(report: CheckReport, check: str, host: str) -> list[Finding]:
    return [f for f in report.findings if f.check == check and f.host == host and f.status == "fail"]
