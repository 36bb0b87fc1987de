"""A plain rtnetlink socket for one namespace thread: dump requests, decoded by pyroute2's message classes.

pyroute2 0.9's sync `IPRoute` runs an asyncio event loop step per received message; over 200
namespaces that loop costs more than the kernel's answers. This keeps pyroute2 for what it is
best at (the message layouts: ifinfmsg, rtmsg, tcmsg, ... and their decoders, via its Marshal)
and does the socket part directly: one request, read until NLMSG_DONE. The socket is created
by the calling thread, so it belongs to that thread's network namespace. Dump requests are encoded
once per process; the answers with the most messages (links, routes, addresses, neighbours, rules)
are decoded by netstack_docs.capture.lean where their attributes are plain, by pyroute2 otherwise.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from pyroute2.netlink import NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.marshal import Marshal
from pyroute2.netlink.rtnl import (
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_GETNEIGH,
    RTM_GETNSID,
    RTM_GETQDISC,
    RTM_GETROUTE,
    RTM_GETRULE,
    RTM_GETTCLASS,
    RTM_GETTFILTER,
    RTM_NEWADDR,
    RTM_NEWLINK,
    RTM_NEWNEIGH,
    RTM_NEWNSID,
    RTM_NEWQDISC,
    RTM_NEWROUTE,
    RTM_NEWRULE,
    RTM_NEWTCLASS,
    RTM_NEWTFILTER,
)
from pyroute2.netlink.rtnl.fibmsg import fibmsg
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.ndmsg import ndmsg
from pyroute2.netlink.rtnl.nsidmsg import nsidmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg
from pyroute2.netlink.rtnl.tcmsg import tcmsg

from netstack_docs.capture import lean

AF_BRIDGE = 7
NTF_PROXY = 0x08
RTEXT_FILTER_BRVLAN = 1 << 1
NETNSA_FD = 3
RCVBUF = 1 << 20


class _Marshal(Marshal):  # type: ignore[misc]  # pyroute2 ships no type hints
    """pyroute2's MarshalRtnl for the answers these requests get, without importing its module:
    pyroute2.netlink.rtnl.marshal imports pyroute2's socket layer and with it asyncio (0.05-0.1 s
    of every capture's start)."""

    msg_map = {RTM_NEWLINK: ifinfmsg, RTM_NEWADDR: ifaddrmsg, RTM_NEWROUTE: rtmsg, RTM_NEWRULE: fibmsg,
               RTM_NEWNEIGH: ndmsg, RTM_NEWQDISC: tcmsg, RTM_NEWTCLASS: tcmsg, RTM_NEWTFILTER: tcmsg,
               RTM_NEWNSID: nsidmsg}


# Answers decoded with struct where every attribute is plain (netstack_docs.capture.lean): the dumps
# with the most messages on a host with many namespaces
LEAN = {RTM_NEWROUTE: lean.Decoder(rtmsg), RTM_NEWADDR: lean.Decoder(ifaddrmsg),
        RTM_NEWNEIGH: lean.Decoder(ndmsg), RTM_NEWRULE: lean.Decoder(fibmsg, fields_only=True),
        RTM_NEWLINK: lean.Decoder(ifinfmsg, defer=True)}
NOT_LEAN: dict[int, Any] = {}  # for a dump whose answers are read by pyroute2's means alone
_HEADER = struct.Struct("=IHHI")  # struct nlmsghdr up to the sequence number
_SEQ = struct.Struct("=I")  # nlmsg_seq, at offset 8
_REQUESTS: dict[tuple[Any, ...], bytes] = {}  # encoded dump requests (sequence number 0), shared by threads


