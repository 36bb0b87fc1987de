"""Views of the host-wide Open vSwitch and CNI sections: one object per thing a reader looks for.

The snapshot nests OVS as bridges -> ports -> interfaces and keeps each bridge's flows in one list;
a reader looks for a bridge, a port, or one flow table of a bridge. CNI files nest plugins inside
networks; a reader looks for a network and the bridge and subnet it declares. These views add the
few derived fields the model's facts and commands name (listed as the sections' extra_fields).
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def ovs_bridges(snapshot: dict[str, Any]) -> list[Obj]:
    out = []
    for br in (snapshot.get("ovs") or {}).get("bridges") or []:
        tables = sorted({f["table"] for f in br.get("flows") or []})
        # ports and flows are objects of their own (ovs_ports, ovs_flow_tables): not repeated here
        rest = {k: v for k, v in br.items() if k not in ("ports", "flows")}
        out.append(
            {
                **rest,
                "port_names": [p["name"] for p in br.get("ports") or []],
                "flow_count": len(br.get("flows") or []),
                "tables": tables,
            }
        )
    return out


def _external_ids(port: Obj) -> Obj:
    """The allowlisted external_ids of the port's interfaces (one interface: its own; a bond: merged)."""
    found: Obj = {}
    for iface in port.get("interfaces") or []:
        for key, value in (iface.get("external_ids") or {}).items():
            found.setdefault(key, value)
    return found


def ovs_ports(snapshot: dict[str, Any]) -> list[Obj]:
    out = []
    for br in (snapshot.get("ovs") or {}).get("bridges") or []:
        for port in br.get("ports") or []:
            ids = _external_ids(port)
            view = {**port, "bridge": br["name"]}
            if ids:  # what an orchestrator (OpenStack, OVN) tied the port to: the VM, its MAC
                view["external_ids"] = ids
            out.append(view)
    return out


def ovs_port_state(state: dict[str, Any], port: Obj) -> Obj | None:
    """A port's running interface facts (MAC in use, ofport, link state) from the host's `state.ovs`."""
    bridges = (state.get("ovs") or {}).get("bridges") or {}
    ifaces = (bridges.get(port["bridge"]) or {}).get("interfaces") or {}
    names = [i["name"] for i in port.get("interfaces") or []] or [port["name"]]
    found = [ifaces[n] for n in names if isinstance(ifaces.get(n), dict)]
    if not found:
        return None
    macs = [f["mac_in_use"] for f in found if f.get("mac_in_use")]
    return {**found[0], "macs_in_use": macs}


def flow_text(flow: Obj) -> str:
    """One flow as `ovs-ofctl dump-flows --no-stats` spells it (table left out: it is the table's)."""
    parts = [] if flow.get("cookie") in (None, "0x0") else [f"cookie={flow['cookie']}"]
    match = ",".join(p for p in (f"priority={flow['priority']}", flow.get("match")) if p)
    return " ".join([*parts, match, f"actions={flow['actions']}"])


def ovs_flow_tables(snapshot: dict[str, Any]) -> list[Obj]:
    """One object per (bridge, OpenFlow table), its flows in priority order as text."""
    out = []
    for br in (snapshot.get("ovs") or {}).get("bridges") or []:
        tables: dict[int, list[Obj]] = {}
        for flow in br.get("flows") or []:
            tables.setdefault(flow["table"], []).append(flow)
        # a real port to trace from: the first one that is not the bridge's own internal port
        ports = [p["name"] for p in br.get("ports") or [] if p["name"] != br["name"]]
        for table, flows in sorted(tables.items()):
            miss = [f for f in flows if not f.get("match")]
            out.append(
                {
                    "bridge": br["name"],
                    "table": table,
                    "flow_count": len(flows),
                    "flows": [flow_text(f) for f in flows],
                    "table_miss": miss[-1]["actions"] if miss else None,
                    "fail_mode": br.get("fail_mode"),
                    "controllers": br.get("controllers") or [],
                    "trace_port": ports[0] if ports else br["name"],
                }
            )
    return out


def _declared(plugins: list[Obj], key: str) -> list[Any]:
    found = []
    for p in plugins:
        for source in (p, p.get("delegate") or {}):
            if source.get(key) not in (None, "") and source[key] not in found:
                found.append(source[key])
    return found


