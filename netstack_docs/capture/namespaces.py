"""Discover every network namespace this process can reach, once each, named after where it was found.

A namespace may be bind-mounted under /run/netns (named, `ip netns`), under /var/run/docker/netns
(Docker keeps its containers' namespaces there, invisible to `ip netns`), or only held by a
process (/proc/<pid>/ns/net). The same namespace often appears in several places, so they are
de-duplicated by (st_dev, st_ino) of the nsfs file, keeping the most telling name:
root > named > docker > proc.

A namespace only a process holds (and no Kubernetes pod: pod/<ns>/<name>, capture.containers) is named
after what owns it, not its pid (a restarted daemon
gets a new pid, and the namespace must keep its id and its anchors): `container/<id12>` for a
container, `unit/<name>.service` for a systemd service with PrivateNetwork= (a unit other than the
capturing process's own), otherwise `proc/<comm>`. Namespaces with the same owner are numbered in
pid order (`proc/sleep`, `proc/sleep#2`), as netstack_docs.model.identity.numbered numbers
repeated objects. The pid stays a fact (owner.pid), as does the path through /proc.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netstack_docs.capture import containers

NAMED_DIR = "/run/netns"
DOCKER_DIR = "/var/run/docker/netns"
PRECEDENCE = {"root": 0, "named": 1, "docker": 2, "proc": 3}
_CONTAINER_ID = re.compile(
    r"(?:docker[-/]|containerd[-/]|/cri-containerd-|libpod-|crio-|/kubepods[^\n]*/)([0-9a-f]{64})")
_SERVICE = re.compile(r"/([^/\s]+\.service)(?:/|$)")


@dataclass
class Namespace:
    id: str
    kind: str
    path: str | None  # None for root: the capturing process's own namespace, never entered
    name: str
    inode: int
    dev: int
    owner: dict[str, Any] | None = None
    also_at: list[str] = field(default_factory=list)
    container: dict[str, Any] | None = None  # what runs in it (netstack_docs.capture.containers)

    def describe(self) -> dict[str, Any]:
        """The namespace's identity fields as they go into the snapshot (names made printable)."""
        out = {"id": self.id, "kind": self.kind, "name": printable(self.name),
               "path": printable(self.path) if self.path else None, "inode": self.inode, "owner": self.owner}
        if self.container:
            out["container"] = self.container
        return out


@dataclass
class Discovery:
    namespaces: list[Namespace]
    problems: list[tuple[str, str]]  # (what, reason): places that could not be looked at


def comm_of(pid: int | str) -> str | None:
    """A process's command name as printable text (comm holds any bytes the program chose)."""
    try:
        return Path(f"/proc/{pid}/comm").read_bytes().rstrip(b"\n").decode("utf-8", "backslashreplace")
    except OSError:
        return None


def _container_id(pid: int) -> str | None:
    """Docker/containerd/podman put the 64-hex container id into the process's cgroup path."""
    try:
        match = _CONTAINER_ID.search(Path(f"/proc/{pid}/cgroup").read_text())
    except OSError:
        return None
    return match.group(1) if match else None


def unit_in(cgroup_text: str) -> str | None:
    """The systemd service a process runs in, from its /proc/<pid>/cgroup (innermost .service)."""
    for line in cgroup_text.splitlines():
        hierarchy, _, path = line.partition(":")[2].partition(":")
        if hierarchy in ("", "name=systemd"):
            found = _SERVICE.findall(path)
            if found:
                return str(found[-1])
    return None


def _unit(pid: int | str) -> str | None:
    try:
        return unit_in(Path(f"/proc/{pid}/cgroup").read_text())
    except OSError:
        return None


def owner_key(owner: dict[str, Any], own_unit: str | None) -> str:
    """What a process-only namespace is named after: its container, its service, or its command."""
    if owner.get("container_id"):
        return f"container/{owner['container_id'][:12]}"
    if owner.get("unit") and owner["unit"] != own_unit:
        return f"unit/{owner['unit']}"
    return f"proc/{owner.get('comm') or '?'}"


