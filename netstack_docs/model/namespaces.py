"""Who a network namespace is for a reader: its kind, a human label, and the path tools can enter it by.

Named namespaces are reachable by name (`ip -n NAME`, `ip netns exec NAME`); Docker's live under
/var/run/docker/netns and others only as /proc/<pid>/ns/net, invisible to `ip netns`, so commands
for them go through `nsenter --net=PATH`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KIND_ORDER = {"root": 0, "named": 1, "docker": 2, "proc": 3}


@dataclass(frozen=True)
class NamespaceRef:
    id: str  # 'root', NAME, 'docker/<file>', 'proc/<comm>' (capture.namespaces); 'host' for host-wide
    kind: str  # root | named | docker | proc | host
    name: str  # untrusted
    path: str | None  # what nsenter --net= takes
    label: str  # untrusted parts inside: "netns blue", "pid 42 (sleep)"


HOST = NamespaceRef(id="host", kind="host", name="host", path=None, label="whole host")


def _short(value: str) -> str:
    return value[:12]


def container_label(container: dict[str, Any] | None) -> str | None:
    """What runs in a namespace, as a reader says it: `pod shop/web-7d9f`, `container web (nginx:1.27)`."""
    if not container:
        return None
    if container.get("pod_namespace") and container.get("pod_name"):
        return f"pod {container['pod_namespace']}/{container['pod_name']}"
    if container.get("name"):
        image = f" ({container['image']})" if container.get("image") else ""
        return f"container {container['name']}{image}"
    return None


def namespace_ref(ns: dict[str, Any]) -> NamespaceRef:
    """The reference for one snapshot namespace document."""
    kind = ns["kind"]
    ns_id = ns["id"]
    owner = ns.get("owner") or {}
    name = ns.get("name") or ns_id.rpartition("/")[2]
    path = ns.get("path")
    known = container_label(ns.get("container"))
    if kind == "root":
        return NamespaceRef(ns_id, kind, name, path, "root namespace")
    if kind == "named":
        return NamespaceRef(ns_id, kind, name, path or f"/run/netns/{name}", known or f"netns {name}")
    if kind == "docker":
        container = owner.get("container_id")
        label = f"container {_short(container)} (docker)" if container else f"docker netns {name}"
        return NamespaceRef(ns_id, kind, name, path or f"/var/run/docker/netns/{name}", known or label)
    pid = owner.get("pid") or (ns_id.partition("/")[2] if ns_id.startswith("pid/") else None)
    comm = owner.get("comm")
    label = f"pid {pid} ({comm})" if pid and comm else (f"pid {pid}" if pid else f"namespace {name}")
    label = known or label
    return NamespaceRef(ns_id, kind, name, path or (f"/proc/{pid}/ns/net" if pid else None), label)


def ordered(namespaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Root first, then named, Docker and /proc-only namespaces, each by id: the same order every run."""
    return sorted(namespaces, key=lambda ns: (KIND_ORDER.get(ns["kind"], 9), ns["id"]))


def root_namespace(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The host's own namespace (the one the packet path and the devices belong to)."""
    namespaces: list[dict[str, Any]] = snapshot["namespaces"]
    return next((ns for ns in namespaces if ns["kind"] == "root"), namespaces[0])
