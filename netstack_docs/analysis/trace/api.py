"""`trace()`: the public entry point; one walk from a device or a local socket, returned as data."""

from __future__ import annotations

from netstack_docs.analysis.trace.fleet import Fleet
from netstack_docs.analysis.trace.packet import Packet, TraceInputError
from netstack_docs.analysis.trace.result import Final, TraceResult
from netstack_docs.analysis.trace.trail import Trail
from netstack_docs.analysis.trace.walker import Walker


def trace(
    fleet: Fleet,
    env: str,
    host: str,
    packet: Packet,
    *,
    ingress: str | None = None,
    netns: str | None = None,
    from_local: bool = False,
) -> TraceResult:
    """Walk `packet` through `env/host` arriving on `ingress` (in `netns`), or sent from a local process."""
    if from_local == (ingress is not None):
        raise TraceInputError("say where the packet starts: an ingress interface, or from a local process")
    h = fleet.host(env, host)
    ns = h.namespace(netns)
    trail = Trail()
    walker = Walker(fleet, trail)
    if from_local:
        end = walker.local_out(ns, packet)
    else:
        assert ingress is not None
        ns.require_link(ingress)
        end = walker.receive(ns, ingress, packet)
    p = end.packet
    final = Final(end.ns.host.slug, end.ns.id, end.ifname, end.socket, p.src, p.dst, p.sport, p.dport)
    return TraceResult(end.verdict, final, trail.steps, trail.assumptions, trail.decided_by)
