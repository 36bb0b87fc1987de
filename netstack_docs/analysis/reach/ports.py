"""Bridge ports that a packet for the host itself cannot tell apart: one port's answer serves them all.

A frame arriving on a bridge port for one of the namespace's own addresses goes up to the bridge's
stack (netstack_docs.analysis.trace.bridge.bridge_in: the bridge's port lookup is never reached for a
local target): from there on the walk reads the bridge, not the port, except through what names the
port: its link (kind, flags, MTU, XDP, bridge-port settings), tc on it, netdev chains on it, a rule
that matches it by name or pattern (`iifname`, `physdev`, `ibriport`: the port travels with the
packet as its `physin`), a sysctl, an address or route on it, a stated assumption, anything host-wide
(Open vSwitch, BPF attachments). Two ports of one bridge whose links are alike apart from their
identities (name, index, MAC, peer, port number) and which nothing of that tells apart, by name,
pattern or index, are interchangeable for the packets the exposure view asks about: its rows for
a listening socket (destinations: the namespace's own addresses). A question over IPv4 only does not
look at IPv6 state (a port's IPv6 link-local address and route, its `net.ipv6` sysctls), and the
reverse.

The exposure view asks the engine for one port of each class; each other port's regions are the first
port's with the interface renamed, and each region's example is traced again on the port itself and
must end the same way (same fate, end, rules and unknowns), else the port is asked like any other.
The FDB is not read: it only says which port a frame for another host leaves by.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from netstack_docs.model.sections import namespace_state

Obj = dict[str, Any]

# what makes two ports different objects, not differently configured ones
_IDENTITY = ("ifname", "ifindex", "address", "perm_address", "parent", "altnames", "stats", "link_netnsid")
_PORT_IDENTITY = ("id", "no")
_STATE_FIELDS = ("carrier", "flags", "operstate")  # of a link's state; the rest are timers and counters
_SKIPPED = ("links", "fdb")  # compared apart (links) or not read for a local target (fdb)
_STATE_SKIPPED = ("links", "fdb", "link_stats", "tc", "connections", "sockets")  # counters, timers, pids
_INDEX_KEYS = re.compile(r"ifindex|^iif$|^oif$|^dev$|^link$|^index$|bound_dev")
_PATTERN = re.compile(r"[^\s\"'{},()\[\]]+[*+]")


def interchangeable_ports(
    snapshot: Obj, ns_id: str, interfaces: Iterable[str], families: frozenset[int], assume: Iterable[str]
) -> dict[str, str]:
    """Each bridge port of `interfaces` that another one answers for: port -> that port (the first of its
    class in the given order). Ports alone in their class are not listed."""
    ns = next(n for n in snapshot["namespaces"] if n["id"] == ns_id)
    links = {lk["ifname"]: lk for lk in ns.get("links", [])}
    state = namespace_state(snapshot, ns_id)
    ports = []
    for name in interfaces:
        link = links.get(name)
        master = links.get(str((link or {}).get("master")))
        if link is not None and master is not None and master.get("kind") == "bridge" and not link.get("xdp"):
            ports.append(name)
    if len(ports) < 2:
        return {}
    refs = _References(families)
    refs.add([lk for lk in ns.get("links", []) if lk["ifname"] not in ports])
    refs.add([str(a) for a in assume])
    refs.add([v for k, v in ns.items() if k not in _SKIPPED])
    refs.add([v for k, v in state.items() if k not in _STATE_SKIPPED])
    refs.add([v for k, v in snapshot.items() if k not in ("namespaces", "state")])
    refs.add([v for k, v in (snapshot.get("state") or {}).items() if k != "namespaces"])
    text = "\n".join(refs.texts)
    out: dict[str, str] = {}
    firsts: list[str] = []
    for name in ports:
        first = next((f for f in firsts if _alike(links[f], links[name], state, refs, text)), None)
        if first is None:
            firsts.append(name)
        else:
            out[name] = first
    return out


class _References:
    """What a namespace says, gathered once: every string (one text to search for a name), the
    interface patterns among them, the interface indexes it refers to, and per interface name the
    objects (a qdisc, a route) and sysctls that name it, written with the name left out."""

    def __init__(self, families: frozenset[int]):
        self.families = families
        self.texts: list[str] = []
        self.patterns: set[str] = set()
        self.indexes: set[int] = set()
        self.named: dict[str, list[str]] = {}

    def add(self, value: Any) -> None:
        if isinstance(value, dict):
            if not _of_family(value, self.families):
                return  # state of the other IP version: never read by this question's walks
            name = next((value[k] for k in _NAME_KEYS if isinstance(value.get(k), str)), None)
            if name is not None:
                rest = {k: v for k, v in value.items() if k not in _NAME_KEYS}
                self.named.setdefault(name, []).append(json.dumps(rest, sort_keys=True, default=str))
            for k, v in value.items():
                if name is not None and k in _NAME_KEYS:
                    continue
                if isinstance(k, str) and self._sysctl(k, v):
                    continue
                self._text(str(k))
                if isinstance(v, int) and not isinstance(v, bool) and _INDEX_KEYS.search(str(k)):
                    self.indexes.add(v)
                self.add(v)
        elif isinstance(value, list):
            for v in value:
                self.add(v)
        elif isinstance(value, str):
            self._text(value)

    def _text(self, text: str) -> None:
        self.texts.append(text)
        if "*" in text or "+" in text:
            self.patterns.update(t[:-1] for t in _PATTERN.findall(text))

    def _sysctl(self, key: str, value: Any) -> bool:
        """A per-interface sysctl (`net.ipv4.conf.NAME.rp_filter`): kept under its interface."""
        m = _SYSCTL.match(key)
        if m is None:
            return False
        if (4 if m.group(1) == "ipv4" else 6) in self.families:
            name, param = m.group(3), m.group(4)
            self.named.setdefault(name, []).append(json.dumps([m.group(1), m.group(2), param, value]))
        return True


_NAME_KEYS = ("ifname", "dev", "device")
# net.ipv4.conf.NAME.PARAM: NAME may hold dots (flannel.1); PARAM never does
_SYSCTL = re.compile(r"^net\.(ipv4|ipv6)\.(conf|neigh)\.(.+)\.([^.]+)$")


def _alike(a: Obj, b: Obj, state: Obj, refs: _References, text: str) -> bool:
    x, y = a["ifname"], b["ifname"]
    if _normal(a) != _normal(b):
        return False
    sa, sb = (state.get("links") or {}).get(x) or {}, (state.get("links") or {}).get(y) or {}
    if [sa.get(k) for k in _STATE_FIELDS] != [sb.get(k) for k in _STATE_FIELDS]:
        return False
    if ((sa.get("port") or {}).get("state")) != ((sb.get("port") or {}).get("state")):
        return False
    if x in text or y in text or {a.get("ifindex"), b.get("ifindex")} & refs.indexes:
        return False
    if any(x.startswith(p) != y.startswith(p) for p in refs.patterns):
        return False
    return sorted(refs.named.get(x, [])) == sorted(refs.named.get(y, []))


def _normal(link: Obj) -> Obj:
    out = {k: v for k, v in link.items() if k not in _IDENTITY}
    if isinstance(out.get("port"), dict):
        out["port"] = {k: v for k, v in out["port"].items() if k not in _PORT_IDENTITY}
    return out


def _of_family(obj: Obj, families: frozenset[int]) -> bool:
    family = obj.get("family")
    if family in ("inet", "ip"):
        return 4 in families
    if family in ("inet6", "ip6"):
        return 6 in families
    return True


def renamed_regions(regions: Iterable[Any], first: str, port: str, retrace: Any) -> list[Any] | None:
    """`first`'s regions as `port`'s: the space's interface renamed, the example traced again on `port`
    (`retrace(example) -> (trace result, region key)`); None when an example ends otherwise there."""
    from netstack_docs.analysis.reach.engine import describe_region
    from netstack_docs.analysis.reach.space import Space

    out = []
    for r in regions:
        boxes = []
        for b in r.space.boxes:
            if b.iif != frozenset({first}):
                return None
            boxes.append(replace(b, iif=frozenset({port})))
        res, key = retrace(r.example)
        if key != r.key:
            return None
        region = replace(r, space=Space(boxes), example_trace=res)
        region.description = describe_region(region)
        out.append(region)
    return out
