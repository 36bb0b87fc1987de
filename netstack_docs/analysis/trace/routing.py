"""The routing decision: policy rules in priority order, then longest-prefix match in the table they name.

Kernel behaviour kept: a `throw` route or no match in a table goes on to the next rule;
`suppress_prefixlength N` refuses a result whose prefix is N bits or shorter; `goto` jumps to the
rule with that priority; `nop` does nothing; blackhole/unreachable/prohibit rules and routes end it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from netstack_docs.analysis.trace.fib import Fib, FibEntry
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.rules import RuleContext, rule_matches

Obj = dict[str, Any]
FINAL_RULE_ACTIONS = ("blackhole", "unreachable", "prohibit")


@dataclass
class Decision:
    """`type`: a route type (local, broadcast, unicast, blackhole, unreachable, prohibit, ...), or
    `none` (no route) or `undetermined` (a rule trace cannot read; `why` says which)."""

    type: str
    rule: Obj | None = None
    entry: FibEntry | None = None
    table: str | None = None
    why: str = ""

    def _hop(self, key: str) -> str | None:
        """The route's own field, or the one all its multipath nexthops share (None when they differ)."""
        if not self.entry:
            return None
        route = self.entry.route
        if route.get(key) or not route.get("nexthops"):
            return route.get(key)
        values = {hop.get(key) for hop in route["nexthops"]}
        return values.pop() if len(values) == 1 else None

    @property
    def dev(self) -> str | None:
        return self._hop("dev")

    @property
    def gateway(self) -> str | None:
        return self._hop("gateway")

    def pick(self, hop: Obj) -> Decision:
        """The decision with one nexthop of a multipath route taken."""
        assert self.entry is not None
        route = {k: v for k, v in self.entry.route.items() if k != "nexthops"}
        route.update({k: hop.get(k) for k in ("dev", "gateway")})
        return replace(self, entry=replace(self.entry, route=route))

    @property
    def multipath_split(self) -> bool:
        """Nexthops on different devices or gateways: which one a flow takes is the kernel's hash of it."""
        hops = (self.entry.route.get("nexthops") or []) if self.entry else []
        return len({(h.get("dev"), h.get("gateway")) for h in hops}) > 1


def sorted_rules(ns_doc: Obj, family: str) -> list[Obj]:
    rules = [r for r in ns_doc.get("rules", []) if r["family"] == family]
    if not rules:  # a snapshot without rules: the kernel's three defaults
        rules = [
            {"family": family, "priority": p, "action": "lookup", "table": t}
            for p, t in ((0, "local"), (32766, "main"), (32767, "default"))
        ]
    return sorted(rules, key=lambda r: r["priority"])


def decide(rules: list[Obj], fib: Fib, packet: Packet, ctx: RuleContext) -> Decision:
    i = 0
    while i < len(rules):
        rule = rules[i]
        i += 1
        hit, why = rule_matches(rule, packet, ctx)
        if hit is None:
            return Decision("undetermined", rule, why=why)
        if not hit:
            continue
        action = rule.get("action") or "lookup"
        if action in FINAL_RULE_ACTIONS:
            return Decision(action, rule)
        if action == "nop":
            continue
        if action == "goto":
            if rule.get("unresolved"):
                continue  # its target priority holds no rule: the kernel skips it
            target = rule.get("goto")
            i = next((j for j, r in enumerate(rules) if r["priority"] == target), len(rules))
            continue
        if action != "lookup":
            return Decision("undetermined", rule, why=f"rule action {action!r} is not understood by trace")
        table = str(rule.get("table") or "main")
        entry = fib.lookup(packet.family, table, packet.dst_ip, ctx.oif, packet.src_ip)
        if entry is None or entry.type == "throw":
            continue
        spl = rule.get("suppress_prefixlength")
        if spl is not None and entry.net.prefixlen <= int(spl):
            continue
        return Decision(entry.type, rule, entry, table)
    return Decision("none")


def source_address(ns_doc: Obj, decision: Decision, version: int) -> str | None:
    """The address a local sender or a masquerade takes: the route's prefsrc, else the first on the device."""
    if decision.entry and decision.entry.route.get("prefsrc"):
        return str(decision.entry.route["prefsrc"])
    family = "inet" if version == 4 else "inet6"
    for a in ns_doc.get("addresses", []):
        scope = a.get("scope") or "global"
        if a["family"] == family and a["ifname"] == decision.dev and scope in ("global", "universe"):
            return str(a["address"])
    return None
