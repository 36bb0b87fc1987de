"""Load a two-instruction BPF program through bpf(2) and attach it as XDP or as a tc filter.

Tests need real attached programs but there is no clang here: the program is written as raw
instructions (`r0 = ACTION; exit`), loaded with the bpf(2) syscall through ctypes, and attached
over netlink with pyroute2. Once attached, the kernel holds the program, so this process may exit.

    python tests/bpfload.py xdp IFNAME [--name NAME]              # generic (skb) mode XDP_PASS
    python tests/bpfload.py tc IFNAME [--direction ingress|egress] [--name NAME]
                                                                  # clsact + bpf da filter, TC_ACT_OK
Prints the program id on stdout.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import struct
import sys

SYS_BPF = {"x86_64": 321, "aarch64": 280}
BPF_PROG_LOAD = 5
BPF_OBJ_GET_INFO_BY_FD = 15
BPF_PROG_TYPE_SCHED_CLS = 3
BPF_PROG_TYPE_XDP = 6
XDP_PASS = 2
TC_ACT_OK = 0
XDP_FLAGS_SKB_MODE = 1 << 1


class _ProgLoadAttr(ctypes.Structure):
    _fields_ = [
        ("prog_type", ctypes.c_uint32),
        ("insn_cnt", ctypes.c_uint32),
        ("insns", ctypes.c_uint64),
        ("license", ctypes.c_uint64),
        ("log_level", ctypes.c_uint32),
        ("log_size", ctypes.c_uint32),
        ("log_buf", ctypes.c_uint64),
        ("kern_version", ctypes.c_uint32),
        ("prog_flags", ctypes.c_uint32),
        ("prog_name", ctypes.c_char * 16),
        ("pad", ctypes.c_uint8 * 64),
    ]


class _InfoAttr(ctypes.Structure):
    _fields_ = [("bpf_fd", ctypes.c_uint32), ("info_len", ctypes.c_uint32), ("info", ctypes.c_uint64)]


def _bpf(cmd: int, attr: ctypes.Structure) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    nr = SYS_BPF[os.uname().machine]
    ret = libc.syscall(nr, cmd, ctypes.byref(attr), ctypes.sizeof(attr))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"bpf({cmd}): {os.strerror(err)}")
    return int(ret)


def load_program(prog_type: int, name: str, ret_value: int) -> int:
    """Load `r0 = ret_value; exit` and return the program fd."""
    mov_r0 = struct.pack("<BBhi", 0xB7, 0x00, 0, ret_value)  # BPF_ALU64 | BPF_MOV | BPF_K, dst r0
    exit_ = struct.pack("<BBhi", 0x95, 0x00, 0, 0)  # BPF_JMP | BPF_EXIT
    insns = ctypes.create_string_buffer(mov_r0 + exit_)
    lic = ctypes.create_string_buffer(b"GPL")
    log = ctypes.create_string_buffer(4096)
    attr = _ProgLoadAttr()
    attr.prog_type = prog_type
    attr.insn_cnt = 2
    attr.insns = ctypes.addressof(insns)
    attr.license = ctypes.addressof(lic)
    attr.log_level = 1
    attr.log_size = len(log)
    attr.log_buf = ctypes.addressof(log)
    attr.prog_name = name.encode()[:15]
    return _bpf(BPF_PROG_LOAD, attr)


def program_id(fd: int) -> int:
    """bpf_prog_info.id: the second u32 of the info struct (after type)."""
    info = ctypes.create_string_buffer(256)
    attr = _InfoAttr(bpf_fd=fd, info_len=256, info=ctypes.addressof(info))
    _bpf(BPF_OBJ_GET_INFO_BY_FD, attr)
    return int(struct.unpack_from("<I", info.raw, 4)[0])


BPF_LINK_CREATE = 28
BPF_XDP, BPF_TCX_INGRESS = 37, 46  # attach types


class _LinkCreateAttr(ctypes.Structure):
    _fields_ = [("prog_fd", ctypes.c_uint32), ("target_ifindex", ctypes.c_uint32),
                ("attach_type", ctypes.c_uint32), ("flags", ctypes.c_uint32), ("pad", ctypes.c_uint8 * 48)]


def link_create(prog_fd: int, ifindex: int, attach_type: int) -> int:
    """Attach through a BPF link (tcx, xdp): it lives as long as the returned fd stays open."""
    attr = _LinkCreateAttr(prog_fd=prog_fd, target_ifindex=ifindex, attach_type=attach_type)
    return _bpf(BPF_LINK_CREATE, attr)


def attach_xdp(ifname: str, name: str) -> int:
    from pyroute2 import IPRoute

    fd = load_program(BPF_PROG_TYPE_XDP, name, XDP_PASS)
    with IPRoute() as ipr:
        index = ipr.link_lookup(ifname=ifname)[0]
        xdp = {"attrs": [("IFLA_XDP_FD", fd), ("IFLA_XDP_FLAGS", XDP_FLAGS_SKB_MODE)]}
        ipr.link("set", index=index, xdp=xdp)
    return program_id(fd)


def attach_tc(ifname: str, name: str, direction: str) -> int:
    from pyroute2 import IPRoute

    fd = load_program(BPF_PROG_TYPE_SCHED_CLS, name, TC_ACT_OK)
    parent = 0xFFFFFFF2 if direction == "ingress" else 0xFFFFFFF3
    with IPRoute() as ipr:
        index = ipr.link_lookup(ifname=ifname)[0]
        if not any(q.get_attr("TCA_KIND") == "clsact" for q in ipr.get_qdiscs(index=index)):
            ipr.tc("add", "clsact", index)
        ipr.tc("add-filter", "bpf", index, ":1", fd=fd, name=name, parent=parent, prio=1,
               direct_action=True, protocol=0x0003)
    return program_id(fd)


def main(argv: list[str]) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("mode", choices=["xdp", "tc"])
    parser.add_argument("ifname")
    parser.add_argument("--name", default="nsd_test")
    parser.add_argument("--direction", choices=["ingress", "egress"], default="ingress")
    args = parser.parse_args(argv)
    if args.mode == "xdp":
        prog_id = attach_xdp(args.ifname, args.name)
    else:
        prog_id = attach_tc(args.ifname, args.name, args.direction)
    print(prog_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
