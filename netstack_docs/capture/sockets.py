"""Namespace collector: listening TCP/UDP sockets and their owners, via sock_diag in this thread's netns.

A small raw sock_diag client rather than pyroute2's DiagSocket: it is one request and one struct,
and a plain socket opened in the capture thread is certain to live in that thread's namespace.
Configuration is what listens where and which command owns it; pids and connection counts per
TCP state are volatile and go to state. Which sockets listen is decided in
netstack_docs.capture.listeners (TCP in LISTEN; UDP unconnected and on a chosen port or address):
UDP client sockets on auto-bound ephemeral ports are only counted, in state.
"""

from __future__ import annotations

import os
import socket
import struct
from collections import Counter
from typing import Any

from netstack_docs.capture import kmod, listeners, sockowners
from netstack_docs.capture.context import NamespaceCapture

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
TCP_LISTEN, TCP_CLOSE = 10, 7
STATES = {1: "established", 2: "syn-sent", 3: "syn-recv", 4: "fin-wait-1", 5: "fin-wait-2", 6: "time-wait",
          7: "close", 8: "close-wait", 9: "last-ack", 10: "listen", 11: "closing", 12: "new-syn-recv"}
FAMILIES = {socket.AF_INET: "inet", socket.AF_INET6: "inet6"}
PROTOCOLS = {socket.IPPROTO_TCP: "tcp", socket.IPPROTO_UDP: "udp"}

_REQ = struct.Struct("=IHHII BBBxI 48s")  # nlmsghdr + inet_diag_req_v2 (sockid left zero)
# nlmsghdr + the older inet_diag_req (family, src_len, dst_len, ext, sockid, states, dbs)
_REQ_COMPAT = struct.Struct("=IHHII BBBB 48s II")
TCPDIAG_GETSOCK = 18  # the older request: TCP sockets of both families in one dump
_MSG = struct.Struct("=BBBB HH 16s 16s I 8s IIIII")  # inet_diag_msg
_HDR = struct.Struct("=IHHII")
_RTA = struct.Struct("=HH")
INET_DIAG_CONG = 4  # attribute: the congestion control algorithm's name (asked for with idiag_ext)
INET_DIAG_SKV6ONLY = 11  # attribute: IPV6_V6ONLY of an AF_INET6 socket in LISTEN or CLOSE (always sent)


def _attributes(data: bytes, start: int, end: int) -> tuple[str | None, bool | None]:
    """(congestion control, IPV6_V6ONLY) among the attributes following an inet_diag_msg."""
    cong = v6only = None
    while start + _RTA.size <= end:
        length, kind = _RTA.unpack_from(data, start)
        if length < _RTA.size:
            break
        if kind == INET_DIAG_CONG:
            cong = data[start + _RTA.size:start + length].split(b"\0", 1)[0].decode("ascii", "replace")
        elif kind == INET_DIAG_SKV6ONLY and length > _RTA.size:
            v6only = bool(data[start + _RTA.size])
        start += (length + 3) & ~3
    return cong, v6only


def dump(family: int, protocol: int) -> list[dict[str, Any]]:
    """Every socket of one family/protocol in this thread's namespace, in every state."""
    ext = 1 << (INET_DIAG_CONG - 1) if protocol == socket.IPPROTO_TCP else 0
    return _dump(_REQ.pack(_REQ.size, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0,
                           family, protocol, ext, 0xFFFFFFFF, b""), ext)


def dump_tcp_both() -> list[dict[str, Any]]:
    """Every TCP socket of both families in this thread's namespace, in every state, in one dump.

    The kernel walks its TCP hash tables once per dump, and they are shared by every namespace
    (tcp_child_ehash_entries 0): on a host with a large table a walk costs milliseconds, twice per
    namespace with one dump per family. The older TCPDIAG_GETSOCK request is answered with family
    AF_UNSPEC: both families in one walk, the same messages (each names its family)."""
    ext = 1 << (INET_DIAG_CONG - 1)
    return _dump(_REQ_COMPAT.pack(_REQ_COMPAT.size, TCPDIAG_GETSOCK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0,
                                  0, 0, 0, ext, b"", 0xFFFFFFFF, 0), ext)


