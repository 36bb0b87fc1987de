"""Compare two snapshots (or two sets of them) into a structured, deterministic list of changes.

Pure: no files, no output. Objects are matched by netstack_docs.model.identity.identity, the same key
that makes their anchors, so "changed" here means "the same anchor, different settings".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from netstack_docs.model.identity import display_name
from netstack_docs.model.namespaces import HOST, namespace_ref, ordered
from netstack_docs.versions.objects import (
    HOST_FIELDS,
    HOST_NAMESPACE,
    comparable,
    host_objects,
    namespace_fields,
    namespace_objects,
)

Op = Literal["added", "removed", "changed"]
HostKey = tuple[str, str]  # (env, host slug)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any  # None when the field was absent
    new: Any


@dataclass(frozen=True)
class ObjectChange:
    kind: str  # a netstack_docs.model.identity kind
    op: Op
    namespace: str  # namespace id, or "host" for host-wide kinds (prog, daemon)
    key: tuple[str, ...]
    name: str  # display_name: untrusted
    obj: Mapping[str, Any]  # the object as it is now (as it was, when removed)
    fields: tuple[FieldChange, ...] = ()
    # an added or removed link's own settings (its per-interface sysctls) that came or went with it:
    # told as a count on the link's line ("+ link veth9 (40 sysctls)"), not one line each
    folded: tuple[ObjectChange, ...] = ()


@dataclass
class NamespaceChange:
    id: str
    op: Op | None  # None: present in both with the same attributes
    label: str
    fields: list[FieldChange] = field(default_factory=list)
    objects: list[ObjectChange] = field(default_factory=list)
    # an added or removed namespace's own (namespace-wide) sysctls: a count on its line, not a line each
    folded: list[ObjectChange] = field(default_factory=list)


@dataclass
class HostDiff:
    env: str
    host: str
    op: Op | None  # None: present in both, maybe with changes below
    hostname: str
    fields: list[FieldChange] = field(default_factory=list)
    namespaces: list[NamespaceChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.op is not None or bool(self.fields) or bool(self.namespaces)

    def objects(self) -> list[ObjectChange]:
        return [o for ns in self.namespaces for o in ns.objects]


@dataclass
class Diff:
    hosts: list[HostDiff]

    @property
    def identical(self) -> bool:
        return not any(h.changed for h in self.hosts)


def _fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    keys = sorted(set(old) | set(new))
    return [FieldChange(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def _objects(kind: str, ns_id: str, old: Mapping[tuple[str, ...], Any], new: Mapping[tuple[str, ...], Any]):
    for key in sorted(set(old) | set(new)):
        if key not in new:
            yield ObjectChange(kind, "removed", ns_id, key, display_name(kind, old[key]), old[key])
        elif key not in old:
            yield ObjectChange(kind, "added", ns_id, key, display_name(kind, new[key]), new[key])
        else:
            changes = _fields(comparable(kind, old[key], new[key]), comparable(kind, new[key], old[key]))
            if changes:
                yield ObjectChange(kind, "changed", ns_id, key, display_name(kind, new[key]), new[key],
                                   tuple(changes))


def _sysctl_ifname(name: str) -> str | None:
    """The interface a per-interface sysctl belongs to (net.ipv4.conf.IF.x, net.ipv6.neigh.IF.x), as
    /proc/sys spells it (a `.` in the name is a `/`); None for a namespace-wide sysctl."""
    parts = name.split(".")
    if len(parts) >= 5 and parts[0] == "net" and parts[2] in ("conf", "neigh") and parts[3] not in (
        "all",
        "default",
    ):
        return parts[3]
    return None


def fold_settings(objects: list[ObjectChange]) -> list[ObjectChange]:
    """Fold the sysctls of a link that was added (or removed) into that link's change.

    Changed settings of a link that stays are listed one by one: those are what someone changed."""
    links: dict[tuple[str, str], int] = {
        (o.op, str(o.obj.get("ifname", "")).replace(".", "/")): i
        for i, o in enumerate(objects)
        if o.kind == "link" and o.op in ("added", "removed")
    }
    if not links:
        return objects
    folded: dict[int, list[ObjectChange]] = {}
    gone: set[int] = set()
    for i, o in enumerate(objects):
        owner = links.get((o.op, _sysctl_ifname(o.name) or "")) if o.kind == "sysctl" else None
        if owner is not None:
            folded.setdefault(owner, []).append(o)
            gone.add(i)
    return [
        dataclasses.replace(o, folded=tuple(folded[i])) if i in folded else o
        for i, o in enumerate(objects)
        if i not in gone
    ]


def _namespace(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> NamespaceChange | None:
    some = new if new is not None else old
    assert some is not None
    op: Op | None = "added" if old is None else "removed" if new is None else None
    fields = _fields(namespace_fields(old or {}), namespace_fields(new or {})) if op is None else []
    change = NamespaceChange(some["id"], "changed" if fields else op, namespace_ref(dict(some)).label, fields)
    old_kinds = dict(namespace_objects(old or {}))
    for kind, new_objs in namespace_objects(new or {}):
        change.objects.extend(_objects(kind, some["id"], old_kinds[kind], new_objs))
    change.objects = fold_settings(change.objects)
    if op is not None:  # the namespace came or went: its own settings came or went with it
        change.folded = [o for o in change.objects if o.kind == "sysctl"]
        change.objects = [o for o in change.objects if o.kind != "sysctl"]
    return change if change.op or change.objects else None


def diff_snapshots(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, env: str, host: str
) -> HostDiff:
    """Everything that differs in configuration between two snapshots of one host (None: host absent)."""
    docs = [d for d in (old, new) if d is not None]
    hostname = str(docs[-1]["host"]["hostname"])
    if old is None or new is None:
        op: Op = "added" if old is None else "removed"
        return HostDiff(env, host, op, hostname)
    result = HostDiff(env, host, None, hostname)
    result.fields = _fields({k: old["host"].get(k) for k in HOST_FIELDS},
                            {k: new["host"].get(k) for k in HOST_FIELDS})
    old_ns = {ns["id"]: ns for ns in old["namespaces"]}
    new_ns = {ns["id"]: ns for ns in new["namespaces"]}
    for ns_id in dict.fromkeys(ns["id"] for ns in ordered([*new["namespaces"], *old["namespaces"]])):
        change = _namespace(old_ns.get(ns_id), new_ns.get(ns_id))
        if change is not None:
            result.namespaces.append(change)
    wide = NamespaceChange(HOST_NAMESPACE, None, HOST.label)
    old_kinds = dict(host_objects(old))
    for kind, new_objs in host_objects(new):
        wide.objects.extend(_objects(kind, HOST_NAMESPACE, old_kinds[kind], new_objs))
    if wide.objects:
        result.namespaces.append(wide)
    return result


def diff_sets(old: Mapping[HostKey, Mapping[str, Any]], new: Mapping[HostKey, Mapping[str, Any]]) -> Diff:
    """Compare two sets of snapshots keyed by (env, host slug): hosts added, removed and changed."""
    return Diff([diff_snapshots(old.get(k), new.get(k), *k) for k in sorted(set(old) | set(new))])
