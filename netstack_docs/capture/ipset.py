"""The kernel's ipsets (ip_set) of the current namespace, read over nfnetlink like `ipset list`.

Stored as doc["ipsets"] = [{name, type, family, members, truncated}]: `-m set --match-set NAME`
rules (firewalld, fail2ban, Calico, kube-proxy's ipvs mode) decide by these members. Members are
written as `ipset list` writes them (`10.0.0.0/8`, `192.0.2.1,tcp:80`, a set name for list:set)
and sorted; timeouts and counters are run-time state and left out. A set with more than
MAX_MEMBERS members keeps the first ones (sorted) and says `truncated`.

The names of `-m set` rules come from here too: an xt set match carries the set's index, which
only the SO_IP_SET socket option turns back into a name (as iptables-save does).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import socket
import struct
import sys
from functools import cache
from typing import Any

from netstack_docs.capture import kmod, nfnl, rawattr
from netstack_docs.capture.context import NamespaceCapture

NATIVE_LITTLE = sys.byteorder == "little"
NFNL_SUBSYS_IPSET = 6
IPSET_CMD_LIST = 7
IPSET_PROTOCOL = 6
(ATTR_PROTOCOL, ATTR_SETNAME, ATTR_TYPENAME, ATTR_REVISION, ATTR_FAMILY, ATTR_FLAGS, ATTR_DATA,
 ATTR_ADT) = range(1, 9)
# CADT / ADT attributes inside an element
A_IP, A_IP_TO, A_CIDR, A_PORT, A_PORT_TO, A_TIMEOUT, A_PROTO, A_CADT_FLAGS = range(1, 9)
A_ETHER, A_NAME, A_NAMEREF, A_IP2, A_CIDR2, A_IP2_TO, A_IFACE = range(17, 24)
A_ELEMENTS = 24  # create-level: number of elements (kernel-only)
IPSET_FLAG_NOMATCH = 1 << 2
FAMILIES = {2: "inet", 10: "inet6"}
PROTOS = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6", 132: "sctp", 136: "udplite"}
MAX_MEMBERS = 1000

SO_IP_SET = 83
IP_SET_OP_VERSION = 0x100
IP_SET_OP_GET_BYINDEX = 7


def _ip(value: bytes | None) -> str | None:
    if value is None:
        return None
    inner = rawattr.walk(value)
    if 1 in inner:
        return socket.inet_ntop(socket.AF_INET, inner[1][:4])
    if 2 in inner:
        return socket.inet_ntop(socket.AF_INET6, inner[2][:16])
    return None


def _net(attrs: dict[int, bytes], ip_kind: int, cidr_kind: int, family: str) -> str | None:
    ip = _ip(attrs.get(ip_kind))
    if ip is None:
        return None
    cidr = rawattr.u8(attrs.get(cidr_kind))
    full = 32 if ":" not in ip else 128
    return ip if cidr in (None, full) else f"{ip}/{cidr}"


def member(type_name: str, attrs: dict[int, bytes]) -> str:
    """One element as `ipset list` prints it (without timeout, counters, comment)."""
    parts: list[str] = []
    kinds = type_name.split(":", 1)[-1].split(",")
    ip_done = False
    for kind in kinds:
        if kind in ("ip", "net") and not ip_done:
            ip = _net(attrs, A_IP, A_CIDR, kind)
            to = _ip(attrs.get(A_IP_TO))
            parts.append(f"{ip}-{to}" if to and ip else ip or "?")
            ip_done = True
        elif kind in ("ip", "net"):
            parts.append(_net(attrs, A_IP2, A_CIDR2, kind) or "?")
        elif kind == "port":
            port = rawattr.u16(attrs.get(A_PORT), ">")
            proto = rawattr.u8(attrs.get(A_PROTO))
            if proto in (1, 58) and port is not None:  # icmp type and code travel as one port
                text = f"{PROTOS[proto]}:{port >> 8}/{port & 0xFF}"
            else:
                text = f"{port}" if proto is None else f"{PROTOS.get(proto, proto)}:{port}"
            parts.append(text)
        elif kind == "mac":
            parts.append(":".join(f"{b:02X}" for b in attrs.get(A_ETHER, b"")))
        elif kind == "iface":
            parts.append(rawattr.string(attrs.get(A_IFACE)) or "?")
        elif kind == "set":
            parts.append(rawattr.string(attrs.get(A_NAME)) or "?")
        elif kind == "mark":
            parts.append(f"0x{rawattr.u32(attrs.get(10), '>') or 0:08x}")
    text = ",".join(parts)
    flags = rawattr.u32(attrs.get(A_CADT_FLAGS), ">") or 0
    return text + (" nomatch" if flags & IPSET_FLAG_NOMATCH else "")


def read_sets() -> list[dict[str, Any]]:
    """Every set of this namespace with its members (sorted, capped)."""
    msg_type = (NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_LIST
    request = nfnl.attr(ATTR_PROTOCOL, bytes([IPSET_PROTOCOL]))
    sets: dict[str, dict[str, Any]] = {}
    for payload in nfnl.dump(msg_type, socket.AF_INET, request):
        attrs = rawattr.walk(payload)
        name = rawattr.string(attrs.get(ATTR_SETNAME))
        if name is None:
            continue
        entry = sets.setdefault(name, {"name": name, "type": None, "family": None, "members": []})
        if ATTR_TYPENAME in attrs:
            entry["type"] = rawattr.string(attrs[ATTR_TYPENAME])
            family = rawattr.u8(attrs.get(ATTR_FAMILY))
            entry["family"] = FAMILIES.get(family or 0)
        for kind, elem in rawattr.walk_list(attrs.get(ATTR_ADT, b"")):
            if kind == ATTR_DATA:
                entry["members"].append(member(entry["type"] or "", rawattr.walk(elem)))
    found = []
    for entry in sorted(sets.values(), key=lambda e: e["name"]):
        members = sorted(entry["members"])
        entry["truncated"] = len(members) > MAX_MEMBERS
        entry["members"] = members[:MAX_MEMBERS]
        found.append(entry)
    return found


@cache
def _getsockopt() -> Any:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    func = libc.getsockopt
    func.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                     ctypes.POINTER(ctypes.c_uint32)]
    return func


def _sockopt(sock: socket.socket, request: bytes) -> bytes:
    buf = ctypes.create_string_buffer(request, len(request))
    size = ctypes.c_uint32(len(request))
    if _getsockopt()(sock.fileno(), socket.IPPROTO_IP, SO_IP_SET, buf, ctypes.byref(size)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, errno.errorcode.get(code, str(code)))
    return buf.raw[:size.value]


def names_by_index(indexes: set[int]) -> dict[int, str]:
    """ipset index -> name, as iptables-save resolves `-m set` (missing ones left out)."""
    if not indexes:
        return {}
    names: dict[int, str] = {}
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as sock:
            version = struct.unpack_from("=II", _sockopt(sock, struct.pack("=II", IP_SET_OP_VERSION, 0)))[1]
            for index in sorted(indexes):
                request = struct.pack("=IIH30x", IP_SET_OP_GET_BYINDEX, version, index)
                try:
                    name = rawattr.string(_sockopt(sock, request)[8:40])
                except OSError:
                    continue
                if name:
                    names[index] = name
    except OSError:
        return names
    return names


def collect(ns: NamespaceCapture) -> None:
    if not kmod.modules_available(("ip_set",)):
        return  # ip_set not loaded: no set can exist, and asking would make the kernel load it
    try:
        sets = read_sets()
    except OSError as exc:
        if exc.errno in (errno.EPROTONOSUPPORT, errno.ENOENT, errno.EOPNOTSUPP):
            ns.gap("ipsets", f"the kernel has no ip_set here ({exc})")
        else:
            ns.gap("ipsets", f"listing ipsets failed: {exc}")
        return
    if sets:
        ns.doc["ipsets"] = sets
