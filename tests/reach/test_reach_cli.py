"""`netstack-docs reach` as a user runs it: regions in text and JSON, exit 0 when answered, 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "netstack_docs", "reach", "--snapshots", str(REPO / "snapshots"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)


def test_json_regions_carry_their_rules_example_and_trace() -> None:
    p = _cli("prod/edge-01", "--in", "wan0", "--proto", "icmp", "--dst", "203.0.113.2", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["host"] == "edge-01" and out["from"] == "wan0"
    fates = {r["fate"] for r in out["regions"]}
    assert {"delivered", "dropped"} <= fates
    for r in out["regions"]:
        assert set(r) >= {
            "fate",
            "end",
            "description",
            "space",
            "rules",
            "depends_on",
            "example",
            "example_trace",
        }
        assert r["example_trace"]["steps"] and r["example"]["dst"] == "203.0.113.2"
    keys = [(r["fate"], r["end"], tuple(r["rules"]), tuple(r["depends_on"])) for r in out["regions"]]
    assert len(keys) == len(set(keys))


def test_text_names_the_exceptions_and_the_deciding_rule() -> None:
    p = _cli("prod/edge-01", "--in", "wan0", "--proto", "icmp", "--dst", "203.0.113.2")
    assert p.returncode == 0, p.stderr
    assert "from any except" in p.stdout and "192.0.2.0/24" in p.stdout
    assert "blocklist" in p.stdout and "example: icmp" in p.stdout


def test_bad_input_exits_2_without_a_traceback() -> None:
    for args in (
        ["prod/edge-01"],
        ["prod/edge-01", "--in", "nope"],
        ["prod/edge-01", "--in", "wan0", "--to", "tcp/1"],
        ["prod/edge-01", "--in", "wan0", "--dst", "not-an-address"],
        ["edge-01", "--in", "wan0"],
    ):
        p = _cli(*args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr and "error" in p.stderr.lower()


def test_help_teaches() -> None:
    p = _cli("--help")
    assert p.returncode == 0
    assert "depends on" in p.stdout and "Exit status" in p.stdout and "--assume" in p.stdout
