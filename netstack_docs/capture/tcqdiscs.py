"""Options of qdiscs and classes, decoded from TCA_OPTIONS bytes against include/uapi/linux/pkt_sched.h.

Shaping and structure here (fifos, tbf, htb, hfsc, prio, mqprio, netem, ets); the flow-queueing and
active-queue-management qdiscs (fq, fq_codel, codel, sfq, cake) in tcaqm.

pyroute2 0.9.7 returns `{}` for fq, mq, mqprio, bfifo, ets and others and skips netem's base
struct; reading the bytes ourselves means what tc shows is what the snapshot holds. Units follow
tc: rates in bit/s, sizes in bytes, times in microseconds (`_us` keys), psched ticks converted as
tc_core.c does. Runtime counters inside options (htb direct_pkts) are left out: they are state.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from netstack_docs.capture import rawattr, tcaqm
from netstack_docs.capture.tcaqm import priomap
from netstack_docs.capture.tcparams import TIME_UNITS_PER_SEC, ticks_to_bytes, ticks_to_usec

Decoder = Callable[[bytes], dict[str, Any]]
UNLIMITED = 0xFFFFFFFF  # netem probabilities: always


def _two_rates(raw: bytes, parms_type: int, size: int, rate64: int,
               other64: int) -> tuple[bytes, int, int] | None:
    """(parms struct, rate, second rate) in bytes/s of tbf (rate, peakrate) and htb classes (rate,
    ceil): both structs open with two tc_ratespec (12 bytes, the u32 rate at offset 8); a rate
    above 4 GB/s comes in its own u64 attribute instead."""
    attrs = rawattr.walk(raw)
    parms = attrs.get(parms_type, b"")
    if len(parms) < size:
        return None
    rate = rawattr.u64(attrs.get(rate64)) or struct.unpack_from("=I", parms, 8)[0]
    other = rawattr.u64(attrs.get(other64)) or struct.unpack_from("=I", parms, 20)[0]
    return parms, rate, other


def fifo(raw: bytes) -> dict[str, Any]:
    return {"limit": rawattr.u32(raw)}  # packets for pfifo, bytes for bfifo


def tbf(raw: bytes) -> dict[str, Any]:
    """TCA_TBF_PARMS (tc_tbf_qopt: rate, peakrate, limit, buffer, mtu), TCA_TBF_RATE64/PRATE64."""
    found = _two_rates(raw, 1, 36, 4, 5)
    if found is None:
        return {}
    parms, rate_b, peak_b = found
    limit, buffer, mtu = struct.unpack_from("=III", parms, 24)
    out: dict[str, Any] = {"limit": limit, "rate": rate_b * 8, "burst": ticks_to_bytes(buffer, rate_b)}
    if peak_b:
        out.update(peak=peak_b * 8, mtu=ticks_to_bytes(mtu, peak_b))
    buffer_us = ticks_to_usec(buffer)
    if rate_b and buffer_us is not None:  # tc's sprint of `latency`: queue time of `limit` minus burst time
        latency = TIME_UNITS_PER_SEC * limit / rate_b - buffer_us
        if peak_b and (mtu_us := ticks_to_usec(mtu)) is not None:
            latency = max(latency, TIME_UNITS_PER_SEC * limit / peak_b - mtu_us)
        out["latency_us"] = int(latency)  # truncated, as tc prints it
    return out


def htb(raw: bytes) -> dict[str, Any]:
    attrs = rawattr.walk(raw)
    glob = attrs.get(2, b"")
    out: dict[str, Any] = {}
    if len(glob) >= 12:
        _version, r2q, defcls = struct.unpack_from("=III", glob)
        out.update({"default": f"0x{defcls:x}", "r2q": r2q})
    if 5 in attrs:
        out["direct_qlen"] = rawattr.u32(attrs[5])
    return out


def htb_class(raw: bytes) -> dict[str, Any]:
    """TCA_HTB_PARMS (tc_htb_opt: rate, ceil, buffer, cbuffer, quantum, level, prio), RATE64/CEIL64."""
    found = _two_rates(raw, 1, 44, 6, 7)
    if found is None:
        return {}
    parms, rate_b, ceil_b = found
    buffer, cbuffer, quantum, level, prio = struct.unpack_from("=IIIII", parms, 24)
    return {"prio": prio, "quantum": quantum, "level": level, "rate": rate_b * 8, "ceil": ceil_b * 8,
            "burst": ticks_to_bytes(buffer, rate_b), "cburst": ticks_to_bytes(cbuffer, ceil_b)}


def hfsc(raw: bytes) -> dict[str, Any]:
    """struct tc_hfsc_qopt: the default class (minor number, as tc's `default 10`)."""
    return {"default": f"0x{rawattr.u16(raw):x}"} if len(raw) >= 2 else {}


def hfsc_class(raw: bytes) -> dict[str, Any]:
    """TCA_HFSC_RSC/FSC/USC: tc_service_curve {m1, d, m2} for `rt`, `ls` and `ul` (rates in bit/s)."""
    out: dict[str, Any] = {}
    for number, key in ((1, "rt"), (2, "ls"), (3, "ul")):
        curve = rawattr.walk(raw).get(number, b"")
        if len(curve) >= 12:
            m1, d, m2 = struct.unpack_from("=III", curve)
            out[key] = {"m1": m1 * 8, "d_us": d, "m2": m2 * 8}
    return out


def prio(raw: bytes) -> dict[str, Any]:
    return priomap(raw) if len(raw) >= 20 else {}


def mqprio(raw: bytes) -> dict[str, Any]:
    """struct tc_mqprio_qopt (82 bytes, padded to 84) then optional mode/shaper/rate attributes."""
    if len(raw) < 82:
        return {}
    num_tc, hw = raw[0], raw[17]
    counts = struct.unpack_from("=16H", raw, 18)
    offsets = struct.unpack_from("=16H", raw, 50)
    out: dict[str, Any] = {"num_tc": num_tc, "map": list(raw[1:17]), "hw": hw,
                           "queues": [f"{counts[i]}@{offsets[i]}" for i in range(num_tc)]}
    attrs = rawattr.walk(raw, 84)
    modes, shapers = {0: "dcb", 1: "channel"}, {0: "dcb", 1: "bw_rlimit"}
    if 1 in attrs:
        out["mode"] = modes.get(rawattr.u16(attrs[1]) or 0, str(rawattr.u16(attrs[1])))
    if 2 in attrs:
        out["shaper"] = shapers.get(rawattr.u16(attrs[2]) or 0, str(rawattr.u16(attrs[2])))
    for number, key in ((3, "min_rate"), (4, "max_rate")):
        if number in attrs:
            out[key] = [int(rawattr.u64(v) or 0) * 8 for _, v in rawattr.walk_list(attrs[number])]
    return out


def netem(raw: bytes) -> dict[str, Any]:
    """struct tc_netem_qopt (24 bytes) then TCA_NETEM_* attributes; 64-bit ns delays win over ticks."""
    if len(raw) < 24:
        return {}
    latency, limit, loss, gap, duplicate, jitter = struct.unpack_from("=6I", raw)
    attrs = rawattr.walk(raw, 24)
    out: dict[str, Any] = {"limit": limit}
    delay_ns = struct.unpack("=q", attrs[10])[0] if len(attrs.get(10, b"")) == 8 else None
    jitter_ns = struct.unpack("=q", attrs[11])[0] if len(attrs.get(11, b"")) == 8 else None
    delay_us = delay_ns / 1000 if delay_ns is not None else ticks_to_usec(latency)
    jitter_us = jitter_ns / 1000 if jitter_ns is not None else ticks_to_usec(jitter)
    if delay_us:
        out["delay_us"] = delay_us
    if jitter_us:
        out["jitter_us"] = jitter_us
    for key, value in (("loss_pct", loss), ("duplicate_pct", duplicate)):
        if value:
            out[key] = _percent(value)
    if gap:
        out["gap"] = gap
    if len(attrs.get(4, b"")) >= 4:  # TCA_NETEM_CORRUPT {probability, correlation}
        out["corrupt_pct"] = _percent(struct.unpack_from("=I", attrs[4])[0])
    if len(attrs.get(3, b"")) >= 4:  # TCA_NETEM_REORDER
        out["reorder_pct"] = _percent(struct.unpack_from("=I", attrs[3])[0])
    if len(attrs.get(6, b"")) >= 4:  # TCA_NETEM_RATE {rate, packet_overhead, cell_size, cell_overhead}
        out["rate"] = (rawattr.u64(attrs.get(8)) or struct.unpack_from("=I", attrs[6])[0]) * 8
    return {k: v for k, v in out.items() if v not in (None, 0) or k == "limit"}


def _percent(value: int) -> float:
    """netem probabilities: 0 = never, UINT32_MAX = always; tc prints them as percent."""
    return round(value / UNLIMITED * 100, 6)


def ets(raw: bytes) -> dict[str, Any]:
    attrs = rawattr.walk(raw)
    out: dict[str, Any] = {"bands": rawattr.u8(attrs.get(1)), "strict": rawattr.u8(attrs.get(2)) or 0}
    if 3 in attrs:
        out["quanta"] = [rawattr.u32(v) for t, v in rawattr.walk_list(attrs[3]) if t == 4]
    if 5 in attrs:
        out["priomap"] = [rawattr.u8(v) for t, v in rawattr.walk_list(attrs[5]) if t == 6]
    return out


def ets_class(raw: bytes) -> dict[str, Any]:
    quantum = rawattr.u32(rawattr.walk(raw).get(4))
    return {"quantum": quantum} if quantum is not None else {}


def _none(raw: bytes) -> dict[str, Any]:
    return {}


# (role, kind) -> decoder. A kind that is absent here is named in a gap when it has options.
DECODERS: dict[tuple[str, str], Decoder] = {
    **{("qdisc", k): fifo for k in ("pfifo", "bfifo", "pfifo_head_drop")},
    **{("qdisc", k): _none for k in ("mq", "clsact", "ingress", "noqueue")},
    ("qdisc", "pfifo_fast"): prio,
    ("qdisc", "prio"): prio,
    ("qdisc", "tbf"): tbf,
    ("qdisc", "htb"): htb,
    ("class", "htb"): htb_class,
    ("qdisc", "hfsc"): hfsc,
    ("class", "hfsc"): hfsc_class,
    ("qdisc", "mqprio"): mqprio,
    ("qdisc", "netem"): netem,
    **{("qdisc", kind): decoder for kind, decoder in tcaqm.DECODERS.items()},
    ("qdisc", "ets"): ets,
    ("class", "ets"): ets_class,
    **{("class", k): _none for k in ("mq", "prio", "mqprio")},
}