def _subnets(plugins: list[Obj]) -> list[str]:
    found = []
    for p in plugins:
        ipam = p.get("ipam") or {}
        found += [ipam["subnet"]] if ipam.get("subnet") else []
        found += [r["subnet"] for rs in ipam.get("ranges") or [] for r in rs or [] if (r or {}).get("subnet")]
    return found


def _json_word(value: Any) -> str:
    """A scalar as the CNI file spells it: true/false, numbers and strings bare."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _range_text(r: Obj) -> str:
    extra = []
    if r.get("rangeStart") or r.get("rangeEnd"):
        extra.append(f"{r.get('rangeStart') or '...'}-{r.get('rangeEnd') or '...'}")
    if r.get("gateway"):
        extra.append(f"gateway {r['gateway']}")
    return str(r.get("subnet") or "?") + (f" ({', '.join(extra)})" if extra else "")


def _route_text(r: Obj) -> str:
    return str(r.get("dst") or "?") + (f" via {r['gw']}" if r.get("gw") else "")


def _settings(obj: Obj, prefix: str = "") -> list[str]:
    """The allowlisted fields of one plugin as `dotted.key value` words, in the file's own spelling."""
    out = []
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if key == "type" and not prefix:
            continue  # the plugin's name: shown first
        if isinstance(value, dict):
            words = _settings(value, f"{name}.")
            out += words or [f"{name} {{}}"]
        elif key == "ranges" and isinstance(value, list):
            sets = [" + ".join(_range_text(r) for r in rs or [] if isinstance(r, dict)) for rs in value]
            out.append(f"{name} {' and '.join(sets)}")
        elif key == "routes" and isinstance(value, list):
            out.append(f"{name} {', '.join(_route_text(r) for r in value if isinstance(r, dict))}")
        elif isinstance(value, list):
            out.append(f"{name} [{', '.join(_json_word(v) for v in value)}]")
        else:
            out.append(f"{name} {_json_word(value)}")
    return out


def plugin_settings(plugins: list[Obj]) -> list[str]:
    """One line per plugin, in order: `bridge: bridge cni0, isGateway true, ipam.ranges 10.244.1.0/24`."""
    return [f"{p.get('type') or '(no type)'}: {', '.join(_settings(p)) or 'no settings'}" for p in plugins]


FLANNEL_FIELDS = (("network", "network"), ("subnet", "subnet"), ("ipv6_network", "IPv6 network"),
                  ("ipv6_subnet", "IPv6 subnet"), ("mtu", "MTU"), ("ipmasq", "ipmasq"))


def flannel_text(flannel: Obj | None) -> str | None:
    """flanneld's subnet.env as the flannel plugin reads it: `network 10.244.0.0/16, subnet ..., MTU 1450`."""
    if not flannel:
        return None
    words = [f"{label} {_json_word(flannel[k])}" for k, label in FLANNEL_FIELDS if k in flannel]
    return f"{', '.join(words) or 'no FLANNEL_ variables'} (from {flannel.get('file')})"


def cni_networks(snapshot: dict[str, Any]) -> list[Obj]:
    cni = snapshot.get("cni") or {}
    networks = cni.get("networks") or []
    out = []
    for i, net in enumerate(networks):
        plugins = net.get("plugins") or []
        uses_flannel = any(p.get("type") == "flannel" for p in plugins)
        out.append(
            {
                **net,
                "plugin_settings": plugin_settings(plugins),
                "flannel_subnet": flannel_text(cni.get("flannel")) if uses_flannel and i == 0 else None,
                "plugin_types": [p.get("type") for p in plugins],
                "bridges": _declared(plugins, "bridge") or _declared(plugins, "master"),
                "subnets": _subnets(plugins),
                "ipam_types": [
                    (p.get("ipam") or {}).get("type") for p in plugins if (p.get("ipam") or {}).get("type")
                ],
                "default": i == 0,
            }
        )
    return out


def cni_default(snapshot: dict[str, Any]) -> list[Obj]:
    """The network new pods get: the runtime takes the first file in name order."""
    return cni_networks(snapshot)[:1]
