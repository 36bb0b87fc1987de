"""Where one capture's time goes, per phase: recorded only when the hidden `--timings FILE` names a file.

bench/capture.py passes the option (it is not in --help); a user never sees the record. Each
process of the capture (the main one and every forked worker, netstack_docs.capture.fanout)
appends one JSON line to that file:
`{"process": "main" | "worker", "phases": {phase: seconds}, "collectors": {name: seconds}}`.
Phases are wall-clock seconds in that process; `collectors` sums each namespace collector's
seconds over every namespace that process captured (threads run side by side, so these sums can
exceed the wall time). Standard library only, Python 3.9+.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_path: str | None = None  # where the record goes; None: nothing is written
_phases: dict[str, float] = {}
_collectors: dict[str, float] = {}


def enable(path: str) -> None:
    global _path
    _path = path


def enabled() -> bool:
    return _path is not None


def _add(into: dict[str, float], name: str, seconds: float) -> None:
    with _lock:
        into[name] = into.get(name, 0.0) + seconds


def add_phase(name: str, seconds: float) -> None:
    _add(_phases, name, seconds)


def add_collector(name: str, seconds: float) -> None:
    _add(_collectors, name, seconds)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Add the wall-clock time of the block to phase `name`."""
    start = time.perf_counter()
    try:
        yield
    finally:
        add_phase(name, time.perf_counter() - start)


def process_age() -> float:
    """Seconds since this process started (interpreter start-up and imports, when called early)."""
    try:
        with open("/proc/self/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # starttime: the 22nd field
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError):
        return 0.0


def reset() -> None:
    """Forget what this process recorded (a forked worker starts its own record)."""
    with _lock:
        _phases.clear()
        _collectors.clear()


def flush(process: str) -> None:
    """Append this process's record to the --timings file; nothing without one."""
    path = _path
    if path is None:
        return
    with _lock:
        record = {"process": process, "phases": {k: round(v, 4) for k, v in _phases.items()},
                  "collectors": {k: round(v, 4) for k, v in sorted(_collectors.items())}}
    line = (json.dumps(record) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)  # one write with O_APPEND: lines of several processes never interleave
    finally:
        os.close(fd)
