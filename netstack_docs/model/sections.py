"""The one registry of snapshot sections: where each kind of object lives in a snapshot and how to list it.

Classification, the conformance test and the capture-gap mapping all walk this table, so a new
section of the schema is one entry here. Most sections are plain lists of the schema; a few are
views built from another section:

- `nics`: every hardware link (kind `device`) a second time, as the NIC behind it (driver, firmware,
  bus) for the `nic` page, while the link itself (MTU, MAC, state) lives on the `link` page.
- `ports`: every link enslaved to a bridge, bond or VRF a second time, as a port of that master,
  with `master_kind` added so the model can tell a bridge port from a bond slave.
- `iptables`: the `{table: {chain: ...}}` mapping as one object per table.
- `sysctls`: the `{name: value}` mapping as one object per sysctl.
- `ovs.*`, `cni.*`: Open vSwitch bridges, ports and flow tables, CNI networks (netstack_docs.model.hostviews).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from netstack_docs.model import hostviews
from netstack_docs.model.ruletext import ip_rule_text

Obj = dict[str, Any]


@dataclass(frozen=True)
class Section:
    """One list of snapshot objects. `schema_def` names the $defs entry whose fields templates may use."""

    name: str
    identity_kind: str
    schema_def: str
    title: str  # what a reader is told was checked, e.g. "tc qdiscs"
    items: Callable[[dict[str, Any]], list[Obj]]  # namespace (or snapshot, when host_wide) -> objects
    host_wide: bool = False
    # Fields beyond the schema's declared properties: added by a view, or written by the capture
    # where the schema leaves the object open (rule selectors, a daemon's `running`).
    extra_fields: tuple[str, ...] = ()


def _path(*keys: str) -> Callable[[dict[str, Any]], list[Obj]]:
    def get(doc: dict[str, Any]) -> list[Obj]:
        value: Any = doc
        for key in keys:
            value = (value or {}).get(key)
        return list(value or [])

    return get


def _nics(ns: dict[str, Any]) -> list[Obj]:
    return [link for link in ns.get("links", []) if link.get("kind") == "device"]


def _ports(ns: dict[str, Any]) -> list[Obj]:
    kinds = {link["ifname"]: link.get("kind") for link in ns.get("links", [])}
    return [
        {**link, "master_kind": kinds.get(link["master"])}
        for link in ns.get("links", [])
        if link.get("master")
    ]


def _rules(ns: dict[str, Any]) -> list[Obj]:
    """Each rule with its `ip rule show` spelling, the one line that says what it means."""
    return [{**rule, "ip_rule": ip_rule_text(rule)} for rule in ns.get("rules", [])]


def _iptables(ns: dict[str, Any]) -> list[Obj]:
    out = []
    for key, chains in sorted((ns.get("iptables") or {}).items()):
        family, _, table = key.rpartition(":")
        out.append({"key": key, "family": family or "ip", "table": table, "chains": chains})
    return out


def _sysctls(ns: dict[str, Any]) -> list[Obj]:
    return [{"name": k, "value": v} for k, v in sorted((ns.get("sysctls") or {}).items())]


def _namespace(ns: dict[str, Any]) -> list[Obj]:
    return [ns]


NAMESPACE_SECTIONS: tuple[Section, ...] = (
    Section("namespaces", "netns", "namespace", "network namespaces", _namespace),
    Section("links", "link", "link", "network interfaces (links)", _path("links")),
    Section("nics", "nic", "link", "hardware NICs (links of kind device)", _nics),
    Section(
        "ports",
        "port",
        "link",
        "ports enslaved to a bridge, bond or VRF",
        _ports,
        extra_fields=("master_kind",),
    ),
    Section("addresses", "addr", "address", "IP addresses", _path("addresses")),
    Section("routes", "route", "route", "routes in every routing table", _path("routes")),
    Section(
        "rules",
        "rule",
        "rule",
        "policy routing rules",
        _rules,
        extra_fields=("ip_rule",),
    ),
    Section("neighbours", "neigh", "neighbour", "permanent neighbour entries", _path("neighbours")),
    Section("fdb", "fdb", "fdb", "static forwarding database (FDB) entries", _path("fdb")),
    Section("tc.qdiscs", "qdisc", "qdisc", "tc qdiscs", _path("tc", "qdiscs")),
    Section("tc.classes", "class", "tc_class", "tc classes", _path("tc", "classes")),
    Section("tc.filters", "filter", "tc_filter", "tc filters", _path("tc", "filters")),
    Section("nftables.tables", "nfttable", "nft_table", "nftables tables", _path("nftables", "tables")),
    Section("nftables.chains", "nftchain", "nft_chain", "nftables chains", _path("nftables", "chains")),
    Section("nftables.rules", "nftrule", "nft_rule", "nftables rules", _path("nftables", "rules")),
    Section("nftables.sets", "nftset", "nft_set", "nftables sets and maps", _path("nftables", "sets")),
    Section(
        "iptables",
        "iptables",
        "iptables",
        "iptables-legacy tables",
        _iptables,
        extra_fields=("key", "family", "table", "chains"),
    ),
    Section("sockets.listening", "socket", "socket", "listening sockets", _path("sockets", "listening")),
    Section("sysctls", "sysctl", "sysctl", "network sysctls", _sysctls, extra_fields=("name", "value")),
)

HOST_SECTIONS: tuple[Section, ...] = (
    Section(
        "bpf.programs", "prog", "bpf_program", "loaded BPF programs", _path("bpf", "programs"), host_wide=True
    ),
    Section(
        "daemons",
        "daemon",
        "daemon",
        "network daemons",
        _path("daemons"),
        host_wide=True,
        extra_fields=("running",),
    ),
    Section("ovs.bridges", "ovsbridge", "ovs_bridge", "Open vSwitch bridges", hostviews.ovs_bridges,
            host_wide=True, extra_fields=("port_names", "flow_count", "tables")),
    Section("ovs.ports", "ovsport", "ovs_port", "Open vSwitch ports", hostviews.ovs_ports, host_wide=True,
            extra_fields=("bridge",)),
    Section("ovs.flow_tables", "ovstable", "ovs_flow", "Open vSwitch OpenFlow tables",
            hostviews.ovs_flow_tables, host_wide=True,
            extra_fields=("bridge", "flows", "flow_count", "table_miss", "fail_mode", "controllers",
                          "trace_port")),
    Section("cni.networks", "cni", "cni_network", "CNI network configurations", hostviews.cni_networks,
            host_wide=True, extra_fields=("plugin_types", "bridges", "subnets", "ipam_types", "default")),
    # second view: the network pods get, on the namespaces page (its home is the tooling page)
    Section("cni.default", "cnidefault", "cni_network", "the default CNI network", hostviews.cni_default,
            host_wide=True, extra_fields=("plugin_types", "bridges", "subnets", "ipam_types", "default")),
)

SECTIONS: dict[str, Section] = {s.name: s for s in NAMESPACE_SECTIONS + HOST_SECTIONS}


def section(name: str) -> Section:
    try:
        return SECTIONS[name]
    except KeyError:
        raise KeyError(f"unknown snapshot section {name!r} (known: {', '.join(SECTIONS)})") from None


def walk(snapshot: dict[str, Any]) -> Iterator[tuple[Section, dict[str, Any] | None, int, Obj]]:
    """Every object of every section: (section, namespace or None for host-wide, index, object)."""
    for ns in snapshot["namespaces"]:
        for sec in NAMESPACE_SECTIONS:
            for i, obj in enumerate(sec.items(ns)):
                yield sec, ns, i, obj
    for sec in HOST_SECTIONS:
        for i, obj in enumerate(sec.items(snapshot)):
            yield sec, None, i, obj
