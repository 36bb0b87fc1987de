"""tc actions of a filter (gact, mirred, police, skbedit), decoded from bytes (include/uapi/linux/tc_act/).

A filter's action list is a nest of TCA_ACT_* entries, one per position (1, 2, ...), each with its
kind and options. The words match `tc filter show`: `gact action drop`, `mirred egress redirect
dev ifb0`, `police rate 1Mbit burst 10Kb conform-exceed drop/pipe`, `skbedit mark 5`. Reference
and bind counts are runtime bookkeeping, not configuration; an action kind without a decoder
keeps its kind and is named in `undecoded` so the caller records a gap.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from netstack_docs.capture import rawattr
from netstack_docs.capture.tcparams import ticks_to_bytes

TCA_ACT_KIND, TCA_ACT_OPTIONS = 1, 2
# TC_ACT_* verdicts as tc prints them (TC_ACT_EXT_* are opcode ranges: goto chain / jump)
TC_ACT = {-1: "continue", 0: "pass", 1: "reclassify", 2: "drop", 3: "pipe", 4: "stolen", 5: "queued",
          6: "repeat", 7: "redirect", 8: "trap"}
TC_ACT_JUMP, TC_ACT_GOTO_CHAIN, TC_ACT_EXT_MASK = 1 << 28, 2 << 28, 0xF << 28
MIRRED = {1: "egress redirect", 2: "egress mirror", 3: "ingress redirect", 4: "ingress mirror"}

ActDecoder = Callable[[dict[int, bytes], dict[int, str]], dict[str, Any]]


def verdict(code: int) -> str:
    """A TC_ACT_* control value: `drop`, `pipe`, `goto chain 5`, `jump 2`."""
    code = code if code < 0x80000000 else code - (1 << 32)
    if code >= 0 and code & TC_ACT_EXT_MASK == TC_ACT_GOTO_CHAIN:
        return f"goto chain {code & ~TC_ACT_EXT_MASK}"
    if code >= 0 and code & TC_ACT_EXT_MASK == TC_ACT_JUMP:
        return f"jump {code & ~TC_ACT_EXT_MASK}"
    return TC_ACT.get(code, str(code))


def _gen_action(parms: bytes) -> int:
    """tc_gen: index, capab, action, refcnt, bindcnt: the action (third u32)."""
    return struct.unpack_from("=i", parms, 8)[0]


def gact(attrs: dict[int, bytes], ifnames: dict[int, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"action": verdict(_gen_action(attrs[2]))} if len(attrs.get(2, b"")) >= 20 else {}
    prob = attrs.get(3, b"")
    if len(prob) >= 8:  # tc_gact_p: ptype (1 random, 2 determ), pval (of 10000), paction
        ptype, pval, paction = struct.unpack_from("=HHi", prob)
        out["random"] = {"type": {1: "netrand", 2: "determ"}.get(ptype, str(ptype)), "val": pval,
                         "action": verdict(paction)}
    return out


def mirred(attrs: dict[int, bytes], ifnames: dict[int, str]) -> dict[str, Any]:
    parms = attrs.get(2, b"")
    if len(parms) < 28:
        return {}
    eaction, ifindex = struct.unpack_from("=iI", parms, 20)
    out: dict[str, Any] = {"action": MIRRED.get(eaction, str(eaction)), "then": verdict(_gen_action(parms))}
    if 4 in attrs:  # TCA_MIRRED_BLOCKID: to every port of a shared block
        out["blockid"] = rawattr.u32(attrs[4])
    else:
        out["dev"] = ifnames.get(ifindex, f"ifindex {ifindex}")
    return out


def police(attrs: dict[int, bytes], ifnames: dict[int, str]) -> dict[str, Any]:
    tbf = attrs.get(1, b"")
    if len(tbf) < 44:
        return {}
    _index, action, limit, burst, mtu = struct.unpack_from("=IiIII", tbf)
    rate = rawattr.u64(attrs.get(8)) or struct.unpack_from("=I", tbf, 28)[0]
    peak = rawattr.u64(attrs.get(9)) or struct.unpack_from("=I", tbf, 40)[0]
    out: dict[str, Any] = {"rate": rate * 8, "burst": ticks_to_bytes(burst, rate), "exceed": verdict(action)}
    if mtu:
        out["mtu"] = mtu
    if peak:
        out["peak"] = peak * 8
    if limit:
        out["limit"] = limit
    if 5 in attrs:
        out["conform"] = verdict(struct.unpack("=i", attrs[5][:4])[0])
    if rawattr.u64(attrs.get(10)):
        out["pkts_rate"] = rawattr.u64(attrs[10])
        out["pkts_burst"] = rawattr.u64(attrs.get(11))
    return out


def skbedit(attrs: dict[int, bytes], ifnames: dict[int, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"then": verdict(_gen_action(attrs[2]))} if len(attrs.get(2, b"")) >= 20 else {}
    if 3 in attrs:
        prio = rawattr.u32(attrs[3]) or 0
        out["priority"] = f"{prio >> 16:x}:{prio & 0xFFFF:x}"
    if 4 in attrs:
        out["queue_mapping"] = rawattr.u16(attrs[4])
    if 5 in attrs:
        mark = f"0x{rawattr.u32(attrs[5]):x}"
        out["mark"] = mark if 8 not in attrs else f"{mark}/0x{rawattr.u32(attrs[8]):x}"
    if 7 in attrs:
        out["ptype"] = {0: "host", 1: "broadcast", 2: "multicast", 3: "otherhost"}.get(
            rawattr.u16(attrs[7]) or 0, str(rawattr.u16(attrs[7])))
    return out


DECODERS: dict[str, ActDecoder] = {"gact": gact, "mirred": mirred, "police": police, "skbedit": skbedit}


def actions(raw: bytes | None, ifnames: dict[int, str]) -> tuple[list[dict[str, Any]], list[str]]:
    """(actions in order, kinds without a decoder) of a TCA_*_ACT nest."""
    found: list[dict[str, Any]] = []
    undecoded: list[str] = []
    for _order, entry in sorted(rawattr.walk_list(raw or b"")):
        attrs = rawattr.walk(entry)
        kind = rawattr.string(attrs.get(TCA_ACT_KIND)) or "?"
        options = rawattr.walk(attrs.get(TCA_ACT_OPTIONS, b""))
        act: dict[str, Any] = {"kind": kind}  # the action index is kernel-chosen: not kept
        decoder = DECODERS.get(kind)
        if decoder is None:
            undecoded.append(kind)
        else:
            act.update(decoder(options, ifnames))
        found.append(act)
    return found, undecoded


def police_of(raw: bytes | None, ifnames: dict[int, str]) -> dict[str, Any] | None:
    """The legacy TCA_*_POLICE attribute of u32/bpf filters: police options, not nested as an action."""
    return {"kind": "police", **police(rawattr.walk(raw), ifnames)} if raw else None
