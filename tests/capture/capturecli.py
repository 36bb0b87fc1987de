"""Run the real `netstack-docs capture` inside a sandbox after a setup script, and return the snapshot."""

from __future__ import annotations

import json
from typing import Any

from sandbox import run_in_sandbox

from netstack_docs.snapshot.load import validate_document

MARK = "=====SNAPSHOT====="


def capture(setup: str, args: str = "", after: str = "", timeout: float = 300) -> dict[str, Any]:
    """Build the topology, capture it with the CLI, validate the file against the schema, return it."""
    script = (
        f"{setup}\n"
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