def _dump(request: bytes, ext: int) -> list[dict[str, Any]]:
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as nl:
        nl.sendto(request, (0, 0))
        found: list[dict[str, Any]] = []
        while True:
            data = nl.recv(1 << 20)
            offset = 0
            while offset + _HDR.size <= len(data):
                length, kind, _flags, _seq, _pid = _HDR.unpack_from(data, offset)
                if kind == NLMSG_DONE:
                    return found
                if kind == NLMSG_ERROR:
                    errno = -struct.unpack_from("=i", data, offset + _HDR.size)[0]
                    raise OSError(errno, os.strerror(errno))
                fam, state, _t, _r, sport, dport, src, _dst, ifindex, _cookie, _e, _rq, _wq, uid, inode = (
                    _MSG.unpack_from(data, offset + _HDR.size))
                addr = socket.inet_ntop(fam, src[:4] if fam == socket.AF_INET else src)
                cong, v6only = _attributes(data, offset + _HDR.size + _MSG.size, offset + length)
                found.append({"family": fam, "state": state, "address": addr, "port": socket.ntohs(sport),
                              "dport": socket.ntohs(dport), "ifindex": ifindex, "uid": uid, "inode": inode,
                              "congestion_control": cong if ext else None, "v6only": v6only})
                offset += (length + 3) & ~3
            if not data:
                return found


def _ifname(ns: NamespaceCapture, ifindex: int) -> str | None:
    if not ifindex:
        return None
    if ifindex in ns.ifnames:
        return ns.ifnames[ifindex]
    try:
        return socket.if_indextoname(ifindex)  # ioctl on a socket of this thread's namespace
    except OSError:
        return str(ifindex)


def _listens(proto_name: str, s: dict[str, Any], ephemeral: listeners.EphemeralPorts) -> bool:
    """TCP in LISTEN; UDP unconnected (state close, no peer port) on a chosen port or address."""
    if proto_name == "tcp":
        return bool(s["state"] == TCP_LISTEN)
    unconnected = s["state"] == TCP_CLOSE and s["dport"] == 0
    return unconnected and listeners.udp_listens(s["address"], s["port"], ephemeral)


def _client_udp(proto_name: str, s: dict[str, Any]) -> bool:
    return proto_name == "udp" and s["state"] == TCP_CLOSE and s["dport"] == 0


class _Sockets:
    """Accumulates one namespace's listeners (merged by address, SO_REUSEPORT groups are one entry)."""

    def __init__(self, ns: NamespaceCapture):
        self.ns = ns
        self.ephemeral = listeners.ephemeral_ports()
        self.listening: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.comms: dict[tuple[Any, ...], set[str]] = {}
        self.pids: dict[str, set[int]] = {}
        self.connections: dict[str, Counter[str]] = {}
        self.unowned = False

    def add(self, proto_name: str, fam_name: str, s: dict[str, Any]) -> None:
        if not _listens(proto_name, s, self.ephemeral):
            client = _client_udp(proto_name, s)  # a UDP client's auto-bound port: counted, not listed
            state = "unconnected-ephemeral" if client else STATES.get(s["state"], str(s["state"]))
            self.connections.setdefault(proto_name, Counter())[state] += 1
            return
        owners = sockowners.owners_of(s["inode"])
        self.unowned |= not owners and s["inode"] != 0  # inode 0: a kernel socket (vxlan, ...)
        ifname = _ifname(self.ns, s["ifindex"])
        key = (proto_name, fam_name, s["address"], s["port"], ifname)
        entry = self.listening.setdefault(key, {
            "protocol": proto_name, "family": fam_name, "local_address": s["address"], "port": s["port"],
            "ifname": ifname})
        if s["congestion_control"]:
            entry["congestion_control"] = s["congestion_control"]
        if fam_name == "inet6" and s.get("v6only") is not None:
            entry["v6only"] = s["v6only"]  # whether an IPv6 wildcard socket also takes IPv4
        self.comms.setdefault(key, set()).update(comm for _pid, comm in owners)
        self.pids.setdefault(f"{proto_name} {fam_name} {s['address']} {s['port']}", set()).update(
            pid for pid, _comm in owners)

    def store(self) -> None:
        for key, entry in self.listening.items():
            entry["process"] = ", ".join(sorted(self.comms[key])) or None
        self.ns.doc["sockets"] = {"listening": sorted(self.listening.values(), key=lambda e: (
            e["protocol"], e["family"], e["port"], e["local_address"], e["ifname"] or ""))}
        self.ns.state["sockets"] = {k: sorted(v) for k, v in sorted(self.pids.items())}
        self.ns.state["connections"] = {
            proto: dict(sorted(counts.items())) for proto, counts in sorted(self.connections.items())}
        if self.unowned and (problem := sockowners.scan_problem()):
            self.ns.gap("sockets: owning processes", problem)


