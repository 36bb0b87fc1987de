"""Stable identity of every snapshot object: the key that matches it across versions, and its anchor id.

Anchors are a public contract (runbooks link to them): lowercase [a-z0-9-], derived only from the
object's namespace and identifying fields, unique on a page, identical in every version while the
object exists. Readable when the name is already clean (`link-root--eth0`); otherwise the slug is
followed by a short hash of the exact name so that `eth0.100@eth0` and `eth01.00@eth0` never collide.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from netstack_docs.snapshot.content import nft_rule_content

Obj = Mapping[str, Any]

_CLEAN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_PART = 48  # a longer piece (an nftables rule) is cut; the hash keeps the anchor unique
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _s(value: Any) -> str:
    return "" if value is None else str(value)


# Selectors added to rule identity later: appended only when present, so older anchors stay valid.
_RULE_SELECTORS = ("not", "tos", "ipproto", "sport", "dport", "uidrange", "l3mdev", "goto",
                   "suppress_prefixlength", "dscp", "flowlabel")


def _rule_parts(r: Obj) -> tuple[str, ...]:
    parts = [r["family"], str(r["priority"])]
    for key in ("src", "dst", "iif", "oif", "fwmark", "table", "action"):
        value = r.get(key)
        if key == "fwmark" and isinstance(value, str):
            value = int(value, 16)  # anchors were made from the decimal mark; keep them
        if value not in (None, ""):
            parts.append(f"{key} {value}")
    for key in _RULE_SELECTORS:
        value = r.get(key)
        if value in (None, "", False):
            continue
        if isinstance(value, Mapping):
            value = f"{value.get('start')}-{value.get('end')}"
        parts.append(key if value is True else f"{key} {value}")
    return tuple(parts)


def _nftrule_parts(r: Obj) -> tuple[str, ...]:
    # By content, not handle: reloading an edited ruleset renumbers handles, links must survive it.
    content = nft_rule_content(r)
    occurrence = r.get("occurrence") or 1
    return (r["family"], r["table"], r["chain"], content, f"#{occurrence}" if occurrence > 1 else "")


def _route_parts(r: Obj) -> tuple[str, ...]:
    parts = [r["family"], _s(r["table"]), _s(r.get("type") or "unicast"), r["dst"]]
    if r.get("metric") is not None:
        parts.append(f"metric {r['metric']}")
    if r.get("dev") and (r["family"] == "inet6" or (r.get("type") or "unicast") in ("local", "broadcast")):
        # IPv6 keeps one route per device for the same prefix; so does the IPv4 local table for
        # the broadcast/local routes of two devices whose subnets share a broadcast address.
        parts.append(f"dev {r['dev']}")
    return tuple(parts)


# kind -> the fields that identify one object of that kind within its namespace.
IDENTITY: dict[str, Callable[[Obj], tuple[str, ...]]] = {
    "netns": lambda o: (),
    "link": lambda o: (o["ifname"],),
    "addr": lambda o: (o["ifname"], f"{o['address']}/{o['prefixlen']}"),
    "route": _route_parts,
    "rule": _rule_parts,
    # a proxy entry may sit next to a real one for the same address: it says so (nothing else does)
    "neigh": lambda o: (o["ifname"], o["address"], "proxy" if o.get("state") == "PROXY" else ""),
    "fdb": lambda o: (o["ifname"], o["lladdr"], _s(o.get("vlan")), _s(o.get("dst"))),
    # A device holds one qdisc per parent; the handle may be kernel-chosen (8001:) and change on re-creation.
    "qdisc": lambda o: (o["ifname"], o["parent"]),
    "class": lambda o: (o["ifname"], o["classid"]),
    "filter": lambda o: (
        o["ifname"],
        o["parent"],
        _s(o.get("protocol")),
        _s(o.get("pref")),
        _s(o.get("handle")),
    ),
    "nfttable": lambda o: (o["family"], o["name"]),
    "nftchain": lambda o: (o["family"], o["table"], o["name"]),
    "nftrule": _nftrule_parts,
    "nftset": lambda o: (o["family"], o["table"], o["name"]),
    "ipset": lambda o: (o["name"],),
    "socket": lambda o: (
        o["protocol"],
        o["family"],
        f"{o['local_address']}:{o['port']}",
        _s(o.get("ifname")),
    ),
    "sysctl": lambda o: (o["name"],),
    # One summary per namespace of what the kernel derives itself (netstack_docs.model.sections).
    "derived": lambda o: (),
    "prog": lambda o: (o["type"], _s(o.get("name")), _s(o.get("tag"))),
    "daemon": lambda o: (o["name"],),
    # Second views of a link, shown on another layer page than the link itself
    # (see netstack_docs.model.sections).
    "nic": lambda o: (o["ifname"],),
    "port": lambda o: (o["ifname"],),
    "iptables": lambda o: (o["family"], o["table"]),  # family ip or ip6: both may hold a `filter` table
    # Open vSwitch (host-wide): by bridge and port name; a flow table by bridge and table number
    "ovsbridge": lambda o: (o["name"],),
    "ovsport": lambda o: (o["bridge"], o["name"]),
    "ovstable": lambda o: (o["bridge"], f"table-{o['table']}"),
    # CNI networks by file (two files may declare one name; the runtime uses the first)
    "cni": lambda o: (o["file"],),
    "cnidefault": lambda o: (o["file"],),
}


def identity(kind: str, obj: Obj) -> tuple[str, ...]:
    """The identifying fields of `obj`, as strings (empty strings for absent optional fields)."""
    return IDENTITY[kind](obj)


def numbered(kind: str, objs: list[Obj]) -> list[tuple[str, ...]]:
    """Identities of one kind's objects in one namespace, in order; a repeat gets `#2`, `#3`.

    The kernel can hold identical objects (the same BPF program loaded twice): each still needs its
    own anchor and its own place in a diff. The snapshot's order is deterministic, so is the number."""
    seen: dict[tuple[str, ...], int] = {}
    out = []
    for obj in objs:
        key = identity(kind, obj)
        seen[key] = n = seen.get(key, 0) + 1
        out.append(key if n == 1 else (*key, f"#{n}"))
    return out


def display_name(kind: str, obj: Obj) -> str:
    """A short human name for an object, e.g. `eth0 10.0.0.1/24` (untrusted: escape before use)."""
    return " ".join(p for p in identity(kind, obj) if p)


def _slug(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


def anchor_id(kind: str, namespace: str, parts: tuple[str, ...]) -> str:
    """`kind-namespace--part--part`, with `-<hash>` appended when any piece was not already clean."""
    if kind not in IDENTITY and kind not in ("layer", "host", "iface"):  # iface: the interfaces page
        raise KeyError(f"unknown kind {kind!r}")
    pieces = [namespace, *(p for p in parts if p != "")]
    slugs = [_slug(p)[:MAX_PART].strip("-") or "x" for p in pieces]
    anchor = f"{kind}-" + "--".join(slugs)
    if any(not _CLEAN.match(p) or len(p) > MAX_PART for p in pieces):
        digest = hashlib.sha1("\x00".join(pieces).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        anchor += f"-{digest}"
    return anchor


def object_anchor(kind: str, namespace: str, obj: Obj) -> str:
    """The anchor id of one snapshot object in namespace `namespace` ('host' for host-wide kinds)."""
    return anchor_id(kind, namespace, identity(kind, obj))
