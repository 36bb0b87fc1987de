"""Host collector: Open vSwitch bridges, ports and interfaces from OVSDB; each bridge's flows and groups.

OVS keeps its configuration in its own database, not in the kernel: netlink shows an OVS bridge
as a bare device. The database is read over its unix socket (netstack_docs.capture.ovsdb), flows
through `ovs-ofctl` (netstack_docs.capture.ofctl). No socket: OVS is not here, nothing is
recorded. A socket that cannot be read: a gap with the reason.

Interface `options` and `external_ids` are free-form maps (an IPsec tunnel's `psk` lives there),
so only allowlisted keys keep their values; other keys are recorded by name. Runtime facts
(OpenFlow port numbers, link state, MTU, MAC in use, controller connections, flow counters) are
state.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from netstack_docs.capture import ofctl, ovsdb
from netstack_docs.capture.context import HostCapture

# Interface options whose values are configuration worth showing (tunnel endpoints, patch peers, DPDK).
OPTIONS = {"peer", "remote_ip", "local_ip", "key", "in_key", "out_key", "dst_port", "tos", "ttl",
           "df_default", "csum", "packet_type", "exts", "remote_cert", "dpdk-devargs", "n_rxq",
           "vhost-server-path"}
# external_ids an orchestrator (OpenStack, OVN) sets to tie a port to its VM or logical port.
EXTERNAL_IDS = {"iface-id", "attached-mac", "vm-uuid", "iface-status", "vm-id"}
TUNNEL_TYPES = {"vxlan", "geneve", "gre", "ip6gre", "erspan", "ip6erspan", "stt", "lisp", "gtpu", "bareudp",
                "srv6"}
# What is read: nothing else leaves the database (Bridge and Port external_ids are never asked for).
COLUMNS = {
    "Open_vSwitch": ["ovs_version", "db_version"],
    "Bridge": ["name", "datapath_type", "fail_mode", "protocols", "controller", "ports", "stp_enable",
               "rstp_enable", "mcast_snooping_enable"],
    "Port": ["name", "interfaces", "tag", "trunks", "vlan_mode", "bond_mode", "lacp"],
    "Interface": ["name", "type", "options", "external_ids", "ofport", "link_state", "admin_state", "mtu",
                  "mac_in_use", "error"],
    "Controller": ["target", "is_connected", "role"],
}
INTERFACE_STATE = ("ofport", "link_state", "admin_state", "mtu", "mac_in_use", "error")


def _one(value: Any) -> Any:
    """An optional column (OVSDB: a set of zero or one) as the value or None."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _many(value: Any) -> list[Any]:
    """A set column as a list: OVSDB sends a one-element set as the bare element."""
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _allowed(mapping: Any, allowed: set[str]) -> tuple[dict[str, Any], list[str]]:
    mapping = mapping if isinstance(mapping, dict) else {}
    values = {k: mapping[k] for k in sorted(mapping) if k in allowed}
    return values, sorted(k for k in mapping if k not in allowed)


def _interface(row: dict[str, Any]) -> dict[str, Any]:
    options, other_options = _allowed(row.get("options"), OPTIONS)
    ids, other_ids = _allowed(row.get("external_ids"), EXTERNAL_IDS)
    out: dict[str, Any] = {"name": row["name"], "type": row.get("type") or "system", "options": options}
    if other_options:
        out["other_options"] = other_options  # names only: their values may be secrets (psk)
    if ids:
        out["external_ids"] = ids
    if other_ids:
        out["other_external_ids"] = other_ids
    return out


def _port(row: dict[str, Any], interfaces: dict[str, dict[str, Any]]) -> dict[str, Any]:
    ifaces = sorted((_interface(interfaces[u]) for u in _many(row.get("interfaces")) if u in interfaces),
                    key=lambda i: i["name"])
    port: dict[str, Any] = {"name": row["name"], "interfaces": ifaces}
    port["tag"] = _one(row.get("tag"))
    port["trunks"] = sorted(_many(row.get("trunks")))
    for key in ("vlan_mode", "bond_mode", "lacp"):
        port[key] = _one(row.get(key))
    kinds = {i["type"] for i in ifaces}
    port["type"] = "bond" if len(ifaces) > 1 else (ifaces[0]["type"] if ifaces else "system")
    if kinds & TUNNEL_TYPES and len(ifaces) == 1:
        port["remote_ip"] = ifaces[0]["options"].get("remote_ip")
        port["local_ip"] = ifaces[0]["options"].get("local_ip")
    if "patch" in kinds and len(ifaces) == 1:
        port["peer"] = ifaces[0]["options"].get("peer")
    return port


