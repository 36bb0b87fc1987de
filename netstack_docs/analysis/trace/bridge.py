"""A Linux bridge on the walk: frames to the bridge itself go up its stack, others go to the port whose
far side holds the address (static or learned FDB says the same), else they are flooded; br_netfilter
runs the IP hooks on bridged traffic when it is on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netstack_docs.analysis.trace.hops import end_here, peer_of, port_towards, veth_out
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.packet import Packet, parse_net
from netstack_docs.analysis.trace.walk import End, hook, stack

if TYPE_CHECKING:
    from netstack_docs.analysis.trace.walker import Walker

Obj = dict[str, Any]


def flood(w: Walker, ns: Namespace, bridge: Obj, packet: Packet, nexthop: str) -> End:
    ports = [p for p in ns.links.values() if p.get("master") == bridge["ifname"]]
    open_ports = [p["ifname"] for p in ports if p.get("kind") != "veth" or peer_of(ns, p) is None]
    if open_ports:
        return end_here(
            w,
            ns,
            "forwarded",
            "virtual",
            f"bridge {bridge['ifname']}: no port known for {nexthop}; flooded to "
            f"{', '.join(open_ports)} (far sides not captured)",
            bridge,
            packet,
            bridge["ifname"],
        )
    return end_here(
        w,
        ns,
        "rejected",
        "virtual",
        f"bridge {bridge['ifname']}: nothing behind its ports holds {nexthop}: host unreachable",
        bridge,
        packet,
        bridge["ifname"],
    )


def bridge_in(w: Walker, ns: Namespace, port: Obj, packet: Packet, nexthop: str | None) -> End:
    """A frame received on a bridge port: up to the bridge's own stack, or bridged to another port."""
    bridge = port["master"]
    key = (
        "net.bridge.bridge-nf-call-iptables" if packet.version == 4 else "net.bridge.bridge-nf-call-ip6tables"
    )
    br_netfilter = ns.sysctl(key) == "1"
    if br_netfilter:  # the port it came in on goes with the packet through the IP hooks (nf_bridge)
        packet = packet.with_(physin=port["ifname"])
    gateway = _gateway_on(ns, bridge, packet) if nexthop is None else None
    target = gateway or nexthop or packet.dst
    if gateway is not None or stack(ns).is_local(target):  # the gateway is the bridge's own address
        w.trail.step(
            ns,
            "virtual",
            f"bridge {bridge}: addressed to the bridge itself (port {port['ifname']})"
            + (
                f": {target} is the sender's gateway ({packet.dst} is off the bridge's subnets)"
                if target != (nexthop or packet.dst)
                else ""
            ),
            "port",
            {**port},
        )
        return w.layer3(ns, bridge, packet)
    out = port_towards(ns, bridge, target, exclude=port["ifname"])
    if out is None:
        return flood(w, ns, ns.require_link(bridge), packet, target)
    w.trail.step(
        ns, "virtual", f"bridge {bridge}: from port {port['ifname']} to port {out}", "link", ns.links[bridge]
    )
    if br_netfilter:
        packet_or_end = _br_netfilter(w, ns, port["ifname"], bridge, out, packet)
        if isinstance(packet_or_end, End):
            return packet_or_end
        packet = packet_or_end
    from netstack_docs.analysis.trace.devices import device_out

    stop = device_out(w, ns, out, packet)
    if stop is not None:
        return stop
    return veth_out(w, ns, ns.links[out], packet, target)


def _gateway_on(ns: Namespace, bridge: str, packet: Packet) -> str | None:
    """A packet put on a bridge port (`--in PORT`) for a destination off the bridge's subnets was sent
    to a gateway: the bridge's own address on the sender's subnet, as a packet arriving on any other
    interface for a remote destination is taken to be addressed to this host. None: on-link, or the
    bridge holds no address on the sender's subnet (then the frame goes where the destination is)."""
    nets = ns.subnet_of(bridge, packet.version)
    if not nets or any(packet.dst_ip in net for net in nets):
        return None
    for a in ns.doc.get("addresses", []):
        if a["ifname"] != bridge:
            continue
        net = parse_net(f"{a['address']}/{a['prefixlen']}")
        if net.version == packet.version and packet.src_ip in net:
            return str(a["address"])
    return None


def _br_netfilter(w: Walker, ns: Namespace, port: str, bridge: str, out: str, packet: Packet) -> Packet | End:
    """br_netfilter: bridged IP traffic also runs the IP hooks, and they see the bridge as the device
    (the kernel sets skb->dev to the bridge in br_nf_pre_routing's setup_pre_routing); -m physdev sees
    the ports: the one it came in on throughout, the one it leaves by on forward and postrouting."""
    w.trail.step(
        ns, "netfilter", f"bridged traffic runs the IP hooks too (br_netfilter, {bridge}, from port {port})"
    )
    for name, iif, oif, physout in (
        ("prerouting", bridge, None, None),
        ("forward", bridge, bridge, out),
        ("postrouting", None, bridge, out),
    ):
        stop, packet, _ = hook(w.trail, ns, name, packet, iif, oif, physout=physout)
        if stop:
            return stop
    return packet
