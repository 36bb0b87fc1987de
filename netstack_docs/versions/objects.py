"""The comparable objects of a snapshot: every configured object by kind, kernel-assigned numbers removed.

A diff must say nothing about two captures of an unchanged host. meta and state are already apart
(config_view); what remains volatile inside the configuration are numbers the kernel hands out
again on every (re)creation: ifindex, BPF prog ids, and qdisc handles the kernel picked itself.
They are dropped before comparing, so a reloaded but identical XDP program, or a re-created veth
with the same name and settings, is no change. The program's name and tag (a hash of its
instructions) still tell when it really changed. nftables rule handles are not even part of a
rule's identity (netstack_docs.snapshot.content): a reload that renumbers them changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from netstack_docs.model.identity import numbered
from netstack_docs.model.namespaces import HOST
from netstack_docs.model.sections import HOST_SECTIONS, NAMESPACE_SECTIONS

Obj = Mapping[str, Any]

# Second views of an object shown on another page (a link as its NIC, as a bridge port) and the
# namespace itself: their changes are the link's or the namespace's own, told once.
_SECOND_VIEWS = {"netns", "nic", "port", "cnidefault"}

# The model's registry of snapshot sections says where every kind lives; the diff walks the same table,
# so it compares exactly the objects the site shows, with the same identities and anchors.
NAMESPACE_KINDS: dict[str, Callable[[dict[str, Any]], list[Any]]] = {
    s.identity_kind: s.items
    for s in NAMESPACE_SECTIONS
    if s.identity_kind not in _SECOND_VIEWS and s.from_state is None  # state is never a change
}
Items = Callable[[dict[str, Any]], list[Any]]
HOST_KINDS: dict[str, Items] = {
    s.identity_kind: s.items for s in HOST_SECTIONS if s.identity_kind not in _SECOND_VIEWS
}

HOST_NAMESPACE = HOST.id  # host-wide kinds (prog, daemon) live in the model's pseudo namespace "host"
KIND_ORDER = [*NAMESPACE_KINDS, *HOST_KINDS]

# Dotted field paths (per kind) holding numbers the kernel assigns anew on every creation.
KERNEL_ASSIGNED: dict[str, set[str]] = {
    "link": {"ifindex", "parent.ifindex", "xdp.prog_id"},
    "filter": {"bpf.prog_id"},
    "nftrule": {"handle"},
    "nftchain": {"handle"},
    "nfttable": {"handle"},
    "prog": {"id"},
}


# Running values that older snapshots kept inside the configuration and newer ones keep in state:
# never a change, whichever side holds them.
RUNNING_STATE: dict[str, set[str]] = {"link": {"operstate", "port.state", "nic.speed", "nic.duplex"}}


def _kernel_chosen_handle(handle: Any) -> bool:
    """A qdisc added without `handle` gets the next free major from 8000: (tc shows `8001:`)."""
    major = str(handle).split(":", 1)[0]
    return all(c in "0123456789abcdef" for c in major) and len(major) == 4 and int(major, 16) >= 0x8000


# Fields the capture cannot always know: a bridge's configured ageing during an STP topology change
# (netstack_docs.capture.linkinfo). Compared only when both sides know them.
SOMETIMES_UNKNOWN: dict[str, set[str]] = {"link": {"info.ageing_time"}}
# Fields whose value is kernel-chosen only sometimes: dropped when the predicate says so.
KERNEL_CHOSEN: dict[str, dict[str, Callable[[Any], bool]]] = {"qdisc": {"handle": _kernel_chosen_handle}}
# Namespace attributes that differ between boots or processes without a configuration change.
NAMESPACE_VOLATILE = {"inode", "owner.pid", "links", "addresses", "routes", "rules", "neighbours", "fdb",
                      "tc", "nftables", "sockets", "sysctls", "gaps", "iptables"}
HOST_FIELDS = ("hostname", "kernel", "os", "machine", "role")


def flatten(obj: Obj, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted paths (`xdp.mode`); lists stay whole values. None and absent are the same."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, path + "."))
        elif value is not None:
            out[path] = value
    return out


def comparable(kind: str, obj: Obj, other: Obj | None = None) -> dict[str, Any]:
    """The fields of `obj` that a change is made of, compared with `other` (its other version).

    A sometimes-kernel-chosen field is left out only when the kernel chose it on both sides:
    `8001:` -> `8007:` is a re-creation, `8001:` -> `1:` is a change someone made."""
    mine, theirs = flatten(obj), flatten(other or {})
    drop = set(KERNEL_ASSIGNED.get(kind, set())) | RUNNING_STATE.get(kind, set())
    if other is not None:
        drop |= {f for f in SOMETIMES_UNKNOWN.get(kind, set()) if f not in mine or f not in theirs}
    for field, kernel_chose in KERNEL_CHOSEN.get(kind, {}).items():
        sides = [mine.get(field)] + ([theirs.get(field)] if other is not None else [])
        if all(v is not None and kernel_chose(v) for v in sides):
            drop.add(field)
    return {k: v for k, v in mine.items() if k not in drop}


def namespace_fields(ns: Obj) -> dict[str, Any]:
    """A namespace's own attributes (kind, name, path, owner), without its objects or volatile ids.

    A /proc-only namespace's path names its owner's pid (/proc/<pid>/ns/net): volatile like the pid.
    """
    drop = NAMESPACE_VOLATILE | ({"path"} if ns.get("kind") == "proc" else set())
    return {k: v for k, v in flatten(ns).items() if k.split(".")[0] not in drop and k not in drop}


def keyed(kind: str, objects: list[Any]) -> dict[tuple[str, ...], Obj]:
    """Objects by identity; a repeated identity is numbered as its anchor is (identity.numbered)."""
    return dict(zip(numbered(kind, objects), objects, strict=True))


def namespace_objects(ns: Obj) -> Iterator[tuple[str, dict[tuple[str, ...], Obj]]]:
    for kind, find in NAMESPACE_KINDS.items():
        yield kind, keyed(kind, find(dict(ns)) if ns else [])


def host_objects(doc: Obj) -> Iterator[tuple[str, dict[tuple[str, ...], Obj]]]:
    for kind, find in HOST_KINDS.items():
        yield kind, keyed(kind, find(dict(doc)))
