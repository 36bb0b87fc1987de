"""tc parameters in tc's own units: psched ticks to bytes, rates to bit/s, and raw attributes pyroute2 skips.

tc prints `rate 1Mbit burst 4Kb latency 400ms`; the kernel stores bytes/s and a buffer measured
in psched ticks (see /proc/net/psched). These helpers do the same arithmetic as iproute2's
tc_core.c so a reader can compare the snapshot with `tc -s qdisc show`.
"""

from __future__ import annotations

import struct
from functools import cache
from typing import Any

TIME_UNITS_PER_SEC = 1_000_000
TCA_BPF_FLAG_ACT_DIRECT = 1
TCA_BPF_OPS, TCA_BPF_TAG, TCA_BPF_ID = 5, 10, 11


@cache
def tick_in_usec() -> float:
    """iproute2 tc_core_init(): ticks per microsecond from /proc/net/psched (0 when unreadable)."""
    try:
        fields = [int(x, 16) for x in open("/proc/net/psched").read().split()[:3]]
    except (OSError, ValueError):
        return 0.0
    t2us, us2t, clock_res = fields
    if clock_res == 1_000_000_000:
        t2us = us2t
    return t2us / us2t * (clock_res / TIME_UNITS_PER_SEC) if us2t else 0.0


def ticks_to_bytes(ticks: int, rate_bytes: int) -> int | None:
    tick = tick_in_usec()
    if not tick:
        return None
    return round(rate_bytes * (ticks / tick) / TIME_UNITS_PER_SEC)


def _walk(data: bytes, start: int, end: int) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    pos = start
    while pos + 4 <= end:
        length, kind = struct.unpack_from("=HH", data, pos)
        if length < 4:
            break
        found[kind & 0x3FFF] = bytes(data[pos + 4:pos + length])
        pos += (length + 3) & ~3
    return found


def raw_attrs(obj: Any, header: int) -> dict[int, bytes]:
    """Attributes of a decoded message or nla by type number, straight from its bytes."""
    data, offset = obj.data, obj.offset
    length = struct.unpack_from("=I" if header > 4 else "=H", data, offset)[0]
    return _walk(data, offset + header, offset + length)


def raw_u32(msg: Any, attr_type: int) -> int | None:
    """A u32 attribute of a tcmsg (nlmsghdr 16 bytes + tcmsg 20 bytes before the attributes)."""
    value = raw_attrs(msg, 36).get(attr_type)
    return struct.unpack("=I", value[:4])[0] if value and len(value) >= 4 else None


def bpf_filter(opts: Any) -> dict[str, Any] | None:
    """The eBPF program of a `bpf` filter; None for a classic-BPF filter (bytecode, no program)."""
    raw = raw_attrs(opts, 4)
    if TCA_BPF_ID not in raw:
        return None
    prog_id = struct.unpack("=I", raw[TCA_BPF_ID][:4])[0] if len(raw.get(TCA_BPF_ID, b"")) >= 4 else 0
    flags = opts.get_attr("TCA_BPF_FLAGS") or 0
    out = {"prog_id": prog_id, "name": opts.get_attr("TCA_BPF_NAME"),
           "direct_action": bool(flags & TCA_BPF_FLAG_ACT_DIRECT)}
    if TCA_BPF_TAG in raw:
        out["tag"] = raw[TCA_BPF_TAG].hex()
    return out


def cbpf_bytecode(opts: Any) -> str | None:
    """Classic BPF instructions as `tc filter ... bpf bytecode` takes and prints them: `n,code jt jf k,..`."""
    ops = raw_attrs(opts, 4).get(TCA_BPF_OPS)
    if not ops:
        return None
    insns = [struct.unpack_from("=HBBI", ops, off) for off in range(0, len(ops) - len(ops) % 8, 8)]
    return ",".join([str(len(insns)), *(f"{c} {jt} {jf} {k}" for c, jt, jf, k in insns)])


MIRRED = {1: "egress redirect", 2: "egress mirror", 3: "ingress redirect", 4: "ingress mirror"}
TC_ACT = {-1: "continue", 0: "pass", 1: "reclassify", 2: "drop", 3: "pipe", 4: "stolen", 5: "queued",
          6: "repeat", 7: "redirect", 8: "trap"}


