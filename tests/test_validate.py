"""`netstack-docs validate`: bad input names the file and the field, exits non-zero, no traceback."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netstack_docs.snapshot import SnapshotError, load_snapshot

MINIMAL = {
    "schema_version": 1,
    "meta": {"captured_at": "2026-11-25T00:00:00Z", "tool_version": "0.1.0"},
    "host": {"env": "lab", "hostname": "h1", "kernel": "6.1"},
    "namespaces": [
        {
            "id": "root", "kind": "root", "links": [{"ifindex": 1, "ifname": "lo", "kind": "loopback"}],
            "addresses": [], "routes": [], "rules": [], "neighbours": [], "fdb": [],
            "tc": {"qdiscs": [], "classes": [], "filters": []},
            "nftables": {"tables": [], "chains": [], "rules": [], "sets": []},
            "sockets": {"listening": []}, "sysctls": {}, "gaps": [],
        }
    ],
    "bpf": {"programs": []}, "daemons": [], "state": {}, "gaps": [],
}


def run_validate(*paths):
    return subprocess.run(
        [sys.executable, "-m", "netstack_docs", "validate", *map(str, paths)], capture_output=True, text=True
    )


def write(tmp_path: Path, name: str, content) -> Path:
    p = tmp_path / name
    p.write_text(content if isinstance(content, str) else json.dumps(content))
    return p


def test_minimal_snapshot_is_valid(tmp_path):
    proc = run_validate(write(tmp_path, "ok.json", MINIMAL))
    assert proc.returncode == 0, proc.stderr
    assert "1 of 1" in proc.stdout


def test_version_1_and_2_are_read_and_capture_writes_2(tmp_path):
    """Schema version 2 only added optional fields: a previous version's snapshots stay readable."""
    # (capture writes the version as a literal: it imports nothing of the build half)
    from netstack_docs.snapshot import SCHEMA_VERSION

    assert SCHEMA_VERSION == 2
    v2 = dict(MINIMAL, schema_version=2)
    v2["namespaces"] = [dict(MINIMAL["namespaces"][0])]
    v2["namespaces"][0]["nftables"] = {
        "tables": [{"family": "inet", "name": "t", "flags": [], "comment": None, "handle": 1}],
        "chains": [{"family": "inet", "table": "t", "name": "c", "hook": "input", "handle": 2}],
        "rules": [],
        "sets": [],
    }
    for doc in (MINIMAL, v2):
        assert load_snapshot(write(tmp_path, "s.json", doc))["schema_version"] == doc["schema_version"]
    src = (Path(__file__).resolve().parents[1] / "netstack_docs/capture/run.py").read_text()
    assert f'"schema_version": {SCHEMA_VERSION},' in src


@pytest.mark.parametrize(
    "mutate, field",
    [
        (
            lambda d: d["namespaces"][0]["links"][0].__setitem__("ifindex", "one"),
            "namespaces[0].links[0].ifindex",
        ),
        (lambda d: d.pop("schema_version"), "schema_version"),
        (lambda d: d.__setitem__("schema_version", 99), "schema_version"),
        (lambda d: d["host"].pop("hostname"), "host"),
        (lambda d: d["namespaces"][0].pop("tc"), "namespaces[0]"),
        (lambda d: d["host"].__setitem__("env", "Bad Env"), "host.env"),
    ],
)
def test_invalid_snapshot_names_file_and_field(tmp_path, mutate, field):
    doc = json.loads(json.dumps(MINIMAL))
    mutate(doc)
    path = write(tmp_path, "bad.json", doc)
    proc = run_validate(path)
    assert proc.returncode == 1
    assert f"{path}: {field}" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "content", ["{not json", '["a list"]', '{"hello": "foreign"}', "\udcff", "[" * 200_000]
)
def test_corrupt_or_foreign_file_is_refused_without_traceback(tmp_path, content):
    path = tmp_path / "x.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    proc = run_validate(path)
    assert proc.returncode == 1
    assert str(path) in proc.stderr and "Traceback" not in proc.stderr


def test_missing_file_is_reported(tmp_path):
    proc = run_validate(tmp_path / "nope.json")
    assert proc.returncode == 1 and "nope.json: (file)" in proc.stderr


def test_duplicate_namespace_ids_are_refused(tmp_path):
    doc = json.loads(json.dumps(MINIMAL))
    doc["namespaces"].append(doc["namespaces"][0])
    with pytest.raises(SnapshotError, match="namespaces"):
        load_snapshot(write(tmp_path, "dup.json", doc))
