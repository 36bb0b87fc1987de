"""Traffic control of one namespace: qdiscs (root, ingress, clsact), classes and filters per interface.

Parameters are given in tc's units (rates in bit/s, bursts and limits in bytes, handles as
`major:minor` hex), converted from the kernel's psched ticks like tc does. Counters and rate
estimates go to state. Options are decoded from the message bytes by the kind's own decoder
(tcqdiscs, tcfilters, tcactions); a kind, flower key or action without one is named in a gap.
"""

from __future__ import annotations

import socket
from functools import cache
from typing import Any

from netstack_docs.capture import netns, rawattr, tcfilters, tcparams, tcqdiscs
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


TCA_KIND, TCA_OPTIONS, TCA_CHAIN, TCA_INGRESS_BLOCK, TCA_EGRESS_BLOCK = 1, 2, 11, 13, 14
TCM_IFINDEX_MAGIC_BLOCK = 0xFFFFFFFF  # a filter dump of a shared block, not of one device
TCMSG_HEADER = 16 + 20  # nlmsghdr + tcmsg


def _raw(msg: Any) -> dict[int, bytes]:
    return rawattr.raw_attrs(msg, TCMSG_HEADER)


def _options(role: str, obj: dict[str, Any], msg: Any, undecoded: list[str]) -> dict[str, Any]:
    payload = _raw(msg).get(TCA_OPTIONS)
    decoder = tcqdiscs.DECODERS.get((role, obj["kind"]))
    if decoder is not None:
        return decoder(payload or b"")
    if payload:
        undecoded.append(f"{role} {obj['kind']}")
        return tcparams.generic_options(obj["kind"], msg.get_attr("TCA_OPTIONS"))
    return {}


def parse_qdisc(msg: Any, ifnames: dict[int, str], undecoded: list[str] | None = None) -> dict[str, Any]:
    qdisc = _common(msg, ifnames)
    qdisc["handle"] = handle(msg["handle"])
    qdisc["parent"] = handle(msg["parent"])
    qdisc["options"] = _options("qdisc", qdisc, msg, undecoded if undecoded is not None else [])
    raw = _raw(msg)
    for number, key in ((TCA_INGRESS_BLOCK, "ingress_block"), (TCA_EGRESS_BLOCK, "egress_block")):
        if rawattr.u32(raw.get(number)):  # `tc qdisc add dev X ingress_block 22 clsact`: filters shared
            qdisc[key] = rawattr.u32(raw[number])
    return qdisc


def parse_class(msg: Any, ifnames: dict[int, str], undecoded: list[str] | None = None) -> dict[str, Any]:
    cls = _common(msg, ifnames)
    cls["classid"] = handle(msg["handle"])
    cls["parent"] = handle(msg["parent"])
    cls["options"] = _options("class", cls, msg, undecoded if undecoded is not None else [])
    if msg["info"]:
        cls["leaf"] = handle(msg["info"])  # the qdisc attached under this class
    return cls


def parse_filter(msg: Any, ifnames: dict[int, str], undecoded: list[str] | None = None,
                 block_side: int | None = None) -> dict[str, Any] | None:
    """One filter; on a shared block (dumped by block, `block_side` = the clsact parent that names the
    block) it is the block's, named `block N` as `tc filter show block N` prints it, not a device's."""
    raw = _raw(msg)
    if TCA_OPTIONS not in raw:
        return None  # the per-priority chain head tc lists without a handle: no filter of its own
    proto = socket.ntohs(msg["info"] & 0xFFFF)
    flt = _common(msg, ifnames)
    parent = msg["parent"]
    if msg["index"] & 0xFFFFFFFF == TCM_IFINDEX_MAGIC_BLOCK:  # tcm_parent holds the block index
        flt.update(ifname=f"block {parent}", block=parent)
        parent = block_side if block_side is not None else parent
    flt.update({
        "parent": handle(parent),
        "protocol": PROTOCOLS.get(proto, f"0x{proto:04x}"),
        "pref": msg["info"] >> 16,
        "handle": f"0x{msg['handle']:x}" if flt["kind"] != "u32" else tcparams.u32_handle(msg["handle"]),
        "chain": rawattr.u32(raw.get(TCA_CHAIN)) or 0,
        "options": {},
        "bpf": None,
    })
    if parent in (CLSACT_INGRESS, CLSACT_EGRESS):
        flt["direction"] = "ingress" if parent == CLSACT_INGRESS else "egress"
    attrs = rawattr.walk(raw[TCA_OPTIONS])
    decoder = tcfilters.DECODERS.get(flt["kind"])
    if decoder is None:
        (undecoded if undecoded is not None else []).append(f"filter {flt['kind']}")
        flt["options"] = tcparams.generic_options(flt["kind"], msg.get_attr("TCA_OPTIONS"))
        return flt
    options, acts, missing = decoder(attrs, ifnames)
    flt["options"] = options
    if acts:
        flt["actions"] = acts
    if undecoded is not None:
        undecoded.extend(missing)
    if flt["kind"] == "bpf":
        flt["bpf"] = tcfilters.bpf_program(attrs)
    return flt


