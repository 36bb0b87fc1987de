"""Run the real `netstack-docs capture` inside a sandbox after a setup script, and return the snapshot."""

from __future__ import annotations

import json
from typing import Any

from sandbox import run_in_sandbox

from netstack_docs.snapshot.load import config_view, validate_document

MARK = "=====SNAPSHOT====="


def capture(setup: str, args: str = "", after: str = "", timeout: float = 300) -> dict[str, Any]:
    """Build the topology, let it settle (DAD: lab/sandbox-prelude.sh), capture it with the CLI, validate
    the file against the schema, return it."""
    script = (
        f"{setup}\n"
        "settle\n"
        f"$PYTHON -m netstack_docs capture --env lab --host t --out /tmp/snap.json --quiet {args}\n"
        f"{after}\n"
        f"echo '{MARK}'; cat /tmp/snap.json\n"
    )
    proc = run_in_sandbox(script, timeout=timeout)
    doc = json.loads(proc.stdout.split(MARK, 1)[1])
    return validate_document(doc, "sandbox snapshot")


def namespace(doc: dict[str, Any], ns_id: str) -> dict[str, Any]:
    matches = [ns for ns in doc["namespaces"] if ns["id"] == ns_id]
    assert matches, f"namespace {ns_id!r} not in {[ns['id'] for ns in doc['namespaces']]}"
    return matches[0]


def link(ns: dict[str, Any], ifname: str) -> dict[str, Any]:
    matches = [x for x in ns["links"] if x["ifname"] == ifname]
    assert matches, f"link {ifname!r} not in {[x['ifname'] for x in ns['links']]}"
    return matches[0]


def sandbox_config(doc: dict[str, Any]) -> dict[str, Any]:
    """config_view of a sandbox capture without `bpf`: BPF programs are not namespaced, so a capture
    inside a sandbox also lists the programs other sandboxes on this shared machine load and unload
    at any moment (tests/capture/test_bpf.py proves what the capture says about programs)."""
    return {k: v for k, v in config_view(doc).items() if k != "bpf"}


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two documents differ, as dotted paths (a readable assertion message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {json.dumps(a)[:300]} != {json.dumps(b)[:300]}"]
