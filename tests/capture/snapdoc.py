"""Wrap what collectors produced in a whole snapshot document, so tests can validate it against the schema."""

from __future__ import annotations

import json
from typing import Any

from snapshot_shell import snapshot_document

from netstack_docs.snapshot import validate_document

# The snippet a sandbox script runs to capture one namespace with some collectors, from a thread
# that has entered it with setns() (as the real orchestrator does), printing the documents as JSON.
CAPTURE_SNIPPET = r'''
import json, os, sys, threading
from netstack_docs.capture.context import empty_namespace, NamespaceCapture
import ctypes, importlib
_libc = ctypes.CDLL(None, use_errno=True)

def capture(path, ns_id, kind, modules):
    out = {}
    def work():
      try:
        if path:
            fd = os.open(path, os.O_RDONLY)
            if _libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET (os.setns needs Python 3.12)
                raise OSError(ctypes.get_errno(), "setns " + path)
            os.close(fd)
        ns = NamespaceCapture(ns_id, empty_namespace(ns_id, kind))
        for m in modules:
            importlib.import_module("netstack_docs.capture." + m).collect(ns)
        out["doc"], out["state"] = ns.doc, ns.state
      except BaseException as exc:
        out["error"] = exc
    t = threading.Thread(target=work)
    t.start(); t.join()
    if "error" in out:
        raise out["error"]
    return out
'''


def full_document(namespaces: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A schema-valid snapshot around the given namespace documents (and host sections in `extra`)."""
    host = {"env": "test", "hostname": "sandbox", "kernel": "test"}
    return snapshot_document(namespaces, host, "2026-01-01T00:00:00Z", **extra)


def validated(doc: dict[str, Any]) -> dict[str, Any]:
    """Round-trip through JSON (what a file would hold) and validate against the schema."""
    return validate_document(json.loads(json.dumps(doc)), "test-snapshot.json")
