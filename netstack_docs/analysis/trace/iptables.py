"""iptables-legacy tables on a hook: captured as rule text, not evaluated by trace (yet).

They run on the same hooks as nftables (at their fixed priorities, netstack_docs.model.hookorder), so a
snapshot holding them must not be traced as if they were absent: a built-in chain that has rules,
or a policy other than ACCEPT, forks the walk (it lets the packet through, or drops it; a nat or
mangle table may also rewrite it, which trace cannot follow: that fork ends undetermined).
"""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.trail import Trail


def legacy_chain(trail: Trail, ns: Namespace, hook: str, view: dict[str, Any], new: bool) -> str:
    """accept | drop | undetermined: the fate this walk gives the packet in one legacy built-in chain."""
    table, key, name = view["table"], view["key"], view["chain"]
    if table == "nat" and not new:
        return "accept"  # later packets of a connection follow its NAT, not the rules
    chain = (view.get("chains") or {}).get(name) or {}
    rules, policy = chain.get("rules") or [], chain.get("policy") or "ACCEPT"
    if not rules and policy == "ACCEPT":
        return "accept"
    outcomes = ("accept", "drop", "rewrite") if table in ("nat", "mangle") else ("accept", "drop")
    what = f"iptables-legacy {key} {name} ({len(rules)} rule(s), policy {policy}), not evaluated by trace"
    picked = trail.choose(ns, "netfilter", f"legacy:{key}:{name}", what, outcomes, "iptables", view)
    if picked == "drop":
        trail.step(
            ns,
            "netfilter",
            f"iptables-legacy {key} {name}: dropped (in this walk)",
            "iptables",
            view,
            decides=True,
        )
        return "drop"
    if picked == "rewrite":
        what = f"iptables-legacy {key} {name}: rewrites the packet (in this walk), which trace cannot follow"
        trail.step(ns, "netfilter", what, "iptables", view, undetermined=True, decides=True)
        return "undetermined"
    return "accept"
