"""Keyed, prefix-preserving pseudonyms for IP addresses, and keyed pseudonyms for MACs and host names.

IP addresses use the Crypto-PAn construction with HMAC-SHA256 as the per-bit function: bit i of
the output is bit i of the input XOR one keyed bit of the input's first i bits. Two addresses that
share a k-bit prefix therefore share exactly a k-bit prefix afterwards, so subnets, containment
and "same /24" survive, and the same key gives the same pseudonym on every host of a fleet.

Special addresses stay recognisable (KEPT). An "exact" block maps to itself; a "prefix" block keeps
its prefix and pseudonymises the rest. The per-bit function is forced to 0 on every tree node above
a kept block, so no other address can land inside one (the mapping stays a bijection). The price:
an address keeps the leading bits it shares with the path to a kept block, plus one (for most
addresses the first 2-5 bits: 10.1.2.5 stays inside 8.0.0.0/5).
Private ranges (10/8, 172.16/12, 192.168/16) are deliberately NOT kept: their paths would pin
the first octet of many public addresses as well.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from functools import cached_property
from typing import Union

IP = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]  # noqa: UP007 - evaluated at import: the capture runs on 3.9

# (network, mode): exact = unchanged; prefix = the network part kept, the rest pseudonymised.
KEPT: dict[int, list[tuple[str, str]]] = {
    4: [("0.0.0.0/32", "exact"), ("127.0.0.0/8", "exact"), ("169.254.0.0/16", "prefix"),
        ("224.0.0.0/4", "exact"), ("255.255.255.255/32", "exact")],
    6: [("::/128", "exact"), ("::1/128", "exact"), ("::ffff:0:0/96", "exact"), ("fe80::/64", "prefix"),
        ("ff02::1:ff00:0/104", "prefix"), ("ff00::/8", "exact")],
}


class Pseudonyms:
    """All pseudonyms derived from one key. Memoises tree nodes: addresses share their prefixes."""

    def __init__(self, key: bytes):
        self._key = key
        self._bits: dict[tuple[int, int, int], int] = {}

    def _mac(self, label: bytes, data: bytes) -> bytes:
        return hmac.new(self._key, label + b"\0" + data, hashlib.sha256).digest()

    @cached_property
    def _blocks(self) -> dict[int, list[tuple[int, int, str]]]:
        out: dict[int, list[tuple[int, int, str]]] = {}
        for version, blocks in KEPT.items():
            width = 32 if version == 4 else 128
            for cidr, mode in blocks:
                net = ipaddress.ip_network(cidr)
                out.setdefault(version, []).append((int(net.network_address) >> (width - net.prefixlen),
                                                    net.prefixlen, mode))
        return out

    def _forced(self, version: int, depth: int, prefix: int) -> bool:
        """Whether the tree node (depth, prefix) must not flip: inside an exact block (the most
        specific containing block decides), or on the path to any kept block."""
        blocks = self._blocks[version]
        inside = [(length, mode) for value, length, mode in blocks
                  if depth >= length and prefix >> (depth - length) == value]
        if inside and max(inside)[1] == "exact":
            return True
        return any(depth < length and value >> (length - depth) == prefix for value, length, _ in blocks)

    def _flip(self, version: int, depth: int, prefix: int) -> int:
        node = (version, depth, prefix)
        if node not in self._bits:
            if self._forced(version, depth, prefix):
                self._bits[node] = 0
            else:
                data = depth.to_bytes(1, "big") + prefix.to_bytes(16, "big")
                self._bits[node] = self._mac(b"ipv%d" % version, data)[0] & 1
        return self._bits[node]

    def ip(self, addr: IP) -> IP:
        """The pseudonym of one address (IPv4-mapped IPv6 uses the IPv4 pseudonym inside)."""
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            return ipaddress.IPv6Address((0xFFFF << 32) | int(self.ip(addr.ipv4_mapped)))
        width = addr.max_prefixlen
        value = int(addr)
        out = 0
        for depth in range(width):
            bit = (value >> (width - 1 - depth)) & 1
            out = (out << 1) | (bit ^ self._flip(addr.version, depth, value >> (width - depth)))
        return ipaddress.ip_address(out) if addr.version == 4 else ipaddress.IPv6Address(out)

    def text(self, addr: IP) -> str:
        """The pseudonym as text; IPv4-mapped IPv6 keeps its dotted form (`::ffff:a.b.c.d`)."""
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            return "::ffff:" + str(self.ip(addr.ipv4_mapped))
        return str(self.ip(addr))

    def network(self, addr: IP, prefixlen: int) -> str:
        """`addr/prefixlen` pseudonymised; a network address (host bits zero) stays one."""
        host_bits = addr.max_prefixlen - prefixlen
        if host_bits > 0 and int(addr) & ((1 << host_bits) - 1) == 0:
            out = int(self.ip(addr)) & ~((1 << host_bits) - 1)
            masked = ipaddress.IPv4Address(out) if addr.version == 4 else ipaddress.IPv6Address(out)
            return f"{masked}/{prefixlen}"
        return f"{self.text(addr)}/{prefixlen}"

    def hwaddr(self, text: str) -> str:
        """A MAC (or other colon-hex link-layer address) of the same length.

        Broadcast and all-zero stay; the first octet keeps its group (multicast) and locally
        administered bits, so a reader can still tell unicast from multicast, vendor from local.
        """
        raw = bytes.fromhex(text.replace(":", ""))
        if raw in (b"\xff" * len(raw), b"\0" * len(raw)):
            return text.lower()
        digest = self._mac(b"hwaddr", raw)
        while len(digest) < len(raw):
            digest += self._mac(b"hwaddr-more", digest)
        out = bytearray(digest[: len(raw)])
        out[0] = (out[0] & 0xFC) | (raw[0] & 0x03)
        return ":".join(f"{b:02x}" for b in out)

    def hostname(self, name: str) -> str:
        return "host-" + self._mac(b"hostname", name.lower().encode()).hex()[:10]
