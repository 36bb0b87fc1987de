"""Flow-queueing and active queue management qdiscs (fq, fq_codel, codel, sfq, cake), decoded from bytes.

These are the qdiscs hosts run by default or for latency (`net.core.default_qdisc`, CAKE on
routers, SFQ in shaping scripts). Attribute numbers and structs are include/uapi/linux/pkt_sched.h;
keys and units follow `tc -s qdisc show` (times in µs as `*_us`, rates in bit/s, sizes in bytes).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from netstack_docs.capture import rawattr

UNLIMITED = 0xFFFFFFFF


def priomap(raw: bytes) -> dict[str, Any]:
    """struct tc_prio_qopt: bands and the 16-entry priority -> band map (prio, pfifo_fast, fq)."""
    bands = struct.unpack_from("=i", raw)[0]
    return {"bands": bands, "priomap": list(raw[4:20])}


_FQ_CODEL = {1: ("target_us", "u32"), 2: ("limit", "u32"), 3: ("interval_us", "u32"), 4: ("ecn", "bool"),
             5: ("flows", "u32"), 6: ("quantum", "u32"), 7: ("ce_threshold_us", "u32"),
             8: ("drop_batch", "u32"), 9: ("memory_limit", "u32"), 10: ("ce_threshold_selector", "u8"),
             11: ("ce_threshold_mask", "u8")}
_FQ = {1: ("limit", "u32"), 2: ("flow_limit", "u32"), 3: ("quantum", "u32"), 4: ("initial_quantum", "u32"),
       5: ("rate_enable", "bool"), 7: ("maxrate", "rate"), 8: ("buckets", "log"),
       9: ("refill_delay_us", "u32"), 10: ("orphan_mask", "u32"), 11: ("low_rate_threshold", "rate"),
       12: ("ce_threshold_us", "u32"), 13: ("timer_slack_ns", "u32"), 14: ("horizon_us", "u32"),
       15: ("horizon_drop", "bool")}


def _by_table(table: dict[int, tuple[str, str]], raw: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, value in rawattr.walk(raw).items():
        if number not in table:
            continue
        key, kind = table[number]
        number_value = rawattr.u8(value) if kind == "u8" or len(value) == 1 else rawattr.u32(value)
        if number_value is None:
            continue
        if kind == "bool":
            out[key] = bool(number_value)
        elif kind == "log":
            out[key] = 1 << number_value
        elif kind == "rate":
            out[key] = None if number_value == UNLIMITED else number_value * 8  # bytes/s -> bit/s
        else:
            out[key] = number_value
    return out


def fq_codel(raw: bytes) -> dict[str, Any]:
    return _by_table(_FQ_CODEL, raw)


def fq(raw: bytes) -> dict[str, Any]:
    out = _by_table(_FQ, raw)
    attrs = rawattr.walk(raw)
    if len(attrs.get(16, b"")) >= 20:  # TCA_FQ_PRIOMAP (6.9+): band per priority
        out.update(priomap(attrs[16]))
    if len(attrs.get(17, b"")) >= 12:  # TCA_FQ_WEIGHTS: one per band
        out["weights"] = list(struct.unpack_from("=3i", attrs[17]))
    return out


_CODEL = {1: ("target_us", "u32"), 2: ("limit", "u32"), 3: ("interval_us", "u32"), 4: ("ecn", "bool"),
          5: ("ce_threshold_us", "u32")}


def codel(raw: bytes) -> dict[str, Any]:
    return _by_table(_CODEL, raw)


def sfq(raw: bytes) -> dict[str, Any]:
    """struct tc_sfq_qopt (quantum, perturb, limit, divisor, flows) then the v1 depth and headdrop;
    the v1 RED statistics after them are counters, left out."""
    if len(raw) < 20:
        return {}
    quantum, perturb, limit, divisor, flows = struct.unpack_from("=IiIII", raw)
    out: dict[str, Any] = {"limit": limit, "quantum": quantum, "divisor": divisor, "flows": flows,
                           "perturb_s": perturb}
    if len(raw) >= 28:
        depth, headdrop = struct.unpack_from("=II", raw, 20)
        out.update(depth=depth, headdrop=bool(headdrop))
    return out


CAKE_DIFFSERV = {0: "diffserv3", 1: "diffserv4", 2: "diffserv8", 3: "besteffort", 4: "precedence"}
CAKE_FLOWS = {0: "flowblind", 1: "srchost", 2: "dsthost", 3: "hosts", 4: "flows", 5: "dual-srchost",
              6: "dual-dsthost", 7: "triple-isolate"}
CAKE_ATM = {0: "noatm", 1: "atm", 2: "ptm"}
CAKE_ACK = {0: "no-ack-filter", 1: "ack-filter", 2: "ack-filter-aggressive"}
# TCA_CAKE_* -> (key, decoder)
_CAKE: dict[int, tuple[str, Callable[[bytes], Any]]] = {
    2: ("bandwidth", lambda v: (rawattr.u64(v) or 0) * 8),
    3: ("diffserv", lambda v: CAKE_DIFFSERV.get(rawattr.u32(v) or 0, str(rawattr.u32(v)))),
    4: ("atm", lambda v: CAKE_ATM.get(rawattr.u32(v) or 0, str(rawattr.u32(v)))),
    5: ("flow_mode", lambda v: CAKE_FLOWS.get(rawattr.u32(v) or 0, str(rawattr.u32(v)))),
    6: ("overhead", lambda v: rawattr.s32(v)),
    7: ("rtt_us", lambda v: rawattr.u32(v)),
    8: ("target_us", lambda v: rawattr.u32(v)),
    9: ("autorate_ingress", lambda v: bool(rawattr.u32(v))),
    10: ("memlimit", lambda v: rawattr.u32(v)),
    11: ("nat", lambda v: bool(rawattr.u32(v))),
    12: ("raw", lambda v: bool(rawattr.u32(v))),
    13: ("wash", lambda v: bool(rawattr.u32(v))),
    14: ("mpu", lambda v: rawattr.u32(v)),
    15: ("ingress", lambda v: bool(rawattr.u32(v))),
    16: ("ack_filter", lambda v: CAKE_ACK.get(rawattr.u32(v) or 0, str(rawattr.u32(v)))),
    17: ("split_gso", lambda v: bool(rawattr.u32(v))),
    18: ("fwmark", lambda v: f"0x{rawattr.u32(v) or 0:x}"),
}


def cake(raw: bytes) -> dict[str, Any]:
    attrs = rawattr.walk(raw)
    out = {key: decode(attrs[number]) for number, (key, decode) in _CAKE.items() if number in attrs}
    if out.get("memlimit") == 0:
        del out["memlimit"]  # 0: the kernel picks the limit from the bandwidth
    return out


DECODERS: dict[str, Callable[[bytes], dict[str, Any]]] = {
    "fq": fq, "fq_codel": fq_codel, "codel": codel, "sfq": sfq, "cake": cake}
