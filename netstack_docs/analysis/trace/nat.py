"""Apply the NAT statements a hook collected: the rest of the walk sees the rewritten packet."""

from __future__ import annotations

import ipaddress
from typing import Any

from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.nftexpr import Undetermined
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.trail import Trail


def _addr_port(arg: dict[str, Any], source: bool = False) -> tuple[str | None, int | None]:
    """The address and port a NAT statement writes. A port range on SNAT/masquerade leaves the port
    alone (which port is picked changes no later decision trace makes); on DNAT it is unknown."""
    addr, port = arg.get("addr"), arg.get("port")
    if source and (isinstance(port, dict) and "range" in port or isinstance(port, str) and "-" in port):
        port = None
    if isinstance(addr, dict) and "concat" in addr:
        addr = addr["concat"]
    if isinstance(addr, list) and len(addr) == 2:  # a map to `address . port`
        addr, port = addr
    if isinstance(addr, dict) or isinstance(port, dict):
        raise Undetermined(f"NAT target {arg!r} is outside trace's vocabulary")
    if isinstance(addr, str) and "-" in addr:
        raise Undetermined(f"NAT to an address range ({addr}): which member is picked is runtime state")
    if isinstance(port, str) and "-" in port:
        raise Undetermined(f"NAT to a port range ({port}): which port is picked is runtime state")
    return (None if addr is None else str(addr)), (None if port is None else int(port))


def _netmap(arg: dict[str, Any]) -> bool:
    flags = arg.get("flags")
    flags = [flags] if isinstance(flags, str) else list(flags or [])
    return "netmap" in flags and isinstance(arg.get("addr"), dict) and "prefix" in arg["addr"]


def _apply_netmap(name: str, arg: dict[str, Any], packet: Packet) -> Packet:
    """`snat ip prefix to ip saddr map { 10.1.0.0/24 : 192.168.2.0/24 }`: the prefix replaces the
    address's network part, its host part stays (nf_nat_netmap)."""
    prefix = arg["addr"]["prefix"]
    net = ipaddress.ip_network(f"{prefix['addr']}/{prefix['len']}", strict=False)
    field = "src" if name == "snat" else "dst"
    old = ipaddress.ip_address(getattr(packet, field))
    if old.version != net.version:
        raise Undetermined(f"netmap to {net} of an IPv{old.version} packet")
    host = int(old) & int(net.hostmask)
    return packet.with_(**{field: str(ipaddress.ip_address(int(net.network_address) | host))})


def apply(
    trail: Trail,
    ns: Namespace,
    packet: Packet,
    nat: list[tuple[str, dict[str, Any], dict[str, Any]]],
    *,
    iif_addr: str | None = None,
    oif_addr: str | None = None,
) -> Packet | None:
    """The packet after every NAT statement of one hook, with a step each; None when one cannot be
    followed (its step, deciding and undetermined, says why)."""
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
            elif _netmap(arg):
                new = _apply_netmap(name, arg, packet)
            else:
                addr, port = _addr_port(arg, source=name == "snat")
                field, pfield = ("dst", "dport") if name == "dnat" else ("src", "sport")
                changes: dict[str, Any] = {}
                if addr is not None:
                    changes[field] = addr
                if port is not None and packet.has_ports:
                    changes[pfield] = port
                new = packet.with_(**changes)
        except Undetermined as exc:
            trail.step(
                ns,
                "netfilter",
                f"{name} by `{text}`: {exc}",
                "nftrule",
                rule,
                undetermined=True,
                decides=True,
            )
            return None
        if (new.dst, new.dport) != (packet.dst, packet.dport):
            new = new.with_(dnat=True)  # the kernel flags the connection only when the tuple changed
        if (new.src, new.sport) != (packet.src, packet.sport):
            new = new.with_(snat=True)
        trail.step(
            ns,
            "netfilter",
            f"{name}: {packet.describe()} becomes {new.describe()} (`{text}`)",
            "nftrule",
            rule,
        )
        packet = new
    return packet
