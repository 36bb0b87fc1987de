"""The kernel's order of what acts on a packet: one model that trace walks and the packet path draws.

On receive (`__netif_receive_skb_core`): XDP, tc ingress (clsact/ingress filters), the netfilter
ingress hook (nftables netdev/inet chains bound to the device), the bridge when the device is a
port, then the IP stack: prerouting, the routing decision, input and the socket, or forward. On
send and after forward: postrouting, the netfilter egress hook, tc egress, the root qdisc, the
device (`__dev_queue_xmit`: `nf_hook_egress` before `sch_handle_egress`).

On each netfilter hook, nftables base chains and iptables-legacy built-in chains run by priority. At
equal priority the kernel runs the most recently registered first (`nf_hook_entries_grow` inserts a
new hook before those of equal priority): within one table a chain's handle gives its creation
order; between tables, or between nftables and iptables-legacy, the snapshot cannot tell, and the
slot says so (`known` false) for the walk to fork on.

A tc ingress filter that redirects to an ifb device takes the packet before the netfilter ingress
hook, and the ifb hands it back with classification skipped (`skb_skip_tc_classify`): the device's
netdev ingress chains never see such a packet (`ifb_redirects`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netstack_docs.snapshot.content import chain_devices

Obj = dict[str, Any]

# iptables-legacy built-in chains at the kernel's fixed priorities (include/uapi/linux/netfilter_ipv4.h).
IPTABLES_PRIORITY = {"raw": -300, "mangle": -150, "nat": -100, "filter": 0, "security": 50}
# Chains of type nat (and iptables-legacy's nat table) do not run at their own priority: the NAT core
# registers one hook per NAT hook (nf_nat_register_fn) at NF_IP_PRI_NAT_DST (-100: prerouting, output)
# or NF_IP_PRI_NAT_SRC (100: postrouting, input), and calls them from there in the order of their own
# priorities, until one sets up the connection's NAT (nf_nat_inet_fn). Measured here: a filter chain
# at priority 0 sees the address a `type nat hook prerouting priority 50` chain rewrote.
NAT_CORE = {"prerouting": -100, "output": -100, "postrouting": 100, "input": 100}
IP_HOOKS = ("prerouting", "input", "forward", "output", "postrouting")
NETDEV_HOOKS = ("ingress", "egress")
FAMILIES = {4: ("ip", "inet"), 6: ("ip6", "inet"), None: ("ip", "ip6", "inet")}
LEGACY_FAMILIES = {4: ("ip",), 6: ("ip6",), None: ("ip", "ip6")}
RECEIVE = ("xdp", "tc-ingress", "netdev-ingress", "bridge", "prerouting", "routing")
LOCAL_IN = ("input", "socket")
FORWARD = ("forward", "postrouting", "netdev-egress", "tc-egress", "transmit")
SEND = ("routing", "output", "postrouting", "netdev-egress", "tc-egress", "transmit")
INGRESS_PARENTS = ("ffff:", "ffff:fff2", "ingress")
EGRESS_PARENTS = ("ffff:fff3", "egress")
ACCEPT_ALL_CBPF = ("1,6 0 0 4294967295", "1,6 0 0 65535", "1,6 0 0 262144")


@dataclass(frozen=True)
class HookEntry:
    """One chain on a netfilter hook: an nftables base chain or an iptables-legacy built-in chain."""

    source: str  # "nftables" | "iptables-legacy"
    priority: int
    obj: Obj  # the nftables chain, or the legacy table view {key, family, table, chains, chain}
    label: str
    table_key: str  # chains of one table are ordered by their handles
    own_priority: int | None = None  # a nat chain's own priority: its order inside the NAT core

    @property
    def nat(self) -> bool:
        return self.own_priority is not None

    @property
    def key(self) -> str:
        return f"{self.source}:{self.label}"


@dataclass(frozen=True)
class Slot:
    """The entries of one priority, in the kernel's order when `known`, else in a likely order."""

    priority: int
    entries: tuple[HookEntry, ...]
    known: bool