@cache
def _psched_ok() -> bool:
    return tcparams.tick_in_usec() > 0


def collect(ns: NamespaceCapture) -> None:
    ipr = netns.rtnl()
    qdiscs, classes, filters, state = [], [], [], {}
    undecoded: list[str] = []
    parents: dict[int, set[int]] = {}  # ifindex -> parents to ask for filters
    blocks: dict[int, int] = {}  # shared block -> the clsact parent it sits on: dumped once, by block
    for msg in ipr.get_qdiscs():
        qdisc = parse_qdisc(msg, ns.ifnames, undecoded)
        qdiscs.append(qdisc)
        state[f"qdisc {qdisc['ifname']} {qdisc['handle']}"] = _stats(msg)
        wanted = parents.setdefault(msg["index"], set())
        if qdisc["kind"] in ("clsact", "ingress"):
            sides = [(CLSACT_INGRESS, "ingress_block"), (CLSACT_EGRESS, "egress_block")]
            for side, attr in sides[:2 if qdisc["kind"] == "clsact" else 1]:
                if attr in qdisc:
                    blocks.setdefault(qdisc[attr], side)
                else:
                    wanted.add(side)
        elif qdisc["kind"] != "noqueue":  # it has no classes and no block: the kernel lists no filter
            wanted.add(msg["handle"])
    for index in sorted(i for i, q in _classful(qdiscs, ns.ifnames).items() if q):
        for msg in ipr.get_classes(index=index):
            cls = parse_class(msg, ns.ifnames, undecoded)
            classes.append(cls)
            state[f"class {cls['ifname']} {cls['classid']}"] = _stats(msg)
            parents.setdefault(index, set()).add(msg["handle"])
    seen = set()
    for index, wanted in sorted(parents.items()):
        for parent in sorted(wanted):
            for msg in ipr.get_filters(index=index, parent=parent):
                flt = parse_filter(msg, ns.ifnames, undecoded)
                key = (index, msg["parent"], msg["info"], msg["handle"], flt and flt["chain"])
                if flt is not None and key not in seen:
                    seen.add(key)
                    filters.append(flt)
    for block, side in sorted(blocks.items()):
        for msg in ipr.get_filters(index=-1, parent=block):  # tcm_ifindex is signed: -1 is the magic
            if (flt := parse_filter(msg, ns.ifnames, undecoded, block_side=side)) is not None:
                filters.append(flt)
    ns.doc["tc"]["qdiscs"] = sorted(qdiscs, key=lambda q: (q["ifname"], q["parent"], q["handle"]))
    ns.doc["tc"]["classes"] = sorted(classes, key=lambda c: (c["ifname"], c["classid"]))
    ns.doc["tc"]["filters"] = sorted(filters, key=lambda f: (f["ifname"], f["parent"], f["pref"], f["chain"],
                                                             f["protocol"], f["handle"]))
    ns.state["tc"] = dict(sorted(state.items()))
    if undecoded:
        kinds = ", ".join(sorted(set(undecoded)))
        ns.gap("tc options", f"not decoded (kept as pyroute2 reads them, unchecked): {kinds}; see `tc -d`")
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
