"""Open vSwitch on the walk: a frame entering an OVS bridge (in on one of its ports, or sent by the host out
of an internal port) goes through the captured OpenFlow tables (ofproto.py, as ofproto/trace walks
them), and the walk follows each copy that comes out: into the host's stack on an internal port, out
of a system port (a veth into its peer namespace), or encapsulated to a tunnel's remote VTEP and into
the OVS bridge of the captured host that holds it. Several copies (a flood) are each walked: the
result lists every port reached."""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import TYPE_CHECKING, Any

from netstack_docs.analysis.trace import ofproto
from netstack_docs.analysis.trace.forks import Choice
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.ofactions import read as read_field
from netstack_docs.analysis.trace.ovsframe import arp_request, frame_of, l2_of, packet_after, vlan_device
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.result import Step
from netstack_docs.analysis.trace.walk import MAX_HOPS, End

if TYPE_CHECKING:
    from netstack_docs.analysis.trace.fleet import Host
    from netstack_docs.analysis.trace.walker import Walker

Obj = dict[str, Any]
Ports = tuple[tuple[str, str, str], ...]  # (interface, bridge, interface type)


@cache
def _index(ports: Ports) -> dict[str, tuple[str, str]]:
    return {iface: (bridge, kind) for iface, bridge, kind in ports}


def ovs_port(ns: Namespace, ifname: str) -> tuple[str, str] | None:
    """(bridge, interface type: internal, system, patch...) of an OVS interface of the root namespace, or of
    an internal port moved into another namespace (Neutron's router and DHCP namespaces)."""
    ovs: dict[str, Any] = ns.host.doc.get("ovs") or {}
    ports: Ports = tuple(
        (str(i.get("name")), str(b.get("name")), str(i.get("type") or "system"))
        for b in ovs.get("bridges") or []
        for p in b.get("ports") or []
        for i in p.get("interfaces") or []
    )
    found = _index(ports).get(ifname) if ports else None
    if found is not None and ns.kind != "root" and (found[1] != "internal" or ns.host.root.link(ifname)):
        return None
    return found


def switch_of(host: Host) -> ofproto.Switch:
    """The host's OVS, indexed once and kept on the host (it lives as long as the fleet's traces)."""
    kept = vars(host).get("_ovs_switch")
    if not isinstance(kept, ofproto.Switch):
        state = (host.doc.get("state") or {}).get("ovs")
        kept = vars(host)["_ovs_switch"] = ofproto.Switch(host.doc.get("ovs") or {}, state)
    return kept


def _flows_missing(host: Host, bridge: str) -> str | None:
    """Why the snapshot lacks `bridge`'s flows (a capture gap, or none recorded), None when it has them."""
    for gap in host.doc.get("gaps") or []:
        if str(gap.get("what")) in ("ovs flows", f"ovs flows of {bridge}"):
            return str(gap.get("reason"))
    bridges: list[Obj] = (host.doc.get("ovs") or {}).get("bridges") or []
    br = next((b for b in bridges if b.get("name") == bridge), {})
    return None if "flows" in br else "the snapshot has no flows for it"


def _table_step(w: Walker, ns: Namespace, event: ofproto.Event) -> None:
    """An event of the tables as a step, linked to its OpenFlow table (the link is worked out once)."""
    if event.flow is None:
        w.trail.step(ns, "virtual", event.what, undetermined=event.undetermined)
        return
    switch = switch_of(ns.host)
    key = (ns.id, event.bridge, int(event.flow.get("table", 0)))
    if key not in switch.anchors:
        switch.anchors[key] = ns.anchor("ovstable", {"bridge": key[1], "table": key[2]})
    component, url = switch.anchors[key]
    w.trail.steps.append(Step("virtual", ns.host.slug, ns.id, event.what, component, url, event.undetermined))


