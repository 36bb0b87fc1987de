"""Build small, schema-valid snapshot documents for the versions tests (recorded by hand, not captured).

The capture-based end-to-end test uses real kernel objects; these unit tests need exact control over
one field at a time, which a hand-made document gives.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

from netstack_docs.snapshot import validate_document


def namespace(ns_id: str = "root", kind: str = "root") -> dict[str, Any]:
    return {
        "id": ns_id, "kind": kind, "name": "" if kind == "root" else ns_id,
        "path": None if kind == "root" else f"/run/netns/{ns_id}", "inode": 4026531840,
        "links": [
            {"ifindex": 1, "ifname": "lo", "kind": "loopback", "mtu": 65536, "flags": ["UP", "LOOPBACK"]},
            {"ifindex": 2, "ifname": "eth0", "kind": "veth", "mtu": 1500, "address": "02:00:00:00:00:01",
             "operstate": "up", "flags": ["UP"], "parent": {"ifname": "peer0", "ifindex": 7, "netns": None}},
        ],
        "addresses": [{"ifname": "eth0", "family": "inet", "address": "10.0.0.1", "prefixlen": 24,
                       "scope": "global", "flags": []}],
        "routes": [{"family": "inet", "table": "main", "type": "unicast", "dst": "10.0.0.0/24", "dev": "eth0",
                    "protocol": "kernel", "scope": "link", "prefsrc": "10.0.0.1"}],
        "rules": [{"family": "inet", "priority": 0, "action": "lookup", "table": "local"}],
        "neighbours": [
            {"ifname": "eth0", "address": "10.0.0.9", "lladdr": "02:00:00:00:00:09", "state": "permanent"},
        ],
        "fdb": [],
        "tc": {
            "qdiscs": [{"ifname": "eth0", "kind": "tbf", "handle": "1:", "parent": "root",
                        "options": {"rate": "1mbit", "burst": 1600}}],
            "classes": [],
            "filters": [],
        },
        "nftables": {
            "tables": [{"family": "inet", "name": "filter", "flags": []}],
            "chains": [{"family": "inet", "table": "filter", "name": "input", "type": "filter",
                        "hook": "input", "priority": 0, "policy": "accept"}],
            "rules": [{"family": "inet", "table": "filter", "chain": "input", "handle": 3,
                       "expr": [{"accept": None}], "text": "tcp dport 22 accept", "comment": None}],
            "sets": [],
        },
        "sockets": {"listening": [{"protocol": "tcp", "family": "inet", "local_address": "0.0.0.0",
                                   "port": 22, "ifname": None, "process": "sshd"}]},
        "sysctls": {"net.ipv4.ip_forward": "0"},
        "gaps": [],
    }


def snapshot(env: str = "prod", hostname: str = "edge-01") -> dict[str, Any]:
    doc = {
        "schema_version": 1,
        "meta": {"captured_at": "2026-01-01T10:00:00Z", "tool_version": "0.1.0", "duration_s": 0.5},
        "host": {"env": env, "hostname": hostname, "kernel": "6.1.0", "os": "Debian 12", "role": "edge"},
        "namespaces": [namespace()],
        "bpf": {"programs": []},
        "daemons": [{"name": "systemd-networkd", "config_files": ["/etc/systemd/network/10-eth0.network"]}],
        "state": {"namespaces": {"root": {"links": {"eth0": {"rx_bytes": 10}}}}},
        "gaps": [],
    }
    return validate_document(doc, "<test>")


def recaptured(doc: dict[str, Any]) -> dict[str, Any]:
    """The same host captured again: new meta and state, new kernel-assigned numbers, reordered lists."""
    again = copy.deepcopy(doc)
    again["meta"]["captured_at"] = "2026-01-02T11:30:00Z"
    again["meta"]["duration_s"] = 0.7
    again["state"] = {"namespaces": {"root": {"links": {"eth0": {"rx_bytes": 99999}}}}}
    for ns in again["namespaces"]:
        ns["inode"] = 4026532999
        for link in ns["links"]:
            link["ifindex"] += 40
        for key in ("links", "addresses", "routes"):
            ns[key].reverse()
    for prog in again["bpf"]["programs"]:
        prog["id"] += 100
    return validate_document(again, "<test>")


def write(root: Path, docs: dict[tuple[str, str], dict[str, Any]]) -> Path:
    """Lay `docs` out as a snapshots directory: <root>/<env>/<host>.json."""
    for (env, host), doc in docs.items():
        (root / env).mkdir(parents=True, exist_ok=True)
        (root / env / f"{host}.json").write_text(json.dumps(doc, indent=1))
    return root


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def repo(path: Path) -> Path:
    """A git working repository with one commit on main and one snapshot under snapshots/."""
    git(path.parent, "init", "--quiet", "-b", "main", str(path))
    git(path, "config", "user.name", "test")
    git(path, "config", "user.email", "test@example.invalid")
    git(path, "commit", "--quiet", "--allow-empty", "-m", "init")
    write(path / "snapshots", {("prod", "edge-01"): snapshot()})
    return path
