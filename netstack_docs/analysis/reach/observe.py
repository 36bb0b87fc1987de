"""What an ordinary trace looked at, recorded while it runs: every nftables rule it evaluated (with the
packet as that rule saw it), every routing lookup, every "is this address local" question, the socket
and tunnel lookups and the martian check.

Reach does not walk the stack a second time: it runs trace itself on one packet of a space and reads
back, from these records, the conditions that packet met at each decision. Recording wraps the same
functions the walk calls, only while a `Recording` is active, and restores them after.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.analysis.trace import bridge, checks, sockets
from netstack_docs.analysis.trace.nftexpr import EvalContext
from netstack_docs.analysis.trace.nftrules import CompiledRule
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.walk import Stack


@dataclass
class Seen:
    """One decision the walk took: its kind and what it was taken on."""

    kind: str  # rule | route | local | socket | tunnel | martian
    packet: Packet
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Recording:
    seen: list[Seen] = field(default_factory=list)


_active: list[Recording] = []


def _note(kind: str, packet: Packet, **data: Any) -> None:
    if _active:
        _active[-1].seen.append(Seen(kind, packet, data))


_rule_run = CompiledRule.run
_route = Stack.route
_is_local = Stack.is_local
_lookup = sockets.lookup
_tunnel = sockets.tunnel_endpoint
_martian = checks.martian
_gateway = bridge._gateway_on


def _rule_run_recorded(self: CompiledRule, ctx: EvalContext, fork: Any) -> Any:
    if _active:
        _note(
            "rule",
            ctx.packet,
            rule=self,
            iif=ctx.iif,
            oif=ctx.oif,
            hook=ctx.hook,
            stack=ctx.fib,
            priority=ctx.priority,
            tracked=ctx.tracked,
            physout=ctx.physout,
        )
    return _rule_run(self, ctx, fork)


def _route_recorded(
    self: Stack, packet: Packet, iif: str, oif: str | None = None, local: bool = False
) -> Any:
    d = _route(self, packet, iif, oif, local)
    _note("route", packet, stack=self, iif=iif, oif=oif, local=local, decision=d)
    return d


def _is_local_recorded(self: Stack, address: str) -> bool:
    out = _is_local(self, address)
    if _active:
        _note("local", _active_packet(), stack=self, address=address, answer=out)
    return out


def _active_packet() -> Packet:
    """The packet of the walk's last record (an address question carries no packet of its own)."""
    seen = _active[-1].seen
    return seen[-1].packet if seen else _START[-1]


_START: list[Packet] = []


def _lookup_recorded(ns: Any, packet: Packet, iif: str | None, trail: Any) -> Any:
    found = _lookup(ns, packet, iif, trail)
    _note("socket", packet, ns=ns, iif=iif, found=found)
    return found


def _tunnel_recorded(ns: Any, packet: Packet) -> Any:
    found = _tunnel(ns, packet)
    _note("tunnel", packet, ns=ns, found=found)
    return found


def _martian_recorded(ns: Any, ifname: str, packet: Packet) -> Any:
    why = _martian(ns, ifname, packet)
    _note("martian", packet, ns=ns, ifname=ifname, why=why)
    return why


def _gateway_recorded(ns: Any, name: str, packet: Packet) -> Any:
    found = _gateway(ns, name, packet)
    _note("gateway", packet, ns=ns, bridge=name, found=found)
    return found


@contextmanager
def recording(start: Packet) -> Iterator[Recording]:
    """Record every decision of the walks run inside (trace's functions wrapped, restored after)."""
    rec = Recording()
    _active.append(rec)
    _START.append(start)
    CompiledRule.run = _rule_run_recorded  # type: ignore[method-assign]
    Stack.route = _route_recorded  # type: ignore[method-assign]
    Stack.is_local = _is_local_recorded  # type: ignore[method-assign]
    sockets.lookup = _lookup_recorded
    sockets.tunnel_endpoint = _tunnel_recorded
    checks.martian = _martian_recorded
    bridge._gateway_on = _gateway_recorded  # type: ignore[assignment]
    try:
        yield rec
    finally:
        _active.pop()
        _START.pop()
        if not _active:
            CompiledRule.run = _rule_run  # type: ignore[method-assign]
            Stack.route = _route  # type: ignore[method-assign]
            Stack.is_local = _is_local  # type: ignore[method-assign]
            sockets.lookup = _lookup
            sockets.tunnel_endpoint = _tunnel
            checks.martian = _martian
            bridge._gateway_on = _gateway
