"""`netstack-docs diff`: exit status like diff(1), readable text, JSON for tools, no tracebacks."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

from versions_fixtures import recaptured, snapshot, write


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netstack_docs", "diff", *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_identical_directories_exit_0(tmp_path):
    doc = snapshot()
    old = write(tmp_path / "old", {("prod", "edge-01"): doc})
    new = write(tmp_path / "new", {("prod", "edge-01"): recaptured(doc)})
    proc = run(old, new)
    assert (proc.returncode, proc.stdout) == (0, "no change (1 host(s) compared)\n"), proc.stderr


def test_different_files_exit_1_with_grouped_text(tmp_path):
    doc = snapshot()
    new = copy.deepcopy(doc)
    ns = new["namespaces"][0]
    ns["routes"].append({"family": "inet", "table": "main", "dst": "192.0.2.0/24", "gateway": "10.0.0.254"})
    ns["tc"]["qdiscs"][0]["options"]["rate"] = "2mbit"
    ns["sysctls"].pop("net.ipv4.ip_forward")
    write(tmp_path / "a", {("prod", "edge-01"): doc})
    write(tmp_path / "b", {("prod", "edge-01"): new})
    proc = run(tmp_path / "a/prod/edge-01.json", tmp_path / "b/prod/edge-01.json")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [
        "~ host prod/edge-01 (edge-01)",
        "  root namespace",
        "    + route inet main unicast 192.0.2.0/24",
        "    ~ qdisc eth0 root",
        "        options.rate: 1mbit -> 2mbit",
        "    - sysctl net.ipv4.ip_forward",
    ]


def test_json_output_for_tools(tmp_path):
    doc = snapshot()
    gone = snapshot(hostname="edge-02")
    new = copy.deepcopy(doc)
    new["namespaces"][0]["links"][1]["mtu"] = 9000
    old_dir = write(tmp_path / "old", {("prod", "edge-01"): doc, ("prod", "edge-02"): gone})
    new_dir = write(tmp_path / "new", {("prod", "edge-01"): new})
    proc = run("--json", old_dir, new_dir)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["identical"] is False and data["hosts_compared"] == 2
    edge1, edge2 = data["hosts"]
    assert (edge2["host"], edge2["op"]) == ("edge-02", "removed")
    [obj] = edge1["namespaces"][0]["objects"]
    assert (obj["kind"], obj["op"], obj["key"], obj["fields"]) == (
        "link", "changed", ["eth0"], [{"field": "mtu", "old": 1500, "new": 9000}])


def test_untrusted_names_cannot_reach_the_terminal_raw(tmp_path):
    doc = snapshot()
    new = copy.deepcopy(doc)
    new["namespaces"][0]["sysctls"]["net.ipv4.conf.\x1b]0;pwned\x07.forwarding"] = "1"
    write(tmp_path / "a", {("prod", "edge-01"): doc})
    write(tmp_path / "b", {("prod", "edge-01"): new})
    proc = run(tmp_path / "a", tmp_path / "b")
    assert proc.returncode == 1
    assert "\x1b" not in proc.stdout and "\\x1b]0;pwned\\x07" in proc.stdout


def test_bad_snapshot_exit_2_names_file_and_field(tmp_path):
    doc = snapshot()
    bad = copy.deepcopy(doc)
    bad["namespaces"][0]["routes"][0]["dst"] = 42
    write(tmp_path / "a", {("prod", "edge-01"): doc})
    write(tmp_path / "b", {("prod", "edge-01"): bad})
    proc = run(tmp_path / "a", tmp_path / "b")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{tmp_path / 'b/prod/edge-01.json'}: namespaces[0].routes[0].dst:" in proc.stderr


def test_missing_file_and_mixed_arguments_exit_2(tmp_path):
    write(tmp_path / "a", {("prod", "edge-01"): snapshot()})
    proc = run(tmp_path / "a/prod/edge-01.json", tmp_path / "nope.json")
    assert proc.returncode == 2 and "nope.json" in proc.stderr and "Traceback" not in proc.stderr
    proc = run(tmp_path / "a/prod/edge-01.json", tmp_path / "a")
    assert proc.returncode == 2 and "two files or two directories" in proc.stderr


def test_env_directory_must_match_the_snapshot(tmp_path):
    write(tmp_path / "a", {("prod", "edge-01"): snapshot()})
    write(tmp_path / "b", {("stage", "edge-01"): snapshot()})  # host.env says prod
    proc = run(tmp_path / "a", tmp_path / "b")
    assert proc.returncode == 2 and "host.env" in proc.stderr and "stage/" in proc.stderr


def test_published_versions_compare_through_the_snapshots_they_carry(tmp_path):
    """A version on gh-pages holds <env>/<host>/snapshot.json beside its HTML and search index."""
    doc = snapshot()
    new = copy.deepcopy(doc)
    new["namespaces"][0]["sysctls"]["net.ipv4.ip_forward"] = "1"
    for version, d in (("v1", doc), ("v2", new)):
        host_dir = tmp_path / version / "prod" / "edge-01"
        host_dir.mkdir(parents=True)
        (host_dir / "snapshot.json").write_text(json.dumps(d))
        (host_dir / "index.html").write_text("<html></html>")
        (tmp_path / version / "search").mkdir()
        (tmp_path / version / "search" / "search_index.json").write_text("{}")
    proc = run(tmp_path / "v1", tmp_path / "v2")
    assert proc.returncode == 1, proc.stderr
    assert "    ~ sysctl net.ipv4.ip_forward\n        value: 0 -> 1\n" in proc.stdout
    proc = run(tmp_path / "v1/prod/edge-01/snapshot.json", tmp_path / "v2/prod/edge-01/snapshot.json")
    assert proc.stdout.startswith("~ host prod/edge-01 (edge-01)\n")
