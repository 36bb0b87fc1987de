"""Run functions inside network namespaces in-process: one short-lived thread per namespace, moved by setns.

setns(2) with CLONE_NEWNET moves only the calling thread, so each namespace gets a fresh daemon
thread that enters it, runs the work, and ends; the capturing process's other threads stay where
they are. Netlink sockets created by that thread, `/proc/thread-self/net/...` and
`/proc/sys/net/...` read from that thread all belong to the entered namespace. (pyroute2 0.9.7's
sync `IPRoute()` without `netns=` also calls plain `socket.socket()` in the calling thread and
starts no helper thread or process; tests/capture/test_namespaces.py proves both. The capture
itself uses netstack_docs.capture.rtnl, which skips IPRoute's per-message asyncio round trip.) A thread per
namespace (rather than a reused pool) means a namespace that hangs can be abandoned after its
timeout without leaving a moved thread behind for the next task.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Any

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


_local = threading.local()


def rtnl() -> Any:
    """This thread's rtnetlink socket (netstack_docs.capture.rtnl.Rtnl), opened on first use in its netns.

    One socket per namespace thread serves every collector; it subscribes to no multicast group, so
    no unsolicited events pile up while a dump runs.
    """
    ipr = getattr(_local, "ipr", None)
    if ipr is None:
        from netstack_docs.capture.rtnl import Rtnl

        ipr = _local.ipr = Rtnl()
    return ipr


def close_rtnl() -> None:
    ipr = getattr(_local, "ipr", None)
    if ipr is not None:
        _local.ipr = None
        ipr.close()


class NamespaceGone(Exception):
    """The namespace file vanished (namespace deleted, owning process exited) before it was entered."""


def enter(path: str) -> None:
    """Move the calling thread into the network namespace bound at `path`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError as exc:
        raise NamespaceGone(f"{path} no longer exists") from exc
    except ProcessLookupError as exc:
        raise NamespaceGone(f"{path}: process exited") from exc
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


def thread_netns_inode() -> int:
    """The inode of the namespace the calling thread is in (what it would capture)."""
    return os.stat("/proc/thread-self/ns/net").st_ino


@dataclass
class Task:
    key: str
    path: str | None  # None: stay in the capturing process's own namespace
    fn: Callable[[], Any]
    inode: int | None = None  # the namespace discovery saw at `path`; entering another one is refused


@dataclass
class Outcome:
    key: str
    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    seconds: float = 0.0


def _start(task: Task) -> Future[Any]:
    future: Future[Any] = Future()

    def body() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            if task.path is not None:
                enter(task.path)
                if task.inode is not None and thread_netns_inode() != task.inode:
                    # a reused pid, or a holder that moved: its data must not go under this id
                    raise NamespaceGone(f"{task.path} now leads to another namespace")
            future.set_result(task.fn())
        except BaseException as exc:  # handed to the caller, who records a gap
            future.set_exception(exc)
        finally:
            close_rtnl()

    threading.Thread(target=body, name=f"netns:{task.key}", daemon=True).start()
    return future


def run_all(
    tasks: Iterable[Task],
    workers: int = 4,
    timeout: float = 30.0,
    done: Callable[[Outcome], None] | None = None,
) -> dict[str, Outcome]:
    """Run every task in its namespace, at most `workers` at once; a task over `timeout` is abandoned.

    `tasks` is read lazily: the next task is taken only when a worker thread is free for it."""
    source = iter(tasks)
    exhausted = False
    running: dict[Future[Any], tuple[Task, float]] = {}
    outcomes: dict[str, Outcome] = {}

    def finish(outcome: Outcome) -> None:
        outcomes[outcome.key] = outcome
        if done is not None:
            done(outcome)

    while True:
        while not exhausted and len(running) < workers:
            task = next(source, None)
            if task is None:
                exhausted = True
            else:
                running[_start(task)] = (task, time.monotonic())
        if not running:
            return outcomes
        now = time.monotonic()
        nearest = min(started for _, started in running.values()) + timeout
        finished, _ = wait(list(running), timeout=max(0.0, nearest - now), return_when=FIRST_COMPLETED)
        now = time.monotonic()
        for future in list(running):
            task, started = running[future]
            if future in finished:
                del running[future]
                error = future.exception()
                finish(Outcome(task.key, None if error else future.result(), error, False, now - started))
            elif now - started >= timeout:
                del running[future]  # the thread is a daemon: abandoned, it cannot block exit
                finish(Outcome(task.key, None, None, True, now - started))
