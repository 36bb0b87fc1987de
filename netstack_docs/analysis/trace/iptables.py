"""iptables-legacy tables on a hook: captured as rule text, not evaluated by trace (yet).

They run on the same hooks as nftables, so a snapshot holding them must not be traced as if they
were absent: each builtin chain of the hook that has rules, or a policy other than ACCEPT, becomes
an undetermined step and a stated assumption.
"""

from __future__ import annotations

from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.trail import Trail

CHAIN_OF_HOOK = {
    "prerouting": "PREROUTING",
    "input": "INPUT",
    "forward": "FORWARD",
    "output": "OUTPUT",
    "postrouting": "POSTROUTING",
}


def legacy_hook(trail: Trail, ns: Namespace, hook: str, version: int, new: bool) -> None:
    chain_name = CHAIN_OF_HOOK.get(hook)
    tables = ns.doc.get("iptables") or {}
    if chain_name is None or not tables:
        return
    for key, chains in sorted(tables.items()):
        family, _, table = key.rpartition(":")
        if (family or "ip") != ("ip" if version == 4 else "ip6") or (table == "nat" and not new):
            continue
        chain = (chains or {}).get(chain_name) or {}
        rules, policy = chain.get("rules") or [], chain.get("policy") or "ACCEPT"
        if not rules and policy == "ACCEPT":
            continue
        view = {"key": key, "family": family or "ip", "table": table, "chains": chains}
        what = f"iptables-legacy {key} {chain_name}: {len(rules)} rule(s), policy {policy}, not evaluated"
        trail.step(ns, "netfilter", what, "iptables", view, undetermined=True)
        trail.assume(f"assuming iptables-legacy {key} {chain_name} lets it through")
