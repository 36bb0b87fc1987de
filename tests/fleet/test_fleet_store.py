"""What happens on the controller to the snapshot a host's capture printed (netstack_docs.fleet.store)."""

from __future__ import annotations

import copy
import json
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from netstack_docs.errors import UserError
from netstack_docs.fleet.store import Stored, parse_capture, store_capture, target_path
from netstack_docs.snapshot import SnapshotError, dump_snapshot, load_snapshot

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "snapshots/prod/edge-01.json"


@pytest.fixture()
def printed() -> str:
    """What `capture --out -` prints for prod/edge-01."""
    return DEMO.read_text()


def test_names_must_be_slugs_and_say_which_variable_to_set(tmp_path: Path) -> None:
    assert target_path(tmp_path, "prod", "web-01") == tmp_path / "prod/web-01.json"
    with pytest.raises(UserError, match="host 'web_01' is not a slug.*set netstack_host"):
        target_path(tmp_path, "prod", "web_01")
    with pytest.raises(UserError, match="environment '../x' is not a slug.*set netstack_env"):
        target_path(tmp_path, "../x", "web-01")


@pytest.mark.parametrize(("mangle", "field", "problem"), [
    (lambda text: "", "(document)", "printed nothing"),
    (lambda text: text[: len(text) // 2], "line ", "not valid JSON"),
    (lambda text: re.sub(r'"schema_version": \d+', '"schema_version": 9', text), "schema_version",
     "not supported"),
    (lambda text: text.replace('"env": "prod"', '"env": "staging"', 1), "host.env", "expected 'prod'"),
])
def test_a_broken_capture_is_refused_naming_the_field(printed: str, mangle, field: str, problem: str) -> None:
    with pytest.raises(SnapshotError) as caught:
        parse_capture(mangle(printed), "web-01: the capture's output", "prod")
    assert caught.value.field.startswith(field) and problem in caught.value.problem
    assert str(caught.value).startswith("web-01: the capture's output: ")


def test_new_unchanged_and_changed_configuration(printed: str, tmp_path: Path) -> None:
    target = tmp_path / "prod/edge-01.json"
    doc = parse_capture(printed, "edge-01", "prod")
    assert store_capture(doc, target) == Stored(True, "new snapshot")
    assert load_snapshot(target) == doc
    later = copy.deepcopy(doc)
    later["meta"]["captured_at"] = "2030-01-01T00:00:00Z"  # volatile: not configuration
    assert store_capture(later, target) == Stored(False, "configuration unchanged")
    assert load_snapshot(target)["meta"]["captured_at"] == "2030-01-01T00:00:00Z"  # the file is the new one
    root = next(ns for ns in later["namespaces"] if ns["id"] == "root")
    root["links"] = root["links"][1:]
    assert store_capture(later, target) == Stored(True, "configuration changed")


def test_check_mode_compares_but_writes_nothing(printed: str, tmp_path: Path) -> None:
    target = tmp_path / "prod/edge-01.json"
    doc = parse_capture(printed, "edge-01", "prod")
    assert store_capture(doc, target, write=False).reason == "new snapshot" and not target.exists()
    target.parent.mkdir()
    target.write_text(dump_snapshot(doc))
    before = target.read_bytes()
    changed = copy.deepcopy(doc)
    changed["host"]["role"] = "something else"
    assert store_capture(changed, target, write=False).changed
    assert target.read_bytes() == before


def test_an_unusable_previous_file_is_replaced_and_said(printed: str, tmp_path: Path) -> None:
    target = tmp_path / "prod/edge-01.json"
    target.parent.mkdir()
    target.write_text('{"half": ')
    stored = store_capture(parse_capture(printed, "edge-01", "prod"), target)
    assert stored.changed
    assert stored.reason.startswith("replaced an unusable previous file (line 1 column 10: not valid JSON")
    assert json.loads(target.read_text())["host"]["env"] == "prod"


def test_a_file_that_cannot_be_written_is_an_error_and_the_old_stays(printed: str, tmp_path: Path) -> None:
    """A full disk, as a file size limit (it stops root too): the write fails, the old file stays whole."""
    target = tmp_path / "prod/edge-01.json"
    target.parent.mkdir()
    target.write_text(printed)
    before = target.read_bytes()
    child = (
        "import sys\n"
        "from pathlib import Path\n"
        "from netstack_docs.errors import UserError\n"
        "from netstack_docs.fleet.store import parse_capture, store_capture\n"
        "target = Path(sys.argv[1])\n"
        "doc = parse_capture(target.read_text(), 'edge-01', 'prod')\n"
        "doc['host']['role'] = 'changed'\n"
        "try:\n"
        "    store_capture(doc, target)\n"
        "except UserError as exc:\n"
        "    sys.exit(str(exc))\n"
    )

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    proc = subprocess.run([sys.executable, "-c", child, str(target)], capture_output=True, text=True,
                          preexec_fn=limit, cwd=REPO)
    assert proc.returncode == 1 and "cannot write the snapshot: File too large" in proc.stderr, proc.stderr
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["edge-01.json"]  # no half-written temporary file
