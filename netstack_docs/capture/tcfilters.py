"""Options of tc filters (u32, flower, matchall, bpf) decoded from bytes, each with its action list.

Every decoder returns (options, actions, what it could not decode), so nothing is dropped
silently. u32 keys are read at their real offset: struct tc_u32_sel is 16 bytes before its keys
(pyroute2 0.9.7 read them 4 bytes early: `match ip dport 22 0xffff` came out as off 369098752).
Hit counters (TCA_U32_PCNT, the mark's `success`, TCA_MATCHALL_PCNT) are state, not options.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from netstack_docs.capture import rawattr, tcactions, tcflower

Decoded = tuple[dict[str, Any], list[dict[str, Any]], list[str]]
FilterDecoder = Callable[[dict[int, bytes], dict[int, str]], Decoded]
TCA_BPF_FLAG_ACT_DIRECT = 1
U32_SEL_HEADER, U32_KEY = 16, 16
TC_U32_TERMINAL, TC_U32_OFFSET, TC_U32_VAROFFSET, TC_U32_EAT = 1, 2, 4, 8


def classid(value: int) -> str:
    return f"{value >> 16:x}:{value & 0xFFFF:x}"


def _with_actions(options: dict[str, Any], act_raw: bytes | None, ifnames: dict[int, str],
                  undecoded: list[str], police_raw: bytes | None = None) -> Decoded:
    acts, unknown_acts = tcactions.actions(act_raw, ifnames)
    if police := tcactions.police_of(police_raw, ifnames):
        acts.insert(0, police)
    return options, acts, undecoded + [f"action {kind}" for kind in unknown_acts]


def u32_sel(raw: bytes) -> dict[str, Any]:
    """struct tc_u32_sel + keys, as `tc -d filter show` reads them (`match 00000016/0000ffff at 20`)."""
    flags, offshift, nkeys, _pad, offmask, off, offoff, hoff, hmask = struct.unpack_from("=BBBBHHhhI", raw)
    keys = []
    for i in range(nkeys):
        pos = U32_SEL_HEADER + i * U32_KEY
        if pos + U32_KEY > len(raw):
            break
        mask, val = struct.unpack_from("!II", raw, pos)  # tc_u32_key: __be32 mask, val; int off, offmask
        key_off, key_offmask = struct.unpack_from("=ii", raw, pos + 8)
        keys.append({"value": f"{val:08x}", "mask": f"{mask:08x}", "off": key_off,
                     **({"offmask": key_offmask} if key_offmask else {})})
    sel: dict[str, Any] = {"keys": keys}
    if flags & TC_U32_TERMINAL:
        sel["terminal"] = True
    if flags & (TC_U32_OFFSET | TC_U32_VAROFFSET):
        sel.update(offset={"shift": offshift, "mask": f"0x{_ntohs(offmask):x}", "at": offoff,
                           "plus": off, "eat": bool(flags & TC_U32_EAT)})
    if hmask:
        sel["hashkey"] = {"mask": f"0x{struct.unpack('!I', struct.pack('=I', hmask))[0]:08x}", "at": hoff}
    return sel


def _ntohs(value: int) -> int:
    return struct.unpack("!H", struct.pack("=H", value))[0]


def u32(attrs: dict[int, bytes], ifnames: dict[int, str]) -> Decoded:
    out: dict[str, Any] = {}
    if 1 in attrs:
        out["classid"] = classid(rawattr.u32(attrs[1]) or 0)
    if 2 in attrs:
        out["hash_table"] = f"{(rawattr.u32(attrs[2]) or 0) >> 20:x}:"
    if 3 in attrs:
        out["link"] = f"{(rawattr.u32(attrs[3]) or 0) >> 20:x}:"
    if 4 in attrs:
        out["divisor"] = rawattr.u32(attrs[4])
    if 5 in attrs:
        out.update(u32_sel(attrs[5]))
    if 8 in attrs:
        out["indev"] = rawattr.string(attrs[8])
    if len(attrs.get(10, b"")) >= 8:  # tc_u32_mark {val, mask, success}: success counts hits
        val, mask = struct.unpack_from("=II", attrs[10])
        out["mark"] = f"0x{val:x}/0x{mask:x}"
    return _with_actions(out, attrs.get(7), ifnames, [], attrs.get(6))


def matchall(attrs: dict[int, bytes], ifnames: dict[int, str]) -> Decoded:
    out: dict[str, Any] = {}
    if 1 in attrs:
        out["classid"] = classid(rawattr.u32(attrs[1]) or 0)
    flags = rawattr.u32(attrs.get(3)) or 0
    out.update({k: True for bit, k in ((1, "skip_hw"), (2, "skip_sw")) if flags & bit})
    return _with_actions(out, attrs.get(2), ifnames, [])


def flower(attrs: dict[int, bytes], ifnames: dict[int, str]) -> Decoded:
    out, unknown = tcflower.keys(attrs)
    if 1 in attrs:
        out["classid"] = classid(rawattr.u32(attrs[1]) or 0)
    if 2 in attrs:
        out["indev"] = rawattr.string(attrs[2])
    return _with_actions(out, attrs.get(3), ifnames, [f"flower key {n}" for n in unknown])


def bpf(attrs: dict[int, bytes], ifnames: dict[int, str]) -> Decoded:
    """Classic BPF keeps its bytecode here (as `tc filter ... bpf bytecode` takes it); an eBPF program's
    id, tag, name and direct-action flag are the filter's `bpf` field (bpf_program)."""
    out: dict[str, Any] = {}
    if 3 in attrs:
        out["classid"] = classid(rawattr.u32(attrs[3]) or 0)
    ops = attrs.get(5)
    if ops and 11 not in attrs:
        insns = [struct.unpack_from("=HBBI", ops, off) for off in range(0, len(ops) - len(ops) % 8, 8)]
        out["bytecode"] = ",".join([str(len(insns)), *(f"{c} {jt} {jf} {k}" for c, jt, jf, k in insns)])
    return _with_actions(out, attrs.get(1), ifnames, [], attrs.get(2))


def bpf_program(attrs: dict[int, bytes]) -> dict[str, Any] | None:
    """The eBPF program of a `bpf` filter (prog_id, tag, name, direct_action); None for classic BPF."""
    if 11 not in attrs:
        return None
    out: dict[str, Any] = {"prog_id": rawattr.u32(attrs[11]) or 0, "name": rawattr.string(attrs.get(7)),
                           "direct_action": bool((rawattr.u32(attrs.get(8)) or 0) & TCA_BPF_FLAG_ACT_DIRECT)}
    if 10 in attrs:
        out["tag"] = attrs[10].hex()
    return out


DECODERS: dict[str, FilterDecoder] = {"u32": u32, "matchall": matchall, "flower": flower, "bpf": bpf}
