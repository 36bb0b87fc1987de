"""Spaces in words and JSON: "tcp dport 22 from any source except 198.51.100.0/24, via wan0, new".

Intervals of addresses are written as the prefixes that cover them exactly; when the complement is
shorter, as "any except" it. Masked conditions are written as nft writes them (`& 0.0.0.255 == 0.0.0.7`).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from netstack_docs.analysis.reach.space import Box, Dim, Space

MAX_ITEMS = 6  # more prefixes than this are summed up ("and 12 more")


def _addr(version: int, x: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.IPv4Address(x) if version == 4 else ipaddress.IPv6Address(x)


def _items(dim: Dim, kind: str, version: int) -> list[str]:
    out: list[str] = []
    for lo, hi in dim.intervals[: MAX_ITEMS + 1]:  # the rest is counted, not written
        if kind == "addr":
            nets = ipaddress.summarize_address_range(_addr(version, lo), _addr(version, hi))
            out += [str(n.network_address) if n.num_addresses == 1 else str(n) for n in nets]
        elif kind == "mark":
            out.append(f"{lo:#x}" if lo == hi else f"{lo:#x}-{hi:#x}")
        else:
            out.append(str(lo) if lo == hi else f"{lo}-{hi}")
    return out


def _listing(items: list[str], intervals: int) -> str:
    """At most MAX_ITEMS items; past them, how many ranges are left unwritten."""
    if len(items) > MAX_ITEMS or intervals > MAX_ITEMS + 1:
        shown = items[:MAX_ITEMS]
        return ", ".join(shown) + " and more (" + f"{intervals} ranges in all)"
    return ", ".join(items)


def _masks(dim: Dim, kind: str, version: int) -> list[str]:
    out = []
    for m, v, eq in dim.masks:
        if kind == "addr":
            out.append(f"& {_addr(version, m)} {'==' if eq else '!='} {_addr(version, v)}")
        else:
            out.append(f"& {m:#x} {'==' if eq else '!='} {v:#x}")
    return out


@lru_cache(maxsize=65536)
def describe_dim(dim: Dim, kind: str, version: int = 4) -> str | None:
    """None for "any"; else the set as a reader wants it (remembered: Dims are values, and the same few
    sets are written for region after region)."""
    plain = Dim(dim.width, dim.intervals)
    masks = _masks(dim, kind, version)
    if plain.is_full:
        text = "any"
    else:
        gaps = plain.complement()
        gap = gaps[0] if gaps else Dim.of(dim.width, [])
        if len(gap.intervals) < len(plain.intervals) or (
            len(gap.intervals) == len(plain.intervals) and gap.size() < plain.size()
        ):
            text = "any except " + _listing(_items(gap, kind, version), len(gap.intervals))
        else:
            text = _listing(_items(plain, kind, version), len(plain.intervals))
    if masks:
        text = ("" if text == "any" else text + " with ") + " and ".join(masks)
    return None if text == "any" else text


@lru_cache(maxsize=65536)
def describe_box(box: Box) -> str:
    words = [box.proto if box.family == 4 or box.proto in ("icmpv6",) else f"{box.proto} (IPv6)"]
    if box.has_ports:
        dport = describe_dim(box.dport, "port")
        if dport:
            words.append(f"dport {dport}")
        sport = describe_dim(box.sport, "port")
        if sport:
            words.append(f"sport {sport}")
    src = describe_dim(box.saddr, "addr", box.family)
    words.append(f"from {src}" if src else "from any source")
    dst = describe_dim(box.daddr, "addr", box.family)
    if dst:
        words.append(f"to {dst}")
    text = " ".join(words)
    if box.iif:
        text += ", via " + ", ".join(sorted(box.iif))
    mark = describe_dim(box.mark, "mark")
    if mark and box.mark.intervals != ((0, 0),):  # mark 0, as from a wire: not worth a word
        text += f", mark {mark}"
    if box.state != frozenset({"new", "established"}):
        text += ", " + " and ".join(
            "new connections" if s == "new" else "established connections" for s in sorted(box.state)
        )
    return text


def describe_space(space: Space) -> str:
    if space.is_empty():
        return "no packet"
    texts = list(dict.fromkeys(describe_box(b) for b in space.boxes))
    if len(texts) > MAX_ITEMS:
        return "; ".join(texts[:MAX_ITEMS]) + f"; and {len(texts) - MAX_ITEMS} more parts"
    return "; ".join(texts)


def box_json(box: Box) -> dict[str, Any]:
    def dim(d: Dim, kind: str) -> Any:
        if d.is_full:
            return "any"
        out: dict[str, Any] = {"in": _items(Dim(d.width, d.intervals), kind, box.family)}
        if d.masks:
            out["masks"] = [{"mask": m, "value": v, "equal": eq} for m, v, eq in d.masks]
        return out

    out: dict[str, Any] = {
        "family": "ipv4" if box.family == 4 else "ipv6",
        "proto": box.proto,
        "state": sorted(box.state),
        "iif": sorted(box.iif) if box.iif is not None else None,
        "saddr": dim(box.saddr, "addr"),
        "daddr": dim(box.daddr, "addr"),
        "mark": dim(box.mark, "mark"),
    }
    if box.has_ports:
        out["sport"] = dim(box.sport, "port")
        out["dport"] = dim(box.dport, "port")
    return out
