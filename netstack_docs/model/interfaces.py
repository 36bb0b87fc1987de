"""One view per interface: what a packet meets on each device of a host, in the kernel's order, both ways.

The order is the hook model's (netstack_docs.model.hookorder: device_ingress / device_egress for
the device's own hooks, ip_hook for the IP stack's), the one trace walks and the packet path draws.
This module only chooses, per device, the objects of each stage that concern it (the tc tree under
its qdiscs, the nftables rules that name it, its routes, neighbours and sockets) and where each is
shown on its layer page: the anchor comes from the classified host (netstack_docs.model.classify),
so a link here lands exactly where the layer page put the component.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from netstack_docs.model.classify import Component, HostView
from netstack_docs.model.hookorder import LOCAL_IN, RECEIVE, Stage, device_egress, device_ingress, ip_hook
from netstack_docs.model.identity import object_anchor
from netstack_docs.model.namespaces import NamespaceRef, namespace_ref, ordered
from netstack_docs.model.ruletext import ip_rule_text
from netstack_docs.model.sections import KERNEL_PROTOCOL, namespace_state
from netstack_docs.model.tcfacts import tc_options
from netstack_docs.model.tcmatch import filter_text
from netstack_docs.snapshot.content import nft_rule_content, xdp_programs

Obj = dict[str, Any]

# After the device's own receive hooks (RECEIVE up to the bridge): the IP stack's, then local delivery.
INGRESS_IP = (*RECEIVE[RECEIVE.index("prerouting") :], "forward", *LOCAL_IN)
# Before the device's own send hooks: the routing decision, forward or output, postrouting, then the
# neighbour lookup (ip_finish_output2) before dev_queue_xmit runs netfilter egress and tc egress.
EGRESS_IP = ("routing", "forward", "output", "postrouting", "neighbour")
IN_KEYS, OUT_KEYS = ("iifname", "iif"), ("oifname", "oif")
MAX_ITEMS = 40  # routes, neighbours or rules of one stage beyond this are counted, not listed
_NFT_DEVICE = re.compile(r'\b(iifname|oifname|iif|oif)\s+(?:!=\s+)?(\{[^}]*\}|"(?:[^"\\]|\\.)*"|\S+)')


@dataclass(frozen=True)
class Target:
    """Where an item is shown: a component on a layer page, or (layer None) a section of this page."""

    layer: str | None
    anchor: str


@dataclass(frozen=True)
class Item:
    text: str  # untrusted
    target: Target | None = None
    code: str = ""  # untrusted: shown as code (a rule, a tc spelling)
    note: str = ""  # untrusted
    children: tuple[Item, ...] = ()


@dataclass(frozen=True)
class StageView:
    stage: str  # the hook model's word: xdp, tc-ingress, netdev-ingress, prerouting, ...
    title: str
    items: tuple[Item, ...]
    note: str = ""  # untrusted parts inside
    branch: str = ""  # "forward" or "local" after the routing decision


@dataclass(frozen=True)
class DeviceView:
    namespace: NamespaceRef
    ifname: str  # untrusted
    anchor: str
    facts: tuple[Item, ...]
    addresses: tuple[Item, ...]
    ingress: tuple[StageView, ...]
    egress: tuple[StageView, ...]


class Targets:
    """Snapshot objects -> the component the layer pages show them as (anchors numbered like the pages)."""

    def __init__(self, view: HostView) -> None:
        self._by_obj: dict[tuple[str, int], Component] = {}
        self.derived: dict[str, Component] = {}
        for layer_view in view.layers.values():
            for c in layer_view.components:
                self._by_obj.setdefault((c.identity_kind, id(c.obj)), c)
                if c.identity_kind == "derived":
                    self.derived[c.namespace.id] = c

    def of(self, kind: str, obj: Obj) -> Target | None:
        c = self._by_obj.get((kind, id(obj)))
        return Target(c.layer, c.anchor) if c else None


def device_anchor(ns_id: str, ifname: str) -> str:
    """A device's section on the interfaces page: the anchor its link has on the link page."""
    return object_anchor("link", ns_id, {"ifname": ifname})


def _capped(items: list[Item], what: str, target: Target | None = None) -> tuple[Item, ...]:
    if len(items) <= MAX_ITEMS:
        return tuple(items)
    more = Item(f"and {len(items) - MAX_ITEMS} more {what}", target)
    return (*items[:MAX_ITEMS], more)


