"""Link kinds this kernel lacks (vlan, bond, macvlan, ipvlan, vrf, wireguard), through the real decode path.

MOCK, said plainly: the vlan, bond, macvlan, ipvlan, vrf and wireguard modules are absent here,
so no kernel can answer with these links. Each test builds the RTM_NEWLINK message a kernel would
send with pyroute2's own ifinfmsg encoder (genuine netlink bytes: headers, nested IFLA_LINKINFO,
IFLA_INFO_DATA), decodes those bytes with pyroute2 as a dump would, and feeds them to the same
parser the capture uses. What is not proven here: that a kernel sends exactly these attributes.
"""

from __future__ import annotations

from typing import Any

from pyroute2.netlink.rtnl import RTM_NEWLINK
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from snapdoc import full_document, validated

from netstack_docs.capture import links
from netstack_docs.capture.context import empty_namespace


def recorded(index: int, ifname: str, kind: str | None, data: list[Any] | None = None,
             slave: tuple[str, list[Any]] | None = None, **attrs: Any) -> Any:
    """Encode an RTM_NEWLINK message to bytes, then decode those bytes as a dump reply would be."""
    msg = ifinfmsg()
    msg["index"] = index
    msg["flags"] = attrs.get("flags", 0x1003)  # UP | BROADCAST | MULTICAST
    msg["header"]["type"] = RTM_NEWLINK
    nla: list[Any] = [("IFLA_IFNAME", ifname), ("IFLA_MTU", attrs.get("mtu", 1500)),
                      ("IFLA_ADDRESS", attrs.get("address", f"02:00:00:00:00:{index:02x}")),
                      ("IFLA_OPERSTATE", "UP"), ("IFLA_TXQLEN", 1000)]
    for name in ("IFLA_LINK", "IFLA_MASTER"):
        if name.lower()[5:] in attrs:
            nla.append((name, attrs[name.lower()[5:]]))
    info: list[Any] = []
    if kind:
        info.append(("IFLA_INFO_KIND", kind))
    if data:
        info.append(("IFLA_INFO_DATA", {"attrs": data}))
    if slave:
        info += [("IFLA_INFO_SLAVE_KIND", slave[0]), ("IFLA_INFO_SLAVE_DATA", {"attrs": slave[1]})]
    if info:
        nla.append(("IFLA_LINKINFO", {"attrs": info}))
    msg["attrs"] = nla
    msg.encode()
    wire = bytes(msg.data)
    decoded = ifinfmsg(wire)
    decoded.decode()
    return decoded


def parse_all(messages: list[Any]) -> list[dict[str, Any]]:
    parsed = [links.parse_link(m)[0] for m in messages]
    links.resolve_references(parsed, {})
    return parsed


