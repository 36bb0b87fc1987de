"""Classify one snapshot into the ten layers: every object becomes one component on exactly one layer page.

Dispatch goes through one registry: the sections table (netstack_docs.model.sections) says where
objects live, and the matchers in components.yaml say which kind each object is. Within a section
the first kind (in components.yaml order) whose matcher accepts the object wins; the section's
fallback kind takes the rest, so nothing is dropped. Home pages (where the anchor lives):
a hardware link appears twice, as its NIC on `nic` and as the link on `link`; an enslaved link
appears as itself and as a port of its master (bridge port on `virtual`, bond slave on `link`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from netstack_docs.model.commands import Command, render_commands
from netstack_docs.model.facts import read_facts
from netstack_docs.model.identity import anchor_id, display_name, identity
from netstack_docs.model.model import ComponentKind, Layer, load_model
from netstack_docs.model.namespaces import HOST, NamespaceRef, namespace_ref, ordered
from netstack_docs.model.related import Index, Related, related
from netstack_docs.model.related import index as related_index
from netstack_docs.model.sections import SECTIONS, Section, namespace_state, walk


@dataclass(frozen=True)
class Component:
    kind: ComponentKind
    identity_kind: str
    namespace: NamespaceRef
    obj: dict[str, Any]  # the raw snapshot object (a section view for nics, ports, iptables, sysctls)
    name: str  # untrusted
    anchor: str
    facts: list[tuple[str, str]]  # values untrusted
    commands: list[Command]
    links: list[tuple[Related, str]] = field(default_factory=list)  # (related component, its layer slug)
    state: Any = None  # the object's running state, when its section has one (facts `state.*`)

    @property
    def layer(self) -> str:
        return self.kind.layer


@dataclass(frozen=True)
class GapRef:
    what: str
    reason: str
    namespace: NamespaceRef | None  # None: the whole host
    layer: str | None  # None when the gap concerns no single layer


@dataclass
class LayerView:
    layer: Layer
    components: list[Component] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # what was looked at, for an empty page
    gaps: list[GapRef] = field(default_factory=list)  # what could not be captured on this layer


@dataclass
class HostView:
    env: str
    host_slug: str | None
    hostname: str  # untrusted
    snapshot: dict[str, Any]
    namespaces: list[NamespaceRef]
    layers: dict[str, LayerView]
    gaps: list[GapRef] = field(default_factory=list)  # every gap, in snapshot order


_SECTION_OF_IDENTITY = {s.identity_kind: s.name for s in SECTIONS.values()}


@cache
def _dispatch() -> dict[str, tuple[tuple[ComponentKind, ...], ComponentKind]]:
    """Section -> (its specific kinds in components.yaml order, its fallback kind): built once."""
    out = {}
    model = load_model()
    for name in SECTIONS:
        kinds = model.kinds_of_section(name)
        fallback = [k for k in kinds if k.recognise.fallback]
        if not fallback:
            raise KeyError(f"the model has no fallback kind for section {name!r}")
        out[name] = (tuple(k for k in kinds if not k.recognise.fallback), fallback[0])
    return out


def kind_of(section: str, obj: dict[str, Any]) -> ComponentKind:
    """The component kind of one object of `section` (the section's fallback kind when nothing else fits)."""
    specific, fallback = _dispatch()[section]
    for kind in specific:
        if kind.recognise.matches(obj):
            return kind
    return fallback


def layer_of(identity_kind: str, obj: dict[str, Any]) -> str:
    """The slug of the one layer page that holds the anchor of this object (its section view object)."""
    return kind_of(_SECTION_OF_IDENTITY[identity_kind], obj).layer


def gap_layer(what: str) -> str | None:
    """The layer a capture gap concerns, from the layers' gap words (`nftables` -> netfilter)."""
    tokens = re.findall(r"[a-z0-9_]+", what.lower())
    for layer in load_model().layers:
        for word in layer.gap_words:
            if any(t == word or (len(word) >= 4 and t.startswith(word)) for t in tokens):
                return layer.slug
    return None


def _component(
    sec: Section,
    ns: NamespaceRef,
    obj: dict[str, Any],
    repeat: int = 1,
    names: Index | None = None,
    ns_state: dict[str, Any] | None = None,
) -> Component:
    """One object as a component; its state (when the section has one) feeds facts, never identity."""
    kind = kind_of(sec.name, obj)
    links = [(r, layer_of(r.identity_kind, r.target)) for r in related(sec.name, obj, names)] if names else []
    state = sec.state_of(ns_state or {}, obj) if sec.state_of else None
    shown = {**obj, "state": state} if state else obj
    parts = identity(sec.identity_kind, obj)
    return Component(
        kind=kind,
        identity_kind=sec.identity_kind,
        namespace=ns,
        obj=obj,
        name=display_name(sec.identity_kind, obj) or ns.label,
        # a repeated identity (numbered like netstack_docs.model.identity.numbered) keeps anchors unique
        anchor=anchor_id(sec.identity_kind, ns.id, parts if repeat == 1 else (*parts, f"#{repeat}")),
        facts=read_facts(kind.facts, shown),
        commands=render_commands(kind.commands, obj, ns),
        links=links,
        state=state,
    )


def _checked(layer: Layer, namespaces: list[NamespaceRef]) -> list[str]:
    """What classification looked at for this layer, so an empty page can say so."""
    sections = {k.section for k in load_model().kinds_of_layer(layer.slug)}
    count = len(namespaces)
    where = f"in {count} namespace{'s' if count != 1 else ''}"
    return [
        f"{sec.title} ({'on the whole host' if sec.host_wide else where})"
        for sec in SECTIONS.values()
        if sec.name in sections
    ]


def _unrecorded_flannel(snapshot: dict[str, Any]) -> list[dict[str, str]]:
    """A snapshot from before flannel's subnet file was read: the file is a gap all the same.

    The CNI check says what it could not decide without that file; the host page must not say
    "no gaps" beside it."""
    cni = snapshot.get("cni") or {}
    first = (cni.get("networks") or [{}])[0]
    flannel = [p for p in first.get("plugins") or [] if p.get("type") == "flannel"]
    if not flannel or "flannel" in cni or any("flannel" in g["what"] for g in snapshot.get("gaps", [])):
        return []
    path = flannel[0].get("subnetFile") or "/run/flannel/subnet.env"
    reason = "not read by the capture that made this snapshot"
    return [{"what": f"cni flannel subnet file {path}", "reason": reason}]


def _gaps(snapshot: dict[str, Any], refs: dict[str, NamespaceRef]) -> list[GapRef]:
    out = []
    for gap in [*snapshot.get("gaps", []), *_unrecorded_flannel(snapshot)]:
        ns = refs.get(gap.get("namespace") or "")
        out.append(GapRef(gap["what"], gap["reason"], ns, gap_layer(gap["what"])))
    for ns_doc in ordered(snapshot["namespaces"]):
        for gap in ns_doc.get("gaps", []):
            out.append(GapRef(gap["what"], gap["reason"], refs[ns_doc["id"]], gap_layer(gap["what"])))
    return out


def classify(snapshot: dict[str, Any], host_slug: str | None = None) -> HostView:
    """The host as the site shows it. The snapshot must already be validated (load_snapshot)."""
    model = load_model()
    ns_docs = ordered(snapshot["namespaces"])
    refs = {ns["id"]: namespace_ref(ns) for ns in ns_docs}
    ns_rank = {ns["id"]: i for i, ns in enumerate(ns_docs)}
    kind_rank = {k: i for i, k in enumerate(model.kinds)}
    ranked = []
    seen: dict[tuple[str, str, tuple[str, ...]], int] = {}
    names = related_index(snapshot)
    for sec, ns_doc, index, obj in walk(snapshot):
        ref = refs[ns_doc["id"]] if ns_doc is not None else HOST
        key = (sec.name, ref.id, identity(sec.identity_kind, obj))
        seen[key] = repeat = seen.get(key, 0) + 1
        # a host-wide section's state (OVS interfaces) lives at the top of `state`
        ns_state = namespace_state(snapshot, ns_doc["id"]) if ns_doc is not None else snapshot.get("state")
        comp = _component(sec, ref, obj, repeat, names, ns_state)
        ranked.append(((kind_rank[comp.kind.id], ns_rank.get(ref.id, -1), index), comp))
    ranked.sort(key=lambda pair: pair[0])
    namespaces = list(refs.values())
    views = {layer.slug: LayerView(layer, checked=_checked(layer, namespaces)) for layer in model.layers}
    for _, comp in ranked:
        views[comp.layer].components.append(comp)
    gaps = _gaps(snapshot, refs)
    for gap in gaps:
        if gap.layer is not None:
            views[gap.layer].gaps.append(gap)
    host = snapshot["host"]
    return HostView(
        env=host["env"],
        host_slug=host_slug,
        hostname=host["hostname"],
        snapshot=snapshot,
        namespaces=namespaces,
        layers=views,
        gaps=gaps,
    )
