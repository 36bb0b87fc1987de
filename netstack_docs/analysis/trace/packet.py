"""The packet a trace follows: addresses, protocol, ports, conntrack state, mark; NAT rewrites it."""

from __future__ import annotations

import copy
import ipaddress
import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

from netstack_docs.errors import UserError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
PROTOS = ("tcp", "udp", "icmp", "icmpv6")
STATES = ("new", "established")
TCP_FLAGS = {
    "fin": 0x01,
    "syn": 0x02,
    "rst": 0x04,
    "psh": 0x08,
    "ack": 0x10,
    "urg": 0x20,
    "ecn": 0x40,
    "cwr": 0x80,
}
DEFAULT_TTL = 64
MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
# What a field not given on the command line is taken to be (shown in every result, documented in --help):
# the length of a packet without payload, TTL 64, DSCP 0, TCP flags syn for a new connection and ack
# for an established one.
HEADER_LENGTH = {4: 20, 6: 40}
L4_LENGTH = {"tcp": 20, "udp": 8, "icmp": 8, "icmpv6": 8}
# IANA protocol numbers, as nftables `meta l4proto` and policy rules' ipproto compare them.
PROTO_NUMBERS = {"icmp": 1, "tcp": 6, "udp": 17, "icmpv6": 58, "ipv6-icmp": 58}


class TraceInputError(UserError):
    """Unknown host, interface or namespace, or an impossible packet: exit status 2, the choices named."""

    exit_code = 2


@lru_cache(maxsize=65536)
def parse_ip(text: str) -> IPAddress:
    """An address parsed once per process: a walk asks for the same few addresses thousands of times."""
    return ipaddress.ip_address(text)


@lru_cache(maxsize=65536)
def parse_net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A prefix (`10.0.0.1/24`: host bits allowed) parsed once per process, as parse_ip."""
    return ipaddress.ip_network(text, strict=False)


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
    length: int | None = None  # the IP packet's length in bytes (None: headers only)
    ttl: int = DEFAULT_TTL  # TTL or hop limit
    tcp_flags: str | None = None  # comma-separated names (None: syn when new, ack when established)
    dscp: int = 0
    ctmark: int = 0  # the connection's mark (a new connection starts at 0)
    dnat: bool = False  # this walk's NAT rewrote the destination (conntrack status DST_NAT, ctstate DNAT)
    snat: bool = False  # ... the source (SRC_NAT, ctstate SNAT)
    src_mac: str | None = None  # layer 2 (Open vSwitch flows match it); None: derived where the frame is made
    dst_mac: str | None = None
    vlan: int | None = None  # the frame's 802.1Q VLAN id as it arrives (None: untagged)
    # What the kernel attaches to the skb inside one namespace (cleared when it crosses into another):
    untracked: bool = False  # `notrack` / `-j CT --notrack` ran before conntrack: no connection, no NAT
    physin: str | None = None  # the bridge port a br_netfilter packet came in on (nf_bridge physindev)

    def __post_init__(self) -> None:
        try:
            src, dst = parse_ip(self.src), parse_ip(self.dst)
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
        if self.tcp_flags is not None:
            unknown = [f for f in self.tcp_flags.split(",") if f.strip() not in TCP_FLAGS]
            if unknown:
                raise TraceInputError(f"packet: tcp flag {unknown[0]!r}; choose among {', '.join(TCP_FLAGS)}")
        if not 0 <= self.ttl <= 255:
            raise TraceInputError(f"packet: ttl {self.ttl} is not between 0 and 255")
        if not 0 <= self.dscp <= 63:
            raise TraceInputError(f"packet: dscp {self.dscp} is not between 0 and 63")
        if self.length is not None and not 20 <= self.length <= 65535:
            raise TraceInputError(f"packet: length {self.length} is not between 20 and 65535")
        for name in ("src_mac", "dst_mac"):
            mac = getattr(self, name)
            if mac is not None:
                if not MAC.match(mac):
                    option = name.replace("_", "-")
                    raise TraceInputError(f"packet: {option} {mac!r} is not a MAC (aa:bb:cc:dd:ee:ff)")
                object.__setattr__(self, name, mac.lower())
        if self.vlan is not None and not 0 <= self.vlan <= 4095:
            raise TraceInputError(f"packet: vlan {self.vlan} is not between 0 and 4095")
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
        return parse_ip(self.src)

    @cached_property
    def dst_ip(self) -> IPAddress:
        return parse_ip(self.dst)

    @property
    def l4proto(self) -> int:
        return PROTO_NUMBERS[self.proto]

    @property
    def ip_length(self) -> int:
        if self.length is not None:
            return self.length
        return HEADER_LENGTH[self.version] + L4_LENGTH[self.proto]

    @property
    def tcp_flag_bits(self) -> int:
        names = self.tcp_flags.split(",") if self.tcp_flags else ["syn" if self.state == "new" else "ack"]
        bits = 0
        for name in names:
            bits |= TCP_FLAGS[name.strip()]
        return bits

    def fields(self) -> dict[str, object]:
        """Every field rules may test, defaults filled in (a result shows what it was computed for)."""
        flags = self.tcp_flags or ("syn" if self.state == "new" else "ack")
        return {
            "src": self.src,
            "dst": self.dst,
            "proto": self.proto,
            "sport": self.sport,
            "dport": self.dport,
            "state": self.state,
            "mark": self.mark,
            "length": self.ip_length,
            "ttl": self.ttl,
            "dscp": self.dscp,
            **({"tcp_flags": flags} if self.proto == "tcp" else {}),
            **{k: v for k, v in self.layer2().items() if v is not None},
        }

    def layer2(self) -> dict[str, object]:
        return {"src_mac": self.src_mac, "dst_mac": self.dst_mac, "vlan": self.vlan}

    def with_(self, **changes: object) -> Packet:
        """A copy with fields rewritten (NAT, mark set). The walk's own rewrites need no validation of
        the user's input again, only addresses in their canonical form (and of the packet's family)."""
        if not {"proto", "state", "src_mac", "dst_mac", "vlan"}.isdisjoint(changes):
            return replace(self, **changes)  # type: ignore[arg-type]
        new = copy.copy(self)
        for name, value in changes.items():
            if name in ("src", "dst"):
                ip = parse_ip(str(value))
                if ip.version != self.version:
                    return replace(self, **changes)  # type: ignore[arg-type]
                value = str(ip)
                new.__dict__.pop(f"{name}_ip", None)  # the cached parsed address of the old value
            object.__setattr__(new, name, value)
        return new

    def scrubbed(self, other_namespace: bool = True) -> Packet:
        """The packet as a veth hands it to its peer (skb_scrub_packet): no conntrack entry attached any
        more, no bridge info; into another namespace also no mark, and no NAT done by that namespace's
        connection yet. Its state and conntrack mark stay: trace follows one connection, as given (new
        or established, with its mark), in each namespace."""
        if other_namespace and (self.mark or self.dnat or self.snat):
            return self.with_(mark=0, dnat=False, snat=False, untracked=False, physin=None)
        if self.untracked or self.physin:
            return self.with_(untracked=False, physin=None)
        return self

    def describe(self) -> str:
        ports = f" {self.sport}->{self.dport}" if self.has_ports else ""
        return f"{self.proto} {self.src} -> {self.dst}{ports}"
