"""Run intents and built-ins over a fleet: one finding per thing checked, pass, fail or undetermined.

Every check leaves at least one finding on every host it selects (a pass says what was seen), so the
checks page can show pass or fail per host and a JUnit report has a test case per check and host.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from netstack_docs.analysis.check.assertions import ASSERTIONS, Context
from netstack_docs.analysis.check.builtins import BUILTINS, Builtin
from netstack_docs.analysis.check.findings import FAIL, PASS, UNDETERMINED, Finding, host_ref, worst
from netstack_docs.analysis.check.hosts import Host
from netstack_docs.analysis.check.intent import Intent, IntentError


@dataclass(frozen=True)
class CheckInfo:
    name: str
    source: str  # intent | builtin
    summary: str  # what it asserts, one line
    selects: str  # which hosts
    origin: str  # file:line of an intent, or the layer whose handbook explains a built-in
    layer: str | None = None


@dataclass(frozen=True)
class NoHost:
    """An intent whose selector matched no host: in CI a typo (`role: CI buld VM`) would disable it."""

    intent: str
    origin: str
    selector: str
    message: str  # the selector and the roles, environments and hosts that exist

    def to_json(self) -> dict[str, str]:
        return vars(self).copy()


def _listed(values: Iterable[str], most: int = 20) -> str:
    items = sorted(set(values))
    shown = ", ".join(repr(v) for v in items[:most])
    return (shown + (f" and {len(items) - most} more" if len(items) > most else "")) or "none"


def no_host(intent: Intent, hosts: list[Host]) -> NoHost:
    sel = intent.hosts
    fields = (("env", sel.env), ("host", sel.host), ("role", sel.role))
    selector = ", ".join(f"{k}: {v!r}" for k, v in fields if v) or "every host"
    message = (
        f"intent {intent.name!r} ({intent.origin}) selects no host: {selector} matches none of "
        f"{len(hosts)} host(s). Roles: {_listed(h.role for h in hosts if h.role)}; "
        f"envs: {_listed(h.env for h in hosts)}; hosts: {_listed(f'{h.env}/{h.slug}' for h in hosts)}. "
        "Mark the intent `optional: true` when no host is expected yet."
    )
    return NoHost(intent.name, intent.origin, selector, message)


@dataclass
class CheckReport:
    checks: list[CheckInfo]
    findings: list[Finding]
    hosts: list[tuple[str, str]]  # (env, host slug), every host that was checked
    unmatched: list[str] = field(default_factory=list)  # intents that selected no host
    # intents not marked `optional` that selected no host, each with what exists: a failure of the run
    selects_nothing: list[NoHost] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.selects_nothing) or any(f.status == FAIL for f in self.findings)

    @property
    def undetermined(self) -> bool:
        return any(f.status == UNDETERMINED for f in self.findings)

    def counts(self, findings: Iterable[Finding] | None = None) -> dict[str, int]:
        items = list(self.findings if findings is None else findings)
        return {s: sum(f.status == s for f in items) for s in (PASS, FAIL, UNDETERMINED)}

    @cached_property
    def _by_host(self) -> dict[tuple[str, str], list[Finding]]:
        index: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for f in self.findings:
            index[(f.env, f.host)].append(f)
        return index

    def of_host(self, env: str, host: str) -> list[Finding]:
        """Every finding on one host, in report order (an index: pages ask this for every host)."""
        return self._by_host.get((env, host), [])

    def status(self, check: str, env: str, host: str) -> str | None:
        """The worst status of one check on one host; None when the check does not select the host."""
        found = [f.status for f in self.of_host(env, host) if f.check == check]
        return worst(found) if found else None

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "checks": [vars(c) for c in self.checks],
            "unmatched_intents": self.unmatched,
            "selects_no_host": [n.to_json() for n in self.selects_nothing],
            "findings": [f.to_json() for f in self.findings],
        }


def _builtin(builtin: Builtin, host: Host) -> list[Finding]:
    problems = builtin.check(host)
    if not problems:
        return [
            Finding(
                builtin.name,
                "builtin",
                host.env,
                host.slug,
                None,
                PASS,
                builtin.expected,
                "no problem found",
                host_ref(builtin.title),
            )
        ]
    return [
        Finding(builtin.name, "builtin", host.env, host.slug, ns, status, builtin.expected, actual, ref)
        for status, ns, actual, ref in problems
    ]


def run_checks(
    hosts: list[Host], intents: list[Intent], disabled: Iterable[str] = (), assume: Iterable[str] = ()
) -> CheckReport:
    """Every intent on the hosts it selects, then every built-in not disabled on every host."""
    disabled = set(disabled)
    unknown = sorted(disabled - set(BUILTINS))
    if unknown:
        raise IntentError(
            f"--disable: unknown built-in check(s) {', '.join(unknown)} (known: {', '.join(BUILTINS)})"
        )
    ctx = Context(hosts, tuple(assume))
    checks, findings, unmatched, nothing = [], [], [], []
    for intent in intents:
        kind = ASSERTIONS[intent.kind]
        selected = [h for h in hosts if intent.hosts.matches(h)]
        checks.append(
            CheckInfo(intent.name, "intent", kind.describe(intent), intent.hosts.describe(), intent.origin)
        )
        if not selected:
            unmatched.append(intent.name)
            if not intent.optional:
                nothing.append(no_host(intent, hosts))
            continue
        findings += kind.evaluate(intent, selected, ctx)
    for builtin in BUILTINS.values():
        if builtin.name in disabled:
            continue
        checks.append(
            CheckInfo(builtin.name, "builtin", builtin.expected, "every host", "built-in", builtin.layer)
        )
        for host in hosts:
            findings += _builtin(builtin, host)
    return CheckReport(checks, findings, [(h.env, h.slug) for h in hosts], unmatched, nothing)