def name_by_owner(found: list[Namespace]) -> None:
    """Give process-only namespaces their owner-keyed ids, numbered in pid order within one owner."""
    own_unit = _unit(os.getpid())
    seen: dict[str, int] = {}
    held = [n for n in found if n.kind == "proc" and n.id.startswith("pid/")]  # not a pod's (name_containers)
    for ns in sorted(held, key=lambda n: int((n.owner or {}).get("pid", 0))):
        key = owner_key(ns.owner or {}, own_unit)
        seen[key] = count = seen.get(key, 0) + 1
        ns.id = key if count == 1 else f"{key}#{count}"


def printable(name: str) -> str:
    """A file name as text for the snapshot: undecodable bytes as `\\xNN` (the real path stays for open)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _entries(directory: str, problems: list[tuple[str, str]]) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    except OSError as exc:
        problems.append((f"namespaces in {directory}", exc.strerror or str(exc)))
        return []


def discover() -> Discovery:
    """All reachable namespaces, root first, then named, docker and proc ones, each sorted."""
    problems: list[tuple[str, str]] = []
    found: dict[tuple[int, int], Namespace] = {}
    holders: dict[tuple[int, int], int] = {}  # lowest pid holding each namespace

    def add(ns: Namespace) -> None:
        key = (ns.dev, ns.inode)
        old = found.get(key)
        if old is None or PRECEDENCE[ns.kind] < PRECEDENCE[old.kind]:
            if old is not None:
                ns.also_at = sorted({*old.also_at, *([old.path] if old.path and old.kind != "proc" else [])})
            found[key] = ns
        elif ns.path and ns.kind != "proc":  # pids come and go: only bind mounts are stable aliases
            old.also_at = sorted({*old.also_at, ns.path})

    own = os.stat("/proc/self/ns/net")
    add(Namespace("root", "root", None, "root", own.st_ino, own.st_dev))
    for kind, directory in (("named", NAMED_DIR), ("docker", DOCKER_DIR)):
        for entry in _entries(directory, problems):
            path = f"{directory}/{entry}"
            try:
                st = os.stat(path)
            except OSError:
                continue  # vanished between listdir and stat
            if st.st_dev != own.st_dev:
                continue  # not (or no longer) a bind mount of an nsfs inode, e.g. a stale placeholder file
            # ids are unique: a netns *named* "root" must not take the host's own namespace's id
            name = printable(entry)
            ns_id = (name if name != "root" else "netns/root") if kind == "named" else f"docker/{name}"
            add(Namespace(ns_id, kind, path, entry, st.st_ino, st.st_dev))
    denied = 0
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    for pid in pids:
        try:
            st = os.stat(f"/proc/{pid}/ns/net")
        except PermissionError:
            denied += 1
            continue
        except OSError:
            continue  # process exited
        key = (st.st_dev, st.st_ino)
        holders.setdefault(key, pid)
        comm = comm_of(pid) or "?"
        add(Namespace(f"pid/{pid}", "proc", f"/proc/{pid}/ns/net", comm, st.st_ino, st.st_dev,
                      {"pid": pid, "comm": comm, "container_id": _container_id(pid), "unit": _unit(pid)}))
    if denied:
        problems.append(("namespaces held by other users' processes",
                         f"{denied} processes' /proc/<pid>/ns/net not readable: permission denied"))
    for key, ns in found.items():
        if ns.kind == "docker" and key in holders:
            pid = holders[key]
            ns.owner = {"pid": pid, "comm": comm_of(pid) or "?", "container_id": _container_id(pid),
                        "unit": _unit(pid)}
    name_containers(list(found.values()))
    name_by_owner(list(found.values()))
    ordered = sorted(found.values(), key=lambda n: (PRECEDENCE[n.kind], n.id))
    return Discovery(ordered, problems)


def name_containers(found: list[Namespace]) -> None:
    """Attach container identity; a Kubernetes pod's namespace takes its id from pod namespace and name."""
    index = containers.index()
    taken = {ns.id for ns in found}
    for ns in found:
        if ns.kind == "root":
            continue
        owner_id = (ns.owner or {}).get("container_id")
        ns.container = index.identify(owner_id, [p for p in (ns.path, *ns.also_at) if p])
        pod_id = containers.pod_namespace_id(ns.container)
        if pod_id and pod_id not in taken:  # two namespaces claiming one pod: the first keeps the name
            taken.add(pod_id)
            ns.id = pod_id
