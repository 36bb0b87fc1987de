"""Who runs in a network namespace: container and pod identity from the container runtimes' own files.

A namespace is a hex id to the kernel; a reader wants "pod shop/web-7d9f" or "container web
(nginx:1.27)". The runtimes write what they know to disk, readable without their APIs:

- Docker: /var/lib/docker/containers/<id>/config.v2.json (Name, Config.Image, and the
  namespace's bind mount in NetworkSettings.SandboxKey);
- containerd (CRI) and CRI-O: each task's OCI config.json, whose annotations name the pod and its
  Kubernetes namespace, and whose linux.namespaces give the pod's network namespace path;
- Podman: containers/storage's containers.json (names, and the image in its metadata).

These files also hold environments and command lines (secrets), so only the fields named here
are taken out of them; nothing else is kept. Namespaces are matched by a path that opens them
(bind mount) or by the container id in a process's cgroup (netstack_docs.capture.namespaces).
"""

from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass, field
from typing import Any

DOCKER = "/var/lib/docker/containers/*/config.v2.json"
OCI_CONFIGS = {
    "containerd": "/run/containerd/io.containerd.runtime.v2.task/*/*/config.json",
    "cri-o": "/run/containers/storage/overlay-containers/*/userdata/config.json",
}
PODMAN = "/var/lib/containers/storage/overlay-containers/containers.json"
MAX_BYTES = 4 << 20
# OCI annotation -> identity field, for containerd's CRI plugin and for CRI-O
ANNOTATIONS = {
    "io.kubernetes.cri.sandbox-name": "pod_name",
    "io.kubernetes.cri.sandbox-namespace": "pod_namespace",
    "io.kubernetes.cri.container-type": "container_type",
    "io.kubernetes.cri.container-name": "name",
    "io.kubernetes.cri.image-name": "image",
    "io.kubernetes.pod.name": "pod_name",
    "io.kubernetes.pod.namespace": "pod_namespace",
    "io.kubernetes.cri-o.ContainerType": "container_type",
    "io.kubernetes.container.name": "name",
    "io.kubernetes.cri-o.ImageName": "image",
}
FIELDS = ("id", "name", "image", "pod_name", "pod_namespace", "container_type")


@dataclass
class Index:
    """Identities found on this host, by container id and by network namespace path."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_path: dict[str, dict[str, Any]] = field(default_factory=dict)

    def identify(self, container_id: str | None, paths: list[str]) -> dict[str, Any] | None:
        for path in paths:
            found = self.by_path.get(_canonical(path))
            if found:
                return found
        return self.by_id.get(container_id or "")


def _canonical(path: str) -> str:
    return "/run/" + path[len("/var/run/") :] if path.startswith("/var/run/") else path


def _load(path: str) -> Any:
    try:
        if os.path.getsize(path) > MAX_BYTES:
            return None
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None  # unreadable or half-written: the namespace keeps its plain name


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _identity(runtime: str, **values: Any) -> dict[str, Any]:
    return {"runtime": runtime, **{k: _text(values.get(k)) for k in FIELDS}}


def _docker(index: Index) -> None:
    for path in sorted(glob.glob(DOCKER)):
        doc = _load(path)
        if not isinstance(doc, dict):
            continue
        config = _dict(doc.get("Config"))
        name = _text(doc.get("Name"))
        ident = _identity(
            "docker",
            id=doc.get("ID") or os.path.basename(os.path.dirname(path)),
            name=name.lstrip("/") if name else None,
            image=config.get("Image"),
        )
        index.by_id[ident["id"]] = ident
        sandbox_key = _text(_dict(doc.get("NetworkSettings")).get("SandboxKey"))
        if sandbox_key:
            index.by_path[_canonical(sandbox_key)] = ident


def _oci(index: Index, runtime: str, pattern: str) -> None:
    for path in sorted(glob.glob(pattern)):
        doc = _load(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("annotations"), dict):
            continue
        notes = doc["annotations"]
        values = {target: notes[key] for key, target in ANNOTATIONS.items() if _text(notes.get(key))}
        ident = _identity(
            runtime, id=os.path.basename(os.path.dirname(path).removesuffix("/userdata")), **values
        )
        index.by_id[ident["id"]] = ident
        for ns in _dict(doc.get("linux")).get("namespaces") or []:
            ns_path = _text(_dict(ns).get("path")) if _dict(ns).get("type") == "network" else None
            if ns_path and not ns_path.startswith("/proc/"):  # a pid path belongs to another task
                index.by_path.setdefault(_canonical(ns_path), ident)


def _podman(index: Index) -> None:
    doc = _load(PODMAN)
    for entry in doc if isinstance(doc, list) else []:
        if not isinstance(entry, dict) or not _text(entry.get("id")):
            continue
        meta = entry.get("metadata")
        try:
            meta = json.loads(meta) if isinstance(meta, str) else {}
        except ValueError:
            meta = {}
        names = entry.get("names") if isinstance(entry.get("names"), list) else []
        ident = _identity(
            "podman",
            id=entry["id"],
            name=names[0] if names else meta.get("name"),
            image=meta.get("image-name") if isinstance(meta, dict) else None,
        )
        index.by_id[ident["id"]] = ident


def index() -> Index:
    """Every container identity the runtimes' files describe (an empty index where there are none)."""
    found = Index()
    _docker(found)
    for runtime, pattern in OCI_CONFIGS.items():
        _oci(found, runtime, pattern)
    _podman(found)
    return found


def pod_namespace_id(ident: dict[str, Any] | None) -> str | None:
    """`pod/<namespace>/<name>` for a Kubernetes pod: stable when the pod is recreated with its name."""
    if ident and ident.get("pod_namespace") and ident.get("pod_name"):
        return f"pod/{ident['pod_namespace']}/{ident['pod_name']}"
    return None
