"""XDP in multi mode keeps every program id, and BPF attach types are named by the kernel's numbers.

Recorded, not built: multi mode needs driver and offloaded XDP at once (a NIC or netdevsim; the
kernel refuses driver + generic on one device), and the netkit module is absent here. The bytes
follow include/uapi/linux/if_link.h (IFLA_XDP_*) and the attach-type numbers include/uapi/linux/bpf.h.
"""

from __future__ import annotations

import struct

from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from netstack_docs.capture import bpf
from netstack_docs.capture.links import _xdp
from netstack_docs.snapshot.content import xdp_programs

IFLA_IFNAME, IFLA_XDP = 3, 43
IFLA_XDP_ATTACHED, IFLA_XDP_DRV_PROG_ID, IFLA_XDP_HW_PROG_ID = 2, 5, 7
XDP_ATTACHED_MULTI = 4
NLA_F_NESTED = 0x8000


def _attr(kind: int, payload: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def _link_message(xdp_attrs: bytes) -> ifinfmsg:
    attrs = _attr(IFLA_IFNAME, b"eth0\0") + _attr(IFLA_XDP | NLA_F_NESTED, xdp_attrs)
    body = struct.pack("=BxHiII", 0, 1, 2, 0, 0) + attrs  # ifinfomsg: family, type, index, flags, change
    msg = ifinfmsg(struct.pack("=IHHII", 16 + len(body), 16, 0, 0, 0) + body)  # RTM_NEWLINK
    msg.decode()
    return msg


def test_multi_mode_xdp_keeps_the_program_of_each_mode():
    msg = _link_message(_attr(IFLA_XDP_ATTACHED, bytes([XDP_ATTACHED_MULTI]))
                        + _attr(IFLA_XDP_DRV_PROG_ID, struct.pack("=I", 31))
                        + _attr(IFLA_XDP_HW_PROG_ID, struct.pack("=I", 32)))
    xdp = _xdp(msg.get_attr("IFLA_XDP"))
    assert xdp is not None and xdp["mode"] == "xdpmulti"
    assert xdp["prog_id"] == 31  # was 0: multi mode sends no IFLA_XDP_PROG_ID
    assert [(p["mode"], p["prog_id"]) for p in xdp_programs(xdp)] == [("xdp", 31), ("xdpoffload", 32)]


def test_single_mode_xdp_is_unchanged():
    msg = _link_message(_attr(IFLA_XDP_ATTACHED, bytes([2])) + _attr(6, struct.pack("=I", 9))
                        + _attr(4, struct.pack("=I", 9)))  # generic: SKB_PROG_ID and PROG_ID
    assert _xdp(msg.get_attr("IFLA_XDP")) == {"mode": "xdpgeneric", "prog_id": 9, "prog_name": None}


def test_bpf_attach_types_follow_the_kernel_enum():
    """enum bpf_attach_type from BPF_NETFILTER (45) on: netkit is 54/55, not 50/51 (issue 15)."""
    tail = ["netfilter", "tcx_ingress", "tcx_egress", None, "cgroup_unix_connect", "cgroup_unix_sendmsg",
            "cgroup_unix_recvmsg", "cgroup_unix_getpeername", "cgroup_unix_getsockname", "netkit_primary",
            "netkit_peer"]
    assert [bpf.ATTACH_TYPES.get(45 + i) for i in range(len(tail))] == tail
