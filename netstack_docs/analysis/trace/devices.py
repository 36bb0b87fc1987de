"""Where a packet goes after a device's egress, by the device's kind (one handler per kind): into a veth's
peer namespace, across a bridge, into a VXLAN to the host owning the remote VTEP, or out of the
captured world (`forwarded`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netstack_docs.analysis.trace import tc
from netstack_docs.analysis.trace.bridge import flood
from netstack_docs.analysis.trace.hops import end_here, port_towards, veth_out
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.ovs import ovs_port
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.vxlan import vxlan_out
from netstack_docs.analysis.trace.walk import End, hook

if TYPE_CHECKING:
    from netstack_docs.analysis.trace.walker import Walker

Obj = dict[str, Any]


def _bridge_out(w: Walker, ns: Namespace, link: Obj, packet: Packet, nexthop: str) -> End:
    dev = link["ifname"]
    port = port_towards(ns, dev, nexthop, exclude=None)
    if port is None:
        return flood(w, ns, link, packet, nexthop)
    w.trail.step(ns, "virtual", f"bridge {dev}: to port {port} (its far side holds {nexthop})", "link", link)
    stop = device_out(w, ns, port, packet)
    if stop is not None:
        return stop
    return veth_out(w, ns, ns.links[port], packet, nexthop)


EGRESS = {"veth": veth_out, "bridge": _bridge_out, "vxlan": vxlan_out}


def device_out(w: Walker, ns: Namespace, dev: str, packet: Packet) -> End | None:
    """The device's own egress, in the hook model's order: netfilter egress chains, then tc egress."""
    stop, _, _ = hook(w.trail, ns, "egress", packet, None, dev, at=dev, device=dev)
    if stop is not None:
        return stop
    if tc.egress(w.trail, ns, dev) == "drop":
        return End("dropped", ns, packet, dev)
    return None


def egress(w: Walker, ns: Namespace, dev: str, packet: Packet, nexthop: str) -> End:
    stop = device_out(w, ns, dev, packet)
    if stop is not None:
        return stop
    link = ns.require_link(dev)
    port = ovs_port(ns, dev)
    if port is not None and port[1] == "internal":  # the host's stack hands the frame to OVS
        from netstack_docs.analysis.trace.ovs import enter

        return enter(w, ns, dev, packet, nexthop, sent=True)
    handler = EGRESS.get(str(link.get("kind")))
    if handler is not None:
        return handler(w, ns, link, packet, nexthop)
    what = f"leaves the host out of {dev} ({link.get('kind')}) to {nexthop}: {packet.describe()}"
    return end_here(w, ns, "forwarded", "link", what, link, packet, dev)
