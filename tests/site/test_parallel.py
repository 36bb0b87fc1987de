"""netstack_docs.site.parallel: per-host results in order, from forked workers or from this process,
and a worker's error raised here as the same error."""

from __future__ import annotations

import os
import pickle

import pytest

from netstack_docs.errors import UserError
from netstack_docs.site.parallel import RemoteTraceback, per_host
from netstack_docs.snapshot import SnapshotError


class TwoPartError(UserError):
    """A UserError whose constructor pickle cannot replay (its args are one message)."""

    exit_code = 3

    def __init__(self, where: str, what: str):
        super().__init__(f"{where}: {what}")


@pytest.mark.parametrize("jobs", [2, 3])
def test_results_come_in_order_and_each_workers_first_from_the_worker(jobs: int) -> None:
    with per_host(lambda i: (i * i, os.getpid()), 20, jobs) as results:
        got = list(results)
    assert [square for square, _ in got] == [i * i for i in range(20)]
    workers = {pid for _, pid in got[: jobs - 1]}
    assert len(workers) >= 1 and os.getpid() not in workers  # the rest: a worker's or this process's


def test_a_task_no_worker_started_is_done_by_the_reader_and_a_workers_first_never() -> None:
    from concurrent.futures import Future

    from netstack_docs.site.parallel import _read

    asked = []

    class Task(Future):  # type: ignore[type-arg]
        def __init__(self, index: int, done_by_worker: bool) -> None:
            super().__init__()
            self.index = index
            if done_by_worker:
                self.set_running_or_notify_cancel()
                self.set_result((True, f"worker {index}"))

        def cancel(self) -> bool:
            asked.append(self.index)
            return super().cancel()

    shut = []
    pool = type("Pool", (), {"shutdown": lambda self: shut.append(1)})()
    futures = [Task(0, True), Task(1, True), Task(2, True), Task(3, False)]
    got = list(_read(futures, lambda i: f"here {i}", pool, workers=2))  # type: ignore[arg-type]
    assert got == ["worker 0", "worker 1", "worker 2", "here 3"] and shut == [1]
    assert asked == [2, 3]  # the first task of each of the two workers is never taken back


@pytest.mark.parametrize("jobs", [1, 4])
def test_one_job_or_one_task_runs_here(jobs: int) -> None:
    with per_host(lambda i: os.getpid(), 1 if jobs > 1 else 5, jobs) as results:
        assert set(results) == {os.getpid()}


def test_a_snapshot_error_in_a_worker_is_raised_here_as_itself() -> None:
    def work(i: int) -> int:
        if i == 3:
            raise SnapshotError("snapshots/prod/edge-01.json", "namespaces[0].links", "not a list")
        return i

    with per_host(work, 8, jobs=2) as results, pytest.raises(SnapshotError) as exc:
        list(results)
    assert str(exc.value) == "snapshots/prod/edge-01.json: namespaces[0].links: not a list"
    assert exc.value.field == "namespaces[0].links"


def test_a_snapshot_error_pickles_whole() -> None:
    error = SnapshotError("a.json", "host.env", "wrong")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.path, copy.field, copy.problem) == (SnapshotError, "a.json", "host.env", "wrong")


def test_a_user_error_that_does_not_pickle_keeps_its_message_and_exit_status() -> None:
    def work(i: int) -> int:
        if i == 1:
            raise TwoPartError("prod/edge-01", "no such namespace")
        return i

    with per_host(work, 4, jobs=2) as results, pytest.raises(UserError) as exc:
        list(results)
    assert str(exc.value) == "prod/edge-01: no such namespace"
    assert exc.value.exit_code == 3
    assert exc.value.__cause__ is None  # a user's error: no traceback to show


def test_a_bug_in_a_worker_carries_the_workers_traceback() -> None:
    def work(i: int) -> int:
        return {}[i]  # KeyError

    with per_host(work, 2, jobs=2) as results, pytest.raises(KeyError) as exc:
        list(results)
    assert isinstance(exc.value.__cause__, RemoteTraceback)
    assert "def work" not in str(exc.value.__cause__) and "KeyError" in str(exc.value.__cause__)


def test_the_first_error_in_order_is_the_one_raised() -> None:
    def work(i: int) -> int:
        if i in (2, 5):
            raise UserError(f"host {i}")
        return i

    seen = []
    with per_host(work, 8, jobs=2) as results, pytest.raises(UserError, match="host 2"):
        for value in results:
            seen.append(value)
    assert seen == [0, 1]
