"""Links between components that the snapshot relates by name: what a reader wants to click next.

A CNI network names the bridge its pods hang on; an OVS port is a kernel device of the root
namespace, or the peer of a patch port; an OpenFlow table belongs to a bridge. Classification
resolves these names to the other component's anchor and layer page (only when that component
exists in the snapshot); render only draws the links. One registry, keyed by snapshot section.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from netstack_docs.model.identity import object_anchor

Obj = dict[str, Any]


@dataclass(frozen=True)
class Related:
    label: str  # what the relation is, e.g. "Bridge it declares"
    text: str  # untrusted: the other object's name
    identity_kind: str  # of the target, so the caller can find its layer
    namespace: str  # namespace id of the target ('host' for host-wide objects)
    target: Obj  # the target's section view object

    @property
    def anchor(self) -> str:
        return object_anchor(self.identity_kind, self.namespace, self.target)


@dataclass(frozen=True)
class Index:
    """Names to objects, built once per snapshot."""

    root_links: dict[str, Obj]
    ovs_bridges: dict[str, Obj]
    ovs_ports: dict[str, Obj]


def index(snapshot: dict[str, Any]) -> Index:
    root: dict[str, Any] = next((ns for ns in snapshot["namespaces"] if ns["kind"] == "root"), {"links": []})
    bridges = (snapshot.get("ovs") or {}).get("bridges") or []
    return Index(
        {link["ifname"]: link for link in root["links"]},
        {br["name"]: br for br in bridges},
        {p["name"]: {**p, "bridge": br["name"]} for br in bridges for p in br.get("ports") or []},
    )


def _link(label: str, name: Any, idx: Index) -> Iterator[Related]:
    if isinstance(name, str) and name in idx.root_links:
        yield Related(label, name, "link", "root", idx.root_links[name])


def _bridge(label: str, name: Any, idx: Index) -> Iterator[Related]:
    if isinstance(name, str) and name in idx.ovs_bridges:
        yield Related(label, name, "ovsbridge", "host", idx.ovs_bridges[name])


def _cni(obj: Obj, idx: Index) -> Iterator[Related]:
    for name in obj.get("bridges") or []:
        yield from _link("Bridge it declares", name, idx)
        yield from _bridge("Open vSwitch bridge it declares", name, idx)


def _ovs_port(obj: Obj, idx: Index) -> Iterator[Related]:
    yield from _bridge("Bridge", obj.get("bridge"), idx)
    yield from _link("Kernel device", obj.get("name"), idx)
    peer = idx.ovs_ports.get(obj.get("peer") or "")
    if obj.get("type") == "patch" and peer is not None:
        yield Related("Peer patch port", f"{peer['name']} on {peer['bridge']}", "ovsport", "host", peer)


RELATED: dict[str, Callable[[Obj, Index], Iterator[Related]]] = {
    "cni.networks": _cni,
    "cni.default": _cni,
    "ovs.ports": _ovs_port,
    "ovs.bridges": lambda obj, idx: _link("Kernel device", obj.get("name"), idx),
    "ovs.flow_tables": lambda obj, idx: _bridge("Bridge", obj.get("bridge"), idx),
}


def related(section: str, obj: Obj, idx: Index) -> list[Related]:
    """The components `obj` (of `section`) names, that exist in this snapshot."""
    relate = RELATED.get(section)
    return list(relate(obj, idx)) if relate else []