def _rule_devices(rule: Obj) -> dict[str, set[str]]:
    """meta iifname/oifname/iif/oif -> the names a rule compares them with (`wan*` globs kept)."""
    out: dict[str, set[str]] = {}
    exprs = rule.get("expr")
    if isinstance(exprs, list):
        for e in exprs:
            match = (e.get("match") if isinstance(e, dict) else None) or {}
            left = match.get("left")
            key = (left.get("meta") or {}).get("key") if isinstance(left, dict) else None
            if key in IN_KEYS + OUT_KEYS:
                right = match.get("right")
                values = right.get("set") if isinstance(right, dict) else [right]
                out.setdefault(key, set()).update(str(v) for v in values or [] if isinstance(v, str | int))
        return out
    for key, value in _NFT_DEVICE.findall(str(rule.get("text") or "")):
        out.setdefault(key, set()).update(re.findall(r'"((?:[^"\\]|\\.)*)"', value) or [value])
    return out


def _names(ifname: str, names: Iterable[str]) -> bool:
    return any(n == ifname or (n.endswith("*") and ifname.startswith(n[:-1])) for n in names)


class _Device:
    """Builds one device's view; the namespace's tc and nftables indexes are shared by its devices."""

    def __init__(self, host: _Host, ns: Obj, link: Obj) -> None:
        self.host, self.ns, self.link = host, ns, link
        self.ifname = str(link["ifname"])
        self.ns_id = ns["id"]

    def target(self, kind: str, obj: Obj) -> Target | None:
        return self.host.targets.of(kind, obj)

    # -- traffic control ---------------------------------------------------------------------------
    def _filter(self, flt: Obj) -> Item:
        children = []
        for action in flt.get("actions") or []:
            dev = action.get("dev")
            if action.get("kind") == "mirred" and isinstance(dev, str):
                children.append(self._mirred(flt, action, dev))
        return Item("filter", self.target("filter", flt), filter_text(flt), children=tuple(children))

    def _mirred(self, flt: Obj, action: Obj, dev: str) -> Item:
        verb = str(action.get("action") or "redirect")
        ifb = next((x for x in self.ns.get("links", []) if x.get("ifname") == dev), None)
        target = Target(None, device_anchor(self.ns_id, dev)) if ifb is not None else None
        if ifb is not None and ifb.get("kind") == "ifb" and "redirect" in verb:
            roots = [self._qdisc(q) for q in self.host.qdiscs(self.ns_id, dev) if q.get("parent") == "root"]
            note = (
                f"{verb} to {dev}: shaped by its root qdisc, then handed back to {self.ifname} with "
                "tc classification skipped"
            )
            return Item(dev, target, note=note, children=tuple(roots))
        return Item(dev, target, note=f"{verb} to {dev}" + ("" if ifb is not None else " (not captured)"))

    def _qdisc(self, q: Obj) -> Item:
        """A qdisc and what hangs under it: its filters, its classes (by parent), their leaf qdiscs."""
        dev, handle = str(q.get("ifname")), str(q.get("handle") or "")
        major = handle.split(":")[0]
        classes = self.host.classes(self.ns_id, dev)
        known = {str(c.get("classid")) for c in classes}
        top = [
            c
            for c in classes
            if str(c.get("classid")).split(":")[0] == major
            and (c.get("parent") in ("root", handle) or c.get("parent") not in known)
        ]
        # qdiscs of classes the kernel does not list (mq's per-queue classes)
        orphans = [
            x
            for x in self.host.qdiscs(self.ns_id, dev)
            if str(x.get("parent")).split(":")[0] == major
            and x.get("parent") not in known
            and x.get("parent") not in ("root", handle)
            and x is not q
        ]
        children = [
            *self._filters_at(dev, handle),
            *(self._class(c) for c in top),
            *(self._qdisc(x) for x in orphans),
        ]
        text = f"qdisc {q.get('kind')} {handle}"
        return Item(
            text, self.target("qdisc", q), tc_options(q.get("options") or {}), children=tuple(children)
        )

    def _class(self, c: Obj) -> Item:
        dev, classid = str(c.get("ifname")), str(c.get("classid"))
        subs = [x for x in self.host.classes(self.ns_id, dev) if x.get("parent") == classid]
        leaves = [q for q in self.host.qdiscs(self.ns_id, dev) if q.get("parent") == classid]
        children = [
            *self._filters_at(dev, classid),
            *(self._class(x) for x in subs),
            *(self._qdisc(q) for q in leaves),
        ]
        options = {k: v for k, v in (c.get("options") or {}).items() if k != "level"}
        return Item(
            f"class {c.get('kind')} {classid}",
            self.target("class", c),
            tc_options(options),
            children=tuple(children),
        )

    def _filters_at(self, dev: str, parent: str) -> list[Item]:
        found = [
            f
            for f in self.host.filters(self.ns_id, dev)
            if f.get("parent") == parent
            and not ("divisor" in (f.get("options") or {}) and "keys" not in (f.get("options") or {}))
        ]
        return [
            self._filter(f) for f in sorted(found, key=lambda f: (f.get("pref") or 0, str(f.get("handle"))))
        ]

    def _tc_ingress(self, stage: Stage) -> StageView:
        qdisc = next(
            (q for q in self.host.qdiscs(self.ns_id, self.ifname) if q.get("kind") in ("clsact", "ingress")),
            None,
        )
        items = tuple(self._filter(f) for f in stage.objects)
        if qdisc is not None:
            items = (
                Item(
                    f"qdisc {qdisc.get('kind')} {qdisc.get('handle')}",
                    self.target("qdisc", qdisc),
                    children=items,
                ),
            )
        return StageView(stage.name, "tc ingress", items, "filters by preference; the first verdict decides")

    def _tc_egress(self, stage: Stage) -> StageView:
        own = {id(q) for q in self.host.qdiscs(self.ns_id, self.ifname)}
        qdiscs = [o for o in stage.objects if id(o) in own]
        filters = [o for o in stage.objects if id(o) not in own]
        items: list[Item] = []
        clsact = next(
            (q for q in self.host.qdiscs(self.ns_id, self.ifname) if q.get("kind") == "clsact"), None
        )
        if filters:
            flts = tuple(self._filter(f) for f in filters)
            items.append(
                Item(
                    f"qdisc clsact {clsact.get('handle')} (egress filters)",
                    self.target("qdisc", clsact),
                    children=flts,
                )
                if clsact
                else Item("egress filters", children=flts)
            )
        items += [self._qdisc(q) for q in qdiscs]
        return StageView(
            stage.name,
            "tc egress",
            tuple(items),
            "clsact egress filters, then the root qdisc queues the packet (its filters choose the class)",
        )

    # -- netfilter ---------------------------------------------------------------------------------
    def _rule_item(self, rule: Obj) -> Item:
        return Item("rule", self.target("nftrule", rule), str(rule.get("text") or nft_rule_content(rule)))

    def _netdev(self, stage: Stage) -> StageView:
        items = []
        for slot in stage.slots:
            for entry in slot.entries:
                chain = entry.obj
                rules = [self._rule_item(r) for r in self.host.chain_rules(self.ns_id, chain)]
                tie = "" if slot.known or len(slot.entries) < 2 else "; order among equal priority unknown"
                note = f"priority {entry.priority}, policy {chain.get('policy') or 'accept'}{tie}"
                items.append(
                    Item(
                        f"{chain['family']} {chain['table']} {chain['name']}",
                        self.target("nftchain", chain),
                        note=note,
                        children=_capped(rules, "rules", self.target("nftchain", chain)),
                    )
                )
        hook = "ingress" if stage.name == "netdev-ingress" else "egress"
        return StageView(stage.name, f"nftables {hook} (netdev)", tuple(items), stage.note)

    def _ip_hook(self, hook: str, keys: tuple[str, ...], branch: str = "") -> StageView | None:
        items = []
        for slot in ip_hook(self.ns, hook, None):
            for entry in slot.entries:
                if entry.source != "nftables":
                    continue
                chain = entry.obj
                rules = [
                    self._rule_item(r)
                    for r in self.host.chain_rules(self.ns_id, chain)
                    if self._names_me(r, keys)
                ]
                if rules:
                    note = (
                        f"{chain.get('type') or 'filter'}, priority {entry.priority}, policy "
                        f"{chain.get('policy') or 'accept'}; its rules that name {self.ifname}:"
                    )
                    items.append(
                        Item(
                            f"{chain['family']} {chain['table']} {chain['name']}",
                            self.target("nftchain", chain),
                            note=note,
                            children=_capped(rules, "rules", self.target("nftchain", chain)),
                        )
                    )
        if not items:
            return None
        return StageView(hook, hook, tuple(items), branch=branch)

    def _names_me(self, rule: Obj, keys: tuple[str, ...]) -> bool:
        named = self.host.rule_devices(rule)
        return any(_names(self.ifname, named.get(k, ())) for k in keys)

    def _other_chains(self) -> StageView | None:
        """Rules naming the device in chains no hook calls directly (reached by jump or goto)."""
        items = []
        for chain in self.host.regular_chains(self.ns_id):
            rules = [
                self._rule_item(r)
                for r in self.host.chain_rules(self.ns_id, chain)
                if self._names_me(r, IN_KEYS + OUT_KEYS)
            ]
            if rules:
                items.append(
                    Item(
                        f"{chain['family']} {chain['table']} {chain['name']}",
                        self.target("nftchain", chain),
                        children=_capped(rules, "rules"),
                    )
                )
        if not items:
            return None
        return StageView("chains", "regular chains (reached by jump or goto)", tuple(items))

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
        out = []
        for s in (self.ns.get("sockets") or {}).get("listening", []):
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
                            _capped(items, "routes"),
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
                            _capped(neighbours, "neighbours"),
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


