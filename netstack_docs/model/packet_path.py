"""The packet path through one host: the hooks of its root namespace, in the order the kernel runs them.

Ingress: XDP -> tc ingress (and the ifb qdisc its filters redirect to) -> netfilter ingress ->
prerouting chains (by priority) -> routing decision -> forward chains (for other hosts) or input
chains -> socket. Egress (locally generated): routing decision -> output chains (a `route` chain
routes again only when it changed the mark or addresses) -> postrouting chains -> netfilter egress
-> tc egress -> device. Only hooks that exist on this host are listed, plus the routing decision
and socket that always exist. Every step names the layer page and the anchor of the object it
points at, using the same layer_of as the pages do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netstack_docs.model.classify import layer_of
from netstack_docs.model.identity import object_anchor
from netstack_docs.model.namespaces import namespace_ref, root_namespace
from netstack_docs.model.sections import section
from netstack_docs.snapshot.content import chain_devices

# iptables-legacy built-in chains run at fixed netfilter priorities (include/uapi/linux/netfilter_ipv4.h).
IPTABLES_PRIORITY = {"raw": -300, "mangle": -150, "nat": -100, "filter": 0, "security": 50}
IPT_NAT_POST = 100  # NF_IP_PRI_NAT_SRC: SNAT runs late in POSTROUTING/INPUT
INGRESS_PARENTS = {"ffff:fff2", "ffff:", "ingress"}
EGRESS_PARENTS = {"ffff:fff3", "egress"}
L3_FAMILIES = {"ip", "ip6", "inet"}


@dataclass(frozen=True)
class Step:
    label: str  # untrusted parts inside (interface and chain names)
    layer: str
    anchor: str | None
    detail: str  # untrusted parts inside
    branch: str | None = None  # "forward" or "local" after the routing decision, else None


@dataclass
class PacketPath:
    ingress: list[Step]
    egress: list[Step]
    other_namespaces: list[tuple[str, int]] = field(default_factory=list)  # (namespace label, hooks found)


def _step(
    kind: str, ns_id: str, obj: dict[str, Any], label: str, detail: str, branch: str | None = None
) -> Step:
    return Step(label, layer_of(kind, obj), object_anchor(kind, ns_id, obj), detail, branch)


def _hook_chains(ns: dict[str, Any], hook: str, branch: str | None = None) -> list[Step]:
    """nftables base chains and iptables-legacy built-in chains on one hook, by priority."""
    found: list[tuple[int, str, Step]] = []
    for chain in section("nftables.chains").items(ns):
        if chain.get("hook") == hook and (chain["family"] in L3_FAMILIES or hook in ("ingress", "egress")):
            prio = chain.get("priority") or 0
            on = f" on {', '.join(devices)}" if (devices := chain_devices(chain)) else ""
            policy = chain.get("policy") or "accept"
            detail = f"type {chain.get('type') or 'filter'}, priority {prio}, policy {policy}"
            label = f"nftables {hook}: {chain['family']} {chain['table']} {chain['name']}{on}"
            found.append((prio, label, _step("nftchain", ns["id"], chain, label, detail, branch)))
    for table in section("iptables").items(ns):
        builtin = table["chains"].get(hook.upper())
        if builtin is None:
            continue
        prio = (
            IPT_NAT_POST
            if table["table"] == "nat" and hook in ("postrouting", "input")
            else IPTABLES_PRIORITY.get(table["table"], 0)
        )
        label = f"iptables-legacy {hook}: {table['key']} {hook.upper()}"
        detail = f"{len(builtin.get('rules') or [])} rules, policy {builtin.get('policy') or 'none'}"
        found.append((prio, label, _step("iptables", ns["id"], table, label, detail, branch)))
    return [s for _, _, s in sorted(found, key=lambda t: (t[0], t[1]))]


def _xdp(ns: dict[str, Any], progs: dict[int, dict[str, Any]]) -> list[Step]:
    out = []
    for link in section("links").items(ns):
        xdp = link.get("xdp")
        if not xdp:
            continue
        prog = progs.get(xdp.get("prog_id", -1))
        detail = f"mode {xdp.get('mode')}, program {xdp.get('prog_name') or '?'} (id {xdp.get('prog_id')})"
        if prog is not None:
            out.append(_step("prog", "host", prog, f"XDP on {link['ifname']}", detail))
        else:
            out.append(_step("link", ns["id"], link, f"XDP on {link['ifname']}", detail))
    return out


def ingress_redirects(ns: dict[str, Any]) -> dict[str, list[str]]:
    """Device -> the ifb devices its ingress filters redirect (or mirror) to with mirred.

    Their qdiscs shape that device's *incoming* traffic (the usual ingress-shaping setup), so the
    path shows them on the device's ingress, not as a step of the host's egress."""
    kinds = {link["ifname"]: link.get("kind") for link in section("links").items(ns)}
    out: dict[str, list[str]] = {}
    for f in section("tc.filters").items(ns):
        if f["parent"] not in INGRESS_PARENTS:
            continue
        for act in f.get("actions") or []:
            target = act.get("dev")
            targets = out.setdefault(f["ifname"], [])
            if act.get("kind") == "mirred" and kinds.get(target) == "ifb" and target not in targets:
                targets.append(target)
    return {dev: targets for dev, targets in out.items() if targets}


def _tc(ns: dict[str, Any], parents: set[str], direction: str) -> list[Step]:
    filters = section("tc.filters").items(ns)
    qdiscs = section("tc.qdiscs").items(ns)
    redirects = ingress_redirects(ns)
    fed = {ifb for targets in redirects.values() for ifb in targets}
    out = []
    for q in qdiscs:
        count = sum(1 for f in filters if f["ifname"] == q["ifname"] and f["parent"] in parents)
        if q["kind"] in ("clsact", "ingress") and (
            count or direction == "ingress" and q["kind"] == "ingress"
        ):
            detail = f"{q['kind']} qdisc with {count} {direction} filter{'s' if count != 1 else ''}"
        elif direction == "egress" and q["parent"] == "root" and q["kind"] != "noqueue" \
                and q["ifname"] not in fed:
            detail = f"root qdisc {q['kind']} (handle {q['handle']})"
        else:
            continue
        out.append(_step("qdisc", ns["id"], q, f"tc {direction} on {q['ifname']}", detail))
        if direction == "ingress":
            out += _ifb_steps(ns, q["ifname"], redirects.get(q["ifname"], []), qdiscs)
    return out


def _ifb_steps(ns: dict[str, Any], dev: str, targets: list[str], qdiscs: list[dict[str, Any]]) -> list[Step]:
    """The qdisc of each ifb that `dev`'s ingress filters redirect to, shown as part of `dev`'s ingress."""
    out = []
    for ifb in targets:
        for q in qdiscs:
            if q["ifname"] == ifb and q["parent"] == "root":
                detail = (f"root qdisc {q['kind']} (handle {q['handle']}) on {ifb}, fed by a mirred redirect "
                          f"of {dev}'s incoming packets; they then continue on {dev}")
                out.append(_step("qdisc", ns["id"], q, f"tc ingress shaping via {ifb} on {dev}", detail))
    return out


def _tcx(ns: dict[str, Any], progs: dict[int, dict[str, Any]], direction: str) -> list[Step]:
    """BPF programs attached by BPF link to the tcx hooks (the qdisc-less successor of clsact)."""
    out = []
    for prog in progs.values():
        for att in prog.get("attached") or []:
            if (
                att.get("kind") == "tcx"
                and att.get("namespace") == ns["id"]
                and direction in (att.get("detail") or "")
            ):
                label = f"tcx {direction} on {att.get('ifname') or '?'}"
                out.append(
                    _step("prog", "host", prog, label, f"program {prog.get('name') or '?'} ({prog['type']})")
                )
    return out


def _routing(ns: dict[str, Any], label: str) -> Step:
    rules = section("rules").items(ns)
    tables = sorted({str(r["table"]) for r in section("routes").items(ns)})
    custom = [r for r in rules if r["priority"] not in (0, 32766, 32767)]
    detail = (
        f"{len(rules)} policy rules ({len(custom)} beyond local/main/default); "
        f"tables: {', '.join(tables) or 'none'}"
    )
    first = (custom or rules)[:1]
    if first:
        return _step("rule", ns["id"], first[0], label, detail)
    return Step(label, "routing", None, detail)


def _socket(ns: dict[str, Any]) -> Step:
    socks = section("sockets.listening").items(ns)
    ports = sorted({f"{s['protocol']}/{s['port']}" for s in socks})
    detail = (
        f"{len(socks)} listening sockets: {', '.join(ports)}" if socks else "no listening sockets captured"
    )
    if socks:
        return _step("socket", ns["id"], socks[0], "local socket", detail, "local")
    return Step("local socket", "transport", None, detail, "local")


def _devices(ns: dict[str, Any]) -> list[Step]:
    return [
        _step(
            "nic",
            ns["id"],
            link,
            f"transmit on {link['ifname']}",
            f"{(link.get('nic') or {}).get('driver') or 'driver unknown'}",
        )
        for link in section("nics").items(ns)
    ]


def _hook_count(ns: dict[str, Any]) -> int:
    hooks = sum(1 for c in section("nftables.chains").items(ns) if c.get("hook"))
    hooks += sum(1 for q in section("tc.qdiscs").items(ns) if q["kind"] in ("clsact", "ingress"))
    return hooks + sum(1 for link in section("links").items(ns) if link.get("xdp"))


def packet_path(snapshot: dict[str, Any]) -> PacketPath:
    """The hooks of the root namespace (the namespace the host's own traffic crosses)."""
    root = root_namespace(snapshot)
    progs = {p["id"]: p for p in section("bpf.programs").items(snapshot)}
    ingress = [
        *_xdp(root, progs),
        *_tcx(root, progs, "ingress"),
        *_tc(root, INGRESS_PARENTS, "ingress"),
        *_hook_chains(root, "ingress"),
        *_hook_chains(root, "prerouting"),
        _routing(root, "routing decision"),
        *_hook_chains(root, "forward", "forward"),
        *_hook_chains(root, "input", "local"),
        _socket(root),
    ]
    devices = _devices(root)
    egress = [
        _routing(root, "routing decision (output)"),
        *_hook_chains(root, "output"),
        *_hook_chains(root, "postrouting"),
        *_hook_chains(root, "egress"),
        *_tcx(root, progs, "egress"),
        *_tc(root, EGRESS_PARENTS, "egress"),
        *(devices or [Step("transmit on the chosen interface", "link", None, "no hardware NIC captured")]),
    ]
    others = [(namespace_ref(ns).label, _hook_count(ns)) for ns in snapshot["namespaces"] if ns is not root]
    return PacketPath(ingress, egress, [o for o in others if o[1]])
