"""How iptables-save prints values (addresses, masks, strings, marks): libxtables' helpers, in Python.

Shared by the match and target decoders so that every fragment quotes and abbreviates the way
`iptables-save` does, byte for byte.
"""

from __future__ import annotations

import socket
import struct

NFPROTO_IPV4, NFPROTO_IPV6 = 2, 10
_NO_QUOTE = frozenset("_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class Undecodable(ValueError):
    """The payload cannot be printed exactly (unknown value, short struct): never guess."""


def cstring(data: bytes, start: int = 0, size: int | None = None) -> str:
    raw = data[start:] if size is None else data[start:start + size]
    return raw.split(b"\0", 1)[0].decode("utf-8", "backslashreplace")


def save_string(value: str) -> str:
    """xtables_save_string: ` value`, or ` "va\\"lue"` when any character is not [A-Za-z0-9_-]."""
    if value and all(c in _NO_QUOTE for c in value):
        return " " + value
    out = "".join("\\" + c if c in "\"\\'" else c for c in value)
    return f' "{out}"'


def ntop(family: int, raw: bytes) -> str:
    if family == NFPROTO_IPV4:
        return socket.inet_ntop(socket.AF_INET, raw[:4])
    return socket.inet_ntop(socket.AF_INET6, raw[:16])


def mask_suffix(family: int, raw: bytes) -> str:
    """xtables_ipmask_to_numeric / ip6mask: "" for a host mask, "/N" for a prefix, else "/a.b.c.d"."""
    size = 4 if family == NFPROTO_IPV4 else 16
    value = int.from_bytes(raw[:size], "big")
    bits = size * 8
    ones = bin(value).count("1")
    if value == ((1 << ones) - 1) << (bits - ones):
        return "" if ones == bits else f"/{ones}"
    return "/" + ntop(family, raw)


def addr_mask(family: int, addr: bytes, mask: bytes) -> str:
    return ntop(family, addr) + mask_suffix(family, mask)


def mark_mask(mark: int, mask: int) -> str:
    """xtables_print_mark_mask: ` 0xMARK` and `/0xMASK` unless the mask is all ones."""
    return f" 0x{mark:x}" + ("" if mask == 0xFFFFFFFF else f"/0x{mask:x}")


def need(data: bytes, size: int) -> None:
    if len(data) < size:
        raise Undecodable(f"payload of {len(data)} bytes, expected at least {size}")


def unpack(fmt: str, data: bytes, offset: int = 0) -> tuple[int, ...]:
    need(data, offset + struct.calcsize(fmt))
    return struct.unpack_from(fmt, data, offset)


def names(mask: int, table: list[tuple[int, str]]) -> str:
    """Comma-separated names of the bits set, in table order."""
    return ",".join(name for bit, name in table if mask & bit)
