"""Traffic control of one namespace: qdiscs (root, ingress, clsact), classes and filters per interface.

Parameters are given in tc's units (rates in bit/s, bursts and limits in bytes, handles as
`major:minor` hex), converted from the kernel's psched ticks like tc does. Counters and rate
estimates go to state. BPF filters carry their prog_id and tag, which pyroute2 0.9.7 does not
decode (TCA_BPF_TAG, TCA_BPF_ID): they are read from the raw attribute bytes.
"""

from __future__ import annotations

import socket
from functools import cache
from typing import Any

from netstack_docs.capture import netns, tcparams
from netstack_docs.capture.context import NamespaceCapture

TC_H_ROOT = 0xFFFFFFFF
CLSACT_INGRESS, CLSACT_EGRESS = 0xFFFFFFF2, 0xFFFFFFF3
CLASSFUL = {"htb", "hfsc", "prio", "drr", "cbq", "qfq", "ets", "multiq", "mq", "mqprio", "taprio", "atm"}
PROTOCOLS = {0x0003: "all", 0x0800: "ip", 0x86DD: "ipv6", 0x0806: "arp", 0x8100: "802.1Q", 0x88A8: "802.1ad"}


def handle(value: int) -> str:
    """tc's spelling: `1:`, `1:20`, `ffff:fff2`, or `root`."""
    if value == TC_H_ROOT:
        return "root"
    major, minor = value >> 16, value & 0xFFFF
    return f"{major:x}:{minor:x}" if minor else f"{major:x}:"


def _common(msg: Any, ifnames: dict[int, str]) -> dict[str, Any]:
    return {"ifname": ifnames.get(msg["index"], f"if{msg['index']}"), "kind": msg.get_attr("TCA_KIND")}


def _stats(msg: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    stats2 = msg.get_attr("TCA_STATS2")
    for name, value in (stats2.get("attrs", []) if stats2 is not None else []):
        if isinstance(value, dict):
            out[name[10:].lower()] = {k: v for k, v in value.items() if not k.startswith("_")}
    return out


def parse_qdisc(msg: Any, ifnames: dict[int, str]) -> dict[str, Any]:
    qdisc = _common(msg, ifnames)
    qdisc["handle"] = handle(msg["handle"])
    qdisc["parent"] = handle(msg["parent"])
    qdisc["options"] = tcparams.options(qdisc["kind"], msg.get_attr("TCA_OPTIONS"))
    return qdisc


def parse_class(msg: Any, ifnames: dict[int, str]) -> dict[str, Any]:
    cls = _common(msg, ifnames)
    cls["classid"] = handle(msg["handle"])
    cls["parent"] = handle(msg["parent"])
    cls["options"] = tcparams.options(cls["kind"], msg.get_attr("TCA_OPTIONS"), is_class=True)
    if msg["info"]:
        cls["leaf"] = handle(msg["info"])  # the qdisc attached under this class
    return cls


def parse_filter(msg: Any, ifnames: dict[int, str]) -> dict[str, Any] | None:
    opts = msg.get_attr("TCA_OPTIONS")
    if opts is None:
        return None  # the per-priority chain head tc lists without a handle: no filter of its own
    proto = socket.ntohs(msg["info"] & 0xFFFF)
    flt = _common(msg, ifnames)
    flt.update({
        "parent": handle(msg["parent"]),
        "protocol": PROTOCOLS.get(proto, f"0x{proto:04x}"),
        "pref": msg["info"] >> 16,
        "handle": f"0x{msg['handle']:x}" if flt["kind"] != "u32" else tcparams.u32_handle(msg["handle"]),
        "chain": tcparams.raw_u32(msg, 11) or 0,
        "options": tcparams.options(flt["kind"], opts),
        "bpf": None,
    })
    if msg["parent"] in (CLSACT_INGRESS, CLSACT_EGRESS):
        flt["direction"] = "ingress" if msg["parent"] == CLSACT_INGRESS else "egress"
    if acts := tcparams.actions(opts, ifnames):
        flt["actions"] = acts
    if isinstance(flt["options"].get("classid"), int):
        flt["options"]["classid"] = handle(flt["options"]["classid"])  # tc's `flowid 1:10`
    if flt["kind"] == "bpf":
        flt["bpf"] = tcparams.bpf_filter(opts)
        if flt["bpf"] is None and (bytecode := tcparams.cbpf_bytecode(opts)):
            flt["options"] = {k: v for k, v in flt["options"].items() if k not in ("ops", "ops_len")}
            flt["options"]["bytecode"] = bytecode
    return flt


@cache
def _psched_ok() -> bool:
    return tcparams.tick_in_usec() > 0


def collect(ns: NamespaceCapture) -> None:
    ipr = netns.rtnl()
    qdiscs, classes, filters, state = [], [], [], {}
    parents: dict[int, set[int]] = {}  # ifindex -> parents to ask for filters
    for msg in ipr.get_qdiscs():
        qdisc = parse_qdisc(msg, ns.ifnames)
        qdiscs.append(qdisc)
        state[f"qdisc {qdisc['ifname']} {qdisc['handle']}"] = _stats(msg)
        wanted = parents.setdefault(msg["index"], set())
        if qdisc["kind"] == "clsact":
            wanted |= {CLSACT_INGRESS, CLSACT_EGRESS}
        elif qdisc["kind"] == "ingress":
            wanted.add(CLSACT_INGRESS)
        else:
            wanted.add(msg["handle"])
    for index in sorted(i for i, q in _classful(qdiscs, ns.ifnames).items() if q):
        for msg in ipr.get_classes(index=index):
            cls = parse_class(msg, ns.ifnames)
            classes.append(cls)
            state[f"class {cls['ifname']} {cls['classid']}"] = _stats(msg)
            parents.setdefault(index, set()).add(msg["handle"])
    seen = set()
    for index, wanted in sorted(parents.items()):
        for parent in sorted(wanted):
            for msg in ipr.get_filters(index=index, parent=parent):
                flt = parse_filter(msg, ns.ifnames)
                key = (index, msg["parent"], msg["info"], msg["handle"], flt and flt["chain"])
                if flt is not None and key not in seen:
                    seen.add(key)
                    filters.append(flt)
    ns.doc["tc"]["qdiscs"] = sorted(qdiscs, key=lambda q: (q["ifname"], q["parent"], q["handle"]))
    ns.doc["tc"]["classes"] = sorted(classes, key=lambda c: (c["ifname"], c["classid"]))
    ns.doc["tc"]["filters"] = sorted(filters, key=lambda f: (f["ifname"], f["parent"], f["pref"], f["chain"],
                                                             f["protocol"], f["handle"]))
    ns.state["tc"] = dict(sorted(state.items()))
    if qdiscs and not _psched_ok():
        ns.gap("tc burst sizes", "/proc/net/psched unreadable: bursts and latencies left in kernel ticks")


def _classful(qdiscs: list[dict[str, Any]], ifnames: dict[int, str]) -> dict[int, bool]:
    index_of = {name: index for index, name in ifnames.items()}
    out: dict[int, bool] = {}
    for qdisc in qdiscs:
        index = index_of.get(qdisc["ifname"])
        if index is not None:
            out[index] = out.get(index, False) or qdisc["kind"] in CLASSFUL
    return out