def _nft_entries(ns_doc: Obj, hook: str, families: tuple[str, ...], device: str | None) -> list[HookEntry]:
    out = []
    for chain in (ns_doc.get("nftables") or {}).get("chains", []):
        if chain.get("hook") != hook:
            continue
        if hook in NETDEV_HOOKS:
            if chain["family"] not in ("netdev", "inet") or (
                device is not None and device not in chain_devices(chain)
            ):
                continue
        elif chain["family"] not in families:
            continue
        label = f"{chain['family']} {chain['table']} {chain['name']}"
        table = f"nft {chain['family']} {chain['table']}"
        prio = int(chain.get("priority") or 0)
        if chain.get("type") == "nat" and hook in NAT_CORE:
            out.append(HookEntry("nftables", NAT_CORE[hook], chain, label, table, prio))
        else:
            out.append(HookEntry("nftables", prio, chain, label, table))
    return out


def _legacy_entries(ns_doc: Obj, hook: str, families: tuple[str, ...]) -> list[HookEntry]:
    out = []
    for key, chains in sorted((ns_doc.get("iptables") or {}).items()):
        family, _, table = key.rpartition(":")
        family = family or "ip"
        builtin = (chains or {}).get(hook.upper())
        if family not in families or builtin is None:
            continue
        view = {"key": key, "family": family, "table": table, "chains": chains, "chain": hook.upper()}
        label = f"{key} {hook.upper()}"
        if table == "nat" and hook in NAT_CORE:  # iptable_nat registers with the NAT core too
            core = NAT_CORE[hook]
            out.append(HookEntry("iptables-legacy", core, view, label, f"legacy {key}", core))
        else:
            prio = IPTABLES_PRIORITY.get(table, 0)
            out.append(HookEntry("iptables-legacy", prio, view, label, f"legacy {key}"))
    return out


def _slots(entries: list[HookEntry]) -> list[Slot]:
    by_prio: dict[int, list[HookEntry]] = {}
    for e in entries:
        by_prio.setdefault(e.priority, []).append(e)
    slots = []
    for prio in sorted(by_prio):
        group = by_prio[prio]
        tables = {e.table_key for e in group}
        handles = all(e.obj.get("handle") is not None for e in group if e.source == "nftables")
        # NAT core chains by their own priority; then newest first (a higher handle was created later)
        group.sort(key=lambda e: (_own(e), e.table_key, -(e.obj.get("handle") or 0), e.label))
        known = len(tables) <= 1 and (handles or len(group) == 1)
        if all(e.nat for e in group):  # one hook, the NAT core: its chains in their own priorities' order
            owns = [_own(e) for e in group]
            known = known or len(set(owns)) == len(owns)
        slots.append(Slot(prio, tuple(group), known))
    return slots


def _own(e: HookEntry) -> int:
    return e.own_priority if e.own_priority is not None else e.priority


def ip_hook(ns_doc: Obj, hook: str, version: int | None = None) -> list[Slot]:
    """The chains on an IP hook (prerouting ... postrouting) for IPv4 (4), IPv6 (6) or both (None)."""
    entries = _nft_entries(ns_doc, hook, FAMILIES[version], None)
    entries += _legacy_entries(ns_doc, hook, LEGACY_FAMILIES[version])
    return _slots(entries)


def netdev_hook(ns_doc: Obj, hook: str, device: str | None) -> list[Slot]:
    """nftables chains on the netfilter ingress/egress hook of `device` (every device when None)."""
    return _slots(_nft_entries(ns_doc, hook, (), device))


def filter_devices(ns_doc: Obj, flt: Obj, direction: str) -> list[str]:
    """The devices a filter runs on: its own, or every device whose clsact shares its block."""
    if flt.get("block") is None:
        return [str(flt.get("ifname"))]
    key = f"{direction}_block"
    return [q["ifname"] for q in (ns_doc.get("tc") or {}).get("qdiscs", []) if q.get(key) == flt["block"]]