class _Rows:
    """The selected rows by table and uuid, and the lookups a bridge needs."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        self.by_uuid = {t: {r["_uuid"]: r for r in rows.get(t, [])} for t in COLUMNS}

    def refs(self, table: str, value: Any) -> list[dict[str, Any]]:
        return [self.by_uuid[table][u] for u in _many(value) if u in self.by_uuid[table]]


def _bridge(br: dict[str, Any], rows: _Rows) -> dict[str, Any]:
    ports = [_port(p, rows.by_uuid["Interface"]) for p in rows.refs("Port", br.get("ports"))]
    return {"name": br["name"], "datapath_type": br.get("datapath_type") or "system",
            "fail_mode": _one(br.get("fail_mode")), "protocols": sorted(_many(br.get("protocols"))),
            "controllers": sorted(c["target"] for c in rows.refs("Controller", br.get("controller"))),
            "stp_enable": bool(br.get("stp_enable")), "rstp_enable": bool(br.get("rstp_enable")),
            "mcast_snooping_enable": bool(br.get("mcast_snooping_enable")),
            "ports": sorted(ports, key=lambda p: p["name"]), "flows": []}


def _bridge_state(br: dict[str, Any], rows: _Rows) -> dict[str, Any]:
    """What changes while the configuration stays: port numbers, link state, controller connections."""
    ports = rows.refs("Port", br.get("ports"))
    interfaces = {i["name"]: {k: _one(i.get(k)) for k in INTERFACE_STATE}
                  for p in ports for i in rows.refs("Interface", p.get("interfaces"))}
    controllers = {c["target"]: {"is_connected": bool(c.get("is_connected")), "role": _one(c.get("role"))}
                   for c in rows.refs("Controller", br.get("controller"))}
    return {"controllers": controllers, "interfaces": dict(sorted(interfaces.items())), "flows": []}


def read_database(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(configuration, state) of every bridge in the database at `path`."""
    selected = ovsdb.select(COLUMNS, path)
    rows = _Rows(selected)
    system = selected["Open_vSwitch"][0] if selected.get("Open_vSwitch") else {}
    bridges = sorted(rows.by_uuid["Bridge"].values(), key=lambda r: r["name"])
    config = {"version": _one(system.get("ovs_version")), "db_version": _one(system.get("db_version")),
              "bridges": [_bridge(br, rows) for br in bridges]}
    return config, {"bridges": {br["name"]: _bridge_state(br, rows) for br in bridges}}


def _add_flows(host: HostCapture, config: dict[str, Any], state: dict[str, Any]) -> None:
    tool = shutil.which("ovs-ofctl")
    if tool is None:
        host.gap("ovs flows", "ovs-ofctl is not installed: OpenFlow flows not captured")
        return
    for bridge in config["bridges"]:
        try:
            text = ofctl.dump_flows(tool, bridge["name"], bridge["protocols"])
        except (OSError, ValueError) as exc:
            host.gap(f"ovs flows of {bridge['name']}", str(exc))
            continue
        bridge["flows"], state["bridges"][bridge["name"]]["flows"], unread = ofctl.flows_of(text)
        if unread:
            host.gap(f"ovs flows of {bridge['name']}", f"{unread} flows in a form this capture cannot read")
        try:
            text = ofctl.dump_flows(tool, bridge["name"], bridge["protocols"], command="dump-groups")
        except (OSError, ValueError) as exc:
            host.gap(f"ovs groups of {bridge['name']}", str(exc))
            continue
        bridge["groups"], unread = ofctl.groups_of(text)
        if unread:
            host.gap(f"ovs groups of {bridge['name']}", f"{unread} groups in a form this capture cannot read")


def collect(host: HostCapture, path: str = ovsdb.DB_SOCKET) -> None:
    if not os.path.exists(path):
        return  # no Open vSwitch on this host: nothing to say
    try:
        config, state = read_database(path)
    except (OSError, ovsdb.OvsdbError, ValueError) as exc:
        reason = f"permission denied ({exc})" if isinstance(exc, PermissionError) else str(exc) or repr(exc)
        host.gap("ovs database", f"{path}: {reason}")
        return
    _add_flows(host, config, state)
    host.doc["ovs"] = config
    host.doc.setdefault("state", {})["ovs"] = state
