"""How each interface kind looks in a topology: one registry, so a new kind is one entry here.

Icons come from the `diagrams` package (generic/onprem sets); kinds without a fitting icon get a
distinct shape and colour instead. The kind is also written in every node's label, so the picture
never relies on the icon alone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindStyle:
    word: str  # what the label says the kind is
    icon: str | None  # path under the diagrams package's resources/
    shape: str
    fill: str


_TUNNEL = KindStyle("tunnel", "generic/network/vpn.png", "box", "#FDF2E9")
STYLES: dict[str, KindStyle] = {
    "device": KindStyle("physical NIC", "generic/compute/rack.png", "box3d", "#E8F1FB"),
    "loopback": KindStyle("loopback", None, "box", "#F4F4F4"),
    "bridge": KindStyle("bridge", "generic/network/switch.png", "box", "#EAF7EA"),
    "openvswitch": KindStyle("OVS bridge", "generic/network/switch.png", "box", "#EAF7EA"),
    "bond": KindStyle("bond", "onprem/network/cisco-switch-l2.png", "box", "#EAF7EA"),
    "team": KindStyle("team", "onprem/network/cisco-switch-l2.png", "box", "#EAF7EA"),
    "veth": KindStyle("veth", None, "cds", "#FFFBEA"),
    "vlan": KindStyle("VLAN", None, "tab", "#F3EDFB"),
    "macvlan": KindStyle("macvlan", None, "tab", "#F3EDFB"),
    "macvtap": KindStyle("macvtap", None, "tab", "#F3EDFB"),
    "ipvlan": KindStyle("ipvlan", None, "tab", "#F3EDFB"),
    "vxlan": KindStyle("VXLAN", "generic/network/vpn.png", "box", "#FDF2E9"),
    "geneve": KindStyle("Geneve", "generic/network/vpn.png", "box", "#FDF2E9"),
    "gre": _TUNNEL,
    "gretap": _TUNNEL,
    "ipip": _TUNNEL,
    "sit": _TUNNEL,
    "ip6tnl": _TUNNEL,
    "wireguard": KindStyle("WireGuard", "generic/network/vpn.png", "box", "#FDF2E9"),
    "tun": KindStyle("tun", "generic/virtualization/qemu.png", "box", "#FBEFF5"),
    "tap": KindStyle("tap", "generic/virtualization/qemu.png", "box", "#FBEFF5"),
    "vrf": KindStyle("VRF", "generic/network/router.png", "box", "#EAF0F7"),
    "ifb": KindStyle("ifb", None, "box", "#F4F4F4"),
    "dummy": KindStyle("dummy", None, "box", "#F4F4F4"),
}
OTHER = KindStyle("", None, "box", "#FFFFFF")

# Root qdiscs the kernel attaches on its own (or net.core.default_qdisc picks): not worth a mark.
DEFAULT_QDISCS = {"noqueue", "noop", "pfifo_fast", "fq_codel", "mq", "mqprio"}
# clsact/ingress are hooks, not queueing: they are marked as "tc ingress/egress hook" instead.
HOOK_QDISCS = {"clsact", "ingress"}

MARK_XDP = "#C0392B"
MARK_QDISC = "#8E44AD"
MARK_TC = "#D35400"
MARK_NFT = "#1F618D"
EDGE_VETH = "#B7950B"
EDGE_PORT = "#27AE60"
EDGE_PARENT = "#7D3C98"
EDGE_UNDERLAY = "#D35400"
EDGE_MIRRED = "#C0392B"
EDGE_PATCH = "#117A65"
FIREWALL_ICON = "generic/network/firewall.png"
HOST_ICON = "generic/os/linux-general.png"
SUBNET_ICON = "generic/network/subnet.png"
GROUP_FILL = "#FFF5E0"


def style_of(link: dict) -> KindStyle:
    """The style of a link; a tun device in tap mode is drawn as a tap."""
    kind = link.get("kind") or ""
    if kind == "tun" and (link.get("info") or {}).get("type") == "tap":
        kind = "tap"
    return STYLES.get(kind, KindStyle(kind, OTHER.icon, OTHER.shape, OTHER.fill))