def actions(opts: Any, ifnames: dict[int, str]) -> list[dict[str, Any]]:
    """A filter's actions in order, as `tc filter show` names them (`mirred egress redirect dev ifb0`)."""
    found: list[dict[str, Any]] = []
    for name, value in opts.get("attrs", []) if hasattr(opts, "get") else []:
        if not (isinstance(name, str) and name.endswith("_ACT")) or not hasattr(value, "get"):
            continue
        for prio, act in value.get("attrs", []):
            if not str(prio).startswith("TCA_ACT_PRIO_"):
                continue
            kind = act.get_attr("TCA_ACT_KIND")
            entry: dict[str, Any] = {"kind": kind}
            act_opts = act.get_attr("TCA_ACT_OPTIONS")
            if kind == "mirred" and act_opts is not None:
                parms = act_opts.get_attr("TCA_MIRRED_PARMS") or {}
                eaction = int(parms.get("eaction", 0))
                entry["action"] = MIRRED.get(eaction, str(eaction))
                entry["dev"] = ifnames.get(parms.get("ifindex", 0), f"ifindex {parms.get('ifindex')}")
            elif kind == "gact" and act_opts is not None:
                parms = act_opts.get_attr("TCA_GACT_PARMS") or {}
                verdict = int(parms.get("action", 0))
                entry["action"] = TC_ACT.get(verdict, str(verdict))
            found.append(entry)
    return found


def u32_handle(value: int) -> str:
    """u32 handles are htid:hash:node (`800::800`)."""
    htid, hsh, node = value >> 20, (value >> 12) & 0xFF, value & 0xFFF
    return f"{htid:x}:{hsh:x}:{node:x}".replace(":0:", "::").removesuffix(":0") if hsh == 0 or node == 0 \
        else f"{htid:x}:{hsh:x}:{node:x}"


def _plain(value: Any) -> Any:
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict) and "attrs" not in value:
        keep = [(str(k), v) for k, v in value.items() if not str(k).startswith("_") and "reserved" not in k]
        return {k: _plain(v) for k, v in keep}
    return None


def _rates(parms: dict[str, Any], out: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if parms.get(name):
            out[name] = parms[name] * 8  # bytes/s -> bit/s


def options(kind: str | None, opts: Any, is_class: bool = False) -> dict[str, Any]:
    """TCA_OPTIONS of a qdisc, class or filter, in tc vocabulary."""
    if opts is None or not hasattr(opts, "get"):
        return {}
    if kind == "tbf":
        p = opts.get_attr("TCA_TBF_PARMS") or {}
        out: dict[str, Any] = {"limit": p.get("limit")}
        _rates(p, out, ("rate", "peak"))
        out["burst"] = ticks_to_bytes(p.get("buffer", 0), p.get("rate", 0))
        if p.get("rate") and out["burst"] is not None:
            out["latency_us"] = round((p["limit"] - out["burst"]) * TIME_UNITS_PER_SEC / p["rate"])
        return out
    if kind == "htb" and is_class:
        p = opts.get_attr("TCA_HTB_PARMS") or {}
        out = {"prio": p.get("prio"), "quantum": p.get("quantum"), "level": p.get("level")}
        _rates(p, out, ("rate", "ceil"))
        out["burst"] = ticks_to_bytes(p.get("buffer", 0), p.get("rate", 0))
        out["cburst"] = ticks_to_bytes(p.get("cbuffer", 0), p.get("ceil", 0))
        return out
    if kind == "htb":
        p = opts.get_attr("TCA_HTB_INIT") or {}
        return {"default": f"0x{p.get('defcls', 0):x}", "r2q": p.get("rate2quantum"),
                "direct_qlen": opts.get_attr("TCA_HTB_DIRECT_QLEN")}
    out = {}
    prefix = f"TCA_{(kind or '').upper()}_"
    for name, value in opts.get("attrs", []) if "attrs" in opts else []:
        if not isinstance(name, str) or name == "UNKNOWN":
            continue
        key = name[len(prefix):].lower() if name.startswith(prefix) else name.lower()
        plain = _plain(value)
        if plain is not None and key not in ("act", "police", "fd"):
            out[key] = plain
    if "attrs" not in opts:
        out.update({k: v for k, v in ((k, _plain(v)) for k, v in opts.items()) if v is not None})
    if kind == "u32" and isinstance(out.get("classid"), int):
        out["classid"] = f"{out['classid'] >> 16:x}:{out['classid'] & 0xFFFF:x}"
    return out
