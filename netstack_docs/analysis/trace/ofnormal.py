"""NORMAL: OVS's learning switch (ofproto-dpif-xlate's xlate_normal) with each port's VLAN configuration
from OVSDB (tag, trunks, vlan_mode). Learned MACs are run-time state the snapshot does not hold, so a
frame is flooded over the ports of its VLAN, as `ofproto/trace` does on a switch that learned nothing."""

from __future__ import annotations

from typing import Any

from netstack_docs.analysis.trace.ofactions import read
from netstack_docs.analysis.trace.ofmatch import VLAN_CFI, Frame

Obj = dict[str, Any]


def mode(port: Obj) -> str:
    """vlan_mode, or OVS's default: access when the port has a tag, trunk otherwise."""
    if port.get("vlan_mode"):
        return str(port["vlan_mode"])
    return "access" if port.get("tag") is not None else "trunk"


def trunks(port: Obj, vid: int) -> bool:
    """Does the port trunk VLAN `vid` (empty trunks: all; native modes add their tag and drop VLAN 0)."""
    kind, vids = mode(port), set(port.get("trunks") or [])
    if kind == "access":
        return False
    if kind.startswith("native") and port.get("tag") is not None:
        if not vids:
            return vid != 0
        vids = (vids | {read(port, "tag")}) - {0}
    return not vids or vid in vids


def includes(port: Obj, vlan: int) -> bool:
    """Does a frame of VLAN `vlan` go out of this port."""
    kind = mode(port)
    if kind == "access":
        return port.get("tag") == vlan
    if kind.startswith("native") and port.get("tag") == vlan:
        return True
    return trunks(port, vlan)


def flood(ports: list[Obj], in_port: Obj, frame: Frame) -> tuple[str, list[tuple[Obj, Frame]]]:
    """What NORMAL does with `frame` from `in_port`: (what, the copies: each port and the frame it gets,
    tagged or not as the port says); no copies when the input port does not admit the frame's VLAN."""
    tci = read(frame, "vlan_tci")
    vid = tci & 0xFFF if tci & VLAN_CFI else 0
    kind = mode(in_port)
    if kind == "access" and vid != 0:
        return (
            f"VLAN {vid} tagged frame received on port {in_port['name']} configured as VLAN "
            f"{in_port.get('tag')} access port: dropped"
        ), []
    untagged_in = kind == "access" or (kind.startswith("native") and vid == 0)
    if not untagged_in and not trunks(in_port, vid):
        return (
            f"VLAN {vid} frame received on port {in_port['name']}, which does not trunk VLAN {vid}: dropped",
            [],
        )
    vlan = read(in_port, "tag") if untagged_in else vid
    why = (
        "broadcast/multicast destination"
        if read(frame, "dl_dst") >> 40 & 1
        else "no learned MAC for the destination (learned MACs are run-time state; with one, only its port)"
    )
    out_ports = sorted(
        (p for p in ports if p["name"] != in_port["name"] and includes(p, vlan)), key=lambda p: p["name"]
    )
    names = ", ".join(p["name"] for p in out_ports) or "no port"
    copies = []
    for port in out_ports:
        out = dict(frame)
        untagged = mode(port) == "access" or (mode(port) == "native-untagged" and port.get("tag") == vlan)
        out["vlan_tci"] = 0 if untagged or vlan == 0 else VLAN_CFI | (tci & 0xE000) | vlan
        copies.append((port, out))
    return f"VLAN {vlan} from port {in_port['name']}: {why}: flooded to {names}", copies
