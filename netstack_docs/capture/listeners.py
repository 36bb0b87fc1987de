"""What counts as a listener: the rule the sockets collector applies, and the settings it reads.

A TCP socket listens when it is in LISTEN. A UDP socket has no such state: every unconnected one
(`ss -lu` shows them all as UNCONN) may receive, including the sockets clients open for their
queries, which the kernel binds to a random port from `net.ipv4.ip_local_port_range` (dnsmasq's
upstream queries, avahi, NTP and DNS clients). Those change on every restart and are nobody's
service. So an unconnected UDP socket counts as a listener when its port was evidently chosen:

- the port is outside the namespace's ephemeral range (the kernel never auto-binds there), or is
  one of its `ip_local_reserved_ports`, or
- it is bound to a specific local address rather than the wildcard (someone chose where to
  listen: a resolver on 127.0.0.53, a service on one interface).

Known limits: a service explicitly bound to a wildcard address on a port inside the ephemeral
range looks exactly like a client (sock_diag does not say whether bind() named the port), and
programs that pick their own random ports outside the range (dnsmasq's --min-port default,
rpc.statd) are counted as listeners. Ephemeral UDP sockets are counted in state, not listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The kernel's defaults, used when the namespace's sysctl cannot be read.
DEFAULT_RANGE = (32768, 60999)
WILDCARDS = {"0.0.0.0", "::"}
SYSCTL = Path("/proc/sys/net/ipv4")


@dataclass(frozen=True)
class EphemeralPorts:
    """A namespace's ephemeral port range and reserved ports (read from the calling thread's netns)."""

    low: int = DEFAULT_RANGE[0]
    high: int = DEFAULT_RANGE[1]
    reserved: frozenset[int] = field(default_factory=frozenset)

    def auto_bound(self, port: int) -> bool:
        """Could the kernel have picked this port for a socket that bound without naming one?"""
        return self.low <= port <= self.high and port not in self.reserved


def parse_ports(text: str) -> frozenset[int]:
    """`ip_local_reserved_ports` syntax: `8080,9000-9010`."""
    ports: set[int] = set()
    for part in text.replace("\n", "").split(","):
        low, _, high = part.strip().partition("-")
        if low.isdigit():
            ports.update(range(int(low), int(high or low) + 1))
    return frozenset(ports)


def ephemeral_ports(sysctl: Path = SYSCTL) -> EphemeralPorts:
    """This thread's namespace's settings (/proc/sys/net follows the calling thread)."""
    try:
        low, high = (int(x) for x in (sysctl / "ip_local_port_range").read_text().split()[:2])
    except (OSError, ValueError):
        low, high = DEFAULT_RANGE
    try:
        reserved = parse_ports((sysctl / "ip_local_reserved_ports").read_text())
    except OSError:
        reserved = frozenset()
    return EphemeralPorts(low, high, reserved)


def udp_listens(address: str, port: int, ephemeral: EphemeralPorts) -> bool:
    """An unconnected UDP socket whose port or address was evidently chosen (see the module docstring)."""
    return address not in WILDCARDS or not ephemeral.auto_bound(port)
