"""Check findings on the site: /<env>/checks/, a section on every host page, the home summary, changes.

The statuses come from netstack_docs.analysis.check (render decides nothing); this module groups
findings per page and gives each check a stable anchor on its environment's checks page
(`check-<slug of its name>`, plus a short hash when the name is not already a clean slug).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netstack_docs.analysis.check import FAIL, PASS, UNDETERMINED, CheckInfo, CheckReport, Finding
from netstack_docs.analysis.check.findings import worst
from netstack_docs.render.env import render
from netstack_docs.render.escape import Trusted, md_code, md_text

CHECKS_PAGE = "checks"  # /<env>/checks/: a host may not take this name (site.inputs)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def checks_path(env: str) -> str:
    return f"{env}/{CHECKS_PAGE}.md"


def check_anchor(name: str) -> str:
    slug = _NOT_SLUG.sub("-", name.lower()).strip("-")[:48].strip("-") or "x"
    if slug != name:
        slug += "-" + hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"check-{slug}"


def finding_target(f: Finding) -> tuple[str, str | None]:
    """(build-dir page path, anchor) of the component a finding names: its layer page, or the host page."""
    host = f.component.host or f.host
    if f.component.layer is None:
        return f"{f.env}/{host}/index.md", None
    return f"{f.env}/{host}/{f.component.layer}.md", f.component.anchor


@dataclass(frozen=True)
class CheckRow:
    info: CheckInfo
    anchor: str
    problems: list[Finding]  # fail and undetermined findings, worst first
    passed_hosts: list[str]  # host slugs where every finding of this check passed
    counts: dict[str, int]  # hosts per status (a host counts once, by its worst finding)
    passed_flows: dict[str, dict[str, Any]] = field(default_factory=dict)  # host -> the trace that passed it


def _rows(report: CheckReport, env: str) -> list[CheckRow]:
    by_check: dict[str, list[Finding]] = defaultdict(list)
    status_of: dict[tuple[str, str], str] = {}  # (check, host) -> worst status
    for f in report.findings:
        if f.env == env:
            by_check[f.check].append(f)
            status_of[(f.check, f.host)] = worst([status_of.get((f.check, f.host), PASS), f.status])
    rows = []
    for info in report.checks:
        findings = by_check.get(info.name, [])
        hosts = sorted({f.host for f in findings})
        status = {h: status_of[(info.name, h)] for h in hosts}
        problems = sorted((f for f in findings if f.status != PASS), key=lambda f: (f.status != FAIL, f.host))
        counts = {s: sum(v == s for v in status.values()) for s in (FAIL, UNDETERMINED, PASS)}
        passed = [h for h in hosts if status[h] == PASS]
        flows = {f.host: f.flow for f in findings if f.flow and f.host in passed}
        rows.append(CheckRow(info, check_anchor(info.name), problems, passed, counts, flows))
    return rows


def render_checks_page(out: Path, env: str, report: CheckReport) -> None:
    page = checks_path(env)
    rows = _rows(report, env)
    hosts = sorted({h for e, h in report.hosts if e == env})
    text = render(
        "checks.md.j2",
        page,
        env=env,
        rows=rows,
        hosts=hosts,
        target=finding_target,
        unmatched=report.unmatched,
    )
    (out / page).parent.mkdir(parents=True, exist_ok=True)
    (out / page).write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class HostChecks:
    """What a host page shows: its non-passing findings and how many checks passed there."""

    page: str  # the environment's checks page
    problems: list[tuple[Finding, str]]  # (finding, anchor of its check on the checks page)
    counts: dict[str, int]  # checks per status on this host


def host_checks(report: CheckReport, env: str, host: str) -> HostChecks:
    mine = report.of_host(env, host)
    per_check: dict[str, str] = {}
    for f in mine:
        per_check[f.check] = worst([per_check.get(f.check, PASS), f.status])
    problems = sorted((f for f in mine if f.status != PASS), key=lambda f: (f.status != FAIL, f.check))
    counts = {s: sum(v == s for v in per_check.values()) for s in (FAIL, UNDETERMINED, PASS)}
    return HostChecks(checks_path(env), [(f, check_anchor(f.check)) for f in problems], counts)


def env_summary(report: CheckReport) -> list[tuple[str, dict[str, int], str]]:
    """(env, hosts per worst status, checks page) for the home page."""
    out = []
    for env in sorted({e for e, _ in report.hosts}):
        hosts = [h for e, h in report.hosts if e == env]
        worst = [host_checks(report, env, h).counts for h in hosts]
        counts = {
            FAIL: sum(1 for c in worst if c[FAIL]),
            UNDETERMINED: sum(1 for c in worst if c[UNDETERMINED] and not c[FAIL]),
            PASS: sum(1 for c in worst if not c[FAIL] and not c[UNDETERMINED]),
        }
        out.append((env, counts, checks_path(env)))
    return out


def _key(f: Finding) -> tuple[str, str, str, str, str]:
    """What makes a finding "the same" across versions: the check, where, and the component (not its text)."""
    return (f.check, f.env, f.host, f.netns or "", f.component.anchor or f.component.label)


def _change_line(f: Finding, page_dir: str, linked: bool) -> str:
    page, anchor = finding_target(f)
    label = md_code(f.component.label)
    if linked:
        href = posixpath.relpath(page, page_dir or ".") + (f"#{anchor}" if anchor else "")
        label = Trusted(f"[{label}]({href})")
    where = f"{md_text(f.env)}/{md_text(f.host)}"
    return f"- {md_text(f.check)} on {where}: {label}: {md_text(f.actual)}"


def check_changes_md(previous: CheckReport | None, current: CheckReport) -> dict[str, str]:
    """Build-dir page path -> a Markdown section on findings that appeared or were resolved.

    For `changes.md` (every host) and each `<env>/<host>/changes.md`. Appeared findings link to the
    component in this version; resolved ones are only named (their component may be gone)."""
    if previous is None:
        return {}
    now = {_key(f): f for f in current.findings if f.status == FAIL}
    before = {_key(f): f for f in previous.findings if f.status == FAIL}
    appeared = [now[k] for k in sorted(now.keys() - before.keys())]
    resolved = [before[k] for k in sorted(before.keys() - now.keys())]
    pages: dict[str, tuple[list[Finding], list[Finding]]] = {"changes.md": (appeared, resolved)}
    for f in appeared + resolved:
        page = f"{f.env}/{f.host}/changes.md"
        pages.setdefault(page, ([], []))
        pages[page][0 if f in appeared else 1].append(f)
    out = {}
    for page, (new, gone) in pages.items():
        page_dir = posixpath.dirname(page)
        lines = ["## Check findings", ""]
        if not (new or gone):
            lines += ["No check finding appeared or was resolved.", ""]
        for title, items, linked in (("Appeared", new, True), ("Resolved", gone, False)):
            if items:
                lines += [f"**{title}**", "", *(_change_line(f, page_dir, linked) for f in items), ""]
        out[page] = "\n".join(lines)
    return out
