"""`firewall: {family: inet, hook: input, policy: drop}`: such an nftables base chain exists."""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.check.assertions.base import AssertionKind, Outcome, per_namespace
from netstack_docs.analysis.check.findings import FAIL, PASS, component, host_ref
from netstack_docs.analysis.check.hosts import Host
from netstack_docs.analysis.check.intent import Intent

FIELDS = ("family", "table", "hook", "policy")


def describe_spec(spec: dict[str, Any]) -> str:
    return "base chain " + ", ".join(f"{k} {spec[k]}" for k in FIELDS if k in spec)


def chain_label(chain: dict[str, Any]) -> str:
    return (
        f"{chain['family']} {chain['table']} {chain['name']} "
        f"(hook {chain.get('hook')}, policy {chain.get('policy')})"
    )


def check(intent: Intent, host: Host, ns: dict[str, Any]) -> list[Outcome]:
    spec = intent.spec
    chains = [c for c in (ns.get("nftables") or {}).get("chains", []) if c.get("hook")]
    matching = [c for c in chains if all(c.get(k) == spec[k] for k in FIELDS if k in spec)]
    expected = describe_spec(spec)
    if matching:
        c = matching[0]
        return [(PASS, expected, chain_label(c), component("nftchain", ns["id"], c, chain_label(c)))]
    same_hook = [c for c in chains if c.get("hook") == spec["hook"]]
    actual = (
        "; ".join(chain_label(c) for c in same_hook) if same_hook else f"no base chain on hook {spec['hook']}"
    )
    if same_hook:
        c = same_hook[0]
        return [(FAIL, expected, actual, component("nftchain", ns["id"], c, chain_label(c)))]
    return [(FAIL, expected, actual, host_ref("nftables"))]


KIND = AssertionKind("firewall", per_namespace(check), lambda i: describe_spec(i.spec))