def tc_filters(ns_doc: Obj, ifname: str, direction: str) -> list[Obj]:
    """tc filters on a device's ingress or egress (clsact/ingress qdisc, shared blocks too), in the order
    tc runs them (by preference)."""
    parents = INGRESS_PARENTS if direction == "ingress" else EGRESS_PARENTS
    out = [
        f
        for f in (ns_doc.get("tc") or {}).get("filters", [])
        if (f.get("parent") in parents or f.get("direction") == direction)
        and ifname in filter_devices(ns_doc, f, direction)
    ]
    return sorted(out, key=lambda f: (f.get("pref") or 0, str(f.get("handle"))))


def matches_every_packet(f: Obj) -> bool:
    """matchall, or a classic BPF program that accepts everything."""
    if f.get("kind") == "matchall":
        return True
    return f.get("kind") == "bpf" and (f.get("options") or {}).get("bytecode") in ACCEPT_ALL_CBPF


def ifb_redirects(ns_doc: Obj, ifname: str, always: bool = False) -> list[tuple[Obj, str]]:
    """(filter, ifb device) for each tc ingress filter of `ifname` that redirects to an ifb; with `always`,
    only those that take every packet (no eBPF program, a match-everything filter)."""
    out = []
    for f in tc_filters(ns_doc, ifname, "ingress"):
        if always and (not matches_every_packet(f) or (f.get("bpf") or {}).get("prog_id") is not None):
            continue
        for action in f.get("actions") or []:
            dev = str(action.get("dev") or "")
            verb = str(action.get("action") or "")
            if action.get("kind") == "mirred" and "redirect" in verb and dev.startswith("ifb"):
                out.append((f, dev))
    return out


def netdev_devices(ns_doc: Obj, chain: Obj) -> tuple[str, ...]:
    """The devices whose packets a netdev ingress chain sees: those it is bound to, minus any whose tc
    ingress redirects every packet to an ifb first."""
    devices = chain_devices(chain)
    if chain.get("hook") != "ingress":
        return tuple(devices)
    return tuple(d for d in devices if not ifb_redirects(ns_doc, d, always=True))


@dataclass(frozen=True)
class Stage:
    """One stage of a device's path: what acts there (objects of the snapshot) and any note on it."""

    name: str  # one of RECEIVE / FORWARD / SEND's words
    device: str | None
    objects: tuple[Obj, ...]
    slots: tuple[Slot, ...] = ()
    note: str = ""


def device_ingress(ns_doc: Obj, ifname: str) -> list[Stage]:
    """What a packet arriving on `ifname` meets before the IP stack, in the kernel's order."""
    link: Obj = next((lk for lk in ns_doc.get("links", []) if lk.get("ifname") == ifname), {})
    out = []
    if link.get("xdp"):
        out.append(Stage("xdp", ifname, (link,)))
    filters = tc_filters(ns_doc, ifname, "ingress")
    if filters:
        out.append(Stage("tc-ingress", ifname, tuple(filters)))
    slots = netdev_hook(ns_doc, "ingress", ifname)
    if slots:
        redirects = ifb_redirects(ns_doc, ifname)
        note = (
            f"not seen by packets that tc redirects to {', '.join(sorted({d for _, d in redirects}))} "
            "(the ifb hands them back with classification skipped)"
            if redirects
            else ""
        )
        out.append(Stage("netdev-ingress", ifname, (), tuple(slots), note))
    if link.get("master"):
        out.append(Stage("bridge", ifname, (link,), note=f"port of {link['master']}"))
    return out


def device_egress(ns_doc: Obj, ifname: str) -> list[Stage]:
    """What a packet leaving through `ifname` meets after postrouting, in the kernel's order."""
    out = []
    slots = netdev_hook(ns_doc, "egress", ifname)
    if slots:
        out.append(Stage("netdev-egress", ifname, (), tuple(slots)))
    filters = tc_filters(ns_doc, ifname, "egress")
    qdiscs = [
        q
        for q in (ns_doc.get("tc") or {}).get("qdiscs", [])
        if q.get("ifname") == ifname and q.get("parent") == "root"
    ]
    if filters or qdiscs:
        out.append(Stage("tc-egress", ifname, tuple(filters) + tuple(qdiscs)))
    return out
