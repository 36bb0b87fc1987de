"""nfnetlink dumps over a raw socket (stdlib only): nf_tables rules and ipsets as the kernel sends them.

libnftables' JSON leaves an iptables-nft rule's xt match or target as a bare name; the parameters
(NFTA_MATCH_INFO, NFTA_TARGET_INFO) only travel over netlink. pyroute2 0.9's nftables messages
do not decode them either, so the few attributes needed are read straight from the bytes
(rawattr). The socket is opened in the calling thread's network namespace.
"""

from __future__ import annotations

import errno
import socket
import struct

from netstack_docs.capture import rawattr

NETLINK_NETFILTER = 12
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NFNETLINK_V0 = 0
RCVBUF = 1 << 20


class NetlinkError(OSError):
    """The kernel answered a request with an error."""


def attr(kind: int, payload: bytes) -> bytes:
    """One netlink attribute, padded to four bytes."""
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((-length) % 4)


def dump(msg_type: int, family: int, attrs: bytes = b"", is_dump: bool = True) -> list[bytes]:
    """Payloads (after nlmsghdr and nfgenmsg) of every message a dump request returns (or the answer
    of a plain request, acknowledged, with `is_dump=False`)."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_NETFILTER)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        sock.bind((0, 0))
        body = struct.pack("=BBH", family, NFNETLINK_V0, 0) + attrs
        flags = NLM_F_REQUEST | (NLM_F_DUMP if is_dump else NLM_F_ACK)
        sock.send(struct.pack("=IHHII", 16 + len(body), msg_type, flags, 1, 0) + body)
        answers: list[bytes] = []
        while True:
            data = sock.recv(RCVBUF)
            pos = 0
            while pos + 16 <= len(data):
                length, kind, _flags, seq, _pid = struct.unpack_from("=IHHII", data, pos)
                if length < 16:
                    return answers
                if seq == 1:
                    if kind == NLMSG_DONE:
                        return answers
                    if kind == NLMSG_ERROR:
                        code = -struct.unpack_from("=i", data, pos + 16)[0]
                        if code:
                            raise NetlinkError(code, errno.errorcode.get(code, str(code)))
                        return answers
                    answers.append(bytes(data[pos + 20:pos + length]))
                pos += (length + 3) & ~3
    finally:
        sock.close()


def attrs_of(payload: bytes) -> dict[int, bytes]:
    return rawattr.walk(payload)
