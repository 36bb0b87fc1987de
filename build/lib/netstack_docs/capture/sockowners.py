"""Which processes own which sockets: one scan of /proc/<pid>/fd, shared by every namespace's thread.

Socket inodes are unique across namespaces, so a single host-wide index serves all of them. The
scan is the expensive part of socket capture (one readlink per open fd), hence done once and
reused; it is refreshed when older than MAX_AGE_S, so a long-lived process that captures again
does not reuse a stale index. Only pid and comm are read: never cmdline or environ.
"""

from __future__ import annotations

import os
import threading
import time

from netstack_docs.capture.namespaces import comm_of

MAX_AGE_S = 5.0

_lock = threading.Lock()
_index: dict[int, list[tuple[int, str]]] = {}
_built_at = float("-inf")
_problem: str | None = None


def _scan() -> tuple[dict[int, list[tuple[int, str]]], str | None]:
    index: dict[int, list[tuple[int, str]]] = {}
    denied = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except PermissionError:
            denied += 1
            continue
        except OSError:
            continue  # the process exited meanwhile
        comm: str | None = None
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                comm = comm or comm_of(pid)
                if comm is not None:
                    index.setdefault(int(target[8:-1]), []).append((int(pid), comm))
    problem = f"permission denied reading the open files of {denied} processes" if denied else None
    return index, problem


def _fresh() -> None:
    global _index, _built_at, _problem
    with _lock:
        if time.monotonic() - _built_at > MAX_AGE_S:
            _index, _problem = _scan()
            _built_at = time.monotonic()


def owners_of(inode: int) -> list[tuple[int, str]]:
    """(pid, comm) of every process holding socket `inode`, lowest pid first."""
    _fresh()
    return sorted(set(_index.get(inode, [])))


def scan_problem() -> str | None:
    """Why some owners may be missing (permission denied), or None."""
    return _problem


def forget() -> None:
    """Drop the index so the next lookup rescans (call at the start of a capture)."""
    global _built_at
    with _lock:
        _built_at = float("-inf")
