"""The walk through a host's namespaces: receive, route, input/forward/output; egress is devices.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netstack_docs.analysis.trace import checks, sockets, tc
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.nat import apply as apply_nat
from netstack_docs.analysis.trace.nft import run_hook
from netstack_docs.analysis.trace.ovs import ovs_port
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.routing import Decision
from netstack_docs.analysis.trace.trail import Trail
from netstack_docs.analysis.trace.walk import MAX_HOPS, ROUTE_END, End, route_step, sender_address, stack

if TYPE_CHECKING:
    from netstack_docs.analysis.trace.fleet import Fleet


def _hook_end(verdict: str) -> str:
    return {"drop": "dropped", "reject": "rejected"}.get(verdict, "undetermined")


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
            trail.step(
                ns,
                "ebpf",
                f"XDP program {name} ({xdp.get('mode')}) on {ifname} decides first (not evaluable offline)",
                "link",
                link,
                undetermined=True,
            )
            trail.assume(f"assuming the XDP program {name} on {ifname} passes it (XDP_PASS)")
        port = ovs_port(ns, ifname)
        if port is not None and port[1] != "internal":  # an internal port is OVS handing it to the kernel
            what = f"{ifname} is a port of Open vSwitch bridge {port[0]}: its OpenFlow tables decide"
            trail.step(ns, "virtual", what, "link", link, undetermined=True, decides=True)
            return End("undetermined", ns, packet, ifname)
        if tc.ingress(trail, ns, ifname) == "drop":
            return End("dropped", ns, packet, ifname)
        st = stack(ns)
        ctx = st.context(packet, "ingress", ifname, None)
        out = run_hook(trail, st.ruleset, "ingress", ctx, device=ifname)
        if out.verdict != "accept":
            return End(_hook_end(out.verdict), ns, ctx.packet, ifname)
        if link.get("master"):
            return bridge_in(self, ns, link, ctx.packet, nexthop)
        return self.layer3(ns, ifname, ctx.packet)

    def layer3(self, ns: Namespace, ifname: str, packet: Packet, skip_nat: bool = False) -> End:
        trail, st = self.trail, stack(ns)
        ctx = st.context(packet, "prerouting", ifname, None)
        out = run_hook(trail, st.ruleset, "prerouting", ctx, nat_done=skip_nat)
        if out.verdict != "accept":
            return End(_hook_end(out.verdict), ns, ctx.packet, ifname)
        iif_addr = checks.address_on(ns, ifname, ctx.packet)
        packet = apply_nat(trail, ns, ctx.packet, out.nat, iif_addr=iif_addr)
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
            if d.type != "blackhole" and not checks.forwarding(trail, ns, ifname, packet):
                return End("dropped", ns, packet, ifname)  # no ICMP error when the device does not forward
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
        if not checks.forwarding(trail, ns, ifname, packet):
            trail.step(ns, "routing", f"not forwarded: forwarding is off for {ifname}", decides=True)
            return End("dropped", ns, packet, ifname)
        dev = d.dev or ifname
        ctx = st.context(packet, "forward", ifname, dev)
        out = run_hook(trail, st.ruleset, "forward", ctx)
        if out.verdict != "accept":
            return End(_hook_end(out.verdict), ns, ctx.packet, ifname)
        return self.postrouting(ns, ctx.packet, d, ifname)

    # -- local delivery ----------------------------------------------------------------------------
    def local_in(self, ns: Namespace, ifname: str, packet: Packet, nat_done: bool = False) -> End:
        trail, st = self.trail, stack(ns)
        ctx = st.context(packet, "input", ifname, None)
        out = run_hook(trail, st.ruleset, "input", ctx, nat_done=nat_done)
        if out.verdict != "accept":
            return End(_hook_end(out.verdict), ns, ctx.packet, ifname)
        packet = apply_nat(trail, ns, ctx.packet, out.nat)
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
        found = sockets.lookup(ns, packet, ifname)
        if found is None:
            reply = "TCP reset" if packet.proto == "tcp" else "ICMP port unreachable"
            trail.step(
                ns,
                "transport",
                f"no socket listens on {packet.proto} {packet.dst}:{packet.dport}: {reply}",
                decides=True,
            )
            return End("rejected", ns, packet, ifname)
        if found.assumption:
            trail.assume(found.assumption)
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
        dev = "lo" if d.type == "local" else d.dev
        ctx = st.context(packet, "output", None, dev)
        out = run_hook(trail, st.ruleset, "output", ctx)
        if out.verdict != "accept":
            return End(_hook_end(out.verdict), ns, ctx.packet)
        new = apply_nat(trail, ns, ctx.packet, out.nat)
        if new.dst != packet.dst or new.mark != packet.mark:
            d = st.route(
                new, "lo", local=True
            )  # the kernel reroutes a packet whose destination or mark changed
            route_step(trail, ns, new, d)
            if d.type in ROUTE_END:
                return End(ROUTE_END[d.type], ns, new)
        return self.postrouting(ns, new, d, None)

    def postrouting(self, ns: Namespace, packet: Packet, d: Decision, iif: str | None) -> End:
        from netstack_docs.analysis.trace.devices import egress

        trail, st = self.trail, stack(ns)
        dev = "lo" if d.type in ("local", "broadcast") else d.dev
        ctx = st.context(packet, "postrouting", iif, dev)
        out = run_hook(trail, st.ruleset, "postrouting", ctx)
        if out.verdict != "accept":
            return End(_hook_end(out.verdict), ns, ctx.packet, dev)
        packet = apply_nat(trail, ns, ctx.packet, out.nat, oif_addr=sender_address(ns, ctx.packet, d))
        if dev == "lo":  # looped back: prerouting and input with iif lo; its NAT was set up on the way out
            trail.step(ns, "link", "looped back through lo to this namespace")
            return self.layer3(ns, "lo", packet, skip_nat=True)
        return egress(self, ns, str(dev), packet, d.gateway or packet.dst)