def _chooser(w: Walker, ns: Namespace, events: list[tuple[str, bool]]) -> ofproto.Choose:
    """Forks met inside the tables, recorded in the tables' order (the trail gets them with the events)."""

    def choose(key: str, what: str, outcomes: tuple[str, ...], random: bool = False) -> str:
        forks = w.trail.forks
        before = len(forks.path)
        outcome = forks.choose(Choice(key, what, outcomes, ns.host.slug, random))
        if len(forks.path) == before:
            events.append((f"{what}: assumed {outcome} (stated: {key}={outcome})", False))
        else:
            others = ", ".join(o for o in outcomes if o != outcome)
            verb = "picked at random" if random else "not evaluable from the snapshot"
            events.append((f"{what}: {verb}; this walk: {outcome} (forks: {others}) [{key}]", True))
        return outcome

    return choose


def enter(
    w: Walker,
    ns: Namespace,
    port: str,
    packet: Packet,
    nexthop: str | None,
    *,
    sent: bool = False,
    tunnel: Obj | None = None,
) -> End:
    """A frame entering OVS on interface `port`: received there (`sent` False), or sent by this host's stack
    out of that internal port (`sent`). `tunnel`: the tunnel fields of a frame that came encapsulated."""
    w.hops += 1
    if w.hops > MAX_HOPS:
        w.trail.step(ns, "virtual", f"more than {MAX_HOPS} hops: a loop?", undetermined=True, decides=True)
        return End("undetermined", ns, packet, port)
    switch = switch_of(ns.host)
    bridge = switch.port_of[port][0]
    missing = _flows_missing(ns.host, bridge)
    if missing:
        w.trail.step(
            ns,
            "virtual",
            f"{port} is a port of Open vSwitch bridge {bridge}, whose OpenFlow flows "
            f"were not captured ({missing}): its tables decide",
            "link",
            ns.link(port),
            undetermined=True,
            decides=True,
        )
        return End("undetermined", ns, packet, port)
    l2, told = l2_of(w.fleet, ns, port, packet, nexthop, sent)
    for key, value in told.items():
        w.trail.l2.setdefault(key, value)
    frame = frame_of(packet, port, l2, tunnel)
    how = "sent by the host out of" if sent else "in on"
    w.trail.step(
        ns,
        "virtual",
        f"Open vSwitch bridge {bridge}: {how} port {port}; {l2['describe']}",
        "ovsport",
        {"bridge": bridge, "name": switch.port_of[port][1]["name"]},
    )
    if l2["arp"][0] and packet.version == 4 and not _arp_answered(w, ns, bridge, frame, l2):
        return End("rejected", ns, packet, port)
    marks: list[tuple[str, bool]] = []
    events, outputs = ofproto.run(switch, bridge, frame, _chooser(w, ns, marks), packet.state)
    for event in events:
        if event.choice:
            text, unknown = marks.pop(0)
            w.trail.step(ns, "virtual", text, undetermined=unknown)
            continue
        _table_step(w, ns, event)
    if not outputs:
        last = events[-1].what if events else f"{bridge}: no flows"
        w.trail.step(
            ns,
            "virtual",
            f"Open vSwitch: no action sends the frame out of a port: dropped ({last})",
            decides=True,
        )
        return End("dropped", ns, packet, port)
    out = _pick(w, ns, bridge, outputs)
    return _follow(w, ns, out, packet, l2)


def _arp_answered(w: Walker, ns: Namespace, bridge: str, frame: Obj, l2: Obj) -> bool:
    """The sender ARPs for the next hop first: does that broadcast reach the interface that holds it (on
    this host)? If not, nobody answers and the kernel reports the host unreachable."""
    marks: list[tuple[str, bool]] = []
    request = arp_request(frame, l2["target"])
    events, outputs = ofproto.run(switch_of(ns.host), bridge, request, _chooser(w, ns, marks))
    answered = any(out.kind != "port" or _leads_to(ns, out) == l2["arp"] for out in outputs)
    for event in events:  # the request's own walk is shown when it decides
        if event.choice:
            text, unknown = marks.pop(0)
            w.trail.step(ns, "virtual", f"(the ARP request) {text}", undetermined=unknown)
        elif not answered:
            _table_step(w, ns, ofproto.Event(event.bridge, f"(the ARP request) {event.what}", event.flow))
    if answered:
        return True  # reached, or a copy trace cannot follow (it may reach it)
    holder = " ".join(reversed(l2["arp"]))
    w.trail.step(
        ns,
        "virtual",
        f"the ARP request for {l2['target']} is flooded by bridge {bridge} and does not "
        f"reach {holder}, which holds it: no neighbour answers, host unreachable",
        decides=True,
    )
    return False


