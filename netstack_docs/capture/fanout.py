"""Spread many namespace captures across a few forked worker processes, so decoding uses every core.

Collectors are Python that decodes netlink messages: threads share one interpreter lock, so on a
host with hundreds of namespaces one process saturates one core. Each forked worker captures
namespaces exactly as the parent does (in-process threads entering namespaces with setns), then
sends the resulting documents back through a pipe as JSON. The fork happens before any thread
exists, so no lock is inherited held. Few namespaces or one core: no fork at all.

Namespaces are handed out as the processes ask for them, not split in advance: one namespace can
cost as much as fifty others (the root namespace holds the host end of every veth), and a fixed
share leaves the other processes idle while one finishes it. The queue is a pipe holding every
namespace's index, written before the fork; a read of 4 bytes takes one index, and the kernel
makes each read whole and unique, so no lock is held by a process that may be killed.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Union

from netstack_docs.capture import timing
from netstack_docs.capture.context import NamespaceCapture

# A namespace's result: its capture, or ("gone" | "failed", reason)
Result = Union[NamespaceCapture, tuple[str, str]]  # evaluated at runtime: no `|` on 3.9
# capture(items, done) -> {ns_id: Result} for the items it took from the iterable (each taken once, as
# the capture is ready for it); done(ns_id) is called as each namespace finishes
Capture = Callable[[Iterable[Any], Callable[[str], None]], dict[str, Result]]
MIN_PER_PROCESS = 40
_INDEX = struct.Struct("=I")
F_SETPIPE_SZ = 1031


class WorkQueue:
    """Indices 0..count-1 in a pipe shared by forked processes: each `take` returns the next one."""

    def __init__(self, count: int):
        self.read_fd, write_fd = os.pipe()
        data = b"".join(_INDEX.pack(i) for i in range(count))
        try:
            if len(data) > 65536:  # more than a pipe holds by default: ask for room for all of them
                fcntl.fcntl(write_fd, F_SETPIPE_SZ, len(data))
            os.set_blocking(write_fd, False)
            written = os.write(write_fd, data)
        except OSError:
            written = 0
        finally:
            os.close(write_fd)  # at the end of the indices every reader sees end of file
        if written != len(data):
            os.close(self.read_fd)
            raise OSError(f"the work queue holds {written // _INDEX.size} of {count} namespaces")

    def take(self) -> int | None:
        data = os.read(self.read_fd, _INDEX.size)
        return _INDEX.unpack(data)[0] if len(data) == _INDEX.size else None

    def items(self, items: list[Any]) -> Iterator[Any]:
        """The items this process takes, one at a time, until the queue is empty."""
        while (index := self.take()) is not None:
            yield items[index]

    def close(self) -> None:
        os.close(self.read_fd)


def processes_for(count: int) -> int:
    cpus = len(os.sched_getaffinity(0))
    return max(1, min(cpus, count // MIN_PER_PROCESS, 4))


def _encode(results: dict[str, Result]) -> bytes:
    out = {}
    for ns_id, cap in results.items():
        out[ns_id] = list(cap) if isinstance(cap, tuple) else {
            "doc": cap.doc, "state": cap.state, "ifnames": list(cap.ifnames.items())}
    return json.dumps(out).encode()


def _decode(data: bytes, paths: dict[str, str]) -> dict[str, Result]:
    results: dict[str, Result] = {}
    for ns_id, value in json.loads(data).items():
        if isinstance(value, list):
            results[ns_id] = (value[0], value[1])
        else:
            results[ns_id] = NamespaceCapture(ns_id, value["doc"], value["state"],
                                              {int(k): v for k, v in value["ifnames"]}, paths)
    return results


def _read_all(fd: int, into: list[bytes]) -> None:
    with os.fdopen(fd, "rb") as pipe:
        into.append(pipe.read())


def capture_spread(items: list[Any], capture: Capture, paths: dict[str, str],
                   done: Callable[[str], None], processes: int, deadline: float = 600.0) -> dict[str, Result]:
    """Capture `items` (namespaces) in `processes` processes: this one plus forked workers, each
    taking the next namespace from a shared queue as it is ready for one.

    A worker still running `deadline` seconds after this process finished its own part is killed;
    the namespaces it took are reported as not captured.
    """
    if processes <= 1:
        return capture(items, done)
    try:
        queue = WorkQueue(len(items))
    except OSError:  # no room for the queue (over 262,144 namespaces without privilege): no workers
        return capture(items, done)
    forked: list[tuple[int, int]] = []
    for _ in range(processes - 1):  # fork every worker before this process starts any thread
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: capture what it takes, send it, leave without running parent cleanup
            os.close(read_fd)
            _work(lambda: capture(queue.items(items), lambda _id: None), write_fd)
        os.close(write_fd)
        forked.append((pid, read_fd))
    results = _collect(forked, lambda: capture(queue.items(items), done), paths, done, deadline)
    queue.close()
    for item in items:  # taken by a worker that failed, or never taken because it failed first
        if item.id not in results:
            results[item.id] = ("failed", "worker process failed before returning it")
            done(item.id)
    return results


def _work(capture: Callable[[], dict[str, Result]], write_fd: int) -> None:
    """In a forked worker: capture, send the JSON through `write_fd`, exit (never returns)."""
    timing.reset()
    status = 0
    try:
        with timing.phase("namespaces: own share"):
            captured = capture()
        with timing.phase("namespaces: encode"):
            data = _encode(captured)
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)
        timing.flush("worker")
    except BaseException:  # noqa: BLE001 - the parent reports what this worker took as not captured
        status = 1
    os._exit(status)


def _collect(forked: list[tuple[int, int]], own: Callable[[], dict[str, Result]], paths: dict[str, str],
             done: Callable[[str], None], deadline: float) -> dict[str, Result]:
    """This process's own captures, then every worker's answer; a worker over the deadline is killed."""
    children: list[tuple[int, list[bytes], threading.Thread]] = []
    for pid, read_fd in forked:
        buffer: list[bytes] = []
        reader = threading.Thread(target=_read_all, args=(read_fd, buffer), daemon=True)
        reader.start()  # read while the child writes, or a large answer would fill the pipe and block
        children.append((pid, buffer, reader))
    with timing.phase("namespaces: own share"):
        results = own()
    waited = time.perf_counter()
    give_up = time.monotonic() + deadline  # one deadline for all workers, not one each in turn
    for pid, buffer, reader in children:
        reader.join(max(0.0, give_up - time.monotonic()))
        if reader.is_alive():
            os.kill(pid, signal.SIGKILL)
            reader.join()
        _, status = os.waitpid(pid, 0)
        timing.add_phase("namespaces: wait for workers", time.perf_counter() - waited)
        if status == 0 and buffer and buffer[0]:
            with timing.phase("namespaces: decode"):
                answer = _decode(buffer[0], paths)
            results.update(answer)
            for ns_id in answer:
                done(ns_id)
        waited = time.perf_counter()
    return results
