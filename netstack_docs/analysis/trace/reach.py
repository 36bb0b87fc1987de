"""Questions `check` and the exposure view ask of trace: can this service be reached from there?"""

from __future__ import annotations

import ipaddress

from netstack_docs.analysis.trace.api import trace
from netstack_docs.analysis.trace.fleet import Fleet
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.result import TraceResult


def trace_to_local(
    fleet: Fleet,
    env: str,
    host: str,
    *,
    proto: str,
    dport: int | None,
    src: str,
    ingress: str,
    netns: str | None = None,
    state: str = "new",
    sport: int = 40000,
    assume: tuple[str, ...] = (),
) -> dict[str, TraceResult]:
    """One trace per local (non-loopback) address of the arrival namespace, same family as src."""
    ns = fleet.host(env, host).namespace(netns)
    version = ipaddress.ip_address(src).version
    out = {}
    for addr in ns.doc.get("addresses", []):
        ip = ipaddress.ip_address(addr["address"])
        if ip.version != version or ip.is_loopback or ip.is_link_local:
            continue
        packet = Packet(src, str(ip), proto, sport if proto in ("tcp", "udp") else None, dport, state)
        out[str(ip)] = trace(fleet, env, host, packet, ingress=ingress, netns=netns, assume=assume)
    return out


def representative_sources(prefix: str, fleet: Fleet, env: str, host: str) -> list[str]:
    """First and last usable address of `prefix`, plus every boundary the host's rules and sets draw in it."""
    net = ipaddress.ip_network(prefix, strict=False)
    picks = {net[0], net[-1]} if net.num_addresses <= 2 else {net[1], net[-2]}
    for ns in fleet.host(env, host).namespaces:
        for text in _prefixes_in(ns.doc):
            try:
                inner = ipaddress.ip_network(text, strict=False)
            except ValueError:
                continue
            if inner.version == net.version and inner.subnet_of(net) and inner != net:  # type: ignore[arg-type]
                picks.add(inner[0])
                if inner.num_addresses > 1:
                    picks.add(inner[-1])
    return [str(a) for a in sorted(picks)]


def _prefixes_in(ns_doc: dict) -> list[str]:  # type: ignore[type-arg]
    out = []
    for rule in ns_doc.get("rules", []):
        out += [str(rule[k]) for k in ("src", "dst") if rule.get(k)]
    nft = ns_doc.get("nftables") or {}
    for s in nft.get("sets", []):
        for e in s.get("elements") or []:
            if isinstance(e, dict) and "prefix" in e:
                out.append(f"{e['prefix']['addr']}/{e['prefix']['len']}")
            elif isinstance(e, str):
                out.append(e)
    return out
