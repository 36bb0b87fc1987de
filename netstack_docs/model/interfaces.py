"""One view per interface: what a packet meets on each device of a host, in the kernel's order, both ways.

The order is the hook model's (netstack_docs.model.hookorder: device_ingress / device_egress for
the device's own hooks, ip_hook for the IP stack's), the one trace walks and the packet path draws.
This module only chooses, per device, the objects of each stage that concern it (the tc tree under
its qdiscs, the nftables rules that name it, its routes, neighbours and sockets) and where each is
shown on its layer page: the anchor comes from the classified host (netstack_docs.model.classify),
so a link here lands exactly where the layer page put the component.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from netstack_docs.model.classify import HostView
from netstack_docs.model.hookorder import FORWARD, LOCAL_IN, RECEIVE, SEND, device_egress, device_ingress
from netstack_docs.model.ifacenft import NftStages
from netstack_docs.model.ifacetc import TcStages
from netstack_docs.model.ifaceview import (
    IN_KEYS,
    OUT_KEYS,
    DeviceView,
    HostIndex,
    Item,
    Obj,
    StageView,
    Target,
    capped,
    device_anchor,
    flatten,
)
from netstack_docs.model.namespaces import ordered
from netstack_docs.model.ruletext import ip_rule_text
from netstack_docs.model.sections import KERNEL_PROTOCOL, namespace_state
from netstack_docs.model.tcmatch import filter_text
from netstack_docs.snapshot.content import xdp_programs

__all__ = ["DeviceView", "Item", "StageView", "Target", "flatten", "host_devices"]

# After the device's own receive hooks (RECEIVE up to the bridge): the IP stack's, then local delivery.
INGRESS_IP = (*RECEIVE[RECEIVE.index("prerouting") :], "forward", *LOCAL_IN)
# Before the device's own send hooks (SEND and FORWARD up to netdev-egress): the routing decision,
# forward (packets of other hosts) or output (this host's), postrouting, then the neighbour lookup
# (ip_finish_output2) before dev_queue_xmit runs netfilter egress and tc egress.
_SENT = SEND[: SEND.index("netdev-egress")]  # routing, output, postrouting
EGRESS_IP = (_SENT[0], FORWARD[0], *_SENT[1:], "neighbour")
WILDCARDS = ("0.0.0.0", "::", "*")


class _Device(TcStages, NftStages):
    """One device's view: its facts, then each direction's stages in the hook model's order."""

    # -- the IP stack ------------------------------------------------------------------------------
    def _rules(self, key: str) -> list[Item]:
        return [
            Item("policy rule", self.target("rule", r), ip_rule_text(r))
            for r in self.ns.get("rules", [])
            if r.get(key) == self.ifname
        ]

    def _routes(self) -> list[Item]:
        out = []
        for r in self.ns.get("routes", []):
            devs = {r.get("dev"), *((h or {}).get("dev") for h in r.get("nexthops") or [])}
            target = self.target("route", r)
            if self.ifname in devs and target is not None:
                out.append(Item("route", target, _route_text(r)))
        state = namespace_state(self.host.view.snapshot, self.ns_id)
        derived = [r for r in state.get("derived_routes") or [] if r.get("dev") == self.ifname]
        derived += [
            r
            for r in self.ns.get("routes", [])
            if r.get("protocol") == KERNEL_PROTOCOL
            and self.target("route", r) is None
            and r.get("dev") == self.ifname
        ]
        if derived:
            routes = tuple(Item("", code=_route_text(r)) for r in derived)
            out.append(
                Item(
                    f"{len(derived)} routes the kernel derived from its addresses",
                    self._derived_target(),
                    note="local, broadcast, connected",
                    children=routes,
                )
            )
        return out

    def _derived_target(self) -> Target | None:
        c = self.host.targets.derived.get(self.ns_id)
        return Target(c.layer, c.anchor) if c else None

    def _sockets(self) -> list[Item]:
        mine = {a.get("address") for a in self.ns.get("addresses", []) if a.get("ifname") == self.ifname}
        out, anywhere = [], []
        for s in (self.ns.get("sockets") or {}).get("listening", []):
            if s.get("local_address") in WILDCARDS and not s.get("ifname"):
                text = f"{s['protocol']} {s['local_address']}:{s['port']}"
                anywhere.append(
                    Item(text, self.target("socket", s), note=s.get("process") or "process unknown")
                )
                continue
            how = (
                "bound to the device"
                if s.get("ifname") == self.ifname
                else "on its address"
                if s.get("local_address") in mine and not s.get("ifname")
                else ""
            )
            if how:
                text = f"{s['protocol']} {s['local_address']}:{s['port']}"
                out.append(
                    Item(
                        text, self.target("socket", s), note=f"{how}, {s.get('process') or 'process unknown'}"
                    )
                )
        if anywhere and (out or mine):
            what = f"{len(anywhere)} socket{'s' if len(anywhere) != 1 else ''} listening on every address"
            out.append(Item(what, note="reached through any device", children=capped(anywhere, "sockets")))
        return out

    def _neighbours(self) -> list[Item]:
        return [
            Item(
                str(n.get("address")),
                self.target("neigh", n),
                " ".join(str(w) for w in ("lladdr", n.get("lladdr"), n.get("state")) if w)
                if n.get("lladdr")
                else str(n.get("state") or ""),
            )
            for n in self.ns.get("neighbours", [])
            if n.get("ifname") == self.ifname
        ]

    # -- the two directions ------------------------------------------------------------------------
    def ingress(self) -> list[StageView]:
        out = [*self._redirected_here("ingress")]
        for stage in device_ingress(self.ns, self.ifname):
            if stage.name == "xdp":
                out.append(StageView("xdp", "XDP", tuple(self._xdp())))
            elif stage.name == "tc-ingress":
                out.append(self._tc_ingress(stage))
            elif stage.name == "netdev-ingress":
                out.append(self._netdev(stage))
            elif stage.name == "bridge":
                master = str(self.link.get("master"))
                out.append(
                    StageView(
                        "bridge",
                        "bridge",
                        (self._peer_item(self.ns_id, master, "port of"),),
                        "the bridge forwards the frame; the IP hooks below see it only when it "
                        "is for the bridge's own addresses (or under br_netfilter)",
                    )
                )
        for word in INGRESS_IP:
            if word == "routing":
                rules = self._rules("iif")
                if rules:
                    out.append(
                        StageView(
                            "routing",
                            "routing decision",
                            tuple(rules),
                            f"policy rules that select iif {self.ifname}",
                        )
                    )
            elif word == "socket":
                socks = self._sockets()
                if socks:
                    out.append(StageView("socket", "local sockets", tuple(socks), branch="local"))
            else:
                view = self._ip_hook(word, IN_KEYS, {"forward": "forward", "input": "local"}.get(word, ""))
                if view:
                    out.append(view)
        return out

    def egress(self) -> list[StageView]:
        out = [*self._redirected_here("egress")]
        for word in EGRESS_IP:
            if word == "routing":
                items = [*self._rules("oif"), *self._routes()]
                if items:
                    out.append(
                        StageView(
                            "routing",
                            "routing decision",
                            capped(items, "routes"),
                            f"routes that leave through {self.ifname}",
                        )
                    )
            elif word == "neighbour":
                neighbours = self._neighbours()
                if neighbours:
                    out.append(
                        StageView(
                            "neighbour",
                            "neighbours",
                            capped(neighbours, "neighbours"),
                            "permanent entries (learned ones are state, not captured as configuration)",
                        )
                    )
            else:
                view = self._ip_hook(word, OUT_KEYS, "forward" if word == "forward" else "")
                if view:
                    out.append(view)
        for stage in device_egress(self.ns, self.ifname):
            out.append(self._netdev(stage) if stage.name == "netdev-egress" else self._tc_egress(stage))
        other = self._other_chains()
        if other:
            out.append(other)
        return out

    def _redirected_here(self, side: str) -> list[StageView]:
        """tc mirred actions of other devices' filters that send packets to this device."""
        items = []
        for f in self.host.all_filters(self.ns_id):
            for a in f.get("actions") or []:
                verb = str(a.get("action") or "")
                if a.get("kind") == "mirred" and a.get("dev") == self.ifname and verb.startswith(side):
                    src = str(f.get("ifname"))
                    items.append(
                        Item(
                            src,
                            Target(None, device_anchor(self.ns_id, src)),
                            note=f"its filter ({filter_text(f)}): {verb}",
                        )
                    )
        if not items:
            return []
        what = (
            "sent out of this device (its egress qdisc below)"
            if side == "egress"
            else "received as if they arrived on this device"
        )
        return [
            StageView("redirect", "redirected here", tuple(items), f"packets of these devices are {what}")
        ]

    def _xdp(self) -> Iterator[Item]:
        for x in xdp_programs(self.link.get("xdp")):
            prog = self.host.progs.get(x.get("prog_id"))
            target = self.target("prog", prog) if prog else self.target("link", self.link)
            yield Item(
                str(x.get("prog_name") or x.get("prog_id") or "?"),
                target,
                note=f"id {x.get('prog_id')}, mode {x.get('mode')}: runs before the kernel allocates "
                "an skb; its verdict (pass, drop, tx, redirect) is the program's",
            )

    # -- facts ---------------------------------------------------------------------------------------
    def _peer_item(self, ns_id: str, ifname: str, label: str) -> Item:
        known = self.host.has_link(ns_id, ifname)
        where = "" if ns_id == self.ns_id else f" in the {self.host.labels.get(ns_id, ns_id)}"
        target = Target(None, device_anchor(ns_id, ifname)) if known else None
        return Item(f"{ifname}{where}", target, note=label + ("" if known else " (not captured)"))

    def facts(self) -> tuple[Item, ...]:
        link = self.link
        state = (namespace_state(self.host.view.snapshot, self.ns_id).get("links") or {}).get(
            self.ifname
        ) or {}
        words = [f"kind {link.get('kind')}", f"MTU {link.get('mtu')}"]
        if link.get("address"):
            words.append(f"MAC {link['address']}")
        if state.get("operstate") or link.get("operstate"):
            words.append(f"state {state.get('operstate') or link.get('operstate')}")
        if link.get("qdisc"):
            words.append(f"qdisc {link['qdisc']}")
        info = link.get("info") or {}
        if link.get("kind") in ("vxlan", "geneve") and info.get("id") is not None:
            words.append(f"VNI {info['id']}" + (f" dport {info['port']}" if info.get("port") else ""))
        out = [Item(", ".join(words), self.target("link", link))]
        if link.get("alias"):
            out.append(Item("alias", note=str(link["alias"])))
        parent = link.get("parent") or {}
        if parent.get("ifname"):
            label = "veth peer" if link.get("kind") == "veth" else f"{link.get('kind')} on"
            out.append(self._peer_item(str(parent.get("netns") or self.ns_id), str(parent["ifname"]), label))
        if link.get("kind") in ("vxlan", "geneve") and info.get("dev"):
            out.append(self._peer_item(self.ns_id, str(info["dev"]), "underlay"))
        if link.get("master"):
            out.append(self._peer_item(self.ns_id, str(link["master"]), "port of"))
        out += [
            self._peer_item(self.ns_id, str(p["ifname"]), "port")
            for p in self.ns.get("links", [])
            if p.get("master") == self.ifname
        ]
        return tuple(out)

    def addresses(self) -> tuple[Item, ...]:
        out = [
            Item(f"{a['address']}/{a['prefixlen']}", self.target("addr", a), note=str(a.get("scope") or ""))
            for a in self.ns.get("addresses", [])
            if a.get("ifname") == self.ifname
        ]
        state = namespace_state(self.host.view.snapshot, self.ns_id)
        out += [
            Item(f"{a['address']}/{a['prefixlen']}", self._derived_target(), note="link-local, derived")
            for a in state.get("derived_addresses") or []
            if a.get("ifname") == self.ifname
        ]
        return tuple(out)

    def view(self) -> DeviceView:
        return DeviceView(
            self.host.refs[self.ns_id],
            self.ifname,
            device_anchor(self.ns_id, self.ifname),
            self.facts(),
            self.addresses(),
            tuple(self.ingress()),
            tuple(self.egress()),
        )


def _route_text(r: Obj) -> str:
    """A route the way `ip route show table all` prints it (the fields that say where it goes)."""
    words: list[Any] = [] if (r.get("type") or "unicast") == "unicast" else [r["type"]]
    words.append(r.get("dst"))
    if r.get("gateway"):
        words += ["via", r["gateway"]]
    if r.get("dev"):
        words += ["dev", r["dev"]]
    for hop in r.get("nexthops") or []:
        words += ["nexthop", "via", (hop or {}).get("gateway") or "-", "dev", (hop or {}).get("dev") or "-"]
    words += ["table", r.get("table")]
    if r.get("metric") is not None:
        words += ["metric", r["metric"]]
    if r.get("prefsrc"):
        words += ["src", r["prefsrc"]]
    return " ".join(str(w) for w in words if w is not None)


def host_devices(view: HostView) -> list[DeviceView]:
    """Every device of every namespace of the host: namespaces root first (as the pages order them),
    devices by name."""
    host = HostIndex(view)
    out = []
    for ns in ordered(view.snapshot["namespaces"]):
        for link in sorted(ns.get("links", []), key=lambda x: str(x["ifname"])):
            out.append(_Device(host, ns, link).view())
    return out
