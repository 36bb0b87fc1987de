"""The data of the interfaces page and what its builders share: items, stages, targets, per-host indexes.

An item is one thing a packet meets (a filter, a chain, a route), shown with its text and linked
to the component the layer pages show it as (`Targets`: the anchor comes from the classified host,
numbered exactly as the layer page numbered it). `HostIndex` holds a host's tc objects by device
and its nftables rules by chain, built once for all of its devices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from netstack_docs.model.classify import Component, HostView
from netstack_docs.model.identity import anchor_id
from netstack_docs.model.namespaces import NamespaceRef, namespace_ref, ordered

Obj = dict[str, Any]

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
        self._iptables: dict[tuple[str, str], Component] = {}
        for layer_view in view.layers.values():
            for c in layer_view.components:
                self._by_obj.setdefault((c.identity_kind, id(c.obj)), c)
                if c.identity_kind == "derived":
                    self.derived[c.namespace.id] = c
                elif c.identity_kind == "iptables":  # a view object: found by its table's key
                    self._iptables[(c.namespace.id, str(c.obj.get("key")))] = c

    def of(self, kind: str, obj: Obj) -> Target | None:
        c = self._by_obj.get((kind, id(obj)))
        return Target(c.layer, c.anchor) if c else None

    def iptables(self, ns_id: str, key: str) -> Target | None:
        c = self._iptables.get((ns_id, key))
        return Target(c.layer, c.anchor) if c else None


def device_anchor(ns_id: str, ifname: str) -> str:
    """A device's section on the interfaces page: `iface-<namespace>--<ifname>`, made like the link's own
    anchor on its layer page (`link-...`) but its own, so every anchor has one home per host."""
    return anchor_id("iface", ns_id, (ifname,))


def capped(items: list[Item], what: str, target: Target | None = None) -> tuple[Item, ...]:
    if len(items) <= MAX_ITEMS:
        return tuple(items)
    more = Item(f"and {len(items) - MAX_ITEMS} more {what}", target)
    return (*items[:MAX_ITEMS], more)


def rule_devices(rule: Obj) -> dict[str, set[str]]:
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


def names_device(ifname: str, names: Iterable[str]) -> bool:
    return any(n == ifname or (n.endswith("*") and ifname.startswith(n[:-1])) for n in names)


class HostIndex:
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
            found = self._devices[id(rule)] = rule_devices(rule)
        return found


class DeviceBase:
    """What every builder of one device's view knows: the host's indexes, the namespace, the link."""

    def __init__(self, host: HostIndex, ns: Obj, link: Obj) -> None:
        self.host, self.ns, self.link = host, ns, link
        self.ifname = str(link["ifname"])
        self.ns_id: str = ns["id"]

    def target(self, kind: str, obj: Obj) -> Target | None:
        return self.host.targets.of(kind, obj)


def flatten(items: Iterable[Item], depth: int = 0) -> Iterator[tuple[int, Item]]:
    """(depth, item) of a tree of items, depth first: what a nested Markdown list is written from."""
    for item in items:
        yield depth, item
        yield from flatten(item.children, depth + 1)