class Rtnl:
    """rtnetlink requests of one thread; not shared between threads."""

    def __init__(self, lean: bool = True) -> None:
        self.lean = lean  # False: every answer decoded by pyroute2 (tests compare the two)
        kind = socket.SOCK_RAW | socket.SOCK_CLOEXEC
        self.sock = socket.socket(socket.AF_NETLINK, kind, socket.NETLINK_ROUTE)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        self.sock.bind((0, 0))
        self.seq = 0
        self.marshal = _Marshal()

    def close(self) -> None:
        self.sock.close()

    def request(self, msg: Any, msg_type: int, dump: bool = True) -> list[Any]:
        """Send one request; return every answer message (raises NetlinkError on a kernel error)."""
        msg["header"]["type"] = msg_type
        msg["header"]["flags"] = NLM_F_REQUEST | (NLM_F_DUMP if dump else NLM_F_ACK)
        msg.encode()
        return self.send(bytes(msg.data))

    def send(self, request: bytes, decoders: dict[int, Any] = LEAN) -> list[Any]:
        """Send an encoded request under the next sequence number; return every answer message."""
        self.seq += 1
        out = bytearray(request)
        _SEQ.pack_into(out, 8, self.seq)
        self.sock.send(out)
        answers: list[Any] = []
        while True:
            data = self.sock.recv(RCVBUF)
            offset = 0
            while offset <= len(data) - _HEADER.size:
                length, msg_type, flags, seq = _HEADER.unpack_from(data, offset)
                if not 0 < length <= len(data) - offset:
                    break
                start, offset = offset, offset + length
                if seq != self.seq:
                    continue  # a late answer to an earlier request
                if msg_type == NLMSG_DONE and not flags & NLM_F_ACK_TLVS:
                    return answers  # the end of a dump; pyroute2 reads nothing more from it either
                decode = decoders.get(msg_type) if self.lean else None
                reply = decode(data, start, length) if decode is not None else None
                if reply is None:  # anything else, and what the lean decoder leaves: pyroute2
                    parsed = list(self.marshal.parse(data[start:start + length]))
                    if not parsed:
                        continue
                    reply = parsed[0]
                    header = reply["header"]
                    if header.get("error") is not None:
                        raise header["error"]
                    if header["type"] in (NLMSG_DONE, NLMSG_ERROR):  # end of dump, or the ack of a request
                        return answers
                answers.append(reply)

    def _dump(self, cls: Any, msg_type: int, attrs: list[Any] | None = None, decoders: dict[int, Any] = LEAN,
              **fields: Any) -> list[Any]:
        # a dump request is the same bytes every time but for its sequence number: encoded once
        key = (cls, msg_type, tuple(attrs or ()), tuple(sorted(fields.items())))
        request = _REQUESTS.get(key)
        if request is None:
            msg = cls()
            for name, value in fields.items():
                msg[name] = value
            msg["attrs"] = attrs or []
            msg["header"]["type"] = msg_type
            msg["header"]["flags"] = NLM_F_REQUEST | NLM_F_DUMP
            msg.encode()
            request = _REQUESTS[key] = bytes(msg.data)
        return self.send(request, decoders)

    def get_links(self) -> list[Any]:
        return self._dump(ifinfmsg, RTM_GETLINK, family=socket.AF_UNSPEC)

    def get_vlans(self) -> list[Any]:
        return self._dump(ifinfmsg, RTM_GETLINK, [("IFLA_EXT_MASK", RTEXT_FILTER_BRVLAN)], NOT_LEAN,
                          family=AF_BRIDGE)

    def get_addr(self) -> list[Any]:
        return self._dump(ifaddrmsg, RTM_GETADDR, family=socket.AF_UNSPEC)

    def get_routes(self) -> list[Any]:
        """Every family's routes in one dump (AF_UNSPEC); callers keep the families they describe."""
        return self._dump(rtmsg, RTM_GETROUTE, family=socket.AF_UNSPEC)

    def get_rules(self) -> list[Any]:
        """Every family's policy rules (inet, inet6, and the multicast-routing ones) in one dump."""
        return self._dump(fibmsg, RTM_GETRULE, family=socket.AF_UNSPEC)

    def get_neighbours(self) -> list[Any]:
        return self._dump(ndmsg, RTM_GETNEIGH, family=socket.AF_UNSPEC)

    def get_proxy_neighbours(self) -> list[Any]:
        """Proxy ARP/NDP entries (`ip neigh add proxy ...`): the kernel lists them only for a dump
        whose request carries NTF_PROXY, never in the ordinary neighbour dump."""
        return self._dump(ndmsg, RTM_GETNEIGH, family=socket.AF_UNSPEC, flags=NTF_PROXY)

    def get_fdb(self) -> list[Any]:
        return self._dump(ndmsg, RTM_GETNEIGH, family=AF_BRIDGE)

    def get_qdiscs(self) -> list[Any]:
        return self._dump(tcmsg, RTM_GETQDISC, family=socket.AF_UNSPEC)

    def get_classes(self, index: int) -> list[Any]:
        return self._dump(tcmsg, RTM_GETTCLASS, family=socket.AF_UNSPEC, index=index)

    def get_filters(self, index: int, parent: int) -> list[Any]:
        return self._dump(tcmsg, RTM_GETTFILTER, family=socket.AF_UNSPEC, index=index, parent=parent)

    def get_netnsid(self, fd: int) -> int | None:
        """The nsid this namespace gave the namespace behind `fd` (RTM_GETNSID never assigns one)."""
        msg = nsidmsg()
        msg["attrs"] = [("NETNSA_FD", fd)]
        try:
            replies = self.request(msg, RTM_GETNSID, dump=False)
        except NetlinkError:
            return None
        for reply in replies:
            nsid = reply.get_attr("NETNSA_NSID")
            if nsid is not None and 0 <= nsid < 0x7FFFFFFF:  # -1: NETNSA_NSID_NOT_ASSIGNED
                return int(nsid)
        return None


# Names the kernel stores as raw bytes: any byte but '/', ':' and whitespace is allowed in an ifname.
TEXT_ATTRS = frozenset({"IFLA_IFNAME", "IFLA_IFALIAS", "IFA_LABEL"})


def text(value: Any) -> Any:
    """A name as printable text: bytes that are not UTF-8 become `\\xNN`, never a crash or a surrogate."""
    return value.decode("utf-8", "backslashreplace") if isinstance(value, (bytes, bytearray)) else value


def attr_getter(msg: Any) -> Any:
    """`msg.get_attr` without its linear scan per call: one pass to index the slots, decode on demand."""
    if isinstance(msg, lean.LeanMsg):  # indexed already, first value of each attribute
        return lambda name: text(msg.get_attr(name)) if name in TEXT_ATTRS else msg.get_attr(name)
    slots: dict[str, Any] = {}
    for slot in msg["attrs"]:
        slots.setdefault(slot.cell[0], slot)

    def get(name: str) -> Any:
        slot = slots.get(name)
        if slot is None:
            return None
        return text(slot.get_value()) if name in TEXT_ATTRS else slot.get_value()

    return get
