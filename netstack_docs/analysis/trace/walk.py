"""What every part of the walk shares: where a walk ends (End), the per-namespace Stack (FIB, policy
rules, nftables ruleset, built once per namespace and kept), and the routing step as a trail entry.

The walk itself (walker.py) goes in the kernel's order: receive on a device (XDP, tc, netdev,
prerouting), route, then input or forward, postrouting and egress (devices.py); or a local send
(route, output, postrouting, egress). A hop into another namespace continues the same walk there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from netstack_docs.analysis.trace.fib import Fib
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.nat import apply as apply_nat
from netstack_docs.analysis.trace.nft import Ruleset, run_hook
from netstack_docs.analysis.trace.nftexpr import EvalContext
from netstack_docs.analysis.trace.packet import Packet, parse_ip
from netstack_docs.analysis.trace.routing import Decision, decide, sorted_rules, source_address
from netstack_docs.analysis.trace.rules import RuleContext
from netstack_docs.analysis.trace.trail import Trail

MAX_HOPS = 16
XDP_OUTCOMES = ("pass", "drop", "redirect")


@dataclass
class End:
    verdict: str
    ns: Namespace
    packet: Packet
    ifname: str | None = None
    socket: str | None = None


class Stack:
    """The per-namespace pieces a walk needs, built once per namespace and cached on it."""

    def __init__(self, ns: Namespace):
        self.ns = ns

    @cached_property
    def fib(self) -> Fib:
        return Fib(self.ns.routing_doc)

    @cached_property
    def ruleset(self) -> Ruleset:
        return Ruleset(self.ns)

    @cached_property
    def rules(self) -> dict[str, list[dict]]:
        return {f: sorted_rules(self.ns.doc, f) for f in ("inet", "inet6")}

    def route(self, packet: Packet, iif: str, oif: str | None = None, local: bool = False) -> Decision:
        return decide(self.rules[packet.family], self.fib, packet, RuleContext(iif, oif, local))

    def is_local(self, address: str) -> bool:
        ip = parse_ip(address)
        entry = self.fib.lookup("inet" if ip.version == 4 else "inet6", "local", ip)
        return entry is not None and entry.type == "local"

    def context(self, packet: Packet, hook: str, iif: str | None, oif: str | None) -> EvalContext:
        ctx = EvalContext(packet, iif, oif, hook, self.is_local)
        ctx.fib = self
        return ctx

    # -- the lookups nftables' fib expression makes (nft_fib4_eval / nft_fib_eval_type) ----------------
    def addr_type(self, address: str, dev: str | None) -> str:
        ip = parse_ip(address)
        if ip.is_multicast:
            return "multicast"
        if ip.version == 4 and (int(ip) == 0xFFFFFFFF or int(ip) >> 24 == 0):
            return "broadcast"
        entry = self.fib.lookup("inet" if ip.version == 4 else "inet6", "local", ip)
        if entry is None or (dev is not None and entry.route.get("dev") not in (None, dev)):
            return "unicast"
        return entry.type

    def route_dev(self, packet: Packet, address: str, other: str, with_mark: bool) -> str | None:
        """The device a lookup of `address` leaves through (policy rules from loopback), None for none."""
        # the way back: addresses and ports turned round (as rp_filter's lookup is), so that reach can
        # tell which of the packet's addresses a lookup read even when the two are equal
        mark = packet.mark if with_mark else 0
        probe = packet.with_(src=other, dst=address, sport=packet.dport, dport=packet.sport, mark=mark)
        d = self.route(probe, "lo")
        if d.type != "unicast":
            return None
        return d.dev


def stack(ns: Namespace) -> Stack:
    """The namespace's Stack, made on first use and kept on it (a Fleet lives as long as its traces)."""
    if ns.stack is None:
        ns.stack = Stack(ns)
    assert isinstance(ns.stack, Stack)
    return ns.stack


def describe_route(d: Decision) -> str:
    route = d.entry.route if d.entry else {}
    via = f" via {route['gateway']}" if route.get("gateway") else ""
    dev = f" dev {route['dev']}" if route.get("dev") else ""
    rule = f"rule {d.rule['priority']}, " if d.rule is not None else ""
    return f"{rule}table {d.table}: {d.type} {route.get('dst')}{via}{dev}"


def route_step(trail: Trail, ns: Namespace, packet: Packet, d: Decision) -> None:
    if d.type == "undetermined":
        trail.step(
            ns,
            "routing",
            f"policy rule {d.rule and d.rule.get('priority')}: {d.why}",
            "rule",
            d.rule,
            undetermined=True,
            decides=True,
        )
    elif d.type == "none":
        trail.step(ns, "routing", f"no route to {packet.dst}", decides=True)
    elif d.entry is None:
        trail.step(
            ns,
            "routing",
            f"policy rule {d.rule and d.rule['priority']}: {d.type}",
            "rule",
            d.rule,
            decides=True,
        )
    else:
        obj, kind = (None, None) if d.entry.derived else (d.entry.route, "route")
        what = describe_route(d) + (" (derived from the addresses)" if d.entry.derived else "")
        trail.step(ns, "routing", what, kind, obj, decides=d.type in ("blackhole", "unreachable", "prohibit"))


ROUTE_END = {
    "blackhole": "dropped",
    "unreachable": "rejected",
    "prohibit": "rejected",
    "none": "rejected",
    "undetermined": "undetermined",
}


def sender_address(ns: Namespace, packet: Packet, d: Decision) -> str | None:
    return source_address(ns.doc, d, packet.version)


HOOK_END = {"drop": "dropped", "reject": "rejected"}
NatList = list[tuple[str, dict[str, Any], dict[str, Any]]]


def stuck(ns: Namespace, packet: Packet, ifname: str | None) -> End:
    """A fork that cannot go on (its deciding step says why): undetermined."""
    return End("undetermined", ns, packet, ifname)


def hook(
    trail: Trail,
    ns: Namespace,
    name: str,
    packet: Packet,
    iif: str | None,
    oif: str | None,
    *,
    at: str | None = None,
    device: str | None = None,
    nat_done: bool = False,
    iif_addr: str | None = None,
    oif_addr: str | None = None,
    physout: str | None = None,
) -> tuple[End | None, Packet, NatList]:
    """Run one netfilter hook: (the End when it stops the packet, the packet with marks set and NAT
    applied where the NAT core runs, NAT left to apply: none). `iif_addr` is where `redirect` sends a
    packet, `oif_addr` what `masquerade` writes, `physout` the bridge port bridged traffic leaves by."""
    st = stack(ns)
    ctx = st.context(packet, name, iif, oif)
    ctx.physout = physout

    def rewrite(p: Packet, nat: NatList) -> Packet | None:
        return apply_nat(trail, ns, p, nat, iif_addr=iif_addr, oif_addr=oif_addr)

    out = run_hook(trail, st.ruleset, name, ctx, device=device, nat_done=nat_done, apply_nat=rewrite)
    if out.verdict != "accept":
        return End(HOOK_END.get(out.verdict, "undetermined"), ns, ctx.packet, at), ctx.packet, out.nat
    return None, ctx.packet, out.nat