class _Host:
    """Per-host indexes (objects by namespace and device), built once for every device of the host."""

    def __init__(self, view: HostView) -> None:
        self.view = view
        self.targets = Targets(view)
        self.progs = {p.get("id"): p for p in (view.snapshot.get("bpf") or {}).get("programs") or []}
        namespaces = ordered(view.snapshot["namespaces"])
        self.refs = {ns["id"]: namespace_ref(ns) for ns in namespaces}
        self.labels = {k: v.label for k, v in self.refs.items()}
        self._links = {(ns["id"], str(x["ifname"])) for ns in namespaces for x in ns.get("links", [])}
        self._tc: dict[tuple[str, str, str], list[Obj]] = {}
        self._rules: dict[tuple[str, str, str, str], list[Obj]] = {}
        self._regular: dict[str, list[Obj]] = {}
        self._devices: dict[int, dict[str, set[str]]] = {}
        for ns in namespaces:
            tc = ns.get("tc") or {}
            for part in ("qdiscs", "classes", "filters"):
                for obj in tc.get(part) or []:
                    self._tc.setdefault((ns["id"], part, str(obj.get("ifname"))), []).append(obj)
                    self._tc.setdefault((ns["id"], part, ""), []).append(obj)
            nft = ns.get("nftables") or {}
            for rule in nft.get("rules") or []:
                key = (ns["id"], str(rule.get("family")), str(rule.get("table")), str(rule.get("chain")))
                self._rules.setdefault(key, []).append(rule)
            self._regular[ns["id"]] = [c for c in nft.get("chains") or [] if not c.get("hook")]

    def has_link(self, ns_id: str, ifname: str) -> bool:
        return (ns_id, ifname) in self._links

    def qdiscs(self, ns_id: str, dev: str) -> list[Obj]:
        return self._tc.get((ns_id, "qdiscs", dev), [])

    def classes(self, ns_id: str, dev: str) -> list[Obj]:
        return self._tc.get((ns_id, "classes", dev), [])

    def filters(self, ns_id: str, dev: str) -> list[Obj]:
        return self._tc.get((ns_id, "filters", dev), [])

    def all_filters(self, ns_id: str) -> list[Obj]:
        return self._tc.get((ns_id, "filters", ""), [])

    def chain_rules(self, ns_id: str, chain: Obj) -> list[Obj]:
        return self._rules.get(
            (ns_id, str(chain.get("family")), str(chain.get("table")), str(chain.get("name"))), []
        )

    def regular_chains(self, ns_id: str) -> list[Obj]:
        return self._regular.get(ns_id, [])

    def rule_devices(self, rule: Obj) -> dict[str, set[str]]:
        found = self._devices.get(id(rule))
        if found is None:
            found = self._devices[id(rule)] = _rule_devices(rule)
        return found


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
    host = _Host(view)
    out = []
    for ns in ordered(view.snapshot["namespaces"]):
        for link in sorted(ns.get("links", []), key=lambda x: str(x["ifname"])):
            out.append(_Device(host, ns, link).view())
    return out


def flatten(items: Iterable[Item], depth: int = 0) -> Iterator[tuple[int, Item]]:
    """(depth, item) of a tree of items, depth first: what a nested Markdown list is written from."""
    for item in items:
        yield depth, item
        yield from flatten(item.children, depth + 1)
