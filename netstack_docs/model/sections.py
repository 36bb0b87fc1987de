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
- `derived`: what the kernel derives by itself, as ONE summary object per namespace: its routes
  (`proto kernel`: local, broadcast, connected prefixes, fe80::/64, ff00::/8) and the IPv6
  link-local addresses it generates. The capture keeps them under `state` (they come and go with
  carrier and DAD: netstack_docs.capture.routes, .addresses); older snapshots still hold the routes
  in `routes`, so both places are read, and `routes` shows only the others. (Their link-local
  addresses stay listed as addresses: nothing there tells the kernel's from one someone added.)

Volatile values (operstate, a port's STP state, NIC speed) live in the snapshot's `state`; a
section with `state_of` hands the page the state of each object under the key `state` (facts
`state.operstate`), while the diff, which walks `items` only, never sees it.
"""

from __future__ import annotations

from collections import Counter
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
    # The state of one object, from its namespace's `state` bucket (shown on the page, never diffed).
    state_of: Callable[[dict[str, Any], Obj], Any] | None = None
    # Built from `state` as a whole (items(ns, ns_state)): shown, never part of a change.
    from_state: Callable[[dict[str, Any], dict[str, Any]], list[Obj]] | None = None


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


KERNEL_PROTOCOL = "kernel"


def _configured_routes(ns: dict[str, Any]) -> list[Obj]:
    return [r for r in ns.get("routes", []) if r.get("protocol") != KERNEL_PROTOCOL]


def _derived(ns: dict[str, Any], ns_state: dict[str, Any]) -> list[Obj]:
    """One summary of what the kernel derived in this namespace (none when it derived nothing)."""
    routes = [r for r in ns.get("routes", []) if r.get("protocol") == KERNEL_PROTOCOL]
    routes += ns_state.get("derived_routes") or []
    addresses = ns_state.get("derived_addresses") or []
    if not routes and not addresses:
        return []
    tables = Counter(str(r.get("table")) for r in routes)
    return [{
        "count": len(routes),
        "tables": dict(sorted(tables.items())),
        "routes": sorted(_route_line(r) for r in routes),
        "link_local": sorted(f"{a['address']}/{a['prefixlen']} dev {a['ifname']}" for a in addresses),
    }]


def _route_line(r: Obj) -> str:
    """`local 10.0.0.1 dev eth0 table local`, close to how `ip route show table all` prints it."""
    dev = ["dev", r["dev"]] if r.get("dev") else []
    words = [r.get("type"), r.get("dst"), *dev, "table", r.get("table")]
    return " ".join(str(w) for w in words if w)


def _set_state(ns_state: dict[str, Any], obj: Obj) -> Any:
    """The elements a set got at run time: dynamic sets, expiring elements (capture.nftables)."""
    runtime = ((ns_state.get("nftables") or {}).get("set_elements") or {})
    elements = runtime.get(f"{obj.get('family')} {obj.get('table')} {obj.get('name')}")
    return {"elements": elements} if elements else None


def _link_state(ns_state: dict[str, Any], obj: Obj) -> Any:
    """A link's state; snapshots from before operstate, port and NIC running values moved there hold them in
    the link itself, and still show them."""
    state = dict((ns_state.get("links") or {}).get(obj.get("ifname")) or {})
    if obj.get("operstate") is not None:
        state.setdefault("operstate", obj["operstate"])
    port, nic = obj.get("port") or {}, obj.get("nic") or {}
    if port.get("state") is not None:
        state["port"] = {"state": port["state"], **(state.get("port") or {})}
    old_nic = {k: nic[k] for k in ("speed", "duplex") if nic.get(k) is not None}
    if old_nic:
        state["nic"] = {**old_nic, **(state.get("nic") or {})}
    return state


NAMESPACE_SECTIONS: tuple[Section, ...] = (
    Section("namespaces", "netns", "namespace", "network namespaces", _namespace),
    Section(
        "links",
        "link",
        "link",
        "network interfaces (links)",
        _path("links"),
        extra_fields=("state",),
        state_of=_link_state,
    ),
    Section(
        "nics",
        "nic",
        "link",
        "hardware NICs (links of kind device)",
        _nics,
        extra_fields=("state",),
        state_of=_link_state,
    ),
    Section(
        "ports",
        "port",
        "link",
        "ports enslaved to a bridge, bond or VRF",
        _ports,
        extra_fields=("master_kind", "state"),
        state_of=_link_state,
    ),
    Section("addresses", "addr", "address", "IP addresses", _path("addresses")),
    Section("routes", "route", "route", "configured routes in every routing table", _configured_routes),
    Section(
        "derived",
        "derived",
        "route",
        "routes and link-local addresses the kernel derives (proto kernel)",
        lambda ns: [],
        extra_fields=("count", "tables", "routes", "link_local"),
        from_state=_derived,
    ),
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
    Section(
        "nftables.sets",
        "nftset",
        "nft_set",
        "nftables sets and maps",
        _path("nftables", "sets"),
        extra_fields=("state",),
        state_of=_set_state,
    ),
    Section(
        "iptables",
        "iptables",
        "iptables",
        "iptables-legacy tables",
        _iptables,
        extra_fields=("key", "family", "table", "chains"),
    ),
    Section("ipsets", "ipset", "ipset", "ipsets (ip_set)", _path("ipsets")),
    Section("sockets.listening", "socket", "socket", "listening sockets", _path("sockets", "listening")),
    Section("sysctls", "sysctl", "sysctl", "network sysctls", _sysctls, extra_fields=("name", "value")),
)

# fields the CNI views add (netstack_docs.model.hostviews.cni_networks) for the model's facts
CNI_VIEW_FIELDS = ("plugin_types", "bridges", "subnets", "ipam_types", "default", "plugin_settings",
                   "flannel_subnet")
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
            extra_fields=("bridge", "external_ids", "state"), state_of=hostviews.ovs_port_state),
    Section("ovs.flow_tables", "ovstable", "ovs_flow", "Open vSwitch OpenFlow tables",
            hostviews.ovs_flow_tables, host_wide=True,
            extra_fields=("bridge", "flows", "flow_count", "table_miss", "fail_mode", "controllers",
                          "trace_port")),
    Section("cni.networks", "cni", "cni_network", "CNI network configurations", hostviews.cni_networks,
            host_wide=True, extra_fields=CNI_VIEW_FIELDS),
    # second view: the network pods get, on the namespaces page (its home is the tooling page)
    Section("cni.default", "cnidefault", "cni_network", "the default CNI network", hostviews.cni_default,
            host_wide=True, extra_fields=CNI_VIEW_FIELDS),
)

SECTIONS: dict[str, Section] = {s.name: s for s in NAMESPACE_SECTIONS + HOST_SECTIONS}


def section(name: str) -> Section:
    try:
        return SECTIONS[name]
    except KeyError:
        raise KeyError(f"unknown snapshot section {name!r} (known: {', '.join(SECTIONS)})") from None


def namespace_state(snapshot: dict[str, Any], ns_id: str) -> dict[str, Any]:
    return ((snapshot.get("state") or {}).get("namespaces") or {}).get(ns_id) or {}


def as_routed(snapshot: dict[str, Any], ns: dict[str, Any]) -> dict[str, Any]:
    """The namespace as the kernel routes it: with the routes and link-local addresses the kernel
    derived itself, which the snapshot keeps in `state` (netstack_docs.capture.routes, .addresses).
    Whatever decides where a packet goes (trace, the rp_filter check) must see them."""
    state = namespace_state(snapshot, ns["id"])
    derived_routes = state.get("derived_routes") or []
    derived_addresses = state.get("derived_addresses") or []
    if not derived_routes and not derived_addresses:
        return ns
    return {**ns, "routes": [*ns.get("routes", []), *derived_routes],
            "addresses": [*ns.get("addresses", []), *derived_addresses]}


def walk(snapshot: dict[str, Any]) -> Iterator[tuple[Section, dict[str, Any] | None, int, Obj]]:
    """Every object of every section: (section, namespace or None for host-wide, index, object)."""
    for ns in snapshot["namespaces"]:
        ns_state = namespace_state(snapshot, ns["id"])
        for sec in NAMESPACE_SECTIONS:
            objs = sec.from_state(ns, ns_state) if sec.from_state else sec.items(ns)
            for i, obj in enumerate(objs):
                yield sec, ns, i, obj
    for sec in HOST_SECTIONS:
        for i, obj in enumerate(sec.items(snapshot)):
            yield sec, None, i, obj
