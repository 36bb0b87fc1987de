"""Netlink attributes straight from a message's bytes, by type number, for what pyroute2 0.9.7 skips.

pyroute2 decodes the common attributes but returns nothing (or `{}`) for newer or rarer ones: tc
options of several qdiscs, classifiers and actions, rule selectors added after its release. Reading
the bytes against the kernel's uapi layouts keeps those fields instead of dropping them silently.
"""

from __future__ import annotations

import struct
from typing import Any

NLA_TYPE_MASK = 0x3FFF  # without NLA_F_NESTED / NLA_F_NET_BYTEORDER


def walk(data: bytes, start: int = 0, end: int | None = None) -> dict[int, bytes]:
    """Attributes between start and end: type -> payload (the last one wins for a repeated type)."""
    return dict(walk_list(data, start, end))


def walk_list(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, bytes]]:
    """Attributes in order, repeats kept (action lists, u32 keys are repeated or ordered)."""
    end = len(data) if end is None else end
    found: list[tuple[int, bytes]] = []
    pos = start
    while pos + 4 <= end:
        length, kind = struct.unpack_from("=HH", data, pos)
        if length < 4 or pos + length > end:
            break
        found.append((kind & NLA_TYPE_MASK, bytes(data[pos + 4:pos + length])))
        pos += (length + 3) & ~3
    return found


def raw_attrs(obj: Any, header: int) -> dict[int, bytes]:
    """Attributes of a decoded pyroute2 message or nla, from its own bytes.

    `header` is where the attributes start: 4 for an nla, 16 + the family header for a message
    (tcmsg 20, fib_rule_hdr 12). The length comes from the nlmsghdr (u32) or the nla (u16).
    """
    data, offset = obj.data, obj.offset
    length = struct.unpack_from("=I" if header > 4 else "=H", data, offset)[0]
    return walk(data, offset + header, offset + length)


def u8(value: bytes | None) -> int | None:
    return value[0] if value else None


def u16(value: bytes | None, order: str = "=") -> int | None:
    return struct.unpack_from(order + "H", value)[0] if value and len(value) >= 2 else None


def u32(value: bytes | None, order: str = "=") -> int | None:
    return struct.unpack_from(order + "I", value)[0] if value and len(value) >= 4 else None


def s32(value: bytes | None) -> int | None:
    return struct.unpack_from("=i", value)[0] if value and len(value) >= 4 else None


def u64(value: bytes | None, order: str = "=") -> int | None:
    return struct.unpack_from(order + "Q", value)[0] if value and len(value) >= 8 else None


def string(value: bytes | None) -> str | None:
    """A NUL-terminated name; bytes that are not UTF-8 become `\\xNN` (never a crash)."""
    if value is None:
        return None
    return value.split(b"\0", 1)[0].decode("utf-8", "backslashreplace")
