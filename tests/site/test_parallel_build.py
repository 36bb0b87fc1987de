"""A build with worker processes (`build --jobs`, netstack_docs.site.parallel) gives the same site, byte
for byte, as one in a single process, and a worker's error reaches the user as the serial build's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from site_fixtures import FIXTURE_SNAPSHOTS, REPO, Built
from test_build import tree_digest

from netstack_docs.cli import main
from netstack_docs.site.build import build_site
from netstack_docs.site.config import SiteOptions
from netstack_docs.site.inputs import load_snapshots
from netstack_docs.snapshot import SnapshotError


def _fleet(tmp_path: Path) -> Path:
    """The demo's hosts and the fixtures' (hostile names included): eight hosts for two jobs."""
    fleet = tmp_path / "snapshots"
    shutil.copytree(REPO / "snapshots", fleet)
    shutil.copytree(FIXTURE_SNAPSHOTS, fleet, dirs_exist_ok=True)
    return fleet


def _files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _record_exposure_processes(monkeypatch: pytest.MonkeyPatch, log: Path, fail: str | None = None) -> None:
    """Each host's exposure appends its process id to `log` (forked workers inherit the patch); the
    host `fail` raises the error an invalid snapshot gives."""
    import netstack_docs.analysis.reach.exposure as exposure

    real = exposure.host_exposure

    def recorded(fleet: Any, env: str, slug: str, *args: Any, **kwargs: Any) -> Any:
        with log.open("a") as f:
            f.write(f"{env}/{slug} {os.getpid()}\n")
        if slug == fail:
            raise SnapshotError(f"snapshots/{env}/{slug}.json", "namespaces[0].sockets", "not what it seems")
        return real(fleet, env, slug, *args, **kwargs)

    monkeypatch.setattr(exposure, "host_exposure", recorded)


def test_two_jobs_build_the_same_site_byte_for_byte_in_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = _fleet(tmp_path)
    (tmp_path / "project").mkdir()
    sites = {}
    for jobs in (1, 2):
        log = tmp_path / f"pids-{jobs}"
        _record_exposure_processes(monkeypatch, log)
        sites[jobs] = tmp_path / f"site-{jobs}"
        options = SiteOptions(jobs=jobs)
        result = build_site(fleet, sites[jobs], project_dir=tmp_path / "project", options=options)
        pids = dict(line.split() for line in log.read_text().splitlines())
        if jobs == 1:
            assert set(pids.values()) == {str(os.getpid())}
        else:  # the first host is the worker's; the others its or this process's (parallel._read)
            first = load_snapshots(fleet)[0]
            assert pids[f"{first.env}/{first.slug}"] != str(os.getpid()), pids
        monkeypatch.undo()
    assert result.hosts == 8
    serial, parallel = _files(sites[1]), _files(sites[2])
    assert serial.keys() == parallel.keys()
    assert [name for name in serial if serial[name] != parallel[name]] == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_error_in_a_worker_is_the_serial_builds_error_and_the_old_site_is_kept(
    jobs: str,
    tmp_path: Path,
    built: Built,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site = tmp_path / "site"
    shutil.copytree(built.site, site)
    before = tree_digest(site)
    fleet = _fleet(tmp_path)
    _record_exposure_processes(monkeypatch, tmp_path / "pids", fail="edge-01")
    monkeypatch.chdir(REPO)
    with pytest.raises(SystemExit) as exit_status:
        main(["build", "--snapshots", str(fleet), "--site", str(site), "--quiet", "--jobs", jobs])
    assert exit_status.value.code == SnapshotError.exit_code != 0
    err = capsys.readouterr().err
    problem = "snapshots/prod/edge-01.json: namespaces[0].sockets: not what it seems"
    assert err == f"netstack-docs: error: {problem}\n"
    assert tree_digest(site) == before
    assert not (tmp_path / ".site.new").exists()
