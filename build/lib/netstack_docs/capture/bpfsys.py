"""The read-only corner of the bpf(2) syscall, through ctypes: walk loaded programs and BPF links.

Only the commands that enumerate and describe objects are used (GET_NEXT_ID, GET_FD_BY_ID,
OBJ_GET_INFO_BY_FD); nothing is loaded, attached or pinned. Program and link ids are global to
the kernel, not per network namespace. Offsets follow struct bpf_prog_info and bpf_link_info in
include/uapi/linux/bpf.h; the kernel zero-fills fields it does not know and ignores the rest.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass

SYS_BPF = {"x86_64": 321, "aarch64": 280, "armv7l": 386, "ppc64le": 361, "s390x": 351, "riscv64": 280}
BPF_PROG_GET_NEXT_ID, BPF_PROG_GET_FD_BY_ID, BPF_OBJ_GET_INFO_BY_FD = 11, 13, 15
BPF_PROG_QUERY, BPF_LINK_GET_FD_BY_ID, BPF_LINK_GET_NEXT_ID = 16, 30, 31
INFO_SIZE = 256

_libc = ctypes.CDLL(None, use_errno=True)


class _IdAttr(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32), ("next_id", ctypes.c_uint32), ("open_flags", ctypes.c_uint32)]


class _InfoAttr(ctypes.Structure):
    _fields_ = [("bpf_fd", ctypes.c_uint32), ("info_len", ctypes.c_uint32), ("info", ctypes.c_uint64)]


class _QueryAttr(ctypes.Structure):
    _fields_ = [("target_ifindex", ctypes.c_uint32), ("attach_type", ctypes.c_uint32),
                ("query_flags", ctypes.c_uint32), ("attach_flags", ctypes.c_uint32),
                ("prog_ids", ctypes.c_uint64), ("prog_cnt", ctypes.c_uint32), ("pad", ctypes.c_uint32),
                ("prog_attach_flags", ctypes.c_uint64), ("link_ids", ctypes.c_uint64),
                ("link_attach_flags", ctypes.c_uint64), ("revision", ctypes.c_uint64)]


@dataclass(frozen=True)
class ProgInfo:
    id: int
    type: int
    tag: str
    name: str
    load_time_ns: int  # since boot
    run_time_ns: int  # only counted while kernel.bpf_stats_enabled=1
    run_cnt: int


@dataclass(frozen=True)
class LinkInfo:
    id: int
    type: int
    prog_id: int
    raw: bytes  # the type-specific union, decoded by the caller


def _bpf(cmd: int, attr: ctypes.Structure) -> int:
    nr = SYS_BPF.get(os.uname().machine)
    if nr is None:
        raise OSError(errno.ENOSYS, f"bpf(2) syscall number unknown for {os.uname().machine}")
    ret = int(_libc.syscall(nr, cmd, ctypes.byref(attr), ctypes.sizeof(attr)))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def _ids(next_cmd: int) -> Iterator[int]:
    attr = _IdAttr()
    while True:
        try:
            _bpf(next_cmd, attr)
        except FileNotFoundError:
            return  # ENOENT: no id after start_id
        yield attr.next_id
        attr.id, attr.next_id = attr.next_id, 0


def _info(get_fd_cmd: int, obj_id: int) -> bytes | None:
    """The info struct of object `obj_id`, or None when it went away meanwhile."""
    try:
        fd = _bpf(get_fd_cmd, _IdAttr(id=obj_id))
    except FileNotFoundError:
        return None
    try:
        buf = ctypes.create_string_buffer(INFO_SIZE)
        _bpf(BPF_OBJ_GET_INFO_BY_FD, _InfoAttr(bpf_fd=fd, info_len=INFO_SIZE, info=ctypes.addressof(buf)))
        return buf.raw
    finally:
        os.close(fd)


def programs() -> Iterator[ProgInfo]:
    """Every loaded program. Raises PermissionError without CAP_SYS_ADMIN (or CAP_BPF)."""
    for prog_id in _ids(BPF_PROG_GET_NEXT_ID):
        raw = _info(BPF_PROG_GET_FD_BY_ID, prog_id)
        if raw is None:
            continue
        ptype, pid = struct.unpack_from("=II", raw, 0)
        name = raw[64:80].split(b"\0", 1)[0].decode("utf-8", "replace")
        (load_time,) = struct.unpack_from("=Q", raw, 40)
        run_time, run_cnt = struct.unpack_from("=QQ", raw, 192)
        yield ProgInfo(pid, ptype, raw[8:16].hex(), name, load_time, run_time, run_cnt)


def links() -> Iterator[LinkInfo]:
    """Every BPF link (kernel >= 5.8). Raises PermissionError without privilege."""
    try:
        ids = list(_ids(BPF_LINK_GET_NEXT_ID))
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.ENOSYS):
            return  # kernel older than BPF links
        raise
    for link_id in ids:
        raw = _info(BPF_LINK_GET_FD_BY_ID, link_id)
        if raw is not None:
            ltype, lid, prog_id = struct.unpack_from("=III", raw, 0)
            yield LinkInfo(lid, ltype, prog_id, raw[16:48])


def query(ifindex: int, attach_type: int, max_progs: int = 64) -> list[int]:
    """Program ids attached to `ifindex` of the calling thread's namespace at `attach_type` (tcx...)."""
    ids = (ctypes.c_uint32 * max_progs)()
    attr = _QueryAttr(target_ifindex=ifindex, attach_type=attach_type, prog_ids=ctypes.addressof(ids),
                      prog_cnt=max_progs)
    _bpf(BPF_PROG_QUERY, attr)
    return list(ids[: min(attr.prog_cnt, max_progs)])
