""" "Outside", defined rather than sampled: every address except the environment's own.

The environment's own addresses are the addresses its hosts hold (every namespace, containers and
pods included), the subnets of their interfaces other than uplinks (an uplink is an interface a
default route of the host or of a named namespace leaves through: the subnet behind it is the
world's, not ours), the pod and container
ranges its snapshots name (CNI IPAM subnets and ranges, flannel's network and subnet, routes into an
overlay such as a VXLAN device) and loopback. A packet from outside comes in through an uplink.

A docs repository may state its own definition in mkdocs.yml:

    extra:
      netstack:
        outside:
          prefixes: [0.0.0.0/0, ::/0]     # what outside is (default: every address, minus our own)
          except: [198.51.100.0/24]       # not outside even so (a partner network, a VPN range)

`prefixes` replaces the computed definition (outside is then exactly those prefixes, minus `except`);
`except` alone narrows the computed one. The page states which definition it used.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

Net = ipaddress.IPv4Network | ipaddress.IPv6Network
EVERYTHING = ("0.0.0.0/0", "::/0")
LOOPBACK = ("127.0.0.0/8", "::1/128")
DEFAULTS = ("default", "0.0.0.0/0", "::/0")
HOST_KINDS = ("root", "named")  # namespaces whose uplinks face the world (not a container's or a pod's)
OVERLAY_KINDS = ("vxlan", "geneve", "ipip", "gre", "sit", "wireguard")  # pod ranges of other nodes


@dataclass(frozen=True)
class Outside:
    """Which source addresses count as outside for one environment, and why."""

    prefixes: tuple[str, ...]  # outside = these (collapsed, both families) ...
    own: tuple[str, ...] = ()  # ... minus these: the environment's own (computed), collapsed
    exceptions: tuple[str, ...] = ()  # ... minus these: stated in mkdocs.yml
    uplinks: tuple[tuple[str, str, str], ...] = ()  # (host slug, namespace id, ifname)
    stated: bool = False  # True: prefixes come from mkdocs.yml, not computed

    @cached_property
    def _ranges(self) -> dict[int, list[tuple[int, int]]]:
        """Outside per family as sorted disjoint address ranges: the prefixes minus the own addresses
        and the exceptions, by interval arithmetic (an environment of 1,000 hosts has thousands of own
        prefixes; carving them one by one out of prefix lists grows with their square)."""
        out: dict[int, list[tuple[int, int]]] = {}
        for fam in (4, 6):
            holes = _merge(_spans((*self.own, *self.exceptions), fam))
            out[fam] = _subtract(_merge(_spans(self.prefixes, fam)), holes)
        return out

    def networks(self) -> list[Net]:
        """Outside as disjoint prefixes of both families (sorted)."""
        out: list[Net] = []
        for fam in (4, 6):
            cls = ipaddress.IPv4Address if fam == 4 else ipaddress.IPv6Address
            for lo, hi in self._ranges[fam]:
                out += ipaddress.summarize_address_range(cls(lo), cls(hi))
        return out

    def contains(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(lo <= int(ip) <= hi for lo, hi in self._ranges[ip.version])

    def space(self, family: int | None = None) -> Any:
        """Outside as a reach Space over the source address (every protocol, state and port)."""
        from netstack_docs.analysis.reach.space import Dim, Space

        out = Space.empty()
        for fam in (family,) if family else (4, 6):
            ranges = self._ranges[fam]
            if ranges:
                dim = Dim.of(32 if fam == 4 else 128, ranges)
                out = out | Space([b.narrowed({"saddr": dim}) for b in Space.universe((fam,)).boxes])
        return out

    def uplinks_of(self, host: str) -> list[tuple[str, str]]:
        """(namespace id, ifname) of the host's uplinks."""
        return [(ns, ifname) for h, ns, ifname in self.uplinks if h == host]

    def statement(self) -> str:
        """One paragraph for the page: what counted as outside (plain text: render escapes it)."""
        if self.stated:
            text = "Outside, as stated in mkdocs.yml (extra.netstack.outside): " + ", ".join(self.prefixes)
        else:
            text = (
                "Outside is every address except this environment's own: the addresses its hosts hold, "
                "the subnets of their interfaces other than uplinks (an uplink is an interface a default "
                "route leaves through), pod and container ranges, and loopback"
            )
            if self.own:
                text += f" ({_listing(self.own)})"
        if self.exceptions:
            text += "; also not outside, as stated in mkdocs.yml: " + _listing(self.exceptions)
        return text + "."


@dataclass
class _Collect:
    own: list[Net] = field(default_factory=list)
    uplinks: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, text: Any) -> None:
        try:
            self.own.append(ipaddress.ip_network(str(text), strict=False))
        except ValueError:
            pass  # not an address (a name, a malformed capture): it names no range


