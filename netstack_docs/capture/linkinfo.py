"""Kind-specific link attributes (IFLA_INFO_DATA / IFLA_INFO_SLAVE_DATA) in kernel vocabulary.

Attribute names lose their `IFLA_<KIND>_` prefix (IFLA_BR_STP_STATE -> stp_state, IFLA_VXLAN_ID -> id),
as `ip -d -j link` spells them. Enumerations become the words `ip` prints (bond mode 802.3ad,
macvlan mode bridge, tun type tap); timers and STP election results are state, not configuration.
"""

from __future__ import annotations

import ipaddress
from typing import Any

ENUMS: dict[tuple[str, str], dict[int, str]] = {
    ("bond", "mode"): {0: "balance-rr", 1: "active-backup", 2: "balance-xor", 3: "broadcast",
                       4: "802.3ad", 5: "balance-tlb", 6: "balance-alb"},
    ("macvlan", "mode"): {1: "private", 2: "vepa", 4: "bridge", 8: "passthru", 16: "source"},
    ("macvtap", "mode"): {1: "private", 2: "vepa", 4: "bridge", 8: "passthru", 16: "source"},
    ("ipvlan", "mode"): {0: "l2", 1: "l3", 2: "l3s"},
    ("tun", "type"): {1: "tun", 2: "tap"},
    ("vlan", "protocol"): {0x8100: "802.1Q", 0x88A8: "802.1ad"},
    ("bridge", "vlan_protocol"): {0x8100: "802.1Q", 0x88A8: "802.1ad"},
    ("bridge_slave", "state"): {0: "disabled", 1: "listening", 2: "learning", 3: "forwarding", 4: "blocking"},
    ("bond_slave", "state"): {0: "active", 1: "backup"},
    ("bond_slave", "mii_status"): {0: "up", 1: "fail", 2: "down", 3: "back"},
}
# Values the kernel changes on its own: timers, STP election results, failure counters.
VOLATILE = {
    "hello_timer", "tcn_timer", "topology_change_timer", "gc_timer", "topology_change",
    "topology_change_detected", "root_id", "root_port", "root_path_cost", "message_age_timer",
    "forward_delay_timer", "hold_timer", "designated_root", "designated_bridge", "designated_port",
    "designated_cost", "topology_change_ack", "config_pending", "link_failure_count", "ad_info",
    "ad_actor_oper_port_state", "ad_partner_oper_port_state", "ad_aggregator_id", "active_slave",
    "mii_status",
    # counts of multicast groups and hosts a bridge port has learned, as traffic comes and goes
    "mcast_n_groups", "mcast_eht_hosts_cnt",
}
# A port's running state: STP (listening/learning/forwarding/blocking, disabled while the port or its
# peer is down) and a bond member's active/backup role change by themselves (a VM start, a failover).
VOLATILE_PORT = {"state"}


def _key(name: str) -> str:
    parts = name.split("_", 2)
    return parts[2].lower() if len(parts) == 3 else name.lower()


def _plain(value: Any) -> Any:
    """JSON-safe value, or None when the attribute is a structure this capture does not describe."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict) and all(isinstance(v, (int, str)) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    return None


def info_data(kind: str, data: Any, slave: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """Decoded IFLA_INFO_DATA (or, with `slave`, IFLA_INFO_SLAVE_DATA) of `kind` -> (configuration, state)."""
    config: dict[str, Any] = {}
    state: dict[str, Any] = {}
    if data is None or not hasattr(data, "get"):
        return config, state
    enum_kind = f"{kind}_slave" if slave else kind
    for name, value in data.get("attrs", []):
        if not isinstance(name, str) or not name.startswith("IFLA_"):
            continue  # UNKNOWN: an attribute newer than pyroute2's decoder
        key = _key(name)
        if slave and key.startswith("slave_"):
            key = key[6:]  # IFLA_BOND_SLAVE_STATE -> state
        value = _plain(value)
        if value is None:
            continue
        if isinstance(value, int) and (enum_kind, key) in ENUMS:
            value = ENUMS[(enum_kind, key)].get(value, value)
        volatile = key in VOLATILE or key.endswith("_timer") or (slave and key in VOLATILE_PORT)
        (state if volatile else config)[key] = value
    if kind == "bridge" and state.get("topology_change"):
        # during an STP topology change the kernel reports the short ageing it uses meanwhile
        # (2 x forward_delay) instead of the configured one, which netlink does not expose then
        state["ageing_time"] = config.pop("ageing_time", None)
    if kind == "vxlan" and "group" in config:
        group = config.pop("group")
        config["group" if ipaddress.ip_address(group).is_multicast else "remote"] = group
    if kind == "vxlan" and "group6" in config:
        group = config.pop("group6")
        config["group" if ipaddress.ip_address(group).is_multicast else "remote"] = group
    return config, state


TUNNEL_KINDS = ("vxlan", "geneve")


def resolve_info(link: dict[str, Any], names: dict[int, str], moved: bool = False,
                 origin: str | None = None) -> None:
    """Index-valued attributes (vxlan underlay `link`) become device names.

    A tunnel moved to another namespace keeps its underlay in the namespace it was created in
    (IFLA_LINK_NETNSID says which): its ifindex means nothing here (`ip -d link` itself names the
    wrong device), so it is kept as `dev_ifindex` in `dev_netns` (the capture's id for that
    namespace, or null when it was not captured) and `dev` stays null."""
    info = link["info"]
    if link["kind"] in TUNNEL_KINDS and "link" in info:
        index = info.pop("link")
        if moved:
            info.update(dev=None, dev_ifindex=index, dev_netns=origin)
        else:
            info["dev"] = names.get(index)
    if link["kind"] == "bond" and "primary" in info:
        info["primary"] = names.get(info["primary"], info["primary"])


def port_vlans(ipr: Any, links: list[dict[str, Any]]) -> None:
    """Bridge VLAN membership per port (`bridge vlan show`): AF_BRIDGE link dump with RTEXT_FILTER_BRVLAN."""
    by_index = {link["ifindex"]: link for link in links}
    for msg in ipr.get_vlans():
        link = by_index.get(msg["index"])
        spec = msg.get_attr("IFLA_AF_SPEC")
        if link is None or spec is None:
            continue
        vlans = []
        for name, value in spec.get("attrs", []):
            if name == "IFLA_BRIDGE_VLAN_INFO":
                flags = value.get("flags", 0)
                vlans.append({"vid": value["vid"], "pvid": bool(flags & 0x2), "untagged": bool(flags & 0x4)})
        vlans.sort(key=lambda v: v["vid"])
        if link["port"] is not None:
            link["port"]["vlans"] = vlans
        elif link["kind"] == "bridge":
            link["info"]["vlans"] = vlans
