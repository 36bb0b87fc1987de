"""Namespaces a capture leaves out: the ones `--exclude-netns` names, and isolated ones (loopback only).

On a CI runner, a laptop or a Kubernetes node most namespaces belong to short-lived sandboxes
(browser renderers, test jobs, systemd `PrivateNetwork=` services). One that holds nothing but a
loopback device cannot carry traffic to or from anything else: its contents are not captured unless
asked (`--include-isolated`), and its coming and going is state (`state.namespaces_left_out`), not a
configuration change. Only namespaces nothing but a process holds (kind `proc`: a sandbox, a
`PrivateNetwork=` unit, a container or pod found through its process) are left out so: the host's
own, named ones (`ip netns add`, CNI's) and Docker's bind-mounted ones are always captured, whatever
they hold. Standard library only, Python 3.9+.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from typing import Any

# kinds of namespace (capture.namespaces) that may be summarised instead of captured
TRANSIENT_KINDS = ("proc",)


def owner_label(ns_id: str) -> str:
    """What a summary calls a namespace's owner: its id without the numbering and the `proc/` prefix."""
    base = ns_id.split("#", 1)[0]
    return base[len("proc/"):] if base.startswith("proc/") else base


def candidates(ns: Any) -> list[str]:
    """Every name `--exclude-netns` matches: id (with and without its #N), name, owner process and
    service, container and pod (`ns/name` and `name`)."""
    names = [ns.id, ns.id.split("#", 1)[0], ns.name]
    owner = ns.owner or {}
    names += [owner.get("comm") or "", owner.get("unit") or ""]
    container = ns.container or {}
    for key in ("name", "pod_name"):
        names.append(container.get(key) or "")
    if container.get("pod_namespace") and container.get("pod_name"):
        names.append(f"{container['pod_namespace']}/{container['pod_name']}")
    return [n for n in names if n]


def excluded_by(ns: Any, patterns: list[str]) -> str | None:
    """The first pattern that matches the namespace (never the host's own), or None."""
    if ns.kind == "root":
        return None
    names = candidates(ns)
    return next((p for p in patterns if any(fnmatch.fnmatchcase(n, p) for n in names)), None)


def is_isolated(doc: dict[str, Any]) -> bool:
    """Only loopback devices (at least one link seen, and the link dump complete)."""
    links = doc.get("links") or []
    if not links or any(g.get("what", "").startswith("links") for g in doc.get("gaps") or []):
        return False
    return all(link.get("kind") == "loopback" for link in links)


def entry(ns: Any, why: str, pattern: str | None = None) -> dict[str, Any]:
    out = {"id": ns.id, "kind": ns.kind, "owner": owner_label(ns.id), "why": why}
    if pattern is not None:
        out["pattern"] = pattern
    return out


REASONS = (
    ("isolated", "isolated (loopback only), not captured"),
    ("excluded", "excluded by --exclude-netns"),
)


def summary(left_out: list[dict[str, Any]]) -> list[str]:
    """One line per reason: "12 namespaces isolated (loopback only), not captured: chromium x8, sleep x4".

    Pure: the site shows the same lines from a snapshot's state.namespaces_left_out."""
    lines = []
    for why, text in REASONS:
        owners = Counter(e["owner"] for e in left_out if e["why"] == why)
        if owners:
            count = sum(owners.values())
            ranked = sorted(owners.items(), key=lambda item: (-item[1], item[0]))
            parts = ", ".join(f"{owner} x{n}" if n > 1 else owner for owner, n in ranked)
            lines.append(f"{count} {'namespace' if count == 1 else 'namespaces'} {text}: {parts}")
    return lines
