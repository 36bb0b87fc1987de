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


def test_results_come_in_order_and_from_worker_processes() -> None:
    with per_host(lambda i: (i * i, os.getpid()), 20, jobs=2) as results:
        got = list(results)
    assert [square for square, _ in got] == [i * i for i in range(20)]
    assert os.getpid() not in {pid for _, pid in got}


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
