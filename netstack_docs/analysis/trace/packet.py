"""The packet a trace follows: addresses, protocol, ports, conntrack state, mark; NAT rewrites it."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from functools import cached_property

from netstack_docs.errors import UserError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
PROTOS = ("tcp", "udp", "icmp", "icmpv6")
STATES = ("new", "established")
# IANA protocol numbers, as nftables `meta l4proto` and policy rules' ipproto compare them.
PROTO_NUMBERS = {"icmp": 1, "tcp": 6, "udp": 17, "icmpv6": 58, "ipv6-icmp": 58}


class TraceInputError(UserError):
    """Unknown host, interface or namespace, or an impossible packet: exit status 2, the choices named."""

    exit_code = 2


@dataclass(frozen=True)
class Packet:
    """One packet as the kernel sees it at a point of the walk (immutable: NAT makes a new one)."""

    src: str
    dst: str
    proto: str = "tcp"
    sport: int | None = 40000
    dport: int | None = None
    state: str = "new"
    mark: int = 0

    def __post_init__(self) -> None:
        try:
            src, dst = ipaddress.ip_address(self.src), ipaddress.ip_address(self.dst)
        except ValueError as exc:
            raise TraceInputError(f"packet: {exc}") from None
        if src.version != dst.version:
            raise TraceInputError(f"packet: --src {self.src} and --dst {self.dst} are not the same IP family")
        if self.proto not in PROTOS:
            raise TraceInputError(f"packet: protocol {self.proto!r}; choose one of {', '.join(PROTOS)}")
        if self.proto == "icmp" and src.version == 6 or self.proto == "icmpv6" and src.version == 4:
            raise TraceInputError(f"packet: {self.proto} does not go with IPv{src.version} addresses")
        if self.state not in STATES:
            raise TraceInputError(f"packet: state {self.state!r}; choose one of {', '.join(STATES)}")
        for name in ("sport", "dport"):
            port = getattr(self, name)
            if port is not None and not 0 <= port <= 65535:
                raise TraceInputError(f"packet: {name} {port} is not a port number")
        if self.proto in ("tcp", "udp") and self.dport is None:
            raise TraceInputError(f"packet: {self.proto} needs a destination port (--dport)")
        if self.has_ports is False:
            object.__setattr__(self, "sport", None)
            object.__setattr__(self, "dport", None)
        object.__setattr__(self, "src", str(src))
        object.__setattr__(self, "dst", str(dst))

    @property
    def has_ports(self) -> bool:
        return self.proto in ("tcp", "udp")

    @property
    def version(self) -> int:
        return self.src_ip.version

    @property
    def family(self) -> str:
        """The snapshot's family word: `inet` (IPv4) or `inet6`."""
        return "inet" if self.version == 4 else "inet6"

    @cached_property
    def src_ip(self) -> IPAddress:
        return ipaddress.ip_address(self.src)

    @cached_property
    def dst_ip(self) -> IPAddress:
        return ipaddress.ip_address(self.dst)

    @property
    def l4proto(self) -> int:
        return PROTO_NUMBERS[self.proto]

    def with_(self, **changes: object) -> Packet:
        """A copy with fields rewritten (NAT, mark set)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def describe(self) -> str:
        ports = f" {self.sport}->{self.dport}" if self.has_ports else ""
        return f"{self.proto} {self.src} -> {self.dst}{ports}"
