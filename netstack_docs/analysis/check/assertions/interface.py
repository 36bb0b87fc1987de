"""`interface: {name: GLOB, mtu: N, qdisc: KIND, up: BOOL}`: every matching interface has these facts."""

from __future__ import annotations

import fnmatch
from typing import Any

from netstack_docs.analysis.check.assertions.base import AssertionKind, Outcome, per_namespace
from netstack_docs.analysis.check.findings import FAIL, PASS, component, host_ref
from netstack_docs.analysis.check.hosts import Host
from netstack_docs.analysis.check.intent import Intent


def _facts(link: dict[str, Any]) -> dict[str, Any]:
    return {"mtu": link.get("mtu"), "qdisc": link.get("qdisc"), "up": "UP" in (link.get("flags") or [])}


def _show(facts: dict[str, Any], keys: list[str]) -> str:
    return ", ".join(f"{k} {str(facts[k]).lower() if k == 'up' else facts[k]}" for k in keys)


def check(intent: Intent, host: Host, ns: dict[str, Any]) -> list[Outcome]:
    spec = intent.spec
    keys = [k for k in ("mtu", "qdisc", "up") if k in spec]
    expected = f"{spec['name']}: {_show(spec, keys)}"
    links = [x for x in ns.get("links", []) if fnmatch.fnmatchcase(x["ifname"], spec["name"])]
    if not links:
        return [(FAIL, expected, f"no interface matches {spec['name']}", host_ref(spec["name"]))]
    out: list[Outcome] = []
    for link in links:
        facts = _facts(link)
        status = PASS if all(facts[k] == spec[k] for k in keys) else FAIL
        ref = component("link", ns["id"], link, link["ifname"])
        out.append((status, expected, f"{link['ifname']}: {_show(facts, keys)}", ref))
    return out


KIND = AssertionKind(
    "interface",
    per_namespace(check),
    lambda i: (
        f"interface {i.spec['name']}: " + _show(i.spec, [k for k in ("mtu", "qdisc", "up") if k in i.spec])
    ),
)
