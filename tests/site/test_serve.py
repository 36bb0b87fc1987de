"""`serve`: a live preview that rebuilds when a hand-written page or a snapshot changes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from site_fixtures import FIXTURE_SNAPSHOTS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except (urllib.error.URLError, OSError):
        return None


def wait_for(condition: Callable[[], bool], timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_serve_rebuilds_on_page_and_snapshot_changes_and_survives_a_bad_snapshot(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text("site_name: A team's docs\n")
    (project / "docs" / "notes.md").write_text("# Notes\n\nThe team's own page.\n")
    snapshots = tmp_path / "snapshots"
    shutil.copytree(FIXTURE_SNAPSHOTS, snapshots)
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    code = (
        "import sys; from pathlib import Path; from netstack_docs.site.serve import serve; "
        f"serve(Path({str(snapshots)!r}), '127.0.0.1', {port}, project_dir=Path({str(project)!r}))"
    )
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env={**os.environ, "NO_COLOR": "1"},
        )
    try:
        assert wait_for(lambda: "Linking to these docs" in (fetch(base + "linking/") or "")), log.read_text()

        page = project / "docs" / "notes.md"
        page.write_text(page.read_text() + "\nCANARY-PAGE-EDIT\n")
        assert wait_for(lambda: "CANARY-PAGE-EDIT" in (fetch(base + "notes/") or "")), log.read_text()

        source = next(snapshots.glob("hostile/*.json"))
        shutil.copy(source, source.parent / "lab-02.json")
        assert wait_for(lambda: fetch(base + "hostile/lab-02/") is not None), log.read_text()

        bad = source.parent / "lab-03.json"
        doc = json.loads(source.read_text())
        del doc["host"]["kernel"]
        bad.write_text(json.dumps(doc))
        assert wait_for(lambda: "build failed, still serving" in log.read_text()), log.read_text()
        assert str(bad) in log.read_text() and "Traceback" not in log.read_text()
        assert fetch(base + "hostile/lab-02/") is not None  # the last good site is still served
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