def _leads_to(ns: Namespace, out: ofproto.Output) -> tuple[str, str] | None:
    """(namespace id, ifname) where an untagged copy out of an OVS port lands on this host."""
    if out.vlan is not None:
        return None
    if str(out.iface.get("type")) == "internal":
        home = next((n for n in [ns.host.root, *ns.host.namespaces] if n.link(out.port) is not None), None)
        return (home.id, out.port) if home else None
    parent = (ns.link(out.port) or {}).get("parent") or {}
    return (str(parent.get("netns")), str(parent.get("ifname"))) if parent.get("netns") else None


def _label(out: ofproto.Output) -> str:
    if out.kind == "tunnel":
        return f"{out.port} (to {out.iface.get('options', {}).get('remote_ip')})"
    vlan = f" VLAN {out.vlan}" if out.vlan is not None else ""
    return f"{out.port}{vlan}" if out.kind == "port" else f"undetermined: {out.why}"


def _pick(w: Walker, ns: Namespace, bridge: str, outputs: list[ofproto.Output]) -> ofproto.Output:
    if len(outputs) == 1:
        return outputs[0]
    labels: list[str] = []
    for out in outputs:
        label, n = _label(out), 2
        while label in labels:
            label, n = f"{_label(out)} #{n}", n + 1
        labels.append(label)
    what = f"Open vSwitch bridge {bridge} sends {len(outputs)} copies"
    picked = w.trail.choose(ns, "virtual", f"ovs-copy:{bridge}", what, tuple(labels), copies=True)
    return outputs[labels.index(picked)]


def _follow(w: Walker, ns: Namespace, out: ofproto.Output, packet: Packet, l2: Obj) -> End:
    trail = w.trail
    if out.kind == "undetermined":
        trail.step(ns, "virtual", f"Open vSwitch: {out.why}", undetermined=True, decides=True)
        return End("undetermined", ns, packet, out.port or None)
    packet = packet_after(packet, out.frame, l2)
    if out.kind == "tunnel":
        return _tunnel(w, ns, out, packet)
    iface_type = str(out.iface.get("type") or "system")
    if iface_type == "internal":
        home = next((n for n in [ns.host.root, *ns.host.namespaces] if n.link(out.port) is not None), None)
        if home is None:
            trail.step(
                ns,
                "virtual",
                f"out of internal port {out.port}: its device is in no captured namespace",
                decides=True,
            )
            return End("forwarded", ns, packet, out.port)
        return _into_stack(w, home, out.port, out.vlan, packet)
    link = ns.link(out.port)
    parent = (link or {}).get("parent") or {}
    peer_ns = ns.host.namespace_by_id(parent.get("netns") or "") if parent.get("netns") else None
    if (
        link is not None
        and link.get("kind") == "veth"
        and peer_ns is not None
        and peer_ns.link(str(parent.get("ifname"))) is not None
    ):
        trail.step(
            ns,
            "virtual",
            f"out of OVS port {out.port} (veth) into {peer_ns.label} as {parent['ifname']}",
            "link",
            link,
        )
        return _into_stack(w, peer_ns, str(parent["ifname"]), out.vlan, packet)
    vlan = f" tagged VLAN {out.vlan}" if out.vlan is not None else ""
    what = f"leaves the host out of OVS port {out.port}{vlan}: {packet.describe()}"
    trail.step(ns, "link", what, "link" if link else None, link, decides=True)
    return End("forwarded", ns, packet, out.port)


