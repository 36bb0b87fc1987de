"""OpenFlow actions as `ovs-ofctl dump-flows` prints them, split into (name, argument) pairs, and the
field arithmetic of set_field/load/move (`load:0x64->NXM_NX_TUN_ID[]`, `move:A[0..11]->B[0..11]`)."""

from __future__ import annotations

import re
from functools import cache

from netstack_docs.analysis.trace.ofmatch import NXM, VLAN_CFI, WIDTH, Frame, Unevaluable, canonical, number

Action = tuple[str, str]  # (name, argument: "" when none)
_FIELD = re.compile(r"^([A-Za-z0-9_]+)\[(?:(\d+)(?:\.\.(\d+))?)?\]$")


def split(text: str) -> list[str]:
    """Top-level comma-separated parts; commas inside (), [] and quotes stay."""
    parts, current, depth, quoted = [], "", 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "([":
            depth += 1
        elif not quoted and ch in ")]":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


@cache
def parse_actions(text: str) -> tuple[Action, ...]:
    """(name, argument) per action: `output:"tap1"` -> ("output", "tap1"), `resubmit(,2)` -> ("resubmit",
    ",2"), `NORMAL` -> ("output", "NORMAL"); the empty list and `drop` are no action."""
    out: list[Action] = []
    for part in split(text.strip()):
        if part == "drop":
            continue
        if "(" in part and part.endswith(")") and (":" not in part or part.index("(") < part.index(":")):
            name, _, arg = part.partition("(")
            out.append((name.strip().lower(), arg[:-1]))
        elif ":" in part:
            name, _, arg = part.partition(":")
            out.append((name.strip().lower(), arg.strip()))
        elif part.upper() in ("NORMAL", "FLOOD", "ALL", "LOCAL", "IN_PORT", "CONTROLLER", "NONE"):
            out.append(("output", part.upper()))
        else:
            out.append((part.lower(), ""))
    return tuple(out)


def subfield(text: str) -> tuple[str, int, int]:
    """`NXM_NX_REG0[0..15]` / `reg0[]` / `tun_id` as (field, lowest bit, number of bits)."""
    m = _FIELD.match(text.strip())
    name, low, high = (m.group(1), m.group(2), m.group(3)) if m else (text.strip(), None, None)
    field = NXM.get(name) or canonical(name.lower() if name.lower() in WIDTH else name)
    width = WIDTH.get(field, 16)
    if low is None:
        return field, 0, width
    lo = int(low)
    hi = int(high) if high is not None else lo
    return field, lo, hi - lo + 1


def read(frame: Frame, field: str) -> int:
    if field == "vlan_vid":  # OXM vlan_vid: the present bit and the VID
        tci = read(frame, "vlan_tci")
        return tci & 0x1FFF
    value = frame.get(field, 0)
    if not isinstance(value, int):
        raise Unevaluable(f"field {field} holds a port name")
    return value


def write(frame: Frame, field: str, value: int, low: int = 0, bits: int | None = None) -> None:
    """Write `value` into bits [low, low+bits) of `field` (the whole field by default)."""
    if field == "in_port":
        raise Unevaluable("writing in_port")
    width = WIDTH.get(field, 64)
    bits = width if bits is None else bits
    mask = ((1 << bits) - 1) << low
    if field == "vlan_vid":
        old = read(frame, "vlan_tci")
        vid = ((read(frame, "vlan_vid") & ~mask) | ((value << low) & mask)) & 0xFFF
        frame["vlan_tci"] = (old & 0xE000) | VLAN_CFI | vid  # a VID written to an untagged frame pushes a tag
        return
    old = read(frame, field)
    frame[field] = (old & ~mask) | ((value << low) & mask)


def set_field(frame: Frame, arg: str) -> str:
    """`set_field:VALUE[/MASK]->FIELD`: the field written."""
    value_text, _, target = arg.partition("->")
    field, low, bits = subfield(target)
    value_text, slash, mask_text = value_text.partition("/")
    value = number(value_text, field)
    if slash:
        mask = number(mask_text, field)
        value = (read(frame, field) & ~mask) | (value & mask)
    write(frame, field, value, low, bits)
    return field


def load(frame: Frame, arg: str) -> str:
    """`load:VALUE->FIELD[a..b]` (VALUE may be a field: learn's form)."""
    value_text, _, target = arg.partition("->")
    field, low, bits = subfield(target)
    write(frame, field, number(value_text, field), low, bits)
    return field


def move(frame: Frame, arg: str) -> str:
    """`move:SRC[a..b]->DST[c..d]`."""
    source, _, target = arg.partition("->")
    src, src_low, src_bits = subfield(source)
    dst, dst_low, dst_bits = subfield(target)
    value = (read(frame, src) >> src_low) & ((1 << src_bits) - 1)
    write(frame, dst, value, dst_low, min(src_bits, dst_bits))
    return dst