def by_name(parsed: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {link["ifname"]: link for link in parsed}


def test_vlan_and_bond_with_members_and_macvlan_ipvlan_vrf_wireguard():
    messages = [
        recorded(1, "lo", None, flags=0x9),  # UP | LOOPBACK
        recorded(2, "eth0", None, master=10, slave=("bond", [("IFLA_BOND_SLAVE_STATE", 0),
                                                             ("IFLA_BOND_SLAVE_MII_STATUS", 0),
                                                             ("IFLA_BOND_SLAVE_LINK_FAILURE_COUNT", 3),
                                                             ("IFLA_BOND_SLAVE_QUEUE_ID", 0)])),
        recorded(3, "eth1", None, master=10, slave=("bond", [("IFLA_BOND_SLAVE_STATE", 1)])),
        recorded(10, "bond0", "bond", [("IFLA_BOND_MODE", 4), ("IFLA_BOND_MIIMON", 100),
                                       ("IFLA_BOND_XMIT_HASH_POLICY", 1)]),
        recorded(11, "bond0.100", "vlan", [("IFLA_VLAN_ID", 100), ("IFLA_VLAN_PROTOCOL", 0x8100)], link=10),
        recorded(12, "mv0", "macvlan", [("IFLA_MACVLAN_MODE", 4)], link=2),
        recorded(13, "ipv0", "ipvlan", [("IFLA_IPVLAN_MODE", 1)], link=3),
        recorded(14, "vrf-blue", "vrf", [("IFLA_VRF_TABLE", 1001)]),
        recorded(15, "wg0", "wireguard", mtu=1420),
    ]
    links_ = by_name(parse_all(messages))

    assert links_["lo"]["kind"] == "loopback" and links_["eth0"]["kind"] == "device"
    bond = links_["bond0"]
    assert bond["kind"] == "bond" and bond["info"]["mode"] == "802.3ad" and bond["info"]["miimon"] == 100
    assert bond["info"]["members"] == ["eth0", "eth1"]
    eth0 = links_["eth0"]
    assert eth0["master"] == "bond0" and eth0["port"]["kind"] == "bond"
    assert "link_failure_count" not in eth0["port"] and "mii_status" not in eth0["port"]  # state
    assert "state" not in eth0["port"]  # active/backup: state (tests/capture/test_running_state.py)

    vlan = links_["bond0.100"]
    assert vlan["kind"] == "vlan" and vlan["info"]["id"] == 100 and vlan["info"]["protocol"] == "802.1Q"
    assert vlan["parent"] == {"ifname": "bond0", "ifindex": 10, "netns": None}

    assert links_["mv0"]["info"]["mode"] == "bridge" and links_["mv0"]["parent"]["ifname"] == "eth0"
    assert links_["ipv0"]["info"]["mode"] == "l3"
    assert links_["vrf-blue"]["info"]["table"] == 1001
    assert links_["wg0"]["kind"] == "wireguard" and links_["wg0"]["mtu"] == 1420

    ns = empty_namespace("root", "root")
    ns["links"] = list(links_.values())
    validated(full_document([ns]))


def test_a_peer_in_a_namespace_nobody_can_reach_stays_an_index_without_a_namespace():
    parsed = links.parse_link(recorded(4, "veth-a", "veth", link=9))[0]
    parsed["_link_netnsid"] = 3  # IFLA_LINK_NETNSID of a namespace this capture could not open
    links.resolve_references([parsed], {3: None})
    assert parsed["parent"] == {"ifindex": 9, "ifname": None, "netns": None}


class RecordedVlans:
    """Stands in for the rtnetlink socket: answers the AF_BRIDGE dump with recorded messages."""

    def __init__(self, messages: list[Any]):
        self.messages = messages

    def get_vlans(self) -> list[Any]:
        return self.messages


def bridge_vlan_message(index: int, vlans: list[tuple[int, int]]) -> Any:
    """RTM_NEWLINK (family AF_BRIDGE) with IFLA_AF_SPEC/IFLA_BRIDGE_VLAN_INFO, as `bridge vlan` reads."""
    msg = ifinfmsg()
    msg["family"] = 7
    msg["index"] = index
    msg["header"]["type"] = RTM_NEWLINK
    spec = [("IFLA_BRIDGE_VLAN_INFO", {"flags": flags, "vid": vid}) for vid, flags in vlans]
    msg["attrs"] = [("IFLA_IFNAME", f"if{index}"), ("IFLA_AF_SPEC", {"attrs": spec})]
    msg.encode()
    decoded = ifinfmsg(bytes(msg.data))
    decoded.decode()
    return decoded


def test_bridge_vlan_filtering_ports_get_their_vlans():
    """This kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING is off): recorded messages."""
    parsed = parse_all([
        recorded(20, "br0", "bridge", [("IFLA_BR_VLAN_FILTERING", 1), ("IFLA_BR_VLAN_PROTOCOL", 0x8100)]),
        recorded(21, "p1", "veth", master=20, slave=("bridge", [("IFLA_BRPORT_STATE", 3)])),
    ])
    messages = [bridge_vlan_message(21, [(1, 0x2 | 0x4), (100, 0)]), bridge_vlan_message(20, [(1, 0x6)])]
    links.linkinfo.port_vlans(RecordedVlans(messages), parsed)
    ports = by_name(parsed)
    assert ports["br0"]["info"]["vlan_filtering"] == 1 and ports["br0"]["info"]["vlan_protocol"] == "802.1Q"
    assert "state" not in ports["p1"]["port"]  # the STP port state is state (test_running_state.py)
    assert ports["p1"]["port"]["vlans"] == [{"vid": 1, "pvid": True, "untagged": True},
                                            {"vid": 100, "pvid": False, "untagged": False}]
    assert ports["br0"]["info"]["vlans"] == [{"vid": 1, "pvid": True, "untagged": True}]
