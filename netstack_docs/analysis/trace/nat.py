"""Apply the NAT statements a hook collected: the rest of the walk sees the rewritten packet."""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.nftexpr import Undetermined
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.trail import Trail


def _addr_port(arg: dict[str, Any]) -> tuple[str | None, int | None]:
    addr, port = arg.get("addr"), arg.get("port")
    if isinstance(addr, dict) and "concat" in addr:
        addr = addr["concat"]
    if isinstance(addr, list) and len(addr) == 2:  # a map to `address . port`
        addr, port = addr
    if isinstance(addr, dict) or isinstance(port, dict):
        raise Undetermined(f"NAT target {arg!r} is outside trace's vocabulary")
    if isinstance(addr, str) and "-" in addr or isinstance(port, str) and "-" in str(port):
        raise Undetermined(f"NAT to a range ({addr}:{port}): which member is picked is runtime state")
    return (None if addr is None else str(addr)), (None if port is None else int(port))


def apply(
    trail: Trail,
    ns: Namespace,
    packet: Packet,
    nat: list[tuple[str, dict[str, Any], dict[str, Any]]],
    *,
    iif_addr: str | None = None,
    oif_addr: str | None = None,
) -> Packet:
    """The packet after every NAT statement of one hook, with a step each."""
    for name, arg, rule in nat:
        text = rule.get("text") or name
        try:
            if name == "masquerade":
                if oif_addr is None:
                    raise Undetermined("masquerade: the egress device has no address")
                new = packet.with_(src=oif_addr)
            elif name == "redirect":
                _, port = _addr_port(arg)
                local = "127.0.0.1" if packet.version == 4 else "::1"
                new = packet.with_(dst=iif_addr or local, dport=port if port is not None else packet.dport)
            else:
                addr, port = _addr_port(arg)
                field, pfield = ("dst", "dport") if name == "dnat" else ("src", "sport")
                changes: dict[str, Any] = {}
                if addr is not None:
                    changes[field] = addr
                if port is not None and packet.has_ports:
                    changes[pfield] = port
                new = packet.with_(**changes)
        except Undetermined as exc:
            trail.step(ns, "netfilter", f"{name}: {exc}", "nftrule", rule, undetermined=True)
            trail.assume(f"assuming `{text}` leaves the packet unchanged ({exc})")
            continue
        trail.step(
            ns,
            "netfilter",
            f"{name}: {packet.describe()} becomes {new.describe()} (`{text}`)",
            "nftrule",
            rule,
        )
        packet = new
    return packet
