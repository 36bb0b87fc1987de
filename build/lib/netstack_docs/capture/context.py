"""What a collector receives: the part of the snapshot it fills, its state bucket, and a way to record gaps.

A gap (something that could not be captured, and why) is data, not an exception: a collector
records it and returns, so one failure never aborts the host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def empty_namespace(ns_id: str, kind: str) -> dict[str, Any]:
    """A namespace document with every required section present and empty."""
    return {
        "id": ns_id,
        "kind": kind,
        "links": [],
        "addresses": [],
        "routes": [],
        "rules": [],
        "neighbours": [],
        "fdb": [],
        "tc": {"qdiscs": [], "classes": [], "filters": []},
        "nftables": {"tables": [], "chains": [], "rules": [], "sets": []},
        "sockets": {"listening": []},
        "sysctls": {},
        "gaps": [],
    }


@dataclass
class NamespaceCapture:
    """One namespace being captured. Namespace collectors run in a thread already inside it (setns)."""

    id: str
    doc: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)
    ifnames: dict[int, str] = field(default_factory=dict)  # ifindex -> ifname, filled by the links collector
    # every namespace of this capture: id -> a path that opens it (root: /proc/<pid>/ns/net), so a
    # collector can ask the kernel which nsid this namespace gave a peer (IFLA_LINK_NETNSID)
    namespace_paths: dict[str, str] = field(default_factory=dict)
    # per-interface IPv4/IPv6 devconf (the net.ipv4/ipv6.conf.<ifname>.* sysctls) from the link dump's
    # IFLA_AF_SPEC, filled by the links collector: ifname -> {"ipv4": {...}, "ipv6": {...}}
    devconf: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    def gap(self, what: str, reason: str) -> None:
        self.doc["gaps"].append({"what": what, "reason": reason})


@dataclass
class HostCapture:
    """The whole host. Host collectors run once, in the capturing process's own (root) namespace."""

    doc: dict[str, Any]
    namespaces: list[NamespaceCapture]
    is_root: bool

    def gap(self, what: str, reason: str, namespace: str | None = None) -> None:
        self.doc["gaps"].append({"what": what, "reason": reason, "namespace": namespace})