def _into_stack(w: Walker, ns: Namespace, ifname: str, vlan: int | None, packet: Packet) -> End:
    """A frame out of OVS arriving on a kernel device: a tagged one only through its VLAN device, and one
    addressed to another MAC is not for this host (the kernel marks it PACKET_OTHERHOST and IP drops it)."""
    link = ns.require_link(ifname)
    if vlan is not None:
        sub = vlan_device(ns, ifname, vlan)
        if sub is None:
            w.trail.step(
                ns,
                "link",
                f"arrives on {ifname} tagged VLAN {vlan}, and no VLAN {vlan} device sits on "
                f"it: the kernel drops it",
                "link",
                link,
                decides=True,
            )
            return End("dropped", ns, packet, ifname)
        ifname, link = str(sub["ifname"]), sub
    mine = str(link.get("address") or "").lower()
    dst = (packet.dst_mac or "").lower()
    if (
        dst
        and mine
        and dst != mine
        and not int(dst.split(":")[0], 16) & 1
        and link.get("kind") != "bridge"
        and not link.get("master")
    ):
        w.trail.step(
            ns,
            "link",
            f"arrives on {ifname} addressed to {dst}, not to {ifname}'s {mine}: not for this "
            "host (PACKET_OTHERHOST), IP drops it",
            "link",
            link,
            decides=True,
        )
        return End("dropped", ns, packet, ifname)
    return w.receive(ns, ifname, packet)


def _tunnel(w: Walker, ns: Namespace, out: ofproto.Output, packet: Packet) -> End:
    trail = w.trail
    options = out.iface.get("options") or {}
    remote = str(options.get("remote_ip"))
    tun_id = read_field(out.frame, "tun_id")
    kind = str(out.iface.get("type"))
    owner = w.fleet.owner_of(ns.host.env, remote)
    if owner is None:
        trail.step(
            ns,
            "virtual",
            f"leaves the host encapsulated ({kind}, tunnel id {hex(tun_id)}) towards VTEP "
            f"{remote} (no captured host holds it)",
            decides=True,
        )
        return End("forwarded", ns, packet, out.port)
    host, remote_ns = owner
    what = (
        f"whether the outer packet to VTEP {remote} crosses the underlay and both hosts' firewalls "
        "(trace does not follow the outer packet)"
    )
    if trail.choose(ns, "virtual", f"underlay:{remote}", what, ("crosses", "dropped")) == "dropped":
        trail.step(ns, "virtual", f"the outer packet to {remote} is dropped (in this walk)", decides=True)
        return End("dropped", ns, packet, out.port)
    mine = {a.get("address") for n in ns.host.namespaces for a in n.doc.get("addresses", [])}
    far = switch_of(host)
    port = next(
        (
            name
            for name, (_, _, iface) in sorted(far.port_of.items())
            if iface.get("type") == kind
            and (iface.get("options") or {}).get("remote_ip") in (mine | {"flow"})
        ),
        None,
    )
    if port is None or host.root.link(port) is None and ovs_port(host.root, port) is None:
        trail.step(
            remote_ns,
            "virtual",
            f"{host.slug} holds {remote} but no OVS {kind} port of it has this host as remote_ip: dropped",
            decides=True,
        )
        return End("dropped", remote_ns, packet, None)
    trail.step(
        ns,
        "virtual",
        f"encapsulated ({kind}, tunnel id {hex(tun_id)}) to VTEP {remote}: arrives on "
        f"{host.slug} port {port}",
    )
    tunnel = {"tun_id": tun_id, "tun_dst": _address_int(remote)}
    if _v4(str(options.get("local_ip"))):  # without local_ip the route to the VTEP picks it: not known here
        tunnel["tun_src"] = _address_int(str(options["local_ip"]))
    return enter(w, host.root, port, packet, None, tunnel=tunnel)


def _address_int(text: str) -> int:
    return int(ipaddress.ip_address(text)) if _v4(text) else 0


def _v4(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).version == 4
    except ValueError:
        return False