def _listing(items: Iterable[str], limit: int = 12) -> str:
    items = list(items)
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _spans(texts: Iterable[str], family: int) -> list[tuple[int, int]]:
    nets = (ipaddress.ip_network(t) for t in texts)
    return [(int(n.network_address), int(n.broadcast_address)) for n in nets if n.version == family]


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _subtract(ranges: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted disjoint `ranges` without sorted disjoint `holes`, in one sweep over both."""
    out: list[tuple[int, int]] = []
    j = 0
    for lo, hi in ranges:
        while j < len(holes) and holes[j][1] < lo:
            j += 1
        k, start = j, lo
        while k < len(holes) and holes[k][0] <= hi:
            if holes[k][0] > start:
                out.append((start, holes[k][0] - 1))
            start = max(start, holes[k][1] + 1)
            k += 1
        if start <= hi:
            out.append((start, hi))
    return out


def _collapse(nets: list[Net]) -> list[Net]:
    v4 = [n for n in nets if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in nets if isinstance(n, ipaddress.IPv6Network)]
    return [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]


def uplinks(ns: Mapping[str, Any]) -> set[str]:
    """The interfaces a default route of the namespace leaves through (any table, multipath included)."""
    out: set[str] = set()
    for route in ns.get("routes", []):
        if route.get("dst") not in DEFAULTS or route.get("type", "unicast") != "unicast":
            continue
        if route.get("dev"):
            out.add(str(route["dev"]))
        out.update(str(h["dev"]) for h in route.get("nexthops") or [] if h.get("dev"))
    return out


def _cni_ranges(doc: Mapping[str, Any], into: _Collect) -> None:
    cni = doc.get("cni") or {}
    for network in cni.get("networks") or []:
        for plugin in network.get("plugins") or []:
            for conf in (plugin, plugin.get("delegate") or {}):
                ipam = conf.get("ipam") or {}
                if ipam.get("subnet"):
                    into.add(ipam["subnet"])
                for group in ipam.get("ranges") or []:
                    for r in group or []:
                        if isinstance(r, dict) and r.get("subnet"):
                            into.add(r["subnet"])
    flannel = cni.get("flannel") or {}
    for key in ("network", "subnet", "ipv6_network", "ipv6_subnet"):
        if flannel.get(key):
            into.add(flannel[key])


def _routed_range(route: Mapping[str, Any]) -> bool:
    """A unicast range routed into an overlay (another node's pods), not the local table's entries,
    a default, or link-local and multicast prefixes every IPv6 link has."""
    if (
        route.get("table") == "local"
        or route.get("dst") in DEFAULTS
        or route.get("type", "unicast") != "unicast"
    ):
        return False
    try:
        net = ipaddress.ip_network(str(route.get("dst")), strict=False)
    except ValueError:
        return False
    return not (net.is_link_local or net.is_multicast)


def _faces_world(ns: Mapping[str, Any]) -> bool:
    """The host's own namespace or a named one; not a container's or a pod's (its default route leads
    into its host)."""
    return ns.get("kind", "root") in HOST_KINDS and not ns.get("container")


def own_of_host(slug: str, doc: Mapping[str, Any], into: _Collect) -> None:
    """The host's addresses, its interfaces' subnets (not an uplink's: that subnet is the world's, even
    where another namespace of the host holds it too, as a lab's stand-in for the upstream router),
    the routes into an overlay and the CNI ranges."""
    subnets: list[Net] = []
    facing: set[Net] = set()  # the subnets of the host's uplinks
    for ns in doc.get("namespaces", []):
        ups = uplinks(ns)
        host_facing = _faces_world(ns)
        if host_facing:
            into.uplinks += [(slug, str(ns["id"]), ifname) for ifname in sorted(ups)]
        kinds = {lk["ifname"]: lk.get("kind") for lk in ns.get("links", [])}
        for a in ns.get("addresses", []):
            into.add(a["address"])
            net = ipaddress.ip_network(f"{a['address']}/{a['prefixlen']}", strict=False)
            if net.is_link_local:
                continue
            (
                facing.add(net)
                if a["ifname"] in ups and ns.get("kind", "root") in HOST_KINDS
                else subnets.append(net)
            )
        for route in ns.get("routes", []):
            if kinds.get(route.get("dev")) in OVERLAY_KINDS and _routed_range(route):
                into.add(route["dst"])
    into.own += [n for n in subnets if not any(n.overlaps(f) for f in facing)]
    _cni_ranges(doc, into)


def outside_of(docs: Mapping[str, Mapping[str, Any]], stated: Mapping[str, Any] | None = None) -> Outside:
    """The outside of one environment (host slug -> snapshot document), under mkdocs.yml's statement
    (`extra.netstack.outside`, validated by `outside_setting`)."""
    found = _Collect()
    for slug in sorted(docs):
        own_of_host(slug, docs[slug], found)
    found.own += [ipaddress.ip_network(p) for p in LOOPBACK]
    stated = stated or {}
    prefixes = [str(p) for p in stated.get("prefixes") or []]
    exceptions = tuple(
        str(n) for n in _collapse([ipaddress.ip_network(p, strict=False) for p in stated.get("except") or []])
    )
    if prefixes:
        nets = _collapse([ipaddress.ip_network(p, strict=False) for p in prefixes])
        return Outside(tuple(str(n) for n in nets), (), exceptions, tuple(found.uplinks), stated=True)
    own = tuple(str(n) for n in _collapse(found.own))
    return Outside(EVERYTHING, own, exceptions, tuple(found.uplinks))


def outside_setting(value: Any, where: str) -> dict[str, list[str]]:
    """`extra.netstack.outside` checked: {prefixes: [CIDR...], except: [CIDR...]}; a ValueError names
    `where` (the file and key) and what is wrong."""
    if value is None:
        return {}
    if not isinstance(value, dict) or set(value) - {"prefixes", "except"}:
        raise ValueError(
            f"{where}: expected a mapping with `prefixes` and/or `except` (lists of CIDR prefixes), "
            f"found {value!r}"
        )
    out: dict[str, list[str]] = {}
    for key in ("prefixes", "except"):
        items = value.get(key) or []
        if not isinstance(items, list):
            raise ValueError(f"{where}.{key}: expected a list of CIDR prefixes, found {items!r}")
        for item in items:
            try:
                ipaddress.ip_network(str(item), strict=False)
            except ValueError:
                raise ValueError(f"{where}.{key}: {item!r} is not a CIDR prefix or address") from None
        out[key] = [str(i) for i in items]
    return out
