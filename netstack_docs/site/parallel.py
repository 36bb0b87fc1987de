"""Per-host work on every core: forked workers compute ahead while this process goes on (issue 24).

A build's per-host analysis (the exposure of each host, netstack_docs.analysis.reach) is independent
from host to host. `per_host(work, count, jobs)` yields `work(0)`, `work(1)`, … in order, computed by
`jobs` processes: `jobs - 1` forked workers compute ahead of the reader (they inherit the parent's
loaded snapshots, so a task is only its index, and a result comes back pickled), and the reader itself
takes back and computes any task no worker has started when it needs that result (a build's process is
busy classifying and rendering while the workers run, then idle: two jobs on two CPUs keep both busy
without a third process competing for them). With one job or no fork start method, every result is
computed here when read. Either way the reader sees the same results in the same order, and the same
first error: a worker's exception is sent back and raised here when its result is read, a UserError
as itself (the file and field named, no traceback), any other with the worker's traceback as its cause.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from netstack_docs.errors import UserError

T = TypeVar("T")


def default_jobs() -> int:
    """The CPUs this process may run on (`build --jobs`' default)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class RemoteTraceback(Exception):
    """A worker's traceback, shown as the cause of the exception it raised (as concurrent.futures does)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# The work of the pool being started: set before the fork, so each worker inherits it (never pickled).
_WORK: Callable[[int], Any] | None = None


def _run(index: int) -> tuple[bool, Any]:
    """In a worker: (True, result) or (False, (the exception in a form that survives pickling, the
    worker's traceback or None for a UserError))."""
    assert _WORK is not None
    try:
        return True, _WORK(index)
    except Exception as exc:  # noqa: BLE001 (sent back to the parent, which raises it)
        trace = None if isinstance(exc, UserError) else "".join(traceback.format_exception(exc))
        return False, (_portable(exc), trace)


def _portable(exc: Exception) -> Exception:
    """`exc` if it pickles back to itself, else one that does with the same message (and, for a
    UserError, the same exit status)."""
    try:
        copy = pickle.loads(pickle.dumps(exc))
        if type(copy) is type(exc) and str(copy) == str(exc):
            return exc
    except Exception:  # noqa: BLE001, S110 (an exception whose constructor pickle cannot replay)
        pass
    if isinstance(exc, UserError):
        same = UserError(str(exc))
        same.exit_code = exc.exit_code
        return same
    return RuntimeError(f"{type(exc).__name__}: {exc}")


def _read(
    futures: list[Future[tuple[bool, Any]]], work: Callable[[int], T], pool: ProcessPoolExecutor, workers: int
) -> Iterator[T]:
    """The results in order. A task no worker has started yet is taken back and done here: this
    process, one of the jobs, would otherwise wait idle (every CPU busy, none oversubscribed). The
    first task of each worker stays theirs (so that the workers always have something to do)."""
    for i, future in enumerate(futures):
        if i >= workers and future.cancel():
            yield work(i)
            continue
        ok, value = future.result()
        if not ok:
            exc, trace = value
            if trace is None:
                raise exc
            raise exc from RemoteTraceback(trace)
        yield value
    pool.shutdown()  # every result read: the workers' memory goes back now, not at the block's end


@contextmanager
def per_host(work: Callable[[int], T], count: int, jobs: int) -> Iterator[Iterator[T]]:
    """`work(i)` for i in 0..count-1, in order, by `jobs` processes: this one (when it reads a result
    that no worker has started, netstack_docs.site.parallel._read) and `jobs - 1` forked workers that
    compute ahead of it; with one job (or no fork), here when read. Leaving the block cancels what has
    not started (an error elsewhere in the build waits for at most one task a worker); a worker that
    dies (killed, out of memory) fails the build with concurrent.futures' BrokenProcessPool, never
    hangs it."""
    workers = min(jobs - 1, count - 1)  # this process does a task too
    if workers < 1 or not can_fork():
        yield (work(i) for i in range(count))
        return
    global _WORK
    _WORK = work
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        # With fork, every worker starts at the first submit, and inherits _WORK.
        futures = [pool.submit(_run, i) for i in range(count)]
        _WORK = None
        yield _read(futures, work, pool, workers)
    finally:
        _WORK = None
        pool.shutdown(wait=True, cancel_futures=True)
