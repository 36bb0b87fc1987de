"""Split many namespace captures across a few forked worker processes, so decoding uses every core.

Collectors are Python that decodes netlink messages: threads share one interpreter lock, so on a
host with hundreds of namespaces one process saturates one core. Each forked worker captures a
share of the namespaces exactly as the parent does (in-process threads entering namespaces with
setns), then sends the resulting documents back through a pipe as JSON. The fork happens before
any thread exists, so no lock is inherited held. Few namespaces or one core: no fork at all.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, Union

from netstack_docs.capture import timing
from netstack_docs.capture.context import NamespaceCapture

# A namespace's result: its capture, or ("gone" | "failed", reason)
Result = Union[NamespaceCapture, tuple[str, str]]  # evaluated at runtime: no `|` on 3.9
# capture(share, done) -> {ns_id: Result}; done(ns_id) is called as each namespace finishes
Capture = Callable[[list[Any], Callable[[str], None]], dict[str, Result]]
MIN_PER_PROCESS = 40


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
    """Capture `items` (namespaces) in `processes` processes: this one plus forked workers.

    A worker still running `deadline` seconds after this process finished its own share is killed
    and its namespaces are reported as not captured.
    """
    if processes <= 1:
        return capture(items, done)
    shares = [items[i::processes] for i in range(processes)]
    forked: list[tuple[int, int, list[Any]]] = []
    for share in shares[1:]:  # fork every worker before this process starts any thread
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: capture its share, send it, leave without running parent cleanup
            os.close(read_fd)
            timing.reset()
            status = 0
            try:
                with timing.phase("namespaces: own share"):
                    captured = capture(share, lambda _id: None)
                with timing.phase("namespaces: encode"):
                    data = _encode(captured)
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(data)
                timing.flush("worker")
            except BaseException:  # noqa: BLE001 - the parent reports the share as not captured
                status = 1
            os._exit(status)
        os.close(write_fd)
        forked.append((pid, read_fd, share))
    children: list[tuple[int, list[bytes], threading.Thread, list[Any]]] = []
    for pid, read_fd, share in forked:
        buffer: list[bytes] = []
        reader = threading.Thread(target=_read_all, args=(read_fd, buffer), daemon=True)
        reader.start()  # read while the child writes, or a large answer would fill the pipe and block
        children.append((pid, buffer, reader, share))
    with timing.phase("namespaces: own share"):
        results = capture(shares[0], done)
    waited = time.perf_counter()
    give_up = time.monotonic() + deadline  # one deadline for all workers, not one each in turn
    for pid, buffer, reader, share in children:
        reader.join(max(0.0, give_up - time.monotonic()))
        if reader.is_alive():
            os.kill(pid, signal.SIGKILL)
            reader.join()
        _, status = os.waitpid(pid, 0)
        timing.add_phase("namespaces: wait for workers", time.perf_counter() - waited)
        if status == 0 and buffer and buffer[0]:
            with timing.phase("namespaces: decode"):
                results.update(_decode(buffer[0], paths))
            for item in share:
                done(item.id)
        else:
            for item in share:
                results[item.id] = ("failed", f"worker process failed (wait status {status})")
                done(item.id)
        waited = time.perf_counter()
    return results