DIAG_MODULES = ("sock_diag", "inet_diag", "tcp_diag", "udp_diag")
# Per-namespace counters (/proc/thread-self/net/sockstat and sockstat6) that are all zero when the
# namespace holds no socket a dump of that protocol would list: hashed sockets (listening,
# connected, bound) count as `inuse`, TCP's time-wait ones as `tw`.
EMPTY_WHEN_ZERO = {"tcp": ("TCP inuse", "TCP tw", "TCP6 inuse"), "udp": ("UDP inuse", "UDP6 inuse")}


def sockstat() -> dict[str, int] | None:
    """This thread's namespace's socket counters ("TCP inuse": 3, ...), or None when unreadable."""
    counts: dict[str, int] = {}
    try:
        for name in ("sockstat", "sockstat6"):
            with open(f"/proc/thread-self/net/{name}") as fh:
                for line in fh:
                    proto, _, rest = line.partition(":")
                    fields = rest.split()
                    pairs = zip(fields[::2], fields[1::2])
                    counts.update((f"{proto} {key}", int(value)) for key, value in pairs)
    except (OSError, ValueError):
        return None
    return counts


def surely_none(counts: dict[str, int] | None, proto_name: str) -> bool:
    """True when the counters prove this namespace has no socket of the protocol: no dump is needed.

    A dump walks the kernel's host-wide socket hash tables (milliseconds for TCP on a big host),
    however few sockets the namespace holds; most of a capture's namespaces may hold none."""
    return counts is not None and all(counts.get(key) == 0 for key in EMPTY_WHEN_ZERO[proto_name])


def collect(ns: NamespaceCapture) -> None:
    if not kmod.modules_available(DIAG_MODULES):
        ns.gap("sockets", kmod.missing_reason(DIAG_MODULES))
        return
    found = _Sockets(ns)
    counts = sockstat()
    tcp: list[dict[str, Any]] | None = []
    if not surely_none(counts, "tcp"):
        try:
            tcp = dump_tcp_both()
        except OSError:  # a kernel without the older request: one dump per family, as for UDP
            tcp = None
    for protocol, proto_name in PROTOCOLS.items():
        if protocol == socket.IPPROTO_UDP and surely_none(counts, "udp"):
            continue
        if protocol == socket.IPPROTO_TCP and tcp is not None:
            for s in tcp:
                if s["family"] in FAMILIES:
                    found.add(proto_name, FAMILIES[s["family"]], s)
            continue
        for family, fam_name in FAMILIES.items():
            try:
                sockets = dump(family, protocol)
            except OSError as exc:
                ns.gap(f"sockets {proto_name}/{fam_name}", f"sock_diag dump failed: {exc.strerror or exc}")
                continue
            for s in sockets:
                found.add(proto_name, fam_name, s)
    found.store()
