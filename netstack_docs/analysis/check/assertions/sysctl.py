"""`sysctl: {KEY: VALUE}`: each key has that value (whitespace-insensitive, as sysctl prints tabs)."""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.check.assertions.base import AssertionKind, Outcome, per_namespace
from netstack_docs.analysis.check.findings import FAIL, PASS, UNDETERMINED, component, host_ref
from netstack_docs.analysis.check.hosts import Host
from netstack_docs.analysis.check.intent import Intent


def _norm(value: Any) -> str:
    return " ".join(str(value).split())


def check(intent: Intent, host: Host, ns: dict[str, Any]) -> list[Outcome]:
    sysctls = ns.get("sysctls") or {}
    out: list[Outcome] = []
    for key, wanted in intent.spec.items():
        expected = f"{key} = {_norm(wanted)}"
        if key not in sysctls:
            # An unknown or uncaptured key is not proof either way.
            out.append(
                (UNDETERMINED, expected, "not in the snapshot (unknown key, or not captured)", host_ref(key))
            )
            continue
        actual = _norm(sysctls[key])
        ref = component("sysctl", ns["id"], {"name": key, "value": sysctls[key]}, key)
        out.append((PASS if actual == _norm(wanted) else FAIL, expected, f"{key} = {actual}", ref))
    return out


KIND = AssertionKind(
    "sysctl",
    per_namespace(check),
    lambda i: "sysctl " + ", ".join(f"{k} = {_norm(v)}" for k, v in i.spec.items()),
)
