"""`netstack-docs trace` as a user runs it: text and JSON, exit codes 0/1/3/2, errors naming choices."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, snapshots: Path | None = REPO / "snapshots") -> subprocess.CompletedProcess[str]:
    """`netstack-docs trace ARGS`, run from the checkout (a docs repository); snapshots=None: its default."""
    where = ["--snapshots", str(snapshots)] if snapshots is not None else []
    cmd = [sys.executable, "-m", "netstack_docs", "trace", *where, *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)


def test_json_has_the_issue_shape_and_exit_status_follows_the_verdict() -> None:
    p = _cli(
        "prod/edge-01", "--in", "lan0", "--src", "10.10.0.10", "--dst", "10.10.0.1", "--dport", "22", "--json"
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert set(out) == {"verdict", "assumptions", "steps", "final", "unknowns", "packet"}
    assert out["verdict"] == "delivered" and out["final"]["socket"] == "tcp 10.10.0.1:22 (sshd)"
    assert out["assumptions"] == ["tc:lan0:ingress:*=ok"]  # the demo's mkdocs.yml states it
    assert set(out["final"]) == {"host", "netns", "ifname", "socket", "src", "dst", "sport", "dport"}
    keys = {"layer", "host", "netns", "what", "component", "url"}
    assert all(set(s) - {"undetermined"} == keys for s in out["steps"])
    p = _cli("prod/edge-01", "--in", "wan0", "--src", "192.0.2.9", "--dst", "203.0.113.2", "--dport", "22")
    assert p.returncode == 1 and "verdict: dropped" in p.stdout and "drop known abuse" in p.stdout


def test_undetermined_exits_3(tmp_path: Path) -> None:
    doc = json.loads((REPO / "snapshots/prod/edge-01.json").read_text())
    root = next(ns for ns in doc["namespaces"] if ns["id"] == "root")
    root["rules"].insert(
        1, {"family": "inet", "priority": 5, "action": "lookup", "table": "main", "l3mdev": True}
    )
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod/edge-01.json").write_text(json.dumps(doc))
    args = ("prod/edge-01", "--in", "lan0", "--src", "10.10.0.10", "--dst", "203.0.113.1", "--dport", "80")
    p = _cli(*args, snapshots=tmp_path)
    assert p.returncode == 3, p.stdout + p.stderr
    assert "verdict: undetermined" in p.stdout and "l3mdev" in p.stdout


def test_usage_and_input_errors_exit_2_without_traceback() -> None:
    cases = [
        (["prod/edge-01", "--in", "eth7", "--src", "1.2.3.4", "--dst", "10.10.0.1", "--dport", "22"], "wan0"),
        (
            ["prod/edge-9", "--from-local", "--src", "1.2.3.4", "--dst", "10.10.0.1", "--dport", "22"],
            "edge-01",
        ),
        (
            [
                "prod/edge-01",
                "--from-local",
                "--netns",
                "x",
                "--src",
                "1.2.3.4",
                "--dst",
                "1.1.1.1",
                "--dport",
                "1",
            ],
            "isp-backup",
        ),
        (["prod/edge-01", "--src", "1.2.3.4", "--dst", "10.10.0.1", "--dport", "22"], "--from-local"),
        (["prod/edge-01", "--from-local", "--src", "1.2.3.4", "--dst", "::1", "--dport", "22"], "family"),
        (["edge-01", "--from-local", "--src", "1.2.3.4", "--dst", "1.1.1.1", "--dport", "22"], "ENV/HOST"),
    ]
    for args, named in cases:
        p = _cli(*args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert named in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_help_shows_examples() -> None:
    p = _cli("--help")
    assert p.returncode == 0 and "Examples:" in p.stdout and "--from-local" in p.stdout


def test_snapshots_default_to_the_docs_repository_in_the_current_directory() -> None:
    p = _cli(
        "prod/edge-01",
        "--in",
        "lan0",
        "--src",
        "10.10.0.10",
        "--dst",
        "10.10.0.1",
        "--dport",
        "22",
        snapshots=None,
    )
    assert p.returncode == 0 and "verdict: delivered" in p.stdout, p.stderr


def test_every_help_example_runs_on_the_demo_snapshots() -> None:
    from netstack_docs.commands.trace import EXAMPLES

    text = EXAMPLES.replace("\\\n", " ")
    examples = [
        line.split("netstack-docs trace", 1)[1].split() for line in text.splitlines() if "trace prod/" in line
    ]
    assert len(examples) >= 3
    for args in examples:
        p = _cli(*args)
        assert p.returncode in (0, 1, 3), (args, p.stderr)
        assert "verdict:" in p.stdout or '"verdict"' in p.stdout


def test_steps_link_to_the_published_site_when_site_url_is_set(tmp_path: Path) -> None:
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        "site_name: x\nsite_url: https://docs.example.net/network/\n"
        "extra:\n  netstack:\n    assume: ['tc:lan0:ingress:*=ok']\n"
    )
    args = ("prod/edge-01", "--in", "lan0", "--src", "10.10.0.10", "--dst", "10.10.0.1", "--dport", "22")
    p = _cli(*args, "--config", str(config))
    assert p.returncode == 0, p.stderr
    assert "<https://docs.example.net/network/latest/prod/edge-01/" in p.stdout
    assert "  <prod/" not in p.stdout
    out = json.loads(_cli(*args, "--config", str(config), "--json").stdout)
    linked = [s for s in out["steps"] if s["url"]]
    assert linked and not any(s["url"].startswith("http") for s in linked)
    assert all(s["absolute_url"] == "https://docs.example.net/network/latest/" + s["url"] for s in linked)


def test_layer2_options_reach_open_vswitch_and_a_flood_lists_its_copies() -> None:
    """compute-01's VM port: the frame's MACs as given, NORMAL floods VLAN 1, each copy walked; the copy to
    the uncaptured VTEP is forwarded, so the verdict is forwarded and the dropped copies are listed."""
    args = ["prod/compute-01", "--in", "tap3f1c-01", "--src", "192.168.10.5", "--dst", "192.168.10.6"]
    args += ["--dport", "22", "--src-mac", "FA:16:3E:00:00:01", "--dst-mac", "fa:16:3e:00:00:02"]
    p = _cli(*args, "--assume", "underlay:*=crosses", "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    out = json.loads(p.stdout)
    assert out["packet"]["src_mac"] == "fa:16:3e:00:00:01" and out["packet"]["dst_mac"] == "fa:16:3e:00:00:02"
    assert out["verdict"] == "forwarded" and out["copies"] is True
    assert out["final"]["ifname"] == "vxlan-0a00000a"
    assert any("no learned MAC" in s["what"] and "flooded to br-int, int-br-ex, patch-tun" in s["what"]
               for s in out["steps"])
    assert any(s["url"] == "prod/compute-01/virtual/#ovstable-host--br-tun--table-22" for s in out["steps"])
    assert any("vxlan-0a00000c" in n and "dropped (compute-02:root)" in n for n in out["notes"])
    p = _cli(*args[:-4], "--src-mac", "fa:16:3e", "--vlan", "5")
    assert p.returncode == 2 and "src-mac 'fa:16:3e' is not a MAC" in p.stderr and "Traceback" not in p.stderr
