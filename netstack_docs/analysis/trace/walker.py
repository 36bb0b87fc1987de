"""The walk through a host's namespaces: receive, route, input/forward/output; egress is devices.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netstack_docs.analysis.trace import checks, ovs, sockets, tc
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.ovs import ovs_port
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.routing import Decision
from netstack_docs.analysis.trace.trail import Trail
from netstack_docs.analysis.trace.walk import (
    MAX_HOPS,
    ROUTE_END,
    XDP_OUTCOMES,
    End,
    hook,
    route_step,
    sender_address,
    stack,
)

if TYPE_CHECKING:
    from netstack_docs.analysis.trace.fleet import Fleet


class Walker:
    def __init__(self, fleet: Fleet, trail: Trail):
        self.fleet = fleet
        self.trail = trail
        self.hops = 0

    # -- receive ---------------------------------------------------------------------------------
    def receive(self, ns: Namespace, ifname: str, packet: Packet, nexthop: str | None = None) -> End:
        """A packet arriving on `ifname` of `ns` (from the wire, a veth peer, a bridge, a VXLAN)."""
        from netstack_docs.analysis.trace.bridge import bridge_in

        self.hops += 1
        if self.hops > MAX_HOPS:
            self.trail.step(
                ns, "namespaces", f"more than {MAX_HOPS} hops: a loop?", undetermined=True, decides=True
            )
            return End("undetermined", ns, packet, ifname)
        link = ns.require_link(ifname)
        trail = self.trail
        trail.step(ns, "link", f"arrives on {ifname} ({ns.label}): {packet.describe()}", "link", link)
        xdp = link.get("xdp")
        if xdp:
            name = xdp.get("prog_name") or f"id {xdp.get('prog_id')}"
            what = f"XDP program {name} ({xdp.get('mode')}) on {ifname} decides first"
            picked = trail.choose(ns, "ebpf", f"xdp:{ifname}", what, XDP_OUTCOMES, "link", link)
            if picked == "drop":
                trail.step(ns, "ebpf", f"XDP_DROP on {ifname} (in this walk)", "link", link, decides=True)
                return End("dropped", ns, packet, ifname)
            if picked == "redirect":
                what = f"XDP_REDIRECT/XDP_TX on {ifname} (in this walk): where to is the program's choice"
                trail.step(ns, "ebpf", what, "link", link, undetermined=True, decides=True)
                return End("undetermined", ns, packet, ifname)
        port = ovs_port(ns, ifname)
        if port is not None and port[1] != "internal":  # an internal port is OVS handing it to the kernel
            return ovs.enter(self, ns, ifname, packet, nexthop)
        fate = tc.ingress(trail, ns, ifname)
        if fate in ("drop", "undetermined"):
            return End("dropped" if fate == "drop" else "undetermined", ns, packet, ifname)
        if fate == "ifb":
            trail.step(
                ns,
                "netfilter",
                f"netdev ingress chains on {ifname} are skipped: the ifb handed the packet back with "
                "classification skipped",
            )
        else:
            stop, packet, _ = hook(trail, ns, "ingress", packet, ifname, None, at=ifname, device=ifname)
            if stop:
                return stop
        if link.get("master"):
            return bridge_in(self, ns, link, packet, nexthop)
        return self.layer3(ns, ifname, packet)

    def layer3(self, ns: Namespace, ifname: str, packet: Packet, skip_nat: bool = False) -> End:
        trail, st = self.trail, stack(ns)
        redirect_to = checks.address_on(ns, ifname, packet)
        stop, packet, _ = hook(
            trail, ns, "prerouting", packet, ifname, None, at=ifname, nat_done=skip_nat, iif_addr=redirect_to
        )
        if stop:
            return stop
        martian = checks.martian(ns, ifname, packet) if ifname != "lo" else None
        if martian:
            trail.step(ns, "routing", f"martian packet on {ifname}: {martian}: dropped", decides=True)
            return End("dropped", ns, packet, ifname)
        d = st.route(packet, ifname)
        route_step(trail, ns, packet, d)
        if (
            d.type in ("local", "broadcast", "unicast")
            and ifname != "lo"
            and not checks.rp_filter(trail, ns, ifname, packet)
        ):
            return End("dropped", ns, packet, ifname)  # the kernel validates the source for local input too
        if d.type in ("local", "broadcast"):
            return self.local_in(ns, ifname, packet, nat_done=skip_nat)
        if d.type in ROUTE_END:
            # IPv4 sends no ICMP error when the device does not forward (ip_error); IPv6 does
            # whatever forwarding says (ip6_pkt_discard / ip6_pkt_prohibit of the null route)
            v4_off = packet.version == 4 and not checks.forwarding(trail, ns, ifname, packet)
            if d.type != "blackhole" and v4_off:
                return End("dropped", ns, packet, ifname)
            return End(ROUTE_END[d.type], ns, packet, ifname)
        if d.type != "unicast":
            trail.step(
                ns,
                "routing",
                f"route type {d.type} is not followed by trace",
                undetermined=True,
                decides=True,
            )
            return End("undetermined", ns, packet, ifname)
        if d.multipath_split:
            d = self._multipath(ns, d, packet)
        if not checks.forwarding(trail, ns, ifname, packet):
            trail.step(ns, "routing", f"not forwarded: forwarding is off for {ifname}", decides=True)
            return End("dropped", ns, packet, ifname)
        stop, packet, _ = hook(trail, ns, "forward", packet, ifname, d.dev or ifname, at=ifname)
        return stop or self.postrouting(ns, packet, d, ifname)

    def _multipath(self, ns: Namespace, d: Decision, packet: Packet) -> Decision:
        """A multipath route whose nexthops differ: the kernel's flow hash picks one, a random choice here."""
        route = d.entry.route if d.entry else {}
        hops = route.get("nexthops") or []
        names = tuple(f"{h.get('gateway') or 'direct'} dev {h.get('dev')}" for h in hops)
        what = f"multipath route {route.get('dst')}: the kernel's flow hash picks a nexthop"
        picked = self.trail.choose(
            ns, "routing", f"multipath:{route.get('dst')}", what, names, "route", route, random=True
        )
        return d.pick(hops[names.index(picked)])

    # -- local delivery ----------------------------------------------------------------------------
    def local_in(self, ns: Namespace, ifname: str, packet: Packet, nat_done: bool = False) -> End:
        trail = self.trail
        stop, packet, _ = hook(trail, ns, "input", packet, ifname, None, at=ifname, nat_done=nat_done)
        if stop:
            return stop
        to_group = packet.version == 4 and stack(ns).addr_type(packet.dst, None) in ("broadcast", "multicast")
        if to_group and packet.proto == "tcp":
            # tcp_v4_conn_request: "Never answer to SYNs send to broadcast or multicast"; no connection
            # can exist to such an address, and tcp_v4_send_reset answers only RTN_LOCAL packets
            what = f"TCP to the broadcast/multicast address {packet.dst}: never answered by the kernel"
            trail.step(ns, "transport", f"{what}: dropped", decides=True)
            return End("dropped", ns, packet, ifname)
        if to_group and packet.proto == "icmp":
            key = "net.ipv4.icmp_echo_ignore_broadcasts"
            value = ns.sysctl(key)
            if value is None:
                what = f"whether echo requests to broadcast are ignored ({key} was not captured)"
                value = trail.choose(ns, "transport", f"sysctl:{key}", what, ("1", "0"))
            if value == "1":
                trail.step(ns, "transport", f"ICMP echo to {packet.dst} ignored ({key} = 1)", decides=True)
                return End("dropped", ns, packet, ifname)
        if packet.proto in ("icmp", "icmpv6"):
            key = "net.ipv4.icmp_echo_ignore_all" if packet.version == 4 else "net.ipv6.icmp.echo_ignore_all"
            if ns.sysctl(key) == "1":
                trail.step(ns, "transport", f"ICMP echo ignored ({key} = 1)", decides=True)
                return End("dropped", ns, packet, ifname)
            trail.step(ns, "transport", "answered by the kernel (ICMP echo)", decides=True)
            return End("delivered", ns, packet, ifname, "kernel (icmp echo)")
        if packet.state == "established":
            trail.step(
                ns,
                "transport",
                "taken by the socket of the established connection (--state established)",
                decides=True,
            )
            return End("delivered", ns, packet, ifname, "established connection")
        tunnel = sockets.tunnel_endpoint(ns, packet)
        if tunnel is not None:
            trail.step(
                ns,
                "virtual",
                f"udp port {packet.dport} is the tunnel socket of {tunnel['kind']} "
                f"{tunnel['ifname']}: a datagram that is not one of its frames is dropped",
                "link",
                tunnel,
                decides=True,
            )
            return End("dropped", ns, packet, ifname, f"{tunnel['kind']} {tunnel['ifname']}")
        found = sockets.lookup(ns, packet, ifname, trail)
        if found is None:
            reply = "TCP reset" if packet.proto == "tcp" else "ICMP port unreachable"
            elsewhere = sockets.bound_elsewhere(ns, packet)
            also = f" ({elsewhere})" if elsewhere else ""
            trail.step(
                ns,
                "transport",
                f"no socket listens on {packet.proto} {packet.dst}:{packet.dport}{also}: {reply}",
                decides=True,
            )
            return End("rejected", ns, packet, ifname)
        trail.step(ns, "transport", f"delivered to {found.name}", "socket", found.socket, decides=True)
        return End("delivered", ns, packet, ifname, found.name)

    # -- local send --------------------------------------------------------------------------------
    def local_out(self, ns: Namespace, packet: Packet) -> End:
        trail, st = self.trail, stack(ns)
        trail.step(ns, "transport", f"sent by a local process in {ns.label}: {packet.describe()}")
        d = st.route(packet, "lo", local=True)
        route_step(trail, ns, packet, d)
        if d.type in ROUTE_END:
            return End(ROUTE_END[d.type], ns, packet)
        if d.type not in ("unicast", "local", "broadcast"):
            return End("undetermined", ns, packet)
        if d.multipath_split:
            d = self._multipath(ns, d, packet)
        dev = "lo" if d.type == "local" else d.dev
        stop, new, _ = hook(trail, ns, "output", packet, None, dev)
        if stop:
            return stop
        if new.dst != packet.dst or new.mark != packet.mark:  # the kernel routes such a packet again
            d = st.route(new, "lo", local=True)
            route_step(trail, ns, new, d)
            if d.type in ROUTE_END:
                return End(ROUTE_END[d.type], ns, new)
        return self.postrouting(ns, new, d, None)

    def postrouting(self, ns: Namespace, packet: Packet, d: Decision, iif: str | None) -> End:
        from netstack_docs.analysis.trace.devices import egress

        trail = self.trail
        dev = "lo" if d.type in ("local", "broadcast") else d.dev
        masquerade_to = sender_address(ns, packet, d)
        stop, packet, _ = hook(trail, ns, "postrouting", packet, iif, dev, at=dev, oif_addr=masquerade_to)
        if stop:
            return stop
        if dev == "lo":  # looped back: prerouting and input with iif lo; its NAT was set up on the way out
            trail.step(ns, "link", "looped back through lo to this namespace")
            return self.layer3(ns, "lo", packet, skip_nat=True)
        return egress(self, ns, str(dev), packet, d.gateway or packet.dst)
