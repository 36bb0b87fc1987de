"""The packet path through one host: the hooks of its root namespace, in the order the kernel runs them.

The order is the hook model's (netstack_docs.model.hookorder), the one trace walks, so the page, its
diagram and trace cannot disagree. Each step says its stage and the devices whose packets meet it.

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

from netstack_docs.model.hookorder import NETDEV_HOOKS, HookEntry, Slot, ip_hook, netdev_devices, netdev_hook
from netstack_docs.model.namespaces import namespace_ref, root_namespace
from netstack_docs.model.pathstep import Step, step
from netstack_docs.model.sections import section
from netstack_docs.model.tcpath import EGRESS_PARENTS, INGRESS_PARENTS, tc_steps, tcx_steps
from netstack_docs.snapshot.content import chain_devices, xdp_programs

L3_FAMILIES = {"ip", "ip6", "inet"}


@dataclass
class PacketPath:
    ingress: list[Step]
    egress: list[Step]
    other_namespaces: list[tuple[str, int]] = field(default_factory=list)  # (namespace label, hooks found)


def _entry_step(ns: dict[str, Any], hook: str, entry: HookEntry, slot: Slot, branch: str | None) -> Step:
    tie = "" if slot.known or len(slot.entries) < 2 else "; order among equal priority unknown"
    if entry.source == "iptables-legacy":
        view = entry.obj
        builtin = view["chains"].get(hook.upper()) or {}
        label = f"iptables-legacy {hook}: {view['key']} {hook.upper()}"
        detail = f"{len(builtin.get('rules') or [])} rules, policy {builtin.get('policy') or 'none'}{tie}"
        table = {k: v for k, v in view.items() if k != "chain"}
        return step("iptables", ns["id"], table, label, detail, branch, stage=hook)
    chain = entry.obj
    devices = netdev_devices(ns, chain) if hook in NETDEV_HOOKS else ()
    bound = chain_devices(chain)
    on = f" on {', '.join(bound)}" if bound else ""
    policy = chain.get("policy") or "accept"
    detail = f"type {chain.get('type') or 'filter'}, priority {entry.priority}, policy {policy}{tie}"
    skipped = sorted(set(bound) - set(devices))
    if bound and not devices:
        devices = ("",)  # every device it is bound to hands its packets to an ifb first: none reach it
    if skipped:
        detail += f"; not seen on {', '.join(skipped)} (tc redirects every packet to an ifb first)"
    label = f"nftables {hook}: {chain['family']} {chain['table']} {chain['name']}{on}"
    stage = f"netdev-{hook}" if hook in NETDEV_HOOKS else hook
    return step("nftchain", ns["id"], chain, label, detail, branch, stage=stage, devices=devices)


def _hook_chains(ns: dict[str, Any], hook: str, branch: str | None = None) -> list[Step]:
    """The chains on one hook in the order of the hook model (netstack_docs.model.hookorder)."""
    slots = netdev_hook(ns, hook, None) if hook in NETDEV_HOOKS else ip_hook(ns, hook, None)
    return [_entry_step(ns, hook, entry, slot, branch) for slot in slots for entry in slot.entries]


def _xdp(ns: dict[str, Any], progs: dict[int, dict[str, Any]]) -> list[Step]:
    out = []
    for link in section("links").items(ns):
        xdp = link.get("xdp")
        if not xdp:
            continue
        prog = progs.get(xdp.get("prog_id", -1))
        detail = "; ".join(
            f"mode {x.get('mode')}, program {x.get('prog_name') or '?'} (id {x.get('prog_id')})"
            for x in xdp_programs(xdp)
        )
        devices = (str(link["ifname"]),)
        label = f"XDP on {link['ifname']}"
        if prog is not None:
            out.append(step("prog", "host", prog, label, detail, stage="xdp", devices=devices))
        else:
            out.append(step("link", ns["id"], link, label, detail, stage="xdp", devices=devices))
    return out


def _routing(ns: dict[str, Any], label: str) -> Step:
    rules = section("rules").items(ns)
    # the tables the rules look up, and those with configured routes (the kernel's own are state)
    tables = sorted({str(r["table"]) for r in [*rules, *section("routes").items(ns)] if r.get("table")})
    custom = [r for r in rules if r["priority"] not in (0, 32766, 32767)]
    detail = (
        f"{len(rules)} policy rules ({len(custom)} beyond local/main/default); "
        f"tables: {', '.join(tables) or 'none'}"
    )
    first = (custom or rules)[:1]
    if first:
        return step("rule", ns["id"], first[0], label, detail, stage="routing")
    return Step(label, "routing", None, detail, stage="routing")


def _socket(ns: dict[str, Any]) -> Step:
    socks = section("sockets.listening").items(ns)
    ports = sorted({f"{s['protocol']}/{s['port']}" for s in socks})
    detail = (
        f"{len(socks)} listening sockets: {', '.join(ports)}" if socks else "no listening sockets captured"
    )
    if socks:
        return step("socket", ns["id"], socks[0], "local socket", detail, "local", stage="socket")
    return Step("local socket", "transport", None, detail, "local", stage="socket")


def _devices(ns: dict[str, Any]) -> list[Step]:
    return [
        step(
            "nic",
            ns["id"],
            link,
            f"transmit on {link['ifname']}",
            f"{(link.get('nic') or {}).get('driver') or 'driver unknown'}",
            stage="transmit",
            devices=(str(link["ifname"]),),
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
        *tcx_steps(root, progs, "ingress"),
        *tc_steps(root, INGRESS_PARENTS, "ingress"),
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
        *tcx_steps(root, progs, "egress"),
        *tc_steps(root, EGRESS_PARENTS, "egress"),
        *(
            devices
            or [
                Step(
                    "transmit on the chosen interface",
                    "link",
                    None,
                    "no hardware NIC captured",
                    stage="transmit",
                )
            ]
        ),
    ]
    others = [(namespace_ref(ns).label, _hook_count(ns)) for ns in snapshot["namespaces"] if ns is not root]
    return PacketPath(ingress, egress, [o for o in others if o[1]])
