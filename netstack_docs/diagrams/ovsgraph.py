"""Open vSwitch in the host topology: each bridge as one node listing its ports, and its connections.

OVS is host-wide (one database per host) but its devices live in the root namespace, so its bridges
are drawn in the root namespace's box. Edges: an OVS port that is also a kernel device of the root
namespace (a VM's tap, an internal port, a NIC) joins that device to its bridge; a patch pair joins
two bridges; a tunnel port leads to its remote endpoint (a dashed stub node per address). Ids are the
model's anchors, so the DOT stays stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netstack_docs.model.identity import anchor_id, object_anchor

MAX_PORTS = 8  # port rows per bridge node; the text equivalent lists every port


@dataclass
class OvsBridge:
    id: str
    name: str
    datapath_type: str
    fail_mode: str | None
    ports: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        mode = f", fail mode {self.fail_mode}" if self.fail_mode else ""
        return f"OVS bridge ({self.datapath_type} datapath{mode})"


def port_text(port: dict[str, Any]) -> str:
    """`tap1 (tag 10)`, `patch-tun (patch to patch-int)`, `vxlan-1 (vxlan to 10.0.0.2)`."""
    bits = []
    if port.get("type") == "patch" and port.get("peer"):
        bits.append(f"patch to {port['peer']}")
    elif port.get("remote_ip"):
        bits.append(f"{port['type']} to {port['remote_ip']}")
    elif port.get("type") not in (None, "system"):
        bits.append(str(port["type"]))
    if port.get("tag") is not None:
        bits.append(f"tag {port['tag']}")
    if port.get("trunks"):
        bits.append("trunks " + ",".join(str(t) for t in port["trunks"]))
    return f"{port['name']} ({', '.join(bits)})" if bits else str(port["name"])


def bridges(snapshot: dict[str, Any]) -> list[OvsBridge]:
    out = []
    for br in (snapshot.get("ovs") or {}).get("bridges") or []:
        out.append(
            OvsBridge(
                object_anchor("ovsbridge", "host", br),
                br["name"],
                br.get("datapath_type") or "system",
                br.get("fail_mode"),
                list(br.get("ports") or []),
            )
        )
    return out


def remote_id(address: str) -> str:
    return anchor_id("ovsport", "remote", (address,))


def remote_stubs(found: list[OvsBridge]) -> dict[str, str]:
    """Stub node id -> text for every tunnel endpoint (one node per address, shared by its tunnels)."""
    return {
        remote_id(p["remote_ip"]): f"remote tunnel endpoint {p['remote_ip']}"
        for br in found
        for p in br.ports
        if p.get("remote_ip") and p["remote_ip"] != "flow"
    }


def edges(found: list[OvsBridge], root_links: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(a, b, kind, label) edges: ovsport (kernel device -> bridge), patch (bridge -> bridge), tunnel."""
    by_port = {p["name"]: br for br in found for p in br.ports}
    out: list[tuple[str, str, str, str]] = []
    patched: set[frozenset[str]] = set()
    for br in found:
        for port in br.ports:
            if port.get("type") == "patch":
                other = by_port.get(port.get("peer") or "")
                pair = frozenset((port["name"], str(port.get("peer"))))
                if other is not None and pair not in patched:
                    patched.add(pair)
                    out.append((br.id, other.id, "patch", f"patch {port['name']} \u2194 {port.get('peer')}"))
            elif port.get("remote_ip") and port["remote_ip"] != "flow":
                out.append((br.id, remote_id(port["remote_ip"]), "tunnel", f"{port['type']} {port['name']}"))
            elif port["name"] in root_links:
                tag = f" (tag {port['tag']})" if port.get("tag") is not None else ""
                out.append((root_links[port["name"]], br.id, "ovsport", f"OVS port{tag}"))
    return out
